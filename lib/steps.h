/* steps.h - the one membership step of a round (run.h): add ourselves (join), remove
 * the member that was us (replace), move a removed member's data aside (rejoin), and
 * what to say when etcd's auth stands in their way. Every step is logged before it is
 * taken; a refused step waits (pace.h) and the round decides again. */
#ifndef EI_STEPS_H
#define EI_STEPS_H

#include <stdint.h>

#include "config.h"
#include "err.h"
#include "etcdclient.h"
#include "facts.h"
#include "loop.h"
#include "pace.h"
#include "plan.h"

struct ei_steps {
	const struct ei_config *cfg;
	struct ei_loop *loop;
	struct ei_etcd_client *client; /* for membership changes (gather.h change_client) */
	struct ei_pace *pace;          /* its last_wait says why a step waits */
	uint64_t via_refused_id;       /* facts.h: who refused our last change as unhealthy */
	unsigned learner_slot_waits;   /* adds refused for "too many learners" */
	unsigned unhealthy_refusals;   /* adds refused as "unhealthy cluster" */
};

/* JOIN: add ourselves through plan->via_url. On success the plan gets the final
 * --initial-cluster from the member list etcd returned (current members + us, exactly
 * as etcd will check) and self. Returns 1 when added, 0 to decide again (after a
 * wait), or an error (EI_E_CLUSTER for auth refusals, for good). */
int ei_step_join(struct ei_steps *s, struct ei_plan *plan, struct ei_err *err);

/* REPLACE: remove the member that was us (plan->remove_id); the next round adds us
 * again. Returns 0 to decide again, or an error as ei_step_join. */
int ei_step_replace(struct ei_steps *s, const struct ei_plan *plan, struct ei_err *err);

/* REJOIN: move the removed member's data aside with one rename, never delete it
 * (datadir.h ei_datadir_move_removed). Returns 0 or EI_E_SYS. */
int ei_step_rejoin(struct ei_steps *s, const struct ei_facts *f, struct ei_err *err);

/* A wait that cannot end, read from the classified answers of f: the members refuse
 * their member list to a client without credentials and none are configured, or the
 * gateway refuses our certificate's CN and gRPC could not be used. Returns 0, or
 * EI_E_CLUSTER saying what to set. */
int ei_steps_check_auth_missing(const struct ei_config *cfg, const struct ei_facts *f,
				struct ei_err *err);

#endif
