/* dns.h - DNS lookups with c-ares, non-blocking inside the one event loop.
 *
 * Lookups go to the servers of /etc/resolv.conf (a pod's DNS view), skip
 * /etc/hosts (peers see DNS, not our hosts file), take our own canonical names as
 * absolute FQDNs (no search list, whatever ndots says; ei_dns_resolve_search applies
 * it, for names other members wrote), and are never answered from a cache:
 * a name that did not exist a second ago must be asked again (c-ares >= 1.31
 * caches by default; the cache is turned off). One call = one round of queries;
 * retrying with backoff is the caller's business. */
#ifndef EI_DNS_H
#define EI_DNS_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include "err.h"
#include "loop.h"

#define EI_DNS_MAX_ADDRS 8
#define EI_DNS_NAME_MAX 256

enum ei_dns_status {
	EI_DNS_PENDING = 0,
	EI_DNS_FOUND,     /* at least one address / SRV target */
	EI_DNS_NOTFOUND,  /* NXDOMAIN or no records of that type */
	EI_DNS_FAILED,    /* timeout, SERVFAIL, refused, no server */
};

/* One host name to resolve (A and AAAA). The caller sets name; ei_dns_resolve
 * fills the rest. */
struct ei_dns_host {
	char name[EI_DNS_NAME_MAX];
	enum ei_dns_status status;
	size_t n_addrs;
	char addrs[EI_DNS_MAX_ADDRS][INET6_ADDRSTRLEN]; /* textual, as inet_ntop writes */
	char error[128];  /* c-ares' text when status is NOTFOUND or FAILED */
};

struct ei_dns_srv_target {
	char host[EI_DNS_NAME_MAX]; /* target without the trailing dot */
	uint16_t port;
	uint16_t priority;
	uint16_t weight;
};

struct ei_dns;

/* Create a resolver reading /etc/resolv.conf now (each create re-reads it).
 * timeout_ms is the per-try timeout handed to c-ares (0: 1000). */
int ei_dns_create(struct ei_dns **out, struct ei_loop *loop, int timeout_ms, struct ei_err *err);
void ei_dns_destroy(struct ei_dns *dns);

/* Resolve every host concurrently (A and AAAA) and wait for all answers, at most
 * deadline_ms (an ei_clock_ms() value; 0 = c-ares' own timeouts only).
 * Returns 0 when all have a status (found or not), EI_E_SIGNAL, EI_E_SYS. */
int ei_dns_resolve(struct ei_dns *dns, struct ei_dns_host *hosts, size_t n, uint64_t deadline_ms,
		   struct ei_err *err);

/* Resolve every host the way etcd's Go resolver resolves other members' URLs: through
 * resolv.conf's search list and ndots (so "etcd-0.etcd", as the official manifest
 * writes peer URLs, resolves as it does inside the pod), a trailing dot making a name
 * absolute, IP literals standing for themselves (ares_getaddrinfo). Same contract as
 * ei_dns_resolve. */
int ei_dns_resolve_search(struct ei_dns *dns, struct ei_dns_host *hosts, size_t n,
			  uint64_t deadline_ms, struct ei_err *err);

/* Look up the SRV records of name. On return *status says found/notfound/failed;
 * *targets (malloc'd, caller frees) has *n_targets entries when found.
 * Returns 0, EI_E_SIGNAL, EI_E_SYS, EI_E_NOMEM. */
int ei_dns_srv(struct ei_dns *dns, const char *name, uint64_t deadline_ms,
	       enum ei_dns_status *status, struct ei_dns_srv_target **targets, size_t *n_targets,
	       struct ei_err *err);

/* Short name of a status for logs: "found", "not-found", "failed". */
const char *ei_dns_status_name(enum ei_dns_status s);

#endif
