/* etcdclient.c - the questions to etcd members (see etcdclient.h), each asked through
 * etcdcall.c's batch.
 *
 * Member list consistency: {} is served from the answering member's local, possibly
 * stale state; {"linearizable":true} (3.5+, ignored by 3.4) goes through raft and fails
 * without quorum (server/etcdserver/server.go LinearizableReadNotify; etcdctl asks so
 * from 3.5, client/v3/cluster.go MemberList). We ask linearizably first, with
 * "Grpc-Metadata-hasleader: true" (fails at once without a leader:
 * server/etcdserver/api/v3rpc/interceptor.go newUnaryInterceptor) and a Grpc-Timeout of
 * half the request timeout (so etcd answers before we give up). If that endpoint
 * answers "unhealthy" it is asked once more with {}: a launcher must still see that a
 * cluster exists when it has lost quorum (and plan.c never trusts that list for a
 * destructive step). */
#include "etcdclient.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "etcdcall.h"
#include "http.h"
#include "json.h"
#include "log.h"

static void answer_malformed(struct ei_answer *a, const char *why)
{
	a->outcome = EI_OUTCOME_MALFORMED;
	snprintf(a->detail, sizeof(a->detail), "%s", why);
}

/* {"etcdserver":"3.5.9","etcdcluster":"3.5.0"} -> "3.5.9". */
static int parse_version(const char *json, size_t len, char *out, size_t out_len,
			 struct ei_err *err)
{
	json_object *root, *v;
	int r;

	r = ei_json_parse(json, len, "version", json_type_object, &root, err);
	if (r < 0)
		return r;
	r = ei_json_field(root, "etcdserver", json_type_string, "a string", &v, "version", err);
	if (r == 0)
		r = ei_err_set(err, EI_E_PARSE, "version: no \"etcdserver\"");
	if (r > 0) {
		snprintf(out, out_len, "%s", json_object_get_string(v));
		r = 0;
	}
	json_object_put(root);
	return r;
}

/* A peer's questions of one round. */
struct survey_req {
	struct ei_call list, peer_list, version, status, raft;
	bool relisted; /* its list asked again without "linearizable" */
};
static void survey_read(const struct ei_etcd_client *c, struct ei_peer *p, struct survey_req *s,
			bool linearizable)
{
	struct ei_err perr = { 0 };

	ei_call_answer(c, &p->list, &s->list.http);
	if (p->list.outcome == EI_OUTCOME_VALID) {
		if (ei_members_parse_gateway(s->list.http.resp, s->list.http.resp_len, &p->members,
					     NULL, &perr) < 0)
			answer_malformed(&p->list, perr.msg);
		else
			p->linearizable = linearizable;
	}
	/* The peer API's answer was read as it came (survey_done). */
	if (!linearizable)
		return;
	ei_call_answer(c, &p->version, &s->version.http);
	if (p->version.outcome == EI_OUTCOME_VALID &&
	    parse_version(s->version.http.resp, s->version.http.resp_len, p->server_version,
			  sizeof(p->server_version), &perr) < 0)
		answer_malformed(&p->version, perr.msg);
	ei_call_answer(c, &p->status, &s->status.http);
	if (p->status.outcome == EI_OUTCOME_VALID &&
	    ei_status_parse(s->status.http.resp, s->status.http.resp_len, &p->init, &perr) < 0)
		answer_malformed(&p->status, perr.msg);
	ei_call_answer(c, &p->raft, &s->raft.http);
	if (p->raft.outcome == EI_OUTCOME_VALID &&
	    ei_members_parse_status(s->raft.http.resp, s->raft.http.resp_len, &p->raft_status,
				    &perr) < 0)
		answer_malformed(&p->raft, perr.msg);
}

struct survey_ctx {
	const struct ei_etcd_client *client;
	struct ei_peer *peers;
	struct survey_req *s;
	size_t n;
};

/* The peer API's answer is read as soon as it comes: a member that has not published
 * yet serves no client HTTP at all (server/embed/serve.go serve waits for ReadyNotify),
 * so when its own peer API lists it without client URLs, its gateway and /version will
 * not answer this round, and the round does not wait for them. */
static void survey_done(struct ei_http_req *r, void *ctx)
{
	struct survey_ctx *c = ctx;

	for (size_t i = 0; i < c->n; i++) {
		struct ei_peer *p = &c->peers[i];
		const struct ei_member *self;
		struct ei_err perr = { 0 };

		if (r != &c->s[i].peer_list.http)
			continue;
		ei_call_answer(c->client, &p->peer_list, r);
		if (p->peer_list.outcome != EI_OUTCOME_VALID)
			return;
		if (ei_members_parse_peer(r->resp, r->resp_len, r->cluster_id_hex, &p->peer_members,
					  &perr) < 0) {
			answer_malformed(&p->peer_list, perr.msg);
			return;
		}
		self = ei_member_list_find_peer_url(&p->peer_members, p->peer_url);
		if (self && self->n_client_urls == 0) {
			ei_http_req_cancel(&c->s[i].list.http,
					   "not asked: its peer API lists it without client URLs (an etcd that has not published serves no client requests)");
			ei_http_req_cancel(&c->s[i].version.http,
					   "not asked: it has not published (see its member list)");
			ei_http_req_cancel(&c->s[i].raft.http,
					   "not asked: it has not published (see its member list)");
		}
		return;
	}
}

static void survey_clear(struct survey_req *s)
{
	ei_call_clear(&s->list);
	ei_call_clear(&s->raft);
	ei_call_clear(&s->peer_list);
	ei_call_clear(&s->version);
	ei_call_clear(&s->status);
}

/* A token before the gateway is asked (auth-enabled etcd refuses member lists
 * without one since 3.4.42/3.5.28/3.6.9: CHANGELOG/CHANGELOG-3.6.md, CVE-2026-33413):
 * from any peer at once. */
static int survey_token(struct ei_etcd_client *c, struct ei_peer *peers, size_t n,
			struct ei_err *err)
{
	const char **endpoints = calloc(n ? n : 1, sizeof(*endpoints));
	const char **pins = calloc(n ? n : 1, sizeof(*pins));
	struct ei_etcd_result res;
	size_t k = 0;
	int r = 0;

	if (!endpoints || !pins) {
		free(endpoints);
		free(pins);
		return ei_err_set(err, EI_E_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		if (peers[i].not_peer[0] || !peers[i].client_pin[0])
			continue;
		endpoints[k] = peers[i].client_url;
		pins[k++] = peers[i].client_pin;
	}
	if (k) {
		struct ei_err aerr = { 0 };

		r = ei_call_authenticate(c, endpoints, pins, k, &res, &aerr);
		if (r == EI_E_SIGNAL || r == EI_E_NOMEM) {
			*err = aerr;
		} else {
			if (r < 0)
				ei_log_debug("no auth token this round", "error=%s", aerr.msg);
			r = 0;
		}
	}
	free(endpoints);
	free(pins);
	return r;
}

/* A peer's five questions, into calls: its member list (linearizable, failing at once
 * without a leader, within half the request time: see the top of this file) and raft
 * position (the maintenance status, served by learners too) over the gateway, its peer
 * API's list, its /version and its etcd-init status. Returns how many. */
static size_t survey_setup(const struct ei_etcd_client *c, const struct ei_peer *p,
			   const char *status_path, struct survey_req *s, struct ei_call **calls)
{
	long half = ei_call_request_ms(c) / 2;

	ei_call_post(&s->list, p->client_url, p->client_pin, "/v3/cluster/member/list",
		     "{\"linearizable\":true}", half, true);
	ei_call_get(&s->peer_list, EI_CALL_PEER_PORT, p->peer_url, p->peer_pin, "/members");
	ei_call_get(&s->version, EI_CALL_CLIENT_PORT, p->client_url, p->client_pin, "/version");
	ei_call_get(&s->status, EI_CALL_PEER_PORT, p->peer_url, p->peer_pin, status_path);
	ei_call_post(&s->raft, p->client_url, p->client_pin, "/v3/maintenance/status", "{}", half,
		     false);
	calls[0] = &s->list;
	calls[1] = &s->peer_list;
	calls[2] = &s->version;
	calls[3] = &s->status;
	calls[4] = &s->raft;
	return 5;
}

/* Read every asked peer's answers. A linearizable list that failed as "unhealthy" is
 * asked again for the local list (one batch for all such peers), and that is read. */
static int survey_relist(struct ei_etcd_client *c, struct ei_peer *peers, size_t n,
			 struct survey_req *s, struct ei_call **calls, struct ei_err *err)
{
	struct ei_call_batch b = { .calls = calls };
	int r;

	for (size_t i = 0; i < n; i++) {
		if (!s[i].list.endpoint)
			continue;
		survey_read(c, &peers[i], &s[i], true);
		/* Not asked again this round: the next round authenticates anew. */
		if (ei_call_token_rejected(c, peers[i].list.failure, peers[i].list.detail))
			ei_log_info("etcd rejected the auth token; authenticating again next round", "endpoint=%s", peers[i].list.url);
		if (peers[i].list.outcome == EI_OUTCOME_HTTP_ERROR &&
		    peers[i].list.failure == EI_ETCD_FAIL_UNHEALTHY) {
			ei_log_debug("linearizable member list failed, asking for the local list",
				     "url=%s detail=%s", peers[i].list.url, peers[i].list.detail);
			ei_call_clear(&s[i].list);
			ei_call_post(&s[i].list, peers[i].client_url, peers[i].client_pin,
				     "/v3/cluster/member/list", "{}", ei_call_request_ms(c), false);
			calls[b.n++] = &s[i].list;
			s[i].relisted = true;
		}
	}
	r = ei_call_batch_ask(c, &b, err);
	for (size_t i = 0; r == 0 && i < n; i++)
		if (s[i].relisted)
			survey_read(c, &peers[i], &s[i], false);
	return r;
}

/* The status path with what we say of ourselves as its query (status.h), into buf;
 * the bare path when there is nothing to say or it does not fit (never cut short: the
 * server takes only a query with every key). */
static void status_path(const struct ei_status_claim *self, char *buf, size_t len)
{
	char size[16], query[EI_CALL_PATH_MAX - sizeof(EI_STATUS_PATH) - 1];
	const char *kv[] = {
		"name", self ? self->name : "", "peer_url", self ? self->peer_url : "",
		"initial_cluster_size", size, "initial_cluster_token", self ? self->token : "",
		"has_wal", self && self->has_wal ? "true" : "false",
	};

	snprintf(buf, len, "%s", EI_STATUS_PATH);
	if (!self)
		return;
	snprintf(size, sizeof(size), "%u", self->initial_cluster_size);
	if (ei_http_query(query, sizeof(query), kv, sizeof(kv) / sizeof(kv[0]) / 2))
		snprintf(buf, len, "%s?%s", EI_STATUS_PATH, query);
}

int ei_etcd_survey(struct ei_etcd_client *c, struct ei_peer *peers, size_t n,
		   const struct ei_status_claim *self, struct ei_err *err)
{
	struct survey_ctx ctx = { .client = c, .peers = peers, .n = n };
	struct ei_call_batch b = { .on_done = survey_done, .ctx = &ctx };
	struct survey_req *s;
	struct ei_call **calls;
	char path[EI_CALL_PATH_MAX];
	int r;

	if (ei_etcd_needs_token(c) && (r = survey_token(c, peers, n, err)) < 0)
		return r;
	s = calloc(n ? n : 1, sizeof(*s));
	calls = calloc(5 * (n ? n : 1), sizeof(*calls));
	if (!s || !calls) {
		r = ei_err_set(err, EI_E_NOMEM, "out of memory");
		goto out;
	}
	ctx.s = s;
	b.calls = calls;
	status_path(self, path, sizeof(path));
	for (size_t i = 0; i < n; i++) {
		const struct ei_peer *p = &peers[i];

		if (!p->not_peer[0] && p->client_pin[0] && p->peer_pin[0])
			b.n += survey_setup(c, p, path, &s[i], calls + b.n);
	}
	r = ei_call_batch_ask(c, &b, err);
	if (r == 0)
		r = survey_relist(c, peers, n, s, calls, err);
out:
	for (size_t i = 0; s && i < n; i++)
		survey_clear(&s[i]);
	free(s);
	free(calls);
	return r;
}

/* A member list question: what it is called, over which API, and where it goes. */
struct list_ask {
	const char *what;
	bool peer;
	struct ei_member_list *out;
};

/* The first valid list in endpoint order; b->res: the last answer read. */
static int list_read(struct ei_etcd_client *c, struct ei_call_batch *b, struct ei_err *err)
{
	struct list_ask *l = b->ctx;
	struct ei_etcd_result *res = b->res;

	ei_member_list_free(l->out);
	for (size_t i = 0; i < b->n; i++) {
		const struct ei_http_req *h = &b->calls[i]->http;
		struct ei_err perr = { 0 };

		ei_call_result(c, res, h, b->calls[i]->endpoint);
		if (h->outcome != EI_OUTCOME_VALID)
			continue;
		if ((l->peer ? ei_members_parse_peer(h->resp, h->resp_len, h->cluster_id_hex, l->out,
						     &perr)
			     : ei_members_parse_gateway(h->resp, h->resp_len, l->out, NULL, &perr)) == 0)
			return 0;
		res->outcome = EI_OUTCOME_MALFORMED;
		res->failure = EI_ETCD_FAIL_BAD_ANSWER;
		snprintf(res->message, sizeof(res->message), "%s", perr.msg);
	}
	return ei_err_set(err, EI_E_UNAVAILABLE, "%s: no endpoint answered (last: %s: %s)", l->what,
			  res->endpoint, res->message);
}

static int list_members(struct ei_etcd_client *c, bool peer, const char *const *endpoints,
			const char *const *pins, size_t n, struct ei_member_list *out,
			struct ei_etcd_result *res, struct ei_err *err)
{
	struct list_ask l = { peer ? "peer member list" : "member list", peer, out };
	struct ei_etcd_result local;
	/* Recent etcd refuses the gateway's list without a token (since 3.4.42, 3.5.28,
	 * 3.6.9: CHANGELOG/CHANGELOG-3.6.md, CVE-2026-33413); the peer API takes none. */
	struct ei_call_batch b = { .n = n,
				   .token = peer ? EI_CALL_TOKEN_NONE : EI_CALL_TOKEN_TRY,
				   .retry_token = !peer,
				   .read = list_read,
				   .ctx = &l,
				   .res = res ? res : &local };
	struct ei_call *g;
	int r;

	memset(out, 0, sizeof(*out));
	memset(b.res, 0, sizeof(*b.res));
	if (n == 0)
		return ei_err_set(err, EI_E_USAGE, "%s: no endpoint to ask", l.what);
	g = calloc(n, sizeof(*g));
	b.calls = calloc(n, sizeof(*b.calls));
	if (!g || !b.calls) {
		free(g);
		free(b.calls);
		return ei_err_set(err, EI_E_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		const char *pin = pins ? pins[i] : NULL;

		if (peer)
			ei_call_get(&g[i], EI_CALL_PEER_PORT, endpoints[i], pin, "/members");
		else
			ei_call_post(&g[i], endpoints[i], pin, "/v3/cluster/member/list", "{}",
				     ei_call_request_ms(c), false);
		b.calls[i] = &g[i];
	}
	r = ei_call_batch_ask(c, &b, err);
	for (size_t i = 0; i < n; i++)
		ei_call_clear(&g[i]);
	free(g);
	free(b.calls);
	if (r < 0)
		ei_member_list_free(out);
	return r;
}

int ei_etcd_member_list(struct ei_etcd_client *c, const char *const *endpoints,
			const char *const *pins, size_t n, struct ei_member_list *out,
			struct ei_etcd_result *res, struct ei_err *err)
{
	return list_members(c, false, endpoints, pins, n, out, res, err);
}

int ei_etcd_member_list_peer(struct ei_etcd_client *c, const char *const *peer_urls,
			     const char *const *pins, size_t n, struct ei_member_list *out,
			     struct ei_etcd_result *res, struct ei_err *err)
{
	return list_members(c, true, peer_urls, pins, n, out, res, err);
}

/* What a single call is called in its messages ("member add"). */
struct one_ask {
	const char *what;
};

/* A single call's answer: 0 with the 2xx body, or the error for its failure. */
static int one_read(struct ei_etcd_client *c, struct ei_call_batch *b, struct ei_err *err)
{
	const struct ei_call *g = b->calls[0];
	const struct ei_http_req *req = &g->http;
	const char *what = ((const struct one_ask *)b->ctx)->what;
	struct ei_etcd_result *res = b->res;
	char answered[48];

	ei_call_result(c, res, req, g->endpoint);
	if (req->outcome == EI_OUTCOME_VALID)
		return 0;
	if (req->outcome == EI_OUTCOME_HTTP_ERROR)
		return ei_err_set(err, EI_E_CLUSTER, "%s on %s: etcd answered %s (%s): %s", what,
				  g->endpoint, ei_call_status_text(req, answered, sizeof(answered)),
				  ei_etcd_failure_name(res->failure), res->message);
	if (req->outcome == EI_OUTCOME_MALFORMED)
		return ei_err_set(err, EI_E_PARSE, "%s on %s: %s", what, g->endpoint, res->message);
	return ei_err_set(err, EI_E_UNAVAILABLE, "%s on %s: no answer: %s", what, g->endpoint,
			  res->message);
}

/* One POST to one member, with a token (it must have one when auth is on) and both
 * retry rules (ei_call_batch_ask). Returns 0 with the 2xx body in g (which the caller
 * clears in every case), or the error for the failure in res. */
static int call_member(struct ei_etcd_client *c, struct ei_call *g, const char *what,
		       const char *endpoint, const char *pin, const char *path, const char *body,
		       struct ei_etcd_result *res, struct ei_err *err)
{
	struct one_ask ask = { what };
	struct ei_call_batch b = { .calls = &g,
				   .n = 1,
				   .token = EI_CALL_TOKEN_NEED,
				   .retry_token = true,
				   .read = one_read,
				   .ctx = &ask,
				   .res = res };

	ei_call_post(g, endpoint, pin, path, body, ei_call_request_ms(c), false);
	return ei_call_batch_ask(c, &b, err);
}

/* {"peerURLs":["<url>"],"isLearner":true}, escaped by json-c. */
static char *add_body(const char *peer_url, bool learner)
{
	json_object *o = json_object_new_object();
	json_object *urls = json_object_new_array();
	char *body = NULL;

	if (o && urls && json_object_array_add(urls, json_object_new_string(peer_url)) == 0) {
		json_object_object_add(o, "peerURLs", urls);
		urls = NULL;
		if (learner)
			json_object_object_add(o, "isLearner", json_object_new_boolean(1));
		body = strdup(json_object_to_json_string_ext(
			o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	}
	json_object_put(urls);
	json_object_put(o);
	return body;
}

int ei_etcd_member_add(struct ei_etcd_client *c, const char *endpoint, const char *pin,
		       const char *peer_url, bool learner, struct ei_member *added,
		       struct ei_member_list *members, struct ei_etcd_result *res,
		       struct ei_err *err)
{
	struct ei_member added_local;
	struct ei_member_list list_local;
	struct ei_etcd_result res_local;
	struct ei_call g;
	char *body = add_body(peer_url, learner);
	int ret;

	if (!added)
		added = &added_local;
	if (!members)
		members = &list_local;
	if (!res)
		res = &res_local;
	memset(added, 0, sizeof(*added));
	memset(members, 0, sizeof(*members));
	memset(&g, 0, sizeof(g));
	if (!body)
		return ei_err_set(err, EI_E_NOMEM, "out of memory");
	ret = call_member(c, &g, "member add", endpoint, pin, "/v3/cluster/member/add", body, res, err);
	if (ret == 0)
		ret = ei_members_parse_gateway(g.http.resp, g.http.resp_len, members, added, err);
	if (ret == 0 && added->id == 0) {
		ei_member_list_free(members);
		ret = ei_err_set(err, EI_E_PARSE, "member add: no \"member\" in the answer");
	}
	if (ret == EI_E_PARSE) {
		res->failure = EI_ETCD_FAIL_BAD_ANSWER;
		snprintf(res->message, sizeof(res->message), "%s", err ? err->msg : "bad answer");
	}
	ei_call_clear(&g);
	free(body);
	if (added == &added_local)
		ei_member_free(added);
	if (members == &list_local)
		ei_member_list_free(members);
	return ret;
}

/* remove and promote: {"ID":"<decimal>"} (IDs as decimal strings, as etcd's
 * tests/e2e/v3_curl_cluster_test.go reads them). */
static int member_id_call(struct ei_etcd_client *c, const char *what, const char *path,
			  const char *endpoint, const char *pin, uint64_t id,
			  struct ei_etcd_result *res, struct ei_err *err)
{
	struct ei_etcd_result res_local;
	struct ei_call g;
	char body[64];
	int ret;

	snprintf(body, sizeof(body), "{\"ID\":\"%" PRIu64 "\"}", id);
	ret = call_member(c, &g, what, endpoint, pin, path, body, res ? res : &res_local, err);
	ei_call_clear(&g);
	return ret;
}

int ei_etcd_member_remove(struct ei_etcd_client *c, const char *endpoint, const char *pin,
			  uint64_t id, struct ei_etcd_result *res, struct ei_err *err)
{
	return member_id_call(c, "member remove", "/v3/cluster/member/remove", endpoint, pin, id,
			      res, err);
}

int ei_etcd_member_promote(struct ei_etcd_client *c, const char *endpoint, const char *pin,
			   uint64_t id, struct ei_etcd_result *res, struct ei_err *err)
{
	return member_id_call(c, "member promote", "/v3/cluster/member/promote", endpoint, pin, id,
			      res, err);
}

int ei_etcd_status(struct ei_etcd_client *c, const char *endpoint, const char *pin,
		   struct ei_member_status *out, struct ei_etcd_result *res, struct ei_err *err)
{
	struct ei_etcd_result res_local;
	struct ei_call g;
	int ret;

	memset(out, 0, sizeof(*out));
	if (!res)
		res = &res_local;
	ret = call_member(c, &g, "status", endpoint, pin, "/v3/maintenance/status", "{}", res, err);
	if (ret == 0)
		ret = ei_members_parse_status(g.http.resp, g.http.resp_len, out, err);
	if (ret == EI_E_PARSE) {
		res->failure = EI_ETCD_FAIL_BAD_ANSWER;
		snprintf(res->message, sizeof(res->message), "%s", err ? err->msg : "bad answer");
	}
	ei_call_clear(&g);
	return ret;
}
