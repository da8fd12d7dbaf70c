/* plan.h - the start-up decision: one pure function from the gathered facts to
 * an action (PRODUCT.md, "The start-up decision"). No I/O: DNS, HTTP and the
 * filesystem gather facts elsewhere; how a fact was fetched never matters here. */
#ifndef EI_PLAN_H
#define EI_PLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "datadir.h"
#include "err.h"
#include "members.h"

enum ei_action {
	EI_ACT_RESTART,        /* exec etcd on its data */
	EI_ACT_REJOIN,         /* we were removed: move the old data aside, then decide again */
	EI_ACT_REFUSE,         /* the data belongs to another cluster: touch nothing, exit */
	EI_ACT_START_EXISTING, /* our member is listed but never started: start as it */
	EI_ACT_REPLACE,        /* our data is lost but the cluster knows us: remove the old member */
	EI_ACT_JOIN,           /* add ourselves (as a learner unless --no-learner) */
	EI_ACT_BOOTSTRAP,      /* start a new cluster with the initial members */
	EI_ACT_WAIT,           /* nothing safe to do yet: gather the facts again later */
};

/* Bootstrapping needs the "no cluster" observation to hold for this many consecutive
 * rounds spanning at least EI_BOOTSTRAP_QUIET_MS: a peer with data execs etcd right
 * after its own DNS check and its peer API then answers, so a short settle time turns
 * "nobody answered yet" into "nobody has a cluster". */
#define EI_BOOTSTRAP_QUIET_ROUNDS 3
#define EI_BOOTSTRAP_QUIET_MS 5000

struct ei_facts {
	struct ei_datadir_facts datadir;

	/* The cluster, as the first member that answered described it. */
	bool cluster_answered;
	struct ei_member_list members;
	char answered_by[256];

	/* DNS: every initial member's name (ordinals < initial size) resolves. */
	bool initial_peers_resolve;
	char unresolved_peer[256];   /* the first initial member name that does not resolve */
	/* Consecutive gathering rounds in which initial_peers_resolve held and no
	 * member answered, counting this one. */
	unsigned quiet_rounds;
	uint64_t quiet_ms;   /* how long that has held, in milliseconds */
};

struct ei_plan {
	enum ei_action action;
	char reason[640];
	/* The member that is us in the list (by WAL member ID, else peer URL, else name). */
	bool self_listed;
	struct ei_member self;           /* a copy, valid when self_listed */
	uint64_t remove_id;              /* REPLACE: the member to remove */
	bool add_as_learner;             /* JOIN */
	bool promote_after_start;        /* we are (or will be) a learner */
	/* RESTART needs no initial cluster; BOOTSTRAP, START_EXISTING (and JOIN, once the
	 * add has been made) need one: "name=peerURL,..." */
	char *initial_cluster;           /* malloc'd or NULL */
	const char *initial_cluster_state; /* "new", "existing" or NULL */
};

/* Decide. cfg gives identity and settings, facts what was observed.
 * Returns 0 with out filled (free with ei_plan_free), or EI_E_NOMEM. */
int ei_plan_decide(const struct ei_config *cfg, const struct ei_facts *facts, struct ei_plan *out,
		   struct ei_err *err);

void ei_plan_free(struct ei_plan *plan);

/* "restart", "rejoin", ... for logs and JSON. */
const char *ei_action_name(enum ei_action a);

/* --initial-cluster for starting as an existing member: every member of the list
 * (learners and unstarted ones included, etcd-facts §2.3), with our own entry
 * named cfg->name. Members without a name are named after the first label of their
 * peer host, else "m-<hex id>". If self_peer_url is not in the list it is appended
 * (a join made with the list returned before the add). malloc'd; NULL on ENOMEM. */
char *ei_plan_existing_initial_cluster(const struct ei_config *cfg,
				       const struct ei_member_list *members);

/* --initial-cluster for a new cluster: ordinals 0 .. initial size-1. malloc'd. */
char *ei_plan_new_initial_cluster(const struct ei_config *cfg);

#endif
