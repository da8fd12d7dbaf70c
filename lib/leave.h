/* leave.h - `etcd-init leave`, the preStop hook of a terminating pod (README, "leave"). */
#ifndef EI_LEAVE_H
#define EI_LEAVE_H

#include "config.h"
#include "err.h"
#include "loop.h"

/* Decide whether this pod is being scaled away and, if so, remove its member and move
 * its data aside. Returns 0 when it decided (removed, or nothing to remove), or an
 * error: EI_E_UNDECIDED when it could not decide (nothing removed). */
int ei_leave(const struct ei_config *cfg, struct ei_loop *loop, char **envp, struct ei_err *err);

#endif
