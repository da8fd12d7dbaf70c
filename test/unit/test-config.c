/* Unit tests for lib/config.c and lib/settings.c: flags, environment fallbacks,
 * defaults, validation, commands. One table of cases: the arguments, the
 * environment, and the result expected (the message's fragments, or the fields). */
#include "config.h"
#include "tap.h"

#include <stdlib.h>

#define MAX_ARGS 16

struct config_case {
	const char *what;
	const char *argv[MAX_ARGS]; /* after "etcd-init" */
	const char *env[MAX_ARGS];
	const char *resolv, *sa_ns; /* the files' contents; NULL: missing */
	int rc;
	const char *msg[5];         /* fragments of the error message (rc != 0) */
	const char *secret;         /* never in the message */
	/* rc 0: "field=value" (equal) or "field~fragment" (contained), see field_text. */
	const char *expect[17];
};

static const char k8s_resolv[] = "nameserver 10.96.0.10\n"
				 "search prod.svc.example.org svc.example.org example.org\n"
				 "options ndots:5\n";

/* The environment of a pod configured through its variables. */
#define POD_ENV                                                                            \
	"HOSTNAME=etcd-2", "SERVICE_NAME=etcd-headless", "K8S_NAMESPACE=team-a",           \
		"CLUSTER_DOMAIN=corp.local", "INITIAL_CLUSTER_SIZE=5",                      \
		"ETCD_DATA_DIR=/var/lib/etcd", "URI_SCHEME=https",                          \
		"ETCD_INITIAL_CLUSTER_TOKEN=tok", "ETCD_PEER_CERT_FILE=/tls/peer.crt",      \
		"ETCD_PEER_KEY_FILE=/tls/peer.key", "ETCD_PEER_TRUSTED_CA_FILE=/tls/ca.crt"
#define SERVER_TLS "ETCD_CERT_FILE=/t/s.crt", "ETCD_KEY_FILE=/t/s.key"

static const struct config_case cases[] = {
	/* Defaults. */
	{ "minimal", { "--name", "etcd-1" }, .expect = {
		"set=etcd", "ordinal=1", "service=etcd", "ns=default", "domain=cluster.local",
		"initial_cluster_size=3", "data_dir=/data", "wal_dir=", "client_scheme=http",
		"peer_scheme=http", "client_port=2379", "peer_port=2380", "metrics_port=8080",
		"token=etcd-default", "wait_timeout_s=600", "command=run" } },
	{ "gethostname is used and validated", { NULL }, .rc = EI_E_USAGE, .msg = { "laptop" } },
	/* Environment, and the flag wins. */
	{ "everything from the environment", { NULL }, { POD_ENV }, .expect = {
		"name=etcd-2", "service=etcd-headless", "ns=team-a", "domain=corp.local",
		"initial_cluster_size=5", "data_dir=/var/lib/etcd", "peer_scheme=https",
		"client_scheme=http", "token=tok" } },
	{ "flags and environment",
	  { "--name", "etcd-4", "--namespace", "flagged", "--initial-cluster-size", "1" },
	  { POD_ENV }, .expect = { "name=etcd-4", "ns=flagged", "initial_cluster_size=1" } },
	{ "--scheme http beats URI_SCHEME and contradicts the certificates", { "--scheme", "http" },
	  { POD_ENV }, .rc = EI_E_USAGE, .msg = { "URI_SCHEME is http but ETCD_PEER_CERT_FILE" } },
	{ "POD_NAMESPACE is a fallback", { NULL }, { "HOSTNAME=etcd-0", "POD_NAMESPACE=from-pod" },
	  .expect = { "ns=from-pod", "namespace_source=env POD_NAMESPACE" } },
	{ "K8S_NAMESPACE before POD_NAMESPACE", { NULL },
	  { "HOSTNAME=etcd-0", "POD_NAMESPACE=from-pod", "K8S_NAMESPACE=first" },
	  .expect = { "ns=first", "namespace_source=env K8S_NAMESPACE" } },
	{ "an empty SERVICE_NAME counts as unset", { NULL }, { "HOSTNAME=etcd-1", "SERVICE_NAME=" },
	  .expect = { "service=etcd" } },
	/* docker-compose: PEER_HOST, and the hosts it makes. */
	{ "PEER_HOST", { NULL }, { "HOSTNAME=etcd-1", "PEER_HOST={name}" },
	  .expect = { "peer_host={name}", "fqdn=etcd-1" } },
	{ "--peer-host beats PEER_HOST", { "--peer-host", "{name}.db" },
	  { "HOSTNAME=etcd-1", "PEER_HOST={name}" }, .expect = { "peer_host={name}.db" } },
	/* Namespace and domain from files. */
	{ "resolv.conf", { "--name", "etcd-0" }, .resolv = k8s_resolv,
	  .expect = { "ns=prod", "domain=example.org", "domain_source=resolv.conf search" } },
	{ "the service-account namespace beats resolv.conf", { "--name", "etcd-0" },
	  .resolv = k8s_resolv, .sa_ns = "sa-ns\n",
	  .expect = { "ns=sa-ns", "namespace_source=service account" } },
	/* Commands and etcd arguments. */
	{ "plan --output json", { "plan", "--name", "etcd-0", "--output", "json" },
	  .expect = { "command=plan", "output=json" } },
	{ "--dry-run is plan", { "--dry-run", "--name", "etcd-0" }, .expect = { "command=plan" } },
	{ "arguments after -- go to etcd untouched",
	  { "run", "--name", "etcd-0", "--", "--quota-backend-bytes=1", "--name" },
	  .expect = { "n_etcd_args=2", "etcd_arg0=--quota-backend-bytes=1" } },
	{ "--help", { "--help" }, .expect = { "command=help" } },
	{ "-h", { "-h", "--bogus" }, .expect = { "command=help" } },
	{ "--version", { "--version" }, .expect = { "command=version" } },
	{ "--no-learner --wait-timeout 2m", { "--name", "etcd-0", "--no-learner", "--wait-timeout", "2m" },
	  .expect = { "no_learner=1", "wait_timeout_s=120" } },
	{ "unknown option", { "--name", "etcd-0", "--bogus" }, .rc = EI_E_USAGE,
	  .msg = { "--bogus: unknown option (see --help)" } },
	{ "missing value", { "--name" }, .rc = EI_E_USAGE,
	  .msg = { "--name: a value is required (see --help)" } },
	{ "unknown command", { "start" }, .rc = EI_E_USAGE,
	  .msg = { "\"start\": unknown command (expected run, plan, leave, diagnose or force-new-cluster; etcd arguments go after --)" } },
	{ "stray operand", { "--name", "etcd-0", "stray" }, .rc = EI_E_USAGE,
	  .msg = { "\"stray\": unexpected argument" } },
	/* The force-new-cluster command: a command word, with the usual settings. */
	{ "force-new-cluster: the command",
	  { "force-new-cluster", "--name", "etcd-2", "--data-dir", "/var/lib/etcd" },
	  .expect = { "command=force-new-cluster", "data_dir=/var/lib/etcd" } },
	{ "an unknown command lists force-new-cluster", { "force-new-clusters" }, .rc = EI_E_USAGE,
	  .msg = { "force-new-cluster;" } },
	/* TLS: etcd's own settings, from the environment or after "--". */
	{ "TLS: none", { "run", "--" }, { "HOSTNAME=etcd-0" },
	  .expect = { "client_scheme=http", "peer_scheme=http" } },
	{ "TLS: client and peer",
	  { "run", "--" },
	  { "HOSTNAME=etcd-0", SERVER_TLS, "ETCD_TRUSTED_CA_FILE=/t/ca",
	    "ETCD_PEER_CERT_FILE=/t/p.crt", "ETCD_PEER_KEY_FILE=/t/p.key",
	    "ETCD_PEER_TRUSTED_CA_FILE=/t/ca", "ETCD_CLIENT_CERT_AUTH=true" },
	  .expect = { "client_scheme=https", "peer_scheme=https" } },
	{ "TLS: client only, settings after --",
	  { "run", "--", "--cert-file=/t/s.crt", "--key-file", "/t/s.key", "--trusted-ca-file=/t/ca" },
	  { "HOSTNAME=etcd-0" }, .expect = { "client_scheme=https", "peer_scheme=http" } },
	{ "TLS: peer only", { "run", "--" },
	  { "HOSTNAME=etcd-0", "ETCD_PEER_CERT_FILE=/t/p.crt", "ETCD_PEER_KEY_FILE=/t/p.key",
	    "ETCD_PEER_TRUSTED_CA_FILE=/t/ca", "URI_SCHEME=https" },
	  .expect = { "client_scheme=http", "peer_scheme=https" } },
	{ "TLS: a certificate without its key", { "run", "--" },
	  { "HOSTNAME=etcd-0", "ETCD_CERT_FILE=/t/s.crt" }, .rc = EI_E_USAGE,
	  .msg = { "ETCD_CERT_FILE is set but ETCD_KEY_FILE is not" } },
	{ "TLS: client TLS without any CA", { "run", "--" }, { "HOSTNAME=etcd-0", SERVER_TLS },
	  .rc = EI_E_USAGE, .msg = { "set ETCDCTL_CACERT or ETCD_TRUSTED_CA_FILE" } },
	{ "TLS: peer TLS without its CA", { "run", "--" },
	  { "HOSTNAME=etcd-0", "ETCD_PEER_CERT_FILE=/t/p.crt", "ETCD_PEER_KEY_FILE=/t/p.key" },
	  .rc = EI_E_USAGE, .msg = { "ETCD_PEER_TRUSTED_CA_FILE is not set" } },
	{ "TLS: https without certificates", { "run", "--" },
	  { "HOSTNAME=etcd-0", "URI_SCHEME=https" }, .rc = EI_E_USAGE,
	  .msg = { "no certificate is set" } },
	{ "TLS: client-cert-auth without TLS", { "run", "--" },
	  { "HOSTNAME=etcd-0", "ETCD_CLIENT_CERT_AUTH=true" }, .rc = EI_E_USAGE,
	  .msg = { "ETCD_CLIENT_CERT_AUTH is true but ETCD_CERT_FILE is not set" } },
	{ "TLS: client-cert-auth not a boolean", { "run", "--" },
	  { "HOSTNAME=etcd-0", SERVER_TLS, "ETCD_TRUSTED_CA_FILE=/t/ca",
	    "ETCD_CLIENT_CERT_AUTH=yes" },
	  .rc = EI_E_USAGE, .msg = { "ETCD_CLIENT_CERT_AUTH: \"yes\" is not a boolean" } },
	{ "TLS: auto-tls", { "run", "--", "--auto-tls" }, { "HOSTNAME=etcd-0" }, .rc = EI_E_USAGE,
	  .msg = { "--auto-tls after --" } },
	{ "TLS: peer-auto-tls", { "run", "--" }, { "HOSTNAME=etcd-0", "ETCD_PEER_AUTO_TLS=true" },
	  .rc = EI_E_USAGE, .msg = { "ETCD_PEER_AUTO_TLS" } },
	{ "TLS: skip verify", { "run", "--" },
	  { "HOSTNAME=etcd-0", "ETCDCTL_INSECURE_SKIP_TLS_VERIFY=true" }, .rc = EI_E_USAGE,
	  .msg = { "always verifies" } },
	{ "TLS: ETCDCTL_CERT without its key", { "run", "--" },
	  { "HOSTNAME=etcd-0", SERVER_TLS, "ETCD_TRUSTED_CA_FILE=/t/ca", "ETCDCTL_CERT=/t/c.crt" },
	  .rc = EI_E_USAGE, .msg = { "ETCDCTL_CERT is set but ETCDCTL_KEY is not" } },
	{ "the launcher verifies with ETCDCTL_CACERT and presents the server certificate",
	  { NULL },
	  { "HOSTNAME=etcd-0", SERVER_TLS, "ETCD_TRUSTED_CA_FILE=/t/ca", "ETCDCTL_CACERT=/t/ctl-ca" },
	  .expect = { "launcher_ca=/t/ctl-ca", "launcher_cert=/t/s.crt",
		      "launcher_cert_from=ETCD_CERT_FILE" } },
	/* etcd auth: the user and where the password comes from; never the password in a
	 * message. A password inside the user setting is refused, naming where it was and
	 * where to put it instead. */
	{ "ETCDCTL_USER=user:password: refused", { NULL },
	  { "HOSTNAME=etcd-0", "ETCDCTL_USER=root:s3cret" }, .rc = EI_E_USAGE,
	  .msg = { "ETCDCTL_USER holds a password", "ETCDCTL_PASSWORD" }, .secret = "s3cret" },
	{ "--auth-user user:password: refused", { "--name", "etcd-0", "--auth-user", "root:s3cret" },
	  .rc = EI_E_USAGE,
	  .msg = { "--auth-user holds a password", "/proc/1/cmdline", "--auth-password-file",
		   "ETCDCTL_PASSWORD" },
	  .secret = "s3cret" },
	{ "--auth-user user:password: refused for leave (the preStop command) too",
	  { "leave", "--auth-user", "root:s3cret" },
	  { "HOSTNAME=etcd-0", "ETCDCTL_USER=root", "ETCDCTL_PASSWORD=s3cret" }, .rc = EI_E_USAGE,
	  .msg = { "--auth-user holds a password" }, .secret = "s3cret" },
	{ "--auth-user root: (an empty password after the colon): refused",
	  { "--name", "etcd-0", "--auth-user", "root:", "--auth-password-file", "/x" },
	  .rc = EI_E_USAGE, .msg = { "--auth-user holds a password" } },
	{ "ETCDCTL_USER and ETCDCTL_PASSWORD", { NULL },
	  { "HOSTNAME=etcd-0", "ETCDCTL_USER=root", "ETCDCTL_PASSWORD=s3cret" },
	  .expect = { "auth_user=root", "password=s3cret" } },
	{ "a user without a password", { NULL }, { "HOSTNAME=etcd-0", "ETCDCTL_USER=root" },
	  .rc = EI_E_USAGE, .msg = { "ETCDCTL_USER=root but no password" } },
	{ "a password without a user", { "--name", "etcd-0", "--auth-password-file", "/x" },
	  .rc = EI_E_USAGE, .msg = { "--auth-password-file is set but no user" } },
	{ "an unreadable password file is named",
	  { "--name", "etcd-0", "--auth-user", "root", "--auth-password-file", "/nonexistent/pw" },
	  .expect = { "auth_password_file=/nonexistent/pw",
		      "password~error: --auth-password-file /nonexistent/pw: cannot be read" } },
	{ "--cert-warn-days x", { "--name", "etcd-0", "--cert-warn-days", "x" }, .rc = EI_E_USAGE,
	  .msg = { "--cert-warn-days: \"x\" is not a number of days (expected 0-3650)" } },
	{ "--cert-warn-days 0", { "--name", "etcd-0", "--cert-warn-days", "0", "--replicas", "3" },
	  .expect = { "cert_warn_days=0", "replicas=3" } },
	{ "--replicas unset: -1 (ask the Kubernetes API)", { "--name", "etcd-0" },
	  .expect = { "replicas=-1", "cert_warn_days=30", "log_level=2" } },
};

/* Bad input: exit 2 with the setting, the value and what is expected (after
 * "--name etcd-0"). */
static const struct {
	const char *flag, *value, *expect;
} bad[] = {
	{ "--name", "etcd", "--name/HOSTNAME" },
	{ "--service", "Etcd", "--service/SERVICE_NAME" },
	{ "--namespace", "a.b", "--namespace" },
	{ "--cluster-domain", "bad..domain", "--cluster-domain" },
	{ "--initial-cluster-size", "0", "--initial-cluster-size/INITIAL_CLUSTER_SIZE: \"0\" is not a member count (expected 1-99)" },
	{ "--initial-cluster-size", "3x", "--initial-cluster-size" },
	{ "--initial-cluster-size", "-1", "--initial-cluster-size" },
	{ "--client-port", "0", "--client-port: \"0\" is not a port (expected 1-65535)" },
	{ "--peer-port", "65536", "--peer-port" },
	{ "--metrics-port", "80a", "--metrics-port" },
	{ "--peer-port", "2379", "must differ" },
	{ "--scheme", "ftp", "--scheme/URI_SCHEME: \"ftp\" is not a scheme (expected http or https)" },
	{ "--data-dir", "relative", "--data-dir/ETCD_DATA_DIR: \"relative\" is not an absolute path" },
	{ "--wal-dir", "wal", "--wal-dir" },
	{ "--wait-timeout", "soon", "--wait-timeout: \"soon\" is not a duration (expected seconds, or a number with s, m or h, at most 7 days; 0 waits forever)" },
	{ "--wait-timeout", "8d", "--wait-timeout" },
	{ "--output", "yaml", "--output: \"yaml\" is not a format (expected text or json)" },
	{ "--log-format", "xml", "--log-format" },
	{ "--log-level", "loud", "--log-level: \"loud\" is not a level (expected error, warn, info or debug)" },
	{ "--peer-host", "etcd.local", "--peer-host/PEER_HOST: \"etcd.local\" is not a peer host template (expected exactly one {name}" },
	{ "--peer-host", "{name}.Local", "etcd-99999.Local is not a DNS name" },
};

static const char *const command_names[] = {
	[EI_CMD_RUN] = "run",
	[EI_CMD_PLAN] = "plan",
	[EI_CMD_LEAVE] = "leave",
	[EI_CMD_DIAGNOSE] = "diagnose",
	[EI_CMD_FORCE_NEW_CLUSTER] = "force-new-cluster",
	[EI_CMD_HELP] = "help",
	[EI_CMD_VERSION] = "version",
};

/* The fields the cases name, as text. */
enum field_type { F_STR, F_PSTR, F_UINT, F_BOOL, F_LONG, F_SIZE };
#define F(key, type, member) { key, type, offsetof(struct ei_config, member) }
static const struct {
	const char *key;
	enum field_type type;
	size_t offset;
} fields[] = {
	F("name", F_STR, name),
	F("set", F_STR, id.set),
	F("ordinal", F_UINT, id.ordinal),
	F("service", F_STR, id.service),
	F("ns", F_STR, id.ns),
	F("domain", F_STR, id.domain),
	F("peer_host", F_STR, id.peer_host),
	F("client_scheme", F_STR, id.client_scheme),
	F("peer_scheme", F_STR, id.peer_scheme),
	F("client_port", F_UINT, id.client_port),
	F("peer_port", F_UINT, id.peer_port),
	F("metrics_port", F_UINT, metrics_port),
	F("initial_cluster_size", F_UINT, initial_cluster_size),
	F("data_dir", F_STR, data_dir),
	F("wal_dir", F_STR, wal_dir),
	F("token", F_STR, token),
	F("wait_timeout_s", F_UINT, wait_timeout_s),
	F("no_learner", F_BOOL, no_learner),
	F("log_level", F_UINT, log_level),
	F("cert_warn_days", F_UINT, cert_warn_days),
	F("auth_user", F_STR, auth_user),
	F("auth_password_file", F_STR, auth_password_file),
	F("replicas", F_LONG, replicas),
	F("n_etcd_args", F_SIZE, n_etcd_args),
	F("namespace_source", F_STR, namespace_source),
	F("domain_source", F_STR, domain_source),
	F("launcher_ca", F_STR, tls.launcher.ca),
	F("launcher_cert", F_STR, tls.launcher.cert),
	F("launcher_cert_from", F_PSTR, tls.launcher.cert_from),
};

/* Fields that are computed: the command and output by name, etcd's first argument,
 * this member's peer host, the password (or "error: <message>"). */
static bool computed_text(const struct ei_config *cfg, const char *key, char *buf, size_t len)
{
	struct ei_err err = { 0 };

	if (!strcmp(key, "command"))
		snprintf(buf, len, "%s", command_names[cfg->command]);
	else if (!strcmp(key, "output"))
		snprintf(buf, len, "%s", cfg->output == EI_OUTPUT_JSON ? "json" : "text");
	else if (!strcmp(key, "etcd_arg0"))
		snprintf(buf, len, "%s", cfg->n_etcd_args ? cfg->etcd_args[0] : "(none)");
	else if (!strcmp(key, "fqdn"))
		ei_identity_fqdn(&cfg->id, cfg->id.ordinal, buf, len);
	else if (!strcmp(key, "password") && ei_config_password(cfg, buf, len, &err) < 0)
		snprintf(buf, len, "error: %s", err.msg);
	else if (strcmp(key, "password") != 0)
		return false;
	return true;
}

static bool field_text(const struct ei_config *cfg, const char *key, char *buf, size_t len)
{
	const char *base = (const char *)cfg;

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const char *p = base + fields[i].offset;

		if (strcmp(key, fields[i].key) != 0)
			continue;
		switch (fields[i].type) {
		case F_STR: snprintf(buf, len, "%s", p); break;
		case F_PSTR: snprintf(buf, len, "%s", *(const char *const *)(const void *)p); break;
		case F_UINT: snprintf(buf, len, "%u", *(const unsigned *)(const void *)p); break;
		case F_BOOL: snprintf(buf, len, "%d", *(const bool *)(const void *)p); break;
		case F_LONG: snprintf(buf, len, "%ld", *(const long *)(const void *)p); break;
		case F_SIZE: snprintf(buf, len, "%zu", *(const size_t *)(const void *)p); break;
		}
		return true;
	}
	return computed_text(cfg, key, buf, len);
}

static int parse(struct ei_config *cfg, struct ei_err *err, const char *const *args,
		 const char *const *env, const char *resolv, const char *sa_ns)
{
	static char *argv[MAX_ARGS + 2], *envp[MAX_ARGS + 1];
	struct ei_config_input in = { .envp = envp, .hostname = "laptop",
				      .resolv_conf = resolv, .sa_namespace = sa_ns };
	int argc = 0, envc = 0;

	argv[argc++] = (char *)"etcd-init";
	while (argc <= MAX_ARGS && args[argc - 1])
		argv[argc] = (char *)args[argc - 1], argc++;
	argv[argc] = NULL;
	while (envc < MAX_ARGS && env[envc])
		envp[envc] = (char *)env[envc], envc++;
	envp[envc] = NULL;
	in.argc = argc;
	in.argv = argv;
	memset(err, 0, sizeof(*err));
	return ei_config_parse(cfg, &in, err);
}

/* One "field=value" or "field~fragment" of a case: one check. */
static void check_field(const struct ei_config *cfg, const char *what, const char *expect)
{
	size_t k = strcspn(expect, "=~");
	char key[64], got[512];
	bool known;

	snprintf(key, sizeof(key), "%.*s", (int)k, expect);
	known = field_text(cfg, key, got, sizeof(got));
	if (expect[k] == '~')
		tap_ok(known && strstr(got, expect + k + 1), "%s: %s (%s)", what, expect, got);
	else
		tap_streq(known ? got : "(no such field)", expect + k + 1, "%s: %s", what, expect);
}

static void run_case(const struct config_case *c)
{
	struct ei_config cfg;
	struct ei_err err;
	int r = parse(&cfg, &err, c->argv, c->env, c->resolv, c->sa_ns);
	bool msg_ok = r == c->rc;

	for (size_t i = 0; i < 5 && c->msg[i]; i++)
		msg_ok = msg_ok && strstr(err.msg, c->msg[i]);
	if (c->secret)
		msg_ok = msg_ok && !strstr(err.msg, c->secret);
	tap_ok(msg_ok, "%s: rc %d (%s)", c->what, r, r ? err.msg : "ok");
	for (size_t i = 0; !c->rc && i < 17 && c->expect[i]; i++)
		check_field(&cfg, c->what, c->expect[i]);
}

static void check_bad(void)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *args[] = { "--name", "etcd-0", bad[i].flag, bad[i].value, NULL };
		const char *no_env[] = { NULL };
		struct ei_config cfg;
		struct ei_err err;
		int r = parse(&cfg, &err, args, no_env, NULL, NULL);

		tap_ok(r == EI_E_USAGE && strstr(err.msg, bad[i].expect),
		       "%s %s: usage error (%s)", bad[i].flag, bad[i].value, err.msg);
	}
}

static void check_resolvconf(void)
{
	static const struct {
		const char *what, *text, *ns, *domain; /* ns NULL: nothing found */
	} rc[] = {
		{ "search list of a ClusterFirst pod", k8s_resolv, "prod", "example.org" },
		{ "the last search line wins",
		  "search a.svc.x\nsearch b.svc.cluster.local svc.cluster.local\n", "b",
		  "cluster.local" },
		{ "a non-Kubernetes search list gives nothing",
		  "nameserver 1.1.1.1\nsearch example.com\n", NULL, NULL },
		{ "empty resolv.conf", "", NULL, NULL },
		{ "searchx is not search", "searchx a.svc.b\n", NULL, NULL },
		{ "tab and trailing dot", "search\tns1.svc.cluster.local.\n", "ns1", "cluster.local" },
	};
	char ns[64], domain[256];

	for (size_t i = 0; i < sizeof(rc) / sizeof(rc[0]); i++) {
		bool found = ei_resolvconf_cluster_search(rc[i].text, ns, sizeof(ns), domain,
							  sizeof(domain));

		tap_ok(rc[i].ns ? found && !strcmp(ns, rc[i].ns) && !strcmp(domain, rc[i].domain)
				: !found,
		       "resolv.conf: %s", rc[i].what);
	}
}

static void check_usage(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	ei_config_usage(out);
	fclose(out);
	tap_ok(text && strstr(text, "[run|plan|leave|diagnose|force-new-cluster]") &&
		       strstr(text, "  force-new-cluster  ") && strstr(text, "--force-new-cluster"),
	       "--help shows the command and the refused flag");
	tap_ok(text && strstr(text, "\n  plan, --dry-run         print the facts") &&
		       strstr(text, "\n  --initial-cluster-size N  members that bootstrap the cluster [INITIAL_CLUSTER_SIZE] (3)\n") &&
		       strstr(text, "\n  --namespace NS          [K8S_NAMESPACE, POD_NAMESPACE] (default: service account\n                          namespace,") &&
		       strstr(text, "\n  --log-level LEVEL       error, warn, info or debug (info)\n") &&
		       strstr(text, "\n  --help, --version\n"),
	       "--help: the rows' flags, variables, defaults and names in their columns");
	free(text);
}

static void check_parsers(void)
{
	static const struct {
		const char *text;
		bool ok;
		unsigned seconds;
	} dur[] = {
		{ "0", true, 0 }, { "45s", true, 45 }, { "1h", true, 3600 }, { "s", false, 0 },
		{ "1.5m", false, 0 }, { "7d", false, 0 }, { "168h", true, 604800 },
		{ "169h", false, 0 },
	};
	static const struct {
		const char *text;
		unsigned long max;
		bool ok;
		unsigned long v;
	} uints[] = {
		{ "42", 100, true, 42 }, { "+1", 100, false, 0 }, { " 1", 100, false, 0 },
		{ "99999999999999999999999", ~0ul, false, 0 }, { "101", 100, false, 0 },
	};
	unsigned s;
	unsigned long v;

	for (size_t i = 0; i < sizeof(dur) / sizeof(dur[0]); i++)
		tap_ok(ei_parse_duration(dur[i].text, &s) == dur[i].ok &&
			       (!dur[i].ok || s == dur[i].seconds),
		       "duration \"%s\"", dur[i].text);
	for (size_t i = 0; i < sizeof(uints) / sizeof(uints[0]); i++)
		tap_ok(ei_parse_uint(uints[i].text, 0, uints[i].max, &v) == uints[i].ok &&
			       (!uints[i].ok || v == uints[i].v),
		       "uint \"%s\"", uints[i].text);
}

int main(void)
{
	tap_init();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	check_bad();
	check_resolvconf();
	check_usage();
	check_parsers();
	return tap_done();
}
