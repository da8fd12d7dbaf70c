/* Unit tests for lib/leaveplan.c: the decision of `etcd-init leave`, one table row a
 * case. Facts are built by hand as in test-plan.c: a set "etcd" in namespace "ns", pods at
 * 10.0.0.(10+i), cluster 0xc1, member i has ID 0xa0+i. A peer with our own ordinal is
 * our own etcd (leave.c asks it too). */
#include "leaveplan.h"
#include "tap.h"

#include "fixtures.h"

#include <inttypes.h>

/* Table rows leave trailing fields at their zero default. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

enum kind {
	K_REFUSED, /* resolves, every question refused */
	K_ABSENT,  /* does not resolve */
	K_ETCD,    /* etcd 3.5 answers the gateway with the list, linearizable */
	K_ETCD34,  /* etcd 3.4: the same list, answered locally */
	K_BAD,     /* a 200 with a list without a cluster ID (not evidence) */
	K_AS0,     /* answers as etcd-0 (a0), whose peer URL is not this address: a stale
		    * record or a reused pod IP (not evidence) */
};

struct peer_spec {
	int ordinal;
	enum kind kind;
};

struct fixture {
	struct ei_facts f;
	struct ei_peer peers[16];
	struct ei_host hosts[16];
};

static void build(struct fixture *x, const struct ei_config *cfg, const struct peer_spec *ps,
		  size_t n, const struct member_spec *list, size_t n_list, uint64_t cluster)
{
	memset(x, 0, sizeof(*x));
	facts_for(&x->f, x->peers, x->hosts, cfg);
	for (size_t i = 0; i < n; i++) {
		struct ei_peer *p = &x->peers[x->f.n_peers++];
		unsigned o = (unsigned)ps[i].ordinal;

		peer_for(p, cfg, o, ps[i].kind != K_ABSENT);
		if (ps[i].kind == K_ABSENT)
			continue;
		strcpy(p->list.detail, "Connection refused");
		if (ps[i].kind == K_REFUSED)
			continue;
		p->list.outcome = EI_OUTCOME_VALID;
		make_list(&p->members, ps[i].kind == K_BAD ? 0 : cluster,
			  ps[i].kind == K_AS0 ? 0xa0 : 0xa0 + o, list, n_list);
		p->linearizable = ps[i].kind != K_ETCD34;
		p->version.outcome = EI_OUTCOME_VALID;
		strcpy(p->server_version, ps[i].kind == K_ETCD34 ? "3.4.23" : "3.5.17");
	}
}

static void unbuild(struct fixture *x)
{
	for (size_t i = 0; i < x->f.n_peers; i++)
		ei_member_list_free(&x->peers[i].members);
}

#define M(i) { 0xa##i, "etcd-" #i, P(i), C(i), false }
#define L(i) { 0xa##i, "etcd-" #i, P(i), C(i), true }

static const struct member_spec five[] = { M(0), M(1), M(2), M(3), M(4) };
static const struct member_spec four_without4[] = { M(0), M(1), M(2), M(3) };
static const struct member_spec four_without3[] = { M(0), M(1), M(2), M(4) };
static const struct member_spec three[] = { M(0), M(1), M(2) };
static const struct member_spec four_learner4[] = { M(0), M(1), M(2), M(3), L(4) };
static const struct member_spec three_learner3[] = { M(0), M(1), M(2), L(3) };
static const struct member_spec one[] = { M(1) };
static const struct member_spec namesake[] = {
	M(0), M(1), M(2), { 0xa7, "etcd-4", P(7), C(7), false },
};

struct row {
	const char *what;
	const char *name;
	long replicas;
	const char *why;  /* when replicas is -1 */
	bool wal, metadata;
	uint64_t wal_member, wal_cluster;
	const struct peer_spec *peers;
	size_t n_peers;
	const struct member_spec *list;
	size_t n_list;
	uint64_t leader;
	/* expected */
	enum ei_leave_action action;
	uint64_t member_id;
	bool is_leader, move_aside;
	const char *reason_has;
	const char *via_has; /* REMOVE: a substring of via_url */
};

#define PEERS(...) (const struct peer_spec[]){ __VA_ARGS__ }, \
	N(((const struct peer_spec[]){ __VA_ARGS__ }))
#define LIST(l) l, N(l)
#define NOPEERS NULL, 0
#define NOLIST NULL, 0
#define WAL(m) true, true, m, 0xc1
#define NOWAL false, false, 0, 0
#define ALL5 PEERS({ 0, K_ETCD }, { 1, K_ETCD }, { 2, K_ETCD }, { 3, K_ETCD }, { 4, K_ETCD })

static const struct row rows[] = {
	{ "rolling restart (ordinal < replicas): stay", "etcd-1", 3, NULL, WAL(0xa1), NOPEERS,
	  NOLIST, 0, EI_LEAVE_STAY, 0, false, false, "not a scale-down" },
	{ "last ordinal of a full set: stay", "etcd-4", 5, NULL, WAL(0xa4), ALL5, LIST(five), 0,
	  EI_LEAVE_STAY, 0, false, false, "below the desired 5 replicas" },
	{ "scale to 0: stay, the cluster is kept whole", "etcd-2", 0, NULL, WAL(0xa2), NOPEERS,
	  NOLIST, 0, EI_LEAVE_STAY, 0, false, false, "scaled to 0" },
	{ "replica count unknown: undecided, saying why", "etcd-4", -1,
	  "the API server answered 500", WAL(0xa4), ALL5, LIST(five), 0, EI_LEAVE_UNDECIDED, 0,
	  false, false, "answered 500" },
	{ "replica count unknown without a why: undecided", "etcd-4", -1, NULL, WAL(0xa4),
	  NOPEERS, NOLIST, 0, EI_LEAVE_UNDECIDED, 0, false, false, "unknown (not given)" },

	/* Scale 5 -> 3: etcd-4 and etcd-3 leave, in either order or at once. */
	{ "5 -> 3, etcd-4 first (5 voters): remove it, data aside", "etcd-4", 3, NULL, WAL(0xa4),
	  ALL5, LIST(five), 0xa0, EI_LEAVE_REMOVE, 0xa4, false, true,
	  "not counting etcd-3 (a3), leaving too", "etcd-0." },
	{ "5 -> 3, etcd-3 first (5 voters): remove it", "etcd-3", 3, NULL, WAL(0xa3), ALL5,
	  LIST(five), 0xa0, EI_LEAVE_REMOVE, 0xa3, false, true, "3 voters stay", "etcd-0." },
	{ "5 -> 3, etcd-3 after etcd-4 was removed (4 voters)", "etcd-3", 3, NULL, WAL(0xa3),
	  PEERS({ 0, K_ETCD }, { 1, K_ETCD }, { 2, K_ETCD }, { 3, K_ETCD }, { 4, K_REFUSED }),
	  LIST(four_without4), 0xa1, EI_LEAVE_REMOVE, 0xa3, false, true,
	  "3 voters stay (etcd-0 (a0), etcd-1 (a1), etcd-2 (a2)), 3 of them answered", NULL },
	{ "5 -> 3, etcd-4 after etcd-3 was removed (4 voters)", "etcd-4", 3, NULL, WAL(0xa4),
	  PEERS({ 0, K_ETCD }, { 1, K_ETCD }, { 2, K_ETCD }, { 4, K_ETCD }), LIST(four_without3),
	  0xa1, EI_LEAVE_REMOVE, 0xa4, false, true, "3 of them answered", NULL },
	{ "5 -> 3 on etcd 3.4: the same list from every voter is trusted", "etcd-4", 3, NULL,
	  WAL(0xa4), PEERS({ 0, K_ETCD34 }, { 1, K_ETCD34 }, { 2, K_ETCD34 }, { 3, K_ETCD34 },
			   { 4, K_ETCD34 }), LIST(five), 0, EI_LEAVE_REMOVE, 0xa4, false, true,
	  "from 5 of its 5 voters", NULL },
	{ "5 -> 3 with etcd-1 down: 2 of the 3 that stay answer, remove", "etcd-4", 3, NULL,
	  WAL(0xa4), PEERS({ 0, K_ETCD }, { 1, K_REFUSED }, { 2, K_ETCD }, { 3, K_ETCD },
			   { 4, K_ETCD }), LIST(five), 0, EI_LEAVE_REMOVE, 0xa4, false, true,
	  "2 of them answered", NULL },
	{ "we are the leader: remove, and say so", "etcd-4", 3, NULL, WAL(0xa4), ALL5, LIST(five),
	  0xa4, EI_LEAVE_REMOVE, 0xa4, true, true, "it is the leader", "etcd-0." },
	{ "the leader is another member: remove, naming it", "etcd-3", 3, NULL, WAL(0xa3), ALL5,
	  LIST(five), 0xa2, EI_LEAVE_REMOVE, 0xa3, false, true, "the leader is etcd-2 (a2)", NULL },
	{ "leader unknown: remove, and say so", "etcd-4", 3, NULL, WAL(0xa4), ALL5, LIST(five), 0,
	  EI_LEAVE_REMOVE, 0xa4, false, true, "the leader is unknown", NULL },
	{ "we are a learner, the voters that stay answer: remove", "etcd-3", 3, NULL, WAL(0xa3),
	  PEERS({ 0, K_ETCD }, { 1, K_ETCD }, { 3, K_ETCD }), LIST(three_learner3), 0,
	  EI_LEAVE_REMOVE, 0xa3, false, true, "counted as a voter-to-be", NULL },
	{ "no WAL in the data dir: remove, nothing to move", "etcd-4", 3, NULL, NOWAL, ALL5,
	  LIST(five), 0, EI_LEAVE_REMOVE, 0xa4, false, false, "nothing to move", NULL },

	/* Rules that block. */
	{ "3 voters, etcd-1 down, etcd-2 leaves for 2: would lose quorum, wait", "etcd-2", 2, NULL,
	  WAL(0xa2), PEERS({ 0, K_ETCD }, { 1, K_REFUSED }, { 2, K_ETCD }), LIST(three), 0,
	  EI_LEAVE_WAIT, 0, false, false, "could lose quorum" },
	{ "the same on etcd 3.4 (us and etcd-0 agree: trusted), wait", "etcd-2", 2, NULL,
	  WAL(0xa2), PEERS({ 0, K_ETCD34 }, { 1, K_REFUSED }, { 2, K_ETCD34 }), LIST(three), 0,
	  EI_LEAVE_WAIT, 0, false, false, "not answering: etcd-1 (a1)" },
	{ "4 -> 2 with etcd-0 down: the voters that stay would have no quorum, wait", "etcd-3", 2,
	  NULL, WAL(0xa3), PEERS({ 0, K_REFUSED }, { 1, K_ETCD }, { 2, K_ETCD }, { 3, K_ETCD }),
	  LIST(four_without4), 0, EI_LEAVE_WAIT, 0, false, false, "a quorum of 2 is 2" },
	{ "the last voter: never removed, undecided", "etcd-1", 1, NULL, WAL(0xa1),
	  PEERS({ 1, K_ETCD }), LIST(one), 0, EI_LEAVE_UNDECIDED, 0, false, false, "last voter" },
	{ "we are a learner (promoted any moment), 2 of the 3 voters that stay are down: wait",
	  "etcd-3", 3, NULL, WAL(0xa3), PEERS({ 0, K_ETCD }, { 1, K_REFUSED }, { 2, K_REFUSED },
	  { 3, K_ETCD }), LIST(three_learner3), 0, EI_LEAVE_WAIT, 0, false, false,
	  "could lose quorum" },
	{ "another member is a learner: wait", "etcd-3", 3, NULL, WAL(0xa3),
	  PEERS({ 0, K_ETCD }, { 1, K_ETCD }, { 2, K_ETCD }, { 3, K_ETCD }),
	  LIST(four_learner4), 0, EI_LEAVE_WAIT, 0, false, false, "etcd-4 (a4) is a learner" },
	{ "an untrusted list (3.4, one voter of 5): wait", "etcd-4", 3, NULL, WAL(0xa4),
	  PEERS({ 0, K_ETCD34 }, { 1, K_REFUSED }, { 2, K_REFUSED }, { 3, K_REFUSED },
		{ 4, K_REFUSED }), LIST(five), 0, EI_LEAVE_WAIT, 0, false, false, "no majority" },
	{ "no list at all: wait, naming the peers", "etcd-4", 3, NULL, WAL(0xa4),
	  PEERS({ 0, K_REFUSED }, { 1, K_ABSENT }, { 4, K_BAD }), LIST(five), 0, EI_LEAVE_WAIT, 0,
	  false, false, "etcd-4.etcd.ns.svc.cluster.local: member list without a cluster ID" },
	{ "etcd-1's address answers as etcd-0: not counted as an answer, wait", "etcd-4", 3, NULL,
	  WAL(0xa4), PEERS({ 0, K_REFUSED }, { 1, K_AS0 }, { 2, K_ETCD }, { 3, K_ETCD },
			   { 4, K_ETCD }), LIST(five), 0, EI_LEAVE_WAIT, 0, false, false,
	  "could lose quorum: 3 voters stay (etcd-0 (a0), etcd-1 (a1), etcd-2 (a2)), 1 of them "
	  "answered" },
	{ "only our own etcd answers (linearizable): the others are silent, wait", "etcd-4", 3, NULL,
	  WAL(0xa4), PEERS({ 4, K_ETCD }), LIST(five), 0, EI_LEAVE_WAIT, 0, false, false,
	  "could lose quorum" },

	/* Already gone. */
	{ "our member absent, our WAL of this cluster: move the data aside", "etcd-4", 3, NULL,
	  WAL(0xa4), PEERS({ 0, K_ETCD }, { 1, K_ETCD }, { 2, K_ETCD }), LIST(three), 0,
	  EI_LEAVE_ALREADY_GONE, 0xa4, false, true, "removed already" },
	{ "our member absent, no WAL: nothing to do", "etcd-4", 3, NULL, NOWAL,
	  PEERS({ 0, K_ETCD }, { 1, K_ETCD }), LIST(three), 0, EI_LEAVE_ALREADY_GONE, 0, false,
	  false, "no WAL" },
	{ "our member absent, WAL unreadable: the data stays", "etcd-4", 3, NULL, true, false, 0, 0,
	  PEERS({ 0, K_ETCD }), LIST(three), 0, EI_LEAVE_ALREADY_GONE, 0, false, false,
	  "could not be read" },
	{ "our member absent by a 3.4 list of one voter: not trusted, wait", "etcd-4", 3, NULL,
	  WAL(0xa4), PEERS({ 0, K_ETCD34 }), LIST(three), 0, EI_LEAVE_WAIT, 0, false, false,
	  "no majority" },
	{ "a namesake at another host is not us: already gone", "etcd-4", 3, NULL, WAL(0xa4),
	  PEERS({ 0, K_ETCD }, { 1, K_ETCD }, { 2, K_ETCD }), LIST(namesake), 0,
	  EI_LEAVE_ALREADY_GONE, 0xa4, false, true, "removed already" },

	/* Whose data. */
	{ "WAL of another cluster: undecided, data stays", "etcd-4", 3, NULL, true, true, 0xa4,
	  0xdead, ALL5, LIST(five), 0, EI_LEAVE_UNDECIDED, 0, false, false, "does not belong" },
	{ "WAL of another member than our peer URL's: undecided", "etcd-4", 3, NULL, WAL(0xa1),
	  ALL5, LIST(five), 0, EI_LEAVE_UNDECIDED, 0, false, false, "two members could be" },
};

static void check_row(const struct row *r)
{
	struct ei_config cfg;
	struct fixture x;
	struct ei_leave_plan plan;

	config_for(&cfg, r->name, 3, false);
	build(&x, &cfg, r->peers, r->n_peers, r->list, r->n_list, 0xc1);
	x.f.datadir.has_wal = r->wal;
	x.f.datadir.has_metadata = r->metadata;
	x.f.datadir.member_id = r->wal_member;
	x.f.datadir.cluster_id = r->wal_cluster;
	if (r->wal && !r->metadata)
		strcpy(x.f.datadir.metadata_error, "no metadata record");
	ei_leaveplan_decide(&cfg, r->replicas, r->why, &x.f, r->leader, &plan);
	tap_streq(ei_leave_action_name(plan.action), ei_leave_action_name(r->action), "%s: action",
		  r->what);
	if (plan.action != r->action || !strstr(plan.reason, r->reason_has))
		printf("#   reason: %s\n", plan.reason);
	tap_ok(strstr(plan.reason, r->reason_has) != NULL, "%s: reason has \"%s\"", r->what,
	       r->reason_has);
	if (r->action == EI_LEAVE_REMOVE || r->action == EI_LEAVE_ALREADY_GONE) {
		tap_ok(plan.member_id == r->member_id, "%s: member %" PRIx64 " (want %" PRIx64 ")",
		       r->what, plan.member_id, r->member_id);
		tap_ok(plan.move_aside == r->move_aside, "%s: move aside %s", r->what,
		       r->move_aside ? "yes" : "no");
	}
	if (r->action == EI_LEAVE_REMOVE) {
		char self[EI_URL_MAX];

		tap_ok(plan.is_leader == r->is_leader, "%s: leader %s", r->what,
		       r->is_leader ? "yes" : "no");
		ei_identity_client_url(&cfg.id, cfg.id.ordinal, self, sizeof(self));
		tap_ok(plan.via_url[0] && strcmp(plan.via_url, self) != 0 && plan.via_pin[0],
		       "%s: via another member (%s)", r->what, plan.via_url);
		if (r->via_has)
			tap_ok(strstr(plan.via_url, r->via_has) != NULL, "%s: via %s", r->what,
			       r->via_has);
	}
	unbuild(&x);
}

/* The scale-down test alone, before any member is asked. */
static void check_scale_down(void)
{
	struct ei_config cfg;
	struct ei_leave_plan plan;

	config_for(&cfg, "etcd-3", 3, false);
	tap_ok(ei_leaveplan_scale_down(&cfg, 3, NULL, &plan), "ordinal 3, replicas 3: scaled away");
	tap_ok(ei_leaveplan_scale_down(&cfg, 1, NULL, &plan), "ordinal 3, replicas 1: scaled away");
	tap_ok(!ei_leaveplan_scale_down(&cfg, 4, NULL, &plan) && plan.action == EI_LEAVE_STAY,
	       "ordinal 3, replicas 4: stay");
	tap_ok(!ei_leaveplan_scale_down(&cfg, 0, NULL, &plan) && plan.action == EI_LEAVE_STAY,
	       "replicas 0: stay");
	tap_ok(!ei_leaveplan_scale_down(&cfg, -1, "no KUBERNETES_SERVICE_HOST", &plan) &&
		       plan.action == EI_LEAVE_UNDECIDED &&
		       strstr(plan.reason, "no KUBERNETES_SERVICE_HOST"),
	       "replicas unknown: undecided, with the reason");
}

int main(void)
{
	tap_init();
	for (size_t i = 0; i < N(rows); i++)
		check_row(&rows[i]);
	check_scale_down();
	tap_streq(ei_leave_action_name(EI_LEAVE_ALREADY_GONE), "already-gone", "action names");
	return tap_done();
}
