/* plan.h - the start-up decision: one pure function from the gathered facts to an
 * action (README.md, "How etcd-init decides", and its decision table).
 * No I/O: DNS, HTTP and the filesystem gather facts elsewhere (facts.h), and this is
 * the one place that judges what they are worth:
 *  - every answer of every peer is evidence only when it is valid: a member list with
 *    a non-zero cluster ID and at least one member, served by a member that is in it;
 *    an etcd-init status from the very peer asked. Anything else (refused, timed out,
 *    TLS, an HTTP error, malformed, not a peer address) is unknown, never "no";
 *  - a new cluster is bootstrapped only when every other peer DNS shows has said it
 *    has no WAL, with our initial size and token, or is an etcd bootstrapping this very
 *    initial cluster;
 *  - a destructive or irreversible step (moving data aside, removing a member) and
 *    starting as a listed member or adding one rest on a trusted member list: a
 *    linearizable answer of etcd >= 3.5, or the same list (by member IDs) from a
 *    majority of its voters.
 * Where: plan.c (the entry point and the data dir alone), planpeer.c (each peer's
 * answers), plantrust.c (the member lists, and which is trusted), planboot.c (the set's
 * extent and a bootstrap), planwal.c and plannowal.c (the decision with and without a
 * WAL); they share the private planeval.h. */
#ifndef EI_PLAN_H
#define EI_PLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "err.h"
#include "facts.h"
#include "members.h"

enum ei_action {
	EI_ACT_RESTART,        /* exec etcd on its data */
	EI_ACT_REJOIN,         /* we were removed: move the old data aside, then decide again */
	EI_ACT_REFUSE,         /* unsafe to act at all (refuse_code says how): touch nothing, exit */
	EI_ACT_START_EXISTING, /* our member is listed but never started: start as it */
	EI_ACT_REPLACE,        /* our data is lost but the cluster knows us: remove the old member */
	EI_ACT_JOIN,           /* add ourselves (as a learner unless --no-learner) */
	EI_ACT_BOOTSTRAP,      /* start a new cluster with the initial members */
	EI_ACT_WAIT,           /* nothing safe to do yet: gather the facts again later */
};

struct ei_plan {
	enum ei_action action;
	int refuse_code;       /* REFUSE: the EI_E_* to exit with (EI_E_REFUSE) */
	char reason[1536];
	/* The member that is us in the list (by WAL member ID, else peer URL, else name). */
	bool self_listed;
	struct ei_member self;           /* a copy, valid when self_listed */
	uint64_t remove_id;              /* REPLACE: the member to remove */
	bool add_as_learner;             /* JOIN */
	bool wait_is_short;              /* WAIT: about to end (a learner slot): ask again soon */
	/* Act only when a second look this long after the first decides the same action
	 * (0: act now): what a peer answers in the middle of its own restart (an etcd
	 * replaying its WAL serves the members its replay has reached, unstarted) can look
	 * for a moment like what it is not. */
	unsigned confirm_ms;
	bool promote_after_start;        /* we are (or will be) a learner */
	bool force_new_cluster;          /* RESTART: the one-shot request (forcereq.h) is taken */
	/* RESTART needs no initial cluster; BOOTSTRAP, START_EXISTING (and JOIN, once the
	 * add has been made) need one: "name=peerURL,..." */
	char *initial_cluster;           /* malloc'd or NULL */
	const char *initial_cluster_state; /* "new", "existing" or NULL */
	/* REJOIN, REPLACE, JOIN: a started voter that answered with the trusted list, to
	 * send the change to (its client URL and pin, http.h). */
	char via_url[EI_URL_MAX];
	char via_pin[EI_PIN_MAX];
	uint64_t via_id;                 /* that voter's member ID */
	/* A state no automatic step can leave (quorum lost with data gone, a cluster
	 * younger than our WAL, a foreign cluster at a peer's address), said once at error
	 * level by the caller; "" otherwise. */
	char alert[1024];
	/* What the evidence cannot cover, said once at warn level by the caller (the
	 * set's extent known only from the initial size; SRV targets of other sets). */
	char notice[1024];
};

/* Decide. cfg gives identity and settings, facts what was observed.
 * Returns 0 with out filled (free with ei_plan_free), or EI_E_NOMEM. */
int ei_plan_decide(const struct ei_config *cfg, const struct ei_facts *facts, struct ei_plan *out,
		   struct ei_err *err);

/* The part of the decision that needs only the data dir, taken before any network
 * call: true (with out filled as a REFUSE) when the data dir must not be used
 * (a *.wal that is not a WAL; a WAL in another place than the one configured;
 * member/snap/db without a WAL that no failed first start of ours explains). */
bool ei_plan_refuse_datadir(const struct ei_config *cfg, const struct ei_datadir_facts *d,
			    struct ei_plan *out);

void ei_plan_free(struct ei_plan *plan);

/* "restart", "rejoin", ... for logs and JSON. */
const char *ei_action_name(enum ei_action a);

/* What plan.c makes of one peer, for logs and `plan`: "etcd-init without a WAL",
 * "etcd of cluster 1234 (3 members)", "unknown: status refused ...". */
void ei_plan_describe_peer(const struct ei_config *cfg, const struct ei_facts *f,
			   const struct ei_peer *p, char *buf, size_t len);

/* The trust rule of every destructive step, for the member lists of one cluster: a
 * linearizable gateway list of etcd >= 3.5 (it went through raft), or the same list (by
 * member IDs) from a majority of its voters, one vote per voter that answered. Pure. */
struct ei_trust {
	const struct ei_member_list *list; /* trusted, or the one most voters gave; NULL: none */
	bool trusted;
	char why[256];                     /* why it is, or is not, trusted */
};
void ei_plan_trust(const struct ei_facts *f, uint64_t cluster_id, struct ei_trust *out);

/* Whether a peer's gateway member list is evidence: a 2xx answer with a non-zero cluster
 * ID and a member, served by a member in it whose peer URL is the peer asked (the same
 * URL, or one whose host resolves to the address asked, on the same port). why is set
 * only when an answer came and is not evidence (ei_answer_describe says what happened
 * otherwise). */
bool ei_plan_gateway_valid(const struct ei_facts *f, const struct ei_peer *p, char *why,
			   size_t len);

/* Raft's majority of a voter count, and the voters of a list (learners do not vote). */
size_t ei_plan_quorum(size_t voters);
size_t ei_plan_voters(const struct ei_member_list *l);

/* Two lists of one cluster with the same members (by ID). */
bool ei_plan_same_members(const struct ei_member_list *a, const struct ei_member_list *b);

/* Whether a member's peer host is this pod: it resolves to one of this pod's addresses. */
bool ei_plan_member_is_here(const struct ei_facts *f, const struct ei_member *m);

#endif
