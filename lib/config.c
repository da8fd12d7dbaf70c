/* config.c - etcd-init's settings and commands, each described once in a table
 * (the machinery is settings.c), and the checks that involve several settings
 * (see config.h). */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file.h"

/* The rows of settings[], in the order --help lists them. */
enum setting_id {
	S_NAME,
	S_SERVICE,
	S_NAMESPACE,
	S_CLUSTER_DOMAIN,
	S_PEER_HOST,
	S_INITIAL_SIZE,
	S_DATA_DIR,
	S_WAL_DIR,
	S_ETCD,
	S_SCHEME,
	S_CLIENT_PORT,
	S_PEER_PORT,
	S_METRICS_PORT,
	S_TOKEN,
	S_WAIT_TIMEOUT,
	S_NO_LEARNER,
	S_LEARNER_STALL,
	S_LEARNER_TIMEOUT,
	S_AUTH_USER,
	S_AUTH_PASSWORD_FILE,
	S_CERT_WARN_DAYS,
	S_REPLICAS,
	S_SA_DIR,
	S_OUTPUT,
	S_LOG_FORMAT,
	S_LOG_LEVEL,
	S_DRY_RUN,
	S_HELP,
	S_VERSION,
	S_PASSWORD,
	S_K8S_HOST,
	S_K8S_PORT,
	S_COUNT
};

/* settings.c stores enums as unsigned. */
_Static_assert(sizeof(enum ei_output) == sizeof(unsigned), "enum size");
_Static_assert(sizeof(enum ei_log_format) == sizeof(unsigned), "enum size");
_Static_assert(sizeof(enum ei_log_level) == sizeof(unsigned), "enum size");
_Static_assert(sizeof(enum ei_command) == sizeof(unsigned), "enum size");

#define FIELD(f) .offset = offsetof(struct ei_config, f), .size = sizeof(((struct ei_config *)0)->f)

/* Index = the enum's value (enum ei_output, enum ei_log_format, enum ei_log_level). */
static const char *const scheme_names[] = { "http", "https", NULL };
static const char *const format_names[] = { "text", "json", NULL };
static const char *const level_names[] = { "error", "warn", "info", "debug", NULL };

/* Every setting once: flag, variables, kind, bounds, default, help (%e: the
 * variables, %d: the default, %n: the names; settings.h). RAW rows are checked by
 * the named functions below: check_identity, check_auth. */
static const struct ei_setting settings[S_COUNT] = {
	[S_NAME] = { "name", 0, { "HOSTNAME" }, EI_SETTING_RAW, .arg = "NAME",
		     .help = "pod name <set>-<ordinal> %e (default: gethostname)" },
	[S_SERVICE] = { "service", 0, { "SERVICE_NAME" }, EI_SETTING_RAW, .arg = "NAME",
			.help = "headless service %e (default: the set name)" },
	[S_NAMESPACE] = { "namespace", 0, { "K8S_NAMESPACE", "POD_NAMESPACE" }, EI_SETTING_RAW,
			  .arg = "NS",
			  .help = "%e (default: service account\nnamespace, else resolv.conf search list, else default)" },
	[S_CLUSTER_DOMAIN] = { "cluster-domain", 0, { "CLUSTER_DOMAIN" }, EI_SETTING_RAW,
			       .arg = "D",
			       .help = "%e (default: resolv.conf, else cluster.local)" },
	[S_PEER_HOST] = { "peer-host", 0, { "PEER_HOST" }, EI_SETTING_RAW, .arg = "TEMPLATE",
			  .help = "every member's host, {name} for its name %e;\ndocker-compose: {name}, the service name Docker's DNS\nanswers (no SRV is asked then). Default: the StatefulSet's\n{name}.<service>.<namespace>.svc.<cluster-domain>" },
	[S_INITIAL_SIZE] = { "initial-cluster-size", 0, { "INITIAL_CLUSTER_SIZE" }, EI_SETTING_UINT,
			     FIELD(initial_cluster_size), .min = 1, .max = 99,
			     .noun = "member count", .def = "3", .arg = "N",
			     .help = "members that bootstrap the cluster %e %d" },
	[S_DATA_DIR] = { "data-dir", 0, { "ETCD_DATA_DIR" }, EI_SETTING_PATH, FIELD(data_dir),
			 .def = "/data", .arg = "DIR", .help = "%e %d" },
	[S_WAL_DIR] = { "wal-dir", 0, { "ETCD_WAL_DIR" }, EI_SETTING_PATH, FIELD(wal_dir),
			.arg = "DIR", .help = "%e (default: <data-dir>/member/wal)" },
	/* "" (the field's own default) is decided by exec.c: /usr/local/bin/etcd, else PATH. */
	[S_ETCD] = { "etcd", 0, { "ETCD_BIN" }, EI_SETTING_STRING, FIELD(etcd_bin), .arg = "PATH",
		     .help = "etcd binary %e (/usr/local/bin/etcd, else PATH)" },
	/* Checked here, then given to tlsconf.c as set or not: each side's scheme follows
	 * its certificates, http without them (tlsconf.h), hence no default value. */
	[S_SCHEME] = { "scheme", 0, { "URI_SCHEME" }, EI_SETTING_ENUM, .noun = "scheme",
		       .names = scheme_names, .help = "%e (http)" },
	[S_CLIENT_PORT] = { "client-port", 0, { NULL }, EI_SETTING_UINT, FIELD(id.client_port),
			    .min = 1, .max = 65535, .noun = "port", .def = "2379", .arg = "N",
			    .help = "%d" },
	[S_PEER_PORT] = { "peer-port", 0, { NULL }, EI_SETTING_UINT, FIELD(id.peer_port),
			  .min = 1, .max = 65535, .noun = "port", .def = "2380", .arg = "N",
			  .help = "%d" },
	[S_METRICS_PORT] = { "metrics-port", 0, { NULL }, EI_SETTING_UINT, FIELD(metrics_port),
			     .min = 1, .max = 65535, .noun = "port", .def = "8080", .arg = "N",
			     .help = "%d" },
	/* Its default <service>-<namespace> is made by default_token. */
	[S_TOKEN] = { "token", 0, { "ETCD_INITIAL_CLUSTER_TOKEN" }, EI_SETTING_STRING, FIELD(token),
		      .arg = "T", .help = "initial cluster token %e\n(default: <service>-<namespace>)" },
	[S_WAIT_TIMEOUT] = { "wait-timeout", 0, { NULL }, EI_SETTING_DURATION, FIELD(wait_timeout_s),
			     .zero = "waits forever", .def = "600s", .arg = "DUR",
			     .help = "give up waiting for DNS or peers after DUR, e.g. 90s, 10m;\n0 waits forever %d" },
	[S_NO_LEARNER] = { "no-learner", 0, { NULL }, EI_SETTING_SWITCH, FIELD(no_learner),
			   .help = "join as a voter instead of a learner" },
	[S_LEARNER_STALL] = { "learner-stall", 0, { NULL }, EI_SETTING_DURATION,
			      FIELD(learner_stall_s), .zero = "never reports", .def = "2m",
			      .arg = "DUR",
			      .help = "log an error (once a minute) when our learner's applied\nindex has not moved for DUR; 0: never %d" },
	[S_LEARNER_TIMEOUT] = { "learner-timeout", 0, { NULL }, EI_SETTING_DURATION,
				FIELD(learner_timeout_s), .zero = "never reports", .def = "10m",
				.arg = "DUR",
				.help = "log an error (once a minute) when our member is still a\nlearner DUR after it was first seen one; 0: never %d" },
	[S_AUTH_USER] = { "auth-user", 0, { "ETCDCTL_USER" }, EI_SETTING_RAW, .arg = "USER",
			  .help = "etcd auth user, root for membership changes %e" },
	[S_AUTH_PASSWORD_FILE] = { "auth-password-file", 0, { NULL }, EI_SETTING_RAW, .arg = "F",
				   .help = "a file holding its password [ETCDCTL_PASSWORD: the value]" },
	[S_CERT_WARN_DAYS] = { "cert-warn-days", 0, { NULL }, EI_SETTING_UINT, FIELD(cert_warn_days),
			       .min = 0, .max = 3650, .noun = "number of days", .def = "30",
			       .arg = "N", .help = "warn when a certificate expires within N days %d" },
	/* Unset: -1, set by ei_config_parse (ask the Kubernetes API). */
	[S_REPLICAS] = { "replicas", 0, { "REPLICAS" }, EI_SETTING_UINT, FIELD(replicas), .min = 0,
			 .max = 100000, .noun = "replica count", .arg = "N",
			 .help = "%e the set's desired size (default: ask the\nKubernetes API for the StatefulSet's spec.replicas).\nrun/plan/diagnose: every member below it must vouch\nbefore a bootstrap; leave: who is scaled away. Set it\nwhere there is no API (docker-compose)" },
	[S_SA_DIR] = { "service-account-dir", 0, { NULL }, EI_SETTING_STRING, FIELD(sa_dir),
		       .def = "/var/run/secrets/kubernetes.io/serviceaccount", .arg = "D",
		       .help = "leave: token and ca.crt for the Kubernetes API\n%d" },
	[S_OUTPUT] = { "output", 0, { NULL }, EI_SETTING_ENUM, FIELD(output), .noun = "format",
		       .names = format_names, .def = "text", .help = "output of plan %d" },
	[S_LOG_FORMAT] = { "log-format", 0, { NULL }, EI_SETTING_ENUM, FIELD(log_format),
			   .noun = "format", .names = format_names, .def = "text", .help = "%d" },
	[S_LOG_LEVEL] = { "log-level", 0, { NULL }, EI_SETTING_ENUM, FIELD(log_level),
			  .noun = "level", .names = level_names, .def = "info", .arg = "LEVEL",
			  .help = "%n %d" },
	/* Listed with the commands (usage_commands) and at the end (usage). */
	[S_DRY_RUN] = { "dry-run", 0, { NULL }, EI_SETTING_COMMAND, FIELD(command),
			.command = EI_CMD_PLAN },
	[S_HELP] = { "help", 'h', { NULL }, EI_SETTING_COMMAND, FIELD(command),
		     .command = EI_CMD_HELP, .stop = true },
	[S_VERSION] = { "version", 0, { NULL }, EI_SETTING_COMMAND, FIELD(command),
			.command = EI_CMD_VERSION, .stop = true },
	/* Environment only. */
	[S_PASSWORD] = { .env = { "ETCDCTL_PASSWORD" }, .kind = EI_SETTING_RAW },
	[S_K8S_HOST] = { NULL, 0, { "KUBERNETES_SERVICE_HOST" }, EI_SETTING_STRING, FIELD(k8s_host) },
	[S_K8S_PORT] = { NULL, 0, { "KUBERNETES_SERVICE_PORT" }, EI_SETTING_STRING, FIELD(k8s_port),
			 .def = "443" },
};

/* The command words; main's handlers are cmd/main.c's table, indexed by the command
 * (lib/ cannot call into cmd/). help and version are flags, not words. */
static const struct {
	const char *name;
	enum ei_command command;
	const char *help;
} commands[] = {
	{ "run", EI_CMD_RUN, "do it and exec etcd (default)" },
	{ "plan", EI_CMD_PLAN, "print the facts, the decision and the etcd command line;\nchange nothing" },
	{ "leave", EI_CMD_LEAVE, "preStop hook: on a scale-down past this pod, remove its\nmember and move its data aside; otherwise nothing" },
	{ "diagnose", EI_CMD_DIAGNOSE, "a table of every peer (DNS, answers, member, health),\nthe data dir, the certificates and the decision; read-only" },
	{ "force-new-cluster", EI_CMD_FORCE_NEW_CLUSTER, "quorum lost for good: ask this pod (the one whose data to\nkeep; kubectl exec, with its etcd-init's settings) to\nstart etcd once with --force-new-cluster; the others then\njoin it. Writes <data-dir>/.etcd-init-force-new-cluster" },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

/* The command words joined by sep and last: "run|plan|..." or "run, plan, ... or x". */
static void command_names(const char *sep, const char *last, char *buf, size_t len)
{
	const char *names[N_COMMANDS];

	for (size_t i = 0; i < N_COMMANDS; i++)
		names[i] = commands[i].name;
	ei_settings_join(names, N_COMMANDS, sep, last, buf, len);
}

/* Each command word, with the flags that select it too ("plan, --dry-run"). */
static void usage_commands(FILE *out)
{
	char head[128];

	for (size_t i = 0; i < N_COMMANDS; i++) {
		size_t n = (size_t)snprintf(head, sizeof(head), "%s", commands[i].name);

		for (size_t s = 0; s < S_COUNT && n < sizeof(head); s++) {
			if (settings[s].kind == EI_SETTING_COMMAND && !settings[s].stop &&
			    settings[s].command == (int)commands[i].command)
				n += (size_t)snprintf(head + n, sizeof(head) - n, ", --%s",
						      settings[s].flag);
		}
		ei_settings_usage_entry(out, head, commands[i].help);
	}
}

void ei_config_usage(FILE *out)
{
	char names[128];
	const char *sep = "  ";

	command_names("|", "|", names, sizeof(names));
	fprintf(out, "Usage: etcd-init [%s] [options] [-- etcd-args...]\n", names);
	fputs("\n"
	      "Start an etcd member of a StatefulSet: wait for DNS, decide whether to bootstrap,\n"
	      "restart, join or replace, make the membership change, then exec etcd.\n"
	      "\n"
	      "Commands:\n",
	      out);
	usage_commands(out);
	fputs("\nOptions (environment fallback in brackets; the flag wins):\n", out);
	ei_settings_usage(settings, S_COUNT, out);
	/* The flags that end the parsing, on one line. */
	for (size_t s = 0; s < S_COUNT; s++) {
		if (settings[s].kind == EI_SETTING_COMMAND && settings[s].stop) {
			fprintf(out, "%s--%s", sep, settings[s].flag);
			sep = ", ";
		}
	}
	fputs("\n"
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

/* The optional command word before the options. Returns how many arguments it took
 * (0 or 1). */
static int parse_command(struct ei_config *cfg, int argc, char **argv, struct ei_err *err)
{
	char names[128];

	if (argc < 2 || argv[1][0] == '-')
		return 0;
	for (size_t i = 0; i < N_COMMANDS; i++) {
		if (strcmp(argv[1], commands[i].name) == 0) {
			cfg->command = commands[i].command;
			return 1;
		}
	}
	command_names(", ", " or ", names, sizeof(names));
	return ei_err_set(err, EI_E_USAGE, "\"%s\": unknown command (expected %s; etcd arguments go after --)", argv[1], names);
}

/* The namespace or the cluster domain, and where it came from ("flag", "env
 * K8S_NAMESPACE", "service account"...), which plan shows. */
struct sourced {
	const char *value;
	char source[64];
	char buf[EI_DOMAIN_MAX + 1];
};

static void sourced_from(struct sourced *s, const struct ei_setting_value *val)
{
	s->value = val->value;
	if (val->from == EI_FROM_FLAG)
		snprintf(s->source, sizeof(s->source), "flag");
	else if (val->from == EI_FROM_ENV)
		snprintf(s->source, sizeof(s->source), "env %s", val->env);
}

static void sourced_set(struct sourced *s, const char *value, const char *source)
{
	snprintf(s->buf, sizeof(s->buf), "%s", value);
	s->value = s->buf;
	snprintf(s->source, sizeof(s->source), "%s", source);
}

/* Namespace and cluster domain: the flag, the variables, then the service-account
 * namespace file, then the pod's resolv.conf search list (kubelet
 * pkg/kubelet/network/dns/dns.go generateSearchesForDNSClusterFirst), then "default"
 * and "cluster.local". */
static void k8s_defaults(const struct ei_setting_value *vals, const struct ei_config_input *in,
			 struct sourced *ns, struct sourced *domain)
{
	char rns[EI_LABEL_MAX + 1], rdomain[EI_DOMAIN_MAX + 1];
	bool have_resolv = ei_resolvconf_cluster_search(in->resolv_conf, rns, sizeof(rns), rdomain,
							sizeof(rdomain));

	sourced_from(ns, &vals[S_NAMESPACE]);
	sourced_from(domain, &vals[S_CLUSTER_DOMAIN]);
	if (!ns->value && in->sa_namespace && *in->sa_namespace) {
		size_t n = strcspn(in->sa_namespace, " \t\r\n");

		if (n > 0 && n <= EI_LABEL_MAX) {
			memcpy(ns->buf, in->sa_namespace, n);
			ns->buf[n] = '\0';
			ns->value = ns->buf;
			snprintf(ns->source, sizeof(ns->source), "service account");
		}
	}
	if (!ns->value && have_resolv)
		sourced_set(ns, rns, "resolv.conf search");
	if (!ns->value)
		sourced_set(ns, "default", "default");
	if (!domain->value && have_resolv)
		sourced_set(domain, rdomain, "resolv.conf search");
	if (!domain->value)
		sourced_set(domain, "cluster.local", "default");
}

/* The pod name, its set and ordinal, and the service. */
static int check_name(struct ei_config *cfg, const struct ei_setting_value *vals,
		      struct ei_err *err)
{
	struct ei_identity *id = &cfg->id;
	const char *service = vals[S_SERVICE].value;
	int r;

	if (!vals[S_NAME].value)
		return ei_err_set(err, EI_E_USAGE,
				  "--name/HOSTNAME: not set and gethostname failed (expected a pod name such as etcd-0)");
	r = ei_setting_copy(cfg->name, sizeof(cfg->name), vals[S_NAME].value, "--name/HOSTNAME",
			    err);
	if (r < 0)
		return r;
	r = ei_identity_split_name(cfg->name, id->set, sizeof(id->set), &id->ordinal, err);
	if (r < 0)
		return r;
	if (service && !ei_label_valid(service))
		return ei_err_set(err, EI_E_USAGE, "--service/SERVICE_NAME: \"%s\" is not a DNS label (expected lowercase letters, digits and '-', at most 63)", service);
	strcpy(id->service, service ? service : id->set);
	return 0;
}

/* Namespace, cluster domain and peer host template; the peer name they make must
 * be a DNS name (at most 253 characters). */
static int check_identity(struct ei_config *cfg, const struct ei_setting_value *vals,
			  const struct sourced *ns, const struct sourced *dom, struct ei_err *err)
{
	struct ei_identity *id = &cfg->id;
	const char *peer_host = vals[S_PEER_HOST].value;
	char domain[EI_DOMAIN_MAX + 2], fqdn[EI_DOMAIN_MAX * 2], why[300] = "too long";
	size_t n = strlen(dom->value);
	int r = check_name(cfg, vals, err);

	if (r < 0)
		return r;
	if (!ei_label_valid(ns->value))
		return ei_err_set(err, EI_E_USAGE, "--namespace (%s): \"%s\" is not a DNS label (expected lowercase letters, digits and '-', at most 63)", ns->source, ns->value);
	strcpy(id->ns, ns->value);
	snprintf(cfg->namespace_source, sizeof(cfg->namespace_source), "%s", ns->source);
	/* Accept "cluster.local." as users write it in Corefiles. */
	if (n > 1 && n < sizeof(domain) && dom->value[n - 1] == '.')
		snprintf(domain, sizeof(domain), "%.*s", (int)(n - 1), dom->value);
	else
		snprintf(domain, sizeof(domain), "%s", dom->value);
	if (!ei_domain_valid(domain))
		return ei_err_set(err, EI_E_USAGE, "--cluster-domain (%s): \"%s\" is not a DNS domain (expected dot-separated labels such as cluster.local)", dom->source, dom->value);
	strcpy(id->domain, domain);
	snprintf(cfg->domain_source, sizeof(cfg->domain_source), "%s", dom->source);
	if (peer_host) {
		if (strlen(peer_host) > EI_DOMAIN_MAX ||
		    !ei_identity_template_valid(peer_host, id->set, why, sizeof(why)))
			return ei_err_set(err, EI_E_USAGE, "--peer-host/PEER_HOST: \"%s\" is not a peer host template (%s)", peer_host, why);
		strcpy(id->peer_host, peer_host);
	}
	ei_identity_fqdn(id, id->ordinal, fqdn, sizeof(fqdn));
	if (strlen(fqdn) > EI_DOMAIN_MAX)
		return ei_err_set(err, EI_E_USAGE, "the peer name %s is longer than 253 characters (shorten --name, --service, --namespace or --cluster-domain)", fqdn);
	return 0;
}

/* The three ports are bound side by side: they must differ. */
static int check_ports(const struct ei_config *cfg, struct ei_err *err)
{
	const struct ei_identity *id = &cfg->id;

	if (id->client_port == id->peer_port || id->client_port == cfg->metrics_port ||
	    id->peer_port == cfg->metrics_port)
		return ei_err_set(err, EI_E_USAGE,
				  "--client-port %u, --peer-port %u and --metrics-port %u must differ",
				  id->client_port, id->peer_port, cfg->metrics_port);
	return 0;
}

/* etcd auth: a user, and a password from a file or ETCDCTL_PASSWORD. The password is
 * never copied into messages. etcdctl's "user:password" form is refused in both places:
 * in --auth-user the password would be in /proc/1/cmdline (readable by every process of
 * the pod, proc(5)) and in the pod spec's command and preStop hook; in ETCDCTL_USER it
 * is a secret in a variable everything treats as a name. One place for the password,
 * which etcd-init keeps out of etcd's environment and out of its aftercare's. */
static int check_auth(struct ei_config *cfg, const struct ei_setting_value *vals,
		      struct ei_err *err)
{
	const char *user = vals[S_AUTH_USER].value, *password = vals[S_PASSWORD].value;
	const char *password_file = vals[S_AUTH_PASSWORD_FILE].value;
	char from_buf[32];
	const char *from = ei_setting_given_as(&settings[S_AUTH_USER], &vals[S_AUTH_USER],
					       from_buf, sizeof(from_buf));
	size_t n;

	if (!user) {
		if (password_file || password)
			return ei_err_set(err, EI_E_USAGE,
					  "%s is set but no user: set --auth-user or ETCDCTL_USER (root, for membership changes)",
					  password_file ? "--auth-password-file" : "ETCDCTL_PASSWORD");
		return 0;
	}
	if (strchr(user, ':') && vals[S_AUTH_USER].from == EI_FROM_FLAG)
		return ei_err_set(err, EI_E_USAGE, "--auth-user holds a password (user:password): refused, it would show in /proc/1/cmdline and in the pod's command and preStop hook; give the user alone (--auth-user root) and the password in a file (--auth-password-file) or in ETCDCTL_PASSWORD");
	if (strchr(user, ':'))
		return ei_err_set(err, EI_E_USAGE, "ETCDCTL_USER holds a password (etcdctl's user:password form): refused; keep the user name alone in ETCDCTL_USER and put the password in ETCDCTL_PASSWORD (from a Secret) or in a file (--auth-password-file), where etcd-init reads it");
	n = strlen(user);
	if (n == 0 || n >= sizeof(cfg->auth_user))
		return ei_err_set(err, EI_E_USAGE, "%s: the user name is empty or too long", from);
	memcpy(cfg->auth_user, user, n);
	cfg->auth_user[n] = '\0';
	if (password_file)
		return ei_setting_copy(cfg->auth_password_file, sizeof(cfg->auth_password_file),
				       password_file, "--auth-password-file", err);
	if (password)
		cfg->auth_password = password;
	else
		return ei_err_set(err, EI_E_USAGE,
				  "%s=%s but no password: set --auth-password-file (a file holding it) or ETCDCTL_PASSWORD",
				  from, cfg->auth_user);
	return 0;
}

/* The arguments after the options: "--" and etcd's, or nothing. first: the index of
 * the first one. */
static int etcd_args(struct ei_config *cfg, const struct ei_config_input *in, int first,
		     struct ei_err *err)
{
	/* getopt consumes "--" itself: what follows it goes to etcd untouched. */
	if (first > 1 && strcmp(in->argv[first - 1], "--") == 0) {
		cfg->etcd_args = in->argv + first;
		cfg->n_etcd_args = (size_t)(in->argc - first);
	} else if (first < in->argc) {
		return ei_err_set(err, EI_E_USAGE,
				  "\"%s\": unexpected argument (etcd arguments go after --)",
				  in->argv[first]);
	}
	return 0;
}

/* After the rows: what involves several settings, then TLS (tlsconf.c), which
 * decides each side's scheme. */
static int check_all(struct ei_config *cfg, const struct ei_setting_value *vals,
		     const struct ei_config_input *in, struct ei_err *err)
{
	struct sourced ns = { 0 }, domain = { 0 };
	int r;

	k8s_defaults(vals, in, &ns, &domain);
	r = check_identity(cfg, vals, &ns, &domain, err);
	/* The rows up to the ports, then the rest: the ports' check comes first as before. */
	if (r == 0)
		r = ei_settings_apply(settings, S_TOKEN, vals, cfg, err);
	if (r == 0)
		r = check_ports(cfg, err);
	if (r == 0)
		r = ei_settings_apply(settings + S_TOKEN, S_COUNT - S_TOKEN, vals + S_TOKEN, cfg, err);
	if (r == 0 && !vals[S_TOKEN].value)
		snprintf(cfg->token, sizeof(cfg->token), "%s-%s", cfg->id.service, cfg->id.ns);
	if (r == 0)
		r = check_auth(cfg, vals, err);
	if (r == 0)
		r = ei_tlsconf_read(&cfg->tls, in->envp, cfg->etcd_args, cfg->n_etcd_args,
				    vals[S_SCHEME].value, err);
	if (r < 0)
		return r;
	strcpy(cfg->id.client_scheme, cfg->tls.client_tls ? "https" : "http");
	strcpy(cfg->id.peer_scheme, cfg->tls.peer_tls ? "https" : "http");
	return 0;
}

int ei_config_parse(struct ei_config *cfg, const struct ei_config_input *in, struct ei_err *err)
{
	struct ei_setting_value vals[S_COUNT] = { { 0 } };
	int skip, first, r;

	memset(cfg, 0, sizeof(*cfg));
	cfg->command = EI_CMD_RUN;
	cfg->replicas = -1; /* not set: ask the Kubernetes API */
	r = ei_settings_defaults(settings, S_COUNT, cfg, err);
	if (r < 0)
		return r;
	skip = parse_command(cfg, in->argc, in->argv, err);
	if (skip < 0)
		return skip;
	first = ei_settings_getopt(settings, S_COUNT, vals, cfg, in->argc - skip, in->argv + skip,
				   err);
	if (first < 0)
		return first;
	if (cfg->command == EI_CMD_HELP || cfg->command == EI_CMD_VERSION)
		return 0;
	r = etcd_args(cfg, in, first + skip, err);
	if (r < 0)
		return r;
	ei_settings_env(settings, S_COUNT, vals, in->envp);
	/* gethostname is the name's last resort, after --name and HOSTNAME. */
	if (!vals[S_NAME].value)
		vals[S_NAME].value = in->hostname;
	return check_all(cfg, vals, in, err);
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
