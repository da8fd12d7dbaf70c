/* promote.h - what has to happen after etcd has started, done by one small process
 * forked just before the exec (etcd-init itself is gone by then):
 *  - promoting our learner once it has caught up: etcd never promotes a learner itself,
 *    so the process asks the other members every second or so and sends MemberPromote
 *    until etcd accepts it (etcd refuses while the learner is below 90% of the leader's
 *    log, etcd-facts §2.5); it stops as soon as the member is a voter (or is gone);
 *  - after a first start (no WAL before it), removing the first-start marker as soon as
 *    etcd has written its WAL (datadir.h): the marker must mean "a first start that never
 *    got to its WAL", never "a member whose WAL was lost later".
 * As a child of etcd, which does not reap it, the exited process stays as one zombie
 * entry until etcd exits.
 * Secrets: it inherits the launcher's non-dumpable state (no core dump, cmd/main.c);
 * its etcd client copies the password first, then ETCDCTL_PASSWORD and ETCDCTL_USER are
 * removed from its environment and wiped (ei_exec_scrub_env), so
 * /proc/<pid>/environ of the aftercare process holds no credential. */
#ifndef EI_PROMOTE_H
#define EI_PROMOTE_H

#include <stdint.h>

#include "config.h"
#include "err.h"
#include "loop.h"

struct ei_aftercare {
	uint64_t promote_id;   /* the learner to promote, 0: none */
	char **endpoints;      /* client URLs of the other members */
	char **pins;           /* their pins (http.h): the promoter never resolves a name */
	size_t n_endpoints;
	bool clear_marker;     /* remove the first-start marker once a WAL exists */
};

/* Fork the aftercare process (the strings are used by the child only). Returns the
 * child's pid (> 0) in the parent, or EI_E_SYS. */
int ei_aftercare_spawn(const struct ei_config *cfg, struct ei_loop *loop,
		       const struct ei_aftercare *work, struct ei_err *err);

#endif
