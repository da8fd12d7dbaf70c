/* http.h - HTTP requests to etcd members and to waiting etcd-inits (libcurl multi,
 * driven by the one event loop: every wait also watches the signalfd and the loop's
 * watches, so SIGTERM ends it at once with EI_E_SIGNAL and the status server keeps
 * answering while we ask).
 *
 * Every request is bounded (connect time, time to the first byte, total time, a
 * minimum speed once bytes flow, header and body size), never follows redirects, and
 * ends in exactly one outcome. The outcome says what happened, not what it means:
 * lib/plan.c alone judges what counts as evidence.
 *
 * Name resolution: a request may carry a pin ("host:port:addr[,addr]", libcurl's
 * CURLOPT_RESOLVE): libcurl then connects to exactly those addresses, which the
 * caller resolved with c-ares and checked, and never calls the system resolver. */
#ifndef EI_HTTP_H
#define EI_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <arpa/inet.h>

#include "err.h"
#include "httpoutcome.h"
#include "loop.h"


struct ei_http_opts {
	const char *ca_file;   /* NULL: no TLS material beyond the system defaults */
	const char *cert_file; /* client certificate, or NULL */
	const char *key_file;
	long connect_timeout_ms;    /* 0: 1000 */
	long total_timeout_ms;      /* 0: 2000 */
	long first_byte_timeout_ms; /* 0: the total timeout */
	long min_bytes_per_s;       /* once the answer has started; 0: 1024 */
	size_t max_body;            /* 0: 1 MiB */
	size_t max_headers;         /* all header lines together; 0: 16 KiB */
};

#define EI_HTTP_MAX_HEADERS 6

/* TLS material of one request: a CA (the only one trusted: no system CAs), and a
 * client certificate and key; NULL or "" members are unset. */
struct ei_http_tls {
	const char *ca_file, *cert_file, *key_file;
};

struct ei_http_req {
	/* Set by the caller (the strings are borrowed until ei_http_run returns). */
	const char *url;
	const char *pin;  /* CURLOPT_RESOLVE entry, or NULL */
	const char *body; /* POST this body (JSON); NULL: GET */
	size_t body_len;  /* its length; 0: strlen(body) */
	bool grpc;        /* a gRPC call: HTTP/2, application/grpc, trailers read */
	const char *headers[EI_HTTP_MAX_HEADERS + 1]; /* extra header lines, NULL-terminated */
	const struct ei_http_tls *tls; /* NULL: the client's own (ei_http_opts) */
	const char *secrets[3];        /* NULL-terminated: never quoted in detail (ei_excerpt) */

	/* Set through ei_http_req_cancel while the run goes on. */
	bool cancel;
	char cancel_why[160];

	/* Filled by ei_http_run; free with ei_http_req_clear. */
	enum ei_outcome outcome;
	long status;            /* the HTTP status, 0 when there was none */
	char *resp;             /* the body, NUL-terminated (also for error statuses) */
	size_t resp_len;
	char cluster_id_hex[24]; /* the X-Etcd-Cluster-ID header, "" when absent */
	char remote_ip[48];     /* the address connected to, "" when none */
	uint64_t ms;            /* time taken */
	char detail[256];       /* what happened, for logs ("connection refused", "HTTP 404") */
	int grpc_status;        /* grpc-status (header or trailer) of a gRPC call, -1 when none */
	char grpc_message[256]; /* its grpc-message, as sent (percent-encoded) */
};

struct ei_http;

int ei_http_create(struct ei_http **out, struct ei_loop *loop, const struct ei_http_opts *opts,
		   struct ei_err *err);
void ei_http_destroy(struct ei_http *h);

/* Run every request concurrently until each has its outcome. Returns 0 (whatever the
 * outcomes), EI_E_SIGNAL (the requests are cancelled; their outcomes are not set),
 * EI_E_NOMEM or EI_E_SYS. A request that has results from an earlier run is cleared
 * first. */
int ei_http_run(struct ei_http *h, struct ei_http_req *const *reqs, size_t n, struct ei_err *err);

/* The same, calling on_done(req, ctx) as each request gets its outcome; on_done may
 * cancel requests still running with ei_http_req_cancel. */
int ei_http_run_cb(struct ei_http *h, struct ei_http_req *const *reqs, size_t n,
		   void (*on_done)(struct ei_http_req *r, void *ctx), void *ctx, struct ei_err *err);

/* Stop a request of the current run that is not done yet: its outcome is NOT_ASKED
 * with why as the detail (the answer is not needed: the caller knows it cannot come). */
void ei_http_req_cancel(struct ei_http_req *r, const char *why);

/* true when this libcurl speaks HTTP/2 (gRPC calls need it). */
bool ei_http_has_http2(void);

/* "k1=v1&k2=v2..." from n key/value pairs (kv[2i], kv[2i+1]), each percent-encoded
 * by libcurl (curl_easy_escape), into buf. Returns false when it does not fit or
 * libcurl fails. */
bool ei_http_query(char *buf, size_t len, const char *const *kv, size_t n);

/* Free the results of a request (not the caller's strings). */
void ei_http_req_clear(struct ei_http_req *r);

/* The CURLOPT_RESOLVE entry for host:port at addrs ("[v6]" bracketed), into buf.
 * Returns false when it does not fit or there is no address. */
bool ei_http_pin(char *buf, size_t len, const char *host, unsigned port,
		 const char (*addrs)[INET6_ADDRSTRLEN], size_t n_addrs);

#endif
