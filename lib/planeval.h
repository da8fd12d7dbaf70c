/* planeval.h - what the plan modules share, and only they (plan.c, planpeer.c,
 * plantrust.c, planboot.c, planwal.c, plannowal.c): what the start-up decision made of
 * the facts. The public decision is plan.h. Pure, like them all. */
#ifndef EI_PLANEVAL_H
#define EI_PLANEVAL_H

#include <stdbool.h>
#include <stdint.h>

#include "plan.h"

/* How long a decision read from the peers' answers must hold before it is acted on
 * (plan.h confirm_ms). */
#define REFUSAL_CONFIRM_MS 1000u
#define BOOTSTRAP_JOIN_CONFIRM_MS 3000u
/* How recent a peer's "no WAL" must be for its etcd to count as started from empty. */
#define EARLIER_NO_WAL_FRESH_MS 10000u

/* ---------------------------------------------------------------- one peer (planpeer.c) */

enum peer_kind { PEER_UNKNOWN, PEER_ETCD, PEER_INIT, PEER_FOREIGN };

struct judged {
	enum peer_kind kind;
	bool gw_valid, pl_valid;
	const struct ei_member_list *list; /* the gateway list if valid, else the peer API's */
	char why[1024];                    /* UNKNOWN, FOREIGN: what was wrong */
};

/* The facts, and what plan.c made of each peer: judged once per decision. */
struct evidence {
	const struct ei_facts *f;
	struct judged peer[EI_MAX_PEERS]; /* peer[i] is f->peers[i] */
};

/* What peer p is worth as evidence (plan.h). */
void ei_plan_judge(const struct ei_config *cfg, const struct ei_facts *f, const struct ei_peer *p,
		   struct judged *j);

/* Whether member m's peer URL is the peer p that was asked: the same URL, or a URL
 * whose host resolves (as etcd resolves it) to one of p's addresses, on the same port. */
bool ei_plan_member_is_peer(const struct ei_facts *f, const struct ei_member *m,
			    const struct ei_peer *p);

/* A member that has run: it published its client URLs (an initial member has its
 * name from --initial-cluster before it ever ran; etcd publishes a member's name and
 * client URLs when it starts: server/etcdserver/server.go publishV3). */
static inline bool ei_plan_has_run(const struct ei_member *m)
{
	return m->n_client_urls > 0;
}

/* ---------------------------------------------------------------- the cluster view (plantrust.c) */

/* What the valid member lists of one cluster say, and whether it can be trusted. */
struct view {
	uint64_t cluster_id;
	const struct ei_member_list *list; /* the candidate list */
	bool trusted;
	char trust[256];                   /* why it is, or is not, trusted */
	const struct ei_peer *via;         /* a started voter that answered the gateway with it */
};

/* The distinct cluster IDs of every valid list; returns how many (at most max). */
size_t ei_plan_cluster_ids(const struct evidence *e, uint64_t *ids, size_t max);

/* The view of cluster cluster_id: its trusted (or candidate) list and the voter to send
 * a change to. */
void ei_plan_view_of(const struct evidence *e, uint64_t cluster_id, struct view *v);

/* The peer that answered this round as member id (its gateway's header names it), or NULL. */
const struct ei_peer *ei_plan_alive_as(const struct evidence *e, uint64_t id);

/* ---------------------------------------------------------------- the set (planboot.c) */

/* 1: l is this set's initial cluster being bootstrapped with our size and token; 0: not
 * a bootstrap of this set; -1: a bootstrap of this set's members with another size or
 * token (why says which). */
int ei_plan_bootstrap_list(const struct ei_config *cfg, const struct ei_member_list *l,
			   char *why, size_t len);

/* Whether every other member of the set vouches for a bootstrap: 1 (out->reason says
 * who); 0 with a WAIT, -1 with a REFUSE written into out. */
int ei_plan_bootstrap_vouched(const struct ei_config *cfg, const struct evidence *e,
			      struct ei_plan *out);

/* What the evidence cannot cover, added to out->notice (plan.h). */
void ei_plan_set_notice(const struct ei_config *cfg, const struct evidence *e,
			struct ei_plan *out);

/* ---------------------------------------------------------------- writing the plan (plan.c) */

/* Sets the action and its reason (a REFUSE with EI_E_REFUSE). */
void ei_plan_set_action(struct ei_plan *out, enum ei_action action, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Our member in the list: a copy into out->self. 0, or EI_E_NOMEM. */
int ei_plan_set_self(struct ei_plan *out, const struct ei_member *m, struct ei_err *err);

/* A starting action, its reason and its --initial-cluster ("new" for a bootstrap,
 * "existing" otherwise; taken over). initial_cluster is NULL only when it could not be
 * allocated: then EI_E_NOMEM, else 0. */
int ei_plan_set_start(struct ei_plan *out, enum ei_action action, char *initial_cluster,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The voter to send a change to, when the view has one. */
void ei_plan_set_via(struct ei_plan *out, const struct view *v);

/* ---------------------------------------------------------------- the decision */

/* With a WAL in the data dir (planwal.c): restart, rejoin, or wait. */
int ei_plan_decide_with_wal(const struct evidence *e, struct ei_plan *out, struct ei_err *err);

/* Without one (plannowal.c): bootstrap, start as a listed member, replace, join, or wait. */
int ei_plan_decide_without_wal(const struct ei_config *cfg, const struct evidence *e,
			       struct ei_plan *out, struct ei_err *err);

#endif
