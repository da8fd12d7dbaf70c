/* Unit tests for lib/config.c: flags, environment fallbacks, defaults, validation. */
#include "config.h"
#include "tap.h"

#include <stdarg.h>
#include <stdlib.h>

#define MAX_ARGS 32

/* Parse argv (NULL-terminated list after "etcd-init") with envp. */
static int parse(struct ei_config *cfg, struct ei_err *err, char **envp, const char *resolv,
		 const char *sa_ns, ...)
{
	static char *argv[MAX_ARGS];
	struct ei_config_input in = { .envp = envp, .hostname = "laptop",
				      .resolv_conf = resolv, .sa_namespace = sa_ns };
	va_list ap;
	int argc = 0;
	const char *a;

	argv[argc++] = (char *)"etcd-init";
	va_start(ap, sa_ns);
	while ((a = va_arg(ap, const char *)) && argc < MAX_ARGS - 1)
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	in.argc = argc;
	in.argv = argv;
	memset(err, 0, sizeof(*err));
	return ei_config_parse(cfg, &in, err);
}

static const char k8s_resolv[] = "nameserver 10.96.0.10\n"
				 "search prod.svc.example.org svc.example.org example.org\n"
				 "options ndots:5\n";

int main(void)
{
	char *no_env[] = { NULL };
	char *env[] = { (char *)"HOSTNAME=etcd-2", (char *)"SERVICE_NAME=etcd-headless",
			(char *)"K8S_NAMESPACE=team-a", (char *)"CLUSTER_DOMAIN=corp.local",
			(char *)"INITIAL_CLUSTER_SIZE=5", (char *)"ETCD_DATA_DIR=/var/lib/etcd",
			(char *)"URI_SCHEME=https", (char *)"ETCD_INITIAL_CLUSTER_TOKEN=tok",
			(char *)"ETCD_PEER_CERT_FILE=/tls/peer.crt",
			(char *)"ETCD_PEER_KEY_FILE=/tls/peer.key",
			(char *)"ETCD_PEER_TRUSTED_CA_FILE=/tls/ca.crt", NULL };
	char *pod_ns_env[] = { (char *)"HOSTNAME=etcd-0", (char *)"POD_NAMESPACE=from-pod", NULL };
	char *empty_env[] = { (char *)"HOSTNAME=etcd-1", (char *)"SERVICE_NAME=", NULL };
	struct ei_config cfg;
	struct ei_err err;
	char ns[64], domain[256];

	tap_init();

	/* Defaults. */
	tap_ok(parse(&cfg, &err, no_env, NULL, NULL, "--name", "etcd-1", NULL) == 0, "minimal");
	tap_streq(cfg.id.set, "etcd", "set from name");
	tap_ok(cfg.id.ordinal == 1, "ordinal from name");
	tap_streq(cfg.id.service, "etcd", "service defaults to the set");
	tap_streq(cfg.id.ns, "default", "namespace defaults to default");
	tap_streq(cfg.id.domain, "cluster.local", "domain defaults to cluster.local");
	tap_ok(cfg.initial_cluster_size == 3, "initial size 3");
	tap_streq(cfg.data_dir, "/data", "data dir /data");
	tap_streq(cfg.wal_dir, "", "no wal dir");
	tap_streq(cfg.id.client_scheme, "http", "http");
	tap_streq(cfg.id.peer_scheme, "http", "http");
	tap_ok(cfg.id.client_port == 2379 && cfg.id.peer_port == 2380 && cfg.metrics_port == 8080,
	       "default ports");
	tap_streq(cfg.token, "etcd-default", "token <service>-<namespace>");
	tap_ok(cfg.wait_timeout_s == 600, "wait timeout 600 s");
	tap_ok(cfg.command == EI_CMD_RUN, "run by default");

	/* Hostname fallback. */
	tap_ok(parse(&cfg, &err, no_env, NULL, NULL, NULL) == EI_E_USAGE &&
		       strstr(err.msg, "laptop"),
	       "gethostname is used and validated: %s", err.msg);

	/* Environment. */
	tap_ok(parse(&cfg, &err, env, NULL, NULL, NULL) == 0, "everything from the environment");
	tap_streq(cfg.name, "etcd-2", "HOSTNAME");
	tap_streq(cfg.id.service, "etcd-headless", "SERVICE_NAME");
	tap_streq(cfg.id.ns, "team-a", "K8S_NAMESPACE");
	tap_streq(cfg.id.domain, "corp.local", "CLUSTER_DOMAIN");
	tap_ok(cfg.initial_cluster_size == 5, "INITIAL_CLUSTER_SIZE");
	tap_streq(cfg.data_dir, "/var/lib/etcd", "ETCD_DATA_DIR");
	tap_streq(cfg.id.peer_scheme, "https", "URI_SCHEME https, peer certificates: peer https");
	tap_streq(cfg.id.client_scheme, "http", "no server certificate: client http");
	tap_streq(cfg.token, "tok", "ETCD_INITIAL_CLUSTER_TOKEN");

	/* The flag wins. */
	tap_ok(parse(&cfg, &err, env, NULL, NULL, "--name", "etcd-4", "--namespace", "flagged",
		     "--initial-cluster-size", "1", NULL) == 0,
	       "flags and environment");
	tap_streq(cfg.name, "etcd-4", "--name beats HOSTNAME");
	tap_streq(cfg.id.ns, "flagged", "--namespace beats K8S_NAMESPACE");
	tap_ok(cfg.initial_cluster_size == 1, "--initial-cluster-size beats the environment");
	tap_ok(parse(&cfg, &err, env, NULL, NULL, "--scheme", "http", NULL) == EI_E_USAGE &&
		       strstr(err.msg, "URI_SCHEME is http but ETCD_PEER_CERT_FILE"),
	       "--scheme http beats URI_SCHEME and contradicts the certificates: %s", err.msg);

	tap_ok(parse(&cfg, &err, pod_ns_env, NULL, NULL, NULL) == 0, "POD_NAMESPACE");
	tap_streq(cfg.id.ns, "from-pod", "POD_NAMESPACE is a fallback");
	tap_ok(parse(&cfg, &err, empty_env, NULL, NULL, NULL) == 0, "empty variable");
	tap_streq(cfg.id.service, "etcd", "an empty SERVICE_NAME counts as unset");

	/* docker-compose: PEER_HOST, and the hosts it makes. */
	{
		char *compose_env[] = { (char *)"HOSTNAME=etcd-1", (char *)"PEER_HOST={name}", NULL };
		char host[EI_DOMAIN_MAX + 1];

		tap_ok(parse(&cfg, &err, compose_env, NULL, NULL, NULL) == 0, "PEER_HOST: %s", err.msg);
		tap_streq(cfg.id.peer_host, "{name}", "PEER_HOST is the peer host template");
		ei_identity_fqdn(&cfg.id, 1, host, sizeof(host));
		tap_streq(host, "etcd-1", "PEER_HOST {name}: the member's host is its name");
		tap_ok(parse(&cfg, &err, compose_env, NULL, NULL, "--peer-host", "{name}.db", NULL) == 0 &&
			       strcmp(cfg.id.peer_host, "{name}.db") == 0,
		       "--peer-host beats PEER_HOST");
	}

	/* Namespace and domain from files. */
	tap_ok(parse(&cfg, &err, no_env, k8s_resolv, NULL, "--name", "etcd-0", NULL) == 0,
	       "resolv.conf");
	tap_streq(cfg.id.ns, "prod", "namespace from the search list");
	tap_streq(cfg.id.domain, "example.org", "domain from the search list");
	tap_ok(parse(&cfg, &err, no_env, k8s_resolv, "sa-ns\n", "--name", "etcd-0", NULL) == 0,
	       "service account file");
	tap_streq(cfg.id.ns, "sa-ns", "the service-account namespace beats resolv.conf");
	tap_streq(cfg.namespace_source, "service account", "and says where it came from");

	/* resolv.conf parsing. */
	tap_ok(ei_resolvconf_cluster_search(k8s_resolv, ns, sizeof(ns), domain, sizeof(domain)) &&
		       !strcmp(ns, "prod") && !strcmp(domain, "example.org"),
	       "search list of a ClusterFirst pod");
	tap_ok(ei_resolvconf_cluster_search("search a.svc.x\nsearch b.svc.cluster.local svc.cluster.local\n",
					    ns, sizeof(ns), domain, sizeof(domain)) &&
		       !strcmp(ns, "b") && !strcmp(domain, "cluster.local"),
	       "the last search line wins");
	tap_ok(!ei_resolvconf_cluster_search("nameserver 1.1.1.1\nsearch example.com\n", ns,
					     sizeof(ns), domain, sizeof(domain)),
	       "a non-Kubernetes search list gives nothing");
	tap_ok(!ei_resolvconf_cluster_search("", ns, sizeof(ns), domain, sizeof(domain)),
	       "empty resolv.conf");
	tap_ok(!ei_resolvconf_cluster_search("searchx a.svc.b\n", ns, sizeof(ns), domain,
					     sizeof(domain)),
	       "searchx is not search");
	tap_ok(ei_resolvconf_cluster_search("search\tns1.svc.cluster.local.\n", ns, sizeof(ns),
					    domain, sizeof(domain)) &&
		       !strcmp(domain, "cluster.local"),
	       "tab and trailing dot");

	/* Commands and etcd arguments. */
	tap_ok(parse(&cfg, &err, no_env, NULL, NULL, "plan", "--name", "etcd-0", "--output", "json",
		     NULL) == 0 && cfg.command == EI_CMD_PLAN && cfg.output == EI_OUTPUT_JSON,
	       "plan --output json");
	tap_ok(parse(&cfg, &err, no_env, NULL, NULL, "--dry-run", "--name", "etcd-0", NULL) == 0 &&
		       cfg.command == EI_CMD_PLAN,
	       "--dry-run is plan");
	tap_ok(parse(&cfg, &err, no_env, NULL, NULL, "run", "--name", "etcd-0", "--", "--quota-backend-bytes=1",
		     "--name", NULL) == 0 && cfg.n_etcd_args == 2 &&
		       !strcmp(cfg.etcd_args[0], "--quota-backend-bytes=1"),
	       "arguments after -- go to etcd untouched");
	tap_ok(parse(&cfg, &err, no_env, NULL, NULL, "--help", NULL) == 0 && cfg.command == EI_CMD_HELP,
	       "--help");
	tap_ok(parse(&cfg, &err, no_env, NULL, NULL, "--version", NULL) == 0 &&
		       cfg.command == EI_CMD_VERSION,
	       "--version");
	tap_ok(parse(&cfg, &err, no_env, NULL, NULL, "--name", "etcd-0", "--no-learner", "--wait-timeout",
		     "2m", NULL) == 0 && cfg.no_learner && cfg.wait_timeout_s == 120,
	       "--no-learner --wait-timeout 2m");

	/* Bad input: exit 2 with the setting, the value and what is expected. */
	static const struct {
		const char *flag, *value, *expect;
	} bad[] = {
		{ "--name", "etcd", "--name/HOSTNAME" },
		{ "--service", "Etcd", "--service/SERVICE_NAME" },
		{ "--namespace", "a.b", "--namespace" },
		{ "--cluster-domain", "bad..domain", "--cluster-domain" },
		{ "--initial-cluster-size", "0", "--initial-cluster-size" },
		{ "--initial-cluster-size", "3x", "--initial-cluster-size" },
		{ "--initial-cluster-size", "-1", "--initial-cluster-size" },
		{ "--client-port", "0", "--client-port" },
		{ "--peer-port", "65536", "--peer-port" },
		{ "--metrics-port", "80a", "--metrics-port" },
		{ "--peer-port", "2379", "must differ" },
		{ "--scheme", "ftp", "--scheme" },
		{ "--data-dir", "relative", "--data-dir" },
		{ "--wal-dir", "wal", "--wal-dir" },
		{ "--wait-timeout", "soon", "--wait-timeout" },
		{ "--wait-timeout", "8d", "--wait-timeout" },
		{ "--output", "yaml", "--output" },
		{ "--log-format", "xml", "--log-format" },
		{ "--log-level", "loud", "--log-level" },
		{ "--peer-host", "etcd.local", "--peer-host/PEER_HOST: \"etcd.local\" is not a peer host template (expected exactly one {name}" },
		{ "--peer-host", "{name}.Local", "etcd-99999.Local is not a DNS name" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = parse(&cfg, &err, no_env, NULL, NULL, "--name", "etcd-0", bad[i].flag,
			      bad[i].value, NULL);

		tap_ok(r == EI_E_USAGE && strstr(err.msg, bad[i].expect),
		       "%s %s: usage error (%s)", bad[i].flag, bad[i].value, err.msg);
	}
	tap_ok(parse(&cfg, &err, no_env, NULL, NULL, "--name", "etcd-0", "--bogus", NULL) == EI_E_USAGE &&
		       strstr(err.msg, "--bogus"),
	       "unknown option: %s", err.msg);
	tap_ok(parse(&cfg, &err, no_env, NULL, NULL, "--name", NULL) == EI_E_USAGE,
	       "missing value: %s", err.msg);
	tap_ok(parse(&cfg, &err, no_env, NULL, NULL, "start", NULL) == EI_E_USAGE &&
		       strstr(err.msg, "start"),
	       "unknown command: %s", err.msg);
	tap_ok(parse(&cfg, &err, no_env, NULL, NULL, "--name", "etcd-0", "stray", NULL) == EI_E_USAGE,
	       "stray operand: %s", err.msg);

	/* TLS: etcd's own settings, from the environment or after "--". */
	static const struct {
		const char *what;
		const char *env[8];
		const char *args[4];
		int rc;
		const char *expect; /* in the message, or "client,peer" schemes on success */
	} tls[] = {
		{ "no TLS", { NULL }, { NULL }, 0, "http,http" },
		{ "client and peer TLS",
		  { "ETCD_CERT_FILE=/t/s.crt", "ETCD_KEY_FILE=/t/s.key", "ETCD_TRUSTED_CA_FILE=/t/ca",
		    "ETCD_PEER_CERT_FILE=/t/p.crt", "ETCD_PEER_KEY_FILE=/t/p.key",
		    "ETCD_PEER_TRUSTED_CA_FILE=/t/ca", "ETCD_CLIENT_CERT_AUTH=true", NULL },
		  { NULL }, 0, "https,https" },
		{ "client TLS only, settings after --", { NULL },
		  { "--cert-file=/t/s.crt", "--key-file", "/t/s.key", "--trusted-ca-file=/t/ca" }, 0,
		  "https,http" },
		{ "peer TLS only",
		  { "ETCD_PEER_CERT_FILE=/t/p.crt", "ETCD_PEER_KEY_FILE=/t/p.key",
		    "ETCD_PEER_TRUSTED_CA_FILE=/t/ca", "URI_SCHEME=https", NULL },
		  { NULL }, 0, "http,https" },
		{ "a certificate without its key", { "ETCD_CERT_FILE=/t/s.crt", NULL }, { NULL },
		  EI_E_USAGE, "ETCD_CERT_FILE is set but ETCD_KEY_FILE is not" },
		{ "client TLS without any CA",
		  { "ETCD_CERT_FILE=/t/s.crt", "ETCD_KEY_FILE=/t/s.key", NULL }, { NULL }, EI_E_USAGE,
		  "set ETCDCTL_CACERT or ETCD_TRUSTED_CA_FILE" },
		{ "peer TLS without its CA",
		  { "ETCD_PEER_CERT_FILE=/t/p.crt", "ETCD_PEER_KEY_FILE=/t/p.key", NULL }, { NULL },
		  EI_E_USAGE, "ETCD_PEER_TRUSTED_CA_FILE is not set" },
		{ "https without certificates", { "URI_SCHEME=https", NULL }, { NULL }, EI_E_USAGE,
		  "no certificate is set" },
		{ "client-cert-auth without TLS", { "ETCD_CLIENT_CERT_AUTH=true", NULL }, { NULL },
		  EI_E_USAGE, "ETCD_CLIENT_CERT_AUTH is true but ETCD_CERT_FILE is not set" },
		{ "client-cert-auth not a boolean",
		  { "ETCD_CERT_FILE=/t/s.crt", "ETCD_KEY_FILE=/t/s.key", "ETCD_TRUSTED_CA_FILE=/t/ca",
		    "ETCD_CLIENT_CERT_AUTH=yes", NULL },
		  { NULL }, EI_E_USAGE, "ETCD_CLIENT_CERT_AUTH: \"yes\" is not a boolean" },
		{ "auto-tls", { NULL }, { "--auto-tls" }, EI_E_USAGE, "--auto-tls after --" },
		{ "peer-auto-tls", { "ETCD_PEER_AUTO_TLS=true", NULL }, { NULL }, EI_E_USAGE,
		  "ETCD_PEER_AUTO_TLS" },
		{ "skip verify", { "ETCDCTL_INSECURE_SKIP_TLS_VERIFY=true", NULL }, { NULL }, EI_E_USAGE,
		  "always verifies" },
		{ "ETCDCTL_CERT without its key",
		  { "ETCD_CERT_FILE=/t/s.crt", "ETCD_KEY_FILE=/t/s.key", "ETCD_TRUSTED_CA_FILE=/t/ca",
		    "ETCDCTL_CERT=/t/c.crt", NULL },
		  { NULL }, EI_E_USAGE, "ETCDCTL_CERT is set but ETCDCTL_KEY is not" },
	};
	for (size_t i = 0; i < sizeof(tls) / sizeof(tls[0]); i++) {
		char *e[10] = { (char *)"HOSTNAME=etcd-0" };
		const char *argv[12] = { "run", "--" };
		size_t k = 1, a = 2;
		char schemes[32];
		int r;

		for (size_t j = 0; tls[i].env[j]; j++)
			e[k++] = (char *)tls[i].env[j];
		for (size_t j = 0; j < 4 && tls[i].args[j]; j++)
			argv[a++] = tls[i].args[j];
		r = parse(&cfg, &err, e, NULL, NULL, argv[0], argv[1], argv[2], argv[3], argv[4],
			  argv[5], NULL);
		snprintf(schemes, sizeof(schemes), "%s,%s", cfg.id.client_scheme, cfg.id.peer_scheme);
		tap_ok(r == tls[i].rc && strstr(r ? err.msg : schemes, tls[i].expect), "TLS: %s (%s)",
		       tls[i].what, r ? err.msg : schemes);
	}
	{
		char *e[] = { (char *)"HOSTNAME=etcd-0", (char *)"ETCD_CERT_FILE=/t/s.crt",
			      (char *)"ETCD_KEY_FILE=/t/s.key", (char *)"ETCD_TRUSTED_CA_FILE=/t/ca",
			      (char *)"ETCDCTL_CACERT=/t/ctl-ca", NULL };

		tap_ok(parse(&cfg, &err, e, NULL, NULL, NULL) == 0 &&
			       !strcmp(cfg.tls.launcher.ca, "/t/ctl-ca") &&
			       !strcmp(cfg.tls.launcher.cert, "/t/s.crt") &&
			       !strcmp(cfg.tls.launcher.cert_from, "ETCD_CERT_FILE"),
		       "the launcher verifies with ETCDCTL_CACERT and presents the server certificate");
	}

	/* etcd auth: the user and where the password comes from; never the password in a
	 * message. */
	{
		char *colon_env[] = { (char *)"HOSTNAME=etcd-0", (char *)"ETCDCTL_USER=root:s3cret",
				      NULL };
		char *pw_env[] = { (char *)"HOSTNAME=etcd-0", (char *)"ETCDCTL_USER=root",
				   (char *)"ETCDCTL_PASSWORD=s3cret", NULL };
		char *nopw_env[] = { (char *)"HOSTNAME=etcd-0", (char *)"ETCDCTL_USER=root", NULL };
		char pw[64];

		/* A password inside the user setting is refused, naming where it was and
		 * where to put it instead, and never echoed. */
		tap_ok(parse(&cfg, &err, colon_env, NULL, NULL, NULL) == EI_E_USAGE &&
			       strstr(err.msg, "ETCDCTL_USER holds a password") &&
			       strstr(err.msg, "ETCDCTL_PASSWORD") && !strstr(err.msg, "s3cret"),
		       "ETCDCTL_USER=user:password: refused: %s", err.msg);
		tap_ok(parse(&cfg, &err, no_env, NULL, NULL, "--name", "etcd-0", "--auth-user",
			     "root:s3cret", NULL) == EI_E_USAGE &&
			       strstr(err.msg, "--auth-user holds a password") &&
			       strstr(err.msg, "/proc/1/cmdline") &&
			       strstr(err.msg, "--auth-password-file") &&
			       strstr(err.msg, "ETCDCTL_PASSWORD") && !strstr(err.msg, "s3cret"),
		       "--auth-user user:password: refused: %s", err.msg);
		tap_ok(parse(&cfg, &err, pw_env, NULL, NULL, "leave", "--auth-user", "root:s3cret",
			     NULL) == EI_E_USAGE,
		       "--auth-user user:password: refused for leave (the preStop command) too");
		tap_ok(parse(&cfg, &err, no_env, NULL, NULL, "--name", "etcd-0", "--auth-user",
			     "root:", "--auth-password-file", "/x", NULL) == EI_E_USAGE,
		       "--auth-user root: (an empty password after the colon): refused");
		tap_ok(parse(&cfg, &err, pw_env, NULL, NULL, NULL) == 0 &&
			       ei_config_password(&cfg, pw, sizeof(pw), &err) == 0 &&
			       !strcmp(pw, "s3cret"),
		       "ETCDCTL_USER and ETCDCTL_PASSWORD");
		tap_ok(parse(&cfg, &err, nopw_env, NULL, NULL, NULL) == EI_E_USAGE &&
			       strstr(err.msg, "no password"),
		       "a user without a password: %s", err.msg);
		tap_ok(parse(&cfg, &err, no_env, NULL, NULL, "--name", "etcd-0",
			     "--auth-password-file", "/x", NULL) == EI_E_USAGE &&
			       strstr(err.msg, "no user"),
		       "a password without a user: %s", err.msg);
		tap_ok(parse(&cfg, &err, no_env, NULL, NULL, "--name", "etcd-0", "--auth-user", "root",
			     "--auth-password-file", "/nonexistent/pw", NULL) == 0 &&
			       ei_config_password(&cfg, pw, sizeof(pw), &err) == EI_E_USAGE &&
			       strstr(err.msg, "/nonexistent/pw"),
		       "an unreadable password file is named: %s", err.msg);
		tap_ok(parse(&cfg, &err, no_env, NULL, NULL, "--name", "etcd-0", "--cert-warn-days",
			     "x", NULL) == EI_E_USAGE &&
			       strstr(err.msg, "--cert-warn-days"),
		       "--cert-warn-days x: %s", err.msg);
	}

	/* The force-new-cluster command: a command word, with the usual settings. */
	tap_ok(parse(&cfg, &err, no_env, NULL, NULL, "force-new-cluster", "--name", "etcd-2",
		     "--data-dir", "/var/lib/etcd", NULL) == 0 &&
		       cfg.command == EI_CMD_FORCE_NEW_CLUSTER && !strcmp(cfg.data_dir, "/var/lib/etcd"),
	       "force-new-cluster: the command");
	tap_ok(parse(&cfg, &err, no_env, NULL, NULL, "force-new-clusters", NULL) == EI_E_USAGE &&
		       strstr(err.msg, "force-new-cluster;"),
	       "an unknown command lists force-new-cluster: %s", err.msg);
	{
		char *text = NULL;
		size_t len = 0;
		FILE *out = open_memstream(&text, &len);

		ei_config_usage(out);
		fclose(out);
		tap_ok(text && strstr(text, "[run|plan|leave|diagnose|force-new-cluster]") &&
			       strstr(text, "  force-new-cluster  ") && strstr(text, "--force-new-cluster"),
		       "--help shows the command and the refused flag");
		free(text);
	}

	/* Duration and integer parsers. */
	unsigned s;
	unsigned long v;
	tap_ok(ei_parse_duration("0", &s) && s == 0, "0");
	tap_ok(ei_parse_duration("45s", &s) && s == 45, "45s");
	tap_ok(ei_parse_duration("1h", &s) && s == 3600, "1h");
	tap_ok(!ei_parse_duration("s", &s), "s alone");
	tap_ok(!ei_parse_duration("1.5m", &s), "no fractions");
	tap_ok(ei_parse_uint("42", 0, 100, &v) && v == 42, "42");
	tap_ok(!ei_parse_uint("+1", 0, 100, &v), "no sign");
	tap_ok(!ei_parse_uint(" 1", 0, 100, &v), "no space");
	tap_ok(!ei_parse_uint("99999999999999999999999", 0, ~0ul, &v), "overflow");
	return tap_done();
}
