/* server.c - the status server on libmicrohttpd, inside the one event loop (see server.h).
 *
 * libmicrohttpd runs in "external select" mode with epoll (MHD_USE_EPOLL, no internal
 * thread): MHD_DAEMON_INFO_EPOLL_FD is one fd that becomes readable when any of its
 * sockets needs work, and MHD_get_timeout says when idle connections must be timed
 * out; on either, MHD_run does the work without blocking (microhttpd.h, MHD_run). */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <microhttpd.h>

#include "file.h"
#include "log.h"
#include "settings.h"
#include "status.h"

#define SERVER_CONNECTIONS 32
#define SERVER_PER_ADDRESS 8
#define SERVER_IDLE_S 5u
#define SERVER_MEMORY (16u * 1024u)
#define SERVER_CLAIMS 64

struct ei_server {
	struct ei_loop *loop;
	struct MHD_Daemon *daemon;
	int epoll_fd;
	enum ei_server_role role;
	char *status; /* the JSON served (STATUS), or what etcd-init waits for (PROBES) */
	unsigned long requests;
	/* What askers said of themselves (status.h), the latest per peer URL and address. */
	struct claim_seen {
		struct ei_status_claim c;
		uint64_t at_ms;
	} claims[SERVER_CLAIMS];
	size_t n_claims;
	bool tls;
	char *cert_pem, *key_pem, *ca_pem; /* handed to libmicrohttpd; kept until stop */
};

static void on_mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* MHD_OPTION_EXTERNAL_LOGGER: libmicrohttpd's messages, at debug level. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[256];

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	ei_log_debug("status server", "libmicrohttpd=%s", line);
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *body,
			     const char *content_type)
{
	char *copy = strdup(body);
	struct MHD_Response *resp;
	enum MHD_Result r;

	if (!copy)
		return MHD_NO; /* closes the connection */
	resp = MHD_create_response_from_buffer_with_free_callback(strlen(copy), copy, free);
	if (!resp) {
		free(copy);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, MHD_HTTP_METHOD_GET);
	r = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return r;
}

/* With TLS: did the client present a certificate that the peer CA verifies?
 * libmicrohttpd only requests one (MHD_OPTION_HTTPS_MEM_TRUST) and leaves the
 * verification to the application (microhttpd.h, MHD_CONNECTION_INFO_GNUTLS_SESSION). */
static bool client_verified(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	gnutls_session_t session;
	unsigned int status = 0, n = 0;

	if (!ci || !ci->tls_session)
		return false;
	session = (gnutls_session_t)ci->tls_session;
	if (!gnutls_certificate_get_peers(session, &n) || n == 0)
		return false;
	if (gnutls_certificate_verify_peers2(session, &status) != GNUTLS_E_SUCCESS || status != 0) {
		ei_log_debug("status request refused", "reason=%s",
			     "the client certificate does not verify against the peer CA");
		return false;
	}
	return true;
}

/* The metrics port while etcd-init waits: the kubelet's liveness probe gets 200 on
 * EI_PROBE_LIVE_PATH (etcd-init is alive: its loop answers), every other path 503
 * (etcd is not running: not ready, not healthy, no metrics), each with what etcd-init
 * waits for. */
static enum MHD_Result answer_probe(struct ei_server *s, struct MHD_Connection *conn,
				    const char *url, const char *method)
{
	char body[1200];
	bool live = strcmp(url, EI_PROBE_LIVE_PATH) == 0;

	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n", "text/plain");
	snprintf(body, sizeof(body), "%s: etcd-init is waiting, etcd is not running yet: %s\n",
		 live ? "ok" : "not ready", s->status ? s->status : "starting");
	return reply(conn, live ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, body, "text/plain");
}

/* A GET argument copied into buf; false when absent, empty or too long. */
static bool get_arg(struct MHD_Connection *conn, const char *key, char *buf, size_t len)
{
	const char *v = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, key);

	if (!v || !v[0] || strlen(v) >= len)
		return false;
	memcpy(buf, v, strlen(v) + 1);
	return true;
}

/* Remember what an asker says of itself in its query (status.h), when it says all of
 * it: the latest claim per peer URL and address, the oldest replaced when full. */
static void note_claim(struct ei_server *s, struct MHD_Connection *conn, const char *from)
{
	struct ei_status_claim c = { 0 };
	char size[16], wal[8];
	unsigned long n;
	size_t slot = s->n_claims;

	if (!get_arg(conn, "name", c.name, sizeof(c.name)) ||
	    !get_arg(conn, "peer_url", c.peer_url, sizeof(c.peer_url)) ||
	    !get_arg(conn, "initial_cluster_token", c.token, sizeof(c.token)) ||
	    !get_arg(conn, "initial_cluster_size", size, sizeof(size)) ||
	    !get_arg(conn, "has_wal", wal, sizeof(wal)))
		return;
	if (!ei_parse_uint(size, 1, 1000, &n) || (strcmp(wal, "true") && strcmp(wal, "false")))
		return;
	c.initial_cluster_size = (unsigned)n;
	c.has_wal = strcmp(wal, "true") == 0;
	snprintf(c.addr, sizeof(c.addr), "%s", from);
	for (size_t i = 0; i < s->n_claims; i++) {
		if (!strcmp(s->claims[i].c.peer_url, c.peer_url) &&
		    !strcmp(s->claims[i].c.addr, from))
			slot = i;
	}
	if (slot == SERVER_CLAIMS) {
		slot = 0;
		for (size_t i = 1; i < s->n_claims; i++)
			if (s->claims[i].at_ms < s->claims[slot].at_ms)
				slot = i;
	}
	if (slot == s->n_claims)
		s->n_claims++;
	s->claims[slot] = (struct claim_seen){ .c = c, .at_ms = ei_clock_ms() };
}

/* MHD_AccessHandlerCallback: called once the request's headers are in. A response
 * queued at once also ends requests that carry a body (MHD then closes the
 * connection instead of reading it). */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct ei_server *s = cls;
	const union MHD_ConnectionInfo *ci;
	char from[INET6_ADDRSTRLEN] = "?";

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)con_cls;
	s->requests++;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)ci->client_addr)->sin_addr,
			  from, sizeof(from));
	ei_log_debug("status request", "from=%s method=%s path=%s", from, method, url);
	if (s->role == EI_SERVER_PROBES)
		return answer_probe(s, conn, url, method);
	if (s->tls && !client_verified(conn))
		return reply(conn, MHD_HTTP_FORBIDDEN,
			     "forbidden: a client certificate signed by the peer CA is required\n",
			     "text/plain");
	if (strcmp(url, EI_STATUS_PATH) != 0)
		return reply(conn, MHD_HTTP_NOT_FOUND, "not found: etcd-init is waiting here; only GET " EI_STATUS_PATH " answers\n",
			     "text/plain");
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0)
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n", "text/plain");
	note_claim(s, conn, from);
	return reply(conn, MHD_HTTP_OK, s->status ? s->status : "{}", "application/json");
}

static void on_ready(void *data)
{
	struct ei_server *s = data;

	MHD_run(s->daemon);
}

static int timeout_ms(void *data)
{
	struct ei_server *s = data;
	MHD_UNSIGNED_LONG_LONG t;

	if (MHD_get_timeout(s->daemon, &t) != MHD_YES)
		return -1;
	return t > 60000 ? 60000 : (int)t;
}

static int listen_socket(unsigned port, struct ei_err *err)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				  .sin_addr = { .s_addr = htonl(INADDR_ANY) } };
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return ei_err_sys(err, errno, "status server: socket");
	/* etcd (Go) sets SO_REUSEADDR too, so it binds the port at once after us. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
		int e = errno;

		close(fd);
		return ei_err_sys(err, e, "status server: listen on 0.0.0.0:%u (the peer port)", port);
	}
	return fd;
}

#define PEM_MAX (256u * 1024u)

/* A whole PEM file, NUL-terminated (libmicrohttpd takes PEM from memory), read by
 * file.h (one buffer, no copy of a key left behind, never blocking on a FIFO). */
static int read_pem(const char *path, char **out, struct ei_err *err)
{
	char *buf;
	size_t n;
	int fd, r;

	*out = NULL;
	fd = ei_file_open(path);
	if (fd < 0)
		return ei_err_set(err, EI_E_USAGE, "status server: %s cannot be read: %s", path,
				  strerror(-fd));
	buf = malloc(PEM_MAX + 1);
	if (!buf) {
		close(fd);
		return ei_err_set(err, EI_E_NOMEM, "out of memory");
	}
	r = ei_file_read_all(fd, buf, PEM_MAX + 1, &n);
	if (r < 0) {
		free(buf);
		return ei_err_set(err, EI_E_USAGE, "status server: %s %s", path,
				  r == -EFBIG ? "is larger than 256 KiB" : "cannot be read");
	}
	*out = buf;
	return 0;
}

static void free_pems(struct ei_server *s)
{
	free(s->cert_pem);
	if (s->key_pem) {
		explicit_bzero(s->key_pem, strlen(s->key_pem));
		free(s->key_pem);
	}
	free(s->ca_pem);
}

static struct MHD_Daemon *start_daemon(struct ei_server *s, int fd)
{
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;

	if (!s->tls)
		return MHD_start_daemon(
			flags, 0, NULL, NULL, on_request, s, MHD_OPTION_LISTEN_SOCKET, fd,
			MHD_OPTION_CONNECTION_LIMIT, (unsigned)SERVER_CONNECTIONS,
			MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)SERVER_PER_ADDRESS,
			MHD_OPTION_CONNECTION_TIMEOUT, SERVER_IDLE_S, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
			(size_t)SERVER_MEMORY, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
			MHD_OPTION_END);
	return MHD_start_daemon(
		flags | MHD_USE_TLS, 0, NULL, NULL, on_request, s, MHD_OPTION_LISTEN_SOCKET, fd,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)SERVER_CONNECTIONS,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)SERVER_PER_ADDRESS,
		MHD_OPTION_CONNECTION_TIMEOUT, SERVER_IDLE_S, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
		(size_t)SERVER_MEMORY, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
		MHD_OPTION_HTTPS_MEM_CERT, s->cert_pem, MHD_OPTION_HTTPS_MEM_KEY, s->key_pem,
		MHD_OPTION_HTTPS_MEM_TRUST, s->ca_pem, MHD_OPTION_END);
}

int ei_server_start(struct ei_server **out, struct ei_loop *loop, unsigned port,
		    enum ei_server_role role, const struct ei_server_tls *tls, struct ei_err *err)
{
	const union MHD_DaemonInfo *info;
	struct ei_loop_watch w;
	struct ei_server *s;
	int fd, r;

	*out = NULL;
	if (MHD_is_feature_supported(MHD_FEATURE_EPOLL) != MHD_YES)
		return ei_err_set(err, EI_E_SYS,
				  "status server: this libmicrohttpd has no epoll support");
	s = calloc(1, sizeof(*s));
	if (!s)
		return ei_err_set(err, EI_E_NOMEM, "out of memory");
	s->loop = loop;
	s->role = role;
	if (tls) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			free(s);
			return ei_err_set(err, EI_E_SYS,
					  "status server: this libmicrohttpd has no TLS support");
		}
		s->tls = true;
		r = read_pem(tls->cert_file, &s->cert_pem, err);
		if (!r)
			r = read_pem(tls->key_file, &s->key_pem, err);
		if (!r)
			r = read_pem(tls->ca_file, &s->ca_pem, err);
		if (r < 0) {
			free_pems(s);
			free(s);
			return r;
		}
	}
	fd = listen_socket(port, err);
	if (fd < 0) {
		free_pems(s);
		free(s);
		return fd;
	}
	s->daemon = start_daemon(s, fd);
	if (!s->daemon) {
		close(fd);
		free_pems(s);
		free(s);
		return ei_err_set(err, EI_E_SYS, "status server: libmicrohttpd did not start%s",
				  tls ? " (TLS: the peer certificate, key or CA was refused)" : "");
	}
	info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_EPOLL_FD);
	s->epoll_fd = info ? info->epoll_fd : -1;
	w = (struct ei_loop_watch){ .fd = s->epoll_fd, .ready = on_ready, .timeout_ms = timeout_ms,
				    .data = s };
	r = s->epoll_fd >= 0 ? ei_loop_add_watch(loop, &w, err)
			     : ei_err_set(err, EI_E_SYS, "status server: no epoll fd");
	if (r < 0) {
		MHD_stop_daemon(s->daemon);
		free_pems(s);
		free(s);
		return r;
	}
	*out = s;
	return 0;
}

int ei_server_set_status(struct ei_server *s, const char *json, struct ei_err *err)
{
	char *copy = strdup(json);

	if (!copy)
		return ei_err_set(err, EI_E_NOMEM, "out of memory");
	free(s->status);
	s->status = copy;
	return 0;
}

void ei_server_stop(struct ei_server *s)
{
	if (!s)
		return;
	ei_loop_remove_watch(s->loop, s->epoll_fd);
	/* Closes every connection and the listening socket (it was handed to MHD). */
	MHD_stop_daemon(s->daemon);
	free_pems(s);
	free(s->status);
	free(s);
}

size_t ei_server_claims(const struct ei_server *s, struct ei_status_claim *out, size_t max)
{
	uint64_t now = ei_clock_ms();
	size_t n = 0;

	for (size_t i = 0; s && i < s->n_claims && n < max; i++) {
		out[n] = s->claims[i].c;
		out[n++].age_ms = ei_elapsed_ms(s->claims[i].at_ms, now);
	}
	return n;
}

unsigned long ei_server_requests(const struct ei_server *s)
{
	return s ? s->requests : 0;
}
