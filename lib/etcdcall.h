/* etcdcall.h - calls to etcd members: the client that makes them (its TLS material, the
 * auth credentials and the token it carries), one request to one member over etcd's
 * JSON gateway or, once the gateway has refused our certificate's CommonName, over gRPC
 * (grpc.h), what its answer was (facts.h's outcome, etcd's failure), and the one owner
 * of a batch of calls, ei_call_batch_ask, where the two retry rules live. The questions
 * themselves (member lists, status, membership changes) are etcdclient.h's.
 *
 * Every wait is http.h's: one event loop, ended at once by SIGTERM with EI_E_SIGNAL. An
 * endpoint's pin (http.h) may be NULL: libcurl then resolves the host itself (tools and
 * tests only).
 *
 * etcd auth: with a user and password the client gets a token at /v3/auth/authenticate
 * before its first gateway call, sends it as "Authorization: <token>" (no "Bearer": only
 * recent etcd strips it, server/auth/store.go AuthInfoFromCtx), and asks for a new one
 * once when etcd rejects it ("invalid auth token": simple tokens expire after
 * --auth-token-ttl). Neither the password nor the token is ever logged or put in a
 * message. */
#ifndef EI_ETCDCALL_H
#define EI_ETCDCALL_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "facts.h"
#include "grpc.h"
#include "http.h"
#include "loop.h"
#include "pb.h"

struct ei_client_opts {
	struct ei_http_tls client_tls; /* towards client URLs (gateway, /version); copied */
	struct ei_http_tls peer_tls;   /* towards peer URLs (/members, the etcd-init status) */
	const char *user;              /* etcd auth user (root for membership changes), or NULL */
	const char *password;          /* copied; never logged */
	long connect_timeout_ms;       /* 0: 1000 */
	long request_timeout_ms;       /* 0: 2000 */
};

struct ei_etcd_client;

int ei_etcd_client_create(struct ei_etcd_client **out, struct ei_loop *loop,
			  const struct ei_client_opts *opts, struct ei_err *err);
void ei_etcd_client_destroy(struct ei_etcd_client *c);

/* The request timeout of the client's calls (ei_client_opts). */
long ei_call_request_ms(const struct ei_etcd_client *c);

/* The result of a call to one endpoint (or the last that failed, for lists). */
struct ei_etcd_result {
	enum ei_outcome outcome;      /* VALID on success */
	enum ei_etcd_failure failure; /* EI_ETCD_FAIL_NONE on success */
	long http_status;             /* 0 when there was no HTTP answer */
	char endpoint[256];
	char message[256];            /* etcd's or libcurl's message when failure != NONE */
};

/* Get a token at endpoint with the configured user and password (a no-op without
 * them). Returns 0 (also when etcd says auth is not enabled: then no token is sent),
 * EI_E_CLUSTER with res->failure EI_ETCD_FAIL_AUTH when etcd refuses the credentials
 * (for good: a wrong password does not get better by waiting), EI_E_UNAVAILABLE,
 * EI_E_PARSE, EI_E_SIGNAL. The token stays in the client. */
int ei_etcd_authenticate(struct ei_etcd_client *c, const char *endpoint, const char *pin,
			 struct ei_etcd_result *res, struct ei_err *err);

/* The same at every endpoint at once, keeping the first token (pins may be NULL). An
 * endpoint that says auth is not enabled switches auth off; one that refuses the
 * credentials sets what ei_etcd_auth_refused says. */
int ei_call_authenticate(struct ei_etcd_client *c, const char *const *endpoints,
			 const char *const *pins, size_t n, struct ei_etcd_result *res,
			 struct ei_err *err);

/* true when credentials are configured and no token is held yet. */
bool ei_etcd_needs_token(const struct ei_etcd_client *c);

/* Why etcd refused the credentials at the last authentication (a wrong password, an
 * unknown user), or NULL. Naming the user and the endpoint, never the password. */
const char *ei_etcd_auth_refused(const struct ei_etcd_client *c);

/* A token etcd no longer accepts (failure and message of its answer): forget it, so
 * the next call gets a new one. True when that happened. */
bool ei_call_token_rejected(struct ei_etcd_client *c, enum ei_etcd_failure failure,
			    const char *message);

/* The port a GET goes to, which picks its TLS material. */
enum ei_call_port {
	EI_CALL_CLIENT_PORT, /* /version */
	EI_CALL_PEER_PORT,   /* the peer API's /members, the etcd-init status */
};

/* The longest path a call takes (a status question's query included, etcdclient.c). */
#define EI_CALL_PATH_MAX 1100

/* One call: what it asks (set by ei_call_post or ei_call_get; the strings are borrowed
 * until the call is cleared), and the request as ei_call_batch_ask sent it, with its
 * answer. ei_call_clear frees what the request holds. */
struct ei_call {
	const char *endpoint, *pin, *path;
	const char *body;      /* a gateway POST's JSON body; NULL: a GET */
	long grpc_timeout_ms;  /* a POST's Grpc-Timeout */
	bool hasleader;        /* a POST fails at once without a leader */
	enum ei_call_port port; /* a GET's */
	bool sent;             /* in the batch's last pass */

	struct ei_http_req http;
	char url[EI_URL_MAX + EI_CALL_PATH_MAX];
	char timeout[48];
	const struct ei_grpc_method *grpc; /* set when the POST went over gRPC */
	struct ei_pb_buf grpc_body;
};

/* A POST of body to path on etcd's gateway at endpoint (pin may be NULL), with a
 * Grpc-Timeout (so etcd gives up no later than we do), hasleader when asked, and the
 * token; over gRPC once the client has switched. */
void ei_call_post(struct ei_call *g, const char *endpoint, const char *pin, const char *path,
		  const char *body, long grpc_timeout_ms, bool hasleader);

/* A GET of path on endpoint (peer API, /version, the etcd-init status). */
void ei_call_get(struct ei_call *g, enum ei_call_port port, const char *endpoint,
		 const char *pin, const char *path);

/* Free a call's answer and its gRPC body (wiped: an AuthenticateRequest holds the
 * password); what it asks stays, so it may be sent again. */
void ei_call_clear(struct ei_call *g);

/* "HTTP 403", or "gRPC PermissionDenied" for an error of a gRPC call. */
const char *ei_call_status_text(const struct ei_http_req *r, char *buf, size_t len);

/* A finished request as an answer of the facts (etcd's message read from an error). */
void ei_call_answer(const struct ei_etcd_client *c, struct ei_answer *a,
		    const struct ei_http_req *r);

/* A finished request as the result of a single call to endpoint. */
void ei_call_result(const struct ei_etcd_client *c, struct ei_etcd_result *res,
		    const struct ei_http_req *r, const char *endpoint);

/* Whether a batch gets a token before it asks (when credentials are set and no token
 * is held), at the endpoints of its calls. */
enum ei_call_token {
	EI_CALL_TOKEN_NONE,
	EI_CALL_TOKEN_TRY,  /* without one, ask anyway; only a signal, no memory or a
			     * refusal of the credentials end the batch */
	EI_CALL_TOKEN_NEED, /* without one, the batch ends with authentication's error */
};

struct ei_call_batch;

/* Reads the answers of a batch's calls: puts the one that decides in b->res and returns
 * 0 or the error the batch ends with. */
typedef int ei_call_read_fn(struct ei_etcd_client *c, struct ei_call_batch *b,
			    struct ei_err *err);

struct ei_call_batch {
	struct ei_call **calls; /* set up with ei_call_post / ei_call_get; asked together */
	size_t n;
	enum ei_call_token token;
	bool retry_token;       /* rule (b) below */
	ei_call_read_fn *read;  /* NULL: nothing to read, b->res unused */
	void (*on_done)(struct ei_http_req *r, void *ctx); /* as ei_http_run_cb, or NULL */
	void *ctx;              /* for read and on_done */
	struct ei_etcd_result *res;
};

/* Ask a batch of calls, the one way every call to etcd is made: get a token (b->token),
 * send every call at once, then apply the two retry rules, each at most once:
 *  (a) the gateway refused our certificate's CommonName: the client switches to gRPC
 *      (when libcurl speaks HTTP/2) and the gateway calls that were asked are sent
 *      again (the GETs' answers stand);
 *  (b) with b->retry_token, etcd rejected the token in b->res after read: authenticate
 *      again (b->token) and send every call again.
 * Returns read's result, or EI_E_SIGNAL, EI_E_NOMEM, EI_E_SYS, EI_E_PARSE (a body the
 * gRPC encoder refuses), or authentication's error (b->token). The calls keep their
 * answers; the caller clears them. */
int ei_call_batch_ask(struct ei_etcd_client *c, struct ei_call_batch *b, struct ei_err *err);

#endif
