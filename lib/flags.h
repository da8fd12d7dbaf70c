/* flags.h - the etcd command line (pure).
 *
 * etcd >= 3.4 exits when a setting arrives both as ETCD_X and as --x
 * (pkg/flags/flag.go verifyEnv), so every flag is passed at most once:
 *  - settings etcd-init derives (name, data dir, WAL dir, advertised peer URL, initial
 *    cluster, state and token) may come from the environment only with the same value
 *    (then the flag is left out and etcd reads the variable); a different value, or the
 *    same flag after "--", is a usage error: etcd-init would decide on one identity and
 *    etcd would start with another;
 *  - settings with a default here (listen, advertise-client and metrics URLs) are left
 *    out when the user sets ETCD_X or passes --x after "--": the user's value wins;
 *  - --config-file and the discovery flags are refused: with them etcd ignores or
 *    rejects the flags that carry the decision;
 *  - --force-new-cluster (and ETCD_FORCE_NEW_CLUSTER, whatever its value) is refused:
 *    every pod of a StatefulSet shares the template; recovery is the one-shot request
 *    of one chosen pod (forcereq.h), and etcd-init alone passes the flag then
 *    (plan->force_new_cluster). */
#ifndef EI_FLAGS_H
#define EI_FLAGS_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "err.h"
#include "plan.h"

struct ei_etcd_command {
	char **argv; /* NULL-terminated; argv[0] is the etcd path; malloc'd strings */
	size_t argc;
};

/* Check the user's ETCD_* environment and the arguments after "--" against the
 * rules above, before anything is done. Returns 0 or EI_E_USAGE. */
int ei_flags_check_overrides(const struct ei_config *cfg, char **envp, struct ei_err *err);

/* Whether etcd-init sets etcd's --listen-metrics-urls (to cfg->metrics_port): false when
 * the user does (ETCD_LISTEN_METRICS_URLS, or the flag after "--"). */
bool ei_flags_metrics_ours(const struct ei_config *cfg, char **envp);

/* Assemble the command for plan (RESTART, BOOTSTRAP, START_EXISTING or a JOIN whose
 * initial cluster is final); with plan->force_new_cluster, "--force-new-cluster" comes
 * after etcd-init's own flags and before the user's. Returns 0, EI_E_USAGE, EI_E_NOMEM. */
int ei_flags_build(const struct ei_config *cfg, const struct ei_plan *plan, char **envp,
		   const char *etcd_path, struct ei_etcd_command *out, struct ei_err *err);

void ei_flags_free(struct ei_etcd_command *cmd);

#endif
