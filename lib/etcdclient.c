/* etcdclient.c - etcd's gateway, peer API and the etcd-init status over http.c
 * (see etcdclient.h).
 *
 * Member list consistency (etcd-facts §1.3): {} is served from the answering member's
 * local, possibly stale state; {"linearizable":true} (3.5+, ignored by 3.4) goes through
 * raft and fails without quorum. We ask linearizably first, with
 * "Grpc-Metadata-hasleader: true" (fails at once without a leader, §1.4) and a
 * Grpc-Timeout of half the request timeout (so etcd answers before we give up). If that
 * endpoint answers "unhealthy" it is asked once more with {}: a launcher must still see
 * that a cluster exists when it has lost quorum (and plan.c never trusts that list for a
 * destructive step).
 *
 * Each call (its TLS, the auth token, the gateway or gRPC transport) is etcdcall.c's. */
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

struct survey_req {
	struct ei_call list, peer_list, version, status, raft;
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
 * yet serves no client HTTP at all (etcd-facts §1.1), so when its own peer API lists it
 * without client URLs, its gateway and /version will not answer this round, and the
 * round does not wait for them. */
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
					   "not asked: its peer API lists it without client URLs (an "
					   "etcd that has not published serves no client requests)");
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
	ei_http_req_clear(&s->peer_list.http);
	ei_http_req_clear(&s->version.http);
	ei_http_req_clear(&s->status.http);
}

/* A token before the gateway is asked (auth-enabled etcd refuses member lists
 * without one since 3.4.42/3.5.28/3.6.9, etcd-facts §1.5): from any peer at once. */
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

/* The round's member list question: linearizable, failing at once without a leader,
 * within half the request time (see the top of this file). */
static int survey_list_setup(struct ei_etcd_client *c, const struct ei_peer *p,
			     struct ei_call *list, struct ei_err *err)
{
	return ei_call_setup(c, list, p->client_url, p->client_pin, "/v3/cluster/member/list",
			     "{\"linearizable\":true}", c->request_ms / 2, true, err);
}

/* The raft position question: the maintenance status (served by learners too). */
static int survey_raft_setup(struct ei_etcd_client *c, const struct ei_peer *p,
			     struct ei_call *raft, struct ei_err *err)
{
	return ei_call_setup(c, raft, p->client_url, p->client_pin, "/v3/maintenance/status", "{}",
			     c->request_ms / 2, false, err);
}

/* Ask every peer its questions (one run); the gateway's answers finished (ei_call_finish). */
static int survey_ask(struct ei_etcd_client *c, struct ei_peer *peers, size_t n,
		      struct survey_req *s, struct ei_http_req **reqs, struct ei_err *err)
{
	struct survey_ctx ctx = { .client = c, .peers = peers, .s = s, .n = n };
	size_t nr = 0;
	int r;

	for (size_t i = 0; i < n; i++) {
		struct ei_peer *p = &peers[i];

		if (p->not_peer[0] || !p->client_pin[0] || !p->peer_pin[0])
			continue;
		r = survey_list_setup(c, p, &s[i].list, err);
		if (r == 0)
			r = survey_raft_setup(c, p, &s[i].raft, err);
		if (r < 0)
			return r;
		ei_call_get(&s[i].peer_list, &c->peer.tls, p->peer_url, p->peer_pin, "/members");
		ei_call_get(&s[i].version, &c->client.tls, p->client_url, p->client_pin, "/version");
		ei_call_get(&s[i].status, &c->peer.tls, p->peer_url, p->peer_pin, EI_STATUS_PATH);
		reqs[nr++] = &s[i].list.http;
		reqs[nr++] = &s[i].peer_list.http;
		reqs[nr++] = &s[i].version.http;
		reqs[nr++] = &s[i].status.http;
		reqs[nr++] = &s[i].raft.http;
	}
	r = ei_http_run_cb(c->http, reqs, nr, survey_done, &ctx, err);
	for (size_t i = 0; r == 0 && i < n; i++) {
		if (s[i].list.http.url)
			r = ei_call_finish(c, &s[i].list, err);
		if (r == 0 && s[i].raft.http.url)
			r = ei_call_finish(c, &s[i].raft, err);
	}
	return r;
}

/* The gateway refused our certificate's CN (and the client switched to gRPC): the
 * member lists that were asked, asked again (the other answers stand). */
static int survey_relist_grpc(struct ei_etcd_client *c, struct ei_peer *peers, size_t n,
			      struct survey_req *s, struct ei_http_req **reqs, struct ei_err *err)
{
	size_t nr = 0;
	int r = 0;

	for (size_t i = 0; r == 0 && i < n; i++) {
		if (!s[i].list.http.url || s[i].list.http.outcome == EI_OUTCOME_NOT_ASKED)
			continue;
		ei_call_clear(&s[i].list);
		r = survey_list_setup(c, &peers[i], &s[i].list, err);
		if (r == 0)
			reqs[nr++] = &s[i].list.http;
		if (r == 0 && s[i].raft.http.url &&
		    s[i].raft.http.outcome != EI_OUTCOME_NOT_ASKED) {
			ei_call_clear(&s[i].raft);
			r = survey_raft_setup(c, &peers[i], &s[i].raft, err);
			if (r == 0)
				reqs[nr++] = &s[i].raft.http;
		}
	}
	if (r == 0 && nr)
		r = ei_http_run(c->http, reqs, nr, err);
	for (size_t i = 0; r == 0 && i < n; i++) {
		if (s[i].list.http.url && s[i].list.grpc)
			r = ei_call_finish(c, &s[i].list, err);
		if (r == 0 && s[i].raft.http.url && s[i].raft.grpc)
			r = ei_call_finish(c, &s[i].raft, err);
	}
	return r;
}

int ei_etcd_survey(struct ei_etcd_client *c, struct ei_peer *peers, size_t n, struct ei_err *err)
{
	struct survey_req *s;
	struct ei_http_req **reqs;
	bool *relisted;
	size_t nr = 0;
	int r;

	if (ei_etcd_needs_token(c) && (r = survey_token(c, peers, n, err)) < 0)
		return r;
	s = calloc(n ? n : 1, sizeof(*s));
	reqs = calloc(5 * (n ? n : 1), sizeof(*reqs));
	relisted = calloc(n ? n : 1, sizeof(*relisted));
	if (!s || !reqs || !relisted) {
		r = ei_err_set(err, EI_E_NOMEM, "out of memory");
		goto out;
	}
	r = survey_ask(c, peers, n, s, reqs, err);
	for (size_t i = 0; r == 0 && i < n; i++) {
		if (s[i].list.http.url && ei_call_refused_cn(c, &s[i].list)) {
			r = survey_relist_grpc(c, peers, n, s, reqs, err);
			break;
		}
	}
	for (size_t i = 0; r == 0 && i < n; i++) {
		if (!s[i].list.http.url)
			continue;
		survey_read(c, &peers[i], &s[i], true);
		ei_call_token_rejected(c, peers[i].list.failure, peers[i].list.detail);
		if (peers[i].list.outcome == EI_OUTCOME_HTTP_ERROR &&
		    peers[i].list.failure == EI_ETCD_FAIL_UNHEALTHY) {
			ei_log_debug("linearizable member list failed, asking for the local list",
				     "url=%s detail=%s", peers[i].list.url, peers[i].list.detail);
			ei_call_clear(&s[i].list);
			r = ei_call_setup(c, &s[i].list, peers[i].client_url, peers[i].client_pin,
					  "/v3/cluster/member/list", "{}", c->request_ms, false,
					  err);
			reqs[nr++] = &s[i].list.http;
			relisted[i] = true;
		}
	}
	if (r == 0 && nr)
		r = ei_http_run(c->http, reqs, nr, err);
	for (size_t i = 0; r == 0 && i < n; i++) {
		if (relisted[i] && (r = ei_call_finish(c, &s[i].list, err)) == 0)
			survey_read(c, &peers[i], &s[i], false);
	}
out:
	for (size_t i = 0; s && i < n; i++)
		survey_clear(&s[i]);
	free(s);
	free(reqs);
	free(relisted);
	return r;
}

static int list_common(struct ei_etcd_client *c, bool peer, const char *const *endpoints,
		       const char *const *pins, size_t n, struct ei_member_list *out,
		       struct ei_etcd_result *res, struct ei_err *err)
{
	const char *what = peer ? "peer member list" : "member list";
	struct ei_etcd_result local;
	struct ei_call *g;
	struct ei_http_req **reqs;
	bool found = false, again;
	int r;

	memset(out, 0, sizeof(*out));
	if (!res)
		res = &local;
	memset(res, 0, sizeof(*res));
	if (n == 0)
		return ei_err_set(err, EI_E_USAGE, "%s: no endpoint to ask", what);
	/* Recent etcd refuses the gateway's list without a token (etcd-facts §1.5). */
	if (!peer && ei_etcd_needs_token(c)) {
		struct ei_err aerr = { 0 };

		r = ei_call_authenticate(c, endpoints, pins, n, res, &aerr);
		/* A refusal of the credentials is for good; no answer: ask without a token. */
		if (r == EI_E_SIGNAL || r == EI_E_NOMEM || r == EI_E_CLUSTER) {
			if (err)
				*err = aerr;
			return r;
		}
	}
	g = calloc(n, sizeof(*g));
	reqs = calloc(n, sizeof(*reqs));
	if (!g || !reqs) {
		free(g);
		free(reqs);
		return ei_err_set(err, EI_E_NOMEM, "out of memory");
	}
ask:
	r = 0;
	for (size_t i = 0; r == 0 && i < n; i++) {
		const char *pin = pins ? pins[i] : NULL;

		if (peer)
			ei_call_get(&g[i], &c->peer.tls, endpoints[i], pin, "/members");
		else
			r = ei_call_setup(c, &g[i], endpoints[i], pin, "/v3/cluster/member/list",
					  "{}", c->request_ms, false, err);
		reqs[i] = &g[i].http;
	}
	if (r == 0)
		r = ei_call_run(c, g, reqs, n, &again, err);
	if (r == 0 && again) {
		for (size_t i = 0; i < n; i++)
			ei_call_clear(&g[i]);
		goto ask;
	}
	for (size_t i = 0; r == 0 && i < n && !found; i++) {
		struct ei_err perr = { 0 };

		ei_call_result(c, res, &g[i].http, endpoints[i]);
		if (g[i].http.outcome != EI_OUTCOME_VALID)
			continue;
		if ((peer ? ei_members_parse_peer(g[i].http.resp, g[i].http.resp_len,
						  g[i].http.cluster_id_hex, out, &perr)
			  : ei_members_parse_gateway(g[i].http.resp, g[i].http.resp_len, out, NULL,
						     &perr)) == 0) {
			found = true;
		} else {
			res->outcome = EI_OUTCOME_MALFORMED;
			res->failure = EI_ETCD_FAIL_BAD_ANSWER;
			snprintf(res->message, sizeof(res->message), "%s", perr.msg);
		}
	}
	if (r == 0 && !found)
		r = ei_err_set(err, EI_E_UNAVAILABLE, "%s: no endpoint answered (last: %s: %s)", what,
			       res->endpoint, res->message);
	for (size_t i = 0; i < n; i++)
		ei_call_clear(&g[i]);
	free(g);
	free(reqs);
	if (r < 0)
		ei_member_list_free(out);
	return r;
}

int ei_etcd_member_list(struct ei_etcd_client *c, const char *const *endpoints,
			const char *const *pins, size_t n, struct ei_member_list *out,
			struct ei_etcd_result *res, struct ei_err *err)
{
	struct ei_etcd_result local;
	int r;

	if (!res)
		res = &local;
	r = list_common(c, false, endpoints, pins, n, out, res, err);
	/* A rejected token: a new one, once. */
	if (r == EI_E_UNAVAILABLE && ei_call_token_rejected(c, res->failure, res->message)) {
		ei_log_info("etcd rejected the auth token; authenticating again", "endpoint=%s",
			    res->endpoint);
		r = list_common(c, false, endpoints, pins, n, out, res, err);
	}
	return r;
}

int ei_etcd_member_list_peer(struct ei_etcd_client *c, const char *const *peer_urls,
			     const char *const *pins, size_t n, struct ei_member_list *out,
			     struct ei_etcd_result *res, struct ei_err *err)
{
	return list_common(c, true, peer_urls, pins, n, out, res, err);
}

/* One POST to one endpoint. Returns 0 with the 2xx body in g (which the caller clears
 * in every case), or the error for the failure in res. */
static int call_one(struct ei_etcd_client *c, struct ei_call *g, const char *what,
		    const char *endpoint, const char *pin, const char *path, const char *body,
		    struct ei_etcd_result *res, struct ei_err *err)
{
	struct ei_http_req *req = &g->http;
	bool retried = false, again;
	char answered[48];
	int ret;

	memset(g, 0, sizeof(*g));
ask:
	if (ei_etcd_needs_token(c) && (ret = ei_etcd_authenticate(c, endpoint, pin, res, err)) < 0)
		return ret;
	ret = ei_call_setup(c, g, endpoint, pin, path, body, c->request_ms, false, err);
	if (ret == 0)
		ret = ei_call_run(c, g, &req, 1, &again, err);
	if (ret < 0)
		return ret;
	if (again) {
		ei_call_clear(g);
		goto ask;
	}
	ei_call_result(c, res, req, endpoint);
	/* A rejected token: a new one, once. */
	if (!retried && ei_call_token_rejected(c, res->failure, res->message)) {
		ei_call_clear(g);
		retried = true;
		ei_log_info("etcd rejected the auth token; authenticating again", "endpoint=%s",
			    endpoint);
		goto ask;
	}
	if (req->outcome == EI_OUTCOME_VALID)
		return 0;
	if (req->outcome == EI_OUTCOME_HTTP_ERROR)
		return ei_err_set(err, EI_E_CLUSTER, "%s on %s: etcd answered %s (%s): %s", what,
				  endpoint, ei_call_status_text(req, answered, sizeof(answered)),
				  ei_etcd_failure_name(res->failure), res->message);
	if (req->outcome == EI_OUTCOME_MALFORMED)
		return ei_err_set(err, EI_E_PARSE, "%s on %s: %s", what, endpoint, res->message);
	return ei_err_set(err, EI_E_UNAVAILABLE, "%s on %s: no answer: %s", what, endpoint,
			  res->message);
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
	ret = call_one(c, &g, "member add", endpoint, pin, "/v3/cluster/member/add", body, res, err);
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

/* remove and promote: {"ID":"<decimal>"} (IDs as decimal strings, §1.3). */
static int member_id_call(struct ei_etcd_client *c, const char *what, const char *path,
			  const char *endpoint, const char *pin, uint64_t id,
			  struct ei_etcd_result *res, struct ei_err *err)
{
	struct ei_etcd_result res_local;
	struct ei_call g;
	char body[64];
	int ret;

	snprintf(body, sizeof(body), "{\"ID\":\"%" PRIu64 "\"}", id);
	ret = call_one(c, &g, what, endpoint, pin, path, body, res ? res : &res_local, err);
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
	ret = call_one(c, &g, "status", endpoint, pin, "/v3/maintenance/status", "{}", res, err);
	if (ret == 0)
		ret = ei_members_parse_status(g.http.resp, g.http.resp_len, out, err);
	if (ret == EI_E_PARSE) {
		res->failure = EI_ETCD_FAIL_BAD_ANSWER;
		snprintf(res->message, sizeof(res->message), "%s", err ? err->msg : "bad answer");
	}
	ei_call_clear(&g);
	return ret;
}
