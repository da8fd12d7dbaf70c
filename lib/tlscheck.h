/* tlscheck.h - the certificate pre-flight checks, run with OpenSSL before any
 * membership change: a member that joins with a certificate its peers reject
 * breaks the quorum arithmetic while it cannot talk, so we refuse first and say why.
 *
 * Each check mirrors what etcd (Go crypto/tls, crypto/x509) will do with the files:
 * PEM "CERTIFICATE" blocks, the first being the leaf and the rest its chain; the
 * first "... PRIVATE KEY" block of the key file, unencrypted; names matched against
 * the DNS and IP subjectAltNames only (Go ignores the subject CN since 1.15); every
 * certificate of the CA file a trust anchor (x509.CertPool, hence a partial chain
 * is fine); extended key usage of the leaf, where no extension or anyExtendedKeyUsage
 * allows every usage (RFC 5280 4.2.1.12).
 *
 * Pure apart from reading the named files: the clock is an argument, nothing is
 * logged, nothing is decided. The caller (plan/diagnose) judges the findings. */
#ifndef EI_TLSCHECK_H
#define EI_TLSCHECK_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "err.h"

/* The default of the expiry warning window, in days. */
#define EI_TLS_WARN_DAYS_DEFAULT 30

enum ei_tls_level { EI_TLS_OK, EI_TLS_WARN, EI_TLS_FAIL };

/* One certificate to check. Strings are borrowed for the duration of the call. */
struct ei_tls_pair {
	const char *what;	  /* "server certificate", "peer certificate", ... */
	const char *cert_file;	  /* required: leaf first, then any intermediates */
	const char *cert_setting; /* where the path came from: "ETCD_CERT_FILE"; may be NULL */
	const char *key_file;	  /* NULL: the key is not checked */
	const char *key_setting;
	const char *ca_file; /* NULL: the chain is not checked */
	const char *ca_setting;
	const char *const *names;		 /* DNS names or IP literals the SANs must cover */
	size_t n_names;				 /* 0: names not checked */
	bool need_server_auth, need_client_auth; /* neither: usage not checked */
	const char *server_auth_why, *client_auth_why; /* why the usage is needed; may be NULL */
};

/* One check of one pair. check is "read", "key", "dates", "chain", "names" or
 * "usage"; file and setting name the file the finding is about. message is one
 * line: the file, what is wrong and how to fix it (or what was found, when OK). */
struct ei_tls_finding {
	enum ei_tls_level level;
	char check[24];
	char file[PATH_MAX];
	char setting[64];
	char message[1024];
};

/* Findings in the order they were made. Zero-initialize; free with ei_tls_report_free. */
struct ei_tls_report {
	struct ei_tls_finding *findings;
	size_t n, cap;
};

/* Run every check of one pair at time now, and append one finding per check made
 * (OK ones too, so that diagnose can list them): "read" for each file given, then
 * "key", "dates", "chain", "names", "usage" as configured. A check whose file could
 * not be read or parsed is skipped (its "read" finding says why). Dates within
 * warn_days of notAfter are a WARN (0: never). Reads the files, nothing else; does
 * not block beyond that. Uses the calling thread's OpenSSL error queue and leaves it
 * empty. Returns 0 (whatever the findings), EI_E_USAGE when p->cert_file is NULL,
 * or EI_E_NOMEM (out may then hold some findings; it still must be freed). */
int ei_tlscheck_pair(const struct ei_tls_pair *p, time_t now, unsigned warn_days,
		     struct ei_tls_report *out, struct ei_err *err);

/* The worst level of all findings; EI_TLS_OK for an empty report. */
enum ei_tls_level ei_tls_report_worst(const struct ei_tls_report *r);

/* A short name for a level: "ok", "warn", "fail". */
const char *ei_tls_level_name(enum ei_tls_level level);

/* Free the findings and zero r. */
void ei_tls_report_free(struct ei_tls_report *r);

#endif
