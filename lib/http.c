/* http.c - bounded HTTP requests over libcurl multi in the one event loop (see http.h).
 *
 * All requests of one ei_http_run are easy handles on the client's multi handle, driven
 * by curl_multi_poll() with the loop's signalfd and watch fds as extra fds. The bounds:
 *  - connect: CURLOPT_CONNECTTIMEOUT_MS; total: CURLOPT_TIMEOUT_MS;
 *  - first byte and minimum speed: checked in the progress callback (libcurl's own
 *    low-speed limit also counts the time a server takes to think, which a member
 *    committing a change legitimately does);
 *  - body and headers: counted in the write and header callbacks, which abort the
 *    transfer by returning a short count. */
#include "http.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "httpoutcome.h"
#include "log.h"

#define DEFAULT_CONNECT_MS 1000L
#define DEFAULT_TOTAL_MS 2000L
#define DEFAULT_MIN_SPEED 1024L
#define DEFAULT_MAX_BODY (1024u * 1024u)
#define DEFAULT_MAX_HEADERS (16u * 1024u)
/* How often curl_multi_poll wakes up while transfers run, so the progress checks
 * (first byte, speed) are at most this late. */
#define DRIVE_TICK_MS 100

struct ei_http {
	struct ei_loop *loop;
	CURLM *multi;
	char *ca_file, *cert_file, *key_file;
	long connect_ms, total_ms, first_byte_ms, min_speed;
	size_t max_body, max_headers;
};

/* Per-transfer state, alive during one ei_http_run. */
struct transfer {
	struct ei_http *h;
	struct ei_http_req *req;
	CURL *easy;
	struct curl_slist *headers;
	struct curl_slist *resolve;
	bool active;
	size_t resp_cap; /* allocated for req->resp, grown by doubling */
	CURLcode result;
	uint64_t started_ms, first_byte_ms;
	size_t header_bytes, body_bytes;
	enum ei_http_abort aborted;
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

int ei_http_create(struct ei_http **out, struct ei_loop *loop, const struct ei_http_opts *opts,
		   struct ei_err *err)
{
	static const struct ei_http_opts none;
	struct ei_http *h;
	bool oom = false;

	*out = NULL;
	if (!opts)
		opts = &none;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return ei_err_set(err, EI_E_SYS, "curl_global_init failed");
	h = calloc(1, sizeof(*h));
	if (!h) {
		curl_global_cleanup();
		return ei_err_set(err, EI_E_NOMEM, "out of memory");
	}
	h->loop = loop;
	h->connect_ms = opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms : DEFAULT_CONNECT_MS;
	h->total_ms = opts->total_timeout_ms > 0 ? opts->total_timeout_ms : DEFAULT_TOTAL_MS;
	h->first_byte_ms = opts->first_byte_timeout_ms > 0 ? opts->first_byte_timeout_ms : h->total_ms;
	h->min_speed = opts->min_bytes_per_s > 0 ? opts->min_bytes_per_s : DEFAULT_MIN_SPEED;
	h->max_body = opts->max_body ? opts->max_body : DEFAULT_MAX_BODY;
	h->max_headers = opts->max_headers ? opts->max_headers : DEFAULT_MAX_HEADERS;
	h->ca_file = dup_or_null(opts->ca_file, &oom);
	h->cert_file = dup_or_null(opts->cert_file, &oom);
	h->key_file = dup_or_null(opts->key_file, &oom);
	h->multi = curl_multi_init();
	if (oom || !h->multi) {
		ei_http_destroy(h);
		return ei_err_set(err, EI_E_NOMEM, "out of memory");
	}
	*out = h;
	return 0;
}

void ei_http_destroy(struct ei_http *h)
{
	if (!h)
		return;
	if (h->multi)
		curl_multi_cleanup(h->multi);
	free(h->ca_file);
	free(h->cert_file);
	free(h->key_file);
	free(h);
	curl_global_cleanup();
}

void ei_http_req_clear(struct ei_http_req *r)
{
	free(r->resp);
	r->resp = NULL;
	r->resp_len = 0;
	r->outcome = EI_OUTCOME_NOT_ASKED;
	r->status = 0;
	r->cluster_id_hex[0] = '\0';
	r->remote_ip[0] = '\0';
	r->detail[0] = '\0';
	r->ms = 0;
	r->grpc_status = -1;
	r->grpc_message[0] = '\0';
	r->cancel = false;
	r->cancel_why[0] = '\0';
}

bool ei_http_has_http2(void)
{
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);

	return v && (v->features & CURL_VERSION_HTTP2);
}

bool ei_http_query(char *buf, size_t len, const char *const *kv, size_t n)
{
	size_t used = 0;

	if (len)
		buf[0] = '\0';
	for (size_t i = 0; i < 2 * n; i++) {
		char *e = curl_easy_escape(NULL, kv[i], 0);
		int w;

		if (!e)
			return false;
		w = snprintf(buf + used, len - used, "%s%s", i == 0 ? "" : i % 2 ? "=" : "&", e);
		curl_free(e);
		if (w < 0 || (size_t)w >= len - used)
			return false;
		used += (size_t)w;
	}
	return true;
}

void ei_http_req_cancel(struct ei_http_req *r, const char *why)
{
	r->cancel = true;
	snprintf(r->cancel_why, sizeof(r->cancel_why), "%s", why);
}

bool ei_http_pin(char *buf, size_t len, const char *host, unsigned port,
		 const char (*addrs)[INET6_ADDRSTRLEN], size_t n_addrs)
{
	size_t used;
	int n;

	if (n_addrs == 0)
		return false;
	n = snprintf(buf, len, "%s:%u:", host, port);
	if (n < 0 || (size_t)n >= len)
		return false;
	used = (size_t)n;
	for (size_t i = 0; i < n_addrs; i++) {
		bool v6 = strchr(addrs[i], ':') != NULL;

		n = snprintf(buf + used, len - used, "%s%s%s%s", i ? "," : "", v6 ? "[" : "",
			     addrs[i], v6 ? "]" : "");
		if (n < 0 || (size_t)n >= len - used)
			return false;
		used += (size_t)n;
	}
	return true;
}

static void note_first_byte(struct transfer *t)
{
	if (!t->first_byte_ms)
		t->first_byte_ms = ei_clock_ms();
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct transfer *t = userdata;
	struct ei_http_req *r = t->req;
	size_t n = size * nmemb;
	char *p;

	note_first_byte(t);
	/* A short count makes libcurl abort with CURLE_WRITE_ERROR. */
	if (n > t->h->max_body - r->resp_len) {
		t->aborted = EI_HTTP_ABORT_BODY;
		return 0;
	}
	if (r->resp_len + n + 1 > t->resp_cap) {
		size_t cap = t->resp_cap ? t->resp_cap : 4096;

		while (cap < r->resp_len + n + 1)
			cap *= 2;
		p = realloc(r->resp, cap);
		if (!p) {
			t->aborted = EI_HTTP_ABORT_NOMEM;
			return 0;
		}
		r->resp = p;
		t->resp_cap = cap;
	}
	p = r->resp;
	memcpy(p + r->resp_len, data, n);
	r->resp_len += n;
	r->resp[r->resp_len] = '\0';
	t->body_bytes += n;
	return n;
}

/* The value of header line data[0..n) when its name is key (with the colon), trimmed
 * of blanks and the line end; NULL otherwise. */
static const char *header_value(const char *data, size_t n, const char *key, size_t *vlen)
{
	size_t klen = strlen(key);
	const char *v;

	if (n <= klen || strncasecmp(data, key, klen) != 0)
		return NULL;
	v = data + klen;
	*vlen = n - klen;
	while (*vlen && (*v == ' ' || *v == '\t')) {
		v++;
		(*vlen)--;
	}
	while (*vlen && (v[*vlen - 1] == '\r' || v[*vlen - 1] == '\n' || v[*vlen - 1] == ' '))
		(*vlen)--;
	return v;
}

/* Copy a header value into a fixed buffer, cut to fit. */
static void header_copy(char *out, size_t out_len, const char *v, size_t vlen)
{
	if (vlen >= out_len)
		vlen = out_len - 1;
	memcpy(out, v, vlen);
	out[vlen] = '\0';
}

static size_t on_header(char *data, size_t size, size_t nitems, void *userdata)
{
	struct transfer *t = userdata;
	struct ei_http_req *r = t->req;
	size_t n = size * nitems, vlen;
	const char *v;

	note_first_byte(t);
	t->header_bytes += n;
	if (t->header_bytes > t->h->max_headers) {
		t->aborted = EI_HTTP_ABORT_HEADERS;
		return 0;
	}
	/* A new response (after a 100 Continue) starts over. */
	if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		r->cluster_id_hex[0] = '\0';
		r->grpc_status = -1;
		r->grpc_message[0] = '\0';
	}
	/* Too long a cluster ID is cut, and then fails the hex parse. */
	if ((v = header_value(data, n, "X-Etcd-Cluster-ID:", &vlen)))
		header_copy(r->cluster_id_hex, sizeof(r->cluster_id_hex), v, vlen);
	/* gRPC's status comes as a trailer (after the body), or as a header of an answer
	 * that has no body; libcurl hands both to this callback. */
	if (r->grpc && (v = header_value(data, n, "grpc-status:", &vlen))) {
		char num[8];
		char *end;
		long code;

		header_copy(num, sizeof(num), v, vlen);
		code = strtol(num, &end, 10);
		r->grpc_status = (end != num && !*end && code >= 0 && code < 1000) ? (int)code : 999;
	}
	if (r->grpc && (v = header_value(data, n, "grpc-message:", &vlen)))
		header_copy(r->grpc_message, sizeof(r->grpc_message), v, vlen);
	return n;
}

/* The first-byte and speed bounds (top of file). Returning non-zero aborts. */
static int on_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	struct transfer *t = userdata;
	uint64_t now = ei_clock_ms();

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	if (!t->first_byte_ms) {
		curl_off_t st = 0;

		/* libcurl calls on_header only with a whole line: bytes of a line that
		 * arrives slowly show as the start of the transfer. */
		if (curl_easy_getinfo(t->easy, CURLINFO_STARTTRANSFER_TIME_T, &st) == CURLE_OK &&
		    st > 0)
			note_first_byte(t);
	}
	if (!t->first_byte_ms) {
		if (now - t->started_ms > (uint64_t)t->h->first_byte_ms) {
			t->aborted = EI_HTTP_ABORT_FIRST_BYTE;
			return 1;
		}
		return 0;
	}
	if (now - t->first_byte_ms >= 1000) {
		uint64_t bytes = t->header_bytes + t->body_bytes;

		if (bytes * 1000 / (now - t->first_byte_ms) < (uint64_t)t->h->min_speed) {
			t->aborted = EI_HTTP_ABORT_SLOW;
			return 1;
		}
	}
	return 0;
}

/* Append each line of lines (NULL-terminated) to *list. */
static int append_headers(struct curl_slist **list, const char *const *lines, struct ei_err *err)
{
	for (; *lines; lines++) {
		struct curl_slist *s = curl_slist_append(*list, *lines);

		if (!s)
			return ei_err_set(err, EI_E_NOMEM, "out of memory");
		*list = s;
	}
	return 0;
}

/* The request's own headers, then the Content-Type of a body; and the pinned address. */
static int transfer_lists(struct transfer *t, struct ei_err *err)
{
	/* gRPC over HTTP/2 (github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md). */
	static const char *const grpc_headers[] = { "Content-Type: application/grpc",
						    "TE: trailers", NULL };
	static const char *const json_headers[] = { "Content-Type: application/json", NULL };
	struct ei_http_req *r = t->req;
	int rc;

	r->headers[EI_HTTP_MAX_HEADERS] = NULL;
	rc = append_headers(&t->headers, r->headers, err);
	if (rc == 0 && r->body)
		rc = append_headers(&t->headers, r->grpc ? grpc_headers : json_headers, err);
	if (rc < 0)
		return rc;
	if (r->pin && !(t->resolve = curl_slist_append(NULL, r->pin)))
		return ei_err_set(err, EI_E_NOMEM, "out of memory");
	return 0;
}

/* Which protocol, how, and never through whom. Returns true if libcurl refused one. */
static bool set_protocol(CURL *e, const struct ei_http_req *r)
{
	int bad = 0;

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
	/* Never through a proxy from http_proxy/HTTPS_PROXY/ALL_PROXY: it would bypass the
	 * pinned addresses and see the credentials. */
	bad |= curl_easy_setopt(e, CURLOPT_PROXY, "") != CURLE_OK;
#if LIBCURL_VERSION_NUM >= 0x075700 /* 7.87.0 */
	/* Cancelling a transfer that is still resolving (SIGTERM) would otherwise join
	 * the threaded resolver (only unpinned requests resolve). */
	bad |= curl_easy_setopt(e, CURLOPT_QUICK_EXIT, 1L) != CURLE_OK;
#endif
	/* HTTP/1.1 for everything but gRPC: etcd serves gRPC and the gateway on one port and
	 * routes an HTTP/2 request by its Content-Type (server/embed/serve.go grpcHandlerFunc);
	 * one protocol keeps TLS and plain text alike. gRPC is HTTP/2 only: with prior
	 * knowledge on http (h2c, which etcd's port accepts), and required through ALPN on
	 * https. */
	bad |= curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
				r->grpc ? (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE
					: (long)CURL_HTTP_VERSION_1_1) != CURLE_OK;
	/* A gRPC call has a connection of its own, closed after it: libcurl would pick a
	 * connection an HTTP/1.1 request left open for it too, and etcd resets that (seen
	 * on 3.6.16), or an HTTP/2 one for a later HTTP/1.1 request. */
	if (r->grpc) {
		bad |= curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L) != CURLE_OK;
		bad |= curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L) != CURLE_OK;
	}
	return bad;
}

/* The bounds (top of file) and the callbacks that enforce them. */
static bool set_bounds(CURL *e, const struct ei_http *h, struct transfer *t)
{
	int bad = 0;

	bad |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, h->connect_ms) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, h->total_ms) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)h->max_body) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_WRITEDATA, t) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_HEADERDATA, t) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_XFERINFODATA, t) != CURLE_OK;
	return bad;
}

/* The CA, certificate and key: the request's own, else the client's. */
static bool set_tls_files(CURL *e, const struct ei_http *h, const struct ei_http_req *r)
{
	const char *ca = r->tls ? r->tls->ca_file : h->ca_file;
	const char *cert = r->tls ? r->tls->cert_file : h->cert_file;
	const char *key = r->tls ? r->tls->key_file : h->key_file;
	int bad = 0;

	/* Only the given CA: libcurl would also trust the system's CA path. */
	if (ca && *ca) {
		bad |= curl_easy_setopt(e, CURLOPT_CAINFO, ca) != CURLE_OK;
		bad |= curl_easy_setopt(e, CURLOPT_CAPATH, NULL) != CURLE_OK;
	}
	if (cert && *cert)
		bad |= curl_easy_setopt(e, CURLOPT_SSLCERT, cert) != CURLE_OK;
	if (key && *key)
		bad |= curl_easy_setopt(e, CURLOPT_SSLKEY, key) != CURLE_OK;
	return bad;
}

/* A POST of the body, or a GET; the headers and the pinned address. */
static bool set_request(CURL *e, const struct ei_http_req *r, const struct transfer *t)
{
	int bad = 0;

	if (t->resolve)
		bad |= curl_easy_setopt(e, CURLOPT_RESOLVE, t->resolve) != CURLE_OK;
	if (r->body) {
		size_t len = r->body_len ? r->body_len : strlen(r->body);

		bad |= curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body) != CURLE_OK;
		bad |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len) != CURLE_OK;
	} else {
		bad |= curl_easy_setopt(e, CURLOPT_HTTPGET, 1L) != CURLE_OK;
	}
	if (t->headers)
		bad |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers) != CURLE_OK;
	return bad;
}

static int transfer_setup(struct ei_http *h, struct transfer *t, struct ei_err *err)
{
	struct ei_http_req *r = t->req;
	int rc = transfer_lists(t, err);
	bool bad;
	CURL *e;

	if (rc < 0)
		return rc;
	t->easy = e = curl_easy_init();
	if (!e)
		return ei_err_set(err, EI_E_NOMEM, "curl_easy_init failed");
	bad = set_protocol(e, r);
	bad |= set_bounds(e, h, t);
	bad |= set_tls_files(e, h, r);
	bad |= set_request(e, r, t);
	if (bad)
		return ei_err_set(err, EI_E_SYS, "%s: libcurl refused an option", r->url);
	return 0;
}

/* The one outcome of a finished transfer (http.h), judged by httpoutcome.c. */
static void classify(struct transfer *t)
{
	struct ei_http_req *r = t->req;
	struct ei_http_end e = {
		.result = t->result,
		.aborted = t->aborted,
		.curl_text = t->errbuf[0] ? t->errbuf : curl_easy_strerror(t->result),
		.max_body = t->h->max_body,
		.max_headers = t->h->max_headers,
		.first_byte_ms = t->h->first_byte_ms,
		.min_speed = t->h->min_speed,
		.bytes = t->header_bytes + t->body_bytes,
	};
	char *ip = NULL;

	r->ms = ei_clock_ms() - t->started_ms;
	if (curl_easy_getinfo(t->easy, CURLINFO_PRIMARY_IP, &ip) == CURLE_OK && ip)
		snprintf(r->remote_ip, sizeof(r->remote_ip), "%s", ip);
	curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &r->status);
	if (t->result == CURLE_COULDNT_CONNECT)
		curl_easy_getinfo(t->easy, CURLINFO_OS_ERRNO, &e.os_errno);
	r->secrets[sizeof(r->secrets) / sizeof(r->secrets[0]) - 1] = NULL;
	e.url = r->url;
	e.status = r->status;
	e.resp = r->resp;
	e.resp_len = r->resp_len;
	e.secrets = r->secrets;
	ei_http_classify(&e, &r->outcome, r->detail, sizeof(r->detail));
}

static void transfer_stop(struct transfer *t)
{
	if (t->active) {
		curl_multi_remove_handle(t->h->multi, t->easy);
		t->active = false;
	}
}

static void transfer_cleanup(struct transfer *t)
{
	transfer_stop(t);
	if (t->easy)
		curl_easy_cleanup(t->easy);
	curl_slist_free_all(t->headers);
	curl_slist_free_all(t->resolve);
	t->easy = NULL;
	t->headers = t->resolve = NULL;
}

/* Wait for the transfers: curl's sockets plus the signalfd and the loop's watches. */
static int drive(struct ei_http *h, struct transfer *ts, size_t n,
		 void (*on_done)(struct ei_http_req *r, void *ctx), void *ctx, struct ei_err *err)
{
	size_t left = 0;

	for (size_t i = 0; i < n; i++)
		left += ts[i].active;
	while (left > 0) {
		struct pollfd pfds[1 + EI_LOOP_MAX_WATCHES];
		struct curl_waitfd wfds[1 + EI_LOOP_MAX_WATCHES];
		int watch_timeout, timeout = DRIVE_TICK_MS, running, msgs;
		size_t nw;
		CURLMsg *msg;
		CURLMcode mc;

		/* Before the first wait too, so a signal from an earlier wait ends this one. */
		if (ei_loop_check_signals(h->loop, err) < 0)
			return EI_E_SIGNAL;
		mc = curl_multi_perform(h->multi, &running);
		if (mc != CURLM_OK)
			return ei_err_set(err, EI_E_SYS, "curl_multi_perform: %s",
					  curl_multi_strerror(mc));
		while ((msg = curl_multi_info_read(h->multi, &msgs))) {
			struct transfer *t = NULL;
			CURL *easy = msg->easy_handle;
			CURLcode result = msg->data.result;

			if (msg->msg != CURLMSG_DONE)
				continue;
			for (size_t i = 0; i < n && !t; i++)
				if (ts[i].easy == easy)
					t = &ts[i];
			if (!t || !t->active)
				continue;
			/* msg is invalid after this. */
			transfer_stop(t);
			t->result = result;
			classify(t);
			left--;
			ei_log_debug("http answer", "url=%s outcome=%s ms=%" PRIu64 " detail=%s",
				     t->req->url, ei_outcome_name(t->req->outcome), t->req->ms,
				     t->req->detail);
			if (on_done)
				on_done(t->req, ctx);
		}
		for (size_t i = 0; i < n; i++) {
			if (!ts[i].active || !ts[i].req->cancel)
				continue;
			transfer_stop(&ts[i]);
			ts[i].req->outcome = EI_OUTCOME_NOT_ASKED;
			ts[i].req->ms = ei_clock_ms() - ts[i].started_ms;
			snprintf(ts[i].req->detail, sizeof(ts[i].req->detail), "%s",
				 ts[i].req->cancel_why);
			left--;
		}
		if (left == 0)
			break;
		wfds[0] = (struct curl_waitfd){ .fd = ei_loop_signal_fd(h->loop),
						.events = CURL_WAIT_POLLIN };
		nw = ei_loop_watch_fds(h->loop, pfds, EI_LOOP_MAX_WATCHES, &watch_timeout);
		for (size_t i = 0; i < nw; i++)
			wfds[1 + i] = (struct curl_waitfd){ .fd = pfds[i].fd,
							    .events = CURL_WAIT_POLLIN };
		if (watch_timeout >= 0 && watch_timeout < timeout)
			timeout = watch_timeout;
		mc = curl_multi_poll(h->multi, wfds, (unsigned)(1 + nw), timeout, NULL);
		if (mc != CURLM_OK)
			return ei_err_set(err, EI_E_SYS, "curl_multi_poll: %s",
					  curl_multi_strerror(mc));
		if (nw) {
			for (size_t i = 0; i < nw; i++)
				pfds[i].revents = (short)(wfds[1 + i].revents ? POLLIN : 0);
			ei_loop_dispatch(h->loop, pfds, nw);
		}
	}
	return 0;
}

int ei_http_run(struct ei_http *h, struct ei_http_req *const *reqs, size_t n, struct ei_err *err)
{
	return ei_http_run_cb(h, reqs, n, NULL, NULL, err);
}

int ei_http_run_cb(struct ei_http *h, struct ei_http_req *const *reqs, size_t n,
		   void (*on_done)(struct ei_http_req *r, void *ctx), void *ctx, struct ei_err *err)
{
	struct transfer *ts;
	int r = 0;

	if (n == 0)
		return 0;
	ts = calloc(n, sizeof(*ts));
	if (!ts)
		return ei_err_set(err, EI_E_NOMEM, "out of memory");
	for (size_t i = 0; i < n && r == 0; i++) {
		CURLMcode mc;

		ei_http_req_clear(reqs[i]);
		ts[i].h = h;
		ts[i].req = reqs[i];
		r = transfer_setup(h, &ts[i], err);
		if (r < 0)
			break;
		ts[i].started_ms = ei_clock_ms();
		ei_log_debug("http request", "method=%s url=%s pin=%s", reqs[i]->body ? "POST" : "GET",
			     reqs[i]->url, reqs[i]->pin ? reqs[i]->pin : "-");
		mc = curl_multi_add_handle(h->multi, ts[i].easy);
		if (mc != CURLM_OK)
			r = ei_err_set(err, EI_E_SYS, "curl_multi_add_handle: %s",
				       curl_multi_strerror(mc));
		else
			ts[i].active = true;
	}
	if (r == 0)
		r = drive(h, ts, n, on_done, ctx, err);
	for (size_t i = 0; i < n; i++)
		transfer_cleanup(&ts[i]);
	free(ts);
	return r;
}
