/* Unit tests for lib/cluster.c: member and cluster IDs as etcd computes them, and the
 * --initial-cluster values (unique names). */
#include "cluster.h"
#include "tap.h"

#include "fixtures.h"

#include <inttypes.h>
#include <stdlib.h>

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

	config_for(&cfg, "etcd-3", 3, false);
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
	config_for(&cfg, "etcd-1", 3, false);
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
	{
		/* Our own entry keeps our name whatever the list says; a member with two peer
		 * URLs is listed once per URL (etcd's URLsMap). */
		static const struct member_spec odd[] = {
			{ 0xa0, "etcd-0", P(0), C(0), false },
			{ 0xa1, "renamed", P(1), NULL, true },
		};
		struct ei_member_list l;

		make_list(&l, 0xc1, 0xa0, odd, N(odd));
		free(l.members[0].peer_urls[0]);
		free(l.members[0].peer_urls);
		l.members[0].peer_urls = calloc(2, sizeof(char *));
		l.members[0].peer_urls[0] = strdup(P(0));
		l.members[0].peer_urls[1] = strdup("http://10.0.0.10:2380");
		l.members[0].n_peer_urls = 2;
		ic = ei_cluster_existing_initial(&cfg, &l);
		tap_streq(ic, "etcd-0=" P(0) ",etcd-0=http://10.0.0.10:2380,etcd-1=" P(1),
			  "our entry named as we are; two peer URLs, two entries");
		free(ic);
		ei_member_list_free(&l);
	}
	{
		uint64_t ids[3];

		config_for(&cfg, "etcd-0", 3, false);
		ei_cluster_initial_ids(&cfg, ids);
		tap_ok(ids[0] == ei_cluster_member_id(P(0), "etcd-ns") &&
			       ids[2] == ei_cluster_member_id(P(2), "etcd-ns") && ids[0] != ids[1],
		       "initial IDs: one per ordinal, from the canonical peer URL and the token");
		strcpy(cfg.token, "other");
		{
			uint64_t other[3];

			ei_cluster_initial_ids(&cfg, other);
			tap_ok(other[0] != ids[0], "another token gives other IDs");
		}
	}
	return tap_done();
}
