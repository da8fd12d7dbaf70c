/* etcdclient.h - etcd's JSON gateway, its peer API and the etcd-init status, over the
 * bounded HTTP client of http.h (one event loop; every wait ends at once on SIGTERM
 * with EI_E_SIGNAL).
 *
 * Two kinds of calls:
 *  - ei_etcd_survey asks every peer of a round its four questions at once and records
 *    each answer's outcome in the facts (facts.h); it decides nothing;
 *  - membership changes (add, remove, promote) and the promoter's list go to one
 *    endpoint or a few, with a longer timeout.
 * Every call sends Grpc-Timeout so etcd gives up before we do. TLS material and the
 * auth credentials reach it only through struct ei_client_opts. An endpoint's pin
 * (http.h) may be NULL: libcurl then resolves the host itself (tools and tests only).
 *
 * etcd auth (etcd-facts §1.5): with a user and password the client gets a token at
 * /v3/auth/authenticate before its first gateway call, sends it as
 * "Authorization: <token>" (no "Bearer": only recent etcd strips it), and asks for a
 * new one once when etcd rejects it ("invalid auth token": simple tokens expire after
 * --auth-token-ttl). Neither the password nor the token is ever logged or put in a
 * message. */
#ifndef EI_ETCDCLIENT_H
#define EI_ETCDCLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "facts.h"
#include "http.h"
#include "loop.h"
#include "members.h"

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

/* The result of a call to one endpoint (or the last that failed, for lists). */
struct ei_etcd_result {
	enum ei_outcome outcome;      /* VALID on success */
	enum ei_etcd_failure failure; /* EI_ETCD_FAIL_NONE on success */
	long http_status;             /* 0 when there was no HTTP answer */
	char endpoint[256];
	char message[256];            /* etcd's or libcurl's message when failure != NONE */
};

/* Ask every peer whose pins are set (peers[i].client_pin / peer_pin not "") the
 * questions of facts.h and fill its answers, lists, version and status. A gateway
 * list that fails as "unhealthy" (no leader, no quorum) is asked again without
 * "linearizable" (a local, possibly stale list: evidence that a cluster exists, never
 * trusted for a destructive step). Peers with not_peer set, or no pins, are not asked.
 * Returns 0 (whatever the answers), EI_E_SIGNAL, EI_E_NOMEM, EI_E_SYS. */
int ei_etcd_survey(struct ei_etcd_client *c, struct ei_peer *peers, size_t n, struct ei_err *err);

/* Ask every endpoint for its member list (gateway) and return the first valid answer
 * in endpoint order. pins may be NULL. Returns 0, EI_E_UNAVAILABLE when none
 * answered (res: the last failure), EI_E_SIGNAL. */
int ei_etcd_member_list(struct ei_etcd_client *c, const char *const *endpoints,
			const char *const *pins, size_t n, struct ei_member_list *out,
			struct ei_etcd_result *res, struct ei_err *err);

/* The same over the peer API: GET <peer_url>/members. */
int ei_etcd_member_list_peer(struct ei_etcd_client *c, const char *const *peer_urls,
			     const char *const *pins, size_t n, struct ei_member_list *out,
			     struct ei_etcd_result *res, struct ei_err *err);

/* Membership changes on one endpoint (a started voter). On an etcd error they return
 * EI_E_CLUSTER with res->failure classified; on no answer EI_E_UNAVAILABLE; on an
 * unreadable answer EI_E_PARSE. */
int ei_etcd_member_add(struct ei_etcd_client *c, const char *endpoint, const char *pin,
		       const char *peer_url, bool learner, struct ei_member *added,
		       struct ei_member_list *members, struct ei_etcd_result *res,
		       struct ei_err *err);
int ei_etcd_member_remove(struct ei_etcd_client *c, const char *endpoint, const char *pin,
			  uint64_t id, struct ei_etcd_result *res, struct ei_err *err);
int ei_etcd_member_promote(struct ei_etcd_client *c, const char *endpoint, const char *pin,
			   uint64_t id, struct ei_etcd_result *res, struct ei_err *err);

/* Get a token at endpoint with the configured user and password (a no-op without
 * them). Returns 0 (also when etcd says auth is not enabled: then no token is sent),
 * EI_E_CLUSTER with res->failure EI_ETCD_FAIL_AUTH when etcd refuses the credentials
 * (for good: a wrong password does not get better by waiting), EI_E_UNAVAILABLE,
 * EI_E_PARSE, EI_E_SIGNAL. The token stays in the client. */
int ei_etcd_authenticate(struct ei_etcd_client *c, const char *endpoint, const char *pin,
			 struct ei_etcd_result *res, struct ei_err *err);

/* true when credentials are configured and no token is held yet. */
bool ei_etcd_needs_token(const struct ei_etcd_client *c);

/* Why etcd refused the credentials at the last authentication (a wrong password, an
 * unknown user), or NULL. Naming the user and the endpoint, never the password. */
const char *ei_etcd_auth_refused(const struct ei_etcd_client *c);

/* POST /v3/maintenance/status on one endpoint (allowed on learners). */
int ei_etcd_status(struct ei_etcd_client *c, const char *endpoint, const char *pin,
		   struct ei_member_status *out, struct ei_etcd_result *res, struct ei_err *err);

#endif
