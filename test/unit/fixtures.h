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

#endif
