/* tlscheck.c - the certificate pre-flight checks (see tlscheck.h). Sources: Go
 * crypto/tls X509KeyPair (which PEM blocks etcd reads), crypto/x509 Verify and
 * VerifyHostname (names, trust anchors), RFC 5280 4.2.1.12 (extended key usage). */
#include "tlscheck.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

/* A system CA bundle is ~200 KiB; anything past this is not a certificate file. */
#define MAX_FILE_BYTES (4 << 20)
#define WHY_MAX	       512
#define LABEL_MAX      (PATH_MAX + 80)

/* The files of a pair, an index into the arrays of struct run. */
enum role { CERT, KEY, CA };

struct pem_scan {
	STACK_OF(X509) *certs; /* the CERTIFICATE blocks, parsed (not for KEY) */
	EVP_PKEY *key;         /* the first key block, parsed (KEY only) */
	int blocks, n_certs, n_keys;
};

struct run {
	const struct ei_tls_pair *p;
	struct ei_tls_report *out;
	time_t now;
	unsigned warn_days;
	const char *what; /* "peer certificate", or "certificate" */
	const char *file[3], *setting[3];
	char label[3][LABEL_MAX]; /* "SETTING path", the way every message names a file */
	struct pem_scan pem[3];
	bool ok[3]; /* the file was read and parsed */
};

const char *ei_tls_level_name(enum ei_tls_level level)
{
	static const char *const names[] = {"ok", "warn", "fail"};

	return (unsigned)level < 3 ? names[level] : "?";
}

/* Append a finding about the file of role. Returns 0 or EI_E_NOMEM. */
__attribute__((format(printf, 5, 6))) static int
add(struct run *r, enum ei_tls_level level, const char *check, enum role role, const char *fmt, ...)
{
	struct ei_tls_report *out = r->out;
	struct ei_tls_finding *f;
	va_list ap;

	if (out->n == out->cap) {
		size_t cap = out->cap ? out->cap * 2 : 8;

		f = realloc(out->findings, cap * sizeof(*f));
		if (!f)
			return EI_E_NOMEM;
		out->findings = f;
		out->cap = cap;
	}
	f = &out->findings[out->n++];
	memset(f, 0, sizeof(*f));
	f->level = level;
	snprintf(f->check, sizeof(f->check), "%s", check);
	snprintf(f->file, sizeof(f->file), "%s", r->file[role]);
	snprintf(f->setting, sizeof(f->setting), "%s", r->setting[role] ? r->setting[role] : "");
	va_start(ap, fmt);
	vsnprintf(f->message, sizeof(f->message), fmt, ap);
	va_end(ap);
	return 0;
}

/* Append to a WHY_MAX buffer. */
__attribute__((format(printf, 2, 3))) static void cat(char *dst, const char *fmt, ...)
{
	size_t len = strlen(dst);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dst + len, WHY_MAX - len, fmt, ap);
	va_end(ap);
}

/* Say what is wrong with a file; returns 1, "a problem with the file". */
__attribute__((format(printf, 2, 3))) static int problem(char *why, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, WHY_MAX, fmt, ap);
	va_end(ap);
	return 1;
}

/* The reason of the first queued OpenSSL error; the queue is left empty so that the
 * next failing call reports its own error. */
static const char *ssl_reason(void)
{
	unsigned long e = ERR_peek_error();
	const char *s = e ? ERR_reason_error_string(e) : NULL;

	ERR_clear_error();
	return s ? s : "unknown error";
}

static void dn(const X509_NAME *name, char *dst, size_t n)
{
	BIO *b = BIO_new(BIO_s_mem());
	int len = 0;

	/* RFC 2253 order puts the CN first, the part people recognize. */
	if (b && X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0)
		len = BIO_read(b, dst, (int)n - 1);
	dst[len > 0 ? len : 0] = '\0';
	if (!dst[0])
		snprintf(dst, n, "(empty subject)");
	BIO_free(b);
	ERR_clear_error();
}

/* An ASN1_TIME as time_t (UTC) and as ISO 8601. */
static bool asn1_time(const ASN1_TIME *t, time_t *out, char *iso, size_t n)
{
	struct tm tm;

	if (!t || !ASN1_TIME_to_tm(t, &tm)) {
		ERR_clear_error();
		return false;
	}
	strftime(iso, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
	*out = timegm(&tm);
	return true;
}

/* A duration for people: "12 days", "1 day", "5 hours", "3 minutes". */
static void span(char *dst, size_t n, long long s)
{
	if (s >= 2 * 86400)
		snprintf(dst, n, "%lld days", s / 86400);
	else if (s >= 86400)
		snprintf(dst, n, "1 day");
	else if (s >= 3600)
		snprintf(dst, n, "%lld hours", s / 3600);
	else
		snprintf(dst, n, "%lld minutes", s / 60);
}

/* Open a file to read as PEM, or say why it cannot be. O_NONBLOCK: a FIFO at the
 * path must not hang PID 1 in open(). */
static BIO *open_file(const char *path, const char *setting, char *why)
{
	const char *set = setting ? setting : "the setting";
	unsigned char first = 0;
	struct stat st;
	BIO *bio, *buf;
	int fd, e;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) < 0) {
		e = errno;
		problem(why, "cannot be read: %s", strerror(e));
		if (e == ENOENT || e == ENOTDIR)
			cat(why,
			    "; check that the secret or volume is mounted there and that %s names the right file",
			    set);
		else if (e == EACCES || e == EPERM)
			cat(why,
			    "; etcd-init and etcd run as uid %u gid %u: make the file readable by them (the volume's defaultMode or fsGroup)",
			    (unsigned)geteuid(), (unsigned)getegid());
	} else if (!S_ISREG(st.st_mode)) {
		problem(why, "is %s, not a file; %s must name the PEM file itself",
			S_ISDIR(st.st_mode) ? "a directory" : "not a regular file", set);
	} else if (st.st_size == 0) {
		problem(why, "is empty; check that the secret holds this item");
	} else if (st.st_size > MAX_FILE_BYTES) {
		problem(why, "is larger than %d MiB: not a certificate or key file",
			MAX_FILE_BYTES >> 20);
	} else if (pread(fd, &first, 1, 0) == 1 && first == 0x30) {
		/* An ASN.1 SEQUENCE: DER, which etcd does not read. */
		problem(why, "is binary (DER), not PEM; etcd reads PEM: convert it (openssl x509 -inform der, or openssl pkey -inform der)");
	} else if ((bio = BIO_new_fd(fd, BIO_CLOSE))) {
		/* Buffered: PEM_read_bio reads a line at a time. */
		buf = BIO_new(BIO_f_buffer());
		return buf ? BIO_push(buf, bio) : bio;
	} else {
		problem(why, "cannot be read: %s", ssl_reason());
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* crypto/tls X509KeyPair: a key block is "PRIVATE KEY" or "<anything> PRIVATE KEY". */
static bool is_key_block(const char *name)
{
	size_t n = strlen(name);

	return strcmp(name, "PRIVATE KEY") == 0 ||
	       (n > 12 && strcmp(name + n - 12, " PRIVATE KEY") == 0);
}

/* One PEM block: parse what the role wants. Returns 0, 1 with why, or EI_E_NOMEM. */
static int take_block(struct pem_scan *s, enum role role, const char *name, const char *header,
		      const unsigned char *q, long len, char *why)
{
	X509 *x;

	if (strcmp(name, "CERTIFICATE") == 0) {
		s->n_certs++;
		if (role == KEY)
			return 0;
		if (!(x = d2i_X509(NULL, &q, len)))
			return problem(why, "certificate %d in it cannot be parsed (%s)",
				       s->n_certs, ssl_reason());
		if (!sk_X509_push(s->certs, x)) {
			X509_free(x);
			return EI_E_NOMEM;
		}
		return 0;
	}
	if (!is_key_block(name) || ++s->n_keys > 1 || role != KEY)
		return 0;
	/* etcd has no passphrase setting: Go cannot load these. */
	if (strcmp(name, "ENCRYPTED PRIVATE KEY") == 0 || (header && strstr(header, "ENCRYPTED")))
		return problem(why, "holds an encrypted key, which etcd cannot use; decrypt it (openssl pkey) and protect the secret instead");
	if (!(s->key = d2i_AutoPrivateKey(NULL, &q, len)))
		return problem(why, "its %s cannot be parsed (%s)", name, ssl_reason());
	return 0;
}

/* Walk the PEM blocks as pem.Decode does, skipping what the role does not want.
 * Returns 0, 1 with why, or EI_E_NOMEM. */
static int scan_pem(BIO *bio, enum role role, struct pem_scan *s, char *why)
{
	char *name, *header;
	unsigned char *data;
	unsigned long e;
	long len;
	int rc = 0;

	if (role != KEY && !(s->certs = sk_X509_new_null()))
		return EI_E_NOMEM;
	while (rc == 0) {
		name = header = NULL;
		data = NULL;
		if (!PEM_read_bio(bio, &name, &header, &data, &len)) {
			e = ERR_peek_last_error();
			if (ERR_GET_LIB(e) == ERR_LIB_PEM &&
			    ERR_GET_REASON(e) == PEM_R_NO_START_LINE)
				break;
			return problem(why,
				       "PEM block %d cannot be decoded (%s): damaged or cut short",
				       s->blocks + 1, ssl_reason());
		}
		s->blocks++;
		rc = take_block(s, role, name, header, data, len, why);
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_free(data);
	}
	ERR_clear_error();
	if (rc == 0 && s->blocks == 0)
		return problem(why, "is not PEM (no \"-----BEGIN ...-----\" line)");
	return rc;
}

/* Read and parse the file of role into r->pem[role] and add its "read" finding. */
static int load(struct run *r, enum role role)
{
	const char *set = r->setting[role], *lbl = r->label[role];
	struct pem_scan *s = &r->pem[role];
	char why[WHY_MAX] = "", subj[256], iss[256];
	BIO *bio = open_file(r->file[role], set, why);
	int rc = 1, n;

	if (bio)
		rc = scan_pem(bio, role, s, why);
	BIO_free_all(bio);
	if (rc < 0)
		return rc;
	if (rc == 0 && role != KEY && s->n_certs == 0) {
		rc = problem(why, "holds no certificate (no BEGIN CERTIFICATE block)");
		if (role == CERT && s->n_keys && set && r->setting[KEY])
			cat(why, " but a private key: are %s and %s swapped?", set,
			    r->setting[KEY]);
	}
	if (rc == 0 && role == KEY && !s->key) {
		rc = problem(why, "holds no private key (no BEGIN ... PRIVATE KEY block)");
		if (s->n_certs && set && r->setting[CERT])
			cat(why, " but a certificate: are %s and %s swapped?", r->setting[CERT],
			    set);
	}
	if (rc)
		return add(r, EI_TLS_FAIL, "read", role, "%s %s", lbl, why);
	r->ok[role] = true;
	if (role == KEY)
		return add(r, EI_TLS_OK, "read", role, "%s: private key, %s, %d bits", lbl,
			   EVP_PKEY_get0_type_name(s->key), EVP_PKEY_get_bits(s->key));
	n = s->n_certs;
	dn(X509_get_subject_name(sk_X509_value(s->certs, 0)), subj, sizeof(subj));
	dn(X509_get_issuer_name(sk_X509_value(s->certs, 0)), iss, sizeof(iss));
	if (role == CA)
		return add(r, EI_TLS_OK, "read", role, "%s: %d CA certificate%s, the first %s", lbl,
			   n, n == 1 ? "" : "s", subj);
	if (n == 1)
		return add(r, EI_TLS_OK, "read", role, "%s: %s, issued by %s", lbl, subj, iss);
	return add(r, EI_TLS_OK, "read", role,
		   "%s: %s, issued by %s, then %d certificate%s of its chain", lbl, subj, iss,
		   n - 1, n == 2 ? "" : "s");
}

static int check_key(struct run *r)
{
	STACK_OF(X509) *certs = r->pem[CERT].certs;
	EVP_PKEY *key = r->pem[KEY].key, *pub;
	char subj[256], types[128] = "";

	if (X509_check_private_key(sk_X509_value(certs, 0), key) == 1)
		return add(r, EI_TLS_OK, "key", KEY, "%s belongs to %s", r->label[KEY],
			   r->label[CERT]);
	ERR_clear_error();
	/* Go takes the first certificate as the leaf: a key that matches a later one
	 * means the file is in the wrong order, not that the key is wrong. */
	for (int i = 1; i < sk_X509_num(certs); i++) {
		if (X509_check_private_key(sk_X509_value(certs, i), key) == 1) {
			dn(X509_get_subject_name(sk_X509_value(certs, i)), subj, sizeof(subj));
			return add(r, EI_TLS_FAIL, "key", KEY,
				   "%s belongs to certificate %d (%s) of %s, not to the first: etcd uses the first as its own; put the leaf certificate first, then its intermediates",
				   r->label[KEY], i + 1, subj, r->label[CERT]);
		}
		ERR_clear_error();
	}
	pub = X509_get0_pubkey(sk_X509_value(certs, 0));
	ERR_clear_error();
	if (pub && EVP_PKEY_get_base_id(pub) != EVP_PKEY_get_base_id(key))
		snprintf(types, sizeof(types), "; the certificate has a %s key, this is a %s key",
			 EVP_PKEY_get0_type_name(pub), EVP_PKEY_get0_type_name(key));
	return add(r, EI_TLS_FAIL, "key", KEY,
		   "%s does not belong to %s (the public keys differ%s); use the key the certificate was issued for",
		   r->label[KEY], r->label[CERT], types);
}

static int check_dates(struct run *r, X509 *leaf)
{
	const char *lbl = r->label[CERT], *what = r->what;
	char nb[40], na[40], now[40], sp[40];
	struct tm tm;
	time_t tb, ta;

	if (!asn1_time(X509_get0_notBefore(leaf), &tb, nb, sizeof(nb)) ||
	    !asn1_time(X509_get0_notAfter(leaf), &ta, na, sizeof(na)))
		return add(r, EI_TLS_FAIL, "dates", CERT,
			   "%s: the validity dates of the %s cannot be read; reissue it", lbl,
			   what);
	gmtime_r(&r->now, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (r->now < tb) {
		span(sp, sizeof(sp), (long long)tb - r->now);
		return add(r, EI_TLS_FAIL, "dates", CERT,
			   "%s: the %s is not valid before %s (in %s; this node's clock reads %s); check the clock, or reissue it with an earlier notBefore",
			   lbl, what, nb, sp, now);
	}
	/* Go's Verify: expired once now is after NotAfter. */
	if (r->now > ta) {
		span(sp, sizeof(sp), (long long)r->now - ta);
		return add(r, EI_TLS_FAIL, "dates", CERT,
			   "%s: the %s expired on %s (%s ago, it is now %s); reissue it", lbl, what,
			   na, sp, now);
	}
	span(sp, sizeof(sp), (long long)ta - r->now);
	if ((long long)ta - r->now < (long long)r->warn_days * 86400)
		return add(r, EI_TLS_WARN, "dates", CERT,
			   "%s: the %s expires on %s, in %s; renew it before then", lbl, what, na,
			   sp);
	return add(r, EI_TLS_OK, "dates", CERT, "%s: the %s is valid until %s (%s left)", lbl, what,
		   na, sp);
}

/* The leaf's own dates are the "dates" check: forgive them here so that one
 * expired certificate is one finding. An expired CA or intermediate still fails. */
static int verify_cb(int ok, X509_STORE_CTX *ctx)
{
	int e = X509_STORE_CTX_get_error(ctx);

	if (!ok && X509_STORE_CTX_get_error_depth(ctx) == 0 &&
	    (e == X509_V_ERR_CERT_HAS_EXPIRED || e == X509_V_ERR_CERT_NOT_YET_VALID))
		return 1;
	return ok;
}

/* What to do about a verification error e at a certificate issued by iss. */
static void chain_hint(struct run *r, int e, const char *iss, char *hint)
{
	const char *set = r->setting[CA] ? r->setting[CA] : "the CA setting";

	switch (e) {
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
		problem(hint,
			"%s is not in the CA file: point %s at the CA that issued the certificate, append a missing intermediate after the leaf in the certificate file, or reissue the certificate from this CA",
			iss, set);
		break;
	case X509_V_ERR_CERT_SIGNATURE_FAILURE:
		problem(
		    hint,
		    "a CA named %s is in the CA file but did not sign it (regenerated with a new key?): reissue the certificate from this CA, or use the CA that signed it",
		    iss);
		break;
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CERT_NOT_YET_VALID:
		problem(hint, "renew that CA or intermediate");
		break;
	default:
		problem(hint,
			"reissue the certificate from the CA in the CA file, or point %s at the CA that issued it",
			set);
		break;
	}
}

static int check_chain(struct run *r)
{
	STACK_OF(X509) *certs = r->pem[CERT].certs, *cas = r->pem[CA].certs, *chain;
	STACK_OF(X509) *extra = sk_X509_new_null();
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	char subj[256], iss[256], hint[WHY_MAX];
	int rc = EI_E_NOMEM, e;
	const X509 *cur;

	if (!extra || !store || !ctx)
		goto out;
	for (int i = 1; i < sk_X509_num(certs); i++) {
		if (!sk_X509_push(extra, sk_X509_value(certs, i)))
			goto out;
	}
	for (int i = 0; i < sk_X509_num(cas); i++) {
		if (!X509_STORE_add_cert(store, sk_X509_value(cas, i)))
			goto out;
	}
	/* x509.CertPool: every certificate in the CA file is a trust anchor, a root or
	 * not. No purpose is set, so none is checked here: "usage" does that. */
	X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN);
	if (!X509_STORE_CTX_init(ctx, store, sk_X509_value(certs, 0), extra))
		goto out;
	X509_STORE_CTX_set_time(ctx, 0, r->now);
	X509_STORE_CTX_set_verify_cb(ctx, verify_cb);
	if (X509_verify_cert(ctx) == 1) {
		chain = X509_STORE_CTX_get0_chain(ctx);
		dn(X509_get_subject_name(sk_X509_value(chain, sk_X509_num(chain) - 1)), subj,
		   sizeof(subj));
		rc = add(r, EI_TLS_OK, "chain", CA, "%s verifies %s (a chain of %d up to %s)",
			 r->label[CA], r->label[CERT], sk_X509_num(chain), subj);
		goto out;
	}
	e = X509_STORE_CTX_get_error(ctx);
	cur = X509_STORE_CTX_get_current_cert(ctx);
	if (!cur)
		cur = sk_X509_value(certs, 0);
	dn(X509_get_subject_name(cur), subj, sizeof(subj));
	dn(X509_get_issuer_name(cur), iss, sizeof(iss));
	chain_hint(r, e, iss, hint);
	rc = add(r, EI_TLS_FAIL, "chain", CA, "%s does not verify %s: %s (at %s, issued by %s); %s",
		 r->label[CA], r->label[CERT], X509_verify_cert_error_string(e), subj, iss, hint);
out:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	sk_X509_free(extra);
	return rc;
}

/* The DNS and IP subjectAltNames, "DNS:a, IP:b", or "" when there are none. */
static void san_list(X509 *x, char *dst)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	char ip[INET6_ADDRSTRLEN];

	dst[0] = '\0';
	for (int i = 0; gens && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const char *sep = dst[0] ? ", " : "";
		int len;

		if (g->type == GEN_DNS) {
			cat(dst, "%sDNS:%.*s", sep, ASN1_STRING_length(g->d.dNSName),
			    (const char *)ASN1_STRING_get0_data(g->d.dNSName));
		} else if (g->type == GEN_IPADD) {
			len = ASN1_STRING_length(g->d.iPAddress);
			if ((len == 4 || len == 16) &&
			    inet_ntop(len == 4 ? AF_INET : AF_INET6,
				      ASN1_STRING_get0_data(g->d.iPAddress), ip, sizeof(ip)))
				cat(dst, "%sIP:%s", sep, ip);
		}
	}
	GENERAL_NAMES_free(gens);
	ERR_clear_error();
}

static bool covers(X509 *leaf, const char *in)
{
	size_t len = strlen(in);
	unsigned char bin[16];
	char name[256];
	int hit;

	/* "[::1]" and "name." as Go's VerifyHostname takes them. */
	if (len >= 2 && in[0] == '[' && in[len - 1] == ']')
		snprintf(name, sizeof(name), "%.*s", (int)(len - 2), in + 1);
	else
		snprintf(name, sizeof(name), "%.*s", (int)(len - (len && in[len - 1] == '.')), in);
	/* Go matches SANs only (no CN fallback since 1.15), and a wildcard only as the
	 * whole leftmost label. */
	if (inet_pton(AF_INET, name, bin) == 1 || inet_pton(AF_INET6, name, bin) == 1)
		hit = X509_check_ip_asc(leaf, name, 0);
	else
		hit = X509_check_host(leaf, name, strlen(name),
				      X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS |
					  X509_CHECK_FLAG_NEVER_CHECK_SUBJECT,
				      NULL);
	ERR_clear_error();
	return hit == 1;
}

static int check_names(struct run *r, X509 *leaf)
{
	const struct ei_tls_pair *p = r->p;
	char missing[WHY_MAX] = "", all[WHY_MAX] = "", has[WHY_MAX], cn[128];

	for (size_t i = 0; i < p->n_names; i++) {
		cat(all, "%s%s", i ? ", " : "", p->names[i]);
		if (!covers(leaf, p->names[i]))
			cat(missing, "%s%s", missing[0] ? ", " : "", p->names[i]);
	}
	if (!missing[0])
		return add(r, EI_TLS_OK, "names", CERT,
			   "%s: the %s covers every name this member advertises (%s)",
			   r->label[CERT], r->what, all);
	san_list(leaf, has);
	if (!has[0]) {
		problem(has, "no DNS or IP subjectAltName");
		if (X509_NAME_get_text_by_NID(X509_get_subject_name(leaf), NID_commonName, cn,
					      sizeof(cn)) > 0)
			cat(has, "; its CN=%s is not used: etcd matches subjectAltNames only", cn);
		ERR_clear_error();
	}
	return add(r, EI_TLS_FAIL, "names", CERT,
		   "%s: the %s does not cover %s (it has %s); reissue it with every name this member advertises: %s",
		   r->label[CERT], r->what, missing, has, all);
}

static int check_usage(struct run *r, X509 *leaf)
{
	const struct ei_tls_pair *p = r->p;
	char has[WHY_MAX] = "", lacks[WHY_MAX] = "", need[64], txt[80];
	bool server = false, client = false, any = false;
	EXTENDED_KEY_USAGE *eku;
	int crit = -1, nid;

	eku = X509_get_ext_d2i(leaf, NID_ext_key_usage, &crit, NULL);
	ERR_clear_error();
	if (!eku && crit == -1)
		return add(r, EI_TLS_OK, "usage", CERT,
			   "%s: the %s has no extended key usage extension, which allows every usage (RFC 5280 4.2.1.12)",
			   r->label[CERT], r->what);
	if (!eku)
		return add(r, EI_TLS_FAIL, "usage", CERT,
			   "%s: the extended key usage of the %s cannot be read (%s); reissue it",
			   r->label[CERT], r->what, crit == -2 ? "it appears twice" : "malformed");
	for (int i = 0; i < sk_ASN1_OBJECT_num(eku); i++) {
		nid = OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, i));
		server |= nid == NID_server_auth;
		client |= nid == NID_client_auth;
		any |= nid == NID_anyExtendedKeyUsage;
		if (nid == NID_undef)
			OBJ_obj2txt(txt, sizeof(txt), sk_ASN1_OBJECT_value(eku, i), 1);
		cat(has, "%s%s", i ? ", " : "", nid == NID_undef ? txt : OBJ_nid2sn(nid));
	}
	sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
	if (p->need_server_auth && !server && !any)
		cat(lacks, "serverAuth%s%s", p->server_auth_why ? ", needed because " : "",
		    p->server_auth_why ? p->server_auth_why : "");
	if (p->need_client_auth && !client && !any)
		cat(lacks, "%sclientAuth%s%s", lacks[0] ? "; and " : "",
		    p->client_auth_why ? ", needed because " : "",
		    p->client_auth_why ? p->client_auth_why : "");
	snprintf(need, sizeof(need), "%s%s%s", p->need_server_auth ? "serverAuth" : "",
		 p->need_server_auth && p->need_client_auth ? " and " : "",
		 p->need_client_auth ? "clientAuth" : "");
	if (!lacks[0])
		return add(r, EI_TLS_OK, "usage", CERT,
			   "%s: the %s allows %s (extended key usage %s)", r->label[CERT], r->what,
			   need, has);
	return add(r, EI_TLS_FAIL, "usage", CERT,
		   "%s: the extended key usage of the %s (%s) lacks %s; reissue it with %s (or without that extension)",
		   r->label[CERT], r->what, has[0] ? has : "empty", lacks, need);
}

static int run_checks(struct run *r)
{
	const struct ei_tls_pair *p = r->p;
	X509 *leaf;
	int rc;

	for (enum role i = CERT; i <= CA; i++) {
		if (r->file[i] && (rc = load(r, i)) < 0)
			return rc;
	}
	/* Every other check reads the certificate; without it they would only repeat
	 * the "read" finding. */
	if (!r->ok[CERT])
		return 0;
	leaf = sk_X509_value(r->pem[CERT].certs, 0);
	if (r->ok[KEY] && (rc = check_key(r)) < 0)
		return rc;
	if ((rc = check_dates(r, leaf)) < 0)
		return rc;
	if (r->ok[CA] && (rc = check_chain(r)) < 0)
		return rc;
	if (p->n_names && (rc = check_names(r, leaf)) < 0)
		return rc;
	if (p->need_server_auth || p->need_client_auth)
		return check_usage(r, leaf);
	return 0;
}

int ei_tlscheck_pair(const struct ei_tls_pair *p, time_t now, unsigned warn_days,
		     struct ei_tls_report *out, struct ei_err *err)
{
	struct run r = {
	    .p = p,
	    .out = out,
	    .now = now,
	    .warn_days = warn_days,
	    .what = p->what ? p->what : "certificate",
	    .file = {p->cert_file, p->key_file, p->ca_file},
	    .setting = {p->cert_setting, p->key_setting, p->ca_setting},
	};
	int rc;

	if (!p->cert_file)
		return ei_err_set(err, EI_E_USAGE, "tlscheck: no certificate file to check");
	for (enum role i = CERT; i <= CA; i++) {
		if (r.setting[i] && r.setting[i][0])
			snprintf(r.label[i], LABEL_MAX, "%s %s", r.setting[i], r.file[i]);
		else
			snprintf(r.label[i], LABEL_MAX, "%s", r.file[i] ? r.file[i] : "");
	}
	rc = run_checks(&r);
	ERR_clear_error();
	for (enum role i = CERT; i <= CA; i++) {
		sk_X509_pop_free(r.pem[i].certs, X509_free);
		EVP_PKEY_free(r.pem[i].key);
	}
	if (rc < 0)
		return ei_err_set(err, EI_E_NOMEM, "out of memory checking %s", p->cert_file);
	return 0;
}

enum ei_tls_level ei_tls_report_worst(const struct ei_tls_report *r)
{
	enum ei_tls_level worst = EI_TLS_OK;

	for (size_t i = 0; r && i < r->n; i++) {
		if (r->findings[i].level > worst)
			worst = r->findings[i].level;
	}
	return worst;
}

void ei_tls_report_free(struct ei_tls_report *r)
{
	if (!r)
		return;
	free(r->findings);
	memset(r, 0, sizeof(*r));
}
