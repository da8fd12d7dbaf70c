/* Unit tests for lib/cluster.c: member and cluster IDs as etcd computes them, and the
 * --initial-cluster values (unique names). */
#include "cluster.h"
#include "tap.h"

#include <inttypes.h>
#include <stdlib.h>

#define P(i) "http://etcd-" #i ".etcd.ns.svc.cluster.local:2380"
#define C(i) "http://etcd-" #i ".etcd.ns.svc.cluster.local:2379"
#define N(a) (sizeof(a) / sizeof((a)[0]))

struct member_spec {
	uint64_t id;
	const char *name;
	const char *peer;
	const char *client;
	bool learner;
};

static void make_list(struct ei_member_list *l, uint64_t cluster, uint64_t responder,
		      const struct member_spec *m, size_t n)
{
	memset(l, 0, sizeof(*l));
	l->cluster_id = cluster;
	l->responder_id = responder;
	l->members = calloc(n, sizeof(*l->members));
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

static void config_for(struct ei_config *cfg, const char *name, unsigned size)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->name, sizeof(cfg->name), "%s", name);
	ei_identity_split_name(name, cfg->id.set, sizeof(cfg->id.set), &cfg->id.ordinal, NULL);
	strcpy(cfg->id.service, "etcd");
	strcpy(cfg->id.ns, "ns");
	strcpy(cfg->id.domain, "cluster.local");
	strcpy(cfg->id.scheme, "http");
	cfg->id.client_port = 2379;
	cfg->id.peer_port = 2380;
	cfg->initial_cluster_size = size;
	strcpy(cfg->token, "etcd-ns");
}

/* lib/cluster.c: IDs as etcd computes them, and unique names. */
static void cluster_cases(void)
{
	struct ei_config cfg;
	uint64_t id = ei_cluster_member_id("http://localhost:2380", "etcd-cluster");

	/* etcd's defaults (--initial-cluster default=http://localhost:2380, token
	 * etcd-cluster) give the member 8e9e05c52164694d in cluster cdf818194e3a8c32. */
	tap_ok(id == 0x8e9e05c52164694dULL, "member ID as etcd computes it: %" PRIx64, id);
	tap_ok(ei_cluster_id(&id, 1) == 0xcdf818194e3a8c32ULL, "cluster ID as etcd computes it: %" PRIx64,
	       ei_cluster_id(&id, 1));
	{
		uint64_t a[] = { 3, 1, 2 }, b[] = { 1, 2, 3 };

		tap_ok(ei_cluster_id(a, 3) == ei_cluster_id(b, 3), "cluster ID: order does not matter");
	}

	config_for(&cfg, "etcd-3", 3);
	{
		static const struct member_spec ips[] = {
			{ 0x1, "etcd-0", P(0), C(0), false },
			{ 0x2, NULL, "http://10.0.0.5:2380", NULL, false },
			{ 0x3, NULL, "http://10.0.0.6:2380", NULL, true },
			{ 0x4, "etcd-0", "http://10.0.0.7:2380", "http://10.0.0.7:2379", false },
		};
		struct ei_member_list l;
		char *ic;

		make_list(&l, 0xc1, 0x1, ips, N(ips));
		ic = ei_cluster_existing_initial(&cfg, &l);
		tap_streq(ic, "etcd-0=" P(0) ",m-2=http://10.0.0.5:2380,m-3=http://10.0.0.6:2380,"
			      "etcd-0-4=http://10.0.0.7:2380,etcd-3=" P(3),
			  "unnamed members with IP URLs and a name used twice get unique names");
		free(ic);
		ei_member_list_free(&l);
	}
}


int main(void)
{
	struct ei_config cfg;
	char *ic;

	tap_init();
	cluster_cases();
	config_for(&cfg, "etcd-1", 3);
	ic = ei_cluster_new_initial(&cfg);
	tap_streq(ic, "etcd-0=" P(0) ",etcd-1=" P(1) ",etcd-2=" P(2), "a new cluster: the initial members");
	free(ic);
	{
		static const struct member_spec two[] = {
			{ 0xa0, "etcd-0", P(0), C(0), false },
			{ 0xa2, "etcd-2", P(2), C(2), false },
		};
		struct ei_member_list l;

		make_list(&l, 0xc1, 0xa0, two, N(two));
		ic = ei_cluster_existing_initial(&cfg, &l);
		tap_streq(ic, "etcd-0=" P(0) ",etcd-2=" P(2) ",etcd-1=" P(1),
			  "a join: the members, then us");
		free(ic);
		ei_member_list_free(&l);
	}
	return tap_done();
}
