/* run.h - the launcher: gather facts, decide, make the one membership change, and
 * exec etcd (run), or print the decision and change nothing (plan). */
#ifndef EI_RUN_H
#define EI_RUN_H

#include "config.h"
#include "err.h"
#include "loop.h"

/* `run`: returns only on failure (after exec etcd owns the process).
 * `plan`: prints to stdout and returns 0. envp is passed to etcd unchanged. */
int ei_run(const struct ei_config *cfg, struct ei_loop *loop, char **envp, struct ei_err *err);

#endif
