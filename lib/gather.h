/* gather.h - gathering the facts the decision reads (facts.h), all read-only: the data
 * dir, DNS (own name, the initial peers, the SRV set), and every peer's answers.
 *
 * A round:
 *  1. the data dir (before any network call: a data dir that cannot be used ends the
 *     round with EI_E_USAGE);
 *  2. the peers: every initial member of the set but us, and every SRV target, resolved
 *     as absolute names; a peer whose address is loopback, unspecified, link-local or
 *     one of this pod's own is "not a peer" and never asked;
 *  3. every peer is asked its four questions at once (etcdclient.h), pinned to the
 *     addresses resolved in 2 (libcurl never resolves);
 *  4. the hosts in the members' URLs of every list that came back are resolved as etcd
 *     resolves them (search list, ndots), and members at addresses not asked yet (a
 *     cluster made with other names) are asked too.
 * Nothing is judged here: every answer keeps its outcome (lib/plan.c judges). */
#ifndef EI_GATHER_H
#define EI_GATHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "dns.h"
#include "etcdclient.h"
#include "facts.h"
#include "loop.h"

/* What an ordinal's etcd-init said when last asked (at_ms 0: never), and where. */
struct ei_earlier_init {
	uint64_t at_ms;
	char url[EI_URL_MAX];
	struct ei_init_status status;
};

struct ei_gather {
	const struct ei_config *cfg;
	struct ei_loop *loop;
	/* Short timeouts for asking: a member that has bound its port but has no quorum
	 * accepts the connection and never answers HTTP (server/embed/serve.go serve waits for
	 * ReadyNotify, closed once server/etcdserver/server.go publishV3 succeeds), and each round
	 * must not hang on it. Membership changes get a longer total timeout. */
	struct ei_etcd_client *client;
	struct ei_etcd_client *change_client;

	/* Our own name, from ei_gather_own_name. */
	struct ei_dns_host own;
	char own_addrs[512]; /* this pod's addresses, comma-separated, for logs */
	bool own_ok;         /* own name resolves to one of them */
	char srv_name[EI_DNS_NAME_MAX];
	/* Since when each ordinal's name has not resolved (ei_clock_ms; 0: it resolves),
	 * across rounds: a pod the StatefulSet controller has not created yet is said,
	 * with how long. */
	uint64_t unresolved_since[EI_MAX_PEERS];
	/* The last valid etcd-init status of each ordinal, across rounds (calloc'd,
	 * EI_MAX_PEERS): once a peer runs etcd, what it said just before (facts.h
	 * earlier_init). */
	struct ei_earlier_init *earlier_init;
	/* What we say of ourselves in every status question of the round (status.h), when
	 * claims is set (run.c sets it for a start; a one-shot plan says nothing). */
	bool claims;
	struct ei_status_claim self;
};

int ei_gather_init(struct ei_gather *g, const struct ei_config *cfg, struct ei_loop *loop,
		   struct ei_err *err);

/* An etcd client with this configuration's TLS material (the launcher's identity
 * towards client URLs, the peer certificate towards peer URLs) and auth credentials
 * (the password read now, from its file or the environment). Returns 0, EI_E_USAGE
 * (the password file), EI_E_NOMEM. */
int ei_gather_client(const struct ei_config *cfg, struct ei_loop *loop, long connect_ms,
		     long request_ms, struct ei_etcd_client **out, struct ei_err *err);
void ei_gather_destroy(struct ei_gather *g);

/* Resolve our own name once and check that it points at one of this pod's
 * addresses (g->own_ok). Returns 0, EI_E_SIGNAL, EI_E_SYS. */
int ei_gather_own_name(struct ei_gather *g, struct ei_err *err);

/* The set's desired replica count: --replicas, else the StatefulSet's spec.replicas from
 * the Kubernetes API (KUBERNETES_SERVICE_HOST and the service account), one GET. *source
 * says where it came from (facts.h); *replicas is -1 unless FLAG or API; error gets what
 * the API said when it is API_DENIED (no token, 401, 403, 404) or API_FAILED (no answer,
 * TLS, 429/5xx, not a StatefulSet), and NONE means there is no API to ask. Returns 0,
 * EI_E_SIGNAL, EI_E_NOMEM, EI_E_SYS. */
int ei_gather_replicas(const struct ei_config *cfg, struct ei_loop *loop,
		       enum ei_replicas_source *source, long *replicas, char *error,
		       size_t error_len, struct ei_err *err);

/* One round (top of file). Fills facts (free with ei_facts_free, also on error).
 * Returns 0, EI_E_USAGE (the data dir), EI_E_SIGNAL, EI_E_SYS, EI_E_NOMEM. */
int ei_gather_round(struct ei_gather *g, struct ei_facts *facts, struct ei_err *err);

/* Resolve every host of an --initial-cluster value "n=url,..." as etcd does; on
 * return *missing names the first that did not resolve (or is "" when all did). */
int ei_gather_check_resolvable(struct ei_gather *g, const char *initial_cluster, char *missing,
			       size_t missing_len, struct ei_err *err);

#endif
