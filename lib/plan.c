/* plan.c - the start-up decision (see plan.h, PRODUCT.md's decision table and the
 * README's "How etcd-init decides"). Pure: reads the facts, writes the plan. */
#include "plan.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"

/* How long a decision read from the peers' answers must hold before it is acted on
 * (plan.h confirm_ms). */
#define REFUSAL_CONFIRM_MS 1000u
#define BOOTSTRAP_JOIN_CONFIRM_MS 3000u

const char *ei_action_name(enum ei_action a)
{
	switch (a) {
	case EI_ACT_RESTART: return "restart";
	case EI_ACT_REJOIN: return "rejoin";
	case EI_ACT_REFUSE: return "refuse";
	case EI_ACT_START_EXISTING: return "start-existing";
	case EI_ACT_REPLACE: return "replace";
	case EI_ACT_JOIN: return "join";
	case EI_ACT_BOOTSTRAP: return "bootstrap";
	case EI_ACT_WAIT: return "wait";
	default: return "unknown";
	}
}

void ei_plan_free(struct ei_plan *plan)
{
	free(plan->initial_cluster);
	plan->initial_cluster = NULL;
	if (plan->self_listed)
		ei_member_free(&plan->self);
	plan->self_listed = false;
}

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

/* A member that has run: it published its client URLs (an initial member has its
 * name from --initial-cluster before it ever ran, etcd-facts §3). */
static bool has_run(const struct ei_member *m)
{
	return m->n_client_urls > 0;
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

/* Whether member m's peer URL is the peer p that was asked: the same URL, or a URL
 * whose host resolves (as etcd resolves it) to one of p's addresses, on the same port. */
static bool member_is_peer(const struct ei_facts *f, const struct ei_member *m,
			   const struct ei_peer *p)
{
	char scheme[8], host[EI_DNS_NAME_MAX], pscheme[8], phost[EI_DNS_NAME_MAX];
	unsigned port, pport;

	for (size_t u = 0; u < m->n_peer_urls; u++) {
		const struct ei_host *h;

		if (strcmp(m->peer_urls[u], p->peer_url) == 0)
			return true;
		if (!ei_url_parts(m->peer_urls[u], scheme, sizeof(scheme), host, sizeof(host), &port) ||
		    !ei_url_parts(p->peer_url, pscheme, sizeof(pscheme), phost, sizeof(phost), &pport) ||
		    port != pport || !(h = ei_facts_host(f, host)))
			continue;
		for (size_t a = 0; a < h->n_addrs; a++)
			for (size_t b = 0; b < p->n_addrs; b++)
				if (strcmp(h->addrs[a], p->addrs[b]) == 0)
					return true;
	}
	return false;
}

bool ei_plan_member_is_here(const struct ei_facts *f, const struct ei_member *m)
{
	for (size_t u = 0; u < m->n_peer_urls; u++) {
		char host[EI_DNS_NAME_MAX];
		const struct ei_host *h;

		if (!ei_url_host(m->peer_urls[u], host, sizeof(host)) ||
		    !(h = ei_facts_host(f, host)))
			continue;
		for (size_t a = 0; a < h->n_addrs; a++)
			if (ei_facts_is_own_addr(f, h->addrs[a]))
				return true;
	}
	return false;
}

/* ---------------------------------------------------------------- one peer */

enum peer_kind { PEER_UNKNOWN, PEER_ETCD, PEER_INIT, PEER_FOREIGN };

struct judged {
	enum peer_kind kind;
	bool gw_valid, pl_valid;
	const struct ei_member_list *list; /* the gateway list if valid, else the peer API's */
	char why[1024];                    /* UNKNOWN, FOREIGN: what was wrong */
};

bool ei_plan_gateway_valid(const struct ei_facts *f, const struct ei_peer *p, char *why,
			   size_t len)
{
	const struct ei_member_list *l = &p->members;
	const struct ei_member *r;

	if (p->list.outcome != EI_OUTCOME_VALID)
		return false;
	if (!l->cluster_id)
		snprintf(why, len, "member list without a cluster ID");
	else if (!l->n_members)
		snprintf(why, len, "member list without members");
	else if (!l->responder_id || !(r = ei_member_list_find_id(l, l->responder_id)))
		snprintf(why, len, "member list served by member %" PRIx64 ", which is not in it",
			 l->responder_id);
	/* The member that served it must be the one asked: another etcd answering at this
	 * address (a stale record, a reused pod IP) is not this peer. */
	else if (!member_is_peer(f, r, p))
		snprintf(why, len,
			 "member list served by member %" PRIx64 " (%s), whose peer URL %s is not the peer asked (%s)",
			 r->id, r->name ? r->name : "unstarted", r->n_peer_urls ? r->peer_urls[0] : "-", p->peer_url);
	else
		return true;
	return false;
}

/* Whether a member list has a member of this set: a peer URL whose host is a name of
 * this set (identity.h). A cluster with none is foreign: never joined, never added to. */
static bool list_of_set(const struct ei_config *cfg, const struct ei_member_list *l)
{
	for (size_t i = 0; i < l->n_members; i++) {
		for (size_t u = 0; u < l->members[i].n_peer_urls; u++) {
			char host[EI_DNS_NAME_MAX];
			unsigned ordinal;

			if (ei_url_host(l->members[i].peer_urls[u], host, sizeof(host)) &&
			    ei_identity_set_host(&cfg->id, host, &ordinal))
				return true;
		}
	}
	return false;
}

/* "foreign-0 (http://10.0.0.5:2380), ..." for messages. */
static void list_names(const struct ei_member_list *l, char *buf, size_t len)
{
	buf[0] = '\0';
	for (size_t i = 0; i < l->n_members; i++)
		ei_msg_add(buf, len, ", ", "%s (%s)", l->members[i].name ? l->members[i].name : "unstarted",
			   l->members[i].n_peer_urls ? l->members[i].peer_urls[0] : "-");
}

static bool peer_api_valid(const struct ei_facts *f, const struct ei_peer *p, char *why,
			   size_t len)
{
	const struct ei_member_list *l = &p->peer_members;

	if (p->peer_list.outcome != EI_OUTCOME_VALID)
		return false;
	if (!l->cluster_id)
		snprintf(why, len, "peer member list without X-Etcd-Cluster-ID");
	else if (!l->n_members)
		snprintf(why, len, "peer member list without members");
	else {
		for (size_t i = 0; i < l->n_members; i++)
			if (member_is_peer(f, &l->members[i], p))
				return true;
		snprintf(why, len, "peer member list that does not list %s, which served it",
			 p->peer_url);
	}
	return false;
}

/* How long a peer's name has not resolved, as said in a wait reason (largest first). */
static const struct {
	unsigned s;
	const char *text;
} unresolved_marks[] = {
	{ 3600, "1h" }, { 1800, "30m" }, { 600, "10m" }, { 300, "5m" },
	{ 120, "2m" },  { 60, "1m" },    { 30, "30s" },  { 10, "10s" },
};

static void judge(const struct ei_config *cfg, const struct ei_facts *f, const struct ei_peer *p,
		  struct judged *j)
{
	char bad[900] = "", a[300];
	bool st_valid;

	memset(j, 0, sizeof(*j));
	if (p->dns != EI_DNS_FOUND) {
		snprintf(j->why, sizeof(j->why), "does not resolve (%s%s%s)",
			 ei_dns_status_name(p->dns), p->dns_error[0] ? ": " : "", p->dns_error);
		/* After a delete-and-recreate the StatefulSet controller may take minutes to
		 * create a pod (its old PVC still "being deleted"); say how long, in steps:
		 * the reason is logged again, and the backoff restarts, whenever it changes. */
		for (size_t i = 0; i < sizeof(unresolved_marks) / sizeof(unresolved_marks[0]); i++)
			if (p->unresolved_s >= unresolved_marks[i].s) {
				ei_msg_add(j->why, sizeof(j->why), " ",
					   "for over %s: its pod may not exist yet (kubectl get pod)",
					   unresolved_marks[i].text);
				break;
			}
		return;
	}
	if (p->not_peer[0]) {
		snprintf(j->why, sizeof(j->why), "resolves to %s: %s, not asked", p->addrs[0],
			 p->not_peer);
		return;
	}
	{
		char bad_gw[400] = "", bad_pl[400] = "";

		j->gw_valid = ei_plan_gateway_valid(f, p, bad_gw, sizeof(bad_gw));
		j->pl_valid = peer_api_valid(f, p, bad_pl, sizeof(bad_pl));
		if (bad_gw[0])
			ei_msg_add(bad, sizeof(bad), "; ", "%s", bad_gw);
		if (bad_pl[0])
			ei_msg_add(bad, sizeof(bad), "; ", "%s", bad_pl);
	}
	/* The status must be of the peer asked: a name pointing at another pod is not it. */
	st_valid = p->status.outcome == EI_OUTCOME_VALID && strcmp(p->init.peer_url, p->peer_url) == 0;
	if (p->status.outcome == EI_OUTCOME_VALID && !st_valid)
		ei_msg_add(bad, sizeof(bad), "; ", "etcd-init status of %s (%s) answered at %s",
			   p->init.name, p->init.peer_url, p->peer_url);
	if ((j->gw_valid || j->pl_valid) && st_valid) {
		snprintf(j->why, sizeof(j->why), "answers both as etcd and as a waiting etcd-init");
		return;
	}
	if (j->gw_valid || j->pl_valid) {
		j->kind = PEER_ETCD;
		j->list = j->gw_valid ? &p->members : &p->peer_members;
		if (!list_of_set(cfg, j->list)) {
			char names[300];

			list_names(j->list, names, sizeof(names));
			j->kind = PEER_FOREIGN;
			snprintf(j->why, sizeof(j->why),
				 "a foreign etcd answers at %s (%s): cluster %" PRIx64 " has no member of this set (%s)",
				 p->host, p->addrs[0], j->list->cluster_id, names);
		}
		return;
	}
	if (st_valid) {
		j->kind = PEER_INIT;
		return;
	}
	if (bad[0])
		snprintf(j->why, sizeof(j->why), "%s", bad);
	ei_answer_describe(&p->status, a, sizeof(a));
	ei_msg_add(j->why, sizeof(j->why), "; ", "status %s", a);
	ei_answer_describe(&p->list, a, sizeof(a));
	ei_msg_add(j->why, sizeof(j->why), "; ", "member list %s", a);
	ei_answer_describe(&p->peer_list, a, sizeof(a));
	ei_msg_add(j->why, sizeof(j->why), "; ", "peer API %s", a);
}

void ei_plan_describe_peer(const struct ei_config *cfg, const struct ei_facts *f,
			   const struct ei_peer *p, char *buf, size_t len)
{
	struct judged j;

	judge(cfg, f, p, &j);
	switch (j.kind) {
	case PEER_FOREIGN:
		snprintf(buf, len, "foreign: %s", j.why);
		break;
	case PEER_ETCD:
		snprintf(buf, len, "etcd of cluster %" PRIx64 " (%zu members, from its %s)",
			 j.list->cluster_id, j.list->n_members,
			 j.gw_valid ? "gateway" : "peer API");
		break;
	case PEER_INIT:
		if (p->init.has_ids)
			snprintf(buf, len,
				 "waiting etcd-init with a WAL (member %" PRIx64
				 " of cluster %" PRIx64 "), size %u, token %s",
				 p->init.member_id, p->init.cluster_id,
				 p->init.initial_cluster_size, p->init.token);
		else
			snprintf(buf, len, "waiting etcd-init %s a WAL, size %u, token %s",
				 p->init.has_wal ? "with" : "without", p->init.initial_cluster_size,
				 p->init.token);
		break;
	case PEER_UNKNOWN:
	default:
		snprintf(buf, len, "unknown: %s", j.why);
		break;
	}
}

/* The facts, and what plan.c made of each peer: judged once per decision. */
struct evidence {
	const struct ei_facts *f;
	struct judged peer[EI_MAX_PEERS]; /* peer[i] is f->peers[i] */
};

/* ---------------------------------------------------------------- the cluster view */

/* What the valid member lists of one cluster say, and whether it can be trusted. */
struct view {
	uint64_t cluster_id;
	const struct ei_member_list *list; /* the candidate list */
	bool trusted;
	char trust[256];                   /* why it is, or is not, trusted */
	const struct ei_peer *via;         /* a started voter that answered the gateway with it */
};

/* The distinct cluster IDs of every valid list; returns how many (at most max). */
static size_t cluster_ids(const struct evidence *e, uint64_t *ids, size_t max)
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
	/* A linearizable answer from etcd >= 3.5 went through raft: current (3.4 ignores
	 * the field and answers locally, etcd-facts §1.3). */
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

static void view_of(const struct evidence *e, uint64_t cluster_id, struct view *v)
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
			snprintf(
			    v->trust, sizeof(v->trust),
			    "only %s's local member list (its gateway does not answer: no quorum, "
			    "or not serving clients yet)",
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
				if (!r || r->is_learner || !has_run(r))
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

/* Whether member id answered this round as itself (its gateway's header names it). */
static const struct ei_peer *alive_as(const struct evidence *e, uint64_t id)
{
	for (size_t i = 0; i < e->f->n_peers; i++)
		if (e->peer[i].gw_valid && e->f->peers[i].members.responder_id == id)
			return &e->f->peers[i];
	return NULL;
}

/* ---------------------------------------------------------------- bootstrap evidence */

/* 1: l is this set's initial cluster being bootstrapped with our size and token (every
 * initial member at its canonical URL with the ID a bootstrap with our token computes,
 * none has run); 0: not a bootstrap of this set; -1: a bootstrap of this set's members
 * with another size or token (why says which). */
static int bootstrap_list(const struct ei_config *cfg, const struct ei_member_list *l,
			  char *why, size_t len)
{
	uint64_t ids[100];
	unsigned ordinal;

	for (size_t i = 0; i < l->n_members; i++) {
		const struct ei_member *m = &l->members[i];
		char scheme[8], host[EI_DNS_NAME_MAX];
		unsigned port;

		if (has_run(m) || m->is_learner || m->n_peer_urls != 1 ||
		    !ei_url_parts(m->peer_urls[0], scheme, sizeof(scheme), host, sizeof(host), &port) ||
		    port != cfg->id.peer_port || !ei_identity_ordinal_of_host(&cfg->id, host, &ordinal))
			return 0;
	}
	/* A bootstrapping etcd's cluster ID derives from its members' IDs. A list whose ID
	 * does not is not a bootstrap: an etcd replaying its WAL after a restart serves the
	 * members its replay has reached so far, unstarted, under the cluster's real ID. */
	for (size_t i = 0; i < l->n_members && i < 100; i++)
		ids[i] = l->members[i].id;
	if (l->n_members > 100 || l->cluster_id != ei_cluster_id(ids, l->n_members))
		return 0;
	if (l->n_members != cfg->initial_cluster_size) {
		snprintf(why, len,
			 "it bootstraps %zu members (initial cluster size %zu) where we were "
			 "started with --initial-cluster-size=%u",
			 l->n_members, l->n_members, cfg->initial_cluster_size);
		return -1;
	}
	ei_cluster_initial_ids(cfg, ids);
	for (size_t i = 0; i < l->n_members; i++) {
		char host[EI_DNS_NAME_MAX];

		ei_url_host(l->members[i].peer_urls[0], host, sizeof(host));
		ei_identity_ordinal_of_host(&cfg->id, host, &ordinal);
		if (ordinal >= cfg->initial_cluster_size || ids[ordinal] != l->members[i].id) {
			snprintf(why, len,
				 "its member IDs do not derive from our token %s: it was started "
				 "with another --token (ETCD_INITIAL_CLUSTER_TOKEN) or size",
				 cfg->token);
			return -1;
		}
	}
	if (l->cluster_id != ei_cluster_id(ids, cfg->initial_cluster_size)) {
		snprintf(why, len,
			 "its cluster ID %" PRIx64 " is not the one our initial cluster has",
			 l->cluster_id);
		return -1;
	}
	return 1;
}

/* The set's extent: how many members it may have, so how many must vouch for a
 * bootstrap. Never fewer than the initial size, the desired replica count (--replicas
 * or the StatefulSet's spec.replicas), or the highest ordinal that an SRV answer or a
 * member list shows; how says where the figure came from. */
static unsigned set_extent(const struct ei_config *cfg, const struct evidence *e, char *how,
			   size_t len)
{
	const struct ei_facts *f = e->f;
	unsigned extent = cfg->initial_cluster_size, ordinal;

	snprintf(how, len, "the initial cluster size %u", extent);
	if ((f->replicas_source == EI_REPLICAS_FLAG || f->replicas_source == EI_REPLICAS_API) &&
	    f->replicas > 0 && (unsigned long)f->replicas > extent) {
		extent = (unsigned)f->replicas;
		snprintf(how, len, "%s %u", f->replicas_source == EI_REPLICAS_FLAG ? "--replicas" : "the StatefulSet's spec.replicas", extent);
	}
	if (cfg->id.ordinal + 1 > extent) {
		extent = cfg->id.ordinal + 1;
		snprintf(how, len, "this pod's ordinal %u", cfg->id.ordinal);
	}
	for (size_t i = 0; i < f->n_peers; i++) {
		const struct ei_peer *p = &f->peers[i];
		/* Every list that came back, evidence or not: a member it names may hold data,
		 * and counting one too many only makes us wait (never act). */
		const struct ei_member_list *lists[2] = { &p->members, &p->peer_members };

		if (p->ordinal >= 0 && p->in_srv && (unsigned)p->ordinal + 1 > extent) {
			extent = (unsigned)p->ordinal + 1;
			snprintf(how, len, "%s in the SRV answer", p->host);
		}
		for (size_t k = 0; k < 2; k++) {
			for (size_t m = 0; m < lists[k]->n_members; m++) {
				const struct ei_member *mem = &lists[k]->members[m];
				char host[EI_DNS_NAME_MAX];

				for (size_t u = 0; u < mem->n_peer_urls; u++)
					if (ei_url_host(mem->peer_urls[u], host, sizeof(host)) &&
					    ei_identity_set_host(&cfg->id, host, &ordinal) &&
					    ordinal + 1 > extent && ordinal < EI_MAX_PEERS) {
						extent = ordinal + 1;
						snprintf(how, len, "%s in %s's member list", host, p->host);
					}
			}
		}
	}
	return extent;
}

/* The peer asked as ordinal i (its canonical name first), or NULL. */
static const struct ei_peer *peer_of(const struct evidence *e, unsigned i, size_t *index)
{
	const struct ei_peer *found = NULL;

	for (size_t k = 0; k < e->f->n_peers; k++) {
		const struct ei_peer *p = &e->f->peers[k];

		if (p->ordinal >= 0 && (unsigned)p->ordinal == i && (!found || found->from_list)) {
			found = p;
			*index = k;
		}
	}
	return found;
}

/* What the evidence cannot cover, for the warn-level notice (plan.h). */
static void set_notice(const struct ei_config *cfg, const struct evidence *e, struct ei_plan *out)
{
	const struct ei_facts *f = e->f;

	/* The set's size matters to a pod that may bootstrap (no WAL). */
	if (!f->datadir.has_wal &&
	    (f->replicas_source == EI_REPLICAS_NONE || f->replicas_source == EI_REPLICAS_API_DENIED))
		ei_msg_add(out->notice, sizeof(out->notice), "; ",
			   "the set's size is known only from --initial-cluster-size=%u (%s): if members at ordinal %u and above hold data, they are waited for only while DNS or a member list shows them. Tell etcd-init the size: let its service account get this StatefulSet (the manifests' Role) or pass --replicas N (REPLICAS)",
			   cfg->initial_cluster_size,
			   f->replicas_source == EI_REPLICAS_NONE ? (cfg->id.peer_host[0] ? "no --replicas; --peer-host mode has no Kubernetes API" : "no --replicas and no KUBERNETES_SERVICE_HOST") : f->replicas_error,
			   cfg->initial_cluster_size);
	if (f->n_srv_strangers)
		ei_msg_add(out->notice, sizeof(out->notice), "; ",
			   "SRV targets that are not names of this set are ignored, never asked: %s",
			   f->srv_strangers);
}

/* Every other member of the set, to its extent (set_extent), must vouch for a
 * bootstrap, and the SRV answer and the replica count must be known. Returns 1 when
 * all do; 0 with a WAIT, -1 with a REFUSE written into out. */
static int bootstrap_vouched(const struct ei_config *cfg, const struct evidence *e,
			     struct ei_plan *out)
{
	const struct ei_facts *f = e->f;
	char waits[1500] = "", refuse[600] = "", how[300];
	unsigned extent = set_extent(cfg, e, how, sizeof(how));
	size_t asked = 0;

	/* A failed or empty SRV answer is no evidence that the set has no other member. */
	if (!cfg->id.peer_host[0] && f->srv_status != EI_DNS_FOUND) {
		ei_msg_add(waits, sizeof(waits), "; ", "the SRV lookup of %s %s: the set's members are unknown", f->srv_names,
			   f->srv_status == EI_DNS_NOTFOUND ? "found no records" : "failed (SERVFAIL, refused or timed out on one of them)");
	}
	if (f->replicas_source == EI_REPLICAS_API_FAILED)
		ei_msg_add(waits, sizeof(waits), "; ", "the Kubernetes API did not tell the set's size: %s", f->replicas_error);
	for (unsigned i = 0; i < extent; i++) {
		const struct ei_peer *p;
		const struct judged *j;
		char why[300] = "", host[EI_DNS_NAME_MAX];
		size_t k = 0;
		int b;

		if (i == cfg->id.ordinal)
			continue;
		asked++;
		if (!(p = peer_of(e, i, &k))) {
			ei_identity_fqdn(&cfg->id, i, host, sizeof(host));
			ei_msg_add(waits, sizeof(waits), "; ", "%s (ordinal %u, below the set's extent %u from %s) was not asked", host, i, extent, how);
			continue;
		}
		j = &e->peer[k];
		switch (j->kind) {
		case PEER_INIT:
			if (p->init.has_wal)
				ei_msg_add(waits, sizeof(waits), "; ", "%s has a WAL%s: a cluster exists, waiting for its etcd", p->host, p->init.has_ids ? "" : " (unreadable metadata)");
			else if (p->init.initial_cluster_size != cfg->initial_cluster_size)
				ei_msg_add(refuse, sizeof(refuse), "; ", "%s was started with --initial-cluster-size=%u, this pod with %u", p->host, p->init.initial_cluster_size, cfg->initial_cluster_size);
			else if (strcmp(p->init.token, cfg->token) != 0)
				ei_msg_add(refuse, sizeof(refuse), "; ", "%s was started with the cluster token %s, this pod with %s", p->host, p->init.token, cfg->token);
			break;
		case PEER_ETCD:
			b = bootstrap_list(cfg, j->list, why, sizeof(why));
			if (b < 0)
				ei_msg_add(refuse, sizeof(refuse), "; ", "etcd at %s: %s", p->host, why);
			else if (b == 0)
				ei_msg_add(waits, sizeof(waits), "; ", "%s runs etcd of an existing cluster %" PRIx64, p->host, j->list->cluster_id);
			break;
		case PEER_FOREIGN:
		case PEER_UNKNOWN:
		default:
			ei_msg_add(waits, sizeof(waits), "; ", "%s: %s", p->host, j->why);
			break;
		}
	}
	if (refuse[0]) {
		out->action = EI_ACT_REFUSE;
		out->refuse_code = EI_E_REFUSE;
		snprintf(out->reason, sizeof(out->reason), "not bootstrapping: the peers disagree on the initial cluster, which etcd would turn into two clusters: %s. Give every pod the same --initial-cluster-size and --token", refuse);
		return -1;
	}
	if (waits[0]) {
		out->action = EI_ACT_WAIT;
		snprintf(out->reason, sizeof(out->reason), "no WAL and no cluster answered; a bootstrap needs every other member of the set (%u, from %s) to say it has no WAL, and %s", extent, how, waits);
		return 0;
	}
	snprintf(out->reason, sizeof(out->reason), "%zu other member%s of the set (%u, from %s) vouched", asked, asked == 1 ? "" : "s", extent, how);
	return 1;
}

/* ---------------------------------------------------------------- quorum lost */

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

			if (kind == PEER_ETCD && member_is_peer(f, m, p))
				state = 1;
			else if (kind == PEER_INIT && member_is_peer(f, m, p))
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
	out->action = EI_ACT_WAIT;
	if (quorum_lost(cfg, e, v, out->alert, sizeof(out->alert))) {
		snprintf(out->reason, sizeof(out->reason), "%s", out->alert);
		return 0;
	}
	snprintf(out->reason, sizeof(out->reason),
		 "%s needs a current member list of cluster %" PRIx64 ", and there is %s: waiting",
		 step, v->cluster_id, v->trust);
	return 0;
}

/* A change that needs a started voter to send it to (one that answered its gateway with
 * the trusted list) and has none: wait (run.c sends changes only through plan.via_url). */
static bool wait_for_via(const struct view *v, const char *step, struct ei_plan *out)
{
	if (v->via)
		return false;
	out->action = EI_ACT_WAIT;
	snprintf(out->reason, sizeof(out->reason), "%s: the member list of cluster %" PRIx64 " is current (%s), but no started voter answered its gateway with it to send the change to: waiting",
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
		out->action = EI_ACT_WAIT;
		out->add_as_learner = false;
		out->wait_is_short = true;
		snprintf(out->reason, sizeof(out->reason),
			 "adding ourselves: member %" PRIx64 " (%s) is a learner of cluster %" PRIx64 " and etcd takes one learner at a time: waiting for its promotion",
			 m->id, m->name ? m->name : m->n_peer_urls ? m->peer_urls[0] : "?", v->cluster_id);
		return 1;
	}
	return 0;
}

/* ---------------------------------------------------------------- the decision */

static int set_self(struct ei_plan *out, const struct ei_member *m, struct ei_err *err)
{
	if (ei_member_copy(&out->self, m, err) < 0)
		return EI_E_NOMEM;
	out->self_listed = true;
	out->promote_after_start = m->is_learner;
	return 0;
}

/* A starting action with its --initial-cluster ("new" for a bootstrap, "existing"
 * otherwise). initial_cluster is NULL only when it could not be allocated. */
static int set_start(struct ei_plan *out, enum ei_action action, char *initial_cluster)
{
	out->action = action;
	out->initial_cluster_state = action == EI_ACT_BOOTSTRAP ? "new" : "existing";
	out->initial_cluster = initial_cluster;
	return initial_cluster ? 0 : EI_E_NOMEM;
}

static void set_via(struct ei_plan *out, const struct view *v)
{
	if (v->via) {
		snprintf(out->via_url, sizeof(out->via_url), "%s", v->via->client_url);
		snprintf(out->via_pin, sizeof(out->via_pin), "%s", v->via->client_pin);
		out->via_id = v->via->members.responder_id;
	}
}

bool ei_plan_refuse_datadir(const struct ei_config *cfg, const struct ei_datadir_facts *d,
			    struct ei_plan *out)
{
	out->action = EI_ACT_REFUSE;
	out->refuse_code = EI_E_REFUSE;
	if (d->has_wal && d->not_a_wal) {
		snprintf(
		    out->reason, sizeof(out->reason),
		    "%s is not a WAL (%s): etcd would count the member as started and then fail "
		    "on it. Nothing was changed. Check the volume; if that file is garbage, move "
		    "it "
		    "out of %s by hand and start again (etcd-init never deletes data)",
		    d->first_wal, d->metadata_error, d->wal_dir);
		return true;
	}
	if (!d->has_wal && d->wal_elsewhere[0]) {
		snprintf(
		    out->reason, sizeof(out->reason),
		    "there is no WAL in %s, but there are WAL files in %s: this volume has data "
		    "written with another WAL dir. Nothing was changed. Pass --wal-dir=%s (or "
		    "ETCD_WAL_DIR) to use it",
		    d->wal_dir, d->wal_elsewhere, d->wal_elsewhere);
		return true;
	}
	if (!d->has_wal && d->has_snap_db && !d->first_start_marker) {
		snprintf(
		    out->reason, sizeof(out->reason),
		    "%s/member/snap/db exists but there is no WAL in %s: the volume has data whose "
		    "WAL is elsewhere (pass --wal-dir) or was lost. Nothing was changed. If the "
		    "data "
		    "is not needed, move %s/member away by hand and start again",
		    cfg->data_dir, d->wal_dir, cfg->data_dir);
		return true;
	}
	out->action = EI_ACT_WAIT;
	out->refuse_code = 0;
	return false;
}

/* Whether the cluster that answers can be the one that removed us: its raft log must
 * reach at least as far as our WAL's (a term as high as our last entry's, a commit index
 * as high as ours), since every entry we committed is in that cluster's log. A cluster
 * behind our WAL is a look-alike: a new cluster with the same IDs (they derive from the
 * token and the peer URLs), bootstrapped by a member that lost its data. Returns 1 when
 * it cannot be ours (alert and reason written), 0 when it can, -1 when its position or
 * ours is unknown (reason written). */
static int younger_than_wal(const struct evidence *e, const struct view *v, struct ei_plan *out)
{
	const struct ei_facts *f = e->f;
	const struct ei_datadir_facts *d = &f->datadir;
	uint64_t term = 0, index = 0;
	const char *at = NULL;

	if (!d->has_position) {
		snprintf(out->reason, sizeof(out->reason), "member %" PRIx64 " (our WAL) is not in the member list of cluster %" PRIx64 ", but how far our WAL reaches is unknown (%s): not moving data aside without comparing it with the cluster's raft log. Move %s aside by hand if it is stale",
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
		snprintf(out->reason, sizeof(out->reason), "member %" PRIx64 " (our WAL, term %" PRIu64 ", commit index %" PRIu64 ") is not in the member list of cluster %" PRIx64 ", but no member of that cluster told its raft index (maintenance status): not moving data aside before comparing",
			 d->member_id, d->position.term, d->position.commit, v->cluster_id);
		return -1;
	}
	if ((term && term < d->position.term) || index < d->position.commit) {
		snprintf(out->alert, sizeof(out->alert), "cluster %" PRIx64 " is younger than this member's data: its raft log reaches term %" PRIu64 ", index %" PRIu64 " (highest from %s), our WAL (member %" PRIx64 ") term %" PRIu64 ", commit index %" PRIu64 ". It cannot be the cluster that removed us: it is a look-alike (same IDs), bootstrapped anew by a member that lost its data. Our data is NOT moved aside. Restore from the member with the newest data (this pod's, or another member's WAL): stop the look-alike, and run etcd-init force-new-cluster in the pod with the newest data",
			 v->cluster_id, term, index, at ? at : "-", d->member_id, d->position.term, d->position.commit);
		snprintf(out->reason, sizeof(out->reason), "%s", out->alert);
		return 1;
	}
	return 0;
}

static int decide_with_wal(const struct evidence *e, struct ei_plan *out, struct ei_err *err)
{
	const struct ei_facts *f = e->f;
	const struct ei_datadir_facts *d = &f->datadir;
	uint64_t ids[EI_MAX_PEERS];
	size_t n_ids = cluster_ids(e, ids, EI_MAX_PEERS);
	const struct ei_member *ours_m;
	struct view v;
	bool ours = false;

	if (d->force_request && n_ids <= 1 && d->has_metadata &&
	    (n_ids == 0 || ids[0] == d->cluster_id)) {
		if (n_ids == 1)
			view_of(e, ids[0], &v);
		if (n_ids == 0 || !v.trusted) {
			out->action = EI_ACT_RESTART;
			out->force_new_cluster = true;
			snprintf(out->reason, sizeof(out->reason), "the data dir has a WAL of member %" PRIx64 " and the one-shot request of etcd-init force-new-cluster, and %s: starting etcd with --force-new-cluster, a one-member cluster with this data (the request is consumed now); the other members then join it",
				 d->member_id, n_ids == 0 ? "no member answered" : v.trust);
			return 0;
		}
		snprintf(out->notice, sizeof(out->notice), "the force-new-cluster request on this volume is not taken: cluster %" PRIx64 " has a current member list (%s), its quorum is alive. The request is dropped when etcd starts",
			 v.cluster_id, v.trust);
	}
	if (n_ids == 0) {
		out->action = EI_ACT_RESTART;
		snprintf(
		    out->reason, sizeof(out->reason),
		    "the data dir has a WAL and no member answered: it is our data, etcd finds its "
		    "peers itself");
		return 0;
	}
	if (!d->has_metadata) {
		out->action = EI_ACT_RESTART;
		snprintf(
		    out->reason, sizeof(out->reason),
		    "the data dir has a WAL whose member ID could not be read (%s): not guessing, "
		    "etcd checks its membership itself",
		    d->metadata_error[0] ? d->metadata_error : "unknown");
		return 0;
	}
	for (size_t i = 0; i < n_ids; i++)
		ours |= ids[i] == d->cluster_id;
	if (!ours) {
		out->action = EI_ACT_REFUSE;
		out->refuse_code = EI_E_REFUSE;
		snprintf(
		    out->reason, sizeof(out->reason),
		    "the WAL in %s belongs to cluster %" PRIx64 " (member %" PRIx64 ") but the "
		    "cluster that answered is %" PRIx64 ": this volume belongs to another cluster; "
		    "nothing was changed. Move the data dir away by hand if it is stale",
		    d->wal_dir, d->cluster_id, d->member_id, ids[0]);
		return 0;
	}
	/* A trusted list decides. Without one, a restart (which changes nothing: etcd
	 * checks its membership itself) needs every list to name us, and lists that
	 * disagree (a removal not applied everywhere yet) mean: wait a round. */
	view_of(e, d->cluster_id, &v);
	if (!v.trusted) {
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
			out->action = EI_ACT_RESTART;
			snprintf(out->reason, sizeof(out->reason),
				 "the data dir has a WAL of member %" PRIx64
				 ", which every member list names%s",
				 d->member_id,
				 self->is_learner ? " as a learner: promote it once caught up"
						  : "");
			return set_self(out, self, err);
		}
		out->action = EI_ACT_WAIT;
		snprintf(
		    out->reason, sizeof(out->reason),
		    "member %" PRIx64 " (our WAL) is %s the member lists of cluster %" PRIx64
		    ", and there is %s: neither restarting nor moving data aside on that; waiting "
		    "for a current list",
		    d->member_id, with ? "in some and not in others of" : "not in", d->cluster_id,
		    v.trust);
		return 0;
	}
	if ((ours_m = ei_member_list_find_id(v.list, d->member_id))) {
		out->action = EI_ACT_RESTART;
		snprintf(out->reason, sizeof(out->reason),
			 "the data dir has a WAL of member %" PRIx64
			 ", which is in the member list (%s)%s",
			 d->member_id, v.trust,
			 ours_m->is_learner ? "; a learner: promote it once caught up" : "");
		return set_self(out, ours_m, err);
	}
	if (younger_than_wal(e, &v, out) != 0) {
		out->action = EI_ACT_WAIT;
		return 0;
	}
	out->action = EI_ACT_REJOIN;
	snprintf(out->reason, sizeof(out->reason),
		 "the WAL is of member %" PRIx64 " of this cluster (%" PRIx64
		 "), which is not in %s: "
		 "it was removed. Moving the old data aside (never deleting it) and joining again",
		 d->member_id, d->cluster_id, v.trust);
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
	if ((alive = alive_as(e, m->id))) {
		out->action = EI_ACT_REFUSE;
		out->refuse_code = EI_E_REFUSE;
		snprintf(
		    out->reason, sizeof(out->reason),
		    "member %" PRIx64
		    " is named %s like this pod, but its peer URL is %s and it is "
		    "alive (it answered at %s): another member uses this pod's name. Nothing was "
		    "changed; rename one of them",
		    m->id, cfg->name, m->n_peer_urls ? m->peer_urls[0] : "-", alive->client_url);
		return 1;
	}
	if (!ei_plan_member_is_here(e->f, m)) {
		out->action = EI_ACT_WAIT;
		snprintf(out->reason, sizeof(out->reason),
			 "member %" PRIx64
			 " is named %s like this pod, but its peer URL %s does not point "
			 "at this pod and it does not answer: not removing it (remove it by hand "
			 "if it is "
			 "stale)",
			 m->id, cfg->name, m->n_peer_urls ? m->peer_urls[0] : "-");
		return 1;
	}
	if (!v->trusted)
		return wait_for_trust(cfg, e, v, "replacing our old member", out), 1;
	if (wait_for_via(v, "replacing our old member", out))
		return 1;
	out->action = EI_ACT_REPLACE;
	out->remove_id = m->id;
	set_via(out, v);
	snprintf(
	    out->reason, sizeof(out->reason),
	    "no WAL but member %" PRIx64
	    " is ours (same name, its peer URL %s points at this pod)%s: "
	    "removing it, then adding ourselves again with the canonical peer URL (trusted: %s)",
	    m->id, m->n_peer_urls ? m->peer_urls[0] : "-", has_run(m) ? " and has run" : "",
	    v->trust);
	return set_self(out, m, err) < 0 ? EI_E_NOMEM : 1;
}

/* Every host of the members' peer URLs must resolve before a join: etcd gives up
 * after 30 s on one that does not (etcd-facts §2.4), with our member already added. */
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
	char self_url[EI_URL_MAX], why[400] = "", missing[EI_DNS_NAME_MAX];
	const struct ei_member *by_url;
	const struct ei_peer *alive;
	int r;

	ei_identity_peer_url(&cfg->id, cfg->id.ordinal, self_url, sizeof(self_url));
	by_url = ei_member_list_find_peer_url(v->list, self_url);
	if (by_url && (alive = alive_as(e, by_url->id))) {
		out->action = EI_ACT_REFUSE;
		out->refuse_code = EI_E_REFUSE;
		snprintf(out->reason, sizeof(out->reason),
			 "member %" PRIx64
			 " has this pod's peer URL %s but answers at %s: another pod "
			 "serves our name. Nothing was changed",
			 by_url->id, self_url, alive->client_url);
		return 0;
	}
	if (by_url && !has_run(by_url)) {
		if (!v->trusted)
			return wait_for_trust(cfg, e, v, "starting as our listed member", out);
		if ((r = set_self(out, by_url, err)) < 0)
			return r;
		snprintf(out->reason, sizeof(out->reason),
			 "no WAL and the member list has our peer URL as member %" PRIx64
			 ", which never "
			 "started%s: starting as it, no member add (trusted: %s)",
			 by_url->id,
			 by_url->is_learner ? " (a learner, promoted once caught up)" : "",
			 v->trust);
		return set_start(out, EI_ACT_START_EXISTING, ei_cluster_existing_initial(cfg, v->list));
	}
	if (by_url) {
		if (!v->trusted)
			return wait_for_trust(cfg, e, v, "replacing our old member", out);
		if (wait_for_via(v, "replacing our old member", out))
			return 0;
		out->action = EI_ACT_REPLACE;
		out->remove_id = by_url->id;
		set_via(out, v);
		snprintf(out->reason, sizeof(out->reason),
			 "no WAL but member %" PRIx64
			 " (same peer URL) is ours and has run: our data is "
			 "lost. Removing it, then adding ourselves again (a member may not come "
			 "back with "
			 "an empty log under its old ID; trusted: %s)",
			 by_url->id, v->trust);
		return set_self(out, by_url, err);
	}
	r = decide_by_name(cfg, e, v, out, err);
	if (r != 0)
		return r < 0 ? r : 0;
	if (!v->trusted)
		return wait_for_trust(cfg, e, v, "adding ourselves", out);
	if (wait_for_via(v, "adding ourselves", out))
		return 0;
	if (!peer_hosts_resolve(e->f, v->list, missing, sizeof(missing))) {
		out->action = EI_ACT_WAIT;
		snprintf(
		    out->reason, sizeof(out->reason),
		    "joining needs every member's peer host to resolve (etcd gives up after 30 s), "
		    "and %s does not: waiting before adding ourselves",
		    missing);
		return 0;
	}
	out->add_as_learner = !cfg->no_learner;
	if (out->add_as_learner && (r = waits_for_learner_slot(v, out)) != 0)
		return 0;
	out->promote_after_start = out->add_as_learner;
	set_via(out, v);
	snprintf(why, sizeof(why), "%s", v->trust);
	snprintf(out->reason, sizeof(out->reason),
		 "no WAL and we are not in the member list of cluster %" PRIx64 " (%zu members; "
		 "trusted: %s): adding ourselves as a %s",
		 v->cluster_id, v->list->n_members, why,
		 out->add_as_learner ? "learner, promoted once caught up" : "voter");
	return set_start(out, EI_ACT_JOIN, ei_cluster_existing_initial(cfg, v->list));
}

static int decide_without_wal(const struct ei_config *cfg, const struct evidence *e,
			      struct ei_plan *out, struct ei_err *err)
{
	uint64_t ids[EI_MAX_PEERS];
	size_t n_ids = cluster_ids(e, ids, EI_MAX_PEERS);
	char self_url[EI_URL_MAX], why[400] = "", vouched[600];
	struct view v;
	int b, r;

	ei_identity_peer_url(&cfg->id, cfg->id.ordinal, self_url, sizeof(self_url));
	if (n_ids > 1) {
		out->action = EI_ACT_WAIT;
		snprintf(out->reason, sizeof(out->reason),
			 "no WAL, and peers answer for %zu different clusters (%" PRIx64
			 ", %" PRIx64 "%s): not acting on any of them",
			 n_ids, ids[0], ids[1], n_ids > 2 ? ", ..." : "");
		return 0;
	}
	if (n_ids == 0) {
		if (cfg->id.ordinal >= cfg->initial_cluster_size) {
			out->action = EI_ACT_WAIT;
			snprintf(
			    out->reason, sizeof(out->reason),
			    "no WAL and no cluster answered; ordinal %u is not below the initial "
			    "cluster size %u, so this member never bootstraps: waiting for the "
			    "cluster "
			    "to answer",
			    cfg->id.ordinal, cfg->initial_cluster_size);
			return 0;
		}
		if (bootstrap_vouched(cfg, e, out) <= 0)
			return 0;
		snprintf(vouched, sizeof(vouched), "%s", out->reason);
		snprintf(out->reason, sizeof(out->reason),
			 "no WAL, ordinal %u is below the initial cluster size %u, no cluster "
			 "answered and "
			 "every other member of the set said it has no WAL and the same size and token (%s): "
			 "bootstrapping a new cluster",
			 cfg->id.ordinal, cfg->initial_cluster_size, vouched);
		return set_start(out, EI_ACT_BOOTSTRAP, ei_cluster_new_initial(cfg));
	}
	view_of(e, ids[0], &v);
	b = bootstrap_list(cfg, v.list, why, sizeof(why));
	if (b < 0 && ei_member_list_find_peer_url(v.list, self_url)) {
		out->action = EI_ACT_REFUSE;
		out->refuse_code = EI_E_REFUSE;
		snprintf(out->reason, sizeof(out->reason),
			 "not bootstrapping: a peer bootstraps this set's members, but %s; etcd "
			 "would make "
			 "two clusters of it. Give every pod the same --initial-cluster-size and "
			 "--token",
			 why);
		return 0;
	}
	if (b > 0 && cfg->id.ordinal < cfg->initial_cluster_size) {
		/* The peers are bootstrapping this very cluster: start as they did, once every
		 * other peer vouches (an etcd bootstrapping it, or an etcd-init without a WAL). */
		if (bootstrap_vouched(cfg, e, out) <= 0)
			return 0;
		snprintf(vouched, sizeof(vouched), "%s", out->reason);
		snprintf(
		    out->reason, sizeof(out->reason),
		    "no WAL; peers are bootstrapping this very initial cluster (cluster %" PRIx64
		    ", member IDs from our token; %s): joining the bootstrap",
		    v.cluster_id, vouched);
		/* An etcd restarting on its WAL serves, while its replay has reached the
		 * members but not their attributes, exactly what a bootstrapping one does
		 * (quorum-lost on etcd 3.5, whose member list is rebuilt from the WAL). A
		 * bootstrap whose members have a quorum elects a leader and publishes their
		 * names within an election or two, after which we start as a listed member;
		 * one that needs us stays as it is. */
		out->confirm_ms = BOOTSTRAP_JOIN_CONFIRM_MS;
		if ((r = set_self(out, ei_member_list_find_peer_url(v.list, self_url), err)) < 0)
			return r;
		return set_start(out, EI_ACT_BOOTSTRAP, ei_cluster_new_initial(cfg));
	}
	return decide_in_cluster(cfg, e, &v, out, err);
}

int ei_plan_decide(const struct ei_config *cfg, const struct ei_facts *facts, struct ei_plan *out,
		   struct ei_err *err)
{
	struct evidence *e;
	int r = 0;

	memset(out, 0, sizeof(*out));
	if (ei_plan_refuse_datadir(cfg, &facts->datadir, out))
		return 0;
	if (facts->n_peers > EI_MAX_PEERS)
		return ei_err_set(err, EI_E_SYS, "%zu peers in the facts, at most %d", facts->n_peers,
				  EI_MAX_PEERS);
	e = calloc(1, sizeof(*e));
	if (!e)
		return ei_err_set(err, EI_E_NOMEM, "out of memory");
	e->f = facts;
	for (size_t i = 0; i < facts->n_peers; i++)
		judge(cfg, facts, &facts->peers[i], &e->peer[i]);
	if (facts->datadir.has_wal)
		r = decide_with_wal(e, out, err);
	else
		r = decide_without_wal(cfg, e, out, err);
	/* A refusal read from the peers' answers ends the start: a peer in the middle of a
	 * restart or a --force-new-cluster can answer for a moment what it is not. */
	if (out->action == EI_ACT_REFUSE)
		out->confirm_ms = REFUSAL_CONFIRM_MS;
	set_notice(cfg, e, out);
	for (size_t i = 0; i < facts->n_peers && !out->alert[0]; i++)
		if (e->peer[i].kind == PEER_FOREIGN)
			snprintf(out->alert, sizeof(out->alert), "%s: never joined, never added to. A stale DNS record, a reused pod IP or another project's etcd on this network: check what answers at that address", e->peer[i].why);
	free(e);
	if (r == EI_E_NOMEM)
		return ei_err_set(err, EI_E_NOMEM, "out of memory");
	return r;
}
