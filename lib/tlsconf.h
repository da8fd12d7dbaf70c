/* tlsconf.h - where the certificates come from (pure).
 *
 * TLS is configured the way etcd itself is: etcd's variables ETCD_CERT_FILE,
 * ETCD_KEY_FILE, ETCD_TRUSTED_CA_FILE, ETCD_CLIENT_CERT_AUTH and their ETCD_PEER_*
 * twins, or the same settings as etcd flags after "--". etcd-init reads them and
 * leaves them where they are, so etcd receives each exactly once (etcd >= 3.4 exits
 * on a setting given twice: etcd's pkg/flags/flag.go verifyEnv).
 *
 * Each side's scheme follows its certificates: client URLs are https when a server
 * certificate is set, peer URLs when a peer certificate is set (client TLS only, peer
 * TLS only, or both). URI_SCHEME (the official manifest's variable) must agree:
 * "https" with no certificate at all, or "http" with one, is a configuration error.
 *
 * etcd-init's own client identity towards the client port is etcdctl's
 * ETCDCTL_CACERT, ETCDCTL_CERT, ETCDCTL_KEY (as in the official manifest), falling
 * back to the server CA, certificate and key; towards the peer port (the peer API
 * and the status handshake) it is the peer certificate and CA. Verification cannot
 * be turned off: a TLS side without a CA to verify it with, --auto-tls and
 * ETCDCTL_INSECURE_SKIP_TLS_VERIFY are refused. */
#ifndef EI_TLSCONF_H
#define EI_TLSCONF_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/* A certificate, its key and the CA that verifies the other end; "" when unset.
 * *_from say where each came from ("ETCD_CERT_FILE", "--cert-file after --",
 * "ETCDCTL_CERT"), for messages; static strings. */
struct ei_tls_files {
	char cert[PATH_MAX], key[PATH_MAX], ca[PATH_MAX];
	const char *cert_from, *key_from, *ca_from;
};

struct ei_tls_conf {
	bool client_tls, peer_tls;            /* https on the client / peer port */
	bool client_cert_auth, peer_cert_auth; /* etcd requires client certificates there */
	struct ei_tls_files server;   /* etcd's --cert-file, --key-file, --trusted-ca-file */
	struct ei_tls_files peer;     /* --peer-cert-file, --peer-key-file, --peer-trusted-ca-file */
	struct ei_tls_files launcher; /* etcd-init towards the client port: ETCDCTL_*, else server */
};

/* Read the settings from envp and the etcd arguments after "--" (uri_scheme: the
 * value of --scheme/URI_SCHEME, NULL when unset). Returns 0, or EI_E_USAGE with err
 * naming the setting and what is expected. */
int ei_tlsconf_read(struct ei_tls_conf *t, char **envp, char *const *etcd_args, size_t n_args,
		    const char *uri_scheme, struct ei_err *err);

/* The value of etcd flag `flag` ("cert-file") in the arguments after "--", in Go's
 * flag syntax: -flag=v, --flag=v, or -flag v / --flag v (bool_flag: only the first
 * two, and a bare -flag means "true"). NULL when absent. */
const char *ei_tlsconf_arg_value(char *const *args, size_t n, const char *flag, bool bool_flag);

/* strconv.ParseBool, which etcd uses for its boolean variables. */
bool ei_tlsconf_parse_bool(const char *s, bool *out);

#endif
