/* planboot.c - whether a new cluster may be bootstrapped (plan.h): what a member list
 * being bootstrapped looks like, the set's extent (how many members it may have), and
 * whether every other member of it vouches. Pure. */
#include "planeval.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cluster.h"

/* 1: l is this set's initial cluster being bootstrapped with our size and token (every
 * initial member at its canonical URL with the ID a bootstrap with our token computes,
 * none has run); 0: not a bootstrap of this set; -1: a bootstrap of this set's members
 * with another size or token (why says which). */
int ei_plan_bootstrap_list(const struct ei_config *cfg, const struct ei_member_list *l,
			   char *why, size_t len)
{
	uint64_t ids[100];
	unsigned ordinal;

	for (size_t i = 0; i < l->n_members; i++) {
		const struct ei_member *m = &l->members[i];
		char scheme[8], host[EI_DNS_NAME_MAX];
		unsigned port;

		if (ei_plan_has_run(m) || m->is_learner || m->n_peer_urls != 1 ||
		    !ei_url_parts(m->peer_urls[0], scheme, sizeof(scheme), host, sizeof(host), &port) ||
		    port != cfg->id.peer_port || !ei_identity_ordinal_of_host(&cfg->id, host, &ordinal))
			return 0;
	}
	/* A bootstrapping etcd's cluster ID derives from its members' IDs. A list whose ID
	 * does not is not a bootstrap: an etcd replaying its WAL after a restart serves the
	 * members its replay has reached so far, unstarted, under the cluster's real ID. */
	if (l->n_members > sizeof(ids) / sizeof(ids[0]))
		return 0;
	for (size_t i = 0; i < l->n_members; i++)
		ids[i] = l->members[i].id;
	if (l->cluster_id != ei_cluster_id(ids, l->n_members))
		return 0;
	if (l->n_members != cfg->initial_cluster_size) {
		snprintf(why, len,
			 "it bootstraps %zu members (initial cluster size %zu) where we were started with --initial-cluster-size=%u",
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
				 "its member IDs do not derive from our token %s: it was started with another --token (ETCD_INITIAL_CLUSTER_TOKEN) or size",
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
void ei_plan_set_notice(const struct ei_config *cfg, const struct evidence *e,
			struct ei_plan *out)
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
int ei_plan_bootstrap_vouched(const struct ei_config *cfg, const struct evidence *e,
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
			b = ei_plan_bootstrap_list(cfg, j->list, why, sizeof(why));
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
		ei_plan_set_action(out, EI_ACT_REFUSE, "not bootstrapping: the peers disagree on the initial cluster, which etcd would turn into two clusters: %s. Give every pod the same --initial-cluster-size and --token", refuse);
		return -1;
	}
	if (waits[0]) {
		ei_plan_set_action(out, EI_ACT_WAIT, "no WAL and no cluster answered; a bootstrap needs every other member of the set (%u, from %s) to say it has no WAL, and %s", extent, how, waits);
		return 0;
	}
	snprintf(out->reason, sizeof(out->reason), "%zu other member%s of the set (%u, from %s) vouched", asked, asked == 1 ? "" : "s", extent, how);
	return 1;
}
