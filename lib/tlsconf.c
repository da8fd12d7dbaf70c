/* tlsconf.c - where the certificates come from (see tlsconf.h). */
#include "tlsconf.h"

#include <stdio.h>
#include <string.h>

#include "settings.h" /* ei_env_get */

const char *ei_tlsconf_arg_value(char *const *args, size_t n, const char *flag, bool bool_flag)
{
	size_t len = strlen(flag);

	for (size_t i = 0; i < n; i++) {
		const char *a = args[i];

		if (a[0] != '-')
			continue;
		a += a[1] == '-' ? 2 : 1;
		if (strncmp(a, flag, len) != 0)
			continue;
		if (a[len] == '=')
			return a + len + 1;
		if (a[len] != '\0')
			continue;
		/* Go's flag package: a bare boolean flag is true; any other takes the next
		 * argument as its value. */
		if (bool_flag)
			return "true";
		return i + 1 < n ? args[i + 1] : NULL;
	}
	return NULL;
}

bool ei_tlsconf_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True" };
	static const char *const no[] = { "0", "f", "F", "FALSE", "false", "False" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(s, yes[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcmp(s, no[i]) == 0) {
			*out = false;
			return true;
		}
	}
	return false;
}

/* One etcd setting, from the environment or from after "--" (never both: the
 * overrides check refuses that before this matters). */
struct setting {
	const char *value, *from;
	char from_buf[64];
};

static void etcd_setting(struct setting *s, char **envp, char *const *args, size_t n,
			 const char *flag, bool bool_flag)
{
	char env[64];
	size_t i = 0;

	i = (size_t)snprintf(env, sizeof(env), "ETCD_");
	for (const char *f = flag; *f && i + 1 < sizeof(env); f++)
		env[i++] = *f == '-' ? '_' : (char)(*f >= 'a' && *f <= 'z' ? *f - 'a' + 'A' : *f);
	env[i] = '\0';
	s->value = ei_tlsconf_arg_value(args, n, flag, bool_flag);
	if (s->value) {
		snprintf(s->from_buf, sizeof(s->from_buf), "--%s after --", flag);
	} else {
		s->value = ei_env_get(envp, env);
		snprintf(s->from_buf, sizeof(s->from_buf), "%s", env);
	}
	if (s->value && !*s->value)
		s->value = NULL; /* etcd ignores empty values too */
	s->from = s->from_buf;
}

static int copy_path(char *dst, const char **dst_from, const char *value, const char *from,
		     struct ei_err *err)
{
	if (strlen(value) >= PATH_MAX)
		return ei_err_set(err, EI_E_USAGE, "%s: the path is too long", from);
	strcpy(dst, value);
	*dst_from = from;
	return 0;
}

/* A source name that outlives the call: the static strings of the table below. */
struct side_names {
	const char *cert, *key, *ca, *auth;
	const char *cert_env, *key_env, *ca_env, *auth_env;
	const char *cert_arg, *key_arg, *ca_arg, *auth_arg;
};

static const struct side_names client_names = {
	"cert-file", "key-file", "trusted-ca-file", "client-cert-auth",
	"ETCD_CERT_FILE", "ETCD_KEY_FILE", "ETCD_TRUSTED_CA_FILE", "ETCD_CLIENT_CERT_AUTH",
	"--cert-file after --", "--key-file after --", "--trusted-ca-file after --",
	"--client-cert-auth after --",
};

static const struct side_names peer_names = {
	"peer-cert-file", "peer-key-file", "peer-trusted-ca-file", "peer-client-cert-auth",
	"ETCD_PEER_CERT_FILE", "ETCD_PEER_KEY_FILE", "ETCD_PEER_TRUSTED_CA_FILE",
	"ETCD_PEER_CLIENT_CERT_AUTH", "--peer-cert-file after --", "--peer-key-file after --",
	"--peer-trusted-ca-file after --", "--peer-client-cert-auth after --",
};

static const char *static_from(const struct setting *s, const char *env, const char *arg)
{
	return strncmp(s->from, "--", 2) == 0 ? arg : env;
}

/* One side (client or peer): certificate, key, CA and whether client certificates
 * are required there. */
static int read_side(struct ei_tls_files *files, bool *tls, bool *cert_auth,
		     const struct side_names *nm, char **envp, char *const *args, size_t n,
		     struct ei_err *err)
{
	struct setting cert, key, ca, auth;
	int r;

	etcd_setting(&cert, envp, args, n, nm->cert, false);
	etcd_setting(&key, envp, args, n, nm->key, false);
	etcd_setting(&ca, envp, args, n, nm->ca, false);
	etcd_setting(&auth, envp, args, n, nm->auth, true);
	if (!!cert.value != !!key.value)
		return ei_err_set(err, EI_E_USAGE,
				  "%s is set but %s is not: a certificate needs its key (set both, or neither for plain http)",
				  cert.value ? cert.from : key.from, cert.value ? key.from : cert.from);
	*tls = cert.value != NULL;
	if (*tls) {
		r = copy_path(files->cert, &files->cert_from, cert.value,
			      static_from(&cert, nm->cert_env, nm->cert_arg), err);
		if (!r)
			r = copy_path(files->key, &files->key_from, key.value,
				      static_from(&key, nm->key_env, nm->key_arg), err);
		if (r < 0)
			return r;
	}
	if (ca.value) {
		r = copy_path(files->ca, &files->ca_from, ca.value,
			      static_from(&ca, nm->ca_env, nm->ca_arg), err);
		if (r < 0)
			return r;
	}
	*cert_auth = false;
	if (auth.value && !ei_tlsconf_parse_bool(auth.value, cert_auth))
		return ei_err_set(err, EI_E_USAGE, "%s: \"%s\" is not a boolean (expected true or false)",
				  auth.from, auth.value);
	if (*cert_auth && !*tls)
		return ei_err_set(err, EI_E_USAGE,
				  "%s is true but %s is not set: client certificates need TLS (set the certificate and key, or drop it)",
				  static_from(&auth, nm->auth_env, nm->auth_arg), nm->cert_env);
	if (*cert_auth && !files->ca[0])
		return ei_err_set(err, EI_E_USAGE,
				  "%s is true but %s is not set: etcd needs the CA that signs the client certificates",
				  static_from(&auth, nm->auth_env, nm->auth_arg), nm->ca_env);
	return 0;
}

/* etcd-init's client identity towards the client port: ETCDCTL_*, else the server's. */
static int read_launcher(struct ei_tls_conf *t, char **envp, struct ei_err *err)
{
	const char *ca = ei_env_get(envp, "ETCDCTL_CACERT");
	const char *cert = ei_env_get(envp, "ETCDCTL_CERT");
	const char *key = ei_env_get(envp, "ETCDCTL_KEY");
	int r = 0;

	if (ca && !*ca)
		ca = NULL;
	if (cert && !*cert)
		cert = NULL;
	if (key && !*key)
		key = NULL;
	if (!!cert != !!key)
		return ei_err_set(err, EI_E_USAGE,
				  "%s is set but %s is not: a client certificate needs its key",
				  cert ? "ETCDCTL_CERT" : "ETCDCTL_KEY", cert ? "ETCDCTL_KEY" : "ETCDCTL_CERT");
	if (!t->client_tls)
		return 0;
	if (ca)
		r = copy_path(t->launcher.ca, &t->launcher.ca_from, ca, "ETCDCTL_CACERT", err);
	else if (t->server.ca[0])
		r = copy_path(t->launcher.ca, &t->launcher.ca_from, t->server.ca, t->server.ca_from, err);
	else
		return ei_err_set(err, EI_E_USAGE,
				  "client TLS is on (%s) but no CA to verify the members with: set ETCDCTL_CACERT or ETCD_TRUSTED_CA_FILE (verification cannot be turned off)",
				  t->server.cert_from);
	if (r < 0)
		return r;
	if (cert) {
		r = copy_path(t->launcher.cert, &t->launcher.cert_from, cert, "ETCDCTL_CERT", err);
		if (!r)
			r = copy_path(t->launcher.key, &t->launcher.key_from, key, "ETCDCTL_KEY", err);
	} else {
		r = copy_path(t->launcher.cert, &t->launcher.cert_from, t->server.cert,
			      t->server.cert_from, err);
		if (!r)
			r = copy_path(t->launcher.key, &t->launcher.key_from, t->server.key,
				      t->server.key_from, err);
	}
	return r;
}

int ei_tlsconf_read(struct ei_tls_conf *t, char **envp, char *const *etcd_args, size_t n_args,
		    const char *uri_scheme, struct ei_err *err)
{
	static const char *const no_verify[] = { "auto-tls", "peer-auto-tls" };
	const char *skip;
	bool b;
	int r;

	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < sizeof(no_verify) / sizeof(no_verify[0]); i++) {
		struct setting s;

		etcd_setting(&s, envp, etcd_args, n_args, no_verify[i], true);
		if (s.value && (!ei_tlsconf_parse_bool(s.value, &b) || b))
			return ei_err_set(err, EI_E_USAGE,
					  "%s: self-signed certificates that nothing can verify are not supported; give etcd certificates from a CA (%s)",
					  s.from, i ? "ETCD_PEER_CERT_FILE, ETCD_PEER_KEY_FILE, ETCD_PEER_TRUSTED_CA_FILE"
						    : "ETCD_CERT_FILE, ETCD_KEY_FILE, ETCD_TRUSTED_CA_FILE");
	}
	skip = ei_env_get(envp, "ETCDCTL_INSECURE_SKIP_TLS_VERIFY");
	if (skip && *skip && (!ei_tlsconf_parse_bool(skip, &b) || b))
		return ei_err_set(err, EI_E_USAGE,
				  "ETCDCTL_INSECURE_SKIP_TLS_VERIFY=%s: etcd-init always verifies the members' certificates; unset it and set ETCDCTL_CACERT",
				  skip);
	r = read_side(&t->server, &t->client_tls, &t->client_cert_auth, &client_names, envp,
		      etcd_args, n_args, err);
	if (!r)
		r = read_side(&t->peer, &t->peer_tls, &t->peer_cert_auth, &peer_names, envp, etcd_args,
			      n_args, err);
	if (!r)
		r = read_launcher(t, envp, err);
	if (r < 0)
		return r;
	/* The status handshake requires a client certificate signed by the peer CA, and
	 * the launcher verifies its peers with it. */
	if (t->peer_tls && !t->peer.ca[0])
		return ei_err_set(err, EI_E_USAGE,
				  "peer TLS is on (%s) but ETCD_PEER_TRUSTED_CA_FILE is not set: the peers verify each other with it (verification cannot be turned off)",
				  t->peer.cert_from);
	if (uri_scheme && strcmp(uri_scheme, "https") == 0 && !t->client_tls && !t->peer_tls)
		return ei_err_set(err, EI_E_USAGE,
				  "--scheme/URI_SCHEME is https but no certificate is set: set ETCD_CERT_FILE and ETCD_KEY_FILE (client TLS) and/or ETCD_PEER_CERT_FILE and ETCD_PEER_KEY_FILE (peer TLS), with their CAs");
	if (uri_scheme && strcmp(uri_scheme, "http") == 0 && (t->client_tls || t->peer_tls))
		return ei_err_set(err, EI_E_USAGE,
				  "--scheme/URI_SCHEME is http but %s is set: set URI_SCHEME=https (each side's scheme follows its certificates) or remove the certificates",
				  t->client_tls ? t->server.cert_from : t->peer.cert_from);
	return 0;
}
