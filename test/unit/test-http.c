/* Unit tests for lib/http.c: the real client (libcurl multi in the one event loop)
 * against small servers written here, one forked child per case, each listening on
 * an ephemeral port of 127.0.0.1 and misbehaving in one way. Every answer must end in
 * exactly one outcome with a detail that says what happened: valid, refused, timed out
 * (no first byte, a dripping body), HTTP errors (redirects are never followed), closed
 * (empty reply, reset), malformed (TLS or a banner on an http URL, too large, truncated)
 * and TLS (https to a plain server). Then: requests of one run go concurrently, a pin
 * makes libcurl connect to the pinned address without resolving, a callback cancels
 * another request, and SIGTERM (through the loop's signalfd) ends a run at once. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include "http.h"
#include "loop.h"
#include "sig.h"
#include "tap.h"

#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CLUSTER_ID "cdf818194e3a8c32"
#define JSON_BODY "{\"header\":{\"cluster_id\":\"14841639068965178418\"},\"members\":[]}"
#define ERROR_BODY "{\"error\":\"etcdserver: request timed out\",\"code\":14}"

/* ---- the misbehaving servers (run in forked children) ------------------------- */

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

static void send_str(int fd, const char *s)
{
	send_all(fd, s, strlen(s));
}

/* Read one request (headers, then Content-Length bytes of body) into buf; returns
 * its length. Gives up after 3 s or at EOF. */
static size_t read_request(int fd, char *buf, size_t cap)
{
	size_t len = 0, want = 0;

	while (len + 1 < cap) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char *end;
		ssize_t n;

		if (poll(&p, 1, 3000) <= 0)
			break;
		n = recv(fd, buf + len, cap - 1 - len, 0);
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (!end)
			continue;
		if (!want) {
			const char *cl = strcasestr(buf, "\r\nContent-Length:");

			want = (size_t)(end + 4 - buf) + (cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0);
		}
		if (len >= want)
			break;
	}
	buf[len] = '\0';
	return len;
}

static void drain_request(int fd)
{
	char buf[8192];

	read_request(fd, buf, sizeof(buf));
}

static void answer_json(int fd, const char *body)
{
	char head[256];

	snprintf(head, sizeof(head),
		 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
		 "X-Etcd-Cluster-ID: " CLUSTER_ID "\r\nContent-Length: %zu\r\n"
		 "Connection: close\r\n\r\n",
		 strlen(body));
	send_str(fd, head);
	send_str(fd, body);
}

static void srv_valid(int fd)
{
	drain_request(fd);
	answer_json(fd, JSON_BODY);
}

static void srv_valid_after_400ms(int fd)
{
	drain_request(fd);
	nap_ms(400);
	answer_json(fd, JSON_BODY);
}

/* The request as the body of a 200, to check what the client sent. */
static void srv_echo(int fd)
{
	char buf[8192];
	char head[128];
	size_t n = read_request(fd, buf, sizeof(buf));

	snprintf(head, sizeof(head),
		 "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n\r\n", n);
	send_str(fd, head);
	send_all(fd, buf, n);
}

static void srv_silent(int fd)
{
	drain_request(fd);
	poll(NULL, 0, -1);
}

static void srv_drip(int fd)
{
	static const char answer[] = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"a\":1}";

	drain_request(fd);
	for (size_t i = 0; i < sizeof(answer) - 1; i++) {
		if (send(fd, answer + i, 1, MSG_NOSIGNAL) != 1)
			return;
		nap_ms(300);
	}
}

/* The status line at once, then the rest a byte every 300 ms. */
static void srv_drip_after_status(int fd)
{
	static const char rest[] = "Content-Length: 100\r\n\r\n{\"a\":1}";

	drain_request(fd);
	send_str(fd, "HTTP/1.1 200 OK\r\n");
	for (size_t i = 0; i < sizeof(rest) - 1; i++) {
		nap_ms(300);
		if (send(fd, rest + i, 1, MSG_NOSIGNAL) != 1)
			return;
	}
}

static void srv_500(int fd)
{
	char head[256];

	drain_request(fd);
	snprintf(head, sizeof(head),
		 "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\n"
		 "Content-Length: %zu\r\n\r\n",
		 strlen(ERROR_BODY));
	send_str(fd, head);
	send_str(fd, ERROR_BODY);
}

static void srv_302(int fd)
{
	drain_request(fd);
	/* Nothing listens on port 1: following it would be "refused". */
	send_str(fd, "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/v2/members\r\n"
		     "Content-Length: 0\r\n\r\n");
}

static void srv_empty(int fd)
{
	drain_request(fd);
}

static void srv_reset(int fd)
{
	struct linger lg = { 1, 0 };

	drain_request(fd);
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
}

/* The first bytes of the request (a TLS ClientHello on an https URL), then a reset: a
 * server closing its port in the middle of a handshake. */
static void srv_reset_at_hello(int fd)
{
	struct linger lg = { 1, 0 };
	char buf[4096];

	if (recv(fd, buf, sizeof(buf), 0) < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
}

/* A TLS alert record (handshake failure), as a TLS server would answer plain text. */
static void srv_tls_bytes(int fd)
{
	drain_request(fd);
	send_all(fd, "\x15\x03\x03\x00\x02\x02\x28", 7);
}

static void send_mib(int fd)
{
	char chunk[16384];

	memset(chunk, 'x', sizeof(chunk));
	for (size_t i = 0; i < (1u << 20) / sizeof(chunk); i++)
		send_all(fd, chunk, sizeof(chunk));
}

static void srv_big_body(int fd)
{
	drain_request(fd);
	send_str(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
		     "Content-Length: 1048576\r\n\r\n");
	send_mib(fd);
}

/* The same without a Content-Length: the size shows only as the bytes come. */
static void srv_big_body_unsized(int fd)
{
	drain_request(fd);
	send_str(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n");
	send_mib(fd);
}

static void srv_big_headers(int fd)
{
	char line[201];

	drain_request(fd);
	send_str(fd, "HTTP/1.1 200 OK\r\n");
	for (int i = 0; i < 200; i++) {
		int n = snprintf(line, sizeof(line), "X-Filler-%03d: ", i);

		memset(line + n, 'a', 198 - (size_t)n);
		memcpy(line + 198, "\r\n", 3);
		send_str(fd, line);
	}
	send_str(fd, "Content-Length: 2\r\n\r\n{}");
}

static void srv_truncated(int fd)
{
	drain_request(fd);
	send_str(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
		     "Content-Length: 100\r\n\r\n{\"members\"");
}

static void srv_banner(int fd)
{
	send_str(fd, "hello\r\n");
	drain_request(fd);
}

/* A plain HTTP server: whatever comes (a ClientHello), it answers 400 in plain text. */
static void srv_plain_400(int fd)
{
	char buf[4096];
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, 3000) > 0)
		(void)!recv(fd, buf, sizeof(buf), 0);
	send_str(fd, "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n"
		     "Connection: close\r\n\r\nbad request\n");
}

/* ---- server plumbing ------------------------------------------------------------ */

struct server {
	unsigned port;
	pid_t pid;
};

/* Listen on 127.0.0.1, port chosen by the kernel (bind port 0, then getsockname). */
static int listen_local(unsigned *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr = { .s_addr = htonl(INADDR_LOOPBACK) } };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

/* Fork a child that accepts connections on a fresh port and hands each to fn; with
 * fn NULL, a port where nothing listens (bound, then closed). */
static int server_start(struct server *s, void (*fn)(int fd))
{
	int lfd = listen_local(&s->port);

	s->pid = -1;
	if (lfd < 0)
		return -1;
	if (!fn) {
		close(lfd);
		return 0;
	}
	s->pid = fork();
	if (s->pid < 0) {
		close(lfd);
		return -1;
	}
	if (s->pid == 0) {
		/* SIGKILL cannot be blocked: the child dies with the test. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;) {
			int c = accept(lfd, NULL, NULL);

			if (c < 0) {
				if (errno == EINTR)
					continue;
				_exit(1);
			}
			fn(c);
			close(c);
		}
	}
	close(lfd);
	return 0;
}

static void server_stop(struct server *s)
{
	if (s->pid <= 0)
		return;
	kill(s->pid, SIGKILL);
	/* ECHILD is fine: the loop reaps children when it reads SIGCHLD (loop.h). */
	waitpid(s->pid, NULL, 0);
	s->pid = -1;
}

/* ---- the cases ------------------------------------------------------------------ */

struct http_case {
	const char *name;
	void (*serve)(int fd); /* NULL: nothing listens */
	bool https;
	long first_byte_ms, total_ms;
	size_t max_body, max_headers;
	enum ei_outcome want;
	long status; /* -1: any */
	const char *detail;
	bool connected; /* remote_ip must be 127.0.0.1 */
};

static const struct http_case cases[] = {
	{ "valid 200 JSON", srv_valid, false, 0, 0, 0, 0, EI_OUTCOME_VALID, 200, "HTTP 200", true },
	{ "connection refused", NULL, false, 0, 0, 0, 0, EI_OUTCOME_REFUSED, 0, "onnect", false },
	{ "accepted, never answers", srv_silent, false, 300, 1500, 0, 0, EI_OUTCOME_TIMEOUT, 0,
	  "no answer within 300 ms", true },
	{ "answer drips a byte every 300 ms", srv_drip, false, 300, 3000, 0, 0, EI_OUTCOME_TIMEOUT,
	  -1, "slower than 1024 bytes/s", true },
	{ "status line, then a byte every 300 ms", srv_drip_after_status, false, 300, 3000, 0, 0,
	  EI_OUTCOME_TIMEOUT, -1, "slower than 1024 bytes/s", true },
	{ "HTTP 500 with a JSON error", srv_500, false, 0, 0, 0, 0, EI_OUTCOME_HTTP_ERROR, 500,
	  "HTTP 500: {\"error\":\"etcdserver: request timed out\"", true },
	{ "302 redirect, not followed", srv_302, false, 0, 0, 0, 0, EI_OUTCOME_HTTP_ERROR, 302,
	  "HTTP 302", true },
	{ "empty reply", srv_empty, false, 0, 0, 0, 0, EI_OUTCOME_CLOSED, 0, "mpty reply", true },
	{ "reset after the request", srv_reset, false, 0, 0, 0, 0, EI_OUTCOME_CLOSED, 0,
	  "reset", true },
	{ "TLS alert on an http URL", srv_tls_bytes, false, 0, 0, 0, 0, EI_OUTCOME_MALFORMED, 0,
	  "HTTP/0.9", true },
	{ "1 MiB body, Content-Length, max_body 4096", srv_big_body, false, 0, 0, 4096, 0,
	  EI_OUTCOME_MALFORMED, 200, "larger than 4096 bytes", true },
	{ "1 MiB body, no Content-Length, max_body 4096", srv_big_body_unsized, false, 0, 0, 4096,
	  0, EI_OUTCOME_MALFORMED, 200, "larger than 4096 bytes", true },
	{ "200 header lines of 200 bytes", srv_big_headers, false, 0, 0, 0, 0,
	  EI_OUTCOME_MALFORMED, -1, "headers larger than 16384 bytes", true },
	{ "body cut short of Content-Length", srv_truncated, false, 0, 0, 0, 0,
	  EI_OUTCOME_MALFORMED, 200, "90 bytes remaining", true },
	{ "plain-text banner", srv_banner, false, 0, 0, 0, 0, EI_OUTCOME_MALFORMED, 0, "HTTP/0.9",
	  true },
	{ "https URL to a plain HTTP server", srv_plain_400, true, 0, 0, 0, 0, EI_OUTCOME_TLS, 0,
	  "SSL", true },
	{ "https URL, reset in the middle of the handshake: closed, not TLS", srv_reset_at_hello,
	  true, 0, 0, 0, 0, EI_OUTCOME_CLOSED, 0, "reset", true },
};

static struct ei_http *client(struct ei_loop *loop, long first_byte_ms, long total_ms,
			      size_t max_body, size_t max_headers)
{
	struct ei_http_opts o = { .connect_timeout_ms = 1000,
				  .first_byte_timeout_ms = first_byte_ms,
				  .total_timeout_ms = total_ms,
				  .max_body = max_body,
				  .max_headers = max_headers };
	struct ei_http *h = NULL;
	struct ei_err err = { 0 };

	if (ei_http_create(&h, loop, &o, &err) < 0)
		printf("# ei_http_create: %s\n", err.msg);
	return h;
}

static void show(const char *what, const struct ei_http_req *r)
{
	printf("#   %s: outcome=%s status=%ld ip=%s ms=%" PRIu64 " detail=%s\n", what,
	       ei_outcome_name(r->outcome), r->status, r->remote_ip, r->ms, r->detail);
}

static void run_case(struct ei_loop *loop, const struct http_case *c, struct ei_http_req *req)
{
	struct ei_http_req *reqs[] = { req };
	struct ei_err err = { 0 };
	struct server s;
	struct ei_http *h;
	char url[128];
	long total = c->total_ms ? c->total_ms : 2000;
	int r;

	if (server_start(&s, c->serve) < 0) {
		tap_ok(0, "%s: start the server", c->name);
		return;
	}
	h = client(loop, c->first_byte_ms, c->total_ms, c->max_body, c->max_headers);
	snprintf(url, sizeof(url), "%s://127.0.0.1:%u/v2/members", c->https ? "https" : "http",
		 s.port);
	req->url = url;
	r = h ? ei_http_run(h, reqs, 1, &err) : -1;
	server_stop(&s);
	show(c->name, req);
	tap_ok(r == 0 && req->outcome == c->want && strstr(req->detail, c->detail) &&
		       (c->status < 0 || req->status == c->status) &&
		       (!c->connected || strcmp(req->remote_ip, "127.0.0.1") == 0),
	       "%s -> %s (status %ld, detail has \"%s\")", c->name, ei_outcome_name(c->want),
	       c->status, c->detail);
	if (r < 0)
		printf("#   run: %s\n", err.msg);
	/* http.h: every request is bounded by the total timeout. */
	tap_ok(req->ms <= (uint64_t)total + 1000, "%s: ended within the total timeout (%" PRIu64
	       " ms <= %ld + 1000)", c->name, req->ms, total);
	if (c->want == EI_OUTCOME_VALID)
		tap_ok(req->resp && req->resp_len == strlen(JSON_BODY) &&
			       strcmp(req->resp, JSON_BODY) == 0 &&
			       strcmp(req->cluster_id_hex, CLUSTER_ID) == 0,
		       "%s: body and X-Etcd-Cluster-ID captured", c->name);
	if (c->want == EI_OUTCOME_HTTP_ERROR && c->status == 500)
		tap_ok(req->resp && strcmp(req->resp, ERROR_BODY) == 0,
		       "%s: the error body is kept", c->name);
	ei_http_destroy(h);
	/* The request struct is reused by the next case: its results are cleared then. */
}

/* ---- concurrency, pin, POST, cancel, SIGTERM -------------------------------------- */

static void test_concurrent(struct ei_loop *loop)
{
	struct server s[4];
	struct ei_http_req req[4] = { 0 };
	struct ei_http_req *reqs[4];
	char url[4][64];
	struct ei_err err = { 0 };
	struct ei_http *h = client(loop, 0, 3000, 0, 0);
	uint64_t t0;
	int r, valid = 0;

	for (int i = 0; i < 4; i++) {
		if (server_start(&s[i], srv_valid_after_400ms) < 0)
			s[i].port = 1;
		snprintf(url[i], sizeof(url[i]), "http://127.0.0.1:%u/", s[i].port);
		req[i].url = url[i];
		reqs[i] = &req[i];
	}
	t0 = ei_clock_ms();
	r = h ? ei_http_run(h, reqs, 4, &err) : -1;
	t0 = ei_clock_ms() - t0;
	for (int i = 0; i < 4; i++) {
		server_stop(&s[i]);
		show("concurrent", &req[i]);
		valid += req[i].outcome == EI_OUTCOME_VALID;
		ei_http_req_clear(&req[i]);
	}
	tap_ok(r == 0 && valid == 4, "4 servers that think 400 ms: all 4 valid in one run");
	/* Sequential requests would take at least 4 x 400 ms. */
	tap_ok(t0 < 1600, "... concurrently (%" PRIu64 " ms < 1600)", t0);
	ei_http_destroy(h);
}

static void test_pin(struct ei_loop *loop)
{
	static const char addrs[][INET6_ADDRSTRLEN] = { "127.0.0.1", "fd00::1", "10.0.0.3" };
	struct ei_http_req req = { 0 };
	struct ei_http_req *reqs[] = { &req };
	struct ei_err err = { 0 };
	struct ei_http *h;
	struct server s;
	char pin[128], url[128], small[24];
	int r;

	tap_ok(ei_http_pin(pin, sizeof(pin), "etcd-0.e", 2380, addrs, 3) &&
		       strcmp(pin, "etcd-0.e:2380:127.0.0.1,[fd00::1],10.0.0.3") == 0,
	       "pin: v6 bracketed, addresses comma-separated (%s)", pin);
	tap_ok(!ei_http_pin(small, sizeof(small), "etcd-0.e", 2380, addrs, 3),
	       "pin: false when it does not fit");
	tap_ok(!ei_http_pin(pin, sizeof(pin), "etcd-0.e", 2380, addrs, 0),
	       "pin: false without an address");

	if (server_start(&s, srv_valid) < 0) {
		tap_ok(0, "pin: start the server");
		return;
	}
	h = client(loop, 0, 0, 0, 0);
	tap_ok(ei_http_pin(pin, sizeof(pin), "no-such-host.invalid", s.port, addrs, 1),
	       "pin for no-such-host.invalid:%u", s.port);
	snprintf(url, sizeof(url), "http://no-such-host.invalid:%u/v2/members", s.port);
	req.url = url;
	req.pin = pin;
	r = h ? ei_http_run(h, reqs, 1, &err) : -1;
	server_stop(&s);
	show("pinned", &req);
	tap_ok(r == 0 && req.outcome == EI_OUTCOME_VALID && strcmp(req.remote_ip, "127.0.0.1") == 0 &&
		       req.resp && strcmp(req.resp, JSON_BODY) == 0,
	       "a pinned name that does not resolve connects to the pinned address");
	ei_http_req_clear(&req);
	ei_http_destroy(h);
}

static void test_post(struct ei_loop *loop)
{
	struct ei_http_req req = { .body = "{\"peerURLs\":[\"http://e:2380\"]}",
				   .headers = { "Authorization: tok", NULL } };
	struct ei_http_req *reqs[] = { &req };
	struct ei_err err = { 0 };
	struct ei_http *h = client(loop, 0, 0, 0, 0);
	struct server s;
	char url[128];
	int r;

	if (server_start(&s, srv_echo) < 0) {
		tap_ok(0, "post: start the server");
		return;
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/v2/members", s.port);
	req.url = url;
	r = h ? ei_http_run(h, reqs, 1, &err) : -1;
	server_stop(&s);
	show("post", &req);
	tap_ok(r == 0 && req.outcome == EI_OUTCOME_VALID && req.resp &&
		       strncmp(req.resp, "POST /v2/members HTTP/1.1\r\n", 27) == 0 &&
		       strcasestr(req.resp, "\r\nContent-Type: application/json\r\n") &&
		       strstr(req.resp, "\r\nAuthorization: tok\r\n") &&
		       strstr(req.resp, "\r\n\r\n{\"peerURLs\":[\"http://e:2380\"]}"),
	       "POST sends the body as JSON with the extra headers");
	if (req.resp)
		printf("#   request seen: %.*s\n", (int)strcspn(req.resp, "\r"), req.resp);
	ei_http_req_clear(&req);
	ei_http_destroy(h);
}

struct cancel_ctx {
	struct ei_http_req *fast, *slow;
	int calls;
};

static void cancel_slow(struct ei_http_req *r, void *data)
{
	struct cancel_ctx *c = data;

	c->calls++;
	if (r == c->fast)
		ei_http_req_cancel(c->slow, "not needed: etcd-0 answered");
}

static void test_cancel(struct ei_loop *loop)
{
	struct ei_http_req fast = { 0 }, slow = { 0 };
	struct ei_http_req *reqs[] = { &slow, &fast };
	struct cancel_ctx ctx = { &fast, &slow, 0 };
	struct ei_err err = { 0 };
	struct ei_http *h = client(loop, 5000, 5000, 0, 0);
	struct server s1, s2;
	char u1[64], u2[64];
	uint64_t t0;
	int r;

	if (server_start(&s1, srv_valid) < 0 || server_start(&s2, srv_silent) < 0) {
		tap_ok(0, "cancel: start the servers");
		return;
	}
	snprintf(u1, sizeof(u1), "http://127.0.0.1:%u/", s1.port);
	snprintf(u2, sizeof(u2), "http://127.0.0.1:%u/", s2.port);
	fast.url = u1;
	slow.url = u2;
	t0 = ei_clock_ms();
	r = h ? ei_http_run_cb(h, reqs, 2, cancel_slow, &ctx, &err) : -1;
	t0 = ei_clock_ms() - t0;
	server_stop(&s1);
	server_stop(&s2);
	show("fast", &fast);
	show("slow", &slow);
	printf("#   on_done called %d times, run took %" PRIu64 " ms\n", ctx.calls, t0);
	tap_ok(r == 0 && fast.outcome == EI_OUTCOME_VALID, "cancel: the fast request is valid");
	tap_ok(slow.outcome == EI_OUTCOME_NOT_ASKED &&
		       strcmp(slow.detail, "not needed: etcd-0 answered") == 0,
	       "cancel: the cancelled request is NOT_ASKED with the reason as detail");
	tap_ok(t0 < 3000, "cancel: the run did not wait for the silent server (%" PRIu64 " ms)",
	       t0);
	ei_http_req_clear(&fast);
	ei_http_req_clear(&slow);
	ei_http_destroy(h);
}

static void test_sigterm(struct ei_loop *loop)
{
	struct ei_http_req req = { 0 };
	struct ei_http_req *reqs[] = { &req };
	struct ei_err err = { 0 };
	struct ei_http *h = client(loop, 10000, 10000, 0, 0);
	struct server s;
	char url[64];
	pid_t helper;
	uint64_t t0;
	int r;

	if (server_start(&s, srv_silent) < 0) {
		tap_ok(0, "sigterm: start the server");
		return;
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", s.port);
	req.url = url;
	helper = fork();
	if (helper == 0) {
		nap_ms(200);
		kill(getppid(), SIGTERM);
		_exit(0);
	}
	t0 = ei_clock_ms();
	r = h ? ei_http_run(h, reqs, 1, &err) : -1;
	t0 = ei_clock_ms() - t0;
	if (helper > 0)
		waitpid(helper, NULL, 0);
	printf("#   run: r=%d signo=%d ms=%" PRIu64 " msg=%s\n", r, err.signo, t0, err.msg);
	tap_ok(r == EI_E_SIGNAL && err.code == EI_E_SIGNAL && err.signo == SIGTERM,
	       "SIGTERM during a request ends the run with EI_E_SIGNAL");
	tap_ok(t0 < 2000, "... at once (%" PRIu64 " ms, the request would wait 10 s)", t0);
	tap_ok(req.outcome == EI_OUTCOME_NOT_ASKED, "... the request has no outcome");

	/* loop.h: the loop remembers the signal, so the next run ends at once too. */
	memset(&err, 0, sizeof(err));
	t0 = ei_clock_ms();
	r = h ? ei_http_run(h, reqs, 1, &err) : -1;
	t0 = ei_clock_ms() - t0;
	tap_ok(r == EI_E_SIGNAL && err.signo == SIGTERM && t0 < 500,
	       "a later run on the same loop ends at once with EI_E_SIGNAL (%" PRIu64 " ms)", t0);
	server_stop(&s);
	ei_http_req_clear(&req);
	ei_http_destroy(h);
}

int main(void)
{
	struct ei_http_req req = { 0 };
	struct ei_err err = { 0 };
	struct ei_loop *loop = NULL;

	tap_init();
	/* As etcd-init's main does: signals blocked and read through the loop's signalfd. */
	if (ei_sig_block(&err) < 0 || ei_loop_create(&loop, &err) < 0) {
		printf("Bail out! %s\n", err.msg);
		return 1;
	}
	tap_streq(ei_outcome_name(EI_OUTCOME_MALFORMED), "malformed", "outcome names");
	tap_streq(ei_outcome_name((enum ei_outcome)99), "unknown", "an unknown outcome's name");

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(loop, &cases[i], &req);
	ei_http_req_clear(&req);

	test_concurrent(loop);
	test_pin(loop);
	test_post(loop);
	test_cancel(loop);
	/* Last: the loop then remembers SIGTERM for good. */
	test_sigterm(loop);

	ei_loop_destroy(loop);
	return tap_done();
}
