/* planwal.c - the start-up decision when the data dir has a WAL (plan.h): restart on it,
 * move it aside and join again once a trusted list shows our member removed, or wait.
 * Pure. */
#include "planeval.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Whether the cluster that answers can be the one that removed us: its raft log must
 * reach at least as far as our WAL's (a term as high as our last entry's, a commit index
 * as high as ours), since every entry we committed is in that cluster's log. A cluster
 * behind our WAL is a look-alike: a new cluster with the same IDs (they derive from the
 * token and the peer URLs), bootstrapped by a member that lost its data. Returns 1 when
 * it cannot be ours (with the alert), 0 when it can, -1 when its position or ours is
 * unknown; a WAIT is written into out unless it returns 0. */
static int younger_than_wal(const struct evidence *e, const struct view *v, struct ei_plan *out)
{
	const struct ei_facts *f = e->f;
	const struct ei_datadir_facts *d = &f->datadir;
	uint64_t term = 0, index = 0;
	const char *at = NULL;

	if (!d->has_position) {
		ei_plan_set_action(out, EI_ACT_WAIT, "member %" PRIx64 " (our WAL) is not in the member list of cluster %" PRIx64 ", but how far our WAL reaches is unknown (%s): not moving data aside without comparing it with the cluster's raft log. Move %s aside by hand if it is stale",
				   d->member_id, v->cluster_id, d->position_error[0] ? d->position_error : "no readable segment", d->wal_dir);
		return -1;
	}
	for (size_t i = 0; i < f->n_peers; i++) {
		const struct ei_peer *p = &f->peers[i];
		const struct judged *j = &e->peer[i];

		if (j->kind != PEER_ETCD || j->list->cluster_id != v->cluster_id)
			continue;
		if (j->gw_valid && p->members.raft_term > term)
			term = p->members.raft_term;
		if (p->raft.outcome == EI_OUTCOME_VALID && p->raft_status.cluster_id == v->cluster_id) {
			if (p->raft_status.raft_term > term)
				term = p->raft_status.raft_term;
			if (p->raft_status.raft_index > index) {
				index = p->raft_status.raft_index;
				at = p->host;
			}
		}
	}
	if (!index) {
		ei_plan_set_action(out, EI_ACT_WAIT, "member %" PRIx64 " (our WAL, term %" PRIu64 ", commit index %" PRIu64 ") is not in the member list of cluster %" PRIx64 ", but no member of that cluster told its raft index (maintenance status): not moving data aside before comparing",
				   d->member_id, d->position.term, d->position.commit, v->cluster_id);
		return -1;
	}
	if ((term && term < d->position.term) || index < d->position.commit) {
		snprintf(out->alert, sizeof(out->alert), "cluster %" PRIx64 " is younger than this member's data: its raft log reaches term %" PRIu64 ", index %" PRIu64 " (highest from %s), our WAL (member %" PRIx64 ") term %" PRIu64 ", commit index %" PRIu64 ". It cannot be the cluster that removed us: it is a look-alike (same IDs), bootstrapped anew by a member that lost its data. Our data is NOT moved aside. Restore from the member with the newest data (this pod's, or another member's WAL): stop the look-alike, and run etcd-init force-new-cluster in the pod with the newest data",
			 v->cluster_id, term, index, at ? at : "-", d->member_id, d->position.term, d->position.commit);
		ei_plan_set_action(out, EI_ACT_WAIT, "%s", out->alert);
		return 1;
	}
	return 0;
}

/* The one-shot request of etcd-init force-new-cluster (forcereq.h), taken when no
 * cluster other than ours answered and none has a current list (its quorum is gone).
 * Returns true with the RESTART written into out; false (a notice written when the
 * request is not taken) otherwise. */
static bool take_force_request(const struct evidence *e, const uint64_t *ids, size_t n_ids,
			       struct ei_plan *out)
{
	const struct ei_datadir_facts *d = &e->f->datadir;
	struct view v;

	if (!d->force_request || n_ids > 1 || !d->has_metadata ||
	    (n_ids == 1 && ids[0] != d->cluster_id))
		return false;
	if (n_ids == 1)
		ei_plan_view_of(e, ids[0], &v);
	if (n_ids == 0 || !v.trusted) {
		ei_plan_set_action(out, EI_ACT_RESTART, "the data dir has a WAL of member %" PRIx64 " and the one-shot request of etcd-init force-new-cluster, and %s: starting etcd with --force-new-cluster, a one-member cluster with this data (the request is consumed now); the other members then join it",
				   d->member_id, n_ids == 0 ? "no member answered" : v.trust);
		out->force_new_cluster = true;
		return true;
	}
	snprintf(out->notice, sizeof(out->notice), "the force-new-cluster request on this volume is not taken: cluster %" PRIx64 " has a current member list (%s), its quorum is alive. The request is dropped when etcd starts",
		 v.cluster_id, v.trust);
	return false;
}

/* Without a trusted list, a restart (which changes nothing: etcd checks its membership
 * itself) needs every list to name us, and lists that disagree (a removal not applied
 * everywhere yet) mean: wait a round. */
static int decide_untrusted(const struct evidence *e, const struct view *v, struct ei_plan *out,
			    struct ei_err *err)
{
	const struct ei_facts *f = e->f;
	const struct ei_datadir_facts *d = &f->datadir;
	size_t with = 0, without = 0;
	const struct ei_member *self = NULL;

	for (size_t i = 0; i < f->n_peers; i++) {
		const struct judged *j = &e->peer[i];
		const struct ei_member *m;

		if (j->kind != PEER_ETCD || j->list->cluster_id != d->cluster_id)
			continue;
		m = ei_member_list_find_id(j->list, d->member_id);
		if (m)
			self = m;
		with += m != NULL;
		without += m == NULL;
	}
	if (self && !without) {
		ei_plan_set_action(out, EI_ACT_RESTART, "the data dir has a WAL of member %" PRIx64 ", which every member list names%s",
				   d->member_id, self->is_learner ? " as a learner: promote it once caught up" : "");
		return ei_plan_set_self(out, self, err);
	}
	ei_plan_set_action(out, EI_ACT_WAIT, "member %" PRIx64 " (our WAL) is %s the member lists of cluster %" PRIx64 ", and there is %s: neither restarting nor moving data aside on that; waiting for a current list",
			   d->member_id, with ? "in some and not in others of" : "not in", d->cluster_id, v->trust);
	return 0;
}

/* planeval.h */
int ei_plan_decide_with_wal(const struct evidence *e, struct ei_plan *out, struct ei_err *err)
{
	const struct ei_datadir_facts *d = &e->f->datadir;
	uint64_t ids[EI_MAX_PEERS];
	size_t n_ids = ei_plan_cluster_ids(e, ids, EI_MAX_PEERS);
	const struct ei_member *ours_m;
	struct view v;
	bool ours = false;

	if (take_force_request(e, ids, n_ids, out))
		return 0;
	if (n_ids == 0) {
		ei_plan_set_action(out, EI_ACT_RESTART, "the data dir has a WAL and no member answered: it is our data, etcd finds its peers itself");
		return 0;
	}
	if (!d->has_metadata) {
		ei_plan_set_action(out, EI_ACT_RESTART, "the data dir has a WAL whose member ID could not be read (%s): not guessing, etcd checks its membership itself",
				   d->metadata_error[0] ? d->metadata_error : "unknown");
		return 0;
	}
	for (size_t i = 0; i < n_ids; i++)
		ours |= ids[i] == d->cluster_id;
	if (!ours) {
		ei_plan_set_action(out, EI_ACT_REFUSE, "the WAL in %s belongs to cluster %" PRIx64 " (member %" PRIx64 ") but the cluster that answered is %" PRIx64 ": this volume belongs to another cluster; nothing was changed. Move the data dir away by hand if it is stale",
				   d->wal_dir, d->cluster_id, d->member_id, ids[0]);
		return 0;
	}
	/* A trusted list decides. */
	ei_plan_view_of(e, d->cluster_id, &v);
	if (!v.trusted)
		return decide_untrusted(e, &v, out, err);
	if ((ours_m = ei_member_list_find_id(v.list, d->member_id))) {
		ei_plan_set_action(out, EI_ACT_RESTART, "the data dir has a WAL of member %" PRIx64 ", which is in the member list (%s)%s",
				   d->member_id, v.trust, ours_m->is_learner ? "; a learner: promote it once caught up" : "");
		return ei_plan_set_self(out, ours_m, err);
	}
	if (younger_than_wal(e, &v, out) != 0)
		return 0;
	ei_plan_set_action(out, EI_ACT_REJOIN, "the WAL is of member %" PRIx64 " of this cluster (%" PRIx64 "), which is not in %s: it was removed. Moving the old data aside (never deleting it) and joining again",
			   d->member_id, d->cluster_id, v.trust);
	return 0;
}
