/* planpeer.c - what the start-up decision makes of one peer's answers (plan.h): a member
 * list is evidence only when valid and served by the peer asked, an etcd-init status
 * only when it is the very peer's; anything else is unknown, never "no". Pure. */
#include "planeval.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* planeval.h */
bool ei_plan_member_is_peer(const struct ei_facts *f, const struct ei_member *m,
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

/* What both member lists need: an answer, with a cluster ID and a member. When there was
 * an answer without them, why says which is missing (no_id or no_members). */
static bool list_complete(const struct ei_answer *a, const struct ei_member_list *l,
			  const char *no_id, const char *no_members, char *why, size_t len)
{
	if (a->outcome != EI_OUTCOME_VALID)
		return false;
	if (!l->cluster_id)
		snprintf(why, len, "%s", no_id);
	else if (!l->n_members)
		snprintf(why, len, "%s", no_members);
	else
		return true;
	return false;
}

bool ei_plan_gateway_valid(const struct ei_facts *f, const struct ei_peer *p, char *why,
			   size_t len)
{
	const struct ei_member_list *l = &p->members;
	const struct ei_member *r;

	if (!list_complete(&p->list, l, "member list without a cluster ID", "member list without members", why, len))
		return false;
	if (!l->responder_id || !(r = ei_member_list_find_id(l, l->responder_id)))
		snprintf(why, len, "member list served by member %" PRIx64 ", which is not in it",
			 l->responder_id);
	/* The member that served it must be the one asked: another etcd answering at this
	 * address (a stale record, a reused pod IP) is not this peer. */
	else if (!ei_plan_member_is_peer(f, r, p))
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

	if (!list_complete(&p->peer_list, l, "peer member list without X-Etcd-Cluster-ID", "peer member list without members", why, len))
		return false;
	for (size_t i = 0; i < l->n_members; i++)
		if (ei_plan_member_is_peer(f, &l->members[i], p))
			return true;
	snprintf(why, len, "peer member list that does not list %s, which served it", p->peer_url);
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

/* planeval.h: valid answers make an etcd (foreign when its cluster has no member of this
 * set) or a waiting etcd-init; anything else is unknown, with what was wrong. */
void ei_plan_judge(const struct ei_config *cfg, const struct ei_facts *f, const struct ei_peer *p,
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

	ei_plan_judge(cfg, f, p, &j);
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
				 "waiting etcd-init with a WAL (member %" PRIx64 " of cluster %" PRIx64 "), size %u, token %s",
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
