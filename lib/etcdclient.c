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
 * destructive step). */
#include "etcdclient.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "grpc.h"
#include "http.h"
#include "json.h"
#include "log.h"

/* Copies of one side's TLS paths, and the view http.c takes. */
struct tls_copy {
	char *ca, *cert, *key;
	struct ei_http_tls tls;
};

struct ei_etcd_client {
	struct ei_http *http;
	long request_ms;
	struct tls_copy client, peer;
	char *user, *password; /* NULL: no etcd auth */
	bool auth_off;         /* etcd said auth is not enabled: no token to get */
	char *auth_header;     /* "Authorization: <token>" or NULL */
	char auth_refused[300]; /* etcd refused the credentials: why ("" when not) */
	/* The gateway refused our client certificate's CommonName (auth is on): its calls
	 * go over gRPC from then on, where etcd takes the CN as the user (grpc.h). */
	bool grpc;
};

static char *dup_set(const char *s, bool *oom)
{
	char *d;

	if (!s || !*s)
		return NULL;
	d = strdup(s);
	if (!d)
		*oom = true;
	return d;
}

static void tls_copy_set(struct tls_copy *t, const struct ei_http_tls *from, bool *oom)
{
	t->ca = dup_set(from->ca_file, oom);
	t->cert = dup_set(from->cert_file, oom);
	t->key = dup_set(from->key_file, oom);
	t->tls = (struct ei_http_tls){ .ca_file = t->ca, .cert_file = t->cert, .key_file = t->key };
}

static void tls_copy_free(struct tls_copy *t)
{
	free(t->ca);
	free(t->cert);
	free(t->key);
}

/* Free a secret after overwriting it (it may otherwise linger in a core dump). */
static void free_secret(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

static void client_free(struct ei_etcd_client *c)
{
	tls_copy_free(&c->client);
	tls_copy_free(&c->peer);
	free(c->user);
	free_secret(c->password);
	free_secret(c->auth_header);
	free(c);
}

int ei_etcd_client_create(struct ei_etcd_client **out, struct ei_loop *loop,
			  const struct ei_client_opts *opts, struct ei_err *err)
{
	static const struct ei_client_opts no_opts;
	struct ei_http_opts ho = { 0 };
	struct ei_etcd_client *c;
	bool oom = false;
	int r;

	*out = NULL;
	if (!opts)
		opts = &no_opts;
	c = calloc(1, sizeof(*c));
	if (!c)
		return ei_err_set(err, EI_E_NOMEM, "out of memory");
	c->request_ms = opts->request_timeout_ms > 0 ? opts->request_timeout_ms : 2000;
	tls_copy_set(&c->client, &opts->client_tls, &oom);
	tls_copy_set(&c->peer, &opts->peer_tls, &oom);
	if (opts->user && *opts->user) {
		c->user = dup_set(opts->user, &oom);
		c->password = strdup(opts->password ? opts->password : "");
		oom |= !c->password;
	}
	if (oom) {
		client_free(c);
		return ei_err_set(err, EI_E_NOMEM, "out of memory");
	}
	ho.connect_timeout_ms = opts->connect_timeout_ms;
	ho.total_timeout_ms = c->request_ms;
	/* etcd answers at once or after a raft round trip; silence for most of the
	 * request time is a peer that accepted the connection and never answers HTTP
	 * (a member without quorum, etcd-facts §1.1), or one that stalls on purpose. */
	ho.first_byte_timeout_ms = c->request_ms * 3 / 4;
	r = ei_http_create(&c->http, loop, &ho, err);
	if (r < 0) {
		client_free(c);
		return r;
	}
	*out = c;
	return 0;
}

void ei_etcd_client_destroy(struct ei_etcd_client *c)
{
	if (!c)
		return;
	ei_http_destroy(c->http);
	client_free(c);
}

bool ei_etcd_needs_token(const struct ei_etcd_client *c)
{
	return c->user && !c->auth_off && !c->auth_header;
}

/* The token alone (for redaction), or NULL without one. */
static const char *token_of(const struct ei_etcd_client *c)
{
	return c->auth_header ? c->auth_header + strlen("Authorization: ") : NULL;
}

static void forget_token(struct ei_etcd_client *c)
{
	free_secret(c->auth_header);
	c->auth_header = NULL;
}

/* A token etcd no longer accepts (it expired after --auth-token-ttl, or was revoked):
 * forget it, so the next call gets a new one. True when that happened. */
static bool token_rejected(struct ei_etcd_client *c, enum ei_etcd_failure failure,
			   const char *message)
{
	if (!c->auth_header || failure != EI_ETCD_FAIL_AUTH || !strstr(message, "invalid auth token"))
		return false;
	forget_token(c);
	return true;
}

/* A request to a gateway path: JSON body, Grpc-Timeout (units "m" = ms) so etcd gives up
 * no later than we do, hasleader when asked, and the token. Over gRPC (c->grpc) the same
 * call goes to etcd's method with the body encoded (grpc.h); gw_finish then turns the
 * answer back into the gateway's. The strings live in the struct; gw_clear frees it. */
struct gw_request {
	struct ei_http_req http;
	char url[EI_URL_MAX + 64];
	char timeout[48];
	const struct ei_grpc_method *grpc;
	struct ei_pb_buf grpc_body;
};

static void gw_clear(struct gw_request *g)
{
	ei_http_req_clear(&g->http);
	if (g->grpc_body.data) {
		/* An AuthenticateRequest holds the password. */
		explicit_bzero(g->grpc_body.data, g->grpc_body.cap);
		free(g->grpc_body.data);
	}
	g->grpc_body = (struct ei_pb_buf){ 0 };
}

static int gw_setup(struct ei_etcd_client *c, struct gw_request *g, const char *endpoint,
		    const char *pin, const char *path, const char *body, long grpc_timeout_ms,
		    bool hasleader, struct ei_err *err)
{
	size_t elen = strlen(endpoint), h = 0;

	memset(g, 0, sizeof(*g));
	while (elen && endpoint[elen - 1] == '/')
		elen--;
	g->grpc = c->grpc ? ei_grpc_method_for(path) : NULL;
	if (g->grpc) {
		int r = ei_grpc_frame_request(g->grpc, body, &g->grpc_body, err);

		if (r < 0) {
			gw_clear(g);
			return r;
		}
		path = g->grpc->grpc_path;
		g->http.grpc = true;
		g->http.body = (const char *)g->grpc_body.data;
		g->http.body_len = g->grpc_body.len;
	} else {
		g->http.body = body;
	}
	snprintf(g->url, sizeof(g->url), "%.*s%s", (int)elen, endpoint, path);
	snprintf(g->timeout, sizeof(g->timeout), "Grpc-Timeout: %ldm", grpc_timeout_ms);
	g->http.url = g->url;
	g->http.pin = pin && *pin ? pin : NULL;
	g->http.tls = &c->client.tls;
	/* Never quoted back into a detail (http.h), should the peer echo them. */
	g->http.secrets[0] = c->password;
	g->http.secrets[1] = token_of(c);
	g->http.headers[h++] = g->timeout;
	/* The gateway passes Grpc-Metadata-* on as metadata; gRPC sends metadata as is. */
	if (hasleader)
		g->http.headers[h++] = g->grpc ? "hasleader: true" : "Grpc-Metadata-hasleader: true";
	/* etcd reads the token from the metadata "token" or "authorization". */
	if (c->auth_header)
		g->http.headers[h++] = c->auth_header;
	return 0;
}

/* After the run: a gRPC answer rewritten as the gateway's (grpc.h). */
static int gw_finish(const struct ei_etcd_client *c, struct gw_request *g, struct ei_err *err)
{
	const char *secrets[] = { c->password, token_of(c), NULL };

	return g->grpc ? ei_grpc_answer(g->grpc, &g->http, secrets, err) : 0;
}

static bool gateway_refused_cn(struct ei_etcd_client *c, const struct gw_request *g);

/* Run n gateway requests (reqs[i] == &g[i].http) and finish each (gw_finish). *again is
 * set when the gateway refused our certificate's CN and the client switched to gRPC:
 * the caller clears the requests and sets them up again. */
static int gw_run(struct ei_etcd_client *c, struct gw_request *g, struct ei_http_req **reqs,
		  size_t n, bool *again, struct ei_err *err)
{
	int r = ei_http_run(c->http, reqs, n, err);

	*again = false;
	for (size_t i = 0; r == 0 && i < n; i++)
		r = gw_finish(c, &g[i], err);
	for (size_t i = 0; r == 0 && i < n && !*again; i++)
		*again = gateway_refused_cn(c, &g[i]);
	return r;
}

/* etcd's gateway refuses every /v3/ call from a client certificate with a CommonName
 * when auth and client certificate auth are on (etcd-facts §1.6): the certificate is
 * meant to be the user, which only gRPC passes on. Switch this client to gRPC (once,
 * when libcurl speaks HTTP/2); true when the caller should ask again. */
static bool gateway_refused_cn(struct ei_etcd_client *c, const struct gw_request *g)
{
	static bool told;

	if (c->grpc || g->http.outcome != EI_OUTCOME_HTTP_ERROR || g->http.status != 400 ||
	    !g->http.resp || !strstr(g->http.resp, "CommonName of client sending a request"))
		return false;
	if (!ei_http_has_http2()) {
		if (!told)
			ei_log_warn("etcd's gateway refuses the client certificate's CommonName and "
				    "this libcurl has no HTTP/2 for gRPC",
				    "url=%s", g->http.url);
		told = true;
		return false;
	}
	ei_log_info("etcd auth is on and the gateway refuses a client certificate with a "
		    "CommonName: asking over gRPC from now on, where etcd takes the CommonName as "
		    "the user",
		    "url=%s", g->http.url);
	c->grpc = true;
	return true;
}

/* A GET of a path on an endpoint (peer API, /version, the etcd-init status), with the
 * TLS material of that port. */
static void get_setup(struct gw_request *g, const struct ei_http_tls *tls, const char *endpoint,
		      const char *pin, const char *path)
{
	size_t elen = strlen(endpoint);

	memset(g, 0, sizeof(*g));
	while (elen && endpoint[elen - 1] == '/')
		elen--;
	snprintf(g->url, sizeof(g->url), "%.*s%s", (int)elen, endpoint, path);
	g->http.url = g->url;
	g->http.pin = pin && *pin ? pin : NULL;
	g->http.tls = tls;
}

/* Fill an answer from a finished request; for an HTTP error, read etcd's message. */
/* etcd's error message of an HTTP error answer, with our password and token redacted
 * (a peer that echoes them must not put them in a log). */
static enum ei_etcd_failure error_message(const struct ei_etcd_client *c,
					  const struct ei_http_req *r, char *out, size_t len)
{
	const char *secrets[] = { c->password, token_of(c), NULL };
	char msg[1024];
	enum ei_etcd_failure f = ei_members_parse_error(r->resp, r->resp_len, r->status, msg,
							sizeof(msg));

	ei_excerpt(out, len, msg, strlen(msg), secrets);
	return f;
}

/* "HTTP 403", or "gRPC PermissionDenied" for an error of a gRPC call. */
static const char *answer_status(const struct ei_http_req *r, char *buf, size_t len)
{
	if (r->grpc && r->grpc_status > 0)
		snprintf(buf, len, "gRPC %s", ei_grpc_code_name(r->grpc_status));
	else
		snprintf(buf, len, "HTTP %ld", r->status);
	return buf;
}

static void answer_from(const struct ei_etcd_client *c, struct ei_answer *a,
			const struct ei_http_req *r)
{
	memset(a, 0, sizeof(*a));
	a->outcome = r->outcome;
	a->http_status = r->status;
	snprintf(a->url, sizeof(a->url), "%s", r->url);
	if (r->outcome == EI_OUTCOME_HTTP_ERROR) {
		char msg[200], answered[48];

		a->failure = error_message(c, r, msg, sizeof(msg));
		snprintf(a->detail, sizeof(a->detail), "%s: %s",
			 answer_status(r, answered, sizeof(answered)), msg);
	} else {
		snprintf(a->detail, sizeof(a->detail), "%s", r->detail);
	}
}

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

static void result_from(const struct ei_etcd_client *c, struct ei_etcd_result *res,
			const struct ei_http_req *r, const char *endpoint);

/* {"name":"<user>","password":"<password>"}, escaped by json-c; the caller wipes it. */
static char *auth_body(const struct ei_etcd_client *c)
{
	json_object *o = json_object_new_object();
	char *body = NULL;

	if (o) {
		json_object_object_add(o, "name", json_object_new_string(c->user));
		json_object_object_add(o, "password", json_object_new_string(c->password));
		body = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	}
	json_object_put(o);
	return body;
}

/* The token of an AuthenticateResponse, into a new "Authorization: <token>" line. */
static int take_token(struct ei_etcd_client *c, const struct ei_http_req *r, struct ei_err *err)
{
	json_object *root, *tok;
	const char *t;
	int ret;

	ret = ei_json_parse(r->resp, r->resp_len, "authenticate", json_type_object, &root, err);
	if (ret < 0)
		return ret;
	ret = ei_json_field(root, "token", json_type_string, "a string", &tok, "authenticate", err);
	if (ret == 0)
		ret = ei_err_set(err, EI_E_PARSE, "authenticate: no \"token\" in the answer");
	if (ret > 0) {
		t = json_object_get_string(tok);
		ret = 0;
		/* The token goes into a header line: nothing that would split it. */
		for (const char *p = t; *p && ret == 0; p++)
			if ((unsigned char)*p < 0x21 || *p == 0x7f)
				ret = ei_err_set(err, EI_E_PARSE,
						 "authenticate: the token holds a control character");
		if (ret == 0 && !*t)
			ret = ei_err_set(err, EI_E_PARSE, "authenticate: the token is empty");
		/* etcd-facts §1.5: the raw token; "Bearer " is stripped only by 3.5.32+/3.6.13+. */
		if (ret == 0) {
			free_secret(c->auth_header);
			if (asprintf(&c->auth_header, "Authorization: %s", t) < 0) {
				c->auth_header = NULL;
				ret = ei_err_set(err, EI_E_NOMEM, "out of memory");
			}
		}
	}
	json_object_put(root);
	return ret;
}

/* Authenticate at every endpoint at once and keep the first token. An endpoint that
 * says auth is not enabled switches auth off; one that refuses the credentials sets
 * auth_refused. */
static int authenticate_many(struct ei_etcd_client *c, const char *const *endpoints,
			     const char *const *pins, size_t n, struct ei_etcd_result *res,
			     struct ei_err *err)
{
	struct gw_request *g = calloc(n ? n : 1, sizeof(*g));
	struct ei_http_req **reqs = calloc(n ? n : 1, sizeof(*reqs));
	char *body = auth_body(c);
	bool again;
	int ret;

	if (!g || !reqs || !body) {
		ret = ei_err_set(err, EI_E_NOMEM, "out of memory");
		goto out;
	}
	forget_token(c);
ask:
	for (size_t i = 0; i < n; i++) {
		ret = gw_setup(c, &g[i], endpoints[i], pins ? pins[i] : NULL, "/v3/auth/authenticate",
			       body, c->request_ms, false, err);
		if (ret < 0)
			goto out;
		reqs[i] = &g[i].http;
	}
	ret = gw_run(c, g, reqs, n, &again, err);
	if (ret < 0)
		goto out;
	if (again) {
		for (size_t i = 0; i < n; i++)
			gw_clear(&g[i]);
		goto ask;
	}
	ret = ei_err_set(err, EI_E_UNAVAILABLE, "authenticate: no endpoint to ask");
	for (size_t i = 0; i < n; i++) {
		struct ei_err perr = { 0 };

		result_from(c, res, &g[i].http, endpoints[i]);
		if (g[i].http.outcome == EI_OUTCOME_VALID) {
			if (take_token(c, &g[i].http, &perr) == 0) {
				c->auth_refused[0] = '\0';
				ret = 0;
				break;
			}
			res->failure = EI_ETCD_FAIL_BAD_ANSWER;
			snprintf(res->message, sizeof(res->message), "%s", perr.msg);
		} else if (g[i].http.outcome == EI_OUTCOME_HTTP_ERROR &&
			   strstr(res->message, "authentication is not enabled")) {
			ei_log_info("etcd auth is not enabled in this cluster: no token is sent",
				    "endpoint=%s", endpoints[i]);
			c->auth_off = true;
			ret = 0;
			break;
		} else if (g[i].http.outcome == EI_OUTCOME_HTTP_ERROR &&
			   res->failure == EI_ETCD_FAIL_AUTH) {
			snprintf(c->auth_refused, sizeof(c->auth_refused),
				 "etcd at %s refused the credentials of user %s: %s (check "
				 "--auth-password-file / ETCDCTL_PASSWORD)",
				 endpoints[i], c->user, res->message);
		}
	}
	if (ret < 0 && c->auth_refused[0])
		ret = ei_err_set(err, EI_E_CLUSTER, "%s", c->auth_refused);
	else if (ret < 0)
		ret = ei_err_set(err, res->failure == EI_ETCD_FAIL_BAD_ANSWER ? EI_E_PARSE
									   : EI_E_UNAVAILABLE,
				 "authenticate as %s: no token (last: %s: %s)", c->user, res->endpoint,
				 res->message);
out:
	for (size_t i = 0; g && i < n; i++)
		gw_clear(&g[i]);
	free(g);
	free(reqs);
	free_secret(body);
	return ret;
}

int ei_etcd_authenticate(struct ei_etcd_client *c, const char *endpoint, const char *pin,
			 struct ei_etcd_result *res, struct ei_err *err)
{
	struct ei_etcd_result local;

	if (!c->user || c->auth_off)
		return 0;
	return authenticate_many(c, &endpoint, &pin, 1, res ? res : &local, err);
}

const char *ei_etcd_auth_refused(const struct ei_etcd_client *c)
{
	return c->auth_refused[0] ? c->auth_refused : NULL;
}

struct survey_req {
	struct gw_request list, peer_list, version, status;
};

static void survey_read(const struct ei_etcd_client *c, struct ei_peer *p, struct survey_req *s,
			bool linearizable)
{
	struct ei_err perr = { 0 };

	answer_from(c, &p->list, &s->list.http);
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
	answer_from(c, &p->version, &s->version.http);
	if (p->version.outcome == EI_OUTCOME_VALID &&
	    parse_version(s->version.http.resp, s->version.http.resp_len, p->server_version,
			  sizeof(p->server_version), &perr) < 0)
		answer_malformed(&p->version, perr.msg);
	answer_from(c, &p->status, &s->status.http);
	if (p->status.outcome == EI_OUTCOME_VALID &&
	    ei_status_parse(s->status.http.resp, s->status.http.resp_len, &p->init, &perr) < 0)
		answer_malformed(&p->status, perr.msg);
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
		answer_from(c->client, &p->peer_list, r);
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
		}
		return;
	}
}

static void survey_clear(struct survey_req *s)
{
	gw_clear(&s->list);
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

		r = authenticate_many(c, endpoints, pins, k, &res, &aerr);
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

/* Ask every peer its questions (one run); the gateway's answers finished (gw_finish). */
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
		r = gw_setup(c, &s[i].list, p->client_url, p->client_pin, "/v3/cluster/member/list",
			     "{\"linearizable\":true}", c->request_ms / 2, true, err);
		if (r < 0)
			return r;
		get_setup(&s[i].peer_list, &c->peer.tls, p->peer_url, p->peer_pin, "/members");
		get_setup(&s[i].version, &c->client.tls, p->client_url, p->client_pin, "/version");
		get_setup(&s[i].status, &c->peer.tls, p->peer_url, p->peer_pin, EI_STATUS_PATH);
		reqs[nr++] = &s[i].list.http;
		reqs[nr++] = &s[i].peer_list.http;
		reqs[nr++] = &s[i].version.http;
		reqs[nr++] = &s[i].status.http;
	}
	r = ei_http_run_cb(c->http, reqs, nr, survey_done, &ctx, err);
	for (size_t i = 0; r == 0 && i < n; i++)
		if (s[i].list.http.url)
			r = gw_finish(c, &s[i].list, err);
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
		gw_clear(&s[i].list);
		r = gw_setup(c, &s[i].list, peers[i].client_url, peers[i].client_pin,
			     "/v3/cluster/member/list", "{\"linearizable\":true}", c->request_ms / 2,
			     true, err);
		reqs[nr++] = &s[i].list.http;
	}
	if (r == 0 && nr)
		r = ei_http_run(c->http, reqs, nr, err);
	for (size_t i = 0; r == 0 && i < n; i++)
		if (s[i].list.http.url && s[i].list.grpc)
			r = gw_finish(c, &s[i].list, err);
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
	reqs = calloc(4 * (n ? n : 1), sizeof(*reqs));
	relisted = calloc(n ? n : 1, sizeof(*relisted));
	if (!s || !reqs || !relisted) {
		r = ei_err_set(err, EI_E_NOMEM, "out of memory");
		goto out;
	}
	r = survey_ask(c, peers, n, s, reqs, err);
	for (size_t i = 0; r == 0 && i < n; i++) {
		if (s[i].list.http.url && gateway_refused_cn(c, &s[i].list)) {
			r = survey_relist_grpc(c, peers, n, s, reqs, err);
			break;
		}
	}
	for (size_t i = 0; r == 0 && i < n; i++) {
		if (!s[i].list.http.url)
			continue;
		survey_read(c, &peers[i], &s[i], true);
		token_rejected(c, peers[i].list.failure, peers[i].list.detail);
		if (peers[i].list.outcome == EI_OUTCOME_HTTP_ERROR &&
		    peers[i].list.failure == EI_ETCD_FAIL_UNHEALTHY) {
			ei_log_debug("linearizable member list failed, asking for the local list",
				     "url=%s detail=%s", peers[i].list.url, peers[i].list.detail);
			gw_clear(&s[i].list);
			r = gw_setup(c, &s[i].list, peers[i].client_url, peers[i].client_pin,
				     "/v3/cluster/member/list", "{}", c->request_ms, false, err);
			reqs[nr++] = &s[i].list.http;
			relisted[i] = true;
		}
	}
	if (r == 0 && nr)
		r = ei_http_run(c->http, reqs, nr, err);
	for (size_t i = 0; r == 0 && i < n; i++) {
		if (relisted[i] && (r = gw_finish(c, &s[i].list, err)) == 0)
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

/* The result of one request, as the single-endpoint calls report it. */
static void result_from(const struct ei_etcd_client *c, struct ei_etcd_result *res,
			const struct ei_http_req *r, const char *endpoint)
{
	memset(res, 0, sizeof(*res));
	res->outcome = r->outcome;
	res->http_status = r->status;
	snprintf(res->endpoint, sizeof(res->endpoint), "%s", endpoint);
	switch (r->outcome) {
	case EI_OUTCOME_VALID:
		res->failure = EI_ETCD_FAIL_NONE;
		break;
	case EI_OUTCOME_HTTP_ERROR:
		res->failure = error_message(c, r, res->message, sizeof(res->message));
		break;
	case EI_OUTCOME_MALFORMED:
		res->failure = EI_ETCD_FAIL_BAD_ANSWER;
		snprintf(res->message, sizeof(res->message), "%s", r->detail);
		break;
	case EI_OUTCOME_NOT_ASKED:
	case EI_OUTCOME_REFUSED:
	case EI_OUTCOME_TIMEOUT:
	case EI_OUTCOME_UNREACHABLE:
	case EI_OUTCOME_CLOSED:
	case EI_OUTCOME_TLS:
	case EI_OUTCOME_NOT_PEER:
	default:
		/* Refused, timeout, TLS, closed (which is also how some versions answer
		 * a bad token, etcd-facts §1.5). */
		res->failure = EI_ETCD_FAIL_UNREACHABLE;
		snprintf(res->message, sizeof(res->message), "%s: %s",
			 ei_outcome_name(r->outcome), r->detail);
		break;
	}
}

static int list_common(struct ei_etcd_client *c, bool peer, const char *const *endpoints,
		       const char *const *pins, size_t n, struct ei_member_list *out,
		       struct ei_etcd_result *res, struct ei_err *err)
{
	const char *what = peer ? "peer member list" : "member list";
	struct ei_etcd_result local;
	struct gw_request *g;
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

		r = authenticate_many(c, endpoints, pins, n, res, &aerr);
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
			get_setup(&g[i], &c->peer.tls, endpoints[i], pin, "/members");
		else
			r = gw_setup(c, &g[i], endpoints[i], pin, "/v3/cluster/member/list", "{}",
				     c->request_ms, false, err);
		reqs[i] = &g[i].http;
	}
	if (r == 0)
		r = gw_run(c, g, reqs, n, &again, err);
	if (r == 0 && again) {
		for (size_t i = 0; i < n; i++)
			gw_clear(&g[i]);
		goto ask;
	}
	for (size_t i = 0; r == 0 && i < n && !found; i++) {
		struct ei_err perr = { 0 };

		result_from(c, res, &g[i].http, endpoints[i]);
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
		gw_clear(&g[i]);
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
	if (r == EI_E_UNAVAILABLE && token_rejected(c, res->failure, res->message)) {
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
static int call_one(struct ei_etcd_client *c, struct gw_request *g, const char *what,
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
	ret = gw_setup(c, g, endpoint, pin, path, body, c->request_ms, false, err);
	if (ret == 0)
		ret = gw_run(c, g, &req, 1, &again, err);
	if (ret < 0)
		return ret;
	if (again) {
		gw_clear(g);
		goto ask;
	}
	result_from(c, res, req, endpoint);
	/* A rejected token: a new one, once. */
	if (!retried && token_rejected(c, res->failure, res->message)) {
		gw_clear(g);
		retried = true;
		ei_log_info("etcd rejected the auth token; authenticating again", "endpoint=%s",
			    endpoint);
		goto ask;
	}
	if (req->outcome == EI_OUTCOME_VALID)
		return 0;
	if (req->outcome == EI_OUTCOME_HTTP_ERROR)
		return ei_err_set(err, EI_E_CLUSTER, "%s on %s: etcd answered %s (%s): %s", what,
				  endpoint, answer_status(req, answered, sizeof(answered)),
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
	struct gw_request g;
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
	gw_clear(&g);
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
	struct gw_request g;
	char body[64];
	int ret;

	snprintf(body, sizeof(body), "{\"ID\":\"%" PRIu64 "\"}", id);
	ret = call_one(c, &g, what, endpoint, pin, path, body, res ? res : &res_local, err);
	gw_clear(&g);
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
	struct gw_request g;
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
	gw_clear(&g);
	return ret;
}
