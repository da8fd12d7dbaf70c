/* etcdclient.c - etcd's JSON gateway and peer API over libcurl multi (see etcdclient.h).
 *
 * All transfers of one call run on the client's multi handle and are driven by
 * drive(): curl_multi_poll() with the loop's signalfd as an extra fd, so a
 * SIGTERM ends any call at once with EI_E_SIGNAL (STYLE.md rule 4). Every
 * transfer has a connect and a total timeout, so every call is bounded.
 *
 * Member list consistency (etcd-facts §1.3): {} is served from the answering
 * member's local, possibly stale state; {"linearizable":true} (3.5+, ignored by
 * 3.4) goes through raft and fails without quorum. We ask linearizably first,
 * with "Grpc-Metadata-hasleader: true" (fails at once without a leader, §1.4) and
 * a Grpc-Timeout of half the request timeout (so etcd answers before curl gives
 * up). If that endpoint answers "unhealthy" (no leader, timed out, deadline
 * exceeded), it is asked once more with {}: a launcher must still learn the
 * membership of a cluster that lost quorum (to rejoin it, and so restore it).
 * A call therefore takes at most 2x the request timeout. */
#include "etcdclient.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "log.h"

#define EI_RESP_MAX	      (1024 * 1024) /* no etcd answer we read comes near 1 MiB */
#define EI_CONNECT_TIMEOUT_MS 2000L
#define EI_REQUEST_TIMEOUT_MS 5000L

struct ei_etcd_client {
	struct ei_loop *loop;
	CURLM *multi;
	char *ca_file, *cert_file, *key_file;
	char *auth_header; /* "Authorization: <token>" or NULL */
	long connect_ms, request_ms;
	size_t n_active; /* transfers on the multi handle */
};

struct request {
	CURL *easy;
	struct curl_slist *headers;
	const char *endpoint;
	char *url;
	char *body; /* POST body; NULL for GET */
	char *resp; /* the answer, NUL-terminated */
	size_t resp_len;
	bool too_large;
	bool active;	   /* on the multi handle */
	bool linearizable; /* member list, first attempt (see the top of this file) */
	CURLcode result;
	uint64_t started_ms;
	char cluster_id_hex[24];
	char errbuf[CURL_ERROR_SIZE];
};

static char *dup_or_null(const char *s, bool *oom)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*oom = true;
	return d;
}

int ei_etcd_client_create(struct ei_etcd_client **out, struct ei_loop *loop,
			  const struct ei_client_opts *opts, struct ei_err *err)
{
	static const struct ei_client_opts no_opts;
	struct ei_etcd_client *c;
	bool oom = false;

	*out = NULL;
	if (!opts)
		opts = &no_opts;
	/* The token goes into a header line: refuse what would split it (CR, LF). */
	if (opts->auth_token) {
		for (const char *p = opts->auth_token; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				return ei_err_set(
				    err, EI_E_USAGE,
				    "the etcd auth token contains a control character");
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return ei_err_set(err, EI_E_SYS, "curl_global_init failed");
	c = calloc(1, sizeof(*c));
	if (!c) {
		curl_global_cleanup();
		return ei_err_set(err, EI_E_NOMEM, "out of memory");
	}
	c->loop = loop;
	c->connect_ms =
	    opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms : EI_CONNECT_TIMEOUT_MS;
	c->request_ms =
	    opts->request_timeout_ms > 0 ? opts->request_timeout_ms : EI_REQUEST_TIMEOUT_MS;
	c->ca_file = dup_or_null(opts->ca_file, &oom);
	c->cert_file = dup_or_null(opts->cert_file, &oom);
	c->key_file = dup_or_null(opts->key_file, &oom);
	/* etcd-facts §1.5: the raw token; "Bearer " is stripped only by 3.5.32+/3.6.13+. */
	if (opts->auth_token &&
	    asprintf(&c->auth_header, "Authorization: %s", opts->auth_token) < 0) {
		c->auth_header = NULL;
		oom = true;
	}
	c->multi = curl_multi_init();
	if (oom || !c->multi) {
		ei_etcd_client_destroy(c);
		return ei_err_set(err, EI_E_NOMEM, "out of memory");
	}
	*out = c;
	return 0;
}

void ei_etcd_client_destroy(struct ei_etcd_client *c)
{
	if (!c)
		return;
	if (c->multi)
		curl_multi_cleanup(c->multi);
	free(c->ca_file);
	free(c->cert_file);
	free(c->key_file);
	free(c->auth_header);
	free(c);
	curl_global_cleanup();
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct request *r = userdata;
	size_t n = size * nmemb;
	char *p;

	/* The size limit: a short write makes curl abort with CURLE_WRITE_ERROR. */
	if (n > EI_RESP_MAX - r->resp_len) {
		r->too_large = true;
		return 0;
	}
	p = realloc(r->resp, r->resp_len + n + 1);
	if (!p)
		return 0;
	memcpy(p + r->resp_len, data, n);
	r->resp = p;
	r->resp_len += n;
	r->resp[r->resp_len] = '\0';
	return n;
}

static size_t on_header(char *data, size_t size, size_t nitems, void *userdata)
{
	static const char key[] = "X-Etcd-Cluster-ID:";
	struct request *r = userdata;
	size_t n = size * nitems, klen = sizeof(key) - 1, vlen;
	const char *v;

	if (n <= klen || strncasecmp(data, key, klen) != 0)
		return n;
	v = data + klen;
	vlen = n - klen;
	while (vlen && (*v == ' ' || *v == '\t')) {
		v++;
		vlen--;
	}
	while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
		vlen--;
	if (vlen >= sizeof(r->cluster_id_hex))
		vlen = sizeof(r->cluster_id_hex) - 1; /* too long: fails the hex parse later */
	memcpy(r->cluster_id_hex, v, vlen);
	r->cluster_id_hex[vlen] = '\0';
	return n;
}

/* The headers of a gateway call. Grpc-Timeout (units "m" = ms) makes etcd give up
 * no later than curl does (etcd-facts §1.4). */
static struct curl_slist *gateway_headers(const struct ei_etcd_client *c, long grpc_timeout_ms,
					  bool hasleader)
{
	const char *lines[4];
	struct curl_slist *h = NULL;
	char timeout[48];
	size_t n = 0;

	snprintf(timeout, sizeof(timeout), "Grpc-Timeout: %ldm", grpc_timeout_ms);
	lines[n++] = "Content-Type: application/json";
	lines[n++] = timeout;
	if (hasleader)
		lines[n++] = "Grpc-Metadata-hasleader: true";
	if (c->auth_header)
		lines[n++] = c->auth_header;
	for (size_t i = 0; i < n; i++) {
		struct curl_slist *t = curl_slist_append(h, lines[i]);

		if (!t) {
			curl_slist_free_all(h);
			return NULL;
		}
		h = t;
	}
	return h;
}

/* Prepare r for one transfer. body NULL means GET (the peer API); body is copied.
 * The token is sent only to the gateway, never to a peer URL. */
static int req_setup(struct ei_etcd_client *c, struct request *r, const char *endpoint,
		     const char *path, const char *body, long grpc_timeout_ms, bool hasleader,
		     struct ei_err *err)
{
	size_t elen = strlen(endpoint);
	int bad = 0;
	CURL *e;

	memset(r, 0, sizeof(*r));
	r->endpoint = endpoint;
	while (elen && endpoint[elen - 1] == '/')
		elen--;
	if (asprintf(&r->url, "%.*s%s", (int)elen, endpoint, path) < 0) {
		r->url = NULL;
		return ei_err_set(err, EI_E_NOMEM, "out of memory");
	}
	if (body && !(r->body = strdup(body)))
		return ei_err_set(err, EI_E_NOMEM, "out of memory");
	if (body && !(r->headers = gateway_headers(c, grpc_timeout_ms, hasleader)))
		return ei_err_set(err, EI_E_NOMEM, "out of memory");
	r->easy = e = curl_easy_init();
	if (!e)
		return ei_err_set(err, EI_E_NOMEM, "curl_easy_init failed");
	bad |= curl_easy_setopt(e, CURLOPT_URL, r->url) != CURLE_OK;
	/* libcurl-thread(3): no SIGALRM for DNS timeouts; SIGPIPE is ignored by sig.c. */
	bad |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85.0 */
	bad |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK;
#else
	bad |= curl_easy_setopt(e, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS)) !=
	       CURLE_OK;
#endif
	bad |= curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK;
#if LIBCURL_VERSION_NUM >= 0x075700 /* 7.87.0 */
	/* Cancelling a transfer that is still resolving (SIGTERM, or another
	 * endpoint answered first) would otherwise join the threaded resolver and
	 * block until getaddrinfo gives up (seen: 9.5 s with a silent DNS server);
	 * with this the thread is detached and frees itself. Older libcurl blocks. */
	bad |= curl_easy_setopt(e, CURLOPT_QUICK_EXIT, 1L) != CURLE_OK;
#endif
	/* HTTP/1.1 everywhere: etcd routes HTTP/2 by Content-Type between gRPC and the
	 * gateway (§1.6); one protocol keeps TLS and plain text behaving alike. */
	bad |= curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, c->connect_ms) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, c->request_ms) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)EI_RESP_MAX) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_WRITEDATA, r) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_HEADERDATA, r) != CURLE_OK;
	if (c->ca_file)
		bad |= curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_file) != CURLE_OK;
	if (c->cert_file)
		bad |= curl_easy_setopt(e, CURLOPT_SSLCERT, c->cert_file) != CURLE_OK;
	if (c->key_file)
		bad |= curl_easy_setopt(e, CURLOPT_SSLKEY, c->key_file) != CURLE_OK;
	if (body) {
		bad |= curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body) != CURLE_OK;
		bad |=
		    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(r->body)) != CURLE_OK;
		bad |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers) != CURLE_OK;
	} else {
		bad |= curl_easy_setopt(e, CURLOPT_HTTPGET, 1L) != CURLE_OK;
	}
	if (bad)
		return ei_err_set(err, EI_E_SYS, "%s: libcurl refused an option", r->url);
	return 0;
}

static int req_start(struct ei_etcd_client *c, struct request *r, struct ei_err *err)
{
	CURLMcode mc;

	free(r->resp);
	r->resp = NULL;
	r->resp_len = 0;
	r->too_large = false;
	r->errbuf[0] = '\0';
	r->cluster_id_hex[0] = '\0';
	r->started_ms = ei_clock_ms();
	ei_log_debug("etcd request", "method=%s url=%s body=%s", r->body ? "POST" : "GET", r->url,
		     r->body ? r->body : "-");
	mc = curl_multi_add_handle(c->multi, r->easy);
	if (mc != CURLM_OK)
		return ei_err_set(err, EI_E_SYS, "curl_multi_add_handle: %s",
				  curl_multi_strerror(mc));
	r->active = true;
	c->n_active++;
	return 0;
}

static void req_stop(struct ei_etcd_client *c, struct request *r)
{
	if (!r->active)
		return;
	curl_multi_remove_handle(c->multi, r->easy);
	r->active = false;
	c->n_active--;
}

/* Remove from the multi handle (cancelling a running transfer) and free. */
static void req_cleanup(struct ei_etcd_client *c, struct request *r)
{
	req_stop(c, r);
	if (r->easy)
		curl_easy_cleanup(r->easy);
	curl_slist_free_all(r->headers);
	free(r->url);
	free(r->body);
	free(r->resp);
	memset(r, 0, sizeof(*r));
}

/* The second attempt of a member list: {} without hasleader (top of file). */
static int req_rearm_local(struct ei_etcd_client *c, struct request *r, struct ei_err *err)
{
	struct curl_slist *h = gateway_headers(c, c->request_ms, false);
	char *body = strdup("{}");

	if (!h || !body) {
		curl_slist_free_all(h);
		free(body);
		return ei_err_set(err, EI_E_NOMEM, "out of memory");
	}
	curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(r->easy, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(r->easy, CURLOPT_POSTFIELDSIZE, 2L);
	curl_slist_free_all(r->headers);
	free(r->body);
	r->headers = h;
	r->body = body;
	r->linearizable = false;
	return req_start(c, r, err);
}

/* Fill res from a finished transfer and classify it; NONE means a 2xx answer
 * whose body is in r->resp. */
static enum ei_etcd_failure req_outcome(const struct request *r, struct ei_etcd_result *res)
{
	long code = 0;

	memset(res, 0, sizeof(*res));
	snprintf(res->endpoint, sizeof(res->endpoint), "%s", r->endpoint);
	if (r->too_large || r->result == CURLE_FILESIZE_EXCEEDED) {
		res->failure = EI_ETCD_FAIL_BAD_ANSWER;
		snprintf(res->message, sizeof(res->message), "answer larger than %d bytes",
			 EI_RESP_MAX);
	} else if (r->result != CURLE_OK) {
		/* Refused, DNS, TLS, timeout, or a connection closed without an answer
		 * (which is also how some versions answer a bad token, §1.5). */
		res->failure = EI_ETCD_FAIL_UNREACHABLE;
		snprintf(res->message, sizeof(res->message), "%s",
			 r->errbuf[0] ? r->errbuf : curl_easy_strerror(r->result));
	} else {
		curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &code);
		res->http_status = code;
		if (code >= 200 && code < 300)
			res->failure = EI_ETCD_FAIL_NONE;
		else
			res->failure = ei_members_parse_error(r->resp, r->resp_len, code,
							      res->message, sizeof(res->message));
	}
	ei_log_debug("etcd answer", "url=%s http=%ld ms=%" PRIu64 " failure=%s message=\"%s\"",
		     r->url, res->http_status, ei_clock_ms() - r->started_ms,
		     ei_etcd_failure_name(res->failure), res->message);
	return res->failure;
}

/* Run the transfers in reqs until all are done or on_done (called for each
 * finished one; NULL: stop at the first) returns true. The one wait is
 * curl_multi_poll() on curl's sockets plus the signalfd. */
static int drive(struct ei_etcd_client *c, struct request *reqs, size_t n,
		 bool (*on_done)(struct ei_etcd_client *c, struct request *r, void *ctx), void *ctx,
		 struct ei_err *err)
{
	for (;;) {
		struct curl_waitfd wfd = {.fd = ei_loop_signal_fd(c->loop),
					  .events = CURL_WAIT_POLLIN};
		CURLMsg *msg;
		CURLMcode mc;
		int running, left;

		/* Read the signalfd after every wake-up (and before the first wait, so
		 * a signal from an earlier wait also ends this one; loop.h). */
		if (ei_loop_check_signals(c->loop, err) < 0)
			return EI_E_SIGNAL;
		mc = curl_multi_perform(c->multi, &running);
		if (mc != CURLM_OK)
			return ei_err_set(err, EI_E_SYS, "curl_multi_perform: %s",
					  curl_multi_strerror(mc));
		while ((msg = curl_multi_info_read(c->multi, &left))) {
			CURL *easy = msg->easy_handle;
			CURLcode result = msg->data.result;
			struct request *r = NULL;

			if (msg->msg != CURLMSG_DONE)
				continue;
			for (size_t i = 0; i < n && !r; i++)
				if (reqs[i].easy == easy)
					r = &reqs[i];
			if (!r)
				continue;
			/* msg is invalid from here on. */
			req_stop(c, r);
			r->result = result;
			if (!on_done || on_done(c, r, ctx))
				return 0;
		}
		if (c->n_active == 0)
			return 0;
		mc = curl_multi_poll(c->multi, &wfd, 1, 1000, NULL);
		if (mc != CURLM_OK)
			return ei_err_set(err, EI_E_SYS, "curl_multi_poll: %s",
					  curl_multi_strerror(mc));
	}
}

struct list_ctx {
	bool peer;
	bool found;
	struct ei_member_list *out;
	struct ei_etcd_result *res;
};

static bool list_done(struct ei_etcd_client *c, struct request *r, void *ctx)
{
	struct list_ctx *lc = ctx;
	struct ei_etcd_result one;
	enum ei_etcd_failure f = req_outcome(r, &one);

	if (f == EI_ETCD_FAIL_NONE) {
		struct ei_err perr = {0};
		int pr = lc->peer
			     ? ei_members_parse_peer(r->resp, r->resp_len, r->cluster_id_hex,
						     lc->out, &perr)
			     : ei_members_parse_gateway(r->resp, r->resp_len, lc->out, NULL, &perr);

		if (pr == 0) {
			*lc->res = one;
			lc->found = true;
			return true;
		}
		one.failure = EI_ETCD_FAIL_BAD_ANSWER;
		snprintf(one.message, sizeof(one.message), "%s", perr.msg);
		ei_log_warn("unreadable member list", "endpoint=%s error=\"%s\"", r->endpoint,
			    perr.msg);
	} else if (r->linearizable && f == EI_ETCD_FAIL_UNHEALTHY) {
		ei_log_debug("linearizable member list failed, asking for the local list",
			     "endpoint=%s message=\"%s\"", r->endpoint, one.message);
		if (req_rearm_local(c, r, NULL) == 0)
			return false;
	} else if (f == EI_ETCD_FAIL_LEARNER_RPC) {
		ei_log_debug("skipping a learner", "endpoint=%s", r->endpoint);
	}
	*lc->res = one; /* the last failure, as etcdclient.h promises */
	return false;
}

static int list_common(struct ei_etcd_client *c, bool peer, const char *const *endpoints, size_t n,
		       struct ei_member_list *out, struct ei_etcd_result *res, struct ei_err *err)
{
	const char *what = peer ? "peer member list" : "member list";
	struct ei_etcd_result local;
	struct list_ctx lc = {.peer = peer, .out = out};
	struct request *reqs = NULL;
	int r = 0;

	memset(out, 0, sizeof(*out));
	lc.res = res ? res : &local;
	memset(lc.res, 0, sizeof(*lc.res));
	if (n == 0)
		return ei_err_set(err, EI_E_USAGE, "%s: no endpoint to ask", what);
	reqs = calloc(n, sizeof(*reqs));
	if (!reqs)
		return ei_err_set(err, EI_E_NOMEM, "out of memory");
	for (size_t i = 0; i < n && r == 0; i++) {
		if (peer)
			r = req_setup(c, &reqs[i], endpoints[i], "/members", NULL, 0, false, err);
		else
			r = req_setup(c, &reqs[i], endpoints[i], "/v3/cluster/member/list",
				      "{\"linearizable\":true}", c->request_ms / 2, true, err);
		reqs[i].linearizable = !peer;
		if (r == 0)
			r = req_start(c, &reqs[i], err);
	}
	if (r == 0)
		r = drive(c, reqs, n, list_done, &lc, err);
	if (r == 0 && !lc.found)
		r = ei_err_set(err, EI_E_UNAVAILABLE, "%s: no endpoint answered (last: %s: %s: %s)",
			       what, lc.res->endpoint, ei_etcd_failure_name(lc.res->failure),
			       lc.res->message);
	/* Cancels the transfers still running. */
	for (size_t i = 0; i < n; i++)
		req_cleanup(c, &reqs[i]);
	free(reqs);
	if (r < 0)
		ei_member_list_free(out);
	return r;
}

int ei_etcd_member_list(struct ei_etcd_client *c, const char *const *endpoints, size_t n,
			struct ei_member_list *out, struct ei_etcd_result *res, struct ei_err *err)
{
	return list_common(c, false, endpoints, n, out, res, err);
}

int ei_etcd_member_list_peer(struct ei_etcd_client *c, const char *const *peer_urls, size_t n,
			     struct ei_member_list *out, struct ei_etcd_result *res,
			     struct ei_err *err)
{
	return list_common(c, true, peer_urls, n, out, res, err);
}

/* One POST to one endpoint. Returns 0 with the 2xx body in r (which the caller
 * cleans up in every case), or the error for the failure in res. */
static int call_one(struct ei_etcd_client *c, struct request *r, const char *what,
		    const char *endpoint, const char *path, const char *body,
		    struct ei_etcd_result *res, struct ei_err *err)
{
	enum ei_etcd_failure f;
	int ret;

	memset(res, 0, sizeof(*res));
	ret = req_setup(c, r, endpoint, path, body, c->request_ms, false, err);
	if (ret == 0)
		ret = req_start(c, r, err);
	if (ret == 0)
		ret = drive(c, r, 1, NULL, NULL, err);
	if (ret < 0)
		return ret;
	f = req_outcome(r, res);
	if (f == EI_ETCD_FAIL_NONE)
		return 0;
	if (f == EI_ETCD_FAIL_UNREACHABLE)
		return ei_err_set(err, EI_E_UNAVAILABLE, "%s on %s: no answer: %s", what, endpoint,
				  res->message);
	if (f == EI_ETCD_FAIL_BAD_ANSWER)
		return ei_err_set(err, EI_E_PARSE, "%s on %s: %s", what, endpoint, res->message);
	return ei_err_set(err, EI_E_CLUSTER, "%s on %s: etcd answered HTTP %ld (%s): %s", what,
			  endpoint, res->http_status, ei_etcd_failure_name(f), res->message);
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

int ei_etcd_member_add(struct ei_etcd_client *c, const char *endpoint, const char *peer_url,
		       bool learner, struct ei_member *added, struct ei_member_list *members,
		       struct ei_etcd_result *res, struct ei_err *err)
{
	struct ei_member added_local;
	struct ei_member_list list_local;
	struct ei_etcd_result res_local;
	struct request r = {0};
	char *body = add_body(peer_url, learner);
	int ret;

	if (!added)
		added = &added_local;
	if (!members)
		members = &list_local;
	memset(added, 0, sizeof(*added));
	memset(members, 0, sizeof(*members));
	if (!body)
		return ei_err_set(err, EI_E_NOMEM, "out of memory");
	ret = call_one(c, &r, "member add", endpoint, "/v3/cluster/member/add", body,
		       res ? res : &res_local, err);
	if (ret == 0)
		ret = ei_members_parse_gateway(r.resp, r.resp_len, members, added, err);
	if (ret == 0 && added->id == 0) {
		ei_member_list_free(members);
		ret = ei_err_set(err, EI_E_PARSE, "member add: no \"member\" in the answer");
	}
	if (ret == EI_E_PARSE && res) {
		res->failure = EI_ETCD_FAIL_BAD_ANSWER;
		snprintf(res->message, sizeof(res->message), "%s", err ? err->msg : "bad answer");
	}
	if (ret == 0)
		ei_log_debug("member added", "id=%" PRIu64 " peer_url=%s learner=%d", added->id,
			     peer_url, (int)learner);
	req_cleanup(c, &r);
	free(body);
	if (added == &added_local)
		ei_member_free(added);
	if (members == &list_local)
		ei_member_list_free(members);
	return ret;
}

/* remove and promote: {"ID":"<decimal>"} (IDs as decimal strings, §1.3). */
static int member_id_call(struct ei_etcd_client *c, const char *what, const char *path,
			  const char *endpoint, uint64_t id, struct ei_etcd_result *res,
			  struct ei_err *err)
{
	struct ei_etcd_result res_local;
	struct request r = {0};
	char body[64];
	int ret;

	snprintf(body, sizeof(body), "{\"ID\":\"%" PRIu64 "\"}", id);
	ret = call_one(c, &r, what, endpoint, path, body, res ? res : &res_local, err);
	req_cleanup(c, &r);
	return ret;
}

int ei_etcd_member_remove(struct ei_etcd_client *c, const char *endpoint, uint64_t id,
			  struct ei_etcd_result *res, struct ei_err *err)
{
	return member_id_call(c, "member remove", "/v3/cluster/member/remove", endpoint, id, res,
			      err);
}

int ei_etcd_member_promote(struct ei_etcd_client *c, const char *endpoint, uint64_t id,
			   struct ei_etcd_result *res, struct ei_err *err)
{
	return member_id_call(c, "member promote", "/v3/cluster/member/promote", endpoint, id, res,
			      err);
}

int ei_etcd_status(struct ei_etcd_client *c, const char *endpoint, struct ei_member_status *out,
		   struct ei_etcd_result *res, struct ei_err *err)
{
	struct ei_etcd_result res_local;
	struct request r = {0};
	int ret;

	memset(out, 0, sizeof(*out));
	if (!res)
		res = &res_local;
	ret = call_one(c, &r, "status", endpoint, "/v3/maintenance/status", "{}", res, err);
	if (ret == 0)
		ret = ei_members_parse_status(r.resp, r.resp_len, out, err);
	if (ret == EI_E_PARSE) {
		res->failure = EI_ETCD_FAIL_BAD_ANSWER;
		snprintf(res->message, sizeof(res->message), "%s", err ? err->msg : "bad answer");
	}
	req_cleanup(c, &r);
	return ret;
}
