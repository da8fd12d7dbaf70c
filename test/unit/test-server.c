/* Unit tests for lib/server.c: the status server runs as a loop watch and is asked
 * from the same process through lib/http.h's client (whose waits service the
 * watches: exactly how etcd-init asks a peer while answering its own), and from a
 * forked child reading raw HTTP while the parent waits in ei_loop_poll. GET of the
 * status path is 200 application/json with the document set last, any other path
 * 404, any other method 405; requests are counted; a second server on the same port
 * fails naming the port; after stop nothing answers and the port binds again at once. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include "http.h"
#include "loop.h"
#include "server.h"
#include "sig.h"
#include "status.h"
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
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
#include <unistd.h>

/* A port that is free now: bind port 0, read it back, close. */
static unsigned free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr = { .s_addr = htonl(INADDR_ANY) } };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	unsigned port = 0;

	if (fd < 0)
		return 0;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

/* Bind 0.0.0.0:port as etcd does (SO_REUSEADDR) and listen; returns the fd or -errno. */
static int bind_like_etcd(unsigned port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				  .sin_addr = { .s_addr = htonl(INADDR_ANY) } };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

/* One GET or POST through the real client, in the same process as the server. */
static void ask(struct ei_http *h, unsigned port, const char *path, const char *body,
		struct ei_http_req *req)
{
	static char url[1024];
	struct ei_http_req *reqs[] = { req };
	struct ei_err err = { 0 };

	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", port, path);
	req->url = url;
	req->body = body;
	if (ei_http_run(h, reqs, 1, &err) < 0)
		printf("#   run: %s\n", err.msg);
	printf("#   %s %s: outcome=%s status=%ld detail=%s\n", body ? "POST" : "GET", path,
	       ei_outcome_name(req->outcome), req->status, req->detail);
}

/* Raw HTTP from a forked child (so the headers can be read), while this process waits
 * in ei_loop_poll on the pipe that brings the answer: the server is served by that
 * wait. Returns the whole answer (malloc'd) or NULL. */
static char *raw(struct ei_loop *loop, unsigned port, const char *request)
{
	struct ei_err err = { 0 };
	size_t len = 0, cap = 65536;
	char *out = malloc(cap);
	int p[2];
	pid_t pid;

	if (!out || pipe2(p, O_CLOEXEC) < 0) {
		free(out);
		return NULL;
	}
	pid = fork();
	if (pid == 0) {
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
					  .sin_addr = { .s_addr = htonl(INADDR_LOOPBACK) } };
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		char buf[4096];
		ssize_t n;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(p[0]);
		if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			_exit(1);
		if (send(fd, request, strlen(request), MSG_NOSIGNAL) < 0)
			_exit(1);
		for (;;) {
			struct pollfd pf = { .fd = fd, .events = POLLIN };

			if (poll(&pf, 1, 5000) <= 0)
				break;
			n = recv(fd, buf, sizeof(buf), 0);
			if (n <= 0)
				break;
			if (write(p[1], buf, (size_t)n) != n)
				break;
		}
		_exit(0);
	}
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		free(out);
		return NULL;
	}
	for (;;) {
		struct pollfd pf = { .fd = p[0], .events = POLLIN };
		ssize_t n;
		int r = ei_loop_poll(loop, &pf, 1, 8000, &err);

		if (r <= 0) {
			printf("#   raw: no answer (%d %s)\n", r, err.msg);
			break;
		}
		n = read(p[0], out + len, cap - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len + 1 >= cap)
			break;
	}
	out[len] = '\0';
	close(p[0]);
	/* ECHILD is fine: the loop reaps children when it reads SIGCHLD (loop.h). */
	waitpid(pid, NULL, 0);
	return out;
}

int main(void)
{
	struct ei_init_status st = { .version = "0.2.0", .name = "etcd-1",
				     .peer_url = "http://etcd-1.etcd.ns.svc.cluster.local:2380",
				     .initial_cluster_size = 3, .token = "etcd-ns", .has_wal = false,
				     .action = "wait", .reason = "waiting for etcd-0" };
	struct ei_http_opts o = { .connect_timeout_ms = 1000, .total_timeout_ms = 3000 };
	struct ei_http_req req = { 0 };
	struct ei_server *srv = NULL, *second = NULL;
	struct ei_loop *loop = NULL;
	struct ei_http *h = NULL;
	struct ei_err err = { 0 };
	char *doc1 = NULL, *doc2 = NULL, *ans, path_small[8];
	unsigned port = 0;
	unsigned long asked = 0;
	int r = EI_E_SYS, fd;

	tap_init();
	if (ei_sig_block(&err) < 0 || ei_loop_create(&loop, &err) < 0 ||
	    ei_http_create(&h, loop, &o, &err) < 0) {
		printf("Bail out! %s\n", err.msg);
		return 1;
	}
	/* A free port can be taken between the probe and the start: try a few. */
	for (int i = 0; i < 10 && r < 0; i++) {
		port = free_port();
		memset(&err, 0, sizeof(err));
		r = port ? ei_server_start(&srv, loop, port, EI_SERVER_STATUS, NULL, &err) : EI_E_SYS;
	}
	tap_ok(r == 0 && srv, "server starts on 0.0.0.0:%u", port);
	if (r < 0) {
		printf("Bail out! %s\n", err.msg);
		return 1;
	}
	tap_ok(ei_server_requests(srv) == 0, "no requests yet");

	ask(h, port, EI_STATUS_PATH, NULL, &req);
	asked++;
	tap_ok(req.outcome == EI_OUTCOME_VALID && req.status == 200 && req.resp &&
		       strcmp(req.resp, "{}") == 0,
	       "before any status is set: 200 with {}");

	doc1 = ei_status_to_json(&st);
	tap_ok(doc1 && ei_server_set_status(srv, doc1, &err) == 0, "set the status document");
	ask(h, port, EI_STATUS_PATH, NULL, &req);
	asked++;
	tap_ok(req.outcome == EI_OUTCOME_VALID && req.status == 200 && req.resp && doc1 &&
		       strcmp(req.resp, doc1) == 0,
	       "GET " EI_STATUS_PATH " from the same process: 200 with the document");
	{
		struct ei_init_status back;

		tap_ok(req.resp && ei_status_parse(req.resp, req.resp_len, &back, &err) == 0 &&
			       strcmp(back.name, "etcd-1") == 0 && strcmp(back.action, "wait") == 0,
		       "the answer parses as a status");
	}

	ans = raw(loop, port, "GET " EI_STATUS_PATH " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	asked++;
	tap_ok(ans && strncmp(ans, "HTTP/1.1 200", 12) == 0 &&
		       strcasestr(ans, "\r\nContent-Type: application/json\r\n") && doc1 &&
		       strstr(ans, "\r\n\r\n") && strcmp(strstr(ans, "\r\n\r\n") + 4, doc1) == 0,
	       "raw GET from a child while the parent waits in ei_loop_poll: 200 application/json");
	if (ans)
		printf("#   %.*s\n", (int)strcspn(ans, "\r"), ans);
	free(ans);

	ask(h, port, "/other", NULL, &req);
	asked++;
	tap_ok(req.outcome == EI_OUTCOME_HTTP_ERROR && req.status == 404 &&
		       strstr(req.detail, "HTTP 404"),
	       "GET /other: 404");
	ask(h, port, "/members", NULL, &req);
	asked++;
	tap_ok(req.outcome == EI_OUTCOME_HTTP_ERROR && req.status == 404,
	       "GET /members (an etcd peer's probe): 404");

	ask(h, port, EI_STATUS_PATH, "{\"x\":1}", &req);
	asked++;
	tap_ok(req.outcome == EI_OUTCOME_HTTP_ERROR && req.status == 405 &&
		       strstr(req.detail, "HTTP 405"),
	       "POST " EI_STATUS_PATH " with a body: 405");
	ans = raw(loop, port,
		  "POST " EI_STATUS_PATH " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
		  "Content-Length: 7\r\nConnection: close\r\n\r\n{\"x\":1}");
	asked++;
	tap_ok(ans && strncmp(ans, "HTTP/1.1 405", 12) == 0 && strcasestr(ans, "\r\nAllow: GET\r\n"),
	       "raw POST: 405 with Allow: GET");
	if (ans)
		printf("#   %.*s\n", (int)strcspn(ans, "\r"), ans);
	free(ans);

	st.has_wal = true;
	st.has_ids = true;
	st.member_id = 0x8e9e05c52164694dull;
	st.cluster_id = 0xcdf818194e3a8c32ull;
	snprintf(st.action, sizeof(st.action), "join");
	doc2 = ei_status_to_json(&st);
	tap_ok(doc2 && ei_server_set_status(srv, doc2, &err) == 0, "set a new document");
	ask(h, port, EI_STATUS_PATH, NULL, &req);
	asked++;
	tap_ok(req.outcome == EI_OUTCOME_VALID && req.resp && doc2 && strcmp(req.resp, doc2) == 0,
	       "the next GET serves the new document");

	/* What an asker says of itself in its query (status.h struct ei_status_claim). */
	{
		static const struct {
			const char *what, *size, *wal;
			bool drop_name;
			size_t n_after;
			bool has_wal;
		} claims[] = {
			{ "a full claim without a WAL: kept", "3", "false", false, 1, false },
			{ "the same asker, now with a WAL: replaces it", "3", "true", false, 1, true },
			{ "size 0: ignored", "0", "false", false, 1, true },
			{ "has_wal=maybe: ignored", "3", "maybe", false, 1, true },
			{ "no name: ignored", "3", "false", true, 1, true },
		};
		struct ei_status_claim got[4];

		tap_ok(ei_server_claims(srv, got, 4) == 0, "no claims from asks without a query");
		for (size_t t = 0; t < sizeof(claims) / sizeof(claims[0]); t++) {
			const char *kv[] = { "peer_url", "http://etcd-2.etcd.ns.svc:2380",
					     "initial_cluster_token", "etcd ns&x=1",
					     "initial_cluster_size", claims[t].size,
					     "has_wal", claims[t].wal, "name", "etcd-2" };
			char query[512], path[600];
			size_t n;

			tap_ok(ei_http_query(query, sizeof(query), kv, claims[t].drop_name ? 4 : 5),
			       "%s: query built (%s)", claims[t].what, query);
			snprintf(path, sizeof(path), "%s?%s", EI_STATUS_PATH, query);
			ask(h, port, path, NULL, &req);
			asked++;
			n = ei_server_claims(srv, got, 4);
			tap_ok(req.outcome == EI_OUTCOME_VALID && n == claims[t].n_after &&
				       !strcmp(got[0].addr, "127.0.0.1") &&
				       !strcmp(got[0].peer_url, "http://etcd-2.etcd.ns.svc:2380") &&
				       !strcmp(got[0].token, "etcd ns&x=1") && !strcmp(got[0].name, "etcd-2") &&
				       got[0].initial_cluster_size == 3 &&
				       got[0].has_wal == claims[t].has_wal && got[0].age_ms < 5000,
			       "%s (%zu claim, has_wal %d, age %u ms)", claims[t].what, n,
			       n ? got[0].has_wal : -1, n ? got[0].age_ms : 0);
		}
		{
			const char *kv[] = { "name", "etcd-3", "peer_url", "http://etcd-3.etcd.ns.svc:2380",
					     "initial_cluster_size", "3", "initial_cluster_token", "t",
					     "has_wal", "false" };
			char query[512], path[600];
			size_t n;

			ei_http_query(query, sizeof(query), kv, 5);
			snprintf(path, sizeof(path), "%s?%s", EI_STATUS_PATH, query);
			ask(h, port, path, NULL, &req);
			asked++;
			n = ei_server_claims(srv, got, 4);
			tap_ok(n == 2 && !strcmp(got[1].peer_url, "http://etcd-3.etcd.ns.svc:2380") &&
				       !strcmp(got[0].name, "etcd-2") && got[0].has_wal,
			       "another peer URL from the same address: a second claim (%zu)", n);
		}
		tap_ok(!ei_http_query(path_small, sizeof(path_small), (const char *[]){ "k", "a long value" }, 1),
		       "a query that does not fit: refused");
	}

	/* Concurrent requests of one run (the per-address limit is 8). */
	{
		struct ei_http_req many[6] = { 0 };
		struct ei_http_req *reqs[6];
		char url[128];
		int valid = 0;

		snprintf(url, sizeof(url), "http://127.0.0.1:%u" EI_STATUS_PATH, port);
		for (int i = 0; i < 6; i++) {
			many[i].url = url;
			reqs[i] = &many[i];
		}
		r = ei_http_run(h, reqs, 6, &err);
		for (int i = 0; i < 6; i++) {
			valid += many[i].outcome == EI_OUTCOME_VALID && many[i].resp && doc2 &&
				 strcmp(many[i].resp, doc2) == 0;
			ei_http_req_clear(&many[i]);
		}
		asked += 6;
		tap_ok(r == 0 && valid == 6, "6 concurrent GETs in one run: all served (%d)", valid);
	}

	tap_ok(ei_server_requests(srv) == asked, "ei_server_requests counts every request (%lu == %lu)",
	       ei_server_requests(srv), asked);

	/* A second server on the port while the first runs. */
	memset(&err, 0, sizeof(err));
	{
		char want[16];

		snprintf(want, sizeof(want), ":%u", port);
		r = ei_server_start(&second, loop, port, EI_SERVER_STATUS, NULL, &err);
		printf("#   %s\n", err.msg);
		tap_ok(r == EI_E_SYS && !second && strstr(err.msg, want),
		       "a second start on port %u fails with EI_E_SYS naming the port", port);
	}
	ask(h, port, EI_STATUS_PATH, NULL, &req);
	asked++;
	tap_ok(req.outcome == EI_OUTCOME_VALID && ei_server_requests(srv) == asked,
	       "the first server still answers");

	ei_server_stop(srv);
	srv = NULL;
	ask(h, port, EI_STATUS_PATH, NULL, &req);
	tap_ok(req.outcome == EI_OUTCOME_REFUSED, "after stop: connection refused");
	fd = bind_like_etcd(port);
	tap_ok(fd >= 0, "after stop: etcd can bind 0.0.0.0:%u at once (%s)", port,
	       fd >= 0 ? "ok" : strerror(-fd));
	if (fd >= 0)
		close(fd);
	ei_server_stop(NULL);
	tap_ok(ei_server_requests(NULL) == 0, "stop and requests accept NULL");

	/* The probes' server on the metrics port: alive on /livez, not ready elsewhere,
	 * each with what etcd-init waits for. */
	r = EI_E_SYS;
	for (int i = 0; i < 10 && r < 0; i++) {
		port = free_port();
		memset(&err, 0, sizeof(err));
		r = port ? ei_server_start(&srv, loop, port, EI_SERVER_PROBES, NULL, &err) : EI_E_SYS;
	}
	tap_ok(r == 0 && srv, "the probes' server starts on 0.0.0.0:%u", port);
	if (srv) {
		static const struct {
			const char *request, *status, *body;
		} probes[] = {
			{ "GET /livez HTTP/1.1", "HTTP/1.1 200",
			  "ok: etcd-init is waiting, etcd is not running yet: waiting for etcd-2" },
			{ "GET /readyz HTTP/1.1", "HTTP/1.1 503",
			  "not ready: etcd-init is waiting, etcd is not running yet: waiting for etcd-2" },
			{ "GET /health HTTP/1.1", "HTTP/1.1 503", "not ready: " },
			{ "GET /metrics HTTP/1.1", "HTTP/1.1 503", "not ready: " },
			{ "GET /livez/serializable_read HTTP/1.1", "HTTP/1.1 503", "not ready: " },
			{ "POST /livez HTTP/1.1", "HTTP/1.1 405", "method not allowed" },
		};

		tap_ok(ei_server_set_status(srv, "waiting for etcd-2", &err) == 0,
		       "set the text of the wait");
		for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
			char request[128];

			snprintf(request, sizeof(request),
				 "%s\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
				 probes[i].request);
			ans = raw(loop, port, request);
			tap_ok(ans && strncmp(ans, probes[i].status, strlen(probes[i].status)) == 0 &&
				       strstr(ans, "\r\n\r\n") &&
				       strncmp(strstr(ans, "\r\n\r\n") + 4, probes[i].body,
					       strlen(probes[i].body)) == 0,
			       "probes: %s -> %s", probes[i].request, probes[i].status);
			free(ans);
		}
		ei_server_stop(srv);
		srv = NULL;
	}

	ei_http_req_clear(&req);
	free(doc1);
	free(doc2);
	ei_http_destroy(h);
	ei_loop_destroy(loop);
	return tap_done();
}
