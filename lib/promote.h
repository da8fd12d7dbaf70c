/* promote.h - promoting our learner once it has caught up.
 *
 * etcd never promotes a learner itself and a launcher that execs cannot act after
 * the exec, so just before exec'ing etcd as a learner, etcd-init forks one small
 * process: it asks the other members every second or so, sends MemberPromote until
 * etcd accepts it (etcd refuses while the learner is below 90% of the leader's log,
 * etcd-facts §2.5), and exits as soon as the member is a voter (or is gone).
 * Nothing of ours runs after that; as a child of etcd, which does not reap it, the
 * exited process stays as one zombie entry until etcd exits. */
#ifndef EI_PROMOTE_H
#define EI_PROMOTE_H

#include <stdint.h>

#include "config.h"
#include "err.h"
#include "loop.h"

/* Fork the promoter for member id. endpoints: client URLs of the other members, with
 * their pins (http.h; the addresses resolved before the exec, so the promoter never
 * resolves a name itself). Returns the child's pid (> 0) in the parent, or EI_E_SYS. */
int ei_promote_spawn(const struct ei_config *cfg, struct ei_loop *loop, uint64_t id,
		     char **endpoints, char **pins, size_t n_endpoints, struct ei_err *err);

#endif
