/* promote.h - what has to happen after etcd has started, done by one small process
 * forked just before the exec (etcd-init itself is gone by then):
 *  - after every start, whatever the decision was: asking our own etcd whether its
 *    member is a learner and, if so, promoting it as soon as etcd would accept it
 *    (learner.h judges each look: our etcd's status, a member list of the same cluster,
 *    the leader's status, every 150 ms). etcd never promotes a learner itself, and a
 *    learner left behind (a restart before its promotion) would stay one for good.
 *    A learner that does not catch up is reported at error level once a minute
 *    (--learner-stall, --learner-timeout); nothing is removed;
 *  - after a first start (no WAL before it), removing the first-start marker as soon as
 *    etcd has written its WAL (datadir.h): the marker must mean "a first start that never
 *    got to its WAL", never "a member whose WAL was lost later".
 * Once done it stays idle until etcd exits (etcd reaps no child it did not start).
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
	uint64_t expect_id;    /* our member as this start added or found it, 0: unknown */
	const char *own_endpoint; /* our etcd's client URL, and its pin to this pod */
	const char *own_pin;
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
