/* plantrust.c - the member lists of one cluster and which of them the start-up decision
 * trusts (plan.h): a linearizable list of etcd >= 3.5, or the same list from a majority
 * of its voters; and the started voter a change is sent to. Pure. */
#include "planeval.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

size_t ei_plan_quorum(size_t voters)
{
	return voters / 2 + 1;
}

size_t ei_plan_voters(const struct ei_member_list *l)
{
	size_t n = 0;

	for (size_t i = 0; i < l->n_members; i++)
		n += !l->members[i].is_learner;
	return n;
}

/* "3.5.9" -> 305; 0 when unknown. */
static int version_num(const char *v)
{
	unsigned major, minor;

	if (sscanf(v, "%u.%u", &major, &minor) != 2)
		return 0;
	return (int)(major * 100 + minor);
}

bool ei_plan_same_members(const struct ei_member_list *a, const struct ei_member_list *b)
{
	if (a->cluster_id != b->cluster_id || a->n_members != b->n_members)
		return false;
	for (size_t i = 0; i < a->n_members; i++)
		if (!ei_member_list_find_id(b, a->members[i].id))
			return false;
	return true;
}

/* planeval.h */
size_t ei_plan_cluster_ids(const struct evidence *e, uint64_t *ids, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < e->f->n_peers; i++) {
		const struct judged *j = &e->peer[i];
		bool seen = false;

		if (j->kind != PEER_ETCD)
			continue;
		for (size_t k = 0; k < n; k++)
			seen |= ids[k] == j->list->cluster_id;
		if (!seen && n < max)
			ids[n++] = j->list->cluster_id;
	}
	return n;
}

void ei_plan_trust(const struct ei_facts *f, uint64_t cluster_id, struct ei_trust *out)
{
	bool valid[EI_MAX_PEERS];
	size_t best_votes = 0;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < f->n_peers && i < EI_MAX_PEERS; i++) {
		char ignored[8];

		valid[i] = ei_plan_gateway_valid(f, &f->peers[i], ignored, sizeof(ignored));
	}
	/* A linearizable answer from etcd >= 3.5 went through raft: current (3.4 has no
	 * such field and answers locally; server/etcdserver/api/v3rpc/member.go
	 * ClusterServer.MemberList calls LinearizableReadNotify when it is set). */
	for (size_t i = 0; i < f->n_peers && !out->trusted; i++) {
		const struct ei_peer *p = &f->peers[i];

		if (valid[i] && p->members.cluster_id == cluster_id && p->linearizable &&
		    version_num(p->server_version) >= 305) {
			out->list = &p->members;
			out->trusted = true;
			snprintf(out->why, sizeof(out->why),
				 "a linearizable member list from %s (etcd %s)", p->host,
				 p->server_version);
		}
	}
	/* Otherwise the same list from a majority of its voters. */
	for (size_t i = 0; i < f->n_peers && !out->trusted; i++) {
		const struct ei_peer *p = &f->peers[i];
		size_t votes = 0, voters = ei_plan_voters(&p->members);

		if (!valid[i] || p->members.cluster_id != cluster_id)
			continue;
		for (size_t k = 0; k < f->n_peers; k++) {
			const struct ei_peer *q = &f->peers[k];
			const struct ei_member *r;
			bool counted = false;

			if (!valid[k] || !ei_plan_same_members(&p->members, &q->members))
				continue;
			r = ei_member_list_find_id(&p->members, q->members.responder_id);
			/* One vote per responding voter (two names of one pod count once). */
			for (size_t m = 0; m < k; m++)
				counted |= valid[m] &&
					   ei_plan_same_members(&p->members, &f->peers[m].members) &&
					   f->peers[m].members.responder_id == q->members.responder_id;
			votes += r && !r->is_learner && !counted;
		}
		if (votes > best_votes) {
			best_votes = votes;
			out->list = &p->members;
			out->trusted = votes >= ei_plan_quorum(voters);
			snprintf(out->why, sizeof(out->why),
				 "the same member list from %zu of its %zu voters%s", votes, voters,
				 out->trusted ? "" : " (no majority)");
		}
	}
}

/* planeval.h: the trusted list, else the one most voters gave, else a peer's local one. */
void ei_plan_view_of(const struct evidence *e, uint64_t cluster_id, struct view *v)
{
	const struct ei_facts *f = e->f;
	struct ei_trust t;

	memset(v, 0, sizeof(*v));
	v->cluster_id = cluster_id;
	ei_plan_trust(f, cluster_id, &t);
	v->list = t.list;
	v->trusted = t.trusted;
	snprintf(v->trust, sizeof(v->trust), "%s", t.why);
	for (size_t i = 0; i < f->n_peers && !v->list; i++) {
		const struct judged *j = &e->peer[i];

		if (j->kind == PEER_ETCD && j->list->cluster_id == cluster_id) {
			v->list = j->list;
			snprintf(v->trust, sizeof(v->trust),
				 "only %s's local member list (its gateway does not answer: no quorum, or not serving clients yet)",
				 f->peers[i].host);
		}
	}
	if (!v->list)
		return;
	/* A started voter that answered with this list takes the change: the first one after
	 * the member that refused the last change as unhealthy (its own view of its links),
	 * in the peers' order, so that each is tried in turn; that member only when it is
	 * the only one. */
	{
		const struct ei_peer *refused = NULL;

		for (size_t pass = 0; pass < 2 && !v->via; pass++) {
			/* First pass: only after the refused one; second: from the start. */
			bool after_refused = pass == 1 || !f->via_refused_id;

			for (size_t i = 0; i < f->n_peers && !v->via; i++) {
				const struct ei_peer *p = &f->peers[i];
				const struct ei_member *r;

				if (!e->peer[i].gw_valid || !ei_plan_same_members(v->list, &p->members) ||
				    !p->client_pin[0])
					continue;
				r = ei_member_list_find_id(v->list, p->members.responder_id);
				if (!r || r->is_learner || !ei_plan_has_run(r))
					continue;
				if (r->id == f->via_refused_id) {
					refused = p;
					after_refused = true;
					continue;
				}
				if (after_refused)
					v->via = p;
			}
		}
		if (!v->via)
			v->via = refused;
	}
}

/* planeval.h */
const struct ei_peer *ei_plan_alive_as(const struct evidence *e, uint64_t id)
{
	for (size_t i = 0; i < e->f->n_peers; i++)
		if (e->peer[i].gw_valid && e->f->peers[i].members.responder_id == id)
			return &e->f->peers[i];
	return NULL;
}
