/* etcdclient.h - the HTTP client for etcd's JSON gateway and peer API (libcurl multi,
 * driven by the one event loop; all waits end at once on SIGTERM with EI_E_SIGNAL).
 *
 * Every call has a connect timeout, a total timeout, a response size limit, sends
 * Grpc-Timeout so etcd gives up before we do, and never follows redirects.
 * TLS material and an auth token reach it only through struct ei_client_opts. */
#ifndef EI_ETCDCLIENT_H
#define EI_ETCDCLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "loop.h"
#include "members.h"

struct ei_client_opts {
	const char *ca_file;   /* NULL: no TLS verification material beyond system defaults */
	const char *cert_file; /* client certificate, or NULL */
	const char *key_file;
	const char *auth_token;/* sent as "Authorization: <token>" when not NULL */
	long connect_timeout_ms; /* 0: 2000 */
	long request_timeout_ms; /* 0: 5000 */
};

struct ei_etcd_client;

int ei_etcd_client_create(struct ei_etcd_client **out, struct ei_loop *loop,
			  const struct ei_client_opts *opts, struct ei_err *err);
void ei_etcd_client_destroy(struct ei_etcd_client *c);

/* The result of one call that reached (or failed to reach) a member. */
struct ei_etcd_result {
	enum ei_etcd_failure failure; /* EI_ETCD_FAIL_NONE on success */
	long http_status;             /* 0 when there was no HTTP answer */
	char endpoint[256];           /* the endpoint that answered (or failed last) */
	char message[256];            /* etcd's or curl's message when failure != NONE */
};

/* Ask every endpoint (client URLs such as "http://etcd-0.etcd.ns.svc.cluster.local:2379")
 * concurrently for POST /v3/cluster/member/list and return the first successful
 * answer; the others are cancelled. Learners answer "rpc not supported for learner"
 * and are skipped. Returns 0, EI_E_UNAVAILABLE when none answered (res says why,
 * for the last failure), EI_E_SIGNAL. */
int ei_etcd_member_list(struct ei_etcd_client *c, const char *const *endpoints, size_t n,
			struct ei_member_list *out, struct ei_etcd_result *res, struct ei_err *err);

/* The same over the peer API: GET <peer_url>/members on each, first answer wins. */
int ei_etcd_member_list_peer(struct ei_etcd_client *c, const char *const *peer_urls, size_t n,
			     struct ei_member_list *out, struct ei_etcd_result *res,
			     struct ei_err *err);

/* Membership changes on one endpoint (a started voter). On an etcd error they return
 * EI_E_CLUSTER with res->failure classified; on no answer EI_E_UNAVAILABLE. */
int ei_etcd_member_add(struct ei_etcd_client *c, const char *endpoint, const char *peer_url,
		       bool learner, struct ei_member *added, struct ei_member_list *members,
		       struct ei_etcd_result *res, struct ei_err *err);
int ei_etcd_member_remove(struct ei_etcd_client *c, const char *endpoint, uint64_t id,
			  struct ei_etcd_result *res, struct ei_err *err);
int ei_etcd_member_promote(struct ei_etcd_client *c, const char *endpoint, uint64_t id,
			   struct ei_etcd_result *res, struct ei_err *err);

/* POST /v3/maintenance/status on one endpoint (allowed on learners). */
int ei_etcd_status(struct ei_etcd_client *c, const char *endpoint, struct ei_member_status *out,
		   struct ei_etcd_result *res, struct ei_err *err);

#endif
