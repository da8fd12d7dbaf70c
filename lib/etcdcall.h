/* etcdcall.h - one call to etcd, as etcdclient.c makes it (internal to etcdclient.c
 * and etcdcall.c; the API is etcdclient.h): the client's TLS material, its auth
 * credentials and token, and the transport of a gateway call, JSON over HTTP/1.1 or,
 * once the gateway has refused our certificate's CommonName, gRPC (grpc.h).
 *
 * A gateway call is set up from its path and JSON body (ei_call_setup), run with the
 * others of its batch (ei_call_run, which finishes each: a gRPC answer becomes the
 * gateway's), read as the answers of facts.h (ei_call_answer) or as a single call's
 * result (ei_call_result), and freed (ei_call_clear). */
#ifndef EI_ETCDCALL_H
#define EI_ETCDCALL_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "etcdclient.h"
#include "facts.h"
#include "grpc.h"
#include "http.h"
#include "pb.h"

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

/* A request to a gateway path: JSON body, Grpc-Timeout (units "m" = ms) so etcd gives up
 * no later than we do, hasleader when asked, and the token. Over gRPC (c->grpc) the same
 * call goes to etcd's method with the body encoded (grpc.h); ei_call_finish then turns the
 * answer back into the gateway's. The strings live in the struct; ei_call_clear frees it. */
struct ei_call {
	struct ei_http_req http;
	char url[EI_URL_MAX + 64];
	char timeout[48];
	const struct ei_grpc_method *grpc;
	struct ei_pb_buf grpc_body;
};

/* Free a call's results and its gRPC body (wiped: an AuthenticateRequest holds the
 * password); the struct may be set up again. */
void ei_call_clear(struct ei_call *g);

/* A POST of body to path on endpoint (pin may be NULL), with a Grpc-Timeout and,
 * when asked, hasleader; over gRPC when the client has switched. Returns 0,
 * EI_E_NOMEM or EI_E_PARSE (a body the gRPC encoder refuses). */
int ei_call_setup(struct ei_etcd_client *c, struct ei_call *g, const char *endpoint,
		  const char *pin, const char *path, const char *body, long grpc_timeout_ms,
		  bool hasleader, struct ei_err *err);

/* A GET of path on endpoint with that port's TLS material (peer API, /version, the
 * etcd-init status). */
void ei_call_get(struct ei_call *g, const struct ei_http_tls *tls, const char *endpoint,
		 const char *pin, const char *path);

/* After a run: a gRPC answer rewritten as the gateway's (grpc.h); a no-op otherwise. */
int ei_call_finish(const struct ei_etcd_client *c, struct ei_call *g, struct ei_err *err);

/* Run n calls (reqs[i] == &g[i].http) and finish each. *again is set when the gateway
 * refused our certificate's CN and the client switched to gRPC: clear the calls, set
 * them up again and run them. */
int ei_call_run(struct ei_etcd_client *c, struct ei_call *g, struct ei_http_req **reqs,
		size_t n, bool *again, struct ei_err *err);

/* The gateway's refusal of a client certificate with a CommonName (auth on): switch
 * the client to gRPC (once, when libcurl speaks HTTP/2). True when it switched. */
bool ei_call_refused_cn(struct ei_etcd_client *c, const struct ei_call *g);

/* "HTTP 403", or "gRPC PermissionDenied" for an error of a gRPC call. */
const char *ei_call_status_text(const struct ei_http_req *r, char *buf, size_t len);

/* A finished request as an answer of the facts (etcd's message read from an error). */
void ei_call_answer(const struct ei_etcd_client *c, struct ei_answer *a,
		    const struct ei_http_req *r);

/* A finished request as the result of a single call to endpoint. */
void ei_call_result(const struct ei_etcd_client *c, struct ei_etcd_result *res,
		    const struct ei_http_req *r, const char *endpoint);

/* A token etcd no longer accepts: forget it, so the next call gets a new one. True
 * when that happened. */
bool ei_call_token_rejected(struct ei_etcd_client *c, enum ei_etcd_failure failure,
			    const char *message);

/* Authenticate at every endpoint at once and keep the first token (etcdclient.h's
 * ei_etcd_authenticate for many). An endpoint that says auth is not enabled switches
 * auth off; one that refuses the credentials sets what ei_etcd_auth_refused says. */
int ei_call_authenticate(struct ei_etcd_client *c, const char *const *endpoints,
			 const char *const *pins, size_t n, struct ei_etcd_result *res,
			 struct ei_err *err);

#endif
