/* config.h - the launcher's configuration: flags with environment fallbacks (the
 * flag wins), validated up front. Each setting is one row of config.c's table
 * (settings.h: flag, variables, kind, bounds, default, help), each command word one
 * row of its commands table. Parsing is pure: the caller passes argv, the
 * environment and the contents of the files consulted for defaults, so tests
 * can feed it tables. */
#ifndef EI_CONFIG_H
#define EI_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "identity.h"
#include "log.h"
#include "settings.h"
#include "tlsconf.h"

/* The commands: a word before the options (config.c commands[]) or a flag (--dry-run,
 * --help, --version); cmd/main.c's handlers are indexed by it. */
enum ei_command {
	EI_CMD_RUN,
	EI_CMD_PLAN,
	EI_CMD_LEAVE,
	EI_CMD_DIAGNOSE,
	EI_CMD_FORCE_NEW_CLUSTER, /* the one-shot request (forcereq.h) */
	EI_CMD_HELP,
	EI_CMD_VERSION,
};
enum ei_output { EI_OUTPUT_TEXT, EI_OUTPUT_JSON };

struct ei_config {
	enum ei_command command;
	char name[EI_LABEL_MAX + 1];      /* pod name = etcd member name, "etcd-0" */
	struct ei_identity id;            /* set, ordinal, service, namespace, domain, scheme, ports */
	unsigned metrics_port;
	unsigned initial_cluster_size;
	char data_dir[PATH_MAX];
	char wal_dir[PATH_MAX];           /* "" when not set */
	char etcd_bin[PATH_MAX];          /* "" = /usr/local/bin/etcd, else etcd on PATH */
	char token[256];
	unsigned wait_timeout_s;          /* 0 = wait forever */
	bool no_learner;
	unsigned learner_stall_s;         /* report a learner not progressing; 0: never */
	unsigned learner_timeout_s;       /* report a learner not promoted; 0: never */
	enum ei_output output;
	enum ei_log_format log_format;
	enum ei_log_level log_level;
	struct ei_tls_conf tls;           /* certificates, read from etcd's own settings */
	unsigned cert_warn_days;          /* warn when a certificate expires within this */
	char auth_user[128];              /* etcd auth; "" when none */
	char auth_password_file[PATH_MAX];
	const char *auth_password;        /* borrowed from the environment (ETCDCTL_PASSWORD), or
					   * NULL; never printed */
	/* leave: the desired replica count from --replicas (-1: ask the Kubernetes API at
	 * KUBERNETES_SERVICE_HOST:KUBERNETES_SERVICE_PORT with the service account). */
	long replicas;
	char k8s_host[256];               /* "" when not in a pod */
	char k8s_port[8];
	char sa_dir[PATH_MAX];            /* the service-account dir (token, ca.crt) */
	char **etcd_args;                 /* the arguments after "--", borrowed from argv */
	size_t n_etcd_args;
	/* Where each derived value came from, for `plan` ("flag", "env HOSTNAME", ...). */
	char namespace_source[64];
	char domain_source[64];
};

struct ei_config_input {
	int argc;
	char **argv;
	char **envp;
	const char *hostname;      /* gethostname(), or NULL */
	const char *resolv_conf;   /* contents of /etc/resolv.conf, or NULL */
	const char *sa_namespace;  /* contents of the service-account namespace file, or NULL */
};

/* Parse and validate. Returns 0, or EI_E_USAGE with err naming the setting, its
 * value and what is expected. --help and --version set command and return 0. */
int ei_config_parse(struct ei_config *cfg, const struct ei_config_input *in, struct ei_err *err);

/* The etcd auth password (from --auth-password-file, else the environment) into buf
 * ("" without auth). Returns 0, or EI_E_USAGE naming the file when it cannot be read. */
int ei_config_password(const struct ei_config *cfg, char *buf, size_t len, struct ei_err *err);

/* The usage text printed by --help. */
void ei_config_usage(FILE *out);

/* From resolv.conf's search list (last "search" line wins), the namespace and
 * cluster domain of a ClusterFirst pod: the first entry "<ns>.svc.<domain>".
 * Returns false when there is no such entry. */
bool ei_resolvconf_cluster_search(const char *resolv_conf, char *ns, size_t ns_len, char *domain,
				  size_t domain_len);

/* ei_env_get, ei_parse_duration and ei_parse_uint: settings.h. */

#endif
