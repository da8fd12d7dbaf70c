/* etcdcall.c - one call to etcd: TLS, auth and the transport (see etcdcall.h).
 *
 * etcd auth (etcd-facts §1.5): the token is sent as "Authorization: <token>" (no
 * "Bearer": only recent etcd strips it), on the gateway and over gRPC alike (etcd reads
 * the metadata "token" or "authorization"); neither it nor the password is ever logged
 * or put in a message. */
#include "etcdcall.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "json.h"
#include "log.h"

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
bool ei_call_token_rejected(struct ei_etcd_client *c, enum ei_etcd_failure failure,
			    const char *message)
{
	if (!c->auth_header || failure != EI_ETCD_FAIL_AUTH || !strstr(message, "invalid auth token"))
		return false;
	forget_token(c);
	return true;
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

int ei_call_setup(struct ei_etcd_client *c, struct ei_call *g, const char *endpoint,
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
			ei_call_clear(g);
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
int ei_call_finish(const struct ei_etcd_client *c, struct ei_call *g, struct ei_err *err)
{
	const char *secrets[] = { c->password, token_of(c), NULL };

	return g->grpc ? ei_grpc_answer(g->grpc, &g->http, secrets, err) : 0;
}

/* Run n gateway requests (reqs[i] == &g[i].http) and finish each (ei_call_finish). *again is
 * set when the gateway refused our certificate's CN and the client switched to gRPC:
 * the caller clears the requests and sets them up again. */
int ei_call_run(struct ei_etcd_client *c, struct ei_call *g, struct ei_http_req **reqs,
		size_t n, bool *again, struct ei_err *err)
{
	int r = ei_http_run(c->http, reqs, n, err);

	*again = false;
	for (size_t i = 0; r == 0 && i < n; i++)
		r = ei_call_finish(c, &g[i], err);
	for (size_t i = 0; r == 0 && i < n && !*again; i++)
		*again = ei_call_refused_cn(c, &g[i]);
	return r;
}

/* etcd's gateway refuses every /v3/ call from a client certificate with a CommonName
 * when auth and client certificate auth are on (etcd-facts §1.6): the certificate is
 * meant to be the user, which only gRPC passes on. Switch this client to gRPC (once,
 * when libcurl speaks HTTP/2); true when the caller should ask again. */
bool ei_call_refused_cn(struct ei_etcd_client *c, const struct ei_call *g)
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
void ei_call_get(struct ei_call *g, const struct ei_http_tls *tls, const char *endpoint,
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
const char *ei_call_status_text(const struct ei_http_req *r, char *buf, size_t len)
{
	if (r->grpc && r->grpc_status > 0)
		snprintf(buf, len, "gRPC %s", ei_grpc_code_name(r->grpc_status));
	else
		snprintf(buf, len, "HTTP %ld", r->status);
	return buf;
}

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
		/* Refused, timeout, TLS, closed (which is also how some versions answer
		 * a bad token, etcd-facts §1.5). */
		res->failure = EI_ETCD_FAIL_UNREACHABLE;
		snprintf(res->message, sizeof(res->message), "%s: %s",
			 ei_outcome_name(r->outcome), r->detail);
		break;
	}
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
int ei_call_authenticate(struct ei_etcd_client *c, const char *const *endpoints,
			 const char *const *pins, size_t n, struct ei_etcd_result *res,
			 struct ei_err *err)
{
	struct ei_call *g = calloc(n ? n : 1, sizeof(*g));
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
		ret = ei_call_setup(c, &g[i], endpoints[i], pins ? pins[i] : NULL,
				    "/v3/auth/authenticate", body, c->request_ms, false, err);
		if (ret < 0)
			goto out;
		reqs[i] = &g[i].http;
	}
	ret = ei_call_run(c, g, reqs, n, &again, err);
	if (ret < 0)
		goto out;
	if (again) {
		for (size_t i = 0; i < n; i++)
			ei_call_clear(&g[i]);
		goto ask;
	}
	ret = ei_err_set(err, EI_E_UNAVAILABLE, "authenticate: no endpoint to ask");
	for (size_t i = 0; i < n; i++) {
		struct ei_err perr = { 0 };

		ei_call_result(c, res, &g[i].http, endpoints[i]);
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
			   ei_etcd_failure_is_auth(res->failure)) {
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
		ei_call_clear(&g[i]);
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
	return ei_call_authenticate(c, &endpoint, &pin, 1, res ? res : &local, err);
}

const char *ei_etcd_auth_refused(const struct ei_etcd_client *c)
{
	return c->auth_refused[0] ? c->auth_refused : NULL;
}
