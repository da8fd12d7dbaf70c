/* etcdcall.c - calls to etcd members: the client, one request over the gateway or gRPC,
 * its answer, the auth token, and the batch that owns the retry rules (see etcdcall.h).
 *
 * etcd auth: the token is sent as "Authorization: <token>" (no "Bearer": only recent
 * etcd strips it), on the gateway and over gRPC alike (etcd reads the metadata "token"
 * or "authorization", server/auth/store.go AuthInfoFromCtx); neither it nor the
 * password is ever logged or put in a message. */
#include "etcdcall.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

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
	 * (a member without quorum: server/embed/serve.go serve waits for ReadyNotify,
	 * closed once server/etcdserver/server.go publishV3 succeeds), or one that
	 * stalls on purpose. */
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
bool ei_call_token_rejected(struct ei_etcd_client *c, enum ei_etcd_failure failure,
			    const char *message)
{
	if (!c->auth_header || failure != EI_ETCD_FAIL_AUTH || !strstr(message, "invalid auth token"))
		return false;
	forget_token(c);
	return true;
}

long ei_call_request_ms(const struct ei_etcd_client *c)
{
	return c->request_ms;
}

void ei_call_post(struct ei_call *g, const char *endpoint, const char *pin, const char *path,
		  const char *body, long grpc_timeout_ms, bool hasleader)
{
	memset(g, 0, sizeof(*g));
	g->endpoint = endpoint;
	g->pin = pin;
	g->path = path;
	g->body = body;
	g->grpc_timeout_ms = grpc_timeout_ms;
	g->hasleader = hasleader;
}

void ei_call_get(struct ei_call *g, enum ei_call_port port, const char *endpoint,
		 const char *pin, const char *path)
{
	memset(g, 0, sizeof(*g));
	g->endpoint = endpoint;
	g->pin = pin;
	g->path = path;
	g->port = port;
}

void ei_call_clear(struct ei_call *g)
{
	ei_http_req_clear(&g->http);
	if (g->grpc_body.data) {
		/* An AuthenticateRequest holds the password. */
		explicit_bzero(g->grpc_body.data, g->grpc_body.cap);
		free(g->grpc_body.data);
	}
	g->grpc_body = (struct ei_pb_buf){ 0 };
}

/* The request of a call, as it is sent now: a GET with its port's TLS material, or a
 * POST to the gateway, or to etcd's gRPC method once the client has switched (grpc.h).
 * Returns 0, or EI_E_PARSE / EI_E_NOMEM from the gRPC encoder. */
static int call_build(struct ei_etcd_client *c, struct ei_call *g, struct ei_err *err)
{
	const char *path = g->path;
	size_t elen = strlen(g->endpoint), h = 0;

	ei_call_clear(g);
	g->http = (struct ei_http_req){ 0 };
	g->grpc = NULL;
	while (elen && g->endpoint[elen - 1] == '/')
		elen--;
	g->http.url = g->url;
	g->http.pin = g->pin && *g->pin ? g->pin : NULL;
	if (!g->body) {
		g->http.tls = g->port == EI_CALL_PEER_PORT ? &c->peer.tls : &c->client.tls;
		snprintf(g->url, sizeof(g->url), "%.*s%s", (int)elen, g->endpoint, path);
		return 0;
	}
	g->grpc = c->grpc ? ei_grpc_method_for(path) : NULL;
	if (g->grpc) {
		int r = ei_grpc_frame_request(g->grpc, g->body, &g->grpc_body, err);

		if (r < 0) {
			ei_call_clear(g);
			return r;
		}
		path = g->grpc->grpc_path;
		g->http.grpc = true;
		g->http.body = (const char *)g->grpc_body.data;
		g->http.body_len = g->grpc_body.len;
	} else {
		g->http.body = g->body;
	}
	snprintf(g->url, sizeof(g->url), "%.*s%s", (int)elen, g->endpoint, path);
	snprintf(g->timeout, sizeof(g->timeout), "Grpc-Timeout: %ldm", g->grpc_timeout_ms);
	g->http.tls = &c->client.tls;
	/* Never quoted back into a detail (http.h), should the peer echo them. */
	g->http.secrets[0] = c->password;
	g->http.secrets[1] = token_of(c);
	g->http.headers[h++] = g->timeout;
	/* The gateway passes Grpc-Metadata-* on as metadata; gRPC sends metadata as is. */
	if (g->hasleader)
		g->http.headers[h++] = g->grpc ? "hasleader: true" : "Grpc-Metadata-hasleader: true";
	/* etcd reads the token from the metadata "token" or "authorization". */
	if (c->auth_header)
		g->http.headers[h++] = c->auth_header;
	return 0;
}

/* After the run: a gRPC answer rewritten as the gateway's (grpc.h). */
static int call_finish(const struct ei_etcd_client *c, struct ei_call *g, struct ei_err *err)
{
	const char *secrets[] = { c->password, token_of(c), NULL };

	return g->grpc ? ei_grpc_answer(g->grpc, &g->http, secrets, err) : 0;
}

/* etcd's gateway refuses every /v3/ call from a client certificate with a CommonName
 * when auth and client certificate auth are on (server/embed/serve.go
 * accessController.ServeHTTP): the certificate is meant to be the user, which only
 * gRPC passes on. Switch this client to gRPC (once, when libcurl speaks HTTP/2); true
 * when the caller should ask again. */
static bool call_refused_cn(struct ei_etcd_client *c, const struct ei_call *g)
{
	static bool told;

	if (c->grpc || g->http.outcome != EI_OUTCOME_HTTP_ERROR || g->http.status != 400 ||
	    !g->http.resp || !strstr(g->http.resp, "CommonName of client sending a request"))
		return false;
	if (!ei_http_has_http2()) {
		if (!told)
			ei_log_warn("etcd's gateway refuses the client certificate's CommonName and this libcurl has no HTTP/2 for gRPC",
				    "url=%s", g->http.url);
		told = true;
		return false;
	}
	ei_log_info("etcd auth is on and the gateway refuses a client certificate with a CommonName: asking over gRPC from now on, where etcd takes the CommonName as the user",
		    "url=%s", g->http.url);
	c->grpc = true;
	return true;
}

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

const char *ei_call_status_text(const struct ei_http_req *r, char *buf, size_t len)
{
	if (r->grpc && r->grpc_status > 0)
		snprintf(buf, len, "gRPC %s", ei_grpc_code_name(r->grpc_status));
	else
		snprintf(buf, len, "HTTP %ld", r->status);
	return buf;
}

/* Fill an answer from a finished request; for an HTTP error, read etcd's message. */
void ei_call_answer(const struct ei_etcd_client *c, struct ei_answer *a,
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
			 ei_call_status_text(r, answered, sizeof(answered)), msg);
	} else {
		snprintf(a->detail, sizeof(a->detail), "%s", r->detail);
	}
}

/* The result of one request, as the single-endpoint calls report it. */
void ei_call_result(const struct ei_etcd_client *c, struct ei_etcd_result *res,
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
		/* Refused, timeout, TLS, closed (which is also how some versions answer a
		 * bad token: github.com/etcd-io/etcd/issues/15256, seen on 3.4.23). */
		res->failure = EI_ETCD_FAIL_UNREACHABLE;
		snprintf(res->message, sizeof(res->message), "%s: %s",
			 ei_outcome_name(r->outcome), r->detail);
		break;
	}
}

/* A batch's token (b->token), at the endpoints of its calls. */
static int batch_token(struct ei_etcd_client *c, struct ei_call_batch *b, struct ei_err *err)
{
	const char **endpoints, **pins;
	struct ei_err aerr = { 0 };
	size_t k = 0;
	int r;

	if (b->token == EI_CALL_TOKEN_NONE || !ei_etcd_needs_token(c))
		return 0;
	endpoints = calloc(b->n ? b->n : 1, sizeof(*endpoints));
	pins = calloc(b->n ? b->n : 1, sizeof(*pins));
	if (!endpoints || !pins) {
		r = ei_err_set(err, EI_E_NOMEM, "out of memory");
		goto out;
	}
	/* The gateway calls' members (a GET goes to a peer API or /version: no token). */
	for (size_t i = 0; i < b->n; i++) {
		if (!b->calls[i]->body)
			continue;
		endpoints[k] = b->calls[i]->endpoint;
		pins[k++] = b->calls[i]->pin;
	}
	r = k ? ei_call_authenticate(c, endpoints, pins, k, b->res, &aerr) : 0;
	/* TRY: a refusal of the credentials is for good; no answer: ask without a token. */
	if (b->token == EI_CALL_TOKEN_TRY && r != EI_E_SIGNAL && r != EI_E_NOMEM &&
	    r != EI_E_CLUSTER)
		r = 0;
	if (r < 0 && err)
		*err = aerr;
out:
	free(endpoints);
	free(pins);
	return r;
}

/* Send a batch's calls at once (after the switch to gRPC: only the gateway calls that
 * were asked) and finish each that was sent: a gRPC answer becomes the gateway's. */
static int batch_send(struct ei_etcd_client *c, struct ei_call_batch *b, bool regateway,
		      struct ei_http_req **reqs, struct ei_err *err)
{
	size_t nr = 0;
	int r = 0;

	for (size_t i = 0; i < b->n; i++) {
		struct ei_call *g = b->calls[i];

		g->sent = !regateway || (g->body && g->http.outcome != EI_OUTCOME_NOT_ASKED);
		if (g->sent && r == 0)
			r = call_build(c, g, err);
		if (g->sent && r == 0)
			reqs[nr++] = &g->http;
	}
	if (r == 0)
		r = ei_http_run_cb(c->http, reqs, nr, b->on_done, b->ctx, err);
	for (size_t i = 0; r == 0 && i < b->n; i++)
		if (b->calls[i]->sent)
			r = call_finish(c, b->calls[i], err);
	return r;
}

/* Rule (a): a gateway call of the last pass that the gateway refused for our
 * certificate's CommonName (the client has switched to gRPC). */
static bool batch_refused_cn(struct ei_etcd_client *c, const struct ei_call_batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		if (b->calls[i]->sent && b->calls[i]->body && call_refused_cn(c, b->calls[i]))
			return true;
	return false;
}

int ei_call_batch_ask(struct ei_etcd_client *c, struct ei_call_batch *b, struct ei_err *err)
{
	struct ei_http_req **reqs = calloc(b->n ? b->n : 1, sizeof(*reqs));
	bool get_token = true, regateway = false, retried = false;
	int r;

	if (!reqs)
		return ei_err_set(err, EI_E_NOMEM, "out of memory");
	for (;;) {
		r = get_token ? batch_token(c, b, err) : 0;
		if (r == 0)
			r = batch_send(c, b, regateway, reqs, err);
		if (r < 0)
			break;
		get_token = false;
		/* Rule (a): at most once, as the client switches to gRPC only once. */
		regateway = batch_refused_cn(c, b);
		if (regateway)
			continue;
		r = b->read ? b->read(c, b, err) : 0;
		/* Rule (b): a new token, once. */
		if (!b->retry_token || retried || !b->res ||
		    !ei_call_token_rejected(c, b->res->failure, b->res->message))
			break;
		ei_log_info("etcd rejected the auth token; authenticating again", "endpoint=%s",
			    b->res->endpoint);
		retried = get_token = true;
	}
	free(reqs);
	return r;
}

/* {"name":"<user>","password":"<password>"}, escaped by json-c; the caller wipes it. */
static char *auth_body(const struct ei_etcd_client *c)
{
	json_object *o = json_object_new_object();
	char *body = NULL;

	if (o) {
		const char *text;

		json_object_object_add(o, "name", json_object_new_string(c->user));
		json_object_object_add(o, "password", json_object_new_string(c->password));
		text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
		body = strdup(text);
		/* json-c's copies of the password: its string and the serialisation. */
		explicit_bzero((char *)(uintptr_t)text, strlen(text));
		ei_json_wipe_strings(o);
	}
	json_object_put(o);
	return body;
}

/* A token for a header line: nothing that would split it, and not empty. */
static int check_token(const char *t, struct ei_err *err)
{
	for (const char *p = t; *p; p++)
		if ((unsigned char)*p < 0x21 || *p == 0x7f)
			return ei_err_set(err, EI_E_PARSE,
					  "authenticate: the token holds a control character");
	if (!*t)
		return ei_err_set(err, EI_E_PARSE, "authenticate: the token is empty");
	return 0;
}

/* The token of an AuthenticateResponse, into a new "Authorization: <token>" line. */
static int take_token(struct ei_etcd_client *c, const struct ei_http_req *r, struct ei_err *err)
{
	json_object *root, *tok;
	int ret;

	ret = ei_json_parse(r->resp, r->resp_len, "authenticate", json_type_object, &root, err);
	if (ret < 0)
		return ret;
	ret = ei_json_field(root, "token", json_type_string, "a string", &tok, "authenticate", err);
	if (ret == 0)
		ret = ei_err_set(err, EI_E_PARSE, "authenticate: no \"token\" in the answer");
	if (ret > 0)
		ret = check_token(json_object_get_string(tok), err);
	/* The raw token: "Bearer " is stripped only by 3.5.32+/3.6.13+
	 * (server/auth/store.go AuthInfoFromCtx). */
	if (ret == 0) {
		free_secret(c->auth_header);
		if (asprintf(&c->auth_header, "Authorization: %s", json_object_get_string(tok)) < 0) {
			c->auth_header = NULL;
			ret = ei_err_set(err, EI_E_NOMEM, "out of memory");
		}
	}
	json_object_put(root);
	return ret;
}

/* The authentication batch's answers: the first token, or auth is off, or why not. */
static int auth_read(struct ei_etcd_client *c, struct ei_call_batch *b, struct ei_err *err)
{
	struct ei_etcd_result *res = b->res;

	for (size_t i = 0; i < b->n; i++) {
		const struct ei_call *g = b->calls[i];
		struct ei_err perr = { 0 };

		ei_call_result(c, res, &g->http, g->endpoint);
		if (g->http.outcome == EI_OUTCOME_VALID) {
			if (take_token(c, &g->http, &perr) == 0) {
				c->auth_refused[0] = '\0';
				return 0;
			}
			res->failure = EI_ETCD_FAIL_BAD_ANSWER;
			snprintf(res->message, sizeof(res->message), "%s", perr.msg);
		} else if (g->http.outcome == EI_OUTCOME_HTTP_ERROR &&
			   strstr(res->message, "authentication is not enabled")) {
			ei_log_info("etcd auth is not enabled in this cluster: no token is sent",
				    "endpoint=%s", g->endpoint);
			c->auth_off = true;
			return 0;
		} else if (g->http.outcome == EI_OUTCOME_HTTP_ERROR &&
			   ei_etcd_failure_is_auth(res->failure)) {
			snprintf(c->auth_refused, sizeof(c->auth_refused),
				 "etcd at %s refused the credentials of user %s: %s (check --auth-password-file / ETCDCTL_PASSWORD)",
				 g->endpoint, c->user, res->message);
		}
	}
	if (c->auth_refused[0])
		return ei_err_set(err, EI_E_CLUSTER, "%s", c->auth_refused);
	if (b->n == 0)
		return ei_err_set(err, EI_E_UNAVAILABLE, "authenticate: no endpoint to ask");
	return ei_err_set(err, res->failure == EI_ETCD_FAIL_BAD_ANSWER ? EI_E_PARSE : EI_E_UNAVAILABLE,
			  "authenticate as %s: no token (last: %s: %s)", c->user, res->endpoint,
			  res->message);
}

int ei_call_authenticate(struct ei_etcd_client *c, const char *const *endpoints,
			 const char *const *pins, size_t n, struct ei_etcd_result *res,
			 struct ei_err *err)
{
	struct ei_call *g = calloc(n ? n : 1, sizeof(*g));
	struct ei_call **calls = calloc(n ? n : 1, sizeof(*calls));
	char *body = auth_body(c);
	struct ei_call_batch b = { .calls = calls, .n = n, .read = auth_read, .res = res };
	int ret;

	if (!g || !calls || !body) {
		ret = ei_err_set(err, EI_E_NOMEM, "out of memory");
		goto out;
	}
	forget_token(c);
	for (size_t i = 0; i < n; i++) {
		ei_call_post(&g[i], endpoints[i], pins ? pins[i] : NULL, "/v3/auth/authenticate",
			     body, c->request_ms, false);
		calls[i] = &g[i];
	}
	ret = ei_call_batch_ask(c, &b, err);
out:
	for (size_t i = 0; g && i < n; i++)
		ei_call_clear(&g[i]);
	free(g);
	free(calls);
	free_secret(body);
	return ret;
}

int ei_etcd_authenticate(struct ei_etcd_client *c, const char *endpoint, const char *pin,
			 struct ei_etcd_result *res, struct ei_err *err)
{
	struct ei_etcd_result local;

	if (!c->user || c->auth_off)
		return 0;
	return ei_call_authenticate(c, &endpoint, &pin, 1, res ? res : &local, err);
}

const char *ei_etcd_auth_refused(const struct ei_etcd_client *c)
{
	return c->auth_refused[0] ? c->auth_refused : NULL;
}
