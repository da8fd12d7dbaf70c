/* server.h - the status server of the handshake: while etcd-init waits, it answers
 * GET /etcd-init/v1/status (status.h) on its peer port, so that its peers decide on
 * what it says instead of on its silence.
 *
 * libmicrohttpd parses HTTP (nothing here reads a request by hand); it runs inside the
 * one event loop without threads: its epoll fd is a loop watch (loop.h), so it answers
 * during every wait (DNS, HTTP, backoff). Bounded: 32 connections, 8 per address,
 * 16 KiB of memory and 5 s of idleness each. Only GET of the status path answers 200;
 * any other path is 404 and any other method 405, so etcd peers that probe this port
 * (raft streams, /members, /version) get a clear refusal until etcd itself binds it.
 * With peer TLS it serves HTTPS with the peer certificate and answers only clients
 * whose certificate the peer CA verifies (403 otherwise): a status is evidence for a
 * bootstrap, and an unauthenticated one is never evidence.
 * Not thread-safe; single owner. */
#ifndef EI_SERVER_H
#define EI_SERVER_H

#include <stddef.h>

#include "err.h"
#include "loop.h"
#include "status.h"

struct ei_server;

/* What a server answers:
 *  - STATUS: the handshake on the peer port, as above;
 *  - PROBES: the kubelet's probes on etcd's metrics port while etcd-init waits (plain
 *    HTTP, as etcd serves them): GET EI_PROBE_LIVE_PATH is 200 (etcd-init is alive and
 *    says what it waits for), any other path 503 with the same text (etcd is not ready,
 *    not healthy). A pod whose manifest has only a liveness probe (etcd's official one,
 *    its command swapped) is not killed while it waits; readiness stays false. The
 *    document set with ei_server_set_status is the text of that wait. */
enum ei_server_role { EI_SERVER_STATUS, EI_SERVER_PROBES };

#define EI_PROBE_LIVE_PATH "/livez"

/* The peer certificate, its key and the CA that client certificates must verify
 * against (PEM files). */
struct ei_server_tls {
	const char *cert_file, *key_file, *ca_file;
};

/* Listen on 0.0.0.0:port (SO_REUSEADDR, so etcd can bind it right after us) and
 * register with the loop; tls NULL: plain HTTP. Returns 0, EI_E_SYS (the port is
 * taken: err says so), or EI_E_USAGE (a TLS file cannot be read or used). */
int ei_server_start(struct ei_server **out, struct ei_loop *loop, unsigned port,
		    enum ei_server_role role, const struct ei_server_tls *tls, struct ei_err *err);

/* The document served from now on (copied; PROBES: the text of the wait). Returns 0 or EI_E_NOMEM. */
int ei_server_set_status(struct ei_server *s, const char *json, struct ei_err *err);

/* Close the listening socket and every connection, leave the loop and free.
 * NULL is allowed. Called before exec, so etcd binds the port at once. */
void ei_server_stop(struct ei_server *s);

/* What the etcd-inits that asked for the status said of themselves (status.h), with
 * their ages, the latest per peer URL and address: at most max into out; returns how
 * many. NULL s: none. */
size_t ei_server_claims(const struct ei_server *s, struct ei_status_claim *out, size_t max);

/* Requests answered so far (for logs and tests). */
unsigned long ei_server_requests(const struct ei_server *s);

#endif
