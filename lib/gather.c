/* gather.c - gathering the facts (see gather.h). */
#include "gather.h"

#include <ifaddrs.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* Per-try DNS timeout; a round never waits longer than this times c-ares' tries. */
#define DNS_TRY_TIMEOUT_MS 1000

int ei_gather_init(struct ei_gather *g, const struct ei_config *cfg, struct ei_loop *loop,
		   struct ei_err *err)
{
	struct ei_client_opts ask = { .connect_timeout_ms = 1000, .request_timeout_ms = 2000 };
	struct ei_client_opts change = { .connect_timeout_ms = 1500, .request_timeout_ms = 10000 };
	int r;

	memset(g, 0, sizeof(*g));
	g->cfg = cfg;
	g->loop = loop;
	r = ei_etcd_client_create(&g->client, loop, &ask, err);
	if (r == 0)
		r = ei_etcd_client_create(&g->change_client, loop, &change, err);
	if (r < 0)
		ei_gather_destroy(g);
	return r;
}

void ei_gather_destroy(struct ei_gather *g)
{
	ei_etcd_client_destroy(g->client);
	ei_etcd_client_destroy(g->change_client);
	g->client = NULL;
	g->change_client = NULL;
}

/* This pod's addresses (not loopback), as text. */
static void local_addresses(char *buf, size_t len)
{
	struct ifaddrs *ifs, *i;
	size_t used = 0;

	buf[0] = '\0';
	if (getifaddrs(&ifs) < 0)
		return;
	for (i = ifs; i; i = i->ifa_next) {
		char addr[INET6_ADDRSTRLEN];
		const void *src;

		if (!i->ifa_addr || (i->ifa_flags & IFF_LOOPBACK))
			continue;
		if (i->ifa_addr->sa_family == AF_INET)
			src = &((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr;
		else if (i->ifa_addr->sa_family == AF_INET6)
			src = &((struct sockaddr_in6 *)(void *)i->ifa_addr)->sin6_addr;
		else
			continue;
		if (!inet_ntop(i->ifa_addr->sa_family, src, addr, sizeof(addr)))
			continue;
		used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s%s",
					 used ? "," : "", addr);
		if (used >= len)
			break;
	}
	freeifaddrs(ifs);
}

static bool addr_in_list(const char *addr, const char *list)
{
	size_t n = strlen(addr);
	const char *p = list;

	while ((p = strstr(p, addr))) {
		if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return true;
		p += n;
	}
	return false;
}

static int resolve(struct ei_gather *g, struct ei_dns_host *hosts, size_t n, struct ei_err *err)
{
	struct ei_dns *dns;
	int r;

	r = ei_dns_create(&dns, g->loop, DNS_TRY_TIMEOUT_MS, err);
	if (r < 0)
		return r;
	r = ei_dns_resolve(dns, hosts, n, ei_clock_ms() + 3 * DNS_TRY_TIMEOUT_MS, err);
	ei_dns_destroy(dns);
	return r;
}

int ei_gather_own_name(struct ei_gather *g, struct ei_err *err)
{
	const struct ei_config *cfg = g->cfg;
	int r;

	memset(&g->own, 0, sizeof(g->own));
	ei_identity_fqdn(&cfg->id, cfg->id.ordinal, g->own.name, sizeof(g->own.name));
	local_addresses(g->own_addrs, sizeof(g->own_addrs));
	r = resolve(g, &g->own, 1, err);
	if (r < 0)
		return r;
	g->own_ok = false;
	for (size_t i = 0; i < g->own.n_addrs; i++)
		g->own_ok |= addr_in_list(g->own.addrs[i], g->own_addrs);
	return 0;
}

/* The SRV set and then every host name of the round, on one resolver. */
static int resolve_round(struct ei_gather *g, struct ei_err *err)
{
	struct ei_dns_srv_target *targets = NULL;
	struct ei_dns *dns;
	size_t n = 0;
	int r;

	ei_identity_srv_name(&g->cfg->id, strcmp(g->cfg->id.scheme, "https") == 0, g->srv_name,
			     sizeof(g->srv_name));
	/* A new resolver per round re-reads resolv.conf and has no cache. */
	r = ei_dns_create(&dns, g->loop, DNS_TRY_TIMEOUT_MS, err);
	if (r < 0)
		return r;
	r = ei_dns_srv(dns, g->srv_name, ei_clock_ms() + 3 * DNS_TRY_TIMEOUT_MS, &g->srv_status,
		       &targets, &n, err);
	if (r < 0)
		goto out;
	g->n_srv_targets = n;
	/* Targets that are not initial peers (scaled-up members) are resolved too. */
	for (size_t i = 0; i < n && g->n_hosts < EI_GATHER_MAX_HOSTS; i++) {
		bool known = false;

		for (size_t h = 0; h < g->n_hosts; h++)
			known |= strcmp(g->hosts[h].name, targets[i].host) == 0;
		if (!known) {
			memset(&g->hosts[g->n_hosts], 0, sizeof(g->hosts[0]));
			snprintf(g->hosts[g->n_hosts++].name, EI_DNS_NAME_MAX, "%s", targets[i].host);
		}
	}
	r = ei_dns_resolve(dns, g->hosts, g->n_hosts, ei_clock_ms() + 3 * DNS_TRY_TIMEOUT_MS, err);
out:
	free(targets);
	ei_dns_destroy(dns);
	return r;
}

static void add_endpoint(struct ei_gather *g, const char *url)
{
	for (size_t i = 0; i < g->n_endpoints; i++) {
		if (strcmp(g->endpoints[i], url) == 0)
			return;
	}
	if (g->n_endpoints < EI_GATHER_MAX_HOSTS)
		snprintf(g->endpoints[g->n_endpoints++], EI_URL_MAX, "%s", url);
}

/* Client URLs to ask: every resolved peer host except ourselves. Hosts of this set
 * use the canonical URL; other SRV targets use the same scheme and client port. */
static void choose_endpoints(struct ei_gather *g, bool peer_api)
{
	const struct ei_identity *id = &g->cfg->id;

	g->n_endpoints = 0;
	for (size_t h = 0; h < g->n_hosts; h++) {
		char url[EI_URL_MAX];
		unsigned ordinal;

		if (g->hosts[h].status != EI_DNS_FOUND)
			continue;
		if (ei_identity_ordinal_of_host(id, g->hosts[h].name, &ordinal)) {
			if (ordinal == id->ordinal)
				continue;
			if (peer_api)
				ei_identity_peer_url(id, ordinal, url, sizeof(url));
			else
				ei_identity_client_url(id, ordinal, url, sizeof(url));
		} else {
			snprintf(url, sizeof(url), "%s://%s:%u", id->scheme, g->hosts[h].name,
				 peer_api ? id->peer_port : id->client_port);
		}
		add_endpoint(g, url);
	}
}

/* A started voter's client URL, for membership changes. */
static void choose_change_endpoint(struct ei_gather *g, const struct ei_member_list *l)
{
	g->change_endpoint[0] = '\0';
	if (!g->answer_from_peer_api) {
		snprintf(g->change_endpoint, sizeof(g->change_endpoint), "%s",
			 g->last_result.endpoint);
		return;
	}
	for (size_t i = 0; i < l->n_members; i++) {
		const struct ei_member *m = &l->members[i];

		if (!m->is_learner && m->n_client_urls > 0) {
			snprintf(g->change_endpoint, sizeof(g->change_endpoint), "%s",
				 m->client_urls[0]);
			return;
		}
	}
}

int ei_gather_round(struct ei_gather *g, struct ei_facts *facts, struct ei_err *err)
{
	const struct ei_config *cfg = g->cfg;
	const char *wal_dir = cfg->wal_dir[0] ? cfg->wal_dir : NULL;
	const char *urls[EI_GATHER_MAX_HOSTS];
	int r;

	memset(facts, 0, sizeof(*facts));
	r = ei_datadir_inspect(cfg->data_dir, wal_dir, &facts->datadir, err);
	if (r < 0)
		return r;

	/* Only names of pods that should exist are asked: the initial members and what
	 * the SRV set lists (a name asked before its pod exists may be cached negative
	 * by the cluster DNS, etcd-facts §5). */
	g->n_hosts = 0;
	for (unsigned i = 0; i < cfg->initial_cluster_size && i < EI_GATHER_MAX_HOSTS; i++) {
		memset(&g->hosts[g->n_hosts], 0, sizeof(g->hosts[0]));
		ei_identity_fqdn(&cfg->id, i, g->hosts[g->n_hosts++].name, EI_DNS_NAME_MAX);
	}
	r = resolve_round(g, err);
	if (r < 0)
		return r;
	facts->initial_peers_resolve = true;
	for (unsigned i = 0; i < cfg->initial_cluster_size && i < g->n_hosts; i++) {
		if (g->hosts[i].status == EI_DNS_FOUND || !facts->initial_peers_resolve)
			continue;
		facts->initial_peers_resolve = false;
		snprintf(facts->unresolved_peer, sizeof(facts->unresolved_peer), "%s (%s)",
			 g->hosts[i].name, ei_dns_status_name(g->hosts[i].status));
	}

	memset(&g->last_result, 0, sizeof(g->last_result));
	g->answer_from_peer_api = false;
	choose_endpoints(g, false);
	if (g->n_endpoints == 0)
		return 0;
	for (size_t i = 0; i < g->n_endpoints; i++)
		urls[i] = g->endpoints[i];
	r = ei_etcd_member_list(g->client, urls, g->n_endpoints, &facts->members, &g->last_result,
				err);
	if (r == EI_E_UNAVAILABLE) {
		/* A member without quorum serves no client HTTP, but its peer API answers
		 * GET /members (etcd-facts §1.1, §1.7). */
		ei_member_list_free(&facts->members);
		choose_endpoints(g, true);
		for (size_t i = 0; i < g->n_endpoints; i++)
			urls[i] = g->endpoints[i];
		r = ei_etcd_member_list_peer(g->client, urls, g->n_endpoints, &facts->members,
					     &g->last_result, err);
		g->answer_from_peer_api = r == 0;
	}
	if (r == EI_E_UNAVAILABLE) {
		ei_member_list_free(&facts->members);
		return 0;
	}
	if (r < 0)
		return r;
	facts->cluster_answered = true;
	snprintf(facts->answered_by, sizeof(facts->answered_by), "%s", g->last_result.endpoint);
	choose_change_endpoint(g, &facts->members);
	return 0;
}

int ei_gather_check_resolvable(struct ei_gather *g, const char *initial_cluster, char *missing,
			       size_t missing_len, struct ei_err *err)
{
	struct ei_dns_host *hosts;
	const char *p = initial_cluster;
	size_t n = 0, cap = 0;
	int r;

	missing[0] = '\0';
	hosts = calloc(EI_GATHER_MAX_HOSTS, sizeof(*hosts));
	if (!hosts)
		return ei_err_set(err, EI_E_NOMEM, "out of memory");
	cap = EI_GATHER_MAX_HOSTS;
	while (p && *p && n < cap) {
		const char *eq = strchr(p, '=');
		const char *comma = strchr(p, ',');
		char url[EI_URL_MAX];
		size_t len;

		if (!eq)
			break;
		len = comma ? (size_t)(comma - eq - 1) : strlen(eq + 1);
		if (len < sizeof(url)) {
			memcpy(url, eq + 1, len);
			url[len] = '\0';
			if (ei_url_host(url, hosts[n].name, sizeof(hosts[n].name)))
				n++;
		}
		p = comma ? comma + 1 : NULL;
	}
	r = resolve(g, hosts, n, err);
	if (r == 0) {
		for (size_t i = 0; i < n; i++) {
			if (hosts[i].status != EI_DNS_FOUND) {
				snprintf(missing, missing_len, "%s", hosts[i].name);
				break;
			}
		}
	}
	free(hosts);
	return r;
}
