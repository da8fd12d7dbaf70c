/* flags.c - the etcd command line (see flags.h). */
#include "flags.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datadir.h"

enum flag_kind { FLAG_DERIVED, FLAG_DEFAULT };

/* Why a membership flag is refused: etcd-init computes the membership itself. */
#define WHY_MEMBERSHIP "not supported with etcd-init, which computes the cluster membership itself (remove it)"
/* Why --force-new-cluster is refused: what is after "--" is the template every pod gets. */
#define WHY_FORCE "refused: in a StatefulSet every pod of the template gets it, and a member restarted with it makes itself a one-member cluster while the others lose their quorum; to restore a cluster whose quorum is lost for good, remove it and run `kubectl exec <pod> -- etcd-init force-new-cluster` in the one pod whose data to keep"

/* Flags that change a member's identity or the membership and that no shared template
 * may carry (the identity flags etcd-init sets itself are checked below, with their
 * values). Refused in every spelling etcd's flag package (Go's "flag") accepts after
 * "--": -x, --x, -x=v, --x=v (a bool flag takes no separate value), and as ETCD_X
 * whenever the variable exists, whatever its value, even empty:
 *  - a value that parses as true puts every pod of the set into the one-member mode;
 *  - one that does not parse makes etcd exit at start;
 *  - "false", "0" or "" look harmless but are not: etcd-init passes --force-new-cluster
 *    itself for the one-shot request (forcereq.h), and etcd (pkg/flags verifyEnv) exits
 *    when the variable of a flag given on its command line exists at all, so the request
 *    could never be carried out; after "--", a --force-new-cluster=false would come after
 *    ours and win (the last one counts), silently. */
static const struct {
	const char *flag, *why;
} refused_flags[] = {
	{ "config-file", WHY_MEMBERSHIP },
	{ "discovery", WHY_MEMBERSHIP },
	{ "discovery-srv", WHY_MEMBERSHIP },
	{ "discovery-srv-name", WHY_MEMBERSHIP },
	{ "discovery-endpoints", WHY_MEMBERSHIP },
	{ "discovery-token", WHY_MEMBERSHIP },
	{ "force-new-cluster", WHY_FORCE },
};

/* ETCD_FOO_BAR for foo-bar (etcd's flags.FlagToEnv). */
static void flag_env_name(const char *flag, char *buf, size_t len)
{
	size_t i = 0;

	i = (size_t)snprintf(buf, len, "ETCD_");
	for (; *flag && i + 1 < len; flag++)
		buf[i++] = *flag == '-' ? '_' : (char)toupper((unsigned char)*flag);
	buf[i] = '\0';
}

/* The flag name of a user argument "-x", "--x" or "--x=v" ("" when not a flag). */
static void arg_flag_name(const char *arg, char *buf, size_t len)
{
	size_t n;

	buf[0] = '\0';
	if (arg[0] != '-' || strcmp(arg, "-") == 0 || strcmp(arg, "--") == 0)
		return;
	arg += arg[1] == '-' ? 2 : 1;
	n = strcspn(arg, "=");
	if (n >= len)
		n = len - 1;
	memcpy(buf, arg, n);
	buf[n] = '\0';
}

static bool user_args_have(const struct ei_config *cfg, const char *flag)
{
	char name[128];

	for (size_t i = 0; i < cfg->n_etcd_args; i++) {
		arg_flag_name(cfg->etcd_args[i], name, sizeof(name));
		if (strcmp(name, flag) == 0)
			return true;
	}
	return false;
}

int ei_flags_check_overrides(const struct ei_config *cfg, char **envp, struct ei_err *err)
{
	char name[128], env[160];

	for (size_t i = 0; i < sizeof(refused_flags) / sizeof(refused_flags[0]); i++) {
		const char *v;

		if (user_args_have(cfg, refused_flags[i].flag))
			return ei_err_set(err, EI_E_USAGE, "--%s after --: %s", refused_flags[i].flag, refused_flags[i].why);
		flag_env_name(refused_flags[i].flag, env, sizeof(env));
		if ((v = ei_env_get(envp, env)))
			return ei_err_set(err, EI_E_USAGE, "%s=%.40s in the environment: %s", env, v, refused_flags[i].why);
	}
	/* What the decision rests on must agree before anything is done: a conflict found
	 * only when building etcd's command line would come after a membership change. */
	{
		const struct ei_identity *id = &cfg->id;
		char peer_url[EI_URL_MAX];
		const struct {
			const char *flag, *value; /* value NULL: computed per decision, never set */
		} derived[] = {
			{ "name", cfg->name },
			{ "data-dir", cfg->data_dir },
			{ "wal-dir", ei_datadir_wal_dir(cfg->wal_dir) },
			{ "initial-advertise-peer-urls", peer_url },
			{ "initial-cluster-token", cfg->token },
			{ "initial-cluster", NULL },
			{ "initial-cluster-state", NULL },
		};

		ei_identity_peer_url(id, id->ordinal, peer_url, sizeof(peer_url));
		for (size_t i = 0; i < sizeof(derived) / sizeof(derived[0]); i++) {
			const char *v;

			if (user_args_have(cfg, derived[i].flag))
				return ei_err_set(err, EI_E_USAGE,
						  "--%s after --: etcd-init sets it; remove it",
						  derived[i].flag);
			flag_env_name(derived[i].flag, env, sizeof(env));
			v = ei_env_get(envp, env);
			if (!v || (derived[i].value && strcmp(v, derived[i].value) == 0))
				continue;
			if (derived[i].value)
				return ei_err_set(err, EI_E_USAGE,
						  "%s=%s in the environment conflicts with the %s that etcd-init derives (%s); unset it",
						  env, v, derived[i].flag, derived[i].value);
			return ei_err_set(err, EI_E_USAGE,
					  "%s is computed by etcd-init for each start; unset it", env);
		}
	}
	/* etcd exits when a setting comes both ways (pkg/flags/flag.go verifyEnv): say so now. */
	for (size_t i = 0; i < cfg->n_etcd_args; i++) {
		arg_flag_name(cfg->etcd_args[i], name, sizeof(name));
		if (!name[0])
			continue;
		flag_env_name(name, env, sizeof(env));
		if (ei_env_get(envp, env))
			return ei_err_set(err, EI_E_USAGE,
					  "--%s after -- and %s in the environment: etcd refuses a setting given twice (keep one)",
					  name, env);
	}
	return 0;
}

struct argv_builder {
	char **argv;
	size_t argc, cap;
	bool oom;
};

static void add_arg(struct argv_builder *b, const char *s)
{
	if (b->oom)
		return;
	if (b->argc + 2 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 32;
		char **argv = realloc(b->argv, cap * sizeof(*argv));

		if (!argv) {
			b->oom = true;
			return;
		}
		b->argv = argv;
		b->cap = cap;
	}
	b->argv[b->argc] = strdup(s);
	if (!b->argv[b->argc]) {
		b->oom = true;
		return;
	}
	b->argv[++b->argc] = NULL;
}

/* Whether the user says FLAG_DEFAULT flag themselves (ETCD_X, or --x after "--"): then
 * etcd-init leaves it out. */
static bool user_sets(const struct ei_config *cfg, char **envp, const char *flag)
{
	char env[160];

	flag_env_name(flag, env, sizeof(env));
	return ei_env_get(envp, env) || user_args_have(cfg, flag);
}

bool ei_flags_metrics_ours(const struct ei_config *cfg, char **envp)
{
	return !user_sets(cfg, envp, "listen-metrics-urls");
}

/* Add --flag=value unless the user's environment or arguments already say it. */
static int add_flag(struct argv_builder *b, const struct ei_config *cfg, char **envp,
		    enum flag_kind kind, const char *flag, const char *value, struct ei_err *err)
{
	char env[160];
	const char *env_value;
	char *arg;

	flag_env_name(flag, env, sizeof(env));
	env_value = ei_env_get(envp, env);
	if (kind == FLAG_DERIVED) {
		if (user_args_have(cfg, flag))
			return ei_err_set(err, EI_E_USAGE,
					  "--%s after --: etcd-init sets it (to %s); remove it", flag,
					  value);
		if (env_value && strcmp(env_value, value) != 0)
			return ei_err_set(err, EI_E_USAGE,
					  "%s=%s in the environment conflicts with the %s that etcd-init derives (%s); unset it",
					  env, env_value, flag, value);
		if (env_value)
			return 0; /* the same value; etcd reads it from the environment */
	} else if (user_sets(cfg, envp, flag)) {
		return 0;
	}
	if (asprintf(&arg, "--%s=%s", flag, value) < 0) {
		b->oom = true;
		return 0;
	}
	add_arg(b, arg);
	free(arg);
	return 0;
}

int ei_flags_build(const struct ei_config *cfg, const struct ei_plan *plan, char **envp,
		   const char *etcd_path, struct ei_etcd_command *out, struct ei_err *err)
{
	const struct ei_identity *id = &cfg->id;
	struct argv_builder b = { 0 };
	char peer_url[EI_URL_MAX], client_url[EI_URL_MAX], url[EI_URL_MAX];
	int r = 0;

	memset(out, 0, sizeof(*out));
	ei_identity_peer_url(id, id->ordinal, peer_url, sizeof(peer_url));
	ei_identity_client_url(id, id->ordinal, client_url, sizeof(client_url));

	add_arg(&b, etcd_path);
	r = add_flag(&b, cfg, envp, FLAG_DERIVED, "name", cfg->name, err);
	if (!r)
		r = add_flag(&b, cfg, envp, FLAG_DERIVED, "data-dir", cfg->data_dir, err);
	if (!r && cfg->wal_dir[0])
		r = add_flag(&b, cfg, envp, FLAG_DERIVED, "wal-dir", cfg->wal_dir, err);
	/* Listen on all addresses: listen URLs must be IP literals (server/embed/config.go checkBindURLs). */
	snprintf(url, sizeof(url), "%s://0.0.0.0:%u", id->peer_scheme, id->peer_port);
	if (!r)
		r = add_flag(&b, cfg, envp, FLAG_DEFAULT, "listen-peer-urls", url, err);
	snprintf(url, sizeof(url), "%s://0.0.0.0:%u", id->client_scheme, id->client_port);
	if (!r)
		r = add_flag(&b, cfg, envp, FLAG_DEFAULT, "listen-client-urls", url, err);
	if (!r)
		r = add_flag(&b, cfg, envp, FLAG_DEFAULT, "advertise-client-urls", client_url, err);
	if (!r)
		r = add_flag(&b, cfg, envp, FLAG_DERIVED, "initial-advertise-peer-urls", peer_url, err);
	/* Metrics (and /health for probes) on their own plain-HTTP port, as the official
	 * manifest does. */
	snprintf(url, sizeof(url), "http://0.0.0.0:%u", cfg->metrics_port);
	if (!r)
		r = add_flag(&b, cfg, envp, FLAG_DEFAULT, "listen-metrics-urls", url, err);
	/* With a WAL, etcd ignores every --initial-* flag (server/embed/etcd.go StartEtcd reads them
	 * only when server/storage/wal/util.go Exist is false): a restart
	 * passes none, so the command line shows what matters. */
	if (!r && plan->initial_cluster) {
		r = add_flag(&b, cfg, envp, FLAG_DERIVED, "initial-cluster", plan->initial_cluster, err);
		if (!r)
			r = add_flag(&b, cfg, envp, FLAG_DERIVED, "initial-cluster-state",
				     plan->initial_cluster_state, err);
		if (!r)
			r = add_flag(&b, cfg, envp, FLAG_DERIVED, "initial-cluster-token", cfg->token, err);
	}
	/* The one-shot request (forcereq.h), decided by plan.c: never from the user's args or
	 * environment (ei_flags_check_overrides refuses both, so nothing passes it twice). */
	if (!r && plan->force_new_cluster) {
		if (user_args_have(cfg, "force-new-cluster") ||
		    ei_env_get(envp, "ETCD_FORCE_NEW_CLUSTER"))
			r = ei_err_set(err, EI_E_USAGE, "--force-new-cluster or ETCD_FORCE_NEW_CLUSTER is set by the user: %s", WHY_FORCE);
		else
			add_arg(&b, "--force-new-cluster");
	}
	for (size_t i = 0; !r && i < cfg->n_etcd_args; i++)
		add_arg(&b, cfg->etcd_args[i]);
	out->argv = b.argv;
	out->argc = b.argc;
	if (r < 0) {
		ei_flags_free(out);
		return r;
	}
	if (b.oom) {
		ei_flags_free(out);
		return ei_err_set(err, EI_E_NOMEM, "out of memory");
	}
	return 0;
}

void ei_flags_free(struct ei_etcd_command *cmd)
{
	for (size_t i = 0; cmd->argv && i < cmd->argc; i++)
		free(cmd->argv[i]);
	free(cmd->argv);
	cmd->argv = NULL;
	cmd->argc = 0;
}
