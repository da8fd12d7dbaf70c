/* facts.h - what one gathering round observed, as plain data: the data dir, this pod's
 * addresses, every peer asked with the outcome of each question, and the member URL
 * hosts resolved as etcd resolves them. gather.c fills it (through etcdclient.c),
 * lib/plan.c alone judges it, report.c prints it. How a fact was fetched
 * never matters to the judge: only what came back. */
#ifndef EI_FACTS_H
#define EI_FACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "datadir.h"
#include "dns.h"
#include "http.h"
#include "identity.h"
#include "members.h"
#include "status.h"

#define EI_MAX_PEERS 64
#define EI_MAX_OWN_ADDRS 8
#define EI_PIN_MAX (EI_DNS_NAME_MAX + 16 + EI_DNS_MAX_ADDRS * (INET6_ADDRSTRLEN + 3))

/* One question to one endpoint, and what came back. */
struct ei_answer {
	enum ei_outcome outcome;      /* NOT_ASKED when the question was not asked */
	long http_status;             /* 0 when there was no HTTP answer */
	enum ei_etcd_failure failure; /* the etcd error in a non-2xx answer, else NONE */
	char url[EI_URL_MAX];         /* what was asked */
	char detail[256];             /* what was wrong, or "HTTP 200" */
};

/* One peer host and its answers. The four questions (etcdclient.h, ei_etcd_survey):
 * the member list through the client URL's gateway (linearizable where etcd supports
 * it), the member list of the peer API (which a member without quorum still serves),
 * the server version (whether "linearizable" was honoured), and the status of a waiting
 * etcd-init on the peer port. */
struct ei_peer {
	char host[EI_DNS_NAME_MAX]; /* a canonical FQDN, an SRV target or a member URL's host */
	int ordinal;                /* <set>-<i> of this set, else -1 */
	bool initial;               /* ordinal < initial cluster size */
	bool in_srv;                /* an SRV target of the service */
	bool from_list;             /* known only from a member list (asked in a second step) */
	enum ei_dns_status dns;
	char dns_error[128];
	unsigned unresolved_s;      /* how long its name has not resolved, over rounds */
	size_t n_addrs;
	char addrs[EI_DNS_MAX_ADDRS][INET6_ADDRSTRLEN];
	char not_peer[128];         /* why its address is not a peer's ("" when it is) */
	char client_url[EI_URL_MAX], peer_url[EI_URL_MAX];
	char client_pin[EI_PIN_MAX], peer_pin[EI_PIN_MAX]; /* http.h pins, "" when unresolved */

	struct ei_answer list;         /* POST /v3/cluster/member/list */
	struct ei_member_list members; /* when list.outcome is VALID */
	bool linearizable;             /* the answer to {"linearizable":true}, not the local retry */
	struct ei_answer peer_list;    /* GET <peer URL>/members */
	struct ei_member_list peer_members;
	struct ei_answer version;      /* GET /version on the client URL */
	char server_version[32];       /* its "etcdserver", "" when unknown */
	struct ei_answer status;       /* GET /etcd-init/v1/status on the peer URL */
	struct ei_init_status init;    /* when status.outcome is VALID */
	struct ei_answer raft;         /* POST /v3/maintenance/status: its raft position */
	struct ei_member_status raft_status; /* when raft.outcome is VALID */
	/* The last valid etcd-init status an earlier round of this run got from this
	 * ordinal (gather.c remembers it), where it was asked and how long ago. */
	bool earlier_init_seen;
	unsigned earlier_init_age_ms;
	char earlier_init_url[EI_URL_MAX];
	struct ei_init_status earlier_init;
};

/* A host named in a member's URL, resolved as etcd resolves it: with the pod's
 * resolv.conf search list and ndots (pkg/netutil/netutil.go resolveURL, through Go's
 * net.DefaultResolver). */
struct ei_host {
	char name[EI_DNS_NAME_MAX];
	enum ei_dns_status status;
	size_t n_addrs;
	char addrs[EI_DNS_MAX_ADDRS][INET6_ADDRSTRLEN];
};

/* Where the set's desired replica count came from (plan.c judges what it is worth). */
enum ei_replicas_source {
	EI_REPLICAS_NONE = 0,  /* neither --replicas nor a Kubernetes API (compose, or no
				* KUBERNETES_SERVICE_HOST) */
	EI_REPLICAS_FLAG,      /* --replicas / REPLICAS */
	EI_REPLICAS_API,       /* the StatefulSet's spec.replicas */
	EI_REPLICAS_API_DENIED,/* the API answered but will not tell: no token, 401, 403
				* (no RBAC rule), 404 (no such StatefulSet) */
	EI_REPLICAS_API_FAILED,/* the API did not answer usefully this round: no answer,
				* TLS, 429/5xx, a malformed object */
};

struct ei_facts {
	struct ei_datadir_facts datadir;
	enum ei_replicas_source replicas_source;
	long replicas;               /* FLAG, API: the desired replica count; else -1 */
	char replicas_error[512];    /* API_DENIED, API_FAILED: what the API said */
	/* SRV targets that are not names of this set: never asked (comma-separated). */
	size_t n_srv_strangers;
	char srv_strangers[512];
	size_t n_own_addrs;          /* this pod's addresses (not loopback) */
	char own_addrs[EI_MAX_OWN_ADDRS][INET6_ADDRSTRLEN];
	enum ei_dns_status srv_status;   /* both SRV names together (gather.c find_srv) */
	char srv_names[2 * EI_DNS_NAME_MAX + 8]; /* the names asked, for messages */
	size_t n_srv_targets;
	struct ei_peer *peers;       /* n_peers (at most EI_MAX_PEERS), malloc'd */
	size_t n_peers;
	struct ei_host *hosts;       /* n_hosts, malloc'd */
	size_t n_hosts;
	/* The member that refused our last membership change as "unhealthy cluster" (etcd
	 * checks that the member asked has been connected to every voter for 5 s, by its own
	 * view), 0: none. Not a fact of the round: run.c carries it over, and plan.c sends the
	 * next change through another started voter when there is one. */
	uint64_t via_refused_id;
	/* What the etcd-inits that asked our status server said of themselves (status.h),
	 * the latest per peer URL and address: n_claims, malloc'd. Not a fact of the
	 * round either: run.c copies it from the server (none in a one-shot plan). */
	struct ei_status_claim *claims;
	size_t n_claims;
};

/* "--replicas", "the StatefulSet's spec.replicas", "no replica count", ... for output. */
const char *ei_replicas_source_name(enum ei_replicas_source s);

/* Free what the facts own (and zero them). */
void ei_facts_free(struct ei_facts *f);

/* Lookups (NULL when absent). */
const struct ei_host *ei_facts_host(const struct ei_facts *f, const char *name);
bool ei_facts_is_own_addr(const struct ei_facts *f, const char *addr);

/* "refused: connection refused" style text for one answer, into buf. */
void ei_answer_describe(const struct ei_answer *a, char *buf, size_t len);

#endif
