/* leaveplan.c - the decision of `etcd-init leave` (see leaveplan.h). Pure: reads the
 * replica count and the facts, writes the plan. */
#include "leaveplan.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "plan.h"

/* Sets the action and its reason. */
static void set_action(struct ei_leave_plan *out, enum ei_leave_action action, const char *fmt,
		       ...) __attribute__((format(printf, 3, 4)));
static void set_action(struct ei_leave_plan *out, enum ei_leave_action action, const char *fmt,
		       ...)
{
	va_list ap;

	out->action = action;
	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
}

/* Names for logs (leaveplan.h). */
const char *ei_leave_action_name(enum ei_leave_action a)
{
	switch (a) {
	case EI_LEAVE_STAY:
		return "stay";
	case EI_LEAVE_REMOVE:
		return "remove";
	case EI_LEAVE_ALREADY_GONE:
		return "already-gone";
	case EI_LEAVE_WAIT:
		return "wait";
	case EI_LEAVE_UNDECIDED:
		return "undecided";
	default:
		return "unknown";
	}
}

/* A gateway list is evidence (plan.c judges: ei_plan_gateway_valid). Only gateway lists
 * count: the peer API answers without quorum, and a removal needs a current list. When
 * it is not, why says what was wrong (if why is not NULL). */
static bool list_evidence(const struct ei_facts *f, const struct ei_peer *p, char *why,
			  size_t len)
{
	char bad[200] = "";

	if (p->not_peer[0]) {
		if (why)
			snprintf(why, len, "%s", p->not_peer);
		return false;
	}
	if (p->list.outcome != EI_OUTCOME_VALID) {
		if (why)
			ei_answer_describe(&p->list, why, len);
		return false;
	}
	if (ei_plan_gateway_valid(f, p, bad, sizeof(bad)))
		return true;
	if (why)
		snprintf(why, len, "%s", bad);
	return false;
}

/* The same, when the reason does not matter. */
static bool valid_list(const struct ei_facts *f, const struct ei_peer *p)
{
	return list_evidence(f, p, NULL, 0);
}

/* "etcd-3 (a3)", or "an unstarted member (b3)". */
static void label(const struct ei_member *m, char *buf, size_t len)
{
	if (m->name && m->name[0])
		snprintf(buf, len, "%s (%" PRIx64 ")", m->name, m->id);
	else
		snprintf(buf, len, "an unstarted member (%" PRIx64 ")", m->id);
}

/* The ordinal of a member of this set, by its peer URL's host or else by its name. */
static bool member_ordinal(const struct ei_config *cfg, const struct ei_member *m, unsigned *ord)
{
	char host[EI_DNS_NAME_MAX], set[EI_LABEL_MAX + 1];

	for (size_t u = 0; u < m->n_peer_urls; u++)
		if (ei_url_host(m->peer_urls[u], host, sizeof(host)) &&
		    ei_identity_ordinal_of_host(&cfg->id, host, ord))
			return true;
	return m->name && ei_identity_split_name(m->name, set, sizeof(set), ord, NULL) == 0 &&
	       strcmp(set, cfg->id.set) == 0;
}

/* Member id answered this round as itself (a valid gateway list that it served). */
static bool answered(const struct ei_facts *f, uint64_t id)
{
	for (size_t i = 0; i < f->n_peers; i++)
		if (valid_list(f, &f->peers[i]) && f->peers[i].members.responder_id == id)
			return true;
	return false;
}

/* The cluster to look at: our WAL's, else the one cluster that answered. Returns false
 * with out decided when there is none to act on. */
static bool pick_cluster(const struct ei_facts *f, uint64_t *cluster, struct ei_leave_plan *out)
{
	const struct ei_datadir_facts *d = &f->datadir;
	bool wal = d->has_wal && d->has_metadata, several = false;
	uint64_t other = 0;
	size_t n_valid = 0, n_ours = 0;
	char unknown[900] = "";

	for (size_t i = 0; i < f->n_peers; i++) {
		const struct ei_peer *p = &f->peers[i];
		char what[300];

		if (!list_evidence(f, p, what, sizeof(what))) {
			ei_msg_add(unknown, sizeof(unknown), ", ", "%s: %s", p->host, what);
			continue;
		}
		n_valid++;
		if (wal && p->members.cluster_id == d->cluster_id) {
			n_ours++;
			continue;
		}
		several |= other && other != p->members.cluster_id;
		other = p->members.cluster_id;
	}
	if (n_valid == 0) {
		set_action(out, EI_LEAVE_WAIT, "removing this member needs a current member list, and no member answered with one (%s)",
			   unknown[0] ? unknown : "no peer was found");
		return false;
	}
	if (wal && n_ours == 0) {
		set_action(out, EI_LEAVE_UNDECIDED, "the WAL in %s is of cluster %" PRIx64 " but the members that answered are of cluster %" PRIx64 ": this volume does not belong to the cluster that answered; removing nothing and leaving the data in place",
			   d->wal_dir, d->cluster_id, other);
		return false;
	}
	if (!wal && several) {
		set_action(out, EI_LEAVE_UNDECIDED, "members of different clusters answered, and the data dir has no readable WAL to tell which is ours: removing nothing");
		return false;
	}
	*cluster = wal ? d->cluster_id : other;
	return true;
}

/* The first rules of leaveplan.h, which need no member list: asked before the members. */
bool ei_leaveplan_scale_down(const struct ei_config *cfg, long replicas, const char *why_unknown,
			     struct ei_leave_plan *out)
{
	memset(out, 0, sizeof(*out));
	if (replicas < 0) {
		set_action(out, EI_LEAVE_UNDECIDED, "the desired replica count is unknown (%s): cannot tell a scale-down from a restart, so nothing is removed",
			   why_unknown && why_unknown[0] ? why_unknown : "not given");
		return false;
	}
	if (replicas == 0) {
		set_action(out, EI_LEAVE_STAY, "the StatefulSet is scaled to 0: every pod stops and the cluster comes back whole when it is scaled up again; nothing is removed");
		return false;
	}
	if ((long)cfg->id.ordinal < replicas) {
		set_action(out, EI_LEAVE_STAY, "ordinal %u is below the desired %ld replicas: this pod comes back (a rolling update, an eviction, a node drain), not a scale-down; nothing is removed",
			   cfg->id.ordinal, replicas);
		return false;
	}
	return true;
}

/* Our member in the list: by the WAL's member ID, our canonical peer URL, or our name
 * (when its peer host is this pod: a namesake elsewhere is not us). Returns false with
 * out decided when the candidates disagree. */
static bool find_self(const struct ei_config *cfg, const struct ei_facts *f, uint64_t cluster,
		      const struct ei_member_list *l, const struct ei_member **self,
		      struct ei_leave_plan *out)
{
	const struct ei_datadir_facts *d = &f->datadir;
	const struct ei_member *by_wal = NULL, *by_url, *by_name;
	char url[EI_URL_MAX], a[128], b[128];

	ei_identity_peer_url(&cfg->id, cfg->id.ordinal, url, sizeof(url));
	if (d->has_wal && d->has_metadata && d->cluster_id == cluster)
		by_wal = ei_member_list_find_id(l, d->member_id);
	by_url = ei_member_list_find_peer_url(l, url);
	by_name = ei_member_list_find_name(l, cfg->name);
	if (by_name && !ei_plan_member_is_here(f, by_name))
		by_name = NULL;
	*self = by_wal ? by_wal : by_url ? by_url : by_name;
	if ((by_url && by_url != *self) || (by_name && by_name != *self)) {
		label(*self, a, sizeof(a));
		label(by_url && by_url != *self ? by_url : by_name, b, sizeof(b));
		set_action(out, EI_LEAVE_UNDECIDED, "two members could be this pod: %s (%s) and %s (our %s): removing neither; check the member list by hand",
			   a, by_wal ? "our WAL's member" : "our peer URL", b, by_url && by_url != *self ? "peer URL" : "name");
		return false;
	}
	return true;
}

/* Our member is not in the trusted list: nothing to remove; the data moves aside only
 * when its WAL is of this cluster and names a member that is not listed. */
static void decide_gone(const struct ei_config *cfg, const struct ei_facts *f, uint64_t cluster,
			const struct ei_trust *v, struct ei_leave_plan *out)
{
	const struct ei_datadir_facts *d = &f->datadir;
	char url[EI_URL_MAX];

	ei_identity_peer_url(&cfg->id, cfg->id.ordinal, url, sizeof(url));
	if (d->has_wal && d->has_metadata && d->cluster_id == cluster) {
		out->member_id = d->member_id;
		out->move_aside = true;
		set_action(out, EI_LEAVE_ALREADY_GONE, "this pod is scaled away and its member %" PRIx64 " (our WAL's) is not in the member list of cluster %" PRIx64 " (%s): it was removed already; nothing to remove, moving its data aside so a later scale-up starts clean",
			   d->member_id, cluster, v->why);
	} else if (d->has_wal) {
		set_action(out, EI_LEAVE_ALREADY_GONE, "this pod is scaled away and no member of cluster %" PRIx64 " has our peer URL %s or our name (%s): nothing to remove; the WAL in %s stays, its member ID could not be read (%s), so it is not known to be the removed member's (the next start decides)",
			   cluster, url, v->why, d->wal_dir, d->metadata_error[0] ? d->metadata_error : "unknown");
	} else {
		set_action(out, EI_LEAVE_ALREADY_GONE, "this pod is scaled away and no member of cluster %" PRIx64 " has our peer URL %s or our name (%s): nothing to remove, and no WAL in %s to move aside",
			   cluster, url, v->why, d->wal_dir);
	}
}

/* The voters left after our removal, not counting the other leaving members that
 * answered (they may remove themselves at the same moment), must have a quorum of
 * members that answered. Returns false with out a WAIT when they would not. */
static bool quorum_kept(const struct ei_config *cfg, const struct ei_facts *f, long replicas,
			const struct ei_member_list *l, const struct ei_member *self, char *summary,
			size_t len, struct ei_leave_plan *out)
{
	char stay[400] = "", silent[400] = "", leaving[300] = "", who[128];
	size_t n = 0, h = 0;
	unsigned ord;

	for (size_t i = 0; i < l->n_members; i++) {
		const struct ei_member *m = &l->members[i];
		bool alive;

		if (m == self || m->is_learner)
			continue;
		alive = answered(f, m->id);
		label(m, who, sizeof(who));
		if (alive && member_ordinal(cfg, m, &ord) && (long)ord >= replicas) {
			ei_msg_add(leaving, sizeof(leaving), ", ", "%s", who);
			continue;
		}
		n++;
		if (alive)
			h++;
		ei_msg_add(stay, sizeof(stay), ", ", "%s", who);
		if (!alive)
			ei_msg_add(silent, sizeof(silent), ", ", "%s", who);
	}
	snprintf(summary, len, "%zu voters stay (%s), %zu of them answered%s%s%s", n,
		 stay[0] ? stay : "none", h, leaving[0] ? ", not counting " : "", leaving,
		 leaving[0] ? ", leaving too" : "");
	if (n && h >= ei_plan_quorum(n))
		return true;
	set_action(out, EI_LEAVE_WAIT, "removing %s now could lose quorum: %s, and a quorum of %zu is %zu (not answering: %s); waiting",
		   self->name ? self->name : "our member", summary, n, ei_plan_quorum(n), silent[0] ? silent : "none");
	return false;
}

/* Another started voter that answered with the trusted list takes the removal. */
static const struct ei_peer *pick_via(const struct ei_facts *f, const struct ei_member_list *l,
				      const struct ei_member *self)
{
	for (size_t i = 0; i < f->n_peers; i++) {
		const struct ei_peer *p = &f->peers[i];
		const struct ei_member *r;

		if (!valid_list(f, p) || !ei_plan_same_members(l, &p->members) || !p->client_pin[0])
			continue;
		r = ei_member_list_find_id(l, p->members.responder_id);
		if (r && r != self && r->id != self->id && !r->is_learner && r->n_client_urls)
			return p;
	}
	return NULL;
}

/* Another member that is a learner (catching up or not promoted yet) blocks the removal
 * while the membership is changing. Returns true with out a WAIT when one does. */
static bool learner_blocks(const struct ei_member_list *l, const struct ei_member *self,
			   long replicas, const char *who, struct ei_leave_plan *out)
{
	char learners[400] = "";

	for (size_t i = 0; i < l->n_members; i++) {
		const struct ei_member *m = &l->members[i];
		char name[128];

		if (m != self && m->is_learner) {
			label(m, name, sizeof(name));
			ei_msg_add(learners, sizeof(learners), ", ", "%s", name);
		}
	}
	if (!learners[0])
		return false;
	set_action(out, EI_LEAVE_WAIT, "this pod is scaled away (replicas %ld), but %s is a learner (catching up or not promoted yet): not removing %s while the membership is changing; waiting for the promotion",
		   replicas, learners, who);
	return true;
}

/* "; the leader is etcd-1 (a1)" for the reason. Returns whether self leads. */
static bool leader_note(const struct ei_member_list *l, const struct ei_member *self,
			uint64_t leader_id, char *buf, size_t len)
{
	const struct ei_member *m;
	char name[128];

	if (leader_id && leader_id == self->id) {
		snprintf(buf, len, "; it is the leader: etcd hands leadership over");
		return true;
	}
	if (!leader_id) {
		snprintf(buf, len, "; the leader is unknown");
		return false;
	}
	if ((m = ei_member_list_find_id(l, leader_id)))
		label(m, name, sizeof(name));
	else
		snprintf(name, sizeof(name), "%" PRIx64, leader_id);
	snprintf(buf, len, "; the leader is %s", name);
	return false;
}

/* The rules of leaveplan.h, in their order; the first that decides ends it. */
void ei_leaveplan_decide(const struct ei_config *cfg, long replicas, const char *why_unknown,
			 const struct ei_facts *f, uint64_t leader_id, struct ei_leave_plan *out)
{
	const struct ei_datadir_facts *d = &f->datadir;
	const struct ei_member *self;
	const struct ei_peer *via;
	char summary[900], who[128], leader[160] = "";
	uint64_t cluster = 0;
	struct ei_trust v;

	if (!ei_leaveplan_scale_down(cfg, replicas, why_unknown, out))
		return;
	if (!pick_cluster(f, &cluster, out))
		return;
	ei_plan_trust(f, cluster, &v);
	if (!v.list) {
		set_action(out, EI_LEAVE_WAIT, "removing this member needs a current member list of cluster %" PRIx64 " (our WAL's), and none of its members answered",
			   cluster);
		return;
	}
	if (!v.trusted) {
		set_action(out, EI_LEAVE_WAIT, "this pod is scaled away (replicas %ld), but removing its member needs a current member list of cluster %" PRIx64 ", and there is %s: waiting",
			   replicas, cluster, v.why);
		return;
	}
	if (!find_self(cfg, f, cluster, v.list, &self, out))
		return;
	if (!self) {
		decide_gone(cfg, f, cluster, &v, out);
		return;
	}
	label(self, who, sizeof(who));
	if (learner_blocks(v.list, self, replicas, who, out))
		return;
	if (!self->is_learner && ei_plan_voters(v.list) == 1) {
		set_action(out, EI_LEAVE_UNDECIDED, "this pod is scaled away (replicas %ld), but %s is the last voter of cluster %" PRIx64 ": removing it would end the cluster; nothing removed",
			   replicas, who, cluster);
		return;
	}
	/* Our own learner is counted as a voter-to-be: this pod's promoter may promote it
	 * while leave runs, and then its removal is a voter's. */
	if (!quorum_kept(cfg, f, replicas, v.list, self, summary, sizeof(summary), out))
		return;
	if (self->is_learner)
		ei_msg_add(summary, sizeof(summary), "; ", "it is a learner, counted as a voter-to-be (its promoter may promote it meanwhile)");
	if (!(via = pick_via(f, v.list, self))) {
		set_action(out, EI_LEAVE_WAIT, "this pod is scaled away, but no other started voter answered with the member list to send the removal of %s to: waiting",
			   who);
		return;
	}
	out->is_leader = leader_note(v.list, self, leader_id, leader, sizeof(leader));
	out->member_id = self->id;
	out->move_aside =
	    d->has_wal && d->has_metadata && d->cluster_id == cluster && d->member_id == self->id;
	snprintf(out->via_url, sizeof(out->via_url), "%s", via->client_url);
	snprintf(out->via_pin, sizeof(out->via_pin), "%s", via->client_pin);
	set_action(out, EI_LEAVE_REMOVE, "ordinal %u is not below the desired %ld replicas: this pod is scaled away. Removing its member %s from cluster %" PRIx64 " (%s; %s%s) through %s, then %s",
		   cfg->id.ordinal, replicas, who, cluster, v.why, summary, leader, via->host,
		   out->move_aside ? "moving its data aside (one rename, never deleted)"
		   : !d->has_wal   ? "nothing to move: no WAL in the data dir"
				   : "leaving the data in place: its WAL is not known to be this member's");
}
