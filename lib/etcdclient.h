/* etcdclient.h - the questions etcd-init asks etcd members, over the calls of
 * etcdcall.h (which also holds the client: create, destroy, authenticate):
 *  - ei_etcd_survey asks every peer of a round its four questions at once and records
 *    each answer's outcome in the facts (facts.h); it decides nothing;
 *  - membership changes (add, remove, promote), a member's status and the member lists
 *    go to one endpoint or a few, with a longer timeout.
 * Every call is asked through ei_call_batch_ask, which gets the token and applies the
 * retry rules (a refused certificate CommonName: gRPC; a rejected token: a new one). */
#ifndef EI_ETCDCLIENT_H
#define EI_ETCDCLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "etcdcall.h"
#include "facts.h"
#include "members.h"

/* Ask every peer whose pins are set (peers[i].client_pin / peer_pin not "") the
 * questions of facts.h and fill its answers, lists, version and status. A gateway
 * list that fails as "unhealthy" (no leader, no quorum) is asked again without
 * "linearizable" (a local, possibly stale list: evidence that a cluster exists, never
 * trusted for a destructive step). Peers with not_peer set, or no pins, are not asked.
 * self, when not NULL, is what we say of ourselves in the query of every status
 * question (status.h struct ei_status_claim; its addr and age_ms are not sent).
 * Returns 0 (whatever the answers), EI_E_SIGNAL, EI_E_NOMEM, EI_E_SYS. */
int ei_etcd_survey(struct ei_etcd_client *c, struct ei_peer *peers, size_t n,
		   const struct ei_status_claim *self, struct ei_err *err);

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

/* POST /v3/maintenance/status on one endpoint (allowed on learners). */
int ei_etcd_status(struct ei_etcd_client *c, const char *endpoint, const char *pin,
		   struct ei_member_status *out, struct ei_etcd_result *res, struct ei_err *err);

#endif
