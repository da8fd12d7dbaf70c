/* leaveplan.h - the decision of `etcd-init leave`, the preStop hook of a terminating pod
 * (README, "leave"): one pure function from the desired replica count and the gathered
 * facts to an action. No I/O: leave.c asks the Kubernetes API and the members, and
 * carries the plan out.
 *
 * The rules, in the order they are applied:
 *  - the replica count unknown (the API did not answer, no KUBERNETES_SERVICE_HOST and no
 *    --replicas): undecided, nothing removed;
 *  - ordinal < replicas (a rolling update, an eviction, a node drain) or replicas 0 (the
 *    whole set stops and comes back as it was): stay, nothing removed;
 *  - otherwise the pod is scaled away, and removing its member needs positive evidence,
 *    judged by lib/plan.c's own rules (ei_plan_trust, ei_plan_gateway_valid):
 *    a member list is valid with a non-zero cluster ID, a member, and served by a member
 *    in it; it is *trusted* when it is a linearizable answer of etcd >= 3.5, or the same
 *    list (by member IDs) from a majority of its voters. Anything else is unknown: wait;
 *  - our member (by the WAL's member ID, our canonical peer URL, or our name) absent from
 *    a trusted list: already gone, and the data moves aside when the data dir holds a WAL
 *    of this cluster whose member is not listed (positive evidence that it is ours and
 *    removed); a WAL whose metadata cannot be read, or of another cluster, stays;
 *  - never while another member is a learner (it is catching up or not promoted yet);
 *  - never the last voter;
 *  - never when the voters that stay could lose their quorum: after the removal, the
 *    voters other than us and the other leaving members that answered (they may remove
 *    themselves at the same moment: scale 5 -> 3 runs two preStops at once) must have a
 *    quorum of members that answered this round. This implies the plain rule (the other
 *    voters that answered are a quorum of the voters left) and keeps it true whatever
 *    order concurrent removals take;
 *  - removing the leader is allowed (etcd hands leadership over); the reason says so. */
#ifndef EI_LEAVEPLAN_H
#define EI_LEAVEPLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "facts.h"

enum ei_leave_action {
	EI_LEAVE_STAY,	       /* not a scale-down past us: nothing to remove (exit 0) */
	EI_LEAVE_REMOVE,       /* remove member_id via via_url, then move the data aside */
	EI_LEAVE_ALREADY_GONE, /* not in a trusted list: move the data aside if it is ours */
	EI_LEAVE_WAIT,	       /* a rule blocks for now, or the evidence is missing: ask again */
	EI_LEAVE_UNDECIDED,    /* cannot decide, and waiting will not help (exit 6) */
};

struct ei_leave_plan {
	enum ei_leave_action action;
	char reason[1536];  /* a full sentence naming the members */
	uint64_t member_id; /* REMOVE: our member; ALREADY_GONE: the WAL's member, or 0 */
	bool is_leader;	    /* REMOVE: our member leads the cluster now */
	bool move_aside;    /* REMOVE (once the removal succeeded), ALREADY_GONE: the data dir
			     * holds the WAL of the removed member: move it aside */
	/* REMOVE: another started voter that answered with the trusted list (its client
	 * URL and http.h pin), so that the answer does not depend on our own etcd, which
	 * stops once it applies its removal. */
	char via_url[EI_URL_MAX];
	char via_pin[EI_PIN_MAX];
};

/* The part that needs no member list: true when this pod is scaled away (replicas known,
 * 0 < replicas <= our ordinal) and the facts must decide; otherwise out is filled as
 * STAY or UNDECIDED. replicas: the desired count, -1 when unknown (then why_unknown says
 * why and how to fix it). Pure. */
bool ei_leaveplan_scale_down(const struct ei_config *cfg, long replicas, const char *why_unknown,
			     struct ei_leave_plan *out);

/* Decide (the rules at the top). f: the round's facts, where a peer may be our own etcd
 * (it is recognised by the member ID it answers as); leader_id: the cluster's leader
 * from a status answer, 0 when unknown. Pure; never fails. */
void ei_leaveplan_decide(const struct ei_config *cfg, long replicas, const char *why_unknown,
			 const struct ei_facts *f, uint64_t leader_id, struct ei_leave_plan *out);

/* "stay", "remove", "already-gone", "wait", "undecided" for logs. */
const char *ei_leave_action_name(enum ei_leave_action a);

#endif
