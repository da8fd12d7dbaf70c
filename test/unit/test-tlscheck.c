/* Unit tests for lib/tlscheck.c: certificates made here with the OpenSSL API (EC P-256,
 * a root CA, an intermediate, another CA, leaves with chosen names, usages and dates)
 * in a scratch directory, then one table row per case. The clock is fixed. */
#include "tlscheck.h"
#include "tap.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define DAY  86400L
/* 2026-01-01T00:00:00Z */
#define NOW ((time_t)1767225600)

static char tmp[64];

static const char *at(const char *rel)
{
	static char p[8][PATH_MAX];
	static int i;

	i = (i + 1) % 8;
	snprintf(p[i], sizeof(p[i]), "%s/%s", tmp, rel);
	return p[i];
}

/* ---- the certificate fixture ------------------------------------------- */

static void ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *e;

	X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
	e = X509V3_EXT_nconf_nid(NULL, &v3, nid, value);
	if (!e || !X509_add_ext(x, e, -1))
		printf("# cannot add extension %s=%s\n", OBJ_nid2sn(nid), value);
	X509_EXTENSION_free(e);
}

/* A certificate for key, valid from NOW+nb to NOW+na, signed by issuer (NULL: by
 * itself). san and eku may be NULL (no such extension). */
static X509 *issue(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
		   const char *san, const char *eku, bool ca, long nb, long na)
{
	static long serial = 1;
	X509 *x = X509_new();
	ASN1_TIME *t;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(issuer ? issuer : x));
	t = ASN1_TIME_set(NULL, NOW + nb);
	X509_set1_notBefore(x, t);
	ASN1_TIME_set(t, NOW + na);
	X509_set1_notAfter(x, t);
	ASN1_TIME_free(t);
	X509_set_pubkey(x, key);
	if (ca) {
		ext(x, issuer ? issuer : x, NID_basic_constraints, "critical,CA:TRUE");
		ext(x, issuer ? issuer : x, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		ext(x, issuer, NID_basic_constraints, "CA:FALSE");
		ext(x, issuer, NID_key_usage, "critical,digitalSignature");
	}
	if (san)
		ext(x, issuer ? issuer : x, NID_subject_alt_name, san);
	if (eku)
		ext(x, issuer ? issuer : x, NID_ext_key_usage, eku);
	if (!X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()))
		printf("# cannot sign %s\n", cn);
	return x;
}

static void write_pem(const char *rel, X509 *a, X509 *b, EVP_PKEY *key)
{
	FILE *f = fopen(at(rel), "w");

	if (!f) {
		printf("# cannot create %s: %s\n", at(rel), strerror(errno));
		return;
	}
	if (a)
		PEM_write_X509(f, a);
	if (b)
		PEM_write_X509(f, b);
	if (key)
		PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
	fclose(f);
}

static void write_text(const char *rel, const char *text)
{
	FILE *f = fopen(at(rel), "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

#define SANS "DNS:etcd-0.etcd.ns.svc.cluster.local,DNS:etcd-0.etcd,IP:10.0.0.1"
#define BOTH "serverAuth,clientAuth"
#define YEAR (365 * DAY)

static bool make_fixture(void)
{
	EVP_PKEY *ca_key = EVP_EC_gen("P-256"), *other_key = EVP_EC_gen("P-256");
	EVP_PKEY *int_key = EVP_EC_gen("P-256"), *leaf_key = EVP_EC_gen("P-256");
	EVP_PKEY *stray_key = EVP_EC_gen("P-256");
	X509 *ca, *other, *inter, *x, *y;
	FILE *f;
	BIO *b;

	if (!ca_key || !other_key || !int_key || !leaf_key || !stray_key)
		return false;
	ca = issue("etcd-ca", ca_key, NULL, NULL, NULL, NULL, true, -DAY, 10 * YEAR);
	other = issue("other-ca", other_key, NULL, NULL, NULL, NULL, true, -DAY, 10 * YEAR);
	inter = issue("etcd-intermediate", int_key, ca, ca_key, NULL, NULL, true, -DAY, 5 * YEAR);
	write_pem("ca.crt", ca, NULL, NULL);
	write_pem("other-ca.crt", other, NULL, NULL);
	write_pem("both-ca.crt", other, ca, NULL);
	write_pem("inter-ca.crt", inter, NULL, NULL);
	write_pem("leaf.key", NULL, NULL, leaf_key);
	write_pem("stray.key", NULL, NULL, stray_key);
	b = BIO_new_file(at("trad.key"), "w");
	PEM_write_bio_PrivateKey_traditional(b, leaf_key, NULL, NULL, 0, NULL, NULL);
	BIO_free(b);
	f = fopen(at("encrypted.key"), "w");
	PEM_write_PrivateKey(f, leaf_key, EVP_aes_256_cbc(), (unsigned char *)"secret", 6, NULL,
			     NULL);
	fclose(f);

#define LEAF(file, san, eku, nb, na)                                                               \
	do {                                                                                       \
		x = issue("etcd-0", leaf_key, ca, ca_key, san, eku, false, nb, na);                \
		write_pem(file, x, NULL, NULL);                                                    \
		X509_free(x);                                                                      \
	} while (0)
	LEAF("good.crt", SANS, BOTH, -DAY, YEAR);
	LEAF("expired.crt", SANS, BOTH, -YEAR, -2 * DAY);
	LEAF("future.crt", SANS, BOTH, DAY, YEAR);
	LEAF("soon.crt", SANS, BOTH, -YEAR, 10 * DAY);
	LEAF("few-sans.crt", "DNS:etcd-0.etcd.ns.svc,IP:10.0.0.1", BOTH, -DAY, YEAR);
	LEAF("ip.crt", "IP:10.0.0.1,IP:fd00::1", BOTH, -DAY, YEAR);
	LEAF("wild.crt", "DNS:*.etcd.ns.svc.cluster.local", BOTH, -DAY, YEAR);
	LEAF("partial-wild.crt", "DNS:etcd-*.etcd.ns.svc.cluster.local", BOTH, -DAY, YEAR);
	LEAF("cn-only.crt", NULL, BOTH, -DAY, YEAR);
	LEAF("server-only.crt", SANS, "serverAuth", -DAY, YEAR);
	LEAF("code-only.crt", SANS, "codeSigning", -DAY, YEAR);
	LEAF("any-eku.crt", SANS, "anyExtendedKeyUsage", -DAY, YEAR);
	LEAF("no-eku.crt", SANS, NULL, -DAY, YEAR);
#undef LEAF
	x = issue("etcd-0", leaf_key, other, other_key, SANS, BOTH, false, -DAY, YEAR);
	write_pem("by-other.crt", x, NULL, NULL);
	X509_free(x);
	x = issue("etcd-0", leaf_key, NULL, NULL, SANS, BOTH, false, -DAY, YEAR);
	write_pem("self.crt", x, NULL, NULL);
	X509_free(x);
	x = issue("etcd-0", leaf_key, inter, int_key, SANS, BOTH, false, -DAY, YEAR);
	write_pem("chain.crt", x, inter, NULL);
	write_pem("leaf-only.crt", x, NULL, NULL);
	write_pem("reversed.crt", inter, x, NULL);
	f = fopen(at("der.crt"), "w");
	i2d_X509_fp(f, x);
	fclose(f);
	X509_free(x);
	/* A CA of the same name with another key: a regenerated CA. */
	y = issue("etcd-ca", other_key, NULL, NULL, NULL, NULL, true, -DAY, 10 * YEAR);
	write_pem("regenerated-ca.crt", y, NULL, NULL);
	X509_free(y);
	/* An expired intermediate: the chain check reports it (not the leaf's dates). */
	y = issue("old-intermediate", int_key, ca, ca_key, NULL, NULL, true, -YEAR, -DAY);
	x = issue("etcd-0", leaf_key, y, int_key, SANS, BOTH, false, -DAY, YEAR);
	write_pem("old-chain.crt", x, y, NULL);
	X509_free(x);
	X509_free(y);

	write_text("garbage.crt", "this is not a certificate\n");
	write_text("empty.crt", "");
	write_text("cut.crt", "-----BEGIN CERTIFICATE-----\nMIIB\n");
	write_text("bad-b64.crt", "-----BEGIN CERTIFICATE-----\nMIIBbad!!\n"
				  "-----END CERTIFICATE-----\n");
	mkdir(at("dir"), 0755);

	X509_free(ca);
	X509_free(other);
	X509_free(inter);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(other_key);
	EVP_PKEY_free(int_key);
	EVP_PKEY_free(leaf_key);
	EVP_PKEY_free(stray_key);
	return true;
}

/* ---- the table --------------------------------------------------------- */

#define ABSENT	   (-1)
#define CERT_S	   "ETCD_PEER_CERT_FILE"
#define KEY_S	   "ETCD_PEER_KEY_FILE"
#define CA_S	   "ETCD_PEER_TRUSTED_CA_FILE"
#define CLIENT_WHY "etcd peers dial each other with the peer certificate"

struct want {
	const char *check;  /* NULL ends the list */
	const char *file;   /* for "read": which file (relative); NULL: the first one */
	int level;	    /* enum ei_tls_level, or ABSENT */
	const char *has[3]; /* substrings of the message */
};

/* Which names the pair must cover. */
enum names { DEFAULT_NAMES, NO_NAMES, OTHER_NAMES, IP_NAMES, WILD_NAMES };

struct row {
	const char *name;
	const char *cert, *key, *ca; /* relative to tmp; key/ca NULL: not checked */
	enum names names;
	bool no_client; /* only serverAuth required */
	unsigned warn_days;
	int worst;
	struct want want[4];
};

static const char *const names[][4] = {
    [DEFAULT_NAMES] = {"etcd-0.etcd.ns.svc.cluster.local", "etcd-0.etcd", "10.0.0.1"},
    [OTHER_NAMES] = {"etcd-0.etcd.ns.svc.cluster.local", "[fd00::1]", "10.0.0.2",
		     "a.b.etcd.ns.svc.cluster.local"},
    [IP_NAMES] = {"10.0.0.1", "fd00::1"},
    [WILD_NAMES] = {"etcd-0.etcd.ns.svc.cluster.local", "etcd-1.etcd.ns.svc.cluster.local."},
};
static const size_t n_names[] = {3, 0, 4, 2, 2};

#define D DEFAULT_NAMES
#define F EI_TLS_FAIL
#define W EI_TLS_WARN
#define O EI_TLS_OK

/* One case a row, its expectations below it; aligned by hand. */
/* clang-format off */
static const struct row rows[] = {
	{ "good pair", "good.crt", "leaf.key", "ca.crt", D, false, 30, O,
	  { { "read", "good.crt", O, { "CN=etcd-0" } }, { "key", NULL, O, { 0 } },
	    { "dates", NULL, O, { "2027-01-01T00:00:00Z", "365 days left" } },
	    { "usage", NULL, O, { "serverAuth and clientAuth" } } } },
	{ "missing cert file", "absent.crt", "leaf.key", "ca.crt", D, false, 30, F,
	  { { "read", "absent.crt", F, { "No such file or directory", "mounted" } },
	    { "dates", NULL, ABSENT, { 0 } }, { "key", NULL, ABSENT, { 0 } },
	    { "read", "leaf.key", O, { "EC" } } } },
	{ "cert path is a directory", "dir", NULL, NULL, D, false, 30, F,
	  { { "read", NULL, F, { "a directory" } }, { "names", NULL, ABSENT, { 0 } } } },
	{ "missing key file", "good.crt", "absent.key", "ca.crt", D, false, 30, F,
	  { { "read", "absent.key", F, { "No such file", KEY_S } },
	    { "key", NULL, ABSENT, { 0 } }, { "chain", NULL, O, { 0 } } } },
	{ "missing CA file", "good.crt", "leaf.key", "absent-ca.crt", D, false, 30, F,
	  { { "read", "absent-ca.crt", F, { "No such file" } },
	    { "chain", NULL, ABSENT, { 0 } }, { "names", NULL, O, { 0 } } } },
	{ "garbage cert", "garbage.crt", "leaf.key", "ca.crt", D, false, 30, F,
	  { { "read", "garbage.crt", F, { "not PEM" } }, { "dates", NULL, ABSENT, { 0 } } } },
	{ "empty cert", "empty.crt", NULL, NULL, D, false, 30, F,
	  { { "read", NULL, F, { "is empty" } } } },
	{ "DER cert", "der.crt", NULL, NULL, D, false, 30, F,
	  { { "read", NULL, F, { "DER", "PEM" } } } },
	{ "cert cut short", "cut.crt", NULL, NULL, D, false, 30, F,
	  { { "read", NULL, F, { "cannot be decoded" } } } },
	{ "cert with bad base64", "bad-b64.crt", NULL, NULL, D, false, 30, F,
	  { { "read", NULL, F, { "PEM block 1" } } } },
	{ "garbage key", "good.crt", "garbage.crt", "ca.crt", D, false, 30, F,
	  { { "read", "garbage.crt", F, { "not PEM", KEY_S } },
	    { "key", NULL, ABSENT, { 0 } }, { "dates", NULL, O, { 0 } } } },
	{ "cert and key swapped", "leaf.key", "good.crt", NULL, D, false, 30, F,
	  { { "read", "leaf.key", F, { "swapped", CERT_S, KEY_S } },
	    { "read", "good.crt", F, { "swapped" } } } },
	{ "encrypted key", "good.crt", "encrypted.key", NULL, D, false, 30, F,
	  { { "read", "encrypted.key", F, { "encrypted" } } } },
	{ "traditional EC key", "good.crt", "trad.key", NULL, D, false, 30, O,
	  { { "key", NULL, O, { 0 } } } },
	{ "mismatched key", "good.crt", "stray.key", "ca.crt", D, false, 30, F,
	  { { "key", NULL, F, { "does not belong to " CERT_S, "the public keys differ", "stray.key" } },
	    { "chain", NULL, O, { 0 } } } },
	{ "intermediate before leaf", "reversed.crt", "leaf.key", "ca.crt", D, false, 30, F,
	  { { "key", NULL, F, { "certificate 2", "leaf certificate first" } } } },
	{ "expired", "expired.crt", "leaf.key", "ca.crt", D, false, 30, F,
	  { { "dates", NULL, F, { "expired on 2025-12-30T00:00:00Z", "2 days ago" } },
	    { "chain", NULL, O, { 0 } } } },
	{ "not yet valid", "future.crt", "leaf.key", "ca.crt", D, false, 30, F,
	  { { "dates", NULL, F, { "not valid before 2026-01-02T00:00:00Z", "clock" } },
	    { "chain", NULL, O, { 0 } } } },
	{ "expires in 10 days, window 30", "soon.crt", "leaf.key", "ca.crt", D, false, 30, W,
	  { { "dates", NULL, W, { "2026-01-11T00:00:00Z", "in 10 days" } } } },
	{ "expires in 10 days, window 5", "soon.crt", "leaf.key", "ca.crt", D, false, 5, O,
	  { { "dates", NULL, O, { "10 days left" } } } },
	{ "expires in 10 days, no window", "soon.crt", NULL, NULL, D, false, 0, O,
	  { { "dates", NULL, O, { 0 } } } },
	{ "issued by another CA", "by-other.crt", "leaf.key", "ca.crt", D, false, 30, F,
	  { { "chain", NULL, F, { "does not verify " CERT_S, "unable to get local issuer certificate",
				  "CN=other-ca" } } } },
	{ "CA file with two CAs", "by-other.crt", "leaf.key", "both-ca.crt", D, false, 30, O,
	  { { "chain", NULL, O, { 0 } }, { "read", "both-ca.crt", O, { "2 CA certificates" } } } },
	{ "regenerated CA", "good.crt", "leaf.key", "regenerated-ca.crt", D, false, 30, F,
	  { { "chain", NULL, F, { "signature", "did not sign" } } } },
	{ "self-signed leaf", "self.crt", "leaf.key", "ca.crt", D, false, 30, F,
	  { { "chain", NULL, F, { "self-signed certificate" } } } },
	{ "intermediate in cert file", "chain.crt", "leaf.key", "ca.crt", D, false, 30, O,
	  { { "chain", NULL, O, { "chain of 3" } },
	    { "read", "chain.crt", O, { "1 certificate of its chain" } } } },
	{ "intermediate missing", "leaf-only.crt", "leaf.key", "ca.crt", D, false, 30, F,
	  { { "chain", NULL, F, { "CN=etcd-intermediate", "intermediate" } } } },
	{ "CA file holds the intermediate only", "leaf-only.crt", "leaf.key", "inter-ca.crt", D,
	  false, 30, O, { { "chain", NULL, O, { 0 } } } },
	{ "expired intermediate", "old-chain.crt", "leaf.key", "ca.crt", D, false, 30, F,
	  { { "chain", NULL, F, { "expired", "CN=old-intermediate" } },
	    { "dates", NULL, O, { 0 } } } },
	{ "missing SAN", "few-sans.crt", "leaf.key", "ca.crt", D, false, 30, F,
	  { { "names", NULL, F,
	      { "does not cover etcd-0.etcd.ns.svc.cluster.local, etcd-0.etcd (it has "
		"DNS:etcd-0.etcd.ns.svc, IP:10.0.0.1)",
		"every name this member advertises: etcd-0.etcd.ns.svc.cluster.local, "
		"etcd-0.etcd, 10.0.0.1", "peer certificate" } } } },
	{ "no names asked", "few-sans.crt", "leaf.key", "ca.crt", NO_NAMES, false, 30, O,
	  { { "names", NULL, ABSENT, { 0 } } } },
	{ "CN only, no SAN", "cn-only.crt", NULL, NULL, D, false, 30, F,
	  { { "names", NULL, F, { "no DNS or IP subjectAltName", "CN=etcd-0" } } } },
	{ "IP SANs", "ip.crt", NULL, NULL, OTHER_NAMES, false, 30, F,
	  { { "names", NULL, F, { "does not cover etcd-0.etcd.ns.svc.cluster.local, 10.0.0.2, a.b.etcd",
				  "IP:10.0.0.1, IP:fd00::1)" } } } },
	{ "IP SAN covers an IP", "ip.crt", NULL, NULL, IP_NAMES, false, 30, O,
	  { { "names", NULL, O, { "10.0.0.1" } } } },
	{ "wildcard SAN covers the FQDN", "wild.crt", NULL, NULL, WILD_NAMES, false, 30, O,
	  { { "names", NULL, O, { 0 } } } },
	{ "wildcard SAN covers one label only", "wild.crt", NULL, NULL, OTHER_NAMES, false, 30, F,
	  { { "names", NULL, F, { "cover [fd00::1], 10.0.0.2, a.b.etcd.ns.svc.cluster.local (" } } } },
	{ "partial wildcard not accepted", "partial-wild.crt", NULL, NULL, WILD_NAMES, false, 30, F,
	  { { "names", NULL, F, { "etcd-0.etcd.ns.svc.cluster.local" } } } },
	{ "EKU serverAuth only, clientAuth required", "server-only.crt", "leaf.key", "ca.crt", D,
	  false, 30, F,
	  { { "usage", NULL, F, { "(serverAuth) lacks clientAuth", CLIENT_WHY,
				  "reissue it with serverAuth and clientAuth" } } } },
	{ "EKU serverAuth only, serverAuth required", "server-only.crt", NULL, NULL, D, true, 30, O,
	  { { "usage", NULL, O, { 0 } } } },
	{ "EKU codeSigning only", "code-only.crt", NULL, NULL, D, false, 30, F,
	  { { "usage", NULL, F, { "lacks serverAuth, needed because etcd serves",
				  "; and clientAuth" } } } },
	{ "anyExtendedKeyUsage", "any-eku.crt", NULL, NULL, D, false, 30, O,
	  { { "usage", NULL, O, { 0 } } } },
	{ "no EKU extension", "no-eku.crt", "leaf.key", "ca.crt", D, false, 30, O,
	  { { "usage", NULL, O, { "RFC 5280" } } } },
};
/* clang-format on */

#undef D
#undef F
#undef W
#undef O

static const struct ei_tls_finding *find(const struct ei_tls_report *rep, const struct want *w)
{
	for (size_t i = 0; i < rep->n; i++) {
		if (strcmp(rep->findings[i].check, w->check) != 0)
			continue;
		if (w->file && strcmp(rep->findings[i].file, at(w->file)) != 0)
			continue;
		return &rep->findings[i];
	}
	return NULL;
}

static void run_row(const struct row *row)
{
	struct ei_tls_pair p = {
	    .what = "peer certificate",
	    .cert_file = at(row->cert),
	    .cert_setting = CERT_S,
	    .key_file = row->key ? at(row->key) : NULL,
	    .key_setting = KEY_S,
	    .ca_file = row->ca ? at(row->ca) : NULL,
	    .ca_setting = CA_S,
	    .names = names[row->names],
	    .n_names = n_names[row->names],
	    .need_server_auth = true,
	    .need_client_auth = !row->no_client,
	    .server_auth_why = "etcd serves its peers with the peer certificate",
	    .client_auth_why = CLIENT_WHY,
	};
	struct ei_tls_report rep = {0};
	struct ei_err err = {0};
	int rc;

	rc = ei_tlscheck_pair(&p, NOW, row->warn_days, &rep, &err);
	for (size_t i = 0; i < rep.n; i++)
		printf("#   %-5s %-5s %s\n", ei_tls_level_name(rep.findings[i].level),
		       rep.findings[i].check, rep.findings[i].message);
	/* ...and leaves the thread's OpenSSL error queue empty. */
	tap_ok(rc == 0 && (int)ei_tls_report_worst(&rep) == row->worst && ERR_peek_error() == 0,
	       "%s: worst is %s", row->name, ei_tls_level_name((enum ei_tls_level)row->worst));
	for (const struct want *w = row->want; w < row->want + N(row->want) && w->check; w++) {
		const struct ei_tls_finding *f = find(&rep, w);
		bool ok;

		if (w->level == ABSENT) {
			tap_ok(!f, "%s: no %s finding", row->name, w->check);
			continue;
		}
		ok = f && (int)f->level == w->level;
		/* A problem names its file and the setting it came from. */
		if (ok && f->level != EI_TLS_OK)
			ok = strstr(f->message, f->file) && f->setting[0] &&
			     strstr(f->message, f->setting);
		for (size_t j = 0; ok && j < N(w->has) && w->has[j]; j++) {
			ok = strstr(f->message, w->has[j]) != NULL;
			if (!ok)
				printf("#   missing \"%s\"\n", w->has[j]);
		}
		tap_ok(ok, "%s: %s%s%s is %s", row->name, w->check, w->file ? " " : "",
		       w->file ? w->file : "", ei_tls_level_name((enum ei_tls_level)w->level));
	}
	ei_tls_report_free(&rep);
}

/* The good pair: every check is made, and made once. */
static void test_all_checks(void)
{
	static const char *const checks[] = {"read",  "read",  "read",	"key",
					     "dates", "chain", "names", "usage"};
	struct ei_tls_pair p = {
	    .cert_file = at("good.crt"),
	    .key_file = at("leaf.key"),
	    .ca_file = at("ca.crt"),
	    .names = names[DEFAULT_NAMES],
	    .n_names = n_names[DEFAULT_NAMES],
	    .need_server_auth = true,
	};
	struct ei_tls_report rep = {0};
	struct ei_err err = {0};
	bool ok;
	int rc;

	rc = ei_tlscheck_pair(&p, NOW, EI_TLS_WARN_DAYS_DEFAULT, &rep, &err);
	ok = rc == 0 && rep.n == N(checks);
	for (size_t i = 0; ok && i < rep.n; i++)
		ok = strcmp(rep.findings[i].check, checks[i]) == 0 &&
		     rep.findings[i].level == EI_TLS_OK;
	tap_ok(ok, "good pair: read x3, key, dates, chain, names, usage, all ok");
	/* Without settings the messages start with the path. */
	tap_ok(rep.n &&
		   strncmp(rep.findings[0].message, at("good.crt"), strlen(at("good.crt"))) == 0,
	       "no setting: the message starts with the path");
	ei_tls_report_free(&rep);
	tap_ok(rep.findings == NULL && rep.n == 0, "report_free zeroes the report");

	p.cert_file = NULL;
	rc = ei_tlscheck_pair(&p, NOW, 30, &rep, &err);
	tap_ok(rc == EI_E_USAGE && rep.n == 0, "no cert file is a usage error");
	tap_ok(ei_tls_report_worst(&rep) == EI_TLS_OK, "an empty report is ok");
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

int main(void)
{
	tap_init();
	snprintf(tmp, sizeof(tmp), "/tmp/ei-test-tlscheck.XXXXXX");
	if (!mkdtemp(tmp)) {
		tap_ok(0, "mkdtemp: %s", strerror(errno));
		return tap_done();
	}
	if (!make_fixture()) {
		tap_ok(0, "make the certificates");
	} else {
		for (size_t i = 0; i < N(rows); i++)
			run_row(&rows[i]);
		test_all_checks();
	}
	nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return tap_done();
}
