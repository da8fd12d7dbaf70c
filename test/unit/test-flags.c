/* Unit tests for lib/flags.c: the etcd command line and ETCD_* overrides. */
#include "flags.h"
#include "tap.h"

#include "fixtures.h"

#include <stdlib.h>

/* etcd-1 of the fixtures' set, with the arguments after "--". */
static void config_with_args(struct ei_config *cfg, char **etcd_args, size_t n)
{
	config_for(cfg, "etcd-1", 3, false);
	cfg->metrics_port = 8080;
	cfg->etcd_args = etcd_args;
	cfg->n_etcd_args = n;
}

/* The command line joined by spaces (without argv[0]). */
static char *joined(const struct ei_etcd_command *c)
{
	size_t len = 1;
	char *s;

	for (size_t i = 1; i < c->argc; i++)
		len += strlen(c->argv[i]) + 1;
	s = calloc(1, len);
	for (size_t i = 1; i < c->argc; i++) {
		if (i > 1)
			strcat(s, " ");
		strcat(s, c->argv[i]);
	}
	return s;
}

#define BASE                                                                                     \
	"--name=etcd-1 --data-dir=/data --listen-peer-urls=http://0.0.0.0:2380 "                  \
	"--listen-client-urls=http://0.0.0.0:2379 "                                               \
	"--advertise-client-urls=http://etcd-1.etcd.ns.svc.cluster.local:2379 "                   \
	"--initial-advertise-peer-urls=http://etcd-1.etcd.ns.svc.cluster.local:2380 "             \
	"--listen-metrics-urls=http://0.0.0.0:8080"

/* Identity and membership flags after "--" and in the environment: every spelling Go's
 * flag package accepts is refused (exit 2), naming what was found; other flags pass. */
static void check_refusals(void)
{
	static const struct {
		const char *arg, *env; /* one of them */
		const char *want;      /* a substring of the message; NULL: accepted */
	} cases[] = {
		{ "--force-new-cluster", NULL, "--force-new-cluster after --" },
		{ "-force-new-cluster", NULL, "--force-new-cluster after --" },
		{ "--force-new-cluster=true", NULL, "--force-new-cluster after --" },
		{ "--force-new-cluster=false", NULL, "--force-new-cluster after --" },
		{ "-force-new-cluster=1", NULL, "--force-new-cluster after --" },
		{ "--force-new-cluster=0", NULL, "--force-new-cluster after --" },
		{ "--force-new-cluster=T", NULL, "--force-new-cluster after --" },
		{ NULL, "ETCD_FORCE_NEW_CLUSTER=true", "ETCD_FORCE_NEW_CLUSTER=true in the environment" },
		{ NULL, "ETCD_FORCE_NEW_CLUSTER=1", "ETCD_FORCE_NEW_CLUSTER=1" },
		{ NULL, "ETCD_FORCE_NEW_CLUSTER=false", "ETCD_FORCE_NEW_CLUSTER=false" },
		{ NULL, "ETCD_FORCE_NEW_CLUSTER=0", "ETCD_FORCE_NEW_CLUSTER=0" },
		{ NULL, "ETCD_FORCE_NEW_CLUSTER=", "ETCD_FORCE_NEW_CLUSTER= in the environment" },
		{ NULL, "ETCD_FORCE_NEW_CLUSTER=yes", "ETCD_FORCE_NEW_CLUSTER=yes" },
		{ "--discovery=https://discovery.etcd.io/x", NULL, "--discovery after --" },
		{ "-discovery-srv", NULL, "--discovery-srv after --" },
		{ "--discovery-srv-name=x", NULL, "--discovery-srv-name after --" },
		{ "--discovery-endpoints=http://d:2379", NULL, "--discovery-endpoints after --" },
		{ "--discovery-token=t", NULL, "--discovery-token after --" },
		{ NULL, "ETCD_DISCOVERY=https://discovery.etcd.io/x", "ETCD_DISCOVERY=" },
		{ NULL, "ETCD_DISCOVERY_ENDPOINTS=http://d:2379", "ETCD_DISCOVERY_ENDPOINTS=" },
		{ "--config-file=/etc/etcd.yaml", NULL, "--config-file after --" },
		{ "--initial-cluster=etcd-0=http://a:2380", NULL, "--initial-cluster after --" },
		{ "-initial-cluster-state=new", NULL, "--initial-cluster-state after --" },
		{ "--initial-cluster-token=x", NULL, "--initial-cluster-token after --" },
		{ "--initial-advertise-peer-urls=http://x:2380", NULL, "--initial-advertise-peer-urls after --" },
		{ "-name", NULL, "--name after --" },
		{ "--data-dir=/other", NULL, "--data-dir after --" },
		{ "--wal-dir=/other", NULL, "--wal-dir after --" },
		{ NULL, "ETCD_INITIAL_CLUSTER=etcd-0=http://a:2380", "ETCD_INITIAL_CLUSTER is computed" },
		/* Not identity: they pass. */
		{ "--unsafe-no-fsync", NULL, NULL },
		{ "--force-new-cluster-bump=1", NULL, NULL },
		{ "--snapshot-count=10000", NULL, NULL },
		{ "force-new-cluster", NULL, NULL },
		{ NULL, "ETCD_UNSAFE_NO_FSYNC=true", NULL },
	};
	struct ei_config cfg;
	struct ei_err err;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *args[] = { (char *)cases[i].arg };
		char *envp[] = { (char *)cases[i].env, NULL };
		int r;

		config_with_args(&cfg, args, cases[i].arg ? 1 : 0);
		memset(&err, 0, sizeof(err));
		r = ei_flags_check_overrides(&cfg, envp, &err);
		if (!cases[i].want)
			tap_ok(r == 0, "%s: accepted (%s)", cases[i].arg ? cases[i].arg : cases[i].env,
			       err.msg);
		else
			tap_ok(r == EI_E_USAGE && strstr(err.msg, cases[i].want),
			       "%s: refused: %s", cases[i].arg ? cases[i].arg : cases[i].env, err.msg);
	}
	/* The force-new-cluster refusal says why and what to do instead. */
	{
		char *args[] = { (char *)"--force-new-cluster" };
		char *envp[] = { NULL };

		config_with_args(&cfg, args, 1);
		ei_flags_check_overrides(&cfg, envp, &err);
		tap_ok(strstr(err.msg, "one-member cluster") && strstr(err.msg, "quorum") &&
			       strstr(err.msg, "etcd-init force-new-cluster"),
		       "the message says why and names the one-shot route: %s", err.msg);
		tap_ok(strlen(err.msg) < sizeof(err.msg) - 1, "the message is not cut off");
	}
	{
		char *envp[] = { (char *)"ETCD_FORCE_NEW_CLUSTER=true", NULL };

		config_with_args(&cfg, NULL, 0);
		ei_flags_check_overrides(&cfg, envp, &err);
		tap_ok(strstr(err.msg, "etcd-init force-new-cluster") && strlen(err.msg) < sizeof(err.msg) - 1,
		       "the variable's message names the route too, whole");
	}
}

/* plan->force_new_cluster: the flag once, after etcd-init's flags, before the user's. */
static void check_force_emission(void)
{
	char *no_env[] = { NULL };
	char *user_args[] = { (char *)"--snapshot-count=10000" };
	char *env_force[] = { (char *)"ETCD_FORCE_NEW_CLUSTER=false", NULL };
	char *user_force[] = { (char *)"--force-new-cluster=false" };
	struct ei_plan restart = { .action = EI_ACT_RESTART };
	struct ei_plan forced = { .action = EI_ACT_RESTART, .force_new_cluster = true };
	struct ei_etcd_command cmd;
	struct ei_config cfg;
	struct ei_err err = { 0 };
	char *s;

	config_with_args(&cfg, NULL, 0);
	tap_ok(ei_flags_build(&cfg, &forced, no_env, "etcd", &cmd, &err) == 0, "forced restart builds");
	s = joined(&cmd);
	tap_streq(s, BASE " --force-new-cluster", "forced restart: --force-new-cluster last");
	free(s);
	ei_flags_free(&cmd);

	config_with_args(&cfg, user_args, 1);
	tap_ok(ei_flags_build(&cfg, &forced, no_env, "etcd", &cmd, &err) == 0, "forced with args");
	s = joined(&cmd);
	tap_streq(s, BASE " --force-new-cluster --snapshot-count=10000",
		  "forced restart: before the user's arguments");
	free(s);
	ei_flags_free(&cmd);

	tap_ok(ei_flags_build(&cfg, &restart, no_env, "etcd", &cmd, &err) == 0, "plain restart");
	s = joined(&cmd);
	tap_ok(!strstr(s, "force-new-cluster"), "no request: no --force-new-cluster: %s", s);
	free(s);
	ei_flags_free(&cmd);

	config_with_args(&cfg, NULL, 0);
	tap_ok(ei_flags_build(&cfg, &forced, env_force, "etcd", &cmd, &err) == EI_E_USAGE &&
		       strstr(err.msg, "ETCD_FORCE_NEW_CLUSTER"),
	       "forced with the variable set: refused, never passed twice: %s", err.msg);
	config_with_args(&cfg, user_force, 1);
	tap_ok(ei_flags_build(&cfg, &forced, no_env, "etcd", &cmd, &err) == EI_E_USAGE,
	       "forced with the flag after --: refused (a later =false would win): %s", err.msg);
}

int main(void)
{
	char *no_env[] = { NULL };
	char *user_args[] = { (char *)"--quota-backend-bytes=8589934592", (char *)"--auto-compaction-retention=1" };
	char *user_listen[] = { (char *)"--listen-client-urls", (char *)"http://0.0.0.0:3000" };
	char *user_name[] = { (char *)"--name=other" };
	char *user_discovery[] = { (char *)"--discovery-srv=example.com" };
	char *env_listen[] = { (char *)"ETCD_LISTEN_METRICS_URLS=http://0.0.0.0:9000", NULL };
	char *env_same_dir[] = { (char *)"ETCD_DATA_DIR=/data", NULL };
	char *env_other_name[] = { (char *)"ETCD_NAME=etcd-9", NULL };
	char *env_config_file[] = { (char *)"ETCD_CONFIG_FILE=/etc/etcd.yaml", NULL };
	char *env_quota[] = { (char *)"ETCD_QUOTA_BACKEND_BYTES=1", NULL };
	char *env_state[] = { (char *)"ETCD_INITIAL_CLUSTER_STATE=new", NULL };
	struct ei_plan restart = { .action = EI_ACT_RESTART };
	struct ei_plan join = { .action = EI_ACT_JOIN,
				.initial_cluster = (char *)"etcd-0=http://a:2380,etcd-1=http://b:2380",
				.initial_cluster_state = "existing" };
	struct ei_etcd_command cmd;
	struct ei_config cfg;
	struct ei_err err = { 0 };
	char *s;

	tap_init();

	config_with_args(&cfg, NULL, 0);
	tap_ok(ei_flags_build(&cfg, &restart, no_env, "/usr/local/bin/etcd", &cmd, &err) == 0,
	       "restart builds");
	tap_streq(cmd.argv[0], "/usr/local/bin/etcd", "argv[0] is the etcd path");
	s = joined(&cmd);
	tap_streq(s, BASE, "restart: no --initial-* flags (etcd ignores them with a WAL)");
	tap_ok(cmd.argv[cmd.argc] == NULL, "argv is NULL-terminated");
	free(s);
	ei_flags_free(&cmd);

	tap_ok(ei_flags_build(&cfg, &join, no_env, "etcd", &cmd, &err) == 0, "join builds");
	s = joined(&cmd);
	tap_streq(s,
		  BASE " --initial-cluster=etcd-0=http://a:2380,etcd-1=http://b:2380 "
		       "--initial-cluster-state=existing --initial-cluster-token=etcd-ns",
		  "join: initial cluster, state and token");
	free(s);
	ei_flags_free(&cmd);

	strcpy(cfg.wal_dir, "/wal");
	tap_ok(ei_flags_build(&cfg, &restart, no_env, "etcd", &cmd, &err) == 0, "wal dir builds");
	s = joined(&cmd);
	tap_ok(strstr(s, "--data-dir=/data --wal-dir=/wal") != NULL, "--wal-dir passed");
	free(s);
	ei_flags_free(&cmd);

	config_with_args(&cfg, user_args, 2);
	tap_ok(ei_flags_build(&cfg, &restart, no_env, "etcd", &cmd, &err) == 0, "user args build");
	s = joined(&cmd);
	tap_streq(s, BASE " --quota-backend-bytes=8589934592 --auto-compaction-retention=1",
		  "arguments after -- are appended untouched");
	free(s);
	ei_flags_free(&cmd);

	config_with_args(&cfg, user_listen, 2);
	tap_ok(ei_flags_build(&cfg, &restart, no_env, "etcd", &cmd, &err) == 0, "user listen url");
	s = joined(&cmd);
	tap_ok(strstr(s, "--listen-client-urls=http://0.0.0.0:2379") == NULL &&
		       strstr(s, "--listen-client-urls http://0.0.0.0:3000") != NULL,
	       "a default the user passes after -- is not passed twice: %s", s);
	free(s);
	ei_flags_free(&cmd);

	config_with_args(&cfg, NULL, 0);
	tap_ok(ei_flags_build(&cfg, &restart, env_listen, "etcd", &cmd, &err) == 0, "env listen");
	s = joined(&cmd);
	tap_ok(strstr(s, "listen-metrics-urls") == NULL,
	       "ETCD_LISTEN_METRICS_URLS set: the flag is left out (etcd reads the variable)");
	free(s);
	ei_flags_free(&cmd);

	tap_ok(ei_flags_build(&cfg, &restart, env_same_dir, "etcd", &cmd, &err) == 0, "env data dir");
	s = joined(&cmd);
	tap_ok(strstr(s, "--data-dir") == NULL, "ETCD_DATA_DIR with the same value: no --data-dir");
	free(s);
	ei_flags_free(&cmd);

	tap_ok(ei_flags_build(&cfg, &restart, env_other_name, "etcd", &cmd, &err) == EI_E_USAGE &&
		       strstr(err.msg, "ETCD_NAME=etcd-9"),
	       "ETCD_NAME with another value is a usage error: %s", err.msg);
	tap_ok(ei_flags_build(&cfg, &join, env_state, "etcd", &cmd, &err) == EI_E_USAGE &&
		       strstr(err.msg, "ETCD_INITIAL_CLUSTER_STATE"),
	       "ETCD_INITIAL_CLUSTER_STATE that disagrees: usage error: %s", err.msg);
	tap_ok(ei_flags_build(&cfg, &restart, env_state, "etcd", &cmd, &err) == 0,
	       "ETCD_INITIAL_CLUSTER_STATE on a restart passes (etcd ignores it with a WAL)");
	ei_flags_free(&cmd);

	config_with_args(&cfg, user_name, 1);
	tap_ok(ei_flags_build(&cfg, &restart, no_env, "etcd", &cmd, &err) == EI_E_USAGE &&
		       strstr(err.msg, "--name"),
	       "--name after -- is a usage error: %s", err.msg);

	config_with_args(&cfg, user_discovery, 1);
	tap_ok(ei_flags_check_overrides(&cfg, no_env, &err) == EI_E_USAGE &&
		       strstr(err.msg, "discovery-srv"),
	       "--discovery-srv refused: %s", err.msg);
	config_with_args(&cfg, NULL, 0);
	tap_ok(ei_flags_check_overrides(&cfg, env_config_file, &err) == EI_E_USAGE &&
		       strstr(err.msg, "ETCD_CONFIG_FILE"),
	       "ETCD_CONFIG_FILE refused: %s", err.msg);
	config_with_args(&cfg, user_args, 2);
	tap_ok(ei_flags_check_overrides(&cfg, env_quota, &err) == EI_E_USAGE &&
		       strstr(err.msg, "ETCD_QUOTA_BACKEND_BYTES"),
	       "a setting both after -- and in the environment: usage error: %s", err.msg);
	tap_ok(ei_flags_check_overrides(&cfg, no_env, &err) == 0, "plain user args are fine");

	/* Conflicts on what the decision rests on are found before anything is done. */
	config_with_args(&cfg, NULL, 0);
	tap_ok(ei_flags_check_overrides(&cfg, env_other_name, &err) == EI_E_USAGE &&
		       strstr(err.msg, "ETCD_NAME=etcd-9"),
	       "check: ETCD_NAME with another value: %s", err.msg);
	tap_ok(ei_flags_check_overrides(&cfg, env_state, &err) == EI_E_USAGE &&
		       strstr(err.msg, "computed by etcd-init"),
	       "check: ETCD_INITIAL_CLUSTER_STATE is never accepted: %s", err.msg);
	tap_ok(ei_flags_check_overrides(&cfg, env_same_dir, &err) == 0,
	       "check: ETCD_DATA_DIR with the same value is fine");
	config_with_args(&cfg, user_name, 1);
	tap_ok(ei_flags_check_overrides(&cfg, no_env, &err) == EI_E_USAGE &&
		       strstr(err.msg, "--name after --"),
	       "check: --name after --: %s", err.msg);

	check_refusals();
	check_force_emission();
	return tap_done();
}
