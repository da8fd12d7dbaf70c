/* run.h - the launcher: gather facts, decide, make the one membership change, and
 * exec etcd (run), or print the decision and change nothing (plan). */
#ifndef EI_RUN_H
#define EI_RUN_H

#include "config.h"
#include "err.h"
#include "loop.h"

/* `run`: returns only on failure (after exec etcd owns the process); envp is passed
 * to etcd but for etcd-init's own credentials (ETCDCTL_PASSWORD, a "user:password"
 * ETCDCTL_USER). The `plan` command is ei_run_plan. */
int ei_run(const struct ei_config *cfg, struct ei_loop *loop, char **envp, struct ei_err *err);

/* `plan`: one round of the same facts and decision as run, printed to stdout (with
 * the etcd command line it would exec); changes nothing. Returns 0 or an error. */
int ei_run_plan(const struct ei_config *cfg, struct ei_loop *loop, char **envp,
		struct ei_err *err);

#endif
