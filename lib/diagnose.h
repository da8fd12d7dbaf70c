/* diagnose.h - `etcd-init diagnose`: one table of every expected and discovered peer,
 * this member's data dir, the certificate checks and the decision `run` would take.
 * Read-only. */
#ifndef EI_DIAGNOSE_H
#define EI_DIAGNOSE_H

#include "config.h"
#include "err.h"
#include "loop.h"

/* Gather and print (text or --output json) to stdout. Returns 0 when the facts could be
 * gathered, or an error. */
int ei_diagnose(const struct ei_config *cfg, struct ei_loop *loop, char **envp,
		struct ei_err *err);

#endif
