/* Unit tests for lib/diagtable.c: the rows of `etcd-init diagnose` and how they print,
 * from facts built by hand. Pod etcd-0 of a 3-member set (fixtures.h); each case starts
 * from a healthy cluster (etcd-1 the leader) and changes one thing. */
#include "diagprint.h"
#include "fixtures.h"
#include "tap.h"

#include <inttypes.h>

#include <json-c/json.h>

/* High bit set: IDs must print as unsigned hex, as etcdctl prints them. */
#define ID(i) (0xa000000000000000ull + (i))
#define CLUSTER 0xc1u
#define MAX_PEERS 4

struct world {
	struct ei_config cfg;
	struct ei_facts f;
	struct ei_peer peers[MAX_PEERS];
	struct ei_peer self;
	struct ei_diag_status st[MAX_PEERS + 1]; /* the peers, then self at [f.n_peers] */
	struct ei_tls_finding findings[2];
	struct ei_tls_report tls;
	struct ei_plan plan;
	uint64_t record_member, record_since_s, now_s; /* this pod's learner record */
};

static const struct member_spec three[] = {
	{ ID(0), "etcd-0", P(0), C(0), false },
	{ ID(1), "etcd-1", P(1), C(1), false },
	{ ID(2), "etcd-2", P(2), C(2), false },
};

/* Pod i of the set, an etcd that answered every question with the three members. */
static void etcd_peer(struct ei_peer *p, struct ei_diag_status *s, unsigned i)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->host, sizeof(p->host), "etcd-%u.etcd.ns.svc.cluster.local", i);
	p->ordinal = (int)i;
	p->initial = i < 3;
	p->in_srv = true;
	p->dns = EI_DNS_FOUND;
	p->n_addrs = 1;
	snprintf(p->addrs[0], sizeof(p->addrs[0]), "10.0.0.%u", 10 + i);
	snprintf(p->client_url, sizeof(p->client_url), "http://%s:2379", p->host);
	snprintf(p->peer_url, sizeof(p->peer_url), "http://%s:2380", p->host);
	p->list.outcome = EI_OUTCOME_VALID;
	make_list(&p->members, CLUSTER, ID(i), three, N(three));
	p->linearizable = true;
	p->peer_list.outcome = EI_OUTCOME_VALID;
	make_list(&p->peer_members, CLUSTER, 0, three, N(three));
	p->version.outcome = EI_OUTCOME_VALID;
	strcpy(p->server_version, "3.5.16");
	p->status.outcome = EI_OUTCOME_HTTP_ERROR;
	p->status.http_status = 404;
	strcpy(p->status.detail, "HTTP 404");
	memset(s, 0, sizeof(*s));
	s->asked = s->answered = true;
	s->st.cluster_id = CLUSTER;
	s->st.member_id = ID(i);
	s->st.leader = ID(1);
	s->st.raft_index = 42 + i;
	strcpy(s->st.version, "3.5.16");
}

/* Nothing answered: every question got `o` with `detail`. */
static void silent(struct ei_peer *p, struct ei_diag_status *s, enum ei_outcome o,
		   const char *detail)
{
	struct ei_answer *a[] = { &p->list, &p->peer_list, &p->version, &p->status };

	ei_member_list_free(&p->members);
	ei_member_list_free(&p->peer_members);
	p->server_version[0] = '\0';
	for (size_t i = 0; i < N(a); i++) {
		memset(a[i], 0, sizeof(*a[i]));
		a[i]->outcome = o;
		snprintf(a[i]->detail, sizeof(a[i]->detail), "%s", detail);
	}
	memset(s, 0, sizeof(*s));
}

static void world_init(struct world *w)
{
	memset(w, 0, sizeof(*w));
	config_for(&w->cfg, "etcd-0", 3, false);
	w->f.peers = w->peers;
	w->f.n_peers = 2;
	w->f.srv_status = EI_DNS_FOUND;
	w->f.n_srv_targets = 3;
	w->f.n_own_addrs = 1;
	strcpy(w->f.own_addrs[0], "10.0.0.10");
	strcpy(w->f.datadir.wal_dir, "/data/member/wal");
	w->f.datadir.has_wal = w->f.datadir.has_metadata = true;
	w->f.datadir.member_id = ID(0);
	w->f.datadir.cluster_id = CLUSTER;
	etcd_peer(&w->self, &w->st[2], 0);
	etcd_peer(&w->peers[0], &w->st[0], 1);
	etcd_peer(&w->peers[1], &w->st[1], 2);
	w->plan.action = EI_ACT_RESTART;
	strcpy(w->plan.reason, "we are member a000000000000000 in the member list");
}

/* Move self's status to its place after a change of f.n_peers. */
static void add_peer(struct world *w)
{
	w->st[w->f.n_peers + 1] = w->st[w->f.n_peers];
	w->f.n_peers++;
}

static void world_free(struct world *w)
{
	ei_member_list_free(&w->self.members);
	ei_member_list_free(&w->self.peer_members);
	for (size_t i = 0; i < MAX_PEERS; i++) {
		ei_member_list_free(&w->peers[i].members);
		ei_member_list_free(&w->peers[i].peer_members);
	}
}

static void c_healthy(struct world *w)
{
	w->cfg.auth_password = "s3cret-password";
}

static void c_down(struct world *w)
{
	silent(&w->peers[1], &w->st[1], EI_OUTCOME_REFUSED, "Connection refused");
}

static void c_no_dns(struct world *w)
{
	silent(&w->peers[1], &w->st[1], EI_OUTCOME_NOT_ASKED, "");
	w->peers[1].dns = EI_DNS_NOTFOUND;
	w->peers[1].n_addrs = 0;
	w->peers[1].in_srv = false;
	strcpy(w->peers[1].dns_error, "Domain name not found");
}

/* etcd-3 (an SRV target) is a waiting etcd-init. */
static void c_waiting(struct world *w)
{
	struct ei_peer *p = &w->peers[2];

	w->cfg.initial_cluster_size = 3;
	add_peer(w);
	etcd_peer(p, &w->st[2], 3);
	silent(p, &w->st[2], EI_OUTCOME_REFUSED, "Connection refused");
	p->status.outcome = EI_OUTCOME_VALID;
	strcpy(p->status.detail, "HTTP 200");
	strcpy(p->init.name, "etcd-3");
	strcpy(p->init.peer_url, P(3));
	p->init.initial_cluster_size = 5;
	strcpy(p->init.token, "etcd-ns");
	strcpy(p->init.action, "wait");
	strcpy(p->init.reason, "no WAL and no cluster answered: etcd-4 does not resolve");
}

/* The list names etcd-3 as an unstarted member (added, never started); its host does
 * not resolve, so no row asked it. */
static void c_unstarted(struct world *w)
{
	static const struct member_spec four[] = {
		{ ID(0), "etcd-0", P(0), C(0), false },
		{ ID(1), "etcd-1", P(1), C(1), false },
		{ ID(2), "etcd-2", P(2), C(2), false },
		{ ID(3), NULL, P(3), NULL, true },
	};

	ei_member_list_free(&w->peers[0].members);
	make_list(&w->peers[0].members, CLUSTER, ID(1), four, N(four));
}

static void c_no_leader(struct world *w)
{
	for (size_t i = 0; i < 3; i++)
		w->st[i].st.leader = 0;
}

static void c_status_fails(struct world *w)
{
	w->st[1].answered = false;
	strcpy(w->st[1].error, "status on http://etcd-2...: no answer: timeout");
}

static void c_tls(struct world *w)
{
	struct ei_tls_finding *x = w->findings;

	x[0].level = EI_TLS_OK;
	strcpy(x[0].check, "dates");
	strcpy(x[0].file, "/tls/server.crt");
	strcpy(x[0].setting, "ETCD_CERT_FILE");
	strcpy(x[0].message, "/tls/server.crt: valid until 2030-01-01");
	x[1].level = EI_TLS_FAIL;
	strcpy(x[1].check, "names");
	strcpy(x[1].file, "/tls/peer.crt");
	strcpy(x[1].setting, "ETCD_PEER_CERT_FILE");
	strcpy(x[1].message, "/tls/peer.crt does not cover etcd-0.etcd");
	w->tls.findings = x;
	w->tls.n = w->tls.cap = 2;
	w->plan.action = EI_ACT_WAIT;
	strcpy(w->plan.reason, "waiting for etcd-2");
	strcpy(w->plan.alert, "quorum lost");
}

/* Every list names member `learner` a learner. */
static void lists_with_learner(struct world *w, unsigned learner)
{
	struct member_spec specs[3];
	struct ei_peer *p[] = { &w->self, &w->peers[0], &w->peers[1] };

	memcpy(specs, three, sizeof(specs));
	specs[learner].learner = true;
	for (size_t i = 0; i < N(p); i++) {
		uint64_t responder = p[i]->members.responder_id;

		ei_member_list_free(&p[i]->members);
		ei_member_list_free(&p[i]->peer_members);
		make_list(&p[i]->members, CLUSTER, responder, specs, N(specs));
		make_list(&p[i]->peer_members, CLUSTER, 0, specs, N(specs));
	}
}

/* etcd-2 is a learner at applied index 30; the leader (etcd-1) is at 43. */
static void c_learner_behind(struct world *w)
{
	lists_with_learner(w, 2);
	w->st[1].st.is_learner = true;
	w->st[1].st.raft_applied_index = 30;
	w->record_member = ID(2); /* another pod's record is not read here: never shown */
	w->record_since_s = 1;
	w->now_s = 100;
}

/* This pod is a learner whose etcd does not answer yet (it has not caught up): its WAL
 * reaches index 40, the leader is at 43, and its learner record says since 125 s. */
static void c_self_learner_silent(struct world *w)
{
	lists_with_learner(w, 0);
	w->st[2].answered = false;
	strcpy(w->st[2].error, "timeout");
	w->f.datadir.has_position = true;
	w->f.datadir.position.index = 40;
	w->record_member = ID(0);
	w->record_since_s = 1000;
	w->now_s = 1125;
}

/* Row expectations, as the JSON has them ("null" for null). */
struct expect {
	size_t row;
	const char *key;
	const char *want;
};

struct tcase {
	const char *name;
	void (*setup)(struct world *w);
	size_t rows;
	struct expect json[8];
	const char *text[6];    /* substrings of the text output */
	const char *no_text[3]; /* must not appear (text or JSON) */
};

static const struct tcase cases[] = {
	{ .name = "healthy", .setup = c_healthy, .rows = 3,
	  .json = { { 0, "host", "etcd-0.etcd.ns.svc.cluster.local" }, { 0, "self", "true" },
		    { 0, "member_id", "a000000000000000" }, { 1, "leader", "true" },
		    { 2, "leader", "false" }, { 2, "raft_index", "44" }, { 2, "healthy", "true" },
		    { 1, "version", "3.5.16" } },
	  .text = { "etcd-0 (self)  10.0.0.10",
		    "a000000000000001  etcd-1  started  healthy  3.5.16   yes",
		    "decision: restart: we are member",
		    "data dir: /data: WAL of member a000000000000000 in cluster c1",
		    "certificates: none configured" },
	  .no_text = { "notes:", "s3cret" } },
	{ .name = "down", .setup = c_down, .rows = 3,
	  .json = { { 2, "outcome", "refused" }, { 2, "reachable", "false" },
		    { 2, "member_id", "a000000000000002" }, { 2, "state", "started" },
		    { 2, "healthy", "false" }, { 2, "raft_index", "null" } },
	  .text = { "etcd-2         10.0.0.12  yes  refused",
		    "notes:\n  etcd-2: status refused: Connection refused; member list refused" } },
	{ .name = "no DNS", .setup = c_no_dns, .rows = 3,
	  .json = { { 2, "outcome", "not-asked" }, { 2, "srv", "false" },
		    { 2, "member_id", "a000000000000002" } },
	  .text = { "etcd-2         not-found  no   not-asked",
		    "etcd-2: does not resolve (not-found: Domain name not found)" } },
	{ .name = "waiting etcd-init", .setup = c_waiting, .rows = 4,
	  .json = { { 3, "host", "etcd-3.etcd.ns.svc.cluster.local" }, { 3, "outcome", "valid" },
		    { 3, "member_id", "null" }, { 3, "healthy", "false" },
		    { 3, "initial", "false" } },
	  .text = { "etcd-3         10.0.0.13  yes  valid  wait",
		    "etcd-3: etcd-init wait: no WAL and no cluster answered: etcd-4 does not "
		    "resolve" } },
	{ .name = "unstarted member listed only", .setup = c_unstarted, .rows = 4,
	  .json = { { 3, "host", "etcd-3.etcd.ns.svc.cluster.local" }, { 3, "asked", "false" },
		    { 3, "state", "unstarted" }, { 3, "learner", "true" },
		    { 3, "member_id", "a000000000000003" }, { 3, "from_member_list", "true" } },
	  .text = { "etcd-3         -          -    not-asked  -          a000000000000003  "
		    "-       unstarted-learner",
		    "etcd-3: named in the member list of etcd-1.etcd.ns.svc.cluster.local, not "
		    "asked: never started (no client URL)" } },
	{ .name = "no leader", .setup = c_no_leader, .rows = 3,
	  .json = { { 0, "healthy", "false" }, { 0, "leader", "false" },
		    { 0, "leader_id", "null" } },
	  .text = { "no-leader  3.5.16   none", "etcd-0 (self): answers without a leader" } },
	{ .name = "status call fails", .setup = c_status_fails, .rows = 3,
	  .json = { { 2, "healthy", "false" }, { 2, "outcome", "valid" }, { 2, "leader", "null" } },
	  .text = { "etcd-2: maintenance status: status on http://etcd-2...: no answer: "
		    "timeout" } },
	{ .name = "a learner behind the leader", .setup = c_learner_behind, .rows = 3,
	  .json = { { 2, "learner", "true" }, { 2, "learner_index", "30" },
		    { 2, "learner_behind", "13" }, { 2, "learner_for_s", "null" },
		    { 1, "learner_index", "null" }, { 1, "learner_behind", "null" } },
	  .text = { "30 (13 behind)", "etcd-2: a learner: applied 30, 13 behind the leader",
		    "how long it has been a learner: etcd-init diagnose in its pod" } },
	{ .name = "this pod a learner, its etcd silent", .setup = c_self_learner_silent, .rows = 3,
	  .json = { { 0, "learner", "true" }, { 0, "learner_index", "40" },
		    { 0, "learner_behind", "3" }, { 0, "learner_for_s", "125" } },
	  .text = { "40 (3 behind)",
		    "a learner: its WAL reaches (its etcd does not answer) 40, 3 behind the leader",
		    "a learner for 125 s (its learner record)" } },
	{ .name = "certificates and an alert", .setup = c_tls, .rows = 3,
	  .json = { { 0, "healthy", "true" } },
	  .text = { "certificates: 2 checks, worst fail\n  ok   dates /tls/server.crt: valid until",
		    "  fail names /tls/peer.crt does not cover etcd-0.etcd\n",
		    "decision: wait: waiting for etcd-2\nalert: quorum lost\n" } },
};

static char *print(const struct ei_diag_facts *in, const struct ei_diag_table *t)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	ei_diag_print(out, in, t);
	fclose(out);
	return buf;
}

/* A JSON value as text: strings bare, null as "null". */
static const char *jtext(json_object *o)
{
	return o ? json_object_get_string(o) : "null";
}

static void check_json(const struct tcase *c, const char *out)
{
	json_object *obj = json_tokener_parse(out), *peers = NULL, *v;

	tap_ok(obj && json_object_object_get_ex(obj, "peers", &peers) &&
		       json_object_array_length(peers) == c->rows,
	       "%s: JSON with %zu peers", c->name, c->rows);
	if (!peers) {
		json_object_put(obj);
		return;
	}
	for (size_t i = 0; i < N(c->json) && c->json[i].key; i++) {
		const struct expect *e = &c->json[i];
		json_object *row = json_object_array_get_idx(peers, e->row);

		v = NULL;
		if (row)
			json_object_object_get_ex(row, e->key, &v);
		tap_streq(row ? jtext(v) : "(no row)", e->want, "%s: JSON peers[%zu].%s", c->name,
			  e->row, e->key);
	}
	tap_ok(json_object_object_get_ex(obj, "data_dir", &v) &&
		       json_object_object_get_ex(v, "member_id", &v) &&
		       !strcmp(json_object_get_string(v), "a000000000000000"),
	       "%s: JSON data_dir.member_id", c->name);
	tap_ok(json_object_object_get_ex(obj, "decision", &v) &&
		       json_object_object_get_ex(v, "action", &v) && json_object_get_string(v)[0],
	       "%s: JSON decision.action", c->name);
	tap_ok(json_object_object_get_ex(obj, "certificates", &v) &&
		       json_object_is_type(v, json_type_array),
	       "%s: JSON certificates", c->name);
	json_object_put(obj);
}

int main(void)
{
	tap_init();
	for (size_t k = 0; k < N(cases); k++) {
		const struct tcase *c = &cases[k];
		struct world *w = calloc(1, sizeof(*w));
		struct ei_diag_table t;
		struct ei_diag_facts in;
		struct ei_err err = { 0 };
		char *text, *json;

		world_init(w);
		c->setup(w);
		in = (struct ei_diag_facts){
			.cfg = &w->cfg,
			.facts = &w->f,
			.self = &w->self,
			.own_ok = true,
			.pod_addrs = "10.0.0.10",
			.srv_name = "_etcd-server._tcp.etcd.ns.svc.cluster.local",
			.status = w->st,
			.tls = &w->tls,
			.plan = &w->plan,
			.own_learner_member = w->record_member,
			.own_learner_since_s = w->record_since_s,
			.now_s = w->now_s,
		};
		tap_ok(ei_diag_table_build(&in, &t, &err) == 0 && t.n == c->rows, "%s: %zu rows",
		       c->name, c->rows);
		for (size_t i = 0; i < t.n && i < 3; i++)
			tap_ok(t.rows[i].ordinal == (int)i, "%s: row %zu is ordinal %zu", c->name,
			       i, i);
		w->cfg.output = EI_OUTPUT_TEXT;
		text = print(&in, &t);
		w->cfg.output = EI_OUTPUT_JSON;
		json = print(&in, &t);
		for (size_t i = 0; i < N(c->text) && c->text[i]; i++) {
			bool has = strstr(text, c->text[i]) != NULL;
			char what[41];

			/* One TAP line: the expected text's newlines shown as '|'. */
			snprintf(what, sizeof(what), "%s", c->text[i]);
			for (char *q = what; *q; q++)
				*q = *q == '\n' ? '|' : *q;
			tap_ok(has, "%s: text has \"%s\"", c->name, what);
			if (!has)
				printf("# text:\n%s", text);
		}
		for (size_t i = 0; i < N(c->no_text) && c->no_text[i]; i++)
			tap_ok(!strstr(text, c->no_text[i]) && !strstr(json, c->no_text[i]),
			       "%s: no \"%s\"", c->name, c->no_text[i]);
		check_json(c, json);
		free(text);
		free(json);
		ei_diag_table_free(&t);
		world_free(w);
		free(w);
	}
	return tap_done();
}
