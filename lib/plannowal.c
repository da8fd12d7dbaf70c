/* plannowal.c - the start-up decision when the data dir has no WAL (plan.h): bootstrap a
 * new cluster, join one being bootstrapped, start as our listed member, replace our old
 * member, add ourselves, or wait (and say when no automatic step can help). Pure. */
#include "planeval.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cluster.h"

/* With no trusted list: when every voter of the candidate list is accounted for and
 * fewer than a quorum still have their data, no automatic step can help (plan.h). */
static bool quorum_lost(const struct ei_config *cfg, const struct evidence *e,
			const struct view *v, char *alert, size_t len)
{
	const struct ei_facts *f = e->f;
	char with[400] = "", without[400] = "", self_url[EI_URL_MAX];
	size_t voters = 0, have = 0;

	ei_identity_peer_url(&cfg->id, cfg->id.ordinal, self_url, sizeof(self_url));
	for (size_t i = 0; i < v->list->n_members; i++) {
		const struct ei_member *m = &v->list->members[i];
		const char *label = m->name ? m->name : m->n_peer_urls ? m->peer_urls[0] : "?";
		int state = -1; /* -1 unknown, 0 no data, 1 data */

		if (m->is_learner)
			continue;
		voters++;
		if (ei_member_list_find_peer_url(v->list, self_url) == m ||
		    (m->name && strcmp(m->name, cfg->name) == 0 && ei_plan_member_is_here(f, m)))
			state = 0;
		for (size_t k = 0; k < f->n_peers && state < 0; k++) {
			const struct ei_peer *p = &f->peers[k];
			enum peer_kind kind = e->peer[k].kind;

			if (kind == PEER_ETCD && ei_plan_member_is_peer(f, m, p))
				state = 1;
			else if (kind == PEER_INIT && ei_plan_member_is_peer(f, m, p))
				state = p->init.has_wal ? 1 : 0;
		}
		if (state < 0)
			return false;
		if (state)
			have++;
		ei_msg_add(state ? with : without, sizeof(with), "; ", "%s", label);
	}
	if (voters == 0 || have >= ei_plan_quorum(voters))
		return false;
	snprintf(alert, len, "quorum lost for good: of the %zu voters of cluster %" PRIx64 ", only %zu have their data (%s) and %zu lost it (%s); a quorum needs %zu. No automatic step is safe. To recover on the member with the newest data: kubectl exec <that pod> -- etcd-init force-new-cluster (a one-shot request on its volume, taken by its next start; restart the pod if its etcd runs), and the others join it by themselves; or restore a snapshot (etcdutl snapshot restore)",
		 voters, v->cluster_id, have, with[0] ? with : "none", voters - have,
		 without[0] ? without : "none", ei_plan_quorum(voters));
	return true;
}

/* A step that needs a trusted list but has none: wait, and say why (or that the
 * cluster cannot recover by itself). */
static int wait_for_trust(const struct ei_config *cfg, const struct evidence *e,
			  const struct view *v, const char *step, struct ei_plan *out)
{
	if (quorum_lost(cfg, e, v, out->alert, sizeof(out->alert)))
		ei_plan_set_action(out, EI_ACT_WAIT, "%s", out->alert);
	else
		ei_plan_set_action(out, EI_ACT_WAIT, "%s needs a current member list of cluster %" PRIx64 ", and there is %s: waiting",
				   step, v->cluster_id, v->trust);
	return 0;
}

/* A change that needs a started voter to send it to (one that answered its gateway with
 * the trusted list) and has none: wait (run.c sends changes only through plan.via_url). */
static bool wait_for_via(const struct view *v, const char *step, struct ei_plan *out)
{
	if (v->via)
		return false;
	ei_plan_set_action(out, EI_ACT_WAIT, "%s: the member list of cluster %" PRIx64 " is current (%s), but no started voter answered its gateway with it to send the change to: waiting",
			   step, v->cluster_id, v->trust);
	return true;
}

/* etcd takes one learner at a time (--experimental-max-learners, 1), and checks it only
 * when it applies the change: a refused add is still a raft entry, replicated and
 * fsynced by every member, the learner catching up included. So while the current list
 * has a learner, we wait for its promotion (asking the list again every 150-250 ms:
 * its promoter promotes it within a few hundred ms of its catching up). Returns 1 when
 * waiting. */
static int waits_for_learner_slot(const struct view *v, struct ei_plan *out)
{
	for (size_t i = 0; i < v->list->n_members; i++) {
		const struct ei_member *m = &v->list->members[i];

		if (!m->is_learner)
			continue;
		ei_plan_set_action(out, EI_ACT_WAIT, "adding ourselves: member %" PRIx64 " (%s) is a learner of cluster %" PRIx64 " and etcd takes one learner at a time: waiting for its promotion",
				   m->id, m->name ? m->name : m->n_peer_urls ? m->peer_urls[0] : "?", v->cluster_id);
		out->add_as_learner = false;
		out->wait_is_short = true;
		return 1;
	}
	return 0;
}

/* The member that is ours by name when our peer URL is not listed (plan.h): its peer
 * host must be this pod; a live one is someone else using our name. Returns 1 when
 * out is decided, 0 when there is no such member. */
static int decide_by_name(const struct ei_config *cfg, const struct evidence *e,
			  const struct view *v, struct ei_plan *out, struct ei_err *err)
{
	const struct ei_member *m = ei_member_list_find_name(v->list, cfg->name);
	const struct ei_peer *alive;

	if (!m)
		return 0;
	if ((alive = ei_plan_alive_as(e, m->id))) {
		ei_plan_set_action(out, EI_ACT_REFUSE, "member %" PRIx64 " is named %s like this pod, but its peer URL is %s and it is alive (it answered at %s): another member uses this pod's name. Nothing was changed; rename one of them",
				   m->id, cfg->name, m->n_peer_urls ? m->peer_urls[0] : "-", alive->client_url);
		return 1;
	}
	if (!ei_plan_member_is_here(e->f, m)) {
		ei_plan_set_action(out, EI_ACT_WAIT, "member %" PRIx64 " is named %s like this pod, but its peer URL %s does not point at this pod and it does not answer: not removing it (remove it by hand if it is stale)",
				   m->id, cfg->name, m->n_peer_urls ? m->peer_urls[0] : "-");
		return 1;
	}
	if (!v->trusted)
		return wait_for_trust(cfg, e, v, "replacing our old member", out), 1;
	if (wait_for_via(v, "replacing our old member", out))
		return 1;
	ei_plan_set_action(out, EI_ACT_REPLACE, "no WAL but member %" PRIx64 " is ours (same name, its peer URL %s points at this pod)%s: removing it, then adding ourselves again with the canonical peer URL (trusted: %s)",
			   m->id, m->n_peer_urls ? m->peer_urls[0] : "-", ei_plan_has_run(m) ? " and has run" : "", v->trust);
	out->remove_id = m->id;
	ei_plan_set_via(out, v);
	return ei_plan_set_self(out, m, err) < 0 ? EI_E_NOMEM : 1;
}

/* Every host of the members' peer URLs must resolve before a join: etcd gives up
 * after 30 s on one that does not (pkg/netutil/netutil.go resolveURL, given 30 s by
 * ValidateClusterAndAssignIDs), with our member already added. */
static bool peer_hosts_resolve(const struct ei_facts *f, const struct ei_member_list *l,
			       char *missing, size_t len)
{
	for (size_t i = 0; i < l->n_members; i++) {
		for (size_t u = 0; u < l->members[i].n_peer_urls; u++) {
			char host[EI_DNS_NAME_MAX];
			const struct ei_host *h;

			if (!ei_url_host(l->members[i].peer_urls[u], host, sizeof(host)))
				continue;
			h = ei_facts_host(f, host);
			if (!h || h->status != EI_DNS_FOUND) {
				snprintf(missing, len, "%s", host);
				return false;
			}
		}
	}
	return true;
}

static int decide_in_cluster(const struct ei_config *cfg, const struct evidence *e,
			     const struct view *v, struct ei_plan *out, struct ei_err *err)
{
	char self_url[EI_URL_MAX], missing[EI_DNS_NAME_MAX];
	const struct ei_member *by_url;
	const struct ei_peer *alive;
	int r;

	ei_identity_peer_url(&cfg->id, cfg->id.ordinal, self_url, sizeof(self_url));
	by_url = ei_member_list_find_peer_url(v->list, self_url);
	if (by_url && (alive = ei_plan_alive_as(e, by_url->id))) {
		ei_plan_set_action(out, EI_ACT_REFUSE, "member %" PRIx64 " has this pod's peer URL %s but answers at %s: another pod serves our name. Nothing was changed",
				   by_url->id, self_url, alive->client_url);
		return 0;
	}
	if (by_url && !ei_plan_has_run(by_url)) {
		if (!v->trusted)
			return wait_for_trust(cfg, e, v, "starting as our listed member", out);
		if ((r = ei_plan_set_self(out, by_url, err)) < 0)
			return r;
		return ei_plan_set_start(out, EI_ACT_START_EXISTING, ei_cluster_existing_initial(cfg, v->list),
					 "no WAL and the member list has our peer URL as member %" PRIx64 ", which never started%s: starting as it, no member add (trusted: %s)",
					 by_url->id, by_url->is_learner ? " (a learner, promoted once caught up)" : "", v->trust);
	}
	if (by_url) {
		if (!v->trusted)
			return wait_for_trust(cfg, e, v, "replacing our old member", out);
		if (wait_for_via(v, "replacing our old member", out))
			return 0;
		ei_plan_set_action(out, EI_ACT_REPLACE, "no WAL but member %" PRIx64 " (same peer URL) is ours and has run: our data is lost. Removing it, then adding ourselves again (a member may not come back with an empty log under its old ID; trusted: %s)",
				   by_url->id, v->trust);
		out->remove_id = by_url->id;
		ei_plan_set_via(out, v);
		return ei_plan_set_self(out, by_url, err);
	}
	r = decide_by_name(cfg, e, v, out, err);
	if (r != 0)
		return r < 0 ? r : 0;
	if (!v->trusted)
		return wait_for_trust(cfg, e, v, "adding ourselves", out);
	if (wait_for_via(v, "adding ourselves", out))
		return 0;
	if (!peer_hosts_resolve(e->f, v->list, missing, sizeof(missing))) {
		ei_plan_set_action(out, EI_ACT_WAIT, "joining needs every member's peer host to resolve (etcd gives up after 30 s), and %s does not: waiting before adding ourselves",
				   missing);
		return 0;
	}
	out->add_as_learner = !cfg->no_learner;
	if (out->add_as_learner && (r = waits_for_learner_slot(v, out)) != 0)
		return 0;
	out->promote_after_start = out->add_as_learner;
	ei_plan_set_via(out, v);
	return ei_plan_set_start(out, EI_ACT_JOIN, ei_cluster_existing_initial(cfg, v->list),
				 "no WAL and we are not in the member list of cluster %" PRIx64 " (%zu members; trusted: %s): adding ourselves as a %s",
				 v->cluster_id, v->list->n_members, v->trust, out->add_as_learner ? "learner, promoted once caught up" : "voter");
}

/* Whether an etcd-init's word about itself was: no WAL, with our size and token. */
static bool empty_like_us(const struct ei_config *cfg, bool has_wal, unsigned size,
			  const char *token)
{
	return !has_wal && size == cfg->initial_cluster_size && strcmp(token, cfg->token) == 0;
}

/* Whether peer p's etcd-init said, less than EARLIER_NO_WAL_FRESH_MS ago, that it had
 * no WAL, with our size and token: answering our status question at p's peer URL in an
 * earlier round, or asking ours from one of p's addresses (facts.h claims). The latest
 * of these words decides: a newer one saying otherwise (a restart on a WAL) undoes it. */
static bool said_no_wal(const struct ei_config *cfg, const struct ei_facts *f,
			const struct ei_peer *p)
{
	const struct ei_init_status *s = &p->earlier_init;
	unsigned newest = UINT_MAX;
	bool empty = false;

	if (p->earlier_init_seen && !strcmp(p->earlier_init_url, p->peer_url) &&
	    !strcmp(s->peer_url, p->peer_url)) {
		newest = p->earlier_init_age_ms;
		empty = empty_like_us(cfg, s->has_wal, s->initial_cluster_size, s->token);
	}
	for (size_t i = 0; i < f->n_claims; i++) {
		const struct ei_status_claim *c = &f->claims[i];
		bool from_p = false;

		for (size_t a = 0; a < p->n_addrs; a++)
			from_p |= !strcmp(c->addr, p->addrs[a]);
		if (!from_p || strcmp(c->peer_url, p->peer_url) != 0 || c->age_ms >= newest)
			continue;
		newest = c->age_ms;
		empty = empty_like_us(cfg, c->has_wal, c->initial_cluster_size, c->token);
	}
	return empty && newest <= EARLIER_NO_WAL_FRESH_MS;
}

/* Whether every peer that serves this bootstrap as etcd started it from an empty
 * volume: its etcd-init said so moments before (said_no_wal). Such an etcd holds
 * nothing but what that start wrote, so its list is a bootstrap, not an etcd replaying
 * its WAL (which serves the same list for a moment). */
static bool bootstrappers_started_empty(const struct ei_config *cfg, const struct evidence *e)
{
	size_t n = 0;

	for (size_t k = 0; k < e->f->n_peers; k++) {
		if (e->peer[k].kind != PEER_ETCD)
			continue;
		if (!said_no_wal(cfg, e->f, &e->f->peers[k]))
			return false;
		n++;
	}
	return n > 0;
}

/* planeval.h */
int ei_plan_decide_without_wal(const struct ei_config *cfg, const struct evidence *e,
			       struct ei_plan *out, struct ei_err *err)
{
	uint64_t ids[EI_MAX_PEERS];
	size_t n_ids = ei_plan_cluster_ids(e, ids, EI_MAX_PEERS);
	char self_url[EI_URL_MAX], why[400] = "", vouched[600];
	struct view v;
	bool empty;
	int b, r;

	ei_identity_peer_url(&cfg->id, cfg->id.ordinal, self_url, sizeof(self_url));
	if (n_ids > 1) {
		ei_plan_set_action(out, EI_ACT_WAIT, "no WAL, and peers answer for %zu different clusters (%" PRIx64 ", %" PRIx64 "%s): not acting on any of them",
				   n_ids, ids[0], ids[1], n_ids > 2 ? ", ..." : "");
		return 0;
	}
	if (n_ids == 0) {
		if (cfg->id.ordinal >= cfg->initial_cluster_size) {
			ei_plan_set_action(out, EI_ACT_WAIT, "no WAL and no cluster answered; ordinal %u is not below the initial cluster size %u, so this member never bootstraps: waiting for the cluster to answer",
					   cfg->id.ordinal, cfg->initial_cluster_size);
			return 0;
		}
		if (ei_plan_bootstrap_vouched(cfg, e, out) <= 0)
			return 0;
		snprintf(vouched, sizeof(vouched), "%s", out->reason);
		return ei_plan_set_start(out, EI_ACT_BOOTSTRAP, ei_cluster_new_initial(cfg),
					 "no WAL, ordinal %u is below the initial cluster size %u, no cluster answered and every other member of the set said it has no WAL and the same size and token (%s): bootstrapping a new cluster",
					 cfg->id.ordinal, cfg->initial_cluster_size, vouched);
	}
	ei_plan_view_of(e, ids[0], &v);
	b = ei_plan_bootstrap_list(cfg, v.list, why, sizeof(why));
	if (b < 0 && ei_member_list_find_peer_url(v.list, self_url)) {
		ei_plan_set_action(out, EI_ACT_REFUSE, "not bootstrapping: a peer bootstraps this set's members, but %s; etcd would make two clusters of it. Give every pod the same --initial-cluster-size and --token",
				   why);
		return 0;
	}
	if (b > 0 && cfg->id.ordinal < cfg->initial_cluster_size) {
		/* The peers are bootstrapping this very cluster: start as they did, once every
		 * other peer vouches (an etcd bootstrapping it, or an etcd-init without a WAL). */
		if (ei_plan_bootstrap_vouched(cfg, e, out) <= 0)
			return 0;
		snprintf(vouched, sizeof(vouched), "%s", out->reason);
		/* An etcd restarting on its WAL serves, while its replay has reached the
		 * members but not their attributes, exactly what a bootstrapping one does
		 * (quorum-lost on etcd 3.5, whose member list is rebuilt from the WAL). Unless
		 * we saw each of them without a WAL just before, the list must hold for a
		 * while: a bootstrap whose members have a quorum elects a leader and publishes
		 * their names within an election or two, after which we start as a listed
		 * member; one that needs us stays as it is. */
		empty = bootstrappers_started_empty(cfg, e);
		out->confirm_ms = empty ? 0 : BOOTSTRAP_JOIN_CONFIRM_MS;
		if ((r = ei_plan_set_self(out, ei_member_list_find_peer_url(v.list, self_url), err)) < 0)
			return r;
		return ei_plan_set_start(out, EI_ACT_BOOTSTRAP, ei_cluster_new_initial(cfg),
					 "no WAL; peers are bootstrapping this very initial cluster (cluster %" PRIx64 ", member IDs from our token; %s%s): joining the bootstrap",
					 v.cluster_id, vouched, empty ? "; each etcd of it had no WAL moments before, as its etcd-init said" : "");
	}
	return decide_in_cluster(cfg, e, &v, out, err);
}
