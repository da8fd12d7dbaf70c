/* Unit tests for lib/plan.c (and lib/cluster.c): every row of the decision table, the
 * status handshake, unknown peers, config drift, quorum lost, trusted and untrusted
 * lists, the name fallback, and the data dir refusals; the set's evidence (its extent,
 * the replica count, the SRV answer), strangers (foreign clusters, a list served by
 * another member than the one asked), look-alike clusters behind our WAL, the
 * force-new-cluster request, and changes that need a started voter. Facts are built by
 * hand: a set "etcd" in namespace "ns", pods at 10.0.0.(10+i). */
#include "cluster.h"
#include "plan.h"
#include "tap.h"

#include "fixtures.h"

#include <inttypes.h>
#include <stdlib.h>

/* Table rows leave trailing fields (srv) at their zero default. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

/* How a peer answers. */
enum kind {
	K_ABSENT,      /* DNS: not found */
	K_ABSENT_LONG, /* DNS: not found, for 42 s of rounds */
	K_REFUSED,     /* resolves, every question refused */
	K_INIT,        /* a waiting etcd-init without a WAL, our size and token */
	K_INIT_WAL,    /* a waiting etcd-init with a WAL of member 0xa<i> of cluster 0xc1 */
	K_INIT_SIZE5,  /* a waiting etcd-init started with size 5 */
	K_INIT_TOKEN,  /* a waiting etcd-init started with another token */
	K_INIT_ELSE,   /* a status of another peer URL */
	K_ETCD,        /* an etcd whose gateway answers with the list (3.5, linearizable) */
	K_ETCD34,      /* the same, etcd 3.4: the list is local, not linearizable */
	K_ETCD_PEER,   /* an etcd whose gateway does not answer; its peer API does */
	K_LOOPBACK,    /* its name resolves to 127.0.0.1 */
	K_MALFORMED,   /* every answer malformed */
};

struct peer_spec {
	int ordinal;
	enum kind kind;
	bool srv;
};

/* The facts: our data dir, peers, and the list etcd peers answer with. */
struct fixture {
	struct ei_facts f;
	struct ei_peer peers[16];
	struct ei_host hosts[24];
};

/* name and addr are often the fixture's own strings (a peer's host): gcc -O3 sees a
 * possible overlap with x (-Wrestrict), so they are copied through locals. */
static void add_host(struct fixture *x, const char *name, const char *addr)
{
	struct ei_host *h = &x->hosts[x->f.n_hosts++];
	char n[sizeof(h->name)], a[sizeof(h->addrs[0])];

	snprintf(n, sizeof(n), "%s", name);
	snprintf(a, sizeof(a), "%s", addr ? addr : "");
	memset(h, 0, sizeof(*h));
	memcpy(h->name, n, sizeof(n));
	if (addr) {
		h->status = EI_DNS_FOUND;
		h->n_addrs = 1;
		memcpy(h->addrs[0], a, sizeof(a));
	} else {
		h->status = EI_DNS_NOTFOUND;
	}
}

static void build(struct fixture *x, const struct ei_config *cfg, const struct peer_spec *ps,
		  size_t n, const struct member_spec *list, size_t n_list, uint64_t cluster)
{
	memset(x, 0, sizeof(*x));
	facts_for(&x->f, x->peers, x->hosts, cfg);
	for (size_t i = 0; i < n; i++) {
		struct ei_peer *p = &x->peers[x->f.n_peers++];
		unsigned o = (unsigned)ps[i].ordinal;

		peer_for(p, cfg, o, ps[i].kind != K_ABSENT && ps[i].kind != K_ABSENT_LONG);
		p->initial = o < cfg->initial_cluster_size;
		p->in_srv = ps[i].srv;
		if (ps[i].kind == K_ABSENT_LONG)
			p->unresolved_s = 42;
		if (ps[i].kind == K_ABSENT || ps[i].kind == K_ABSENT_LONG)
			continue;
		strcpy(p->status.detail, "Connection refused");
		switch (ps[i].kind) {
		case K_LOOPBACK:
			strcpy(p->addrs[0], "127.0.0.1");
			strcpy(p->not_peer, "127.0.0.1 is loopback");
			p->list.outcome = p->peer_list.outcome = p->version.outcome =
				p->status.outcome = EI_OUTCOME_NOT_ASKED;
			break;
		case K_MALFORMED:
			p->list.outcome = p->peer_list.outcome = p->status.outcome =
				EI_OUTCOME_MALFORMED;
			strcpy(p->status.detail, "etcd-init status: not JSON");
			break;
		case K_INIT:
		case K_INIT_WAL:
		case K_INIT_SIZE5:
		case K_INIT_TOKEN:
		case K_INIT_ELSE:
			p->status.outcome = EI_OUTCOME_VALID;
			p->peer_list.outcome = EI_OUTCOME_HTTP_ERROR;
			snprintf(p->init.name, sizeof(p->init.name), "etcd-%u", o);
			ei_identity_peer_url(&cfg->id, o, p->init.peer_url, sizeof(p->init.peer_url));
			if (ps[i].kind == K_INIT_ELSE)
				strcpy(p->init.peer_url, P(7));
			p->init.initial_cluster_size =
				ps[i].kind == K_INIT_SIZE5 ? 5 : cfg->initial_cluster_size;
			strcpy(p->init.token, ps[i].kind == K_INIT_TOKEN ? "other" : cfg->token);
			if (ps[i].kind == K_INIT_WAL) {
				p->init.has_wal = p->init.has_ids = true;
				p->init.member_id = 0xa0 + o;
				p->init.cluster_id = 0xc1;
			}
			break;
		case K_ETCD:
		case K_ETCD34:
			p->list.outcome = EI_OUTCOME_VALID;
			make_list(&p->members, cluster, 0xa0 + o, list, n_list);
			p->members.raft_term = 5;
			p->raft.outcome = EI_OUTCOME_VALID;
			p->raft_status.cluster_id = cluster;
			p->raft_status.member_id = 0xa0 + o;
			p->raft_status.raft_term = 5;
			p->raft_status.raft_index = 100;
			p->linearizable = true;
			p->version.outcome = EI_OUTCOME_VALID;
			strcpy(p->server_version, ps[i].kind == K_ETCD ? "3.5.17" : "3.4.23");
			p->status.outcome = EI_OUTCOME_HTTP_ERROR;
			/* fall through: the peer API answers too */
			/* FALLTHROUGH */
		case K_ETCD_PEER:
			p->peer_list.outcome = EI_OUTCOME_VALID;
			make_list(&p->peer_members, cluster, 0, list, n_list);
			if (ps[i].kind == K_ETCD_PEER) {
				p->list.outcome = EI_OUTCOME_TIMEOUT;
				strcpy(p->list.detail, "no answer within 1500 ms");
			}
			break;
		case K_ABSENT:
		case K_ABSENT_LONG:
		case K_REFUSED:
		default:
			break;
		}
	}
}

static void unbuild(struct fixture *x)
{
	for (size_t i = 0; i < x->f.n_peers; i++) {
		ei_member_list_free(&x->peers[i].members);
		ei_member_list_free(&x->peers[i].peer_members);
	}
}

/* Started 3-member cluster 0xc1 with members 0xa0, 0xa1, 0xa2. */
static const struct member_spec healthy3[] = {
	{ 0xa0, "etcd-0", P(0), C(0), false },
	{ 0xa1, "etcd-1", P(1), C(1), false },
	{ 0xa2, "etcd-2", P(2), C(2), false },
};
static const struct member_spec without1[] = {
	{ 0xa0, "etcd-0", P(0), C(0), false },
	{ 0xa2, "etcd-2", P(2), C(2), false },
};
static const struct member_spec learner3_started[] = {
	{ 0xa0, "etcd-0", P(0), C(0), false },
	{ 0xa1, "etcd-1", P(1), C(1), false },
	{ 0xa2, "etcd-2", P(2), C(2), false },
	{ 0xa3, "etcd-3", P(3), C(3), true },
};
static const struct member_spec unstarted_learner3[] = {
	{ 0xa0, "etcd-0", P(0), C(0), false },
	{ 0xa1, "etcd-1", P(1), C(1), false },
	{ 0xa2, "etcd-2", P(2), C(2), false },
	{ 0xb3, NULL, P(3), NULL, true },
};
static const struct member_spec short_names[] = {
	{ 0xa0, "etcd-0", "http://etcd-0.etcd:2380", "http://etcd-0.etcd:2379", false },
	{ 0xa1, "etcd-1", "http://etcd-1.etcd:2380", "http://etcd-1.etcd:2379", false },
	{ 0xa2, "etcd-2", "http://etcd-2.etcd:2380", "http://etcd-2.etcd:2379", false },
};
static const struct member_spec namesake_elsewhere[] = {
	{ 0xa0, "etcd-0", P(0), C(0), false },
	{ 0xa5, "etcd-1", P(5), C(5), false },
	{ 0xa2, "etcd-2", P(2), C(2), false },
};
static const struct member_spec unresolvable[] = {
	{ 0xa0, "etcd-0", P(0), C(0), false },
	{ 0xa1, "etcd-1", P(1), C(1), false },
	{ 0xa9, "gone", "http://gone.example:2380", "http://gone.example:2379", false },
};

struct row {
	const char *what;
	const char *name;
	unsigned size;
	bool no_learner;
	bool wal, metadata;
	uint64_t wal_member, wal_cluster;
	const struct peer_spec *peers;
	size_t n_peers;
	const struct member_spec *list;
	size_t n_list;
	/* expected */
	enum ei_action action;
	const char *initial_cluster; /* NULL: none expected */
	uint64_t remove_id;
	bool promote;
	const char *reason_has;
	const char *via; /* expected via URL, NULL: not checked */
};

#define PEERS(...) (const struct peer_spec[]){ __VA_ARGS__ }, \
	N(((const struct peer_spec[]){ __VA_ARGS__ }))
#define LIST(l) l, N(l)
#define NOLIST NULL, 0
#define IC3 "etcd-0=" P(0) ",etcd-1=" P(1) ",etcd-2=" P(2)

static const struct row rows[] = {
	/* With a WAL. */
	{ "WAL, cluster answers, we are a member: restart", "etcd-1", 3, false, true, true, 0xa1, 0xc1,
	  PEERS({ 0, K_ETCD }, { 2, K_ETCD }), LIST(healthy3),
	  EI_ACT_RESTART, NULL, 0, false, "in the member list", NULL },
	{ "WAL, we are a learner: restart and promote", "etcd-3", 3, false, true, true, 0xa3, 0xc1,
	  PEERS({ 0, K_ETCD }, { 1, K_ETCD }, { 2, K_ETCD }), LIST(learner3_started),
	  EI_ACT_RESTART, NULL, 0, true, "learner", NULL },
	{ "WAL, a linearizable list without us: rejoin", "etcd-1", 3, false, true, true, 0xa1, 0xc1,
	  PEERS({ 0, K_ETCD }, { 2, K_REFUSED }), LIST(without1),
	  EI_ACT_REJOIN, NULL, 0, false, "linearizable member list from etcd-0", NULL },
	{ "WAL, 3.4: the same list from both voters without us: rejoin", "etcd-1", 3, false, true,
	  true, 0xa1, 0xc1, PEERS({ 0, K_ETCD34 }, { 2, K_ETCD34 }), LIST(without1),
	  EI_ACT_REJOIN, NULL, 0, false, "from 2 of its 2 voters", NULL },
	{ "WAL, 3.4: one voter of two says we are gone: wait, data stays", "etcd-1", 3, false, true,
	  true, 0xa1, 0xc1, PEERS({ 0, K_ETCD34 }, { 2, K_REFUSED }), LIST(without1),
	  EI_ACT_WAIT, NULL, 0, false, "nor moving data aside on that", NULL },
	{ "WAL, only a peer API list without us: wait, data stays", "etcd-1", 3, false, true, true,
	  0xa1, 0xc1, PEERS({ 0, K_ETCD_PEER }, { 2, K_ETCD_PEER }), LIST(without1),
	  EI_ACT_WAIT, NULL, 0, false, "local member list", NULL },
	{ "WAL of another cluster: refuse", "etcd-1", 3, false, true, true, 0xa1, 0xdead,
	  PEERS({ 0, K_ETCD }, { 2, K_ETCD }), LIST(healthy3),
	  EI_ACT_REFUSE, NULL, 0, false, "another cluster", NULL },
	{ "WAL, nobody answers: restart", "etcd-1", 3, false, true, true, 0xa1, 0xc1,
	  PEERS({ 0, K_REFUSED }, { 2, K_ABSENT }), NOLIST,
	  EI_ACT_RESTART, NULL, 0, false, "no member answered", NULL },
	{ "WAL, peers answer garbage: restart (our data)", "etcd-1", 3, false, true, true, 0xa1, 0xc1,
	  PEERS({ 0, K_MALFORMED }, { 2, K_MALFORMED }), NOLIST,
	  EI_ACT_RESTART, NULL, 0, false, "no member answered", NULL },
	{ "WAL with unreadable metadata: restart, no guessing", "etcd-1", 3, false, true, false, 0,
	  0, PEERS({ 0, K_ETCD }), LIST(without1),
	  EI_ACT_RESTART, NULL, 0, false, "could not be read", NULL },

	/* Without a WAL, a cluster answers. */
	{ "no WAL, our unstarted learner is listed: start existing", "etcd-3", 3, false, false,
	  false, 0, 0, PEERS({ 0, K_ETCD }, { 1, K_ETCD }, { 2, K_ETCD }), LIST(unstarted_learner3),
	  EI_ACT_START_EXISTING, IC3 ",etcd-3=" P(3), 0, true, "never started", NULL },
	{ "no WAL, our unstarted member on a local list only: wait", "etcd-3", 3, false, false,
	  false, 0, 0, PEERS({ 0, K_ETCD_PEER }, { 1, K_REFUSED }, { 2, K_REFUSED }),
	  LIST(unstarted_learner3),
	  EI_ACT_WAIT, NULL, 0, false, "starting as our listed member needs a current member list",
	  NULL },
	{ "no WAL, our member has run: replace", "etcd-1", 3, false, false, false, 0, 0,
	  PEERS({ 0, K_ETCD }, { 2, K_ETCD }), LIST(healthy3),
	  EI_ACT_REPLACE, NULL, 0xa1, false, "data is lost", C(0) },
	{ "no WAL, our member has run, 3.4, two voters agree: replace", "etcd-1", 3, false, false,
	  false, 0, 0, PEERS({ 0, K_ETCD34 }, { 2, K_ETCD34 }), LIST(healthy3),
	  EI_ACT_REPLACE, NULL, 0xa1, false, "from 2 of its 3 voters", NULL },
	{ "no WAL, our member has run, 3.4, one voter of three: wait", "etcd-1", 3, false, false,
	  false, 0, 0, PEERS({ 0, K_ETCD34 }, { 2, K_REFUSED }), LIST(healthy3),
	  EI_ACT_WAIT, NULL, 0, false, "no majority", NULL },
	{ "no WAL, our name with the manifest's short URL, pointing here: replace", "etcd-1", 3,
	  false, false, false, 0, 0, PEERS({ 0, K_ETCD }, { 2, K_ETCD }), LIST(short_names),
	  EI_ACT_REPLACE, NULL, 0xa1, false, "points at this pod", NULL },
	{ "no WAL, a live member named like us elsewhere: refuse", "etcd-1", 3, false, false, false,
	  0, 0, PEERS({ 0, K_ETCD }, { 2, K_ETCD }, { 5, K_ETCD }), LIST(namesake_elsewhere),
	  EI_ACT_REFUSE, NULL, 0, false, "another member uses this pod's name", NULL },
	{ "no WAL, a silent member named like us elsewhere: wait, never removed", "etcd-1", 3,
	  false, false, false, 0, 0, PEERS({ 0, K_ETCD }, { 2, K_ETCD }), LIST(namesake_elsewhere),
	  EI_ACT_WAIT, NULL, 0, false, "not removing it", NULL },
	{ "no WAL, absent: join as a learner", "etcd-3", 3, false, false, false, 0, 0,
	  PEERS({ 0, K_ETCD }, { 1, K_ETCD }, { 2, K_ETCD }, { 3, K_ABSENT, true }), LIST(healthy3),
	  EI_ACT_JOIN, IC3 ",etcd-3=" P(3), 0, true, "learner", C(0) },
	{ "no WAL, absent, --no-learner: join as a voter", "etcd-3", 3, true, false, false, 0, 0,
	  PEERS({ 0, K_ETCD }, { 1, K_ETCD }, { 2, K_ETCD }), LIST(healthy3),
	  EI_ACT_JOIN, IC3 ",etcd-3=" P(3), 0, false, "voter", NULL },
	{ "no WAL, absent, another learner (unstarted): wait for its promotion, no add", "etcd-4", 3,
	  false, false, false, 0, 0, PEERS({ 0, K_ETCD }, { 1, K_ETCD }, { 2, K_ETCD }),
	  LIST(unstarted_learner3), EI_ACT_WAIT, NULL, 0, false,
	  "is a learner of cluster c1 and etcd takes one learner at a time", NULL },
	{ "no WAL, absent, another learner, --no-learner: join as a voter beside it", "etcd-4", 3,
	  true, false, false, 0, 0, PEERS({ 0, K_ETCD }, { 1, K_ETCD }, { 2, K_ETCD }),
	  LIST(unstarted_learner3), EI_ACT_JOIN, IC3 ",etcd-3=" P(3) ",etcd-4=" P(4), 0, false,
	  "adding ourselves as a voter", NULL },
	{ "no WAL, absent, 3.4, one voter of three answers: wait", "etcd-3", 3, false, false, false,
	  0, 0, PEERS({ 0, K_ETCD34 }, { 1, K_REFUSED }, { 2, K_REFUSED }), LIST(healthy3),
	  EI_ACT_WAIT, NULL, 0, false, "adding ourselves needs a current member list", NULL },
	{ "no WAL, absent, a member's peer host does not resolve: wait before the add", "etcd-3", 3,
	  false, false, false, 0, 0, PEERS({ 0, K_ETCD }, { 1, K_ETCD }), LIST(unresolvable),
	  EI_ACT_WAIT, NULL, 0, false, "gone.example does not", NULL },
	{ "no WAL, the manifest's short names resolve as etcd resolves them: join", "etcd-3", 3,
	  false, false, false, 0, 0, PEERS({ 0, K_ETCD }, { 1, K_ETCD }, { 2, K_ETCD }),
	  LIST(short_names),
	  EI_ACT_JOIN, "etcd-0=http://etcd-0.etcd:2380,etcd-1=http://etcd-1.etcd:2380,"
		       "etcd-2=http://etcd-2.etcd:2380,etcd-3=" P(3), 0, true, "learner", NULL },

	/* Without a WAL, nobody has a cluster: the handshake. */
	{ "no WAL, every peer vouches: bootstrap", "etcd-0", 3, false, false, false, 0, 0,
	  PEERS({ 1, K_INIT, true }, { 2, K_INIT, true }), NOLIST,
	  EI_ACT_BOOTSTRAP, IC3, 0, false, "2 other members of the set (3, from the initial cluster size 3) vouched", NULL },
	{ "no WAL, a peer refuses: wait and name it", "etcd-0", 3, false, false, false, 0, 0,
	  PEERS({ 1, K_INIT }, { 2, K_REFUSED }), NOLIST,
	  EI_ACT_WAIT, NULL, 0, false, "etcd-2.etcd.ns.svc.cluster.local: status refused", NULL },
	{ "no WAL, a peer answers garbage: wait and name it", "etcd-0", 3, false, false, false, 0, 0,
	  PEERS({ 1, K_INIT }, { 2, K_MALFORMED }), NOLIST,
	  EI_ACT_WAIT, NULL, 0, false, "status malformed: etcd-init status: not JSON", NULL },
	{ "no WAL, a peer has a WAL: never bootstrap", "etcd-0", 3, false, false, false, 0, 0,
	  PEERS({ 1, K_INIT }, { 2, K_INIT_WAL }), NOLIST,
	  EI_ACT_WAIT, NULL, 0, false, "etcd-2.etcd.ns.svc.cluster.local has a WAL", NULL },
	{ "no WAL, a peer with another initial size: refuse, both values", "etcd-0", 3, false, false,
	  false, 0, 0, PEERS({ 1, K_INIT }, { 2, K_INIT_SIZE5 }), NOLIST,
	  EI_ACT_REFUSE, NULL, 0, false, "--initial-cluster-size=5, this pod with 3", NULL },
	{ "no WAL, a peer with another token: refuse, both values", "etcd-0", 3, false, false, false,
	  0, 0, PEERS({ 1, K_INIT }, { 2, K_INIT_TOKEN }), NOLIST,
	  EI_ACT_REFUSE, NULL, 0, false, "token other, this pod with etcd-ns", NULL },
	{ "no WAL, a peer does not resolve: wait", "etcd-0", 3, false, false, false, 0, 0,
	  PEERS({ 1, K_INIT }, { 2, K_ABSENT }), NOLIST,
	  EI_ACT_WAIT, NULL, 0, false, "etcd-2.etcd.ns.svc.cluster.local: does not resolve", NULL },
	{ "no WAL, a peer has not resolved for 42 s: wait, saying how long (in steps)", "etcd-0", 3, false,
	  false, false, 0, 0, PEERS({ 1, K_INIT }, { 2, K_ABSENT_LONG }), NOLIST, EI_ACT_WAIT, NULL,
	  0, false, "does not resolve (not-found) for over 30s: its pod may not exist yet", NULL },
	{ "no WAL, a peer name resolves to loopback: wait, not asked", "etcd-0", 3, false, false,
	  false, 0, 0, PEERS({ 1, K_INIT }, { 2, K_LOOPBACK }), NOLIST,
	  EI_ACT_WAIT, NULL, 0, false, "127.0.0.1 is loopback, not asked", NULL },
	{ "no WAL, a status of another peer URL: not evidence", "etcd-0", 3, false, false, false, 0,
	  0, PEERS({ 1, K_INIT }, { 2, K_INIT_ELSE }), NOLIST,
	  EI_ACT_WAIT, NULL, 0, false, "answered at", NULL },
	{ "no WAL, size 1 scaled to 3, the others' volumes late: wait", "etcd-0", 1, false, false,
	  false, 0, 0, PEERS({ 1, K_REFUSED, true }, { 2, K_REFUSED, true }), NOLIST,
	  EI_ACT_WAIT, NULL, 0, false, "etcd-1.etcd.ns.svc.cluster.local: status refused", NULL },
	{ "no WAL, size 1, nobody else in DNS: bootstrap", "etcd-0", 1, false, false, false, 0, 0,
	  NULL, 0, NOLIST,
	  EI_ACT_BOOTSTRAP, "etcd-0=" P(0), 0, false, "0 other members of the set (1, from the initial cluster size 1) vouched", NULL },
	{ "no WAL, ordinal >= size, nobody answers: wait, never bootstrap", "etcd-3", 3, false,
	  false, false, 0, 0, PEERS({ 0, K_INIT }, { 1, K_INIT }, { 2, K_INIT }), NOLIST,
	  EI_ACT_WAIT, NULL, 0, false, "never bootstraps", NULL },
};

static void run_rows(void)
{
	for (size_t i = 0; i < N(rows); i++) {
		const struct row *r = &rows[i];
		struct ei_config cfg;
		struct fixture x;
		struct ei_plan plan;
		struct ei_err err = { 0 };
		int rc;

		config_for(&cfg, r->name, r->size, r->no_learner);
		build(&x, &cfg, r->peers, r->n_peers, r->list, r->n_list, 0xc1);
		x.f.datadir.has_wal = r->wal;
		x.f.datadir.has_metadata = r->metadata;
		x.f.datadir.member_id = r->wal_member;
		x.f.datadir.cluster_id = r->wal_cluster;
		if (r->wal && !r->metadata)
			strcpy(x.f.datadir.metadata_error, "WAL record at byte 0: bad field tag");
		/* The manifest's short names resolve with the search list to the pods. */
		add_host(&x, "etcd-0.etcd", "10.0.0.10");
		add_host(&x, "etcd-1.etcd", "10.0.0.11");
		add_host(&x, "etcd-2.etcd", "10.0.0.12");
		add_host(&x, "gone.example", NULL);
		rc = ei_plan_decide(&cfg, &x.f, &plan, &err);
		tap_ok(rc == 0 && plan.action == r->action, "%s: %s", r->what,
		       ei_action_name(plan.action));
		if (plan.action != r->action)
			printf("#   reason: %s\n", plan.reason);
		if (r->reason_has && r->reason_has[0])
			tap_ok(strstr(plan.reason, r->reason_has) != NULL, "%s: reason says \"%s\"",
			       r->what, r->reason_has);
		if (r->reason_has && r->reason_has[0] && !strstr(plan.reason, r->reason_has))
			printf("#   reason: %s\n", plan.reason);
		if (r->initial_cluster)
			tap_streq(plan.initial_cluster, r->initial_cluster, "%s: --initial-cluster",
				  r->what);
		if (r->remove_id)
			tap_ok(plan.remove_id == r->remove_id, "%s: removes %" PRIx64, r->what,
			       r->remove_id);
		if (r->action == EI_ACT_RESTART || r->action == EI_ACT_JOIN ||
		    r->action == EI_ACT_START_EXISTING)
			tap_ok(plan.promote_after_start == r->promote, "%s: promote %s", r->what,
			       r->promote ? "yes" : "no");
		if (r->via)
			tap_streq(plan.via_url, r->via, "%s: via", r->what);
		ei_plan_free(&plan);
		unbuild(&x);
	}
}

static enum ei_action decide(const struct ei_config *cfg, struct fixture *x, struct ei_plan *plan)
{
	struct ei_err err = { 0 };

	if (ei_plan_decide(cfg, &x->f, plan, &err) < 0)
		return (enum ei_action)-1;
	return plan->action;
}

/* Cases that need more than a row. */
static void special_cases(void)
{
	struct ei_config cfg;
	struct fixture x;
	struct ei_plan plan;
	uint64_t ids[3];

	/* Two clusters answer: act on neither. */
	config_for(&cfg, "etcd-0", 3, false);
	build(&x, &cfg, PEERS({ 1, K_ETCD }, { 2, K_ETCD }), LIST(healthy3), 0xc1);
	x.peers[1].members.cluster_id = x.peers[1].peer_members.cluster_id = 0xc2;
	tap_ok(decide(&cfg, &x, &plan) == EI_ACT_WAIT && strstr(plan.reason, "2 different clusters"),
	       "two clusters answer: wait (%s)", plan.reason);
	ei_plan_free(&plan);
	unbuild(&x);

	/* WAL, 3.4, the lists disagree about us (a removal not applied everywhere yet):
	 * neither restart nor rejoin. */
	config_for(&cfg, "etcd-1", 3, false);
	build(&x, &cfg, PEERS({ 0, K_ETCD34 }, { 2, K_ETCD34 }), LIST(healthy3), 0xc1);
	x.f.datadir.has_wal = x.f.datadir.has_metadata = true;
	x.f.datadir.member_id = 0xa1;
	x.f.datadir.cluster_id = 0xc1;
	ei_member_list_free(&x.peers[1].members);
	make_list(&x.peers[1].members, 0xc1, 0xa2, without1, N(without1));
	tap_ok(decide(&cfg, &x, &plan) == EI_ACT_WAIT &&
		       strstr(plan.reason, "in some and not in others"),
	       "WAL, lists disagree about us: wait (%s)", plan.reason);
	ei_plan_free(&plan);
	/* ... and once both voters of the new list agree, it is trusted: rejoin. */
	ei_member_list_free(&x.peers[0].members);
	make_list(&x.peers[0].members, 0xc1, 0xa0, without1, N(without1));
	tap_ok(decide(&cfg, &x, &plan) == EI_ACT_REJOIN, "WAL, the new list agreed: rejoin (%s)",
	       plan.reason);
	ei_plan_free(&plan);
	unbuild(&x);
	config_for(&cfg, "etcd-0", 3, false);

	/* A gateway list served by a member that is not in it is no evidence. */
	build(&x, &cfg, PEERS({ 1, K_ETCD }, { 2, K_INIT }), LIST(without1), 0xc1);
	x.peers[0].members.responder_id = 0xa1;
	x.peers[0].peer_list.outcome = EI_OUTCOME_REFUSED;
	tap_ok(decide(&cfg, &x, &plan) == EI_ACT_WAIT && strstr(plan.reason, "which is not in it"),
	       "a list served by a non-member: unknown (%s)", plan.reason);
	ei_plan_free(&plan);
	unbuild(&x);

	/* A list with cluster ID 0 is no evidence either. */
	build(&x, &cfg, PEERS({ 1, K_ETCD }, { 2, K_INIT }), LIST(healthy3), 0);
	tap_ok(decide(&cfg, &x, &plan) == EI_ACT_WAIT && strstr(plan.reason, "without a cluster ID"),
	       "a list with cluster ID 0: unknown (%s)", plan.reason);
	ei_plan_free(&plan);
	unbuild(&x);

	/* Peers bootstrapping this very cluster (their peer API: the initial members with the
	 * IDs our token gives, none started): join the bootstrap. */
	ei_cluster_initial_ids(&cfg, ids);
	{
		const struct member_spec boot[] = {
			{ ids[0], "etcd-0", P(0), NULL, false },
			{ ids[1], "etcd-1", P(1), NULL, false },
			{ ids[2], "etcd-2", P(2), NULL, false },
		};

		config_for(&cfg, "etcd-2", 3, false);
		build(&x, &cfg, PEERS({ 0, K_ETCD_PEER }, { 1, K_INIT }), LIST(boot),
		      ei_cluster_id(ids, 3));
		tap_ok(decide(&cfg, &x, &plan) == EI_ACT_BOOTSTRAP &&
			       strstr(plan.reason, "joining the bootstrap") &&
			       plan.initial_cluster && !strcmp(plan.initial_cluster_state, "new") &&
			       plan.confirm_ms >= 2000,
		       "peers bootstrap this cluster: bootstrap with them, once a look "
		       "%u ms later agrees (%s)", plan.confirm_ms, plan.reason);
		ei_plan_free(&plan);
		unbuild(&x);

		/* ... at once when its etcd-init said, moments before, that it had no WAL (an
		 * etcd started from empty since): answering us (ans) or asking us (claim).
		 * Each change that makes that word no evidence brings the wait back; the
		 * latest word decides; with two etcds, both must have said it. */
		{
			/* A word: age (0: none), has_wal, and what differs from the peer's. */
			struct word {
				unsigned age;
				bool wal, other_url, other_token, other_size, other_addr;
			};
			static const struct {
				const char *what;
				struct word ans, claim;
				bool two_etcds, both;
				unsigned confirm_ms;
			} words[] = {
				{ "answer: no WAL 400 ms before", { 400 }, { 0 }, false, false, 0 },
				{ "no word at all", { 0 }, { 0 }, false, false, 3000 },
				{ "answer: a WAL", { 400, .wal = true }, { 0 }, false, false, 3000 },
				{ "answer: no WAL, 11 s before", { 11000 }, { 0 }, false, false, 3000 },
				{ "answer: no WAL, at another URL", { 400, .other_url = true }, { 0 }, false, false, 3000 },
				{ "answer: no WAL, another token", { 400, .other_token = true }, { 0 }, false, false, 3000 },
				{ "answer: no WAL, size 5", { 400, .other_size = true }, { 0 }, false, false, 3000 },
				{ "claim: no WAL", { 0 }, { 400 }, false, false, 0 },
				{ "claim: a WAL", { 0 }, { 400, .wal = true }, false, false, 3000 },
				{ "claim: no WAL, from another address", { 0 }, { 400, .other_addr = true }, false, false, 3000 },
				{ "claim: no WAL, for another peer URL", { 0 }, { 400, .other_url = true }, false, false, 3000 },
				{ "claim: no WAL, 11 s before", { 0 }, { 11000 }, false, false, 3000 },
				{ "claim: no WAL, another token", { 0 }, { 400, .other_token = true }, false, false, 3000 },
				{ "claim: no WAL, size 5", { 0 }, { 400, .other_size = true }, false, false, 3000 },
				{ "answer no WAL 3 s ago, then claim a WAL", { 3000 }, { 400, .wal = true }, false, false, 3000 },
				{ "answer a WAL 3 s ago, then claim no WAL", { 3000, .wal = true }, { 400 }, false, false, 0 },
				{ "claim no WAL 3 s ago, then answer a WAL", { 400, .wal = true }, { 3000 }, false, false, 3000 },
				{ "two etcds, only one said no WAL", { 400 }, { 0 }, true, false, 3000 },
				{ "two etcds, both said no WAL", { 400 }, { 0 }, true, true, 0 },
			};

			for (size_t t = 0; t < sizeof(words) / sizeof(words[0]); t++) {
				struct ei_status_claim claim = { 0 };
				size_t n_etcd = words[t].two_etcds ? (words[t].both ? 2 : 1) : 1;

				config_for(&cfg, "etcd-2", 3, false);
				if (words[t].two_etcds)
					build(&x, &cfg, PEERS({ 0, K_ETCD_PEER }, { 1, K_ETCD_PEER }),
					      LIST(boot), ei_cluster_id(ids, 3));
				else
					build(&x, &cfg, PEERS({ 0, K_ETCD_PEER }, { 1, K_INIT }), LIST(boot),
					      ei_cluster_id(ids, 3));
				for (size_t k = 0; k < n_etcd; k++) {
					struct ei_peer *p = &x.peers[k];
					const struct word *w = &words[t].ans;

					if (!w->age)
						continue;
					p->earlier_init_seen = true;
					p->earlier_init_age_ms = w->age;
					strcpy(p->earlier_init_url, w->other_url ? P(7) : p->peer_url);
					strcpy(p->earlier_init.peer_url, p->peer_url);
					p->earlier_init.has_wal = w->wal;
					p->earlier_init.initial_cluster_size = w->other_size ? 5 : 3;
					strcpy(p->earlier_init.token, w->other_token ? "other" : cfg.token);
				}
				if (words[t].claim.age) {
					const struct word *w = &words[t].claim;

					strcpy(claim.addr, w->other_addr ? "10.9.9.9" : x.peers[0].addrs[0]);
					strcpy(claim.peer_url, w->other_url ? P(7) : x.peers[0].peer_url);
					strcpy(claim.token, w->other_token ? "other" : cfg.token);
					claim.initial_cluster_size = w->other_size ? 5 : 3;
					claim.has_wal = w->wal;
					claim.age_ms = w->age;
					x.f.claims = &claim;
					x.f.n_claims = 1;
				}
				tap_ok(decide(&cfg, &x, &plan) == EI_ACT_BOOTSTRAP &&
					       plan.confirm_ms == words[t].confirm_ms &&
					       !strstr(plan.reason, "had no WAL moments before") ==
						       (words[t].confirm_ms != 0),
				       "peers bootstrap, %s: confirm after %u ms (%s)", words[t].what,
				       plan.confirm_ms, plan.reason);
				ei_plan_free(&plan);
				x.f.claims = NULL;
				x.f.n_claims = 0;
				unbuild(&x);
			}
		}

		/* The same with one peer unknown: wait. */
		build(&x, &cfg, PEERS({ 0, K_ETCD_PEER }, { 1, K_REFUSED }), LIST(boot),
		      ei_cluster_id(ids, 3));
		tap_ok(decide(&cfg, &x, &plan) == EI_ACT_WAIT,
		       "peers bootstrap, one unknown: wait (%s)", plan.reason);
		ei_plan_free(&plan);
		unbuild(&x);

		/* A peer replaying its WAL after a restart serves the members its replay has
		 * reached, unstarted, under the cluster's real ID (quorum-lost on 3.5): not a
		 * bootstrap of 2, nothing to refuse. */
		config_for(&cfg, "etcd-1", 3, false);
		build(&x, &cfg, PEERS({ 0, K_ETCD_PEER }, { 2, K_INIT }), boot, 2,
		      ei_cluster_id(ids, 3));
		tap_ok(decide(&cfg, &x, &plan) != EI_ACT_REFUSE && !strstr(plan.reason, "bootstraps 2"),
		       "2 unstarted members under a 3-member cluster's ID: no refusal (%s)",
		       plan.reason);
		ei_plan_free(&plan);
		unbuild(&x);

		/* A peer that does bootstrap those 2 (its cluster ID derives from them): refuse. */
		build(&x, &cfg, PEERS({ 0, K_ETCD_PEER }, { 2, K_INIT }), boot, 2,
		      ei_cluster_id(ids, 2));
		tap_ok(decide(&cfg, &x, &plan) == EI_ACT_REFUSE &&
			       strstr(plan.reason, "it bootstraps 2 members") && plan.confirm_ms > 0,
		       "a bootstrap of 2 where we have 3: refuse (%s)", plan.reason);
		ei_plan_free(&plan);
		unbuild(&x);

		/* The same members with another token: refuse. */
		config_for(&cfg, "etcd-2", 3, false);
		strcpy(cfg.token, "another-token");
		build(&x, &cfg, PEERS({ 0, K_ETCD_PEER }, { 1, K_INIT }), LIST(boot),
		      ei_cluster_id(ids, 3));
		tap_ok(decide(&cfg, &x, &plan) == EI_ACT_REFUSE &&
			       strstr(plan.reason, "do not derive from our token"),
		       "a bootstrap with another token: refuse (%s)", plan.reason);
		ei_plan_free(&plan);
		unbuild(&x);
	}

	/* Quorum lost: the list (from etcd-2's peer API) has 3 started voters; we and
	 * etcd-1 have no WAL. No automatic step: wait, say so once. */
	config_for(&cfg, "etcd-0", 3, false);
	build(&x, &cfg, PEERS({ 1, K_INIT }, { 2, K_ETCD_PEER }), LIST(healthy3), 0xc1);
	tap_ok(decide(&cfg, &x, &plan) == EI_ACT_WAIT && strstr(plan.alert, "quorum lost") &&
		       strstr(plan.alert, "only 1 have their data (etcd-2)") &&
		       strstr(plan.alert, "etcd-init force-new-cluster"),
	       "two of three volumes lost: quorum lost, said (%s)", plan.alert);
	ei_plan_free(&plan);
	unbuild(&x);

	/* One volume lost, the member with data late: no alert, wait for it. */
	build(&x, &cfg, PEERS({ 1, K_ETCD_PEER }, { 2, K_REFUSED }), LIST(healthy3), 0xc1);
	tap_ok(decide(&cfg, &x, &plan) == EI_ACT_WAIT && !plan.alert[0] &&
		       strstr(plan.reason, "replacing our old member needs a current member list"),
	       "one volume lost, a member late: wait quietly (%s)", plan.reason);
	ei_plan_free(&plan);
	unbuild(&x);

	/* Data dir refusals, before anything else. */
	build(&x, &cfg, PEERS({ 1, K_INIT }, { 2, K_INIT }), NOLIST, 0);
	x.f.datadir.has_wal = x.f.datadir.not_a_wal = true;
	strcpy(x.f.datadir.first_wal, "/data/member/wal/0000000000000000-0000000000000000.wal");
	strcpy(x.f.datadir.metadata_error, "the file is empty (0 bytes)");
	tap_ok(decide(&cfg, &x, &plan) == EI_ACT_REFUSE && plan.refuse_code == EI_E_REFUSE &&
		       strstr(plan.reason, "is not a WAL (the file is empty"),
	       "a .wal that is not a WAL: refuse (%s)", plan.reason);
	ei_plan_free(&plan);
	x.f.datadir.has_wal = x.f.datadir.not_a_wal = false;
	strcpy(x.f.datadir.wal_elsewhere, "/data/wal");
	x.f.datadir.has_snap_db = true;
	tap_ok(decide(&cfg, &x, &plan) == EI_ACT_REFUSE && strstr(plan.reason, "--wal-dir=/data/wal"),
	       "a WAL elsewhere: refuse, naming the flag (%s)", plan.reason);
	ei_plan_free(&plan);
	x.f.datadir.wal_elsewhere[0] = '\0';
	tap_ok(decide(&cfg, &x, &plan) == EI_ACT_REFUSE && strstr(plan.reason, "member/snap/db"),
	       "snap/db without a WAL: refuse (%s)", plan.reason);
	ei_plan_free(&plan);
	x.f.datadir.first_start_marker = true;
	tap_ok(decide(&cfg, &x, &plan) == EI_ACT_BOOTSTRAP && plan.confirm_ms == 0,
	       "snap/db left by our failed first start: empty, bootstrap at once (%s)",
	       plan.reason);
	ei_plan_free(&plan);
	unbuild(&x);
}

/* ---------------------------------------------------------------- set evidence */

/* A cluster of strangers: its only member's peer URL is an address (that of the pod
 * asked, fixed by the tweak), no name of this set. */
static const struct member_spec foreign_at0[] = {
	{ 0xf1, "other-0", "http://10.0.0.10:2380", "http://10.0.0.10:2379", false },
};
static const struct member_spec foreign_at1[] = {
	{ 0xf1, "other-0", "http://10.0.0.11:2380", "http://10.0.0.11:2379", false },
};
/* This set's cluster, one of whose members is etcd-5. */
static const struct member_spec with5[] = {
	{ 0xa0, "etcd-0", P(0), C(0), false },
	{ 0xa1, "etcd-1", P(1), C(1), false },
	{ 0xa2, "etcd-2", P(2), C(2), false },
	{ 0xa5, "etcd-5", P(5), C(5), false },
};
/* The list etcd-5 serves after etcd-1 left; asked at etcd-1's address. */
static const struct member_spec served_by5[] = {
	{ 0xa0, "etcd-0", P(0), C(0), false },
	{ 0xa2, "etcd-2", P(2), C(2), false },
	{ 0xa5, "etcd-5", P(5), C(5), false },
};

/* The peer of that ordinal; a case that names one its row does not have is a broken
 * test: stop. */
static struct ei_peer *peer_at(struct fixture *x, int ordinal)
{
	for (size_t i = 0; i < x->f.n_peers; i++)
		if (x->peers[i].ordinal == ordinal)
			return &x->peers[i];
	fprintf(stderr, "Bail out! test-plan: no peer of ordinal %d in this case\n", ordinal);
	abort();
}

/* A WAL of member 0xa1 of cluster 0xc1 (etcd-1's). */
static void t_wal_a1(struct ei_config *cfg, struct fixture *x)
{
	(void)cfg;
	x->f.datadir.has_wal = x->f.datadir.has_metadata = true;
	x->f.datadir.member_id = 0xa1;
	x->f.datadir.cluster_id = 0xc1;
}

static void t_flag3(struct ei_config *cfg, struct fixture *x)
{
	(void)cfg;
	x->f.replicas_source = EI_REPLICAS_FLAG;
	x->f.replicas = 3;
}

static void t_wal_a1_flag3(struct ei_config *cfg, struct fixture *x)
{
	t_wal_a1(cfg, x);
	t_flag3(cfg, x);
}

static void t_flag1(struct ei_config *cfg, struct fixture *x)
{
	(void)cfg;
	x->f.replicas_source = EI_REPLICAS_FLAG;
	x->f.replicas = 1;
}

static void t_api3(struct ei_config *cfg, struct fixture *x)
{
	(void)cfg;
	x->f.replicas_source = EI_REPLICAS_API;
	x->f.replicas = 3;
}

static void t_api1(struct ei_config *cfg, struct fixture *x)
{
	(void)cfg;
	x->f.replicas_source = EI_REPLICAS_API;
	x->f.replicas = 1;
}

static void t_denied(struct ei_config *cfg, struct fixture *x)
{
	(void)cfg;
	x->f.replicas_source = EI_REPLICAS_API_DENIED;
	strcpy(x->f.replicas_error, "HTTP 403: statefulsets.apps \"etcd\" is forbidden");
}

static void t_api_failed(struct ei_config *cfg, struct fixture *x)
{
	(void)cfg;
	x->f.replicas_source = EI_REPLICAS_API_FAILED;
	strcpy(x->f.replicas_error, "HTTP 503 from the API server");
}

static void t_srv_failed(struct ei_config *cfg, struct fixture *x)
{
	(void)cfg;
	x->f.srv_status = EI_DNS_FAILED;
}

static void t_srv_notfound(struct ei_config *cfg, struct fixture *x)
{
	(void)cfg;
	x->f.srv_status = EI_DNS_NOTFOUND;
}

static void pre_peer_host(struct ei_config *cfg)
{
	strcpy(cfg->id.peer_host, "{name}");
}

static void t_strangers(struct ei_config *cfg, struct fixture *x)
{
	t_flag3(cfg, x);
	x->f.n_srv_strangers = 2;
	strcpy(x->f.srv_strangers,
	       "pg-0.pg.ns.svc.cluster.local,redis-0.redis.ns.svc.cluster.local");
}

/* etcd-1's gateway list is served by a member not in it, and its peer API is down: a
 * list that is no evidence, but still names the members it has. */
static void t_unknown_list1(struct ei_config *cfg, struct fixture *x)
{
	struct ei_peer *p = peer_at(x, 1);

	(void)cfg;
	p->members.responder_id = 0x99;
	ei_member_list_free(&p->peer_members);
	p->peer_list.outcome = EI_OUTCOME_REFUSED;
}

/* The member that answers at a peer's address is the stranger's only member, whose
 * peer URL is that address (etcd resolves an IP literal to itself). */
static void foreign_at(struct fixture *x, int ordinal, uint64_t cluster)
{
	struct ei_peer *p = peer_at(x, ordinal);

	p->members.responder_id = 0xf1;
	p->members.cluster_id = p->peer_members.cluster_id = p->raft_status.cluster_id = cluster;
	p->raft_status.member_id = 0xf1;
	add_host(x, p->addrs[0], p->addrs[0]);
}

static void t_foreign1(struct ei_config *cfg, struct fixture *x)
{
	(void)cfg;
	foreign_at(x, 1, 0xc1);
}

static void t_wal_foreign0(struct ei_config *cfg, struct fixture *x)
{
	t_wal_a1(cfg, x);
	foreign_at(x, 0, 0xc1);
}

static void t_wal_foreign0_other(struct ei_config *cfg, struct fixture *x)
{
	t_wal_a1(cfg, x);
	foreign_at(x, 0, 0xd00d);
}

/* etcd-1's address answers as etcd-5 (a stale record, a reused pod IP). */
static void t_served_by5(struct ei_config *cfg, struct fixture *x)
{
	(void)cfg;
	peer_at(x, 1)->members.responder_id = 0xa5;
}

static void t_commit500(struct ei_config *cfg, struct fixture *x)
{
	t_wal_a1(cfg, x);
	x->f.datadir.position.commit = 500;
	x->f.datadir.position.index = 510;
}

static void t_commit100(struct ei_config *cfg, struct fixture *x)
{
	t_wal_a1(cfg, x);
	x->f.datadir.position.commit = 100;
	x->f.datadir.position.index = 100;
}

static void t_commit101(struct ei_config *cfg, struct fixture *x)
{
	t_wal_a1(cfg, x);
	x->f.datadir.position.commit = 101;
	x->f.datadir.position.index = 101;
}

static void t_term9(struct ei_config *cfg, struct fixture *x)
{
	t_wal_a1(cfg, x);
	x->f.datadir.position.term = 9;
}

static void t_term5(struct ei_config *cfg, struct fixture *x)
{
	t_wal_a1(cfg, x);
	x->f.datadir.position.term = 5;
}

static void t_no_position(struct ei_config *cfg, struct fixture *x)
{
	t_wal_a1(cfg, x);
	x->f.datadir.has_position = false;
	memset(&x->f.datadir.position, 0, sizeof(x->f.datadir.position));
	strcpy(x->f.datadir.position_error,
	       "0000000000000002-0000000000000064.wal: Permission denied");
}

/* The maintenance status timed out; raft_status means something only when VALID
 * (facts.h), whatever it holds. */
static void t_no_raft(struct ei_config *cfg, struct fixture *x)
{
	struct ei_peer *p = peer_at(x, 0);

	t_wal_a1(cfg, x);
	p->raft.outcome = EI_OUTCOME_TIMEOUT;
	strcpy(p->raft.detail, "no answer within 1500 ms");
}

static void t_raft_other_cluster(struct ei_config *cfg, struct fixture *x)
{
	t_wal_a1(cfg, x);
	peer_at(x, 0)->raft_status.cluster_id = 0xd00d;
}

static void t_force(struct ei_config *cfg, struct fixture *x)
{
	t_wal_a1(cfg, x);
	x->f.datadir.force_request = true;
}

static void t_force_other_cluster(struct ei_config *cfg, struct fixture *x)
{
	t_force(cfg, x);
	x->f.datadir.cluster_id = 0xd00d;
}

static void t_force_no_metadata(struct ei_config *cfg, struct fixture *x)
{
	t_force(cfg, x);
	x->f.datadir.has_metadata = false;
	x->f.datadir.member_id = x->f.datadir.cluster_id = 0;
	strcpy(x->f.datadir.metadata_error, "WAL record at byte 0: bad field tag");
}

struct xrow {
	const char *what;
	const char *name;
	unsigned size;
	void (*pre)(struct ei_config *cfg); /* before the facts are built */
	void (*tweak)(struct ei_config *cfg, struct fixture *x);
	const struct peer_spec *peers;
	size_t n_peers;
	const struct member_spec *list;
	size_t n_list;
	/* expected */
	enum ei_action action;
	const char *reason_has, *reason_has2; /* NULL: not checked */
	const char *reason_lacks;             /* NULL: not checked */
	const char *alert_has;                /* NULL: the alert is empty */
	const char *notice_has;               /* NULL: not checked; "": empty */
	int force;                            /* -1: not checked */
	const char *via;                      /* NULL: not checked; "": none */
};

#define NOPRE NULL,
#define ALONE NULL, 0
#define SRV_NAME "_etcd-server._tcp.etcd.ns.svc.cluster.local"
#define H(i) "etcd-" #i ".etcd.ns.svc.cluster.local"

static const struct xrow xrows[] = {
	/* The set's extent: --replicas and spec.replicas above the initial size. */
	{ "size 1, --replicas 3, the others never asked: wait", "etcd-0", 1, NOPRE t_flag3,
	  ALONE, NOLIST, EI_ACT_WAIT,
	  H(1) " (ordinal 1, below the set's extent 3 from --replicas 3) was not asked",
	  H(2) " (ordinal 2", NULL, NULL, "", -1, NULL },
	{ "size 1, spec.replicas 3, the others never asked: wait", "etcd-0", 1, NOPRE t_api3,
	  ALONE, NOLIST, EI_ACT_WAIT, "from the StatefulSet's spec.replicas 3) was not asked", NULL,
	  NULL, NULL, "", -1, NULL },
	{ "size 1, spec.replicas 1, alone: bootstrap", "etcd-0", 1, NOPRE t_api1, ALONE, NOLIST,
	  EI_ACT_BOOTSTRAP, "0 other members of the set (1, from the initial cluster size 1)", NULL,
	  "was not asked", NULL, "", -1, NULL },
	{ "size 1, --replicas 3, the others do not resolve: wait naming them", "etcd-0", 1, NOPRE
	  t_flag3, PEERS({ 1, K_ABSENT }, { 2, K_ABSENT }), NOLIST, EI_ACT_WAIT,
	  H(1) ": does not resolve", H(2) ": does not resolve", "was not asked", NULL, "", -1,
	  NULL },
	{ "size 1, --replicas 3, the others vouch: bootstrap", "etcd-0", 1, NOPRE t_flag3,
	  PEERS({ 1, K_INIT }, { 2, K_INIT }), NOLIST, EI_ACT_BOOTSTRAP,
	  "2 other members of the set (3, from --replicas 3) vouched", NULL, NULL, NULL, "", -1,
	  NULL },
	{ "size 1, --replicas 3, one has a WAL: wait", "etcd-0", 1, NOPRE t_flag3,
	  PEERS({ 1, K_INIT }, { 2, K_INIT_WAL }), NOLIST, EI_ACT_WAIT, H(2) " has a WAL", NULL,
	  NULL, NULL, "", -1, NULL },

	/* The replica count unknown: the documented risk, said as a notice. */
	{ "size 1, no --replicas and no API, alone: bootstrap, with the notice", "etcd-0", 1,
	  NOPRE NULL, ALONE, NOLIST, EI_ACT_BOOTSTRAP, "0 other members", NULL, NULL, NULL,
	  "known only from --initial-cluster-size=1 (no --replicas and no KUBERNETES_SERVICE_HOST)",
	  -1, NULL },
	{ "the notice names the remedy", "etcd-0", 1, NOPRE NULL, ALONE, NOLIST, EI_ACT_BOOTSTRAP,
	  NULL, NULL, NULL, NULL, "the manifests' Role) or pass --replicas N", -1, NULL },
	{ "size 1, the API denies, alone: bootstrap, the notice quotes the API", "etcd-0", 1,
	  NOPRE t_denied, ALONE, NOLIST, EI_ACT_BOOTSTRAP, "0 other members", NULL, NULL, NULL,
	  "known only from --initial-cluster-size=1 (HTTP 403: statefulsets.apps \"etcd\" is "
	  "forbidden)",
	  -1, NULL },
	{ "--peer-host mode without --replicas: the notice says why", "etcd-0", 1, pre_peer_host,
	  NULL, ALONE, NOLIST, EI_ACT_BOOTSTRAP, NULL, NULL, NULL, NULL,
	  "--peer-host mode has no Kubernetes API", -1, NULL },
	{ "size 1 with --replicas 1, alone: bootstrap, no notice", "etcd-0", 1, NOPRE t_flag1,
	  ALONE, NOLIST, EI_ACT_BOOTSTRAP, "(1, from the initial cluster size 1) vouched", NULL,
	  NULL, NULL, "", -1, NULL },
	{ "the API did not answer usefully: wait", "etcd-0", 1, NOPRE t_api_failed, ALONE, NOLIST,
	  EI_ACT_WAIT,
	  "the Kubernetes API did not tell the set's size: HTTP 503 from the API server",
	  NULL, NULL, NULL, "", -1, NULL },
	{ "the API failed, size 3, the others vouch: still wait", "etcd-0", 3, NOPRE t_api_failed,
	  PEERS({ 1, K_INIT, true }, { 2, K_INIT, true }), NOLIST, EI_ACT_WAIT,
	  "the Kubernetes API did not tell the set's size", NULL, NULL, NULL, "", -1, NULL },

	/* The SRV answer must be known. */
	{ "SRV lookup failed, the others vouch: wait", "etcd-0", 3, NOPRE t_srv_failed,
	  PEERS({ 1, K_INIT }, { 2, K_INIT }), NOLIST, EI_ACT_WAIT,
	  "the SRV lookup of " SRV_NAME " and _etcd-server-ssl._tcp.etcd.ns.svc.cluster.local failed", NULL, NULL, NULL, NULL, -1, NULL },
	{ "SRV lookup found nothing, the others vouch: wait", "etcd-0", 3, NOPRE t_srv_notfound,
	  PEERS({ 1, K_INIT }, { 2, K_INIT }), NOLIST, EI_ACT_WAIT,
	  "the SRV lookup of " SRV_NAME " and _etcd-server-ssl._tcp.etcd.ns.svc.cluster.local found no records", NULL, NULL, NULL, NULL, -1, NULL },
	{ "SRV found, the others vouch: bootstrap", "etcd-0", 3, NOPRE NULL,
	  PEERS({ 1, K_INIT }, { 2, K_INIT }), NOLIST, EI_ACT_BOOTSTRAP, "2 other members", NULL,
	  "SRV", NULL, NULL, -1, NULL },
	{ "--peer-host: the SRV status is not consulted", "etcd-0", 3, pre_peer_host,
	  t_srv_failed, PEERS({ 1, K_INIT }, { 2, K_INIT }), NOLIST, EI_ACT_BOOTSTRAP,
	  "2 other members", NULL, "SRV", NULL, NULL, -1, NULL },
	{ "--peer-host, SRV not found: not consulted either", "etcd-0", 3, pre_peer_host,
	  t_srv_notfound, PEERS({ 1, K_INIT }, { 2, K_INIT }), NOLIST, EI_ACT_BOOTSTRAP,
	  "2 other members", NULL, "SRV", NULL, NULL, -1, NULL },

	/* Ordinals seen raise the extent. */
	{ "an SRV target of ordinal 4 in a size-3 set: wait for it and etcd-3", "etcd-0", 3, NOPRE
	  NULL, PEERS({ 1, K_INIT }, { 2, K_INIT }, { 4, K_REFUSED, true }), NOLIST, EI_ACT_WAIT,
	  H(3) " (ordinal 3, below the set's extent 5 from " H(4)
	       " in the SRV answer) was not asked",
	  H(4) ": status refused", NULL, NULL, NULL, -1, NULL },
	{ "the same ordinal 4 known only from a list, not SRV: not the extent", "etcd-0", 3, NOPRE
	  NULL, PEERS({ 1, K_INIT }, { 2, K_INIT }, { 4, K_REFUSED }), NOLIST, EI_ACT_BOOTSTRAP,
	  "(3, from the initial cluster size 3) vouched", NULL, H(4), NULL, NULL, -1, NULL },
	{ "a member list naming etcd-5 raises the extent to 6", "etcd-0", 3, NOPRE
	  t_unknown_list1, PEERS({ 1, K_ETCD }, { 2, K_INIT }), LIST(with5), EI_ACT_WAIT,
	  "(6, from " H(5) " in " H(1) "'s member list)", H(5) " (ordinal 5", NULL, NULL, NULL, -1,
	  NULL },
	{ "the same list without etcd-5: the extent stays 3", "etcd-0", 3, NOPRE t_unknown_list1,
	  PEERS({ 1, K_ETCD }, { 2, K_INIT }), LIST(healthy3), EI_ACT_WAIT,
	  "(3, from the initial cluster size 3)", "which is not in it", "was not asked", NULL,
	  NULL, -1, NULL },
	{ "SRV targets of other sets: named in the notice", "etcd-0", 3, NOPRE t_strangers,
	  PEERS({ 1, K_INIT }, { 2, K_INIT }), NOLIST, EI_ACT_BOOTSTRAP, NULL, NULL, NULL, NULL,
	  "never asked: pg-0.pg.ns.svc.cluster.local,redis-0.redis.ns.svc.cluster.local", -1,
	  NULL },
	{ "no SRV strangers, --replicas: no notice", "etcd-0", 3, NOPRE t_flag3,
	  PEERS({ 1, K_INIT }, { 2, K_INIT }), NOLIST, EI_ACT_BOOTSTRAP, NULL, NULL, NULL, NULL, "",
	  -1, NULL },

	/* Strangers: a foreign cluster at a peer's address. */
	{ "a foreign cluster at etcd-1, we are etcd-3: wait, never join", "etcd-3", 3, NOPRE
	  t_foreign1, PEERS({ 0, K_REFUSED }, { 1, K_ETCD }, { 2, K_REFUSED }), LIST(foreign_at1),
	  EI_ACT_WAIT, "never bootstraps", NULL, NULL,
	  "a foreign etcd answers at " H(1) " (10.0.0.11): cluster c1 has no member of this set "
	  "(other-0 (http://10.0.0.11:2380)): never joined", NULL, -1, "" },
	{ "our cluster at etcd-1, we are etcd-3: join (control)", "etcd-3", 3, NOPRE NULL,
	  PEERS({ 0, K_REFUSED }, { 1, K_ETCD }, { 2, K_REFUSED }), LIST(healthy3), EI_ACT_JOIN,
	  "adding ourselves", NULL, NULL, NULL, NULL, -1, C(1) },
	{ "a foreign cluster at etcd-1, we are etcd-0: no bootstrap, named", "etcd-0", 3, NOPRE
	  t_foreign1, PEERS({ 1, K_ETCD }, { 2, K_INIT }), LIST(foreign_at1), EI_ACT_WAIT,
	  H(1) ": a foreign etcd answers at", NULL, NULL, "no member of this set", NULL, -1, NULL },
	{ "WAL, a foreign cluster with our cluster ID answers: no rejoin", "etcd-1", 3, NOPRE
	  t_wal_foreign0, PEERS({ 0, K_ETCD }, { 2, K_REFUSED }), LIST(foreign_at0),
	  EI_ACT_RESTART, "no member answered", NULL, NULL, "a foreign etcd answers at " H(0), NULL,
	  0, NULL },
	{ "WAL, a foreign cluster of another ID answers: not refused as another cluster",
	  "etcd-1", 3, NOPRE t_wal_foreign0_other, PEERS({ 0, K_ETCD }, { 2, K_REFUSED }),
	  LIST(foreign_at0), EI_ACT_RESTART, "no member answered", NULL, "another cluster",
	  "cluster d00d has no member of this set", NULL, 0, NULL },
	{ "etcd-1's address answers as etcd-5: not evidence, wait", "etcd-0", 3, NOPRE
	  t_served_by5, PEERS({ 1, K_ETCD }, { 2, K_INIT }), LIST(served_by5), EI_ACT_WAIT,
	  H(1) ": member list served by member a5 (etcd-5), whose peer URL " P(5)
	  " is not the peer asked", NULL, NULL, NULL, NULL, -1, NULL },
	{ "etcd-1 answers as itself: evidence (control)", "etcd-0", 3, NOPRE NULL,
	  PEERS({ 1, K_ETCD }, { 2, K_INIT }), LIST(healthy3), EI_ACT_REPLACE, "data is lost",
	  NULL, "is not the peer asked", NULL, NULL, -1, C(1) },

	/* A look-alike: a cluster whose raft log is behind our WAL. */
	{ "look-alike control: the cluster is ahead of our WAL: rejoin", "etcd-1", 3, NOPRE
	  t_wal_a1, PEERS({ 0, K_ETCD }, { 2, K_REFUSED }), LIST(without1), EI_ACT_REJOIN,
	  "it was removed", NULL, NULL, NULL, NULL, 0, NULL },
	{ "our commit index 500, the cluster's raft index 100: wait, alert", "etcd-1", 3, NOPRE
	  t_commit500, PEERS({ 0, K_ETCD }, { 2, K_REFUSED }), LIST(without1), EI_ACT_WAIT,
	  "its raft log reaches term 5, index 100 (highest from " H(0) ")",
	  "our WAL (member a1) term 3, commit index 500", NULL, "younger than this member's data",
	  NULL, -1, NULL },
	{ "our commit index equal to the cluster's: rejoin", "etcd-1", 3, NOPRE t_commit100,
	  PEERS({ 0, K_ETCD }, { 2, K_REFUSED }), LIST(without1), EI_ACT_REJOIN, "it was removed",
	  NULL, NULL, NULL, NULL, -1, NULL },
	{ "our commit index one past the cluster's: wait", "etcd-1", 3, NOPRE t_commit101,
	  PEERS({ 0, K_ETCD }, { 2, K_REFUSED }), LIST(without1), EI_ACT_WAIT,
	  "commit index 101", NULL, NULL, "younger than this member's data", NULL, -1, NULL },
	{ "our WAL's term 9, the cluster's 5: wait, alert", "etcd-1", 3, NOPRE t_term9,
	  PEERS({ 0, K_ETCD }, { 2, K_REFUSED }), LIST(without1), EI_ACT_WAIT,
	  "our WAL (member a1) term 9, commit index 50", "reaches term 5", NULL,
	  "younger than this member's data", NULL, -1, NULL },
	{ "our WAL's term equal to the cluster's: rejoin", "etcd-1", 3, NOPRE t_term5,
	  PEERS({ 0, K_ETCD }, { 2, K_REFUSED }), LIST(without1), EI_ACT_REJOIN, "it was removed",
	  NULL, NULL, NULL, NULL, -1, NULL },
	{ "our WAL's position unknown: wait, data stays", "etcd-1", 3, NOPRE t_no_position,
	  PEERS({ 0, K_ETCD }, { 2, K_REFUSED }), LIST(without1), EI_ACT_WAIT,
	  "how far our WAL reaches is unknown (0000000000000002-0000000000000064.wal: Permission "
	  "denied)",
	  NULL, NULL, NULL, NULL, -1, NULL },
	{ "the cluster's raft index unknown: wait, data stays", "etcd-1", 3, NOPRE t_no_raft,
	  PEERS({ 0, K_ETCD }, { 2, K_REFUSED }), LIST(without1), EI_ACT_WAIT,
	  "no member of that cluster told its raft index", NULL, NULL, NULL, NULL, -1, NULL },
	{ "a raft status of another cluster does not count: wait", "etcd-1", 3, NOPRE
	  t_raft_other_cluster, PEERS({ 0, K_ETCD }, { 2, K_REFUSED }), LIST(without1),
	  EI_ACT_WAIT, "no member of that cluster told its raft index", NULL, NULL, NULL, NULL, -1,
	  NULL },

	/* The force-new-cluster request. */
	{ "force request, nobody answers: restart forced", "etcd-1", 3, NOPRE t_force,
	  PEERS({ 0, K_REFUSED }, { 2, K_ABSENT }), NOLIST, EI_ACT_RESTART,
	  "one-shot request of etcd-init force-new-cluster, and no member answered: starting etcd "
	  "with --force-new-cluster", NULL, NULL, NULL, NULL, 1, NULL },
	{ "no request, nobody answers: plain restart", "etcd-1", 3, NOPRE t_wal_a1_flag3,
	  PEERS({ 0, K_REFUSED }, { 2, K_ABSENT }), NOLIST, EI_ACT_RESTART, "no member answered",
	  NULL, "force-new-cluster", NULL, "", 0, NULL },
	{ "force request, a trusted list names us: not taken", "etcd-1", 3, NOPRE t_force,
	  PEERS({ 0, K_ETCD }, { 2, K_ETCD }), LIST(healthy3), EI_ACT_RESTART, "in the member list",
	  NULL, "--force-new-cluster", NULL,
	  "the force-new-cluster request on this volume is not taken: cluster c1 has a current "
	  "member list", 0, NULL },
	{ "force request, only a peer API list of our cluster: forced", "etcd-1", 3, NOPRE t_force,
	  PEERS({ 0, K_ETCD_PEER }, { 2, K_ETCD_PEER }), LIST(healthy3), EI_ACT_RESTART,
	  "force-new-cluster, and only " H(0) "'s local member list", NULL, NULL, NULL, NULL, 1,
	  NULL },
	{ "no request, only a peer API list naming us: plain restart", "etcd-1", 3, NOPRE
	  t_wal_a1, PEERS({ 0, K_ETCD_PEER }, { 2, K_ETCD_PEER }), LIST(healthy3), EI_ACT_RESTART,
	  "which every member list names", NULL, NULL, NULL, NULL, 0, NULL },
	{ "force request, the WAL of another cluster: refused, not forced", "etcd-1", 3, NOPRE
	  t_force_other_cluster, PEERS({ 0, K_ETCD_PEER }, { 2, K_REFUSED }), LIST(healthy3),
	  EI_ACT_REFUSE, "another cluster", NULL, NULL, NULL, NULL, 0, NULL },
	{ "force request, WAL metadata unreadable, nobody answers: not forced", "etcd-1", 3,
	  NOPRE t_force_no_metadata, PEERS({ 0, K_REFUSED }, { 2, K_ABSENT }), NOLIST,
	  EI_ACT_RESTART, "no member answered", NULL, "--force-new-cluster", NULL, NULL, 0, NULL },
	{ "force request, WAL metadata unreadable: not forced", "etcd-1", 3, NOPRE
	  t_force_no_metadata, PEERS({ 0, K_ETCD_PEER }, { 2, K_REFUSED }), LIST(healthy3),
	  EI_ACT_RESTART, "could not be read", NULL, "--force-new-cluster", NULL, NULL, 0, NULL },

	/* The plan says what run does: a change goes through a started voter. */
	{ "trusted list without us from a learner only: wait, not join", "etcd-4", 3, NOPRE NULL,
	  PEERS({ 0, K_REFUSED }, { 1, K_REFUSED }, { 2, K_REFUSED }, { 3, K_ETCD }),
	  LIST(learner3_started), EI_ACT_WAIT,
	  "adding ourselves: the member list of cluster c1 is current", "no started voter answered",
	  NULL, NULL, NULL, -1, "" },
	{ "the same with a voter answering: the learner is waited for (one at a time)", "etcd-4",
	  3, NOPRE NULL, PEERS({ 0, K_ETCD }, { 1, K_REFUSED }, { 2, K_REFUSED }, { 3, K_ETCD }),
	  LIST(learner3_started), EI_ACT_WAIT,
	  "member a3 (etcd-3) is a learner of cluster c1 and etcd takes one learner at a time",
	  NULL, NULL, NULL, NULL, -1, "" },
	{ "our old member, only a learner answers: wait, not replace", "etcd-1", 3, NOPRE NULL,
	  PEERS({ 0, K_REFUSED }, { 2, K_REFUSED }, { 3, K_ETCD }), LIST(learner3_started),
	  EI_ACT_WAIT, "replacing our old member: ", "no started voter answered", NULL, NULL, NULL,
	  -1, "" },
	{ "our old member, a voter answers: replace through it", "etcd-1", 3, NOPRE NULL,
	  PEERS({ 0, K_REFUSED }, { 2, K_ETCD }, { 3, K_ETCD }), LIST(learner3_started),
	  EI_ACT_REPLACE, "data is lost", NULL, NULL, NULL, NULL, -1, C(2) },
};

static void run_xrows(void)
{
	for (size_t i = 0; i < N(xrows); i++) {
		const struct xrow *r = &xrows[i];
		struct ei_config cfg;
		struct fixture x;
		struct ei_plan plan;
		struct ei_err err = { 0 };
		unsigned failed = tap_failed;
		int rc;

		config_for(&cfg, r->name, r->size, false);
		if (r->pre)
			r->pre(&cfg);
		build(&x, &cfg, r->peers, r->n_peers, r->list, r->n_list, 0xc1);
		add_host(&x, "etcd-0.etcd", "10.0.0.10");
		add_host(&x, "etcd-1.etcd", "10.0.0.11");
		add_host(&x, "etcd-2.etcd", "10.0.0.12");
		if (r->tweak)
			r->tweak(&cfg, &x);
		rc = ei_plan_decide(&cfg, &x.f, &plan, &err);
		tap_ok(rc == 0 && plan.action == r->action, "%s: %s", r->what,
		       ei_action_name(plan.action));
		if (r->reason_has)
			tap_ok(strstr(plan.reason, r->reason_has) != NULL, "%s: reason says \"%s\"",
			       r->what, r->reason_has);
		if (r->reason_has2)
			tap_ok(strstr(plan.reason, r->reason_has2) != NULL,
			       "%s: reason says \"%s\"", r->what, r->reason_has2);
		if (r->reason_lacks)
			tap_ok(strstr(plan.reason, r->reason_lacks) == NULL,
			       "%s: reason does not say \"%s\"", r->what, r->reason_lacks);
		if (r->alert_has)
			tap_ok(strstr(plan.alert, r->alert_has) != NULL, "%s: alert says \"%s\"",
			       r->what, r->alert_has);
		else
			tap_ok(!plan.alert[0], "%s: no alert", r->what);
		if (r->notice_has && r->notice_has[0])
			tap_ok(strstr(plan.notice, r->notice_has) != NULL, "%s: notice says \"%s\"",
			       r->what, r->notice_has);
		else if (r->notice_has)
			tap_ok(!plan.notice[0], "%s: no notice", r->what);
		if (r->force >= 0)
			tap_ok(plan.force_new_cluster == (r->force == 1),
			       "%s: force-new-cluster %s", r->what,
			       r->force == 1 ? "taken" : "not taken");
		if (r->via)
			tap_streq(plan.via_url, r->via, "%s: via", r->what);
		if (tap_failed != failed)
			printf("#   reason: %s\n#   alert: %s\n#   notice: %s\n", plan.reason,
			       plan.alert, plan.notice);
		ei_plan_free(&plan);
		unbuild(&x);
	}
}

/* How a peer is described (diagnose and the wait log): a foreign cluster says so. */
static void describe_cases(void)
{
	struct ei_config cfg;
	struct fixture x;
	char buf[600];

	config_for(&cfg, "etcd-0", 3, false);
	build(&x, &cfg, PEERS({ 1, K_ETCD }), LIST(foreign_at1), 0xc1);
	t_foreign1(&cfg, &x);
	ei_plan_describe_peer(&cfg, &x.f, &x.peers[0], buf, sizeof(buf));
	tap_ok(strncmp(buf, "foreign: a foreign etcd answers at " H(1),
		       strlen("foreign: a foreign etcd answers at " H(1))) == 0 &&
		       strstr(buf, "has no member of this set (other-0 (http://10.0.0.11:2380))"),
	       "describe: a foreign cluster (%s)", buf);
	unbuild(&x);
	build(&x, &cfg, PEERS({ 1, K_ETCD }), LIST(healthy3), 0xc1);
	ei_plan_describe_peer(&cfg, &x.f, &x.peers[0], buf, sizeof(buf));
	tap_streq(buf, "etcd of cluster c1 (3 members, from its gateway)",
		  "describe: this set's cluster (control)");
	unbuild(&x);
	/* A foreign member's address needs a host entry to be the peer asked: without it the
	 * list is no evidence at all (unknown), never foreign. */
	build(&x, &cfg, PEERS({ 1, K_ETCD }), LIST(foreign_at1), 0xc1);
	x.peers[0].members.responder_id = 0xf1;
	ei_plan_describe_peer(&cfg, &x.f, &x.peers[0], buf, sizeof(buf));
	tap_ok(strncmp(buf, "unknown: ", 9) == 0 && strstr(buf, "is not the peer asked"),
	       "describe: a stranger's list not at the address asked is unknown (%s)", buf);
	unbuild(&x);
}

/* A membership change refused as "unhealthy cluster" by the voter it went through (its
 * own view of its links): the next goes through the next started voter, in turn, and
 * through the same one only when it is the only one. */
static void via_rotation(void)
{
	static const struct {
		uint64_t refused;
		const char *via;
		const char *what;
	} cases[] = {
		{ 0, C(0), "no refusal: the first started voter" },
		{ 0xa0, C(1), "etcd-0 refused: etcd-1" },
		{ 0xa1, C(2), "etcd-1 refused: etcd-2" },
		{ 0xa2, C(0), "etcd-2 refused: etcd-0 (in turn)" },
		{ 0xbeef, C(0), "a member no longer listed refused: the first" },
	};
	struct ei_config cfg;
	struct fixture x;
	struct ei_plan plan;
	struct ei_err err = { 0 };

	config_for(&cfg, "etcd-3", 3, false);
	for (size_t i = 0; i < N(cases); i++) {
		build(&x, &cfg,
		      PEERS({ 0, K_ETCD }, { 1, K_ETCD }, { 2, K_ETCD }, { 3, K_ABSENT, true }),
		      LIST(healthy3), 0xc1);
		x.f.via_refused_id = cases[i].refused;
		tap_ok(ei_plan_decide(&cfg, &x.f, &plan, &err) == 0 && plan.action == EI_ACT_JOIN,
		       "via rotation, %s: join", cases[i].what);
		tap_streq(plan.via_url, cases[i].via, "via rotation, %s: via", cases[i].what);
		ei_plan_free(&plan);
		unbuild(&x);
	}
	/* Only etcd-0 answers as a started voter: it is asked again. */
	build(&x, &cfg, PEERS({ 0, K_ETCD }, { 1, K_REFUSED }, { 2, K_REFUSED }, { 3, K_ABSENT, true }),
	      LIST(healthy3), 0xc1);
	x.f.via_refused_id = 0xa0;
	if (ei_plan_decide(&cfg, &x.f, &plan, &err) == 0 && plan.action == EI_ACT_JOIN)
		tap_streq(plan.via_url, C(0), "via rotation: the refused voter when it is the only one");
	else
		tap_ok(false, "via rotation: the only voter: %s (%s)", ei_action_name(plan.action),
		       plan.reason);
	ei_plan_free(&plan);
	unbuild(&x);
}

int main(void)
{
	tap_init();
	run_rows();
	via_rotation();
	special_cases();
	run_xrows();
	describe_cases();
	return tap_done();
}
