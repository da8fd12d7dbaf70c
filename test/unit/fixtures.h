/* fixtures.h - member lists and configurations built by hand for the unit tests of
 * the decision (test-plan.c) and of cluster.c (test-cluster.c): a set "etcd" in
 * namespace "ns" of cluster.local, plain http on 2379/2380, token "etcd-ns". */
#ifndef EI_TEST_FIXTURES_H
#define EI_TEST_FIXTURES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "identity.h"
#include "facts.h"
#include "members.h"

#define P(i) "http://etcd-" #i ".etcd.ns.svc.cluster.local:2380"
#define C(i) "http://etcd-" #i ".etcd.ns.svc.cluster.local:2379"
#define N(a) (sizeof(a) / sizeof((a)[0]))

struct member_spec {
	uint64_t id;
	const char *name;   /* NULL: unstarted */
	const char *peer;
	const char *client; /* NULL: never published */
	bool learner;
};

/* A member list (free with ei_member_list_free). */
static inline void make_list(struct ei_member_list *l, uint64_t cluster, uint64_t responder,
			     const struct member_spec *m, size_t n)
{
	memset(l, 0, sizeof(*l));
	l->cluster_id = cluster;
	l->responder_id = responder;
	l->members = calloc(n ? n : 1, sizeof(*l->members));
	l->n_members = n;
	for (size_t i = 0; i < n; i++) {
		struct ei_member *x = &l->members[i];

		x->id = m[i].id;
		x->name = m[i].name ? strdup(m[i].name) : NULL;
		x->peer_urls = calloc(1, sizeof(char *));
		x->peer_urls[0] = strdup(m[i].peer);
		x->n_peer_urls = 1;
		if (m[i].client) {
			x->client_urls = calloc(1, sizeof(char *));
			x->client_urls[0] = strdup(m[i].client);
			x->n_client_urls = 1;
		}
		x->is_learner = m[i].learner;
	}
}

static inline void config_for(struct ei_config *cfg, const char *name, unsigned size,
			      bool no_learner)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->name, sizeof(cfg->name), "%s", name);
	ei_identity_split_name(name, cfg->id.set, sizeof(cfg->id.set), &cfg->id.ordinal, NULL);
	strcpy(cfg->id.service, "etcd");
	strcpy(cfg->id.ns, "ns");
	strcpy(cfg->id.domain, "cluster.local");
	strcpy(cfg->id.client_scheme, "http");
	strcpy(cfg->id.peer_scheme, "http");
	cfg->id.client_port = 2379;
	cfg->id.peer_port = 2380;
	cfg->initial_cluster_size = size;
	cfg->no_learner = no_learner;
	strcpy(cfg->data_dir, "/data");
	strcpy(cfg->token, "etcd-ns");
}

/* Facts of a round in the pod of cfg (config_for): peers and hosts in the caller's
 * arrays, this pod at 10.0.0.<10+ordinal>, the WAL dir /data/member/wal, and
 * etcd-0..7 resolved to 10.0.0.10..17 as the hosts of the members' URLs. */
static inline void facts_for(struct ei_facts *f, struct ei_peer *peers, struct ei_host *hosts,
			     const struct ei_config *cfg)
{
	memset(f, 0, sizeof(*f));
	f->peers = peers;
	f->hosts = hosts;
	f->n_own_addrs = 1;
	snprintf(f->own_addrs[0], sizeof(f->own_addrs[0]), "10.0.0.%u", 10 + cfg->id.ordinal);
	strcpy(f->datadir.wal_dir, "/data/member/wal");
	/* A complete SRV answer, and a WAL (when the caller says there is one) whose raft
	 * log reaches term 3, commit index 50: behind the clusters of peer_for's etcds. */
	f->srv_status = EI_DNS_FOUND;
	snprintf(f->srv_names, sizeof(f->srv_names), "%s",
		 "_etcd-server._tcp.etcd.ns.svc.cluster.local and "
		 "_etcd-server-ssl._tcp.etcd.ns.svc.cluster.local");
	f->replicas = -1;
	f->datadir.has_position = true;
	f->datadir.position.term = 3;
	f->datadir.position.index = 52;
	f->datadir.position.commit = 50;
	for (unsigned i = 0; i < 8; i++) {
		struct ei_host *h = &hosts[f->n_hosts++];

		memset(h, 0, sizeof(*h));
		snprintf(h->name, sizeof(h->name), "etcd-%u.etcd.ns.svc.cluster.local", i);
		h->status = EI_DNS_FOUND;
		h->n_addrs = 1;
		snprintf(h->addrs[0], sizeof(h->addrs[0]), "10.0.0.%u", 10 + i);
	}
}

/* Peer `ordinal` of the set of cfg: its names and URLs, and, when found, resolved to
 * 10.0.0.<10+ordinal>, pinned there, and every question refused (the caller sets what
 * it answered instead); not found: its name does not resolve. */
static inline void peer_for(struct ei_peer *p, const struct ei_config *cfg, unsigned ordinal,
			    bool found)
{
	char pin[EI_PIN_MAX];

	memset(p, 0, sizeof(*p));
	p->ordinal = (int)ordinal;
	ei_identity_fqdn(&cfg->id, ordinal, p->host, sizeof(p->host));
	ei_identity_client_url(&cfg->id, ordinal, p->client_url, sizeof(p->client_url));
	ei_identity_peer_url(&cfg->id, ordinal, p->peer_url, sizeof(p->peer_url));
	if (!found) {
		p->dns = EI_DNS_NOTFOUND;
		return;
	}
	p->dns = EI_DNS_FOUND;
	p->n_addrs = 1;
	snprintf(p->addrs[0], sizeof(p->addrs[0]), "10.0.0.%u", 10 + ordinal);
	snprintf(pin, sizeof(pin), "%s:2379:10.0.0.%u", p->host, 10 + ordinal);
	strcpy(p->client_pin, pin);
	snprintf(pin, sizeof(pin), "%s:2380:10.0.0.%u", p->host, 10 + ordinal);
	strcpy(p->peer_pin, pin);
	p->list.outcome = p->peer_list.outcome = p->version.outcome = p->status.outcome =
		EI_OUTCOME_REFUSED;
}

#endif
