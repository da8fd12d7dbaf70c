/* dns.c - A/AAAA and SRV lookups with c-ares inside the one event loop (see dns.h).
 *
 * c-ares runs without its event thread (ares_init_options(3) ARES_OPT_SOCK_STATE_CB): it tells us which
 * sockets it wants through ARES_OPT_SOCK_STATE_CB, we poll them together with
 * the signalfd through ei_loop_poll(), and hand the ready ones back.
 *
 * One source builds warning-free against every c-ares from 1.18 (Debian 12) to
 * 1.34 (Debian 13, Alpine), where the legacy calls carry CARES_DEPRECATED_FOR:
 *   >= 1.28.0  ares_query_dnsrec() + ares_dns_record_rr_get_const() replace
 *              ares_query() + ares_parse_{a,aaaa,srv}_reply() (deprecated since 1.28);
 *   >= 1.34.0  ares_process_fds() handles all ready sockets and the timeouts in
 *              one call (ares_process_fd() is not deprecated, but processes
 *              timeouts again on every call);
 *   ARES_OPT_QUERY_CACHE: the query cache is on by default since 1.31.0 and is
 *              turned off wherever the option exists (#ifdef, exact). */
#include "dns.h"

#include <ares.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#define EI_ARES_DNSREC	    (ARES_VERSION >= 0x011c00) /* 1.28.0 */
#define EI_ARES_PROCESS_FDS (ARES_VERSION >= 0x012200) /* 1.34.0 */

/* DNS RR types (RFC 1035, RFC 3596, RFC 2782). */
enum { QTYPE_A = 1, QTYPE_AAAA = 28, QTYPE_SRV = 33 };

struct dns_sock {
	int fd;
	short events;
};

struct ei_dns {
	struct ei_loop *loop;
	struct ares_channeldata *channel;
	struct dns_sock *socks; /* what c-ares wants polled, from on_sock_state */
	size_t n_socks, cap_socks;
	struct pollfd *pfds; /* scratch for one poll round, cap_socks entries */
#if EI_ARES_PROCESS_FDS
	ares_fd_events_t *events; /* scratch for ares_process_fds, cap_socks entries */
#endif
	bool oom;		/* a callback could not allocate */
	size_t pending;		/* queries whose callback has not run yet */
	const char *cancel_why; /* set before ares_cancel: the error text of cancelled queries */
};

/* One query of one type; its callback fills it in. */
struct query {
	struct ei_dns *dns;
	int type;
	bool done;
	int status; /* an ARES_* status */
	size_t n_addrs;
	char addrs[EI_DNS_MAX_ADDRS][INET6_ADDRSTRLEN];
	struct ei_dns_srv_target *srv;
	size_t n_srv;
};

const char *ei_dns_status_name(enum ei_dns_status s)
{
	switch (s) {
	case EI_DNS_FOUND:
		return "found";
	case EI_DNS_NOTFOUND:
		return "not-found";
	case EI_DNS_FAILED:
		return "failed";
	case EI_DNS_PENDING:
		break;
	}
	return "pending";
}

/* Make room for one more socket in socks and in the per-round scratch arrays. */
static bool socks_grow(struct ei_dns *dns)
{
	size_t cap = dns->cap_socks ? dns->cap_socks * 2 : 8;
	struct dns_sock *s;
	struct pollfd *p;

	s = realloc(dns->socks, cap * sizeof(*s));
	if (!s)
		return false;
	dns->socks = s;
	p = realloc(dns->pfds, cap * sizeof(*p));
	if (!p)
		return false;
	dns->pfds = p;
#if EI_ARES_PROCESS_FDS
	ares_fd_events_t *e = realloc(dns->events, cap * sizeof(*e));

	if (!e)
		return false;
	dns->events = e;
#endif
	dns->cap_socks = cap;
	return true;
}

/* ARES_OPT_SOCK_STATE_CB: c-ares opens, re-arms and closes sockets here;
 * readable = writable = 0 means the socket is closed. */
static void on_sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct ei_dns *dns = data;
	short events = (short)((readable ? POLLIN : 0) | (writable ? POLLOUT : 0));
	size_t i;

	for (i = 0; i < dns->n_socks; i++)
		if (dns->socks[i].fd == fd)
			break;
	if (!events) {
		if (i < dns->n_socks)
			dns->socks[i] = dns->socks[--dns->n_socks];
		return;
	}
	if (i == dns->n_socks) {
		if (dns->n_socks == dns->cap_socks && !socks_grow(dns)) {
			/* An unpolled socket would stall its query until the timeout;
			 * the wait loop sees the flag and gives up instead. */
			dns->oom = true;
			return;
		}
		dns->n_socks++;
		dns->socks[i].fd = fd;
	}
	dns->socks[i].events = events;
}

static void query_add_addr(struct query *q, int family, const void *bin)
{
	if (bin && q->n_addrs < EI_DNS_MAX_ADDRS &&
	    inet_ntop(family, bin, q->addrs[q->n_addrs], sizeof(q->addrs[0])))
		q->n_addrs++;
}

static void query_add_srv(struct query *q, const char *target, unsigned short port,
			  unsigned short priority, unsigned short weight)
{
	struct ei_dns_srv_target *t;
	size_t len = target ? strlen(target) : 0;

	/* RFC 2782: a target of "." means "no such service here". */
	if (len && target[len - 1] == '.')
		len--;
	if (len == 0 || len >= sizeof(t->host))
		return;
	t = realloc(q->srv, (q->n_srv + 1) * sizeof(*t));
	if (!t) {
		q->dns->oom = true;
		return;
	}
	q->srv = t;
	t += q->n_srv++;
	memcpy(t->host, target, len);
	t->host[len] = '\0';
	t->port = port;
	t->priority = priority;
	t->weight = weight;
}

static void query_done(struct query *q, int status)
{
	if (q->done)
		return;
	/* A NOERROR answer without a record of the asked type (only a CNAME,
	 * or records of other types) is NODATA. */
	if (status == ARES_SUCCESS && q->n_addrs == 0 && q->n_srv == 0)
		status = ARES_ENODATA;
	q->status = status;
	q->done = true;
	q->dns->pending--;
}

#if EI_ARES_DNSREC
/* c-ares >= 1.28 hands over the parsed message; for ares_query_dnsrec the
 * status already reflects the RCODE and an empty answer (NXDOMAIN ->
 * ARES_ENOTFOUND, NODATA -> ARES_ENODATA). */
static void on_answer(void *arg, ares_status_t status, size_t timeouts,
		      const ares_dns_record_t *rec)
{
	struct query *q = arg;
	size_t i, n;

	(void)timeouts;
	n = status == ARES_SUCCESS && rec ? ares_dns_record_rr_cnt(rec, ARES_SECTION_ANSWER) : 0;
	for (i = 0; i < n; i++) {
		const ares_dns_rr_t *rr = ares_dns_record_rr_get_const(rec, ARES_SECTION_ANSWER, i);

		if (!rr || (int)ares_dns_rr_get_type(rr) != q->type)
			continue;
		if (q->type == QTYPE_A)
			query_add_addr(q, AF_INET, ares_dns_rr_get_addr(rr, ARES_RR_A_ADDR));
		else if (q->type == QTYPE_AAAA)
			query_add_addr(q, AF_INET6, ares_dns_rr_get_addr6(rr, ARES_RR_AAAA_ADDR));
		else
			query_add_srv(q, ares_dns_rr_get_str(rr, ARES_RR_SRV_TARGET),
				      ares_dns_rr_get_u16(rr, ARES_RR_SRV_PORT),
				      ares_dns_rr_get_u16(rr, ARES_RR_SRV_PRIORITY),
				      ares_dns_rr_get_u16(rr, ARES_RR_SRV_WEIGHT));
	}
	query_done(q, status);
}

static void query_start(struct ei_dns *dns, struct query *q, const char *fqdn)
{
	ares_status_t st;

	dns->pending++;
	st = ares_query_dnsrec(dns->channel, fqdn, ARES_CLASS_IN, (ares_dns_rec_type_t)q->type,
			       on_answer, q, NULL);
	/* The callback normally reports a failed start itself; never count on it. */
	if (st != ARES_SUCCESS)
		query_done(q, st);
}
#else
/* c-ares < 1.28: raw answer bytes, parsed with the legacy parsers (which
 * follow CNAMEs). */
static int parse_legacy(struct query *q, const unsigned char *abuf, int alen)
{
	int i, n = EI_DNS_MAX_ADDRS, st;

	if (q->type == QTYPE_A) {
		struct ares_addrttl a[EI_DNS_MAX_ADDRS];

		st = ares_parse_a_reply(abuf, alen, NULL, a, &n);
		for (i = 0; st == ARES_SUCCESS && i < n; i++)
			query_add_addr(q, AF_INET, &a[i].ipaddr);
	} else if (q->type == QTYPE_AAAA) {
		struct ares_addr6ttl a[EI_DNS_MAX_ADDRS];

		st = ares_parse_aaaa_reply(abuf, alen, NULL, a, &n);
		for (i = 0; st == ARES_SUCCESS && i < n; i++)
			query_add_addr(q, AF_INET6, &a[i].ip6addr);
	} else {
		struct ares_srv_reply *srv = NULL, *s;

		st = ares_parse_srv_reply(abuf, alen, &srv);
		for (s = srv; st == ARES_SUCCESS && s; s = s->next)
			query_add_srv(q, s->host, s->port, s->priority, s->weight);
		ares_free_data(srv);
	}
	return st;
}

static void on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct query *q = arg;

	(void)timeouts;
	if (status == ARES_SUCCESS)
		status = parse_legacy(q, abuf, alen);
	query_done(q, status);
}

static void query_start(struct ei_dns *dns, struct query *q, const char *fqdn)
{
	dns->pending++;
	/* ares_query (unlike ares_search) applies no search list; it always
	 * calls the callback, possibly before returning. */
	ares_query(dns->channel, fqdn, 1 /* C_IN */, q->type, on_answer, q);
}
#endif

/* name as an absolute FQDN: a trailing dot keeps any resolver from walking the
 * search list under Kubernetes' ndots:5 (pkg/kubelet/network/dns/dns.go defaultDNSOptions). */
static void fqdn_of(char *buf, size_t size, const char *name)
{
	size_t len = strlen(name);

	snprintf(buf, size, "%s%s", name, len && name[len - 1] == '.' ? "" : ".");
}

/* Release what ei_dns_create took, apart from the channel. */
static void dns_free(struct ei_dns *dns)
{
	ares_library_cleanup();
	free(dns->socks);
	free(dns->pfds);
#if EI_ARES_PROCESS_FDS
	free(dns->events);
#endif
	free(dns);
}

int ei_dns_create(struct ei_dns **out, struct ei_loop *loop, int timeout_ms, struct ei_err *err)
{
	/* DNS only: peers see the cluster DNS, not our /etc/hosts. */
	static char lookups[] = "b";
	struct ares_options opts;
	struct ei_dns *dns;
	int mask, rc;

	dns = calloc(1, sizeof(*dns));
	if (!dns)
		return ei_err_set(err, EI_E_NOMEM, "out of memory");
	dns->loop = loop;
	/* Reference-counted in c-ares, so pairing it with ei_dns_destroy is safe
	 * even if main() also calls it (P10). */
	rc = ares_library_init(ARES_LIB_INIT_ALL);
	if (rc != ARES_SUCCESS) {
		free(dns);
		return ei_err_set(err, EI_E_SYS, "c-ares init: %s", ares_strerror(rc));
	}
	memset(&opts, 0, sizeof(opts));
	opts.sock_state_cb = on_sock_state;
	opts.sock_state_cb_data = dns;
	opts.lookups = lookups;
	opts.timeout = timeout_ms > 0 ? timeout_ms : 1000;
	opts.tries = 2;
	mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_LOOKUPS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
#ifdef ARES_OPT_QUERY_CACHE
	/* A name that did not exist a second ago must be asked again: c-ares
	 * >= 1.31 caches NXDOMAIN for up to an hour unless the TTL is 0
	 * (ares_init_options(3), ARES_OPT_QUERY_CACHE). */
	opts.qcache_max_ttl = 0;
	mask |= ARES_OPT_QUERY_CACHE;
#endif
	rc = ares_init_options(&dns->channel, &opts, mask);
	if (rc != ARES_SUCCESS) {
		dns_free(dns);
		return ei_err_set(err, rc == ARES_ENOMEM ? EI_E_NOMEM : EI_E_SYS,
				  "c-ares channel from /etc/resolv.conf: %s", ares_strerror(rc));
	}
	*out = dns;
	return 0;
}

void ei_dns_destroy(struct ei_dns *dns)
{
	if (!dns)
		return;
	/* Closes the sockets through on_sock_state, so dns must still be whole. */
	ares_destroy(dns->channel);
	dns_free(dns);
}

/* End every outstanding query now; their callbacks run inside ares_cancel
 * with ARES_ECANCELLED and record why. */
static void dns_cancel(struct ei_dns *dns, const char *why)
{
	dns->cancel_why = why;
	ares_cancel(dns->channel);
}

/* Milliseconds until c-ares' next retry or timeout, -1 when it has none. */
static int ares_next_ms(struct ei_dns *dns)
{
	struct timeval tv, *tvp = ares_timeout(dns->channel, NULL, &tv);
	long long ms;

	if (!tvp)
		return -1;
	ms = (long long)tvp->tv_sec * 1000 + (tvp->tv_usec + 999) / 1000;
	return ms > 60000 ? 60000 : (int)ms;
}

/* Hand c-ares the sockets poll() found ready, and let it run its timeouts. */
static int dns_process(struct ei_dns *dns, size_t n)
{
	size_t i;
#if EI_ARES_PROCESS_FDS
	size_t nev = 0;

	for (i = 0; i < n; i++) {
		short re = dns->pfds[i].revents;
		unsigned int ev = 0;

		if (re & (POLLIN | POLLERR | POLLHUP))
			ev |= ARES_FD_EVENT_READ;
		if (re & POLLOUT)
			ev |= ARES_FD_EVENT_WRITE;
		if (ev)
			dns->events[nev++] =
			    (ares_fd_events_t){.fd = dns->pfds[i].fd, .events = ev};
	}
	if (ares_process_fds(dns->channel, nev ? dns->events : NULL, nev, ARES_PROCESS_FLAG_NONE) !=
	    ARES_SUCCESS)
		return -1;
	return 0;
#else
	bool any = false;

	for (i = 0; i < n; i++) {
		short re = dns->pfds[i].revents;
		int fd = dns->pfds[i].fd;

		if (!(re & (POLLIN | POLLOUT | POLLERR | POLLHUP)))
			continue;
		any = true;
		ares_process_fd(dns->channel,
				re & (POLLIN | POLLERR | POLLHUP) ? fd : ARES_SOCKET_BAD,
				re & POLLOUT ? fd : ARES_SOCKET_BAD);
	}
	if (!any)
		ares_process_fd(dns->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	return 0;
#endif
}

/* Poll until every started query has called back, the deadline passes (the
 * rest is cancelled and reads "deadline") or a termination signal arrives. */
static int dns_wait(struct ei_dns *dns, uint64_t deadline_ms, struct ei_err *err)
{
	while (dns->pending > 0) {
		int timeout = ares_next_ms(dns);
		int left = ei_deadline_left_ms(deadline_ms);
		size_t i, n;
		int r;

		if (dns->oom) {
			dns_cancel(dns, "out of memory");
			return ei_err_set(err, EI_E_NOMEM, "out of memory");
		}
		if (left == 0) {
			dns_cancel(dns, "deadline");
			break;
		}
		if (left > 0 && (timeout < 0 || left < timeout))
			timeout = left;
		/* c-ares always has a timeout while a query is out; should it ever
		 * not, look again soon rather than sleep forever. */
		if (timeout < 0)
			timeout = 1000;
		n = dns->n_socks;
		for (i = 0; i < n; i++)
			dns->pfds[i] =
			    (struct pollfd){.fd = dns->socks[i].fd, .events = dns->socks[i].events};
		r = ei_loop_poll(dns->loop, n ? dns->pfds : NULL, n, timeout, err);
		if (r < 0) {
			dns_cancel(dns, r == EI_E_SIGNAL ? "interrupted" : "poll failed");
			return r;
		}
		if (dns_process(dns, n) < 0) {
			dns_cancel(dns, "out of memory");
			return ei_err_set(err, EI_E_NOMEM, "c-ares: out of memory");
		}
	}
	return 0;
}

static enum ei_dns_status status_of(int st)
{
	if (st == ARES_SUCCESS)
		return EI_DNS_FOUND;
	if (st == ARES_ENOTFOUND || st == ARES_ENODATA)
		return EI_DNS_NOTFOUND;
	return EI_DNS_FAILED;
}

/* The final status of a query; one whose callback never ran (c-ares
 * promises it does, even on ares_cancel) counts as cancelled. */
static int status_final(const struct query *q)
{
	return q->done ? q->status : ARES_ECANCELLED;
}

static const char *error_of(const struct ei_dns *dns, int st)
{
	if (st == ARES_ECANCELLED && dns->cancel_why)
		return dns->cancel_why;
	return ares_strerror(st);
}

/* Combine the A and the AAAA answer: any address is FOUND; otherwise one
 * failed family makes the host FAILED, since the name may well exist. */
static void host_merge(const struct ei_dns *dns, struct ei_dns_host *h, const struct query *q)
{
	const struct query *bad = NULL;
	int k;
	size_t i;

	h->n_addrs = 0;
	h->error[0] = '\0';
	for (k = 0; k < 2; k++)
		for (i = 0; i < q[k].n_addrs && h->n_addrs < EI_DNS_MAX_ADDRS; i++)
			memcpy(h->addrs[h->n_addrs++], q[k].addrs[i], sizeof(h->addrs[0]));
	if (h->n_addrs) {
		h->status = EI_DNS_FOUND;
		return;
	}
	for (k = 0; k < 2; k++)
		if (status_of(status_final(&q[k])) == EI_DNS_FAILED && !bad)
			bad = &q[k];
	h->status = bad ? EI_DNS_FAILED : EI_DNS_NOTFOUND;
	snprintf(h->error, sizeof(h->error), "%s", error_of(dns, status_final(bad ? bad : &q[0])));
}

int ei_dns_resolve(struct ei_dns *dns, struct ei_dns_host *hosts, size_t n, uint64_t deadline_ms,
		   struct ei_err *err)
{
	struct query *q;
	size_t i;
	int r;

	if (n == 0)
		return 0;
	q = calloc(2 * n, sizeof(*q));
	if (!q)
		return ei_err_set(err, EI_E_NOMEM, "out of memory");
	dns->cancel_why = NULL;
	dns->oom = false;
	for (i = 0; i < n; i++) {
		char fqdn[EI_DNS_NAME_MAX + 2];

		hosts[i].status = EI_DNS_PENDING;
		fqdn_of(fqdn, sizeof(fqdn), hosts[i].name);
		q[2 * i] = (struct query){.dns = dns, .type = QTYPE_A};
		q[2 * i + 1] = (struct query){.dns = dns, .type = QTYPE_AAAA};
		query_start(dns, &q[2 * i], fqdn);
		query_start(dns, &q[2 * i + 1], fqdn);
	}
	r = dns_wait(dns, deadline_ms, err);
	/* On an error every query has been cancelled, so all are done. */
	for (i = 0; i < n; i++)
		host_merge(dns, &hosts[i], &q[2 * i]);
	free(q);
	return r;
}

/* ares_getaddrinfo's callback: every address of the answer (A and AAAA). */
static void on_addrinfo(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
	struct query *q = arg;

	(void)timeouts;
	for (struct ares_addrinfo_node *n = res ? res->nodes : NULL; n; n = n->ai_next) {
		if (n->ai_family == AF_INET)
			query_add_addr(q, AF_INET,
				       &((const struct sockaddr_in *)(const void *)n->ai_addr)->sin_addr);
		else if (n->ai_family == AF_INET6)
			query_add_addr(q, AF_INET6,
				       &((const struct sockaddr_in6 *)(const void *)n->ai_addr)->sin6_addr);
	}
	ares_freeaddrinfo(res);
	query_done(q, status);
}

int ei_dns_resolve_search(struct ei_dns *dns, struct ei_dns_host *hosts, size_t n,
			  uint64_t deadline_ms, struct ei_err *err)
{
	/* No sorting: RFC 6724 sorting connects a UDP socket per address. */
	const struct ares_addrinfo_hints hints = { .ai_flags = ARES_AI_NOSORT,
						   .ai_family = AF_UNSPEC };
	struct query *q;
	int r;

	if (n == 0)
		return 0;
	q = calloc(n, sizeof(*q));
	if (!q)
		return ei_err_set(err, EI_E_NOMEM, "out of memory");
	dns->cancel_why = NULL;
	dns->oom = false;
	for (size_t i = 0; i < n; i++) {
		hosts[i].status = EI_DNS_PENDING;
		q[i] = (struct query){ .dns = dns, .type = QTYPE_A };
		dns->pending++;
		/* Always calls back, possibly before returning. */
		ares_getaddrinfo(dns->channel, hosts[i].name, NULL, &hints, on_addrinfo, &q[i]);
	}
	r = dns_wait(dns, deadline_ms, err);
	for (size_t i = 0; i < n; i++) {
		struct ei_dns_host *h = &hosts[i];
		int st = status_final(&q[i]);

		h->n_addrs = 0;
		h->error[0] = '\0';
		for (size_t a = 0; a < q[i].n_addrs; a++)
			memcpy(h->addrs[h->n_addrs++], q[i].addrs[a], sizeof(h->addrs[0]));
		h->status = h->n_addrs ? EI_DNS_FOUND : status_of(st);
		if (!h->n_addrs)
			snprintf(h->error, sizeof(h->error), "%s", error_of(dns, st));
	}
	free(q);
	return r;
}

int ei_dns_srv(struct ei_dns *dns, const char *name, uint64_t deadline_ms,
	       enum ei_dns_status *status, struct ei_dns_srv_target **targets, size_t *n_targets,
	       struct ei_err *err)
{
	struct query q = {.dns = dns, .type = QTYPE_SRV};
	char fqdn[EI_DNS_NAME_MAX + 2];
	int r;

	*status = EI_DNS_PENDING;
	*targets = NULL;
	*n_targets = 0;
	dns->cancel_why = NULL;
	dns->oom = false;
	fqdn_of(fqdn, sizeof(fqdn), name);
	query_start(dns, &q, fqdn);
	r = dns_wait(dns, deadline_ms, err);
	if (r == 0 && dns->oom)
		r = ei_err_set(err, EI_E_NOMEM, "out of memory");
	if (r < 0) {
		free(q.srv);
		return r;
	}
	*status = status_of(status_final(&q));
	if (*status == EI_DNS_FOUND) {
		*targets = q.srv;
		*n_targets = q.n_srv;
	} else {
		free(q.srv);
	}
	return 0;
}
