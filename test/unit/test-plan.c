/* Unit tests for lib/plan.c: every row of the decision table in PRODUCT.md. */
#include "plan.h"
#include "tap.h"

#include <stdlib.h>

#define P(i) "http://etcd-" #i ".etcd.ns.svc.cluster.local:2380"
#define C(i) "http://etcd-" #i ".etcd.ns.svc.cluster.local:2379"

struct member_spec {
	uint64_t id;
	const char *name;   /* NULL: unstarted */
	const char *peer;
	const char *client; /* NULL: never published */
	bool learner;
};

static void make_list(struct ei_member_list *l, uint64_t cluster, const struct member_spec *m,
		      size_t n)
{
	memset(l, 0, sizeof(*l));
	l->cluster_id = cluster;
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

static void config_for(struct ei_config *cfg, const char *name, unsigned size, bool no_learner)
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
	cfg->no_learner = no_learner;
	strcpy(cfg->token, "etcd-ns");
}

/* Started 3-member cluster 0xc1 with members 0xa0, 0xa1, 0xa2. */
static const struct member_spec healthy3[] = {
	{ 0xa0, "etcd-0", P(0), C(0), false },
	{ 0xa1, "etcd-1", P(1), C(1), false },
	{ 0xa2, "etcd-2", P(2), C(2), false },
};

struct row {
	const char *what;
	const char *name;
	unsigned size;
	bool no_learner;
	/* data dir */
	bool wal, metadata;
	uint64_t wal_member, wal_cluster;
	/* cluster */
	bool answered;
	uint64_t cluster;
	const struct member_spec *members;
	size_t n_members;
	bool peers_resolve;
	unsigned quiet;
	/* expected */
	enum ei_action action;
	const char *initial_cluster;   /* NULL: none expected */
	const char *state;
	uint64_t remove_id;
	bool promote;
	const char *reason_has;
};

int main(void)
{
	static const struct member_spec without1[] = {
		{ 0xa0, "etcd-0", P(0), C(0), false },
		{ 0xa2, "etcd-2", P(2), C(2), false },
	};
	static const struct member_spec unstarted_learner3[] = {
		{ 0xa0, "etcd-0", P(0), C(0), false },
		{ 0xa1, "etcd-1", P(1), C(1), false },
		{ 0xa2, "etcd-2", P(2), C(2), false },
		{ 0xb3, NULL, P(3), NULL, true },
	};
	static const struct member_spec learner3_started[] = {
		{ 0xa0, "etcd-0", P(0), C(0), false },
		{ 0xa1, "etcd-1", P(1), C(1), false },
		{ 0xa2, "etcd-2", P(2), C(2), false },
		{ 0xb3, "etcd-3", P(3), C(3), true },
	};
	static const struct member_spec other_unstarted[] = {
		{ 0xa0, "etcd-0", P(0), C(0), false },
		{ 0xa1, "etcd-1", P(1), C(1), false },
		{ 0xa2, "etcd-2", P(2), C(2), false },
		{ 0xb3, NULL, P(3), NULL, true },
	};
	static const struct member_spec bootstrapping[] = {
		{ 0xa0, "etcd-0", P(0), NULL, false },
		{ 0xa1, "etcd-1", P(1), NULL, false },
		{ 0xa2, "etcd-2", P(2), NULL, false },
	};
	static const struct member_spec renamed_url[] = {
		{ 0xa0, "etcd-0", P(0), C(0), false },
		{ 0xa1, "etcd-1", "http://etcd-1.etcd:2380", C(1), false },
		{ 0xa2, "etcd-2", P(2), C(2), false },
	};
	static const struct row rows[] = {
		{ "WAL, cluster answers, we are a member: restart", "etcd-1", 3, false,
		  true, true, 0xa1, 0xc1, true, 0xc1, healthy3, 3, true, 0,
		  EI_ACT_RESTART, NULL, NULL, 0, false, "in the member list" },
		{ "WAL, we are a learner: restart and promote", "etcd-3", 3, false,
		  true, true, 0xb3, 0xc1, true, 0xc1, learner3_started, 4, true, 0,
		  EI_ACT_RESTART, NULL, NULL, 0, true, "learner" },
		{ "WAL, same cluster, we were removed: rejoin", "etcd-1", 3, false,
		  true, true, 0xa1, 0xc1, true, 0xc1, without1, 2, true, 0,
		  EI_ACT_REJOIN, NULL, NULL, 0, false, "removed" },
		{ "WAL of another cluster: refuse", "etcd-1", 3, false,
		  true, true, 0xa1, 0xdead, true, 0xc1, healthy3, 3, true, 0,
		  EI_ACT_REFUSE, NULL, NULL, 0, false, "another cluster" },
		{ "WAL, nobody answers: restart", "etcd-1", 3, false,
		  true, true, 0xa1, 0xc1, false, 0, NULL, 0, false, 0,
		  EI_ACT_RESTART, NULL, NULL, 0, false, "no member answered" },
		{ "WAL, scaled member, nobody answers: restart", "etcd-7", 3, false,
		  true, true, 0xa7, 0xc1, false, 0, NULL, 0, false, 0,
		  EI_ACT_RESTART, NULL, NULL, 0, false, "no member answered" },
		{ "WAL with unreadable metadata: restart, no guessing", "etcd-1", 3, false,
		  true, false, 0, 0, true, 0xc1, without1, 2, true, 0,
		  EI_ACT_RESTART, NULL, NULL, 0, false, "could not be read" },
		{ "no WAL, our unstarted learner is listed: start existing", "etcd-3", 3, false,
		  false, false, 0, 0, true, 0xc1, unstarted_learner3, 4, true, 0,
		  EI_ACT_START_EXISTING,
		  "etcd-0=" P(0) ",etcd-1=" P(1) ",etcd-2=" P(2) ",etcd-3=" P(3), "existing", 0, true,
		  "never started" },
		{ "no WAL, our member has run: replace", "etcd-1", 3, false,
		  false, false, 0, 0, true, 0xc1, healthy3, 3, true, 0,
		  EI_ACT_REPLACE, NULL, NULL, 0xa1, false, "data is lost" },
		{ "no WAL, our name with another peer URL spelling: replace", "etcd-1", 3, false,
		  false, false, 0, 0, true, 0xc1, renamed_url, 3, true, 0,
		  EI_ACT_REPLACE, NULL, NULL, 0xa1, false, "same name" },
		{ "no WAL, absent: join as a learner", "etcd-3", 3, false,
		  false, false, 0, 0, true, 0xc1, healthy3, 3, true, 0,
		  EI_ACT_JOIN,
		  "etcd-0=" P(0) ",etcd-1=" P(1) ",etcd-2=" P(2) ",etcd-3=" P(3), "existing", 0, true,
		  "learner" },
		{ "no WAL, absent, --no-learner: join as a voter", "etcd-3", 3, true,
		  false, false, 0, 0, true, 0xc1, healthy3, 3, true, 0,
		  EI_ACT_JOIN,
		  "etcd-0=" P(0) ",etcd-1=" P(1) ",etcd-2=" P(2) ",etcd-3=" P(3), "existing", 0, false,
		  "voter" },
		{ "no WAL, absent, another learner unstarted: join lists it too", "etcd-4", 3, false,
		  false, false, 0, 0, true, 0xc1, other_unstarted, 4, true, 0,
		  EI_ACT_JOIN,
		  "etcd-0=" P(0) ",etcd-1=" P(1) ",etcd-2=" P(2) ",etcd-3=" P(3) ",etcd-4=" P(4),
		  "existing", 0, true, "learner" },
		{ "no WAL, removed member of a 1-ordinal answered: join", "etcd-1", 3, false,
		  false, false, 0, 0, true, 0xc1, without1, 2, true, 0,
		  EI_ACT_JOIN, "etcd-0=" P(0) ",etcd-2=" P(2) ",etcd-1=" P(1), "existing", 0, true,
		  "not in the member list" },
		{ "no WAL, nobody answers, peers resolve, enough quiet rounds: bootstrap", "etcd-0", 3,
		  false, false, false, 0, 0, false, 0, NULL, 0, true, EI_BOOTSTRAP_QUIET_ROUNDS,
		  EI_ACT_BOOTSTRAP, "etcd-0=" P(0) ",etcd-1=" P(1) ",etcd-2=" P(2), "new", 0, false,
		  "bootstrapping a new one" },
		{ "no WAL, nobody answers, first quiet round: wait", "etcd-0", 3, false,
		  false, false, 0, 0, false, 0, NULL, 0, true, 1,
		  EI_ACT_WAIT, NULL, NULL, 0, false, "round 1," },
		{ "no WAL, nobody answers, peers do not resolve: wait", "etcd-2", 3, false,
		  false, false, 0, 0, false, 0, NULL, 0, false, 0,
		  EI_ACT_WAIT, NULL, NULL, 0, false, "etcd-1.etcd.ns.svc.cluster.local (not-found) does not resolve" },
		{ "no WAL, nobody answers, ordinal >= size: wait, never bootstrap", "etcd-3", 3, false,
		  false, false, 0, 0, false, 0, NULL, 0, true, 99,
		  EI_ACT_WAIT, NULL, NULL, 0, false, "never bootstraps" },
		{ "no WAL, size 1, nobody to ask: bootstrap", "etcd-0", 1, false,
		  false, false, 0, 0, false, 0, NULL, 0, true, EI_BOOTSTRAP_QUIET_ROUNDS,
		  EI_ACT_BOOTSTRAP, "etcd-0=" P(0), "new", 0, false, "bootstrapping" },
		{ "no WAL, peers are bootstrapping this cluster: bootstrap with them", "etcd-2", 3,
		  false, false, false, 0, 0, true, 0xc1, bootstrapping, 3, true, 0,
		  EI_ACT_BOOTSTRAP, "etcd-0=" P(0) ",etcd-1=" P(1) ",etcd-2=" P(2), "new", 0, false,
		  "being bootstrapped" },
	};
	struct ei_config cfg;

	tap_init();
	/* Enough quiet rounds but not enough time: a fast backoff must not shorten the
	 * settle time before bootstrapping. */
	{
		struct ei_facts f = { 0 };
		struct ei_plan plan;

		config_for(&cfg, "etcd-0", 3, false);
		f.initial_peers_resolve = true;
		f.quiet_rounds = 10;
		f.quiet_ms = EI_BOOTSTRAP_QUIET_MS - 1;
		tap_ok(ei_plan_decide(&cfg, &f, &plan, NULL) == 0 && plan.action == EI_ACT_WAIT,
		       "10 quiet rounds in under %u ms: wait", EI_BOOTSTRAP_QUIET_MS);
		ei_plan_free(&plan);
		f.quiet_ms = EI_BOOTSTRAP_QUIET_MS;
		f.quiet_rounds = 2;
		tap_ok(ei_plan_decide(&cfg, &f, &plan, NULL) == 0 && plan.action == EI_ACT_WAIT,
		       "2 quiet rounds over %u ms: wait", EI_BOOTSTRAP_QUIET_MS);
		ei_plan_free(&plan);
	}
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct ei_facts f = { 0 };
		struct ei_plan plan;
		struct ei_err err = { 0 };
		int rc;

		config_for(&cfg, r->name, r->size, r->no_learner);
		f.datadir.has_wal = r->wal;
		f.datadir.has_metadata = r->metadata;
		f.datadir.member_id = r->wal_member;
		f.datadir.cluster_id = r->wal_cluster;
		if (r->wal && !r->metadata)
			strcpy(f.datadir.metadata_error, "truncated record");
		f.cluster_answered = r->answered;
		if (r->answered) {
			make_list(&f.members, r->cluster, r->members, r->n_members);
			strcpy(f.answered_by, C(0));
		}
		f.initial_peers_resolve = r->peers_resolve;
		if (!r->peers_resolve)
			strcpy(f.unresolved_peer, "etcd-1.etcd.ns.svc.cluster.local (not-found)");
		f.quiet_rounds = r->quiet;
		f.quiet_ms = r->quiet >= EI_BOOTSTRAP_QUIET_ROUNDS ? EI_BOOTSTRAP_QUIET_MS : 100;
		rc = ei_plan_decide(&cfg, &f, &plan, &err);
		tap_ok(rc == 0 && plan.action == r->action, "%s: %s (got %s)", r->what,
		       ei_action_name(r->action), ei_action_name(plan.action));
		tap_streq(plan.initial_cluster, r->initial_cluster, "%s: --initial-cluster", r->what);
		tap_streq(plan.initial_cluster_state, r->state, "%s: state", r->what);
		tap_ok(plan.remove_id == r->remove_id, "%s: remove id %llx", r->what,
		       (unsigned long long)r->remove_id);
		tap_ok(plan.promote_after_start == r->promote, "%s: promote after start = %d", r->what,
		       r->promote);
		tap_ok(strstr(plan.reason, r->reason_has) != NULL, "%s: reason says \"%s\" (%s)",
		       r->what, r->reason_has, plan.reason);
		ei_plan_free(&plan);
		ei_member_list_free(&f.members);
	}

	/* Naming of members without a name in --initial-cluster. */
	{
		static const struct member_spec odd[] = {
			{ 0xa0, "etcd-0", P(0), C(0), false },
			{ 0xff, NULL, "http://10.1.2.3:2380", NULL, true },
		};
		struct ei_member_list l;
		char *ic;

		config_for(&cfg, "etcd-5", 3, false);
		make_list(&l, 1, odd, 2);
		ic = ei_plan_existing_initial_cluster(&cfg, &l);
		tap_streq(ic, "etcd-0=" P(0) ",10=http://10.1.2.3:2380,etcd-5=" P(5),
			  "unnamed members are named after their host's first label");
		free(ic);
		ei_member_list_free(&l);
	}
	return tap_done();
}
