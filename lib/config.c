/* config.c - flags, environment fallbacks and validation (see config.h). */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file.h"

enum {
	OPT_NAME = 256,
	OPT_SERVICE,
	OPT_NAMESPACE,
	OPT_CLUSTER_DOMAIN,
	OPT_INITIAL_SIZE,
	OPT_DATA_DIR,
	OPT_WAL_DIR,
	OPT_ETCD,
	OPT_SCHEME,
	OPT_CLIENT_PORT,
	OPT_PEER_PORT,
	OPT_METRICS_PORT,
	OPT_TOKEN,
	OPT_WAIT_TIMEOUT,
	OPT_NO_LEARNER,
	OPT_LEARNER_STALL,
	OPT_LEARNER_TIMEOUT,
	OPT_OUTPUT,
	OPT_LOG_FORMAT,
	OPT_LOG_LEVEL,
	OPT_DRY_RUN,
	OPT_VERSION,
	OPT_AUTH_USER,
	OPT_AUTH_PASSWORD_FILE,
	OPT_CERT_WARN_DAYS,
	OPT_REPLICAS,
	OPT_SA_DIR,
	OPT_PEER_HOST,
};

static const struct option long_options[] = {
	{ "name", required_argument, NULL, OPT_NAME },
	{ "service", required_argument, NULL, OPT_SERVICE },
	{ "namespace", required_argument, NULL, OPT_NAMESPACE },
	{ "cluster-domain", required_argument, NULL, OPT_CLUSTER_DOMAIN },
	{ "initial-cluster-size", required_argument, NULL, OPT_INITIAL_SIZE },
	{ "data-dir", required_argument, NULL, OPT_DATA_DIR },
	{ "wal-dir", required_argument, NULL, OPT_WAL_DIR },
	{ "etcd", required_argument, NULL, OPT_ETCD },
	{ "scheme", required_argument, NULL, OPT_SCHEME },
	{ "client-port", required_argument, NULL, OPT_CLIENT_PORT },
	{ "peer-port", required_argument, NULL, OPT_PEER_PORT },
	{ "metrics-port", required_argument, NULL, OPT_METRICS_PORT },
	{ "token", required_argument, NULL, OPT_TOKEN },
	{ "wait-timeout", required_argument, NULL, OPT_WAIT_TIMEOUT },
	{ "no-learner", no_argument, NULL, OPT_NO_LEARNER },
	{ "learner-stall", required_argument, NULL, OPT_LEARNER_STALL },
	{ "learner-timeout", required_argument, NULL, OPT_LEARNER_TIMEOUT },
	{ "output", required_argument, NULL, OPT_OUTPUT },
	{ "log-format", required_argument, NULL, OPT_LOG_FORMAT },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "auth-user", required_argument, NULL, OPT_AUTH_USER },
	{ "auth-password-file", required_argument, NULL, OPT_AUTH_PASSWORD_FILE },
	{ "cert-warn-days", required_argument, NULL, OPT_CERT_WARN_DAYS },
	{ "replicas", required_argument, NULL, OPT_REPLICAS },
	{ "service-account-dir", required_argument, NULL, OPT_SA_DIR },
	{ "peer-host", required_argument, NULL, OPT_PEER_HOST },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

/* Raw values before defaults and validation: flag first, then environment. */
struct raw {
	const char *name, *service, *ns, *domain, *size, *data_dir, *wal_dir, *etcd, *scheme;
	const char *client_port, *peer_port, *metrics_port, *token, *wait_timeout, *output;
	const char *log_format, *log_level;
	const char *ns_source, *domain_source;
	const char *auth_user, *auth_password_file, *auth_password, *cert_warn_days;
	const char *auth_user_from;
	const char *replicas, *sa_dir, *k8s_host, *k8s_port, *peer_host;
	const char *learner_stall, *learner_timeout;
};

void ei_config_usage(FILE *out)
{
	fputs("Usage: etcd-init [run|plan|leave|diagnose|force-new-cluster] [options] [-- etcd-args...]\n"
	      "\n"
	      "Start an etcd member of a StatefulSet: wait for DNS, decide whether to bootstrap,\n"
	      "restart, join or replace, make the membership change, then exec etcd.\n"
	      "\n"
	      "Commands:\n"
	      "  run                     do it and exec etcd (default)\n"
	      "  plan, --dry-run         print the facts, the decision and the etcd command line;\n"
	      "                          change nothing\n"
	      "  leave                   preStop hook: on a scale-down past this pod, remove its\n"
	      "                          member and move its data aside; otherwise nothing\n"
	      "  diagnose                a table of every peer (DNS, answers, member, health),\n"
	      "                          the data dir, the certificates and the decision; read-only\n"
	      "  force-new-cluster       quorum lost for good: ask this pod (the one whose data to\n"
	      "                          keep; kubectl exec, with its etcd-init's settings) to\n"
	      "                          start etcd once with --force-new-cluster; the others then\n"
	      "                          join it. Writes <data-dir>/.etcd-init-force-new-cluster\n"
	      "\n"
	      "Options (environment fallback in brackets; the flag wins):\n"
	      "  --name NAME             pod name <set>-<ordinal> [HOSTNAME] (default: gethostname)\n"
	      "  --service NAME          headless service [SERVICE_NAME] (default: the set name)\n"
	      "  --namespace NS          [K8S_NAMESPACE, POD_NAMESPACE] (default: service account\n"
	      "                          namespace, else resolv.conf search list, else default)\n"
	      "  --cluster-domain D      [CLUSTER_DOMAIN] (default: resolv.conf, else cluster.local)\n"
	      "  --peer-host TEMPLATE    every member's host, {name} for its name [PEER_HOST];\n"
	      "                          docker-compose: {name}, the service name Docker's DNS\n"
	      "                          answers (no SRV is asked then). Default: the StatefulSet's\n"
	      "                          {name}.<service>.<namespace>.svc.<cluster-domain>\n"
	      "  --initial-cluster-size N  members that bootstrap the cluster [INITIAL_CLUSTER_SIZE] (3)\n"
	      "  --data-dir DIR          [ETCD_DATA_DIR] (/data)\n"
	      "  --wal-dir DIR           [ETCD_WAL_DIR] (default: <data-dir>/member/wal)\n"
	      "  --etcd PATH             etcd binary [ETCD_BIN] (/usr/local/bin/etcd, else PATH)\n"
	      "  --scheme http|https     [URI_SCHEME] (http)\n"
	      "  --client-port N         (2379)\n"
	      "  --peer-port N           (2380)\n"
	      "  --metrics-port N        (8080)\n"
	      "  --token T               initial cluster token [ETCD_INITIAL_CLUSTER_TOKEN]\n"
	      "                          (default: <service>-<namespace>)\n"
	      "  --wait-timeout DUR      give up waiting for DNS or peers after DUR, e.g. 90s, 10m;\n"
	      "                          0 waits forever (600s)\n"
	      "  --no-learner            join as a voter instead of a learner\n"
	      "  --learner-stall DUR     log an error (once a minute) when our learner's applied\n"
	      "                          index has not moved for DUR; 0: never (2m)\n"
	      "  --learner-timeout DUR   log an error (once a minute) when our member is still a\n"
	      "                          learner DUR after it was first seen one; 0: never (10m)\n"
	      "  --auth-user USER        etcd auth user, root for membership changes [ETCDCTL_USER]\n"
	      "  --auth-password-file F  a file holding its password [ETCDCTL_PASSWORD: the value]\n"
	      "  --cert-warn-days N      warn when a certificate expires within N days (30)\n"
	      "  --replicas N            [REPLICAS] the set's desired size (default: ask the\n"
	      "                          Kubernetes API for the StatefulSet's spec.replicas).\n"
	      "                          run/plan/diagnose: every member below it must vouch\n"
	      "                          before a bootstrap; leave: who is scaled away. Set it\n"
	      "                          where there is no API (docker-compose)\n"
	      "  --service-account-dir D leave: token and ca.crt for the Kubernetes API\n"
	      "                          (/var/run/secrets/kubernetes.io/serviceaccount)\n"
	      "  --output text|json      output of plan (text)\n"
	      "  --log-format text|json  (text)\n"
	      "  --log-level LEVEL       error, warn, info or debug (info)\n"
	      "  --help, --version\n"
	      "\n"
	      "A new cluster is bootstrapped only when every other peer has said, through the\n"
	      "etcd-init status on its peer port, that it has no data; silence is never a no.\n"
	      "Refused after -- and as ETCD_* variables: the flags etcd-init sets, --config-file,\n"
	      "the discovery flags and --force-new-cluster (use the force-new-cluster command).\n"
	      "\n"
	      "Exit codes: 2 usage or an unusable data dir, 3 gave up waiting, 4 membership\n"
	      "change failed, 5 refused (a volume or peers it is unsafe to act on), 126/127 etcd\n"
	      "not executable/not found, 128+n signal n.\n",
	      out);
}

const char *ei_env_get(char **envp, const char *name)
{
	size_t n = strlen(name);

	for (char **e = envp; e && *e; e++) {
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	}
	return NULL;
}

/* An environment fallback: set and not empty (etcd ignores empty values too). */
static const char *env_value(char **envp, const char *name)
{
	const char *v = ei_env_get(envp, name);

	return v && *v ? v : NULL;
}

bool ei_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

bool ei_parse_duration(const char *s, unsigned *seconds)
{
	char num[32];
	size_t n = strlen(s);
	unsigned long mult = 1, v;

	if (n == 0 || n >= sizeof(num))
		return false;
	memcpy(num, s, n + 1);
	switch (num[n - 1]) {
	case 's':
		num[--n] = '\0';
		break;
	case 'm':
		mult = 60;
		num[--n] = '\0';
		break;
	case 'h':
		mult = 3600;
		num[--n] = '\0';
		break;
	default:
		break;
	}
	if (!ei_parse_uint(num, 0, 7ul * 24 * 3600, &v) || v * mult > 7ul * 24 * 3600)
		return false;
	*seconds = (unsigned)(v * mult);
	return true;
}

bool ei_resolvconf_cluster_search(const char *resolv_conf, char *ns, size_t ns_len, char *domain,
				  size_t domain_len)
{
	const char *line = resolv_conf, *last_search = NULL;
	char first[EI_DOMAIN_MAX + 2];
	const char *svc;
	size_t n;

	if (!resolv_conf)
		return false;
	/* resolv.conf(5): the last search (or domain) line wins. */
	while (line && *line) {
		if (strncmp(line, "search", 6) == 0 && (line[6] == ' ' || line[6] == '\t'))
			last_search = line + 6;
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	if (!last_search)
		return false;
	last_search += strspn(last_search, " \t");
	n = strcspn(last_search, " \t\r\n");
	if (n == 0 || n >= sizeof(first))
		return false;
	memcpy(first, last_search, n);
	first[n] = '\0';
	if (first[n - 1] == '.')
		first[n - 1] = '\0';
	/* kubelet writes "<ns>.svc.<domain> svc.<domain> <domain>" first for ClusterFirst. */
	svc = strstr(first, ".svc.");
	if (!svc || svc == first || !svc[5])
		return false;
	if ((size_t)(svc - first) >= ns_len || strlen(svc + 5) >= domain_len)
		return false;
	memcpy(ns, first, (size_t)(svc - first));
	ns[svc - first] = '\0';
	strcpy(domain, svc + 5);
	return ei_label_valid(ns) && ei_domain_valid(domain);
}

static int copy_setting(char *dst, size_t len, const char *value, const char *setting,
			struct ei_err *err)
{
	if (strlen(value) >= len)
		return ei_err_set(err, EI_E_USAGE, "%s: value is too long (at most %zu characters)",
				  setting, len - 1);
	strcpy(dst, value);
	return 0;
}

static int parse_port(const char *value, const char *setting, unsigned *out, struct ei_err *err)
{
	unsigned long v;

	if (!ei_parse_uint(value, 1, 65535, &v))
		return ei_err_set(err, EI_E_USAGE, "%s: \"%s\" is not a port (expected 1-65535)",
				  setting, value);
	*out = (unsigned)v;
	return 0;
}

static int parse_options(struct raw *raw, struct ei_config *cfg, int argc, char **argv,
			 struct ei_err *err)
{
	int c;

	/* '+': stop at the first non-option; '-' in front of ':' keeps getopt quiet. */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:h", long_options, NULL)) != -1) {
		switch (c) {
		case OPT_NAME: raw->name = optarg; break;
		case OPT_SERVICE: raw->service = optarg; break;
		case OPT_NAMESPACE: raw->ns = optarg; raw->ns_source = "flag"; break;
		case OPT_CLUSTER_DOMAIN: raw->domain = optarg; raw->domain_source = "flag"; break;
		case OPT_INITIAL_SIZE: raw->size = optarg; break;
		case OPT_DATA_DIR: raw->data_dir = optarg; break;
		case OPT_WAL_DIR: raw->wal_dir = optarg; break;
		case OPT_ETCD: raw->etcd = optarg; break;
		case OPT_SCHEME: raw->scheme = optarg; break;
		case OPT_CLIENT_PORT: raw->client_port = optarg; break;
		case OPT_PEER_PORT: raw->peer_port = optarg; break;
		case OPT_METRICS_PORT: raw->metrics_port = optarg; break;
		case OPT_TOKEN: raw->token = optarg; break;
		case OPT_WAIT_TIMEOUT: raw->wait_timeout = optarg; break;
		case OPT_NO_LEARNER: cfg->no_learner = true; break;
		case OPT_LEARNER_STALL: raw->learner_stall = optarg; break;
		case OPT_LEARNER_TIMEOUT: raw->learner_timeout = optarg; break;
		case OPT_OUTPUT: raw->output = optarg; break;
		case OPT_LOG_FORMAT: raw->log_format = optarg; break;
		case OPT_LOG_LEVEL: raw->log_level = optarg; break;
		case OPT_DRY_RUN: cfg->command = EI_CMD_PLAN; break;
		case OPT_AUTH_USER: raw->auth_user = optarg; raw->auth_user_from = "--auth-user"; break;
		case OPT_AUTH_PASSWORD_FILE: raw->auth_password_file = optarg; break;
		case OPT_CERT_WARN_DAYS: raw->cert_warn_days = optarg; break;
		case OPT_REPLICAS: raw->replicas = optarg; break;
		case OPT_SA_DIR: raw->sa_dir = optarg; break;
		case OPT_PEER_HOST: raw->peer_host = optarg; break;
		case 'h': cfg->command = EI_CMD_HELP; return 0;
		case OPT_VERSION: cfg->command = EI_CMD_VERSION; return 0;
		case ':':
			return ei_err_set(err, EI_E_USAGE, "%s: a value is required (see --help)",
					  argv[optind - 1]);
		case '?':
		default:
			return ei_err_set(err, EI_E_USAGE, "%s: unknown option (see --help)",
					  argv[optind - 1]);
		}
	}
	return optind;
}

/* The optional command word before the options (run, plan, leave, diagnose,
 * force-new-cluster). Returns how
 * many arguments it took (0 or 1). */
static int parse_command(struct ei_config *cfg, int argc, char **argv, struct ei_err *err)
{
	if (argc < 2 || argv[1][0] == '-')
		return 0;
	if (strcmp(argv[1], "run") == 0)
		return 1;
	if (strcmp(argv[1], "plan") == 0) {
		cfg->command = EI_CMD_PLAN;
		return 1;
	}
	if (strcmp(argv[1], "leave") == 0) {
		cfg->command = EI_CMD_LEAVE;
		return 1;
	}
	if (strcmp(argv[1], "diagnose") == 0) {
		cfg->command = EI_CMD_DIAGNOSE;
		return 1;
	}
	if (strcmp(argv[1], "force-new-cluster") == 0) {
		cfg->command = EI_CMD_FORCE_NEW_CLUSTER;
		return 1;
	}
	return ei_err_set(err, EI_E_USAGE, "\"%s\": unknown command (expected run, plan, leave, diagnose or force-new-cluster; etcd arguments go after --)", argv[1]);
}

static void apply_env_fallbacks(struct raw *raw, char **envp)
{
	if (!raw->name)
		raw->name = env_value(envp, "HOSTNAME");
	if (!raw->service)
		raw->service = env_value(envp, "SERVICE_NAME");
	if (!raw->peer_host)
		raw->peer_host = env_value(envp, "PEER_HOST");
	if (!raw->ns) {
		raw->ns_source = "env K8S_NAMESPACE";
		raw->ns = env_value(envp, "K8S_NAMESPACE");
	}
	if (!raw->ns) {
		raw->ns_source = "env POD_NAMESPACE";
		raw->ns = env_value(envp, "POD_NAMESPACE");
	}
	if (!raw->domain) {
		raw->domain_source = "env CLUSTER_DOMAIN";
		raw->domain = env_value(envp, "CLUSTER_DOMAIN");
	}
	if (!raw->size)
		raw->size = env_value(envp, "INITIAL_CLUSTER_SIZE");
	if (!raw->replicas)
		raw->replicas = env_value(envp, "REPLICAS");
	if (!raw->data_dir)
		raw->data_dir = env_value(envp, "ETCD_DATA_DIR");
	if (!raw->wal_dir)
		raw->wal_dir = env_value(envp, "ETCD_WAL_DIR");
	if (!raw->etcd)
		raw->etcd = env_value(envp, "ETCD_BIN");
	if (!raw->scheme)
		raw->scheme = env_value(envp, "URI_SCHEME");
	if (!raw->token)
		raw->token = env_value(envp, "ETCD_INITIAL_CLUSTER_TOKEN");
	if (!raw->auth_user && (raw->auth_user = env_value(envp, "ETCDCTL_USER")))
		raw->auth_user_from = "ETCDCTL_USER";
	raw->auth_password = env_value(envp, "ETCDCTL_PASSWORD");
	raw->k8s_host = env_value(envp, "KUBERNETES_SERVICE_HOST");
	raw->k8s_port = env_value(envp, "KUBERNETES_SERVICE_PORT");
}

/* etcd auth: a user, and a password from a file or ETCDCTL_PASSWORD. The password is
 * never copied into messages. etcdctl's "user:password" form is refused in both places:
 * in --auth-user the password would be in /proc/1/cmdline (readable by every process of
 * the pod, proc(5)) and in the pod spec's command and preStop hook; in ETCDCTL_USER it
 * is a secret in a variable everything treats as a name. One place for the password,
 * which etcd-init keeps out of etcd's environment and out of its aftercare's. */
static int validate_auth(struct ei_config *cfg, const struct raw *raw, struct ei_err *err)
{
	const char *user = raw->auth_user;
	size_t n;

	if (!user) {
		if (raw->auth_password_file || raw->auth_password)
			return ei_err_set(err, EI_E_USAGE,
					  "%s is set but no user: set --auth-user or ETCDCTL_USER "
					  "(root, for membership changes)",
					  raw->auth_password_file ? "--auth-password-file"
								  : "ETCDCTL_PASSWORD");
		return 0;
	}
	if (strchr(user, ':') && !strcmp(raw->auth_user_from, "--auth-user"))
		return ei_err_set(err, EI_E_USAGE, "--auth-user holds a password (user:password): refused, it would show in /proc/1/cmdline and in the pod's command and preStop hook; give the user alone (--auth-user root) and the password in a file (--auth-password-file) or in ETCDCTL_PASSWORD");
	if (strchr(user, ':'))
		return ei_err_set(err, EI_E_USAGE, "ETCDCTL_USER holds a password (etcdctl's user:password form): refused; keep the user name alone in ETCDCTL_USER and put the password in ETCDCTL_PASSWORD (from a Secret) or in a file (--auth-password-file), where etcd-init reads it");
	n = strlen(user);
	if (n == 0 || n >= sizeof(cfg->auth_user))
		return ei_err_set(err, EI_E_USAGE, "%s: the user name is empty or too long",
				  raw->auth_user_from);
	memcpy(cfg->auth_user, user, n);
	cfg->auth_user[n] = '\0';
	if (raw->auth_password_file) {
		int r = copy_setting(cfg->auth_password_file, sizeof(cfg->auth_password_file),
				     raw->auth_password_file, "--auth-password-file", err);

		if (r < 0)
			return r;
	} else if (raw->auth_password) {
		cfg->auth_password = raw->auth_password;
	} else {
		return ei_err_set(err, EI_E_USAGE,
				  "%s=%s but no password: set --auth-password-file (a file holding "
				  "it) or ETCDCTL_PASSWORD",
				  raw->auth_user_from, cfg->auth_user);
	}
	return 0;
}

/* Namespace and cluster domain defaults: the service-account namespace file,
 * then the pod's resolv.conf search list (etcd-facts §5), then "default" and
 * "cluster.local". */
static void apply_k8s_defaults(struct raw *raw, const struct ei_config_input *in, char *ns_buf,
			       size_t ns_len, char *domain_buf, size_t domain_len)
{
	char rns[EI_LABEL_MAX + 1], rdomain[EI_DOMAIN_MAX + 1];
	bool have_resolv = ei_resolvconf_cluster_search(in->resolv_conf, rns, sizeof(rns), rdomain,
							sizeof(rdomain));

	if (!raw->ns && in->sa_namespace && *in->sa_namespace) {
		size_t n = strcspn(in->sa_namespace, " \t\r\n");

		if (n > 0 && n < ns_len) {
			memcpy(ns_buf, in->sa_namespace, n);
			ns_buf[n] = '\0';
			raw->ns = ns_buf;
			raw->ns_source = "service account";
		}
	}
	if (!raw->ns && have_resolv) {
		snprintf(ns_buf, ns_len, "%s", rns);
		raw->ns = ns_buf;
		raw->ns_source = "resolv.conf search";
	}
	if (!raw->ns) {
		raw->ns = "default";
		raw->ns_source = "default";
	}
	if (!raw->domain && have_resolv) {
		snprintf(domain_buf, domain_len, "%s", rdomain);
		raw->domain = domain_buf;
		raw->domain_source = "resolv.conf search";
	}
	if (!raw->domain) {
		raw->domain = "cluster.local";
		raw->domain_source = "default";
	}
}

static int validate(struct ei_config *cfg, const struct raw *raw, struct ei_err *err)
{
	struct ei_identity *id = &cfg->id;
	unsigned long v;
	int r;

	if (!raw->name)
		return ei_err_set(err, EI_E_USAGE,
				  "--name/HOSTNAME: not set and gethostname failed (expected a pod "
				  "name such as etcd-0)");
	r = copy_setting(cfg->name, sizeof(cfg->name), raw->name, "--name/HOSTNAME", err);
	if (r < 0)
		return r;
	r = ei_identity_split_name(cfg->name, id->set, sizeof(id->set), &id->ordinal, err);
	if (r < 0)
		return r;
	if (raw->service) {
		if (!ei_label_valid(raw->service))
			return ei_err_set(err, EI_E_USAGE,
					  "--service/SERVICE_NAME: \"%s\" is not a DNS label (expected "
					  "lowercase letters, digits and '-', at most 63)",
					  raw->service);
		strcpy(id->service, raw->service);
	} else {
		strcpy(id->service, id->set);
	}
	if (!ei_label_valid(raw->ns))
		return ei_err_set(err, EI_E_USAGE,
				  "--namespace (%s): \"%s\" is not a DNS label (expected lowercase "
				  "letters, digits and '-', at most 63)",
				  raw->ns_source, raw->ns);
	strcpy(id->ns, raw->ns);
	snprintf(cfg->namespace_source, sizeof(cfg->namespace_source), "%s", raw->ns_source);
	{
		char domain[EI_DOMAIN_MAX + 2];
		size_t n = strlen(raw->domain);

		/* Accept "cluster.local." as users write it in Corefiles. */
		if (n > 1 && n < sizeof(domain) && raw->domain[n - 1] == '.') {
			memcpy(domain, raw->domain, n - 1);
			domain[n - 1] = '\0';
		} else {
			snprintf(domain, sizeof(domain), "%s", raw->domain);
		}
		if (!ei_domain_valid(domain))
			return ei_err_set(err, EI_E_USAGE,
					  "--cluster-domain (%s): \"%s\" is not a DNS domain (expected "
					  "dot-separated labels such as cluster.local)",
					  raw->domain_source, raw->domain);
		strcpy(id->domain, domain);
	}
	snprintf(cfg->domain_source, sizeof(cfg->domain_source), "%s", raw->domain_source);
	if (raw->peer_host) {
		char why[300] = "too long";

		if (strlen(raw->peer_host) > EI_DOMAIN_MAX ||
		    !ei_identity_template_valid(raw->peer_host, id->set, why, sizeof(why)))
			return ei_err_set(err, EI_E_USAGE,
					  "--peer-host/PEER_HOST: \"%s\" is not a peer host template "
					  "(%s)",
					  raw->peer_host, why);
		strcpy(id->peer_host, raw->peer_host);
	}
	{
		char fqdn[EI_DOMAIN_MAX * 2];

		ei_identity_fqdn(id, id->ordinal, fqdn, sizeof(fqdn));
		if (strlen(fqdn) > EI_DOMAIN_MAX)
			return ei_err_set(err, EI_E_USAGE,
					  "the peer name %s is longer than 253 characters (shorten "
					  "--name, --service, --namespace or --cluster-domain)",
					  fqdn);
	}
	if (raw->size) {
		if (!ei_parse_uint(raw->size, 1, 99, &v))
			return ei_err_set(err, EI_E_USAGE,
					  "--initial-cluster-size/INITIAL_CLUSTER_SIZE: \"%s\" is not a "
					  "member count (expected 1-99)",
					  raw->size);
		cfg->initial_cluster_size = (unsigned)v;
	}
	r = copy_setting(cfg->data_dir, sizeof(cfg->data_dir), raw->data_dir ? raw->data_dir : "/data",
			 "--data-dir/ETCD_DATA_DIR", err);
	if (r < 0)
		return r;
	if (cfg->data_dir[0] != '/')
		return ei_err_set(err, EI_E_USAGE,
				  "--data-dir/ETCD_DATA_DIR: \"%s\" is not an absolute path", cfg->data_dir);
	if (raw->wal_dir) {
		r = copy_setting(cfg->wal_dir, sizeof(cfg->wal_dir), raw->wal_dir,
				 "--wal-dir/ETCD_WAL_DIR", err);
		if (r < 0)
			return r;
		if (cfg->wal_dir[0] != '/')
			return ei_err_set(err, EI_E_USAGE,
					  "--wal-dir/ETCD_WAL_DIR: \"%s\" is not an absolute path",
					  cfg->wal_dir);
	}
	if (raw->etcd) {
		r = copy_setting(cfg->etcd_bin, sizeof(cfg->etcd_bin), raw->etcd, "--etcd/ETCD_BIN", err);
		if (r < 0)
			return r;
	}
	if (raw->scheme) {
		if (strcmp(raw->scheme, "http") != 0 && strcmp(raw->scheme, "https") != 0)
			return ei_err_set(err, EI_E_USAGE,
					  "--scheme/URI_SCHEME: \"%s\" is not a scheme (expected http or "
					  "https)",
					  raw->scheme);
	}
	if (raw->client_port && (r = parse_port(raw->client_port, "--client-port", &id->client_port, err)) < 0)
		return r;
	if (raw->peer_port && (r = parse_port(raw->peer_port, "--peer-port", &id->peer_port, err)) < 0)
		return r;
	if (raw->metrics_port &&
	    (r = parse_port(raw->metrics_port, "--metrics-port", &cfg->metrics_port, err)) < 0)
		return r;
	if (id->client_port == id->peer_port || id->client_port == cfg->metrics_port ||
	    id->peer_port == cfg->metrics_port)
		return ei_err_set(err, EI_E_USAGE,
				  "--client-port %u, --peer-port %u and --metrics-port %u must differ",
				  id->client_port, id->peer_port, cfg->metrics_port);
	if (raw->token) {
		r = copy_setting(cfg->token, sizeof(cfg->token), raw->token,
				 "--token/ETCD_INITIAL_CLUSTER_TOKEN", err);
		if (r < 0)
			return r;
	} else {
		snprintf(cfg->token, sizeof(cfg->token), "%s-%s", id->service, id->ns);
	}
	if (raw->cert_warn_days) {
		if (!ei_parse_uint(raw->cert_warn_days, 0, 3650, &v))
			return ei_err_set(err, EI_E_USAGE,
					  "--cert-warn-days: \"%s\" is not a number of days (expected "
					  "0-3650)",
					  raw->cert_warn_days);
		cfg->cert_warn_days = (unsigned)v;
	}
	r = validate_auth(cfg, raw, err);
	if (r < 0)
		return r;
	cfg->replicas = -1;
	if (raw->replicas) {
		if (!ei_parse_uint(raw->replicas, 0, 100000, &v))
			return ei_err_set(err, EI_E_USAGE,
					  "--replicas/REPLICAS: \"%s\" is not a replica count (expected 0-100000)",
					  raw->replicas);
		cfg->replicas = (long)v;
	}
	r = copy_setting(cfg->sa_dir, sizeof(cfg->sa_dir),
			 raw->sa_dir ? raw->sa_dir : "/var/run/secrets/kubernetes.io/serviceaccount",
			 "--service-account-dir", err);
	if (r == 0 && raw->k8s_host)
		r = copy_setting(cfg->k8s_host, sizeof(cfg->k8s_host), raw->k8s_host,
				 "KUBERNETES_SERVICE_HOST", err);
	if (r == 0)
		r = copy_setting(cfg->k8s_port, sizeof(cfg->k8s_port),
				 raw->k8s_port ? raw->k8s_port : "443", "KUBERNETES_SERVICE_PORT", err);
	if (r < 0)
		return r;
	if (raw->wait_timeout && !ei_parse_duration(raw->wait_timeout, &cfg->wait_timeout_s))
		return ei_err_set(err, EI_E_USAGE,
				  "--wait-timeout: \"%s\" is not a duration (expected seconds, or a "
				  "number with s, m or h, at most 7 days; 0 waits forever)",
				  raw->wait_timeout);
	if (raw->learner_stall && !ei_parse_duration(raw->learner_stall, &cfg->learner_stall_s))
		return ei_err_set(err, EI_E_USAGE,
				  "--learner-stall: \"%s\" is not a duration (expected seconds, or a "
				  "number with s, m or h, at most 7 days; 0 never reports)",
				  raw->learner_stall);
	if (raw->learner_timeout && !ei_parse_duration(raw->learner_timeout, &cfg->learner_timeout_s))
		return ei_err_set(err, EI_E_USAGE,
				  "--learner-timeout: \"%s\" is not a duration (expected seconds, or "
				  "a number with s, m or h, at most 7 days; 0 never reports)",
				  raw->learner_timeout);
	if (raw->output) {
		if (strcmp(raw->output, "text") == 0)
			cfg->output = EI_OUTPUT_TEXT;
		else if (strcmp(raw->output, "json") == 0)
			cfg->output = EI_OUTPUT_JSON;
		else
			return ei_err_set(err, EI_E_USAGE,
					  "--output: \"%s\" is not a format (expected text or json)",
					  raw->output);
	}
	if (raw->log_format && !ei_log_format_parse(raw->log_format, &cfg->log_format))
		return ei_err_set(err, EI_E_USAGE,
				  "--log-format: \"%s\" is not a format (expected text or json)",
				  raw->log_format);
	if (raw->log_level) {
		static const char *const levels[] = { "error", "warn", "info", "debug" };
		bool found = false;

		for (unsigned i = 0; i < 4; i++) {
			if (strcmp(raw->log_level, levels[i]) == 0) {
				cfg->log_level = (enum ei_log_level)i;
				found = true;
			}
		}
		if (!found)
			return ei_err_set(err, EI_E_USAGE,
					  "--log-level: \"%s\" is not a level (expected error, warn, "
					  "info or debug)",
					  raw->log_level);
	}
	return 0;
}

int ei_config_parse(struct ei_config *cfg, const struct ei_config_input *in, struct ei_err *err)
{
	struct raw raw = { 0 };
	char ns_buf[EI_LABEL_MAX + 1], domain_buf[EI_DOMAIN_MAX + 1];
	int skip, first, r;

	memset(cfg, 0, sizeof(*cfg));
	cfg->command = EI_CMD_RUN;
	cfg->initial_cluster_size = EI_DEFAULT_INITIAL_SIZE;
	cfg->wait_timeout_s = EI_DEFAULT_WAIT_TIMEOUT_S;
	cfg->learner_stall_s = EI_DEFAULT_LEARNER_STALL_S;
	cfg->learner_timeout_s = EI_DEFAULT_LEARNER_TIMEOUT_S;
	cfg->cert_warn_days = EI_DEFAULT_CERT_WARN_DAYS;
	cfg->metrics_port = 8080;
	cfg->id.client_port = 2379;
	cfg->id.peer_port = 2380;
	cfg->log_level = EI_LOG_INFO;

	skip = parse_command(cfg, in->argc, in->argv, err);
	if (skip < 0)
		return skip;
	first = parse_options(&raw, cfg, in->argc - skip, in->argv + skip, err);
	if (first < 0)
		return first;
	if (cfg->command == EI_CMD_HELP || cfg->command == EI_CMD_VERSION)
		return 0;
	first += skip;
	/* getopt consumes "--" itself: what follows it goes to etcd untouched. */
	if (first > 1 && strcmp(in->argv[first - 1], "--") == 0) {
		cfg->etcd_args = in->argv + first;
		cfg->n_etcd_args = (size_t)(in->argc - first);
	} else if (first < in->argc) {
		return ei_err_set(err, EI_E_USAGE,
				  "\"%s\": unexpected argument (etcd arguments go after --)",
				  in->argv[first]);
	}
	apply_env_fallbacks(&raw, in->envp);
	if (!raw.name)
		raw.name = in->hostname;
	apply_k8s_defaults(&raw, in, ns_buf, sizeof(ns_buf), domain_buf, sizeof(domain_buf));
	r = validate(cfg, &raw, err);
	if (r < 0)
		return r;
	r = ei_tlsconf_read(&cfg->tls, in->envp, cfg->etcd_args, cfg->n_etcd_args, raw.scheme, err);
	if (r < 0)
		return r;
	strcpy(cfg->id.client_scheme, cfg->tls.client_tls ? "https" : "http");
	strcpy(cfg->id.peer_scheme, cfg->tls.peer_tls ? "https" : "http");
	return 0;
}

int ei_config_password(const struct ei_config *cfg, char *buf, size_t len, struct ei_err *err)
{
	size_t n = 0;
	int fd, r;

	buf[0] = '\0';
	if (!cfg->auth_user[0])
		return 0;
	if (!cfg->auth_password_file[0]) {
		if (strlen(cfg->auth_password) >= len)
			return ei_err_set(err, EI_E_USAGE, "ETCDCTL_PASSWORD: too long (at most %zu)",
					  len - 1);
		strcpy(buf, cfg->auth_password);
		return 0;
	}
	fd = ei_file_open(cfg->auth_password_file);
	r = fd < 0 ? fd : ei_file_read_all(fd, buf, len, &n);
	if (r == -EFBIG)
		return ei_err_set(err, EI_E_USAGE,
				  "--auth-password-file %s: too long (at most %zu bytes)",
				  cfg->auth_password_file, len - 1);
	if (r < 0)
		return ei_err_set(err, EI_E_USAGE, "--auth-password-file %s: cannot be read: %s",
				  cfg->auth_password_file, strerror(-r));
	/* A file written with echo ends in a newline that is not part of the password. */
	if (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	if (n && buf[n - 1] == '\r')
		buf[--n] = '\0';
	if (!n)
		return ei_err_set(err, EI_E_USAGE, "--auth-password-file %s: the file is empty",
				  cfg->auth_password_file);
	return 0;
}
