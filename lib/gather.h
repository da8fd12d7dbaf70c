/* gather.h - gathering the facts the decision reads, all read-only: the data dir,
 * DNS (own name, initial peers, the SRV set) and the member list from any member
 * that answers. The evidence is kept for `plan` and for the log. */
#ifndef EI_GATHER_H
#define EI_GATHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "dns.h"
#include "etcdclient.h"
#include "loop.h"
#include "plan.h"

#define EI_GATHER_MAX_HOSTS 128

struct ei_gather {
	const struct ei_config *cfg;
	struct ei_loop *loop;
	/* Short timeouts for asking: a member that has bound its port but has no quorum
	 * accepts the connection and never answers HTTP (etcd-facts §1.1), and each round
	 * must not hang on it. Membership changes get a longer total timeout. */
	struct ei_etcd_client *client;
	struct ei_etcd_client *change_client;

	/* Evidence of the last round. */
	struct ei_dns_host own;                       /* our own name */
	char own_addrs[512];                          /* this pod's addresses, comma-separated */
	bool own_ok;                                  /* own name resolves to one of them */
	struct ei_dns_host hosts[EI_GATHER_MAX_HOSTS];/* initial peers, then SRV-only targets */
	size_t n_hosts;
	char srv_name[EI_DNS_NAME_MAX];
	enum ei_dns_status srv_status;
	size_t n_srv_targets;
	char endpoints[EI_GATHER_MAX_HOSTS][EI_URL_MAX]; /* client URLs asked */
	size_t n_endpoints;
	struct ei_etcd_result last_result;            /* why nobody answered, when so */
	char change_endpoint[EI_URL_MAX];             /* a started voter's client URL, or "" */
	bool answer_from_peer_api;
};

int ei_gather_init(struct ei_gather *g, const struct ei_config *cfg, struct ei_loop *loop,
		   struct ei_err *err);
void ei_gather_destroy(struct ei_gather *g);

/* Resolve our own name once and check that it points at one of this pod's
 * addresses (g->own_ok). Returns 0, EI_E_SIGNAL, EI_E_SYS. */
int ei_gather_own_name(struct ei_gather *g, struct ei_err *err);

/* One round: data dir, DNS of the initial peers and the SRV set, then the member
 * list (gateway first, then the peer API). Fills facts (free facts->members with
 * ei_member_list_free). Returns 0, EI_E_SIGNAL, EI_E_SYS, EI_E_NOMEM. */
int ei_gather_round(struct ei_gather *g, struct ei_facts *facts, struct ei_err *err);

/* Resolve every host of an --initial-cluster value "n=url,..."; on return
 * *missing names the first that did not resolve (or is "" when all did). */
int ei_gather_check_resolvable(struct ei_gather *g, const char *initial_cluster, char *missing,
			       size_t missing_len, struct ei_err *err);

#endif
