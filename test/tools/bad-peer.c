/*
 * bad-peer: plays a peer that misbehaves, for the scenario test/integration/bad-peers.sh.
 *
 *   bad-peer --mode MODE [--client-port 2379] [--peer-port 2380] [--liar-host HOST]
 *
 * One process, plain sockets and ppoll. It listens on 0.0.0.0 on both ports and answers
 * every request on both the same way for MODE (HTTP is written by hand: it is a fixture):
 *   refuse      listen on nothing; sleep until SIGTERM
 *   silent      accept, read, never answer
 *   drip        a valid 200 etcd-init status (no WAL), one byte every 500 ms
 *   reset       read the request, then close with SO_LINGER {1,0} (a TCP RST)
 *   close       read the request, then close without a byte
 *   http500     HTTP 500 with an etcd-style JSON error
 *   redirect    302 to http://10.0.0.1:2380/x
 *   tls         a TLS alert record, as a TLS server answers plain HTTP
 *   garbage     200 "not json {"
 *   empty       200 with an empty body
 *   huge        200 with a 200 MiB body ("[" and members) and no Content-Length, fast
 *   wrongtypes  200 documents whose keys have the wrong JSON types
 *   toomany     200 member lists of 10 000 members (the status path: 404, as etcd does)
 *   deep        200 JSON nested 10 000 levels
 *   liar        200 etcd-init status (no WAL) whose name and peer_url are another host's
 *   dupes       200 member lists (gateway and peer API) with two members of one ID
 *   inject      200 member lists whose member name holds ",etcd-9=http://..." (it would
 *               add an entry to --initial-cluster)
 * Status documents use HOSTNAME, SERVICE_NAME and K8S_NAMESPACE, as set in a pod.
 * One line per connection on stderr when it ends. SIGTERM or SIGINT: exit 0.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 128
#define HUGE_BYTES (200ULL * 1024 * 1024)
#define DRIP_MS 500
#define MANY 10000
#define DEEP 10000
#define IS(name) (strcmp(mode, (name)) == 0)

struct conn {
	int fd, port;
	char from[64], line[96]; /* the client's address, the request line (for the log) */
	char req[16384];
	size_t req_len;
	bool complete;           /* the whole request was read */
	char *out;               /* the answer; out_off bytes of it sent */
	size_t out_len, out_off;
	unsigned long long sent, stream_left; /* huge: body bytes still to send */
	long long next_ms;       /* drip: when the next byte goes */
};

static const char *const modes[] = { "refuse", "silent", "drip", "reset", "close", "http500",
	"redirect", "tls", "garbage", "empty", "huge", "wrongtypes", "toomany", "deep", "liar",
	"dupes", "inject" };
static const char *mode = "", *liar_host = "etcd-1.etcd.ns.svc.cluster.local";
static volatile sig_atomic_t stop;
static struct conn conns[MAX_CONNS];

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v && *v ? v : def;
}

/* An etcd-init status document (lib/status.h) without a WAL, for host (name: its first label). */
static void status_doc(FILE *f, const char *host)
{
	fprintf(f, "{\"etcd_init\":\"0.1.0\",\"name\":\"%.*s\",\"peer_url\":\"http://%s:2380\","
		"\"initial_cluster_size\":3,\"initial_cluster_token\":\"%s-%s\",\"data_dir\":"
		"{\"has_wal\":false},\"decision\":{\"action\":\"wait\",\"reason\":\"bad-peer\"}}",
		(int)strcspn(host, "."), host, host, env_or("SERVICE_NAME", "etcd"),
		env_or("K8S_NAMESPACE", "ns"));
}

/* MANY members, in the gateway's shape (decimal string IDs) or the peer API's (numbers). */
static void many_members(FILE *f, bool gateway)
{
	fputs(gateway ? "{\"header\":{\"cluster_id\":\"1234\",\"member_id\":\"1\"},\"members\":[" : "[", f);
	for (int i = 1; i <= MANY; i++)
		fprintf(f, gateway ? "%s{\"ID\":\"%d\",\"name\":\"m%d\",\"peerURLs\":[\"http://10.0.0.1:%d\"]}"
			: "%s{\"id\":%d,\"name\":\"m%d\",\"peerURLs\":[\"http://10.0.0.1:%d\"]}",
			i > 1 ? "," : "", i, i, 1000 + i);
	fputs(gateway ? "]}" : "]", f);
}

/* The answer to a request for path, into c->out (huge: its headers; the body is streamed). */
static void respond(struct conn *c, const char *path)
{
	const char *status = "200 OK", *extra = "";
	bool is_status = strcmp(path, "/etcd-init/v1/status") == 0;
	bool is_list = strcmp(path, "/v3/cluster/member/list") == 0;
	bool is_peer_list = strcmp(path, "/members") == 0, is_version = strcmp(path, "/version") == 0;
	char *body = NULL, self[256];
	size_t body_len = 0;
	FILE *f = open_memstream(&body, &body_len);

	if (!f)
		abort();
	snprintf(self, sizeof(self), "%s.%s.%s.svc.cluster.local", env_or("HOSTNAME", "etcd-2"),
		 env_or("SERVICE_NAME", "etcd"), env_or("K8S_NAMESPACE", "ns"));
	if (IS("drip")) {
		status_doc(f, self);
	} else if (IS("http500")) {
		status = "500 Internal Server Error";
		fputs("{\"error\":\"bad-peer: internal error\",\"code\":2,\"message\":\"bad-peer: internal error\"}", f);
	} else if (IS("redirect")) {
		status = "302 Found";
		extra = "Location: http://10.0.0.1:2380/x\r\n";
	} else if (IS("garbage")) {
		fputs("not json {", f);
	} else if (IS("huge")) {
		c->stream_left = HUGE_BYTES;
	} else if (IS("wrongtypes")) {
		if (is_list)
			fputs("{\"header\":{\"cluster_id\":12,\"member_id\":true},\"members\":\"x\"}", f);
		else if (is_peer_list)
			fputs("[{\"id\":\"12\",\"name\":1,\"peerURLs\":\"http://10.0.0.1:2380\",\"clientURLs\":{}}]", f);
		else if (is_version)
			fputs("{\"etcdserver\":3.5,\"etcdcluster\":[\"3.5.0\"]}", f);
		else
			fputs("{\"etcd_init\":1,\"name\":[],\"peer_url\":{},\"initial_cluster_size\":\"3\","
			      "\"initial_cluster_token\":false,\"data_dir\":{\"has_wal\":\"no\",\"member_id\":7}}", f);
	} else if (IS("toomany")) {
		if (is_list || is_peer_list)
			many_members(f, is_list);
		else if (is_version)
			fputs("{\"etcdserver\":\"3.5.0\",\"etcdcluster\":\"3.5.0\"}", f);
		else
			status = "404 Not Found";
		extra = is_peer_list ? "X-Etcd-Cluster-ID: 4d2\r\n" : "";
	} else if (IS("deep")) {
		for (int i = 0; i < 2 * DEEP; i++)
			fputc(i < DEEP ? '[' : ']', f);
	} else if (IS("dupes") || IS("inject")) {
		/* A list that is valid but for the one fault: served by a member in it, at
		 * this pod's canonical peer URL. */
		const char *name2 = IS("dupes") ? "etcd-9" : "etcd-2,etcd-9=http://10.0.0.1:2380";
		unsigned id2 = IS("dupes") ? 5 : 6;

		if (is_list)
			fprintf(f, "{\"header\":{\"cluster_id\":\"1234\",\"member_id\":\"5\",\"raft_term\":\"2\"},"
				"\"members\":[{\"ID\":\"5\",\"name\":\"%s\",\"peerURLs\":[\"http://%s:2380\"],"
				"\"clientURLs\":[\"http://%s:2379\"]},{\"ID\":\"%u\",\"name\":\"%s\","
				"\"peerURLs\":[\"http://10.0.0.1:2381\"],\"clientURLs\":[\"http://10.0.0.1:2379\"]}]}",
				env_or("HOSTNAME", "etcd-2"), self, self, id2, name2);
		else if (is_peer_list)
			fprintf(f, "[{\"id\":5,\"name\":\"%s\",\"peerURLs\":[\"http://%s:2380\"],"
				"\"clientURLs\":[\"http://%s:2379\"]},{\"id\":%u,\"name\":\"%s\","
				"\"peerURLs\":[\"http://10.0.0.1:2381\"],\"clientURLs\":[\"http://10.0.0.1:2379\"]}]",
				env_or("HOSTNAME", "etcd-2"), self, self, id2, name2);
		else if (is_version)
			fputs("{\"etcdserver\":\"3.5.0\",\"etcdcluster\":\"3.5.0\"}", f);
		else
			status = "404 Not Found";
		extra = is_peer_list ? "X-Etcd-Cluster-ID: 4d2\r\n" : "";
	} else if (IS("liar")) {
		if (is_status)
			status_doc(f, liar_host);
		else
			status = "404 Not Found";
	}
	fclose(f);
	f = open_memstream(&c->out, &c->out_len);
	if (!f)
		abort();
	if (IS("tls")) /* an alert record: TLS 1.2, fatal, unexpected_message */
		fwrite("\x15\x03\x03\x00\x02\x02\x0a", 1, 7, f);
	else if (c->stream_left) /* the body ends with the connection */
		fprintf(f, "HTTP/1.1 %s\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n[", status);
	else
		fprintf(f, "HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
			"Connection: close\r\n%s\r\n%s", status, body_len, extra, body);
	fclose(f);
	free(body);
}

static void conn_close(struct conn *c, const char *how, bool reset)
{
	if (reset)
		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &(struct linger){ 1, 0 }, sizeof(struct linger));
	fprintf(stderr, "bad-peer: mode=%s port=%d from=%s request=\"%s\" sent=%llu end=%s\n", mode,
		c->port, c->from, c->line[0] ? c->line : "-", c->sent, how);
	close(c->fd);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

/* The request is complete once its headers and Content-Length bytes of body are in
 * (or the buffer is full). Then act on it. */
static void check_request(struct conn *c)
{
	char *end = memmem(c->req, c->req_len, "\r\n\r\n", 4), path[256] = "";
	bool full = c->req_len == sizeof(c->req) - 1;
	unsigned long long body = 0;

	c->req[c->req_len] = '\0';
	for (char *h = strstr(c->req, "\r\n"); end && h && h < end; h = strstr(h + 2, "\r\n"))
		if (strncasecmp(h + 2, "Content-Length:", 15) == 0)
			body = strtoull(h + 17, NULL, 10);
	if (!full && (!end || (size_t)(end + 4 - c->req) + body > c->req_len))
		return;
	c->complete = true;
	{
		size_t n = strcspn(c->req, "\r\n");

		if (n >= sizeof(c->line))
			n = sizeof(c->line) - 1;
		memcpy(c->line, c->req, n);
		c->line[n] = '\0';
	}
	sscanf(c->req, "%*s %255s", path);
	path[strcspn(path, "?")] = '\0'; /* an etcd-init's status question has a query */
	c->next_ms = now_ms();
	if (IS("reset") || IS("close"))
		conn_close(c, mode, IS("reset"));
	else if (!IS("silent"))
		respond(c, path);
}

static void on_readable(struct conn *c)
{
	char sink[4096];
	ssize_t n;

	if (c->complete)
		n = recv(c->fd, sink, sizeof(sink), 0);
	else if ((n = recv(c->fd, c->req + c->req_len, sizeof(c->req) - 1 - c->req_len, 0)) > 0)
		c->req_len += (size_t)n;
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		conn_close(c, n == 0 ? "client-closed" : "client-error", false);
	else if (n > 0 && !c->complete)
		check_request(c);
}

static void on_writable(struct conn *c)
{
	static char members[65536];
	const char *p = c->out + c->out_off;
	size_t len = c->out_len - c->out_off;
	ssize_t n;

	if (len == 0 && c->stream_left) { /* huge: members after the "[", as fast as it goes */
		if (!members[0])
			for (size_t i = 0; i < sizeof(members); i++)
				members[i] = "{\"ID\":\"1\",\"name\":\"m\"},"[i % 22];
		p = members;
		len = c->stream_left < sizeof(members) ? c->stream_left : sizeof(members);
	}
	n = len ? send(c->fd, p, IS("drip") ? 1 : len, MSG_NOSIGNAL | MSG_DONTWAIT) : 0;
	if (len == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		conn_close(c, len == 0 ? "answered" : "client-gone", false);
		return;
	}
	if (n < 0)
		return;
	c->sent += (unsigned long long)n;
	if (c->out_off < c->out_len)
		c->out_off += (size_t)n;
	else
		c->stream_left -= (unsigned long long)n;
	c->next_ms = now_ms() + DRIP_MS;
}

static int listen_on(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 64) < 0) {
		fprintf(stderr, "bad-peer: cannot listen on port %d: %s\n", port, strerror(errno));
		exit(1);
	}
	return fd;
}

static void accept_on(int lfd, int port)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd = accept4(lfd, (struct sockaddr *)&sa, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC), i = 0;

	if (fd < 0)
		return;
	while (i < MAX_CONNS && conns[i].fd >= 0)
		i++;
	if (i == MAX_CONNS) {
		fprintf(stderr, "bad-peer: mode=%s port=%d: too many connections, closed one\n", mode, port);
		close(fd);
		return;
	}
	conns[i].fd = fd;
	conns[i].port = port;
	snprintf(conns[i].from, sizeof(conns[i].from), "%s:%u", inet_ntoa(sa.sin_addr), ntohs(sa.sin_port));
}

int main(int argc, char **argv)
{
	int ports[2] = { 2379, 2380 }, lfds[2] = { -1, -1 }, nl = 0, map[2 + MAX_CONNS];
	struct sigaction sa = { .sa_handler = on_signal };
	struct pollfd pfds[2 + MAX_CONNS];
	bool known = false, bad = argc % 2 == 0;
	sigset_t block, wait_mask;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--mode") == 0)
			mode = argv[i + 1];
		else if (strcmp(argv[i], "--client-port") == 0 || strcmp(argv[i], "--peer-port") == 0)
			ports[argv[i][2] == 'p'] = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--liar-host") == 0)
			liar_host = argv[i + 1];
		else
			bad = true;
	}
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		known |= IS(modes[i]);
	if (!known || bad || ports[0] < 1 || ports[0] > 65535 || ports[1] < 1 || ports[1] > 65535) {
		fprintf(stderr, "usage: bad-peer --mode MODE [--client-port N] [--peer-port N] "
			"[--liar-host HOST]\n(the modes: see test/tools/bad-peer.c)\n");
		return 2;
	}
	/* SIGTERM and SIGINT are blocked except inside ppoll, so none is missed. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &wait_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	for (int i = 0; i < MAX_CONNS; i++)
		conns[i].fd = -1;
	for (; !IS("refuse") && nl < 2; nl++)
		lfds[nl] = listen_on(ports[nl]);
	if (nl)
		fprintf(stderr, "bad-peer: mode=%s listening on ports %d and %d\n", mode, ports[0], ports[1]);
	else
		fprintf(stderr, "bad-peer: mode=%s listening on nothing\n", mode);

	while (!stop) {
		long long next = -1, now = now_ms();
		struct timespec ts;
		nfds_t n = 0;

		for (int i = 0; i < nl; i++) {
			pfds[n] = (struct pollfd){ .fd = lfds[i], .events = POLLIN };
			map[n++] = -1 - i;
		}
		for (int i = 0; i < MAX_CONNS; i++) {
			struct conn *c = &conns[i];
			bool out = c->complete && (c->out_len || c->stream_left);

			if (c->fd < 0)
				continue;
			if (out && IS("drip") && (next < 0 || c->next_ms < next))
				next = c->next_ms;
			out = out && (!IS("drip") || c->next_ms <= now);
			pfds[n] = (struct pollfd){ .fd = c->fd, .events = (short)(POLLIN | (out ? POLLOUT : 0)) };
			map[n++] = i;
		}
		next = next < 0 ? -1 : next > now ? next - now : 0;
		ts = (struct timespec){ next / 1000, (next % 1000) * 1000000 };
		if (ppoll(pfds, n, next < 0 ? NULL : &ts, &wait_mask) < 0)
			continue;
		for (nfds_t i = 0; i < n; i++) {
			struct conn *c = map[i] >= 0 ? &conns[map[i]] : NULL;

			if (!c && (pfds[i].revents & POLLIN))
				accept_on(pfds[i].fd, ports[-1 - map[i]]);
			if (c && c->fd >= 0 && (pfds[i].revents & (POLLIN | POLLHUP | POLLERR)))
				on_readable(c);
			if (c && c->fd >= 0 && (pfds[i].revents & POLLOUT))
				on_writable(c);
		}
	}
	for (int i = 0; i < MAX_CONNS; i++)
		if (conns[i].fd >= 0)
			conn_close(&conns[i], "shutdown", false);
	fprintf(stderr, "bad-peer: mode=%s: signal, exiting 0\n", mode);
	return 0;
}
