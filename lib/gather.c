/* gather.c - gathering the facts (see gather.h). */
#include "gather.h"

#include <ifaddrs.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s.h"
#include "log.h"

/* Per-try DNS timeout; a round never waits longer than this times c-ares' tries. */
#define DNS_TRY_TIMEOUT_MS 1000
#define MAX_HOSTS (2 * EI_MEMBERS_MAX)

int ei_gather_client(const struct ei_config *cfg, struct ei_loop *loop, long connect_ms,
		     long request_ms, struct ei_etcd_client **out, struct ei_err *err)
{
	const struct ei_tls_conf *t = &cfg->tls;
	char password[1024];
	struct ei_client_opts o = { .connect_timeout_ms = connect_ms, .request_timeout_ms = request_ms };
	int r;

	*out = NULL;
	if (t->client_tls)
		o.client_tls = (struct ei_http_tls){ t->launcher.ca, t->launcher.cert, t->launcher.key };
	if (t->peer_tls)
		o.peer_tls = (struct ei_http_tls){ t->peer.ca, t->peer.cert, t->peer.key };
	r = ei_config_password(cfg, password, sizeof(password), err);
	if (r < 0)
		return r;
	if (cfg->auth_user[0]) {
		o.user = cfg->auth_user;
		o.password = password;
	}
	r = ei_etcd_client_create(out, loop, &o, err);
	explicit_bzero(password, sizeof(password));
	return r;
}

int ei_gather_init(struct ei_gather *g, const struct ei_config *cfg, struct ei_loop *loop,
		   struct ei_err *err)
{
	int r;

	memset(g, 0, sizeof(*g));
	g->cfg = cfg;
	g->loop = loop;
	g->earlier_init = calloc(EI_MAX_PEERS, sizeof(*g->earlier_init));
	if (!g->earlier_init)
		return ei_err_set(err, EI_E_NOMEM, "out of memory");
	r = ei_gather_client(cfg, loop, 1000, 2000, &g->client, err);
	if (r == 0)
		r = ei_gather_client(cfg, loop, 1500, 10000, &g->change_client, err);
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
	free(g->earlier_init);
	g->earlier_init = NULL;
}

/* This pod's addresses (not loopback). */
static size_t local_addresses(char (*out)[INET6_ADDRSTRLEN], size_t max)
{
	struct ifaddrs *ifs, *i;
	size_t n = 0;

	if (getifaddrs(&ifs) < 0)
		return 0;
	for (i = ifs; i && n < max; i = i->ifa_next) {
		const void *src;

		if (!i->ifa_addr || (i->ifa_flags & IFF_LOOPBACK))
			continue;
		if (i->ifa_addr->sa_family == AF_INET)
			src = &((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr;
		else if (i->ifa_addr->sa_family == AF_INET6)
			src = &((struct sockaddr_in6 *)(void *)i->ifa_addr)->sin6_addr;
		else
			continue;
		if (inet_ntop(i->ifa_addr->sa_family, src, out[n], INET6_ADDRSTRLEN))
			n++;
	}
	freeifaddrs(ifs);
	return n;
}

static int resolve(struct ei_gather *g, struct ei_dns_host *hosts, size_t n, bool search,
		   struct ei_err *err)
{
	struct ei_dns *dns;
	uint64_t deadline = ei_clock_ms() + 3 * DNS_TRY_TIMEOUT_MS;
	int r;

	/* A new resolver per call re-reads resolv.conf and has no cache. */
	r = ei_dns_create(&dns, g->loop, DNS_TRY_TIMEOUT_MS, err);
	if (r < 0)
		return r;
	r = search ? ei_dns_resolve_search(dns, hosts, n, deadline, err)
		   : ei_dns_resolve(dns, hosts, n, deadline, err);
	ei_dns_destroy(dns);
	return r;
}

int ei_gather_own_name(struct ei_gather *g, struct ei_err *err)
{
	const struct ei_config *cfg = g->cfg;
	char addrs[EI_MAX_OWN_ADDRS][INET6_ADDRSTRLEN];
	size_t n = local_addresses(addrs, EI_MAX_OWN_ADDRS), used = 0;
	int r;

	memset(&g->own, 0, sizeof(g->own));
	ei_identity_fqdn(&cfg->id, cfg->id.ordinal, g->own.name, sizeof(g->own.name));
	g->own_addrs[0] = '\0';
	for (size_t i = 0; i < n && used < sizeof(g->own_addrs); i++)
		used += (size_t)snprintf(g->own_addrs + used, sizeof(g->own_addrs) - used, "%s%s",
					 i ? "," : "", addrs[i]);
	r = resolve(g, &g->own, 1, false, err);
	if (r < 0)
		return r;
	g->own_ok = false;
	for (size_t i = 0; i < g->own.n_addrs; i++)
		for (size_t k = 0; k < n; k++)
			g->own_ok |= strcmp(g->own.addrs[i], addrs[k]) == 0;
	return 0;
}

static struct ei_peer *add_peer(struct ei_facts *f, const char *host)
{
	struct ei_peer *p;

	for (size_t i = 0; i < f->n_peers; i++)
		if (strcmp(f->peers[i].host, host) == 0)
			return &f->peers[i];
	if (f->n_peers == EI_MAX_PEERS)
		return NULL;
	p = &f->peers[f->n_peers++];
	memset(p, 0, sizeof(*p));
	snprintf(p->host, sizeof(p->host), "%s", host);
	p->ordinal = -1;
	return p;
}

/* The port a URL connects to: its own, else its scheme's default. */
static unsigned url_port(const char *scheme, unsigned port)
{
	if (port)
		return port;
	return strcmp(scheme, "https") == 0 ? 443 : 80;
}

/* The peer's URLs, the not-a-peer check of its addresses, and its pins. */
static void prepare_peer(const struct ei_config *cfg, const struct ei_facts *f, struct ei_peer *p)
{
	const struct ei_identity *id = &cfg->id;
	char scheme[8], host[EI_DNS_NAME_MAX];
	unsigned port;

	if (!p->client_url[0]) {
		if (p->ordinal >= 0) {
			ei_identity_client_url(id, (unsigned)p->ordinal, p->client_url,
					       sizeof(p->client_url));
			ei_identity_peer_url(id, (unsigned)p->ordinal, p->peer_url, sizeof(p->peer_url));
		} else {
			snprintf(p->client_url, sizeof(p->client_url), "%s://%s:%u", id->client_scheme,
				 p->host, id->client_port);
			snprintf(p->peer_url, sizeof(p->peer_url), "%s://%s:%u", id->peer_scheme, p->host,
				 id->peer_port);
		}
	}
	if (p->dns != EI_DNS_FOUND)
		return;
	/* A member listed with the other scheme is not asked: with TLS on, the credentials
	 * and the token would go out in clear text; with it off, to a server we cannot
	 * verify with our CA. */
	if (ei_url_parts(p->client_url, scheme, sizeof(scheme), host, sizeof(host), &port) &&
	    strcmp(scheme, id->client_scheme) != 0) {
		snprintf(p->not_peer, sizeof(p->not_peer), "its client URL %s is not %s", p->client_url,
			 id->client_scheme);
		return;
	}
	if (ei_url_parts(p->peer_url, scheme, sizeof(scheme), host, sizeof(host), &port) &&
	    strcmp(scheme, id->peer_scheme) != 0) {
		snprintf(p->not_peer, sizeof(p->not_peer), "its peer URL %s is not %s", p->peer_url,
			 id->peer_scheme);
		return;
	}
	for (size_t a = 0; a < p->n_addrs && !p->not_peer[0]; a++) {
		const char *why = ei_addr_not_peer(p->addrs[a]);

		if (!why && ei_facts_is_own_addr(f, p->addrs[a]))
			why = "an address of this pod";
		if (why)
			snprintf(p->not_peer, sizeof(p->not_peer), "%s is %s", p->addrs[a], why);
	}
	if (p->not_peer[0])
		return;
	if (ei_url_parts(p->client_url, scheme, sizeof(scheme), host, sizeof(host), &port))
		ei_http_pin(p->client_pin, sizeof(p->client_pin), host, url_port(scheme, port),
			    (const char(*)[INET6_ADDRSTRLEN])p->addrs, p->n_addrs);
	if (ei_url_parts(p->peer_url, scheme, sizeof(scheme), host, sizeof(host), &port))
		ei_http_pin(p->peer_pin, sizeof(p->peer_pin), host, url_port(scheme, port),
			    (const char(*)[INET6_ADDRSTRLEN])p->addrs, p->n_addrs);
}

int ei_gather_replicas(const struct ei_config *cfg, struct ei_loop *loop,
		       enum ei_replicas_source *source, long *replicas, char *error,
		       size_t error_len, struct ei_err *err)
{
	struct ei_k8s_target t = { cfg->k8s_host, cfg->k8s_port, cfg->sa_dir, cfg->id.ns,
				   cfg->id.set };
	struct ei_k8s_answer ans;
	struct ei_err kerr = { 0 };
	int r;

	*replicas = -1;
	error[0] = '\0';
	if (cfg->replicas >= 0) {
		*source = EI_REPLICAS_FLAG;
		*replicas = cfg->replicas;
		return 0;
	}
	if (!cfg->k8s_host[0]) {
		*source = EI_REPLICAS_NONE;
		return 0;
	}
	ei_log_debug("asking the Kubernetes API for the desired replica count",
		     "host=%s port=%s namespace=%s statefulset=%s", cfg->k8s_host, cfg->k8s_port,
		     cfg->id.ns, cfg->id.set);
	r = ei_k8s_statefulset_replicas(loop, &t, &ans, &kerr);
	if (r == EI_E_SIGNAL || r == EI_E_NOMEM || r == EI_E_SYS) {
		*err = kerr;
		return r;
	}
	if (r == 0) {
		*source = EI_REPLICAS_API;
		*replicas = ans.replicas;
		return 0;
	}
	/* k8s.h: EI_E_USAGE is what configuration must fix (no token, 401, 403, 404); the
	 * rest (no answer, TLS, 5xx, a malformed object) may be better next round. */
	*source = r == EI_E_USAGE ? EI_REPLICAS_API_DENIED : EI_REPLICAS_API_FAILED;
	snprintf(error, error_len, "%s", kerr.msg);
	return 0;
}

/* Step 1b: the set's size for this round's facts (ei_gather_replicas). With --peer-host
 * there is no StatefulSet to ask; leave has asked already this round (leave.c). */
static int find_replicas(struct ei_gather *g, struct ei_facts *f, struct ei_err *err)
{
	const struct ei_config *cfg = g->cfg;

	if (cfg->replicas < 0 && (cfg->id.peer_host[0] || cfg->command == EI_CMD_LEAVE)) {
		f->replicas_source = EI_REPLICAS_NONE;
		f->replicas = -1;
		return 0;
	}
	return ei_gather_replicas(cfg, g->loop, &f->replicas_source, &f->replicas,
				  f->replicas_error, sizeof(f->replicas_error), err);
}

/* The SRV set: both _etcd-server-ssl._tcp and _etcd-server._tcp of the service, as
 * etcd's own discovery combines them (server/embed/config.go GetDNSClusterNames), the
 * one of our peer scheme first.
 * The answer is complete only when neither lookup failed: found when either has
 * targets, not found when both have none. */
static int find_srv(struct ei_gather *g, struct ei_dns *dns, struct ei_facts *f,
		    struct ei_dns_srv_target **targets, size_t *n, struct ei_err *err)
{
	const struct ei_config *cfg = g->cfg;
	bool ssl = strcmp(cfg->id.peer_scheme, "https") == 0;
	enum ei_dns_status st[2];
	struct ei_dns_srv_target *t[2] = { NULL, NULL };
	size_t nt[2] = { 0, 0 };
	char names[2][EI_DNS_NAME_MAX];
	int r = 0;

	ei_identity_srv_name(&cfg->id, ssl, names[0], sizeof(names[0]));
	ei_identity_srv_name(&cfg->id, !ssl, names[1], sizeof(names[1]));
	snprintf(g->srv_name, sizeof(g->srv_name), "%s", names[0]);
	snprintf(f->srv_names, sizeof(f->srv_names), "%s and %s", names[0], names[1]);
	for (int i = 0; i < 2 && r == 0; i++)
		r = ei_dns_srv(dns, names[i], ei_clock_ms() + 3 * DNS_TRY_TIMEOUT_MS, &st[i], &t[i],
			       &nt[i], err);
	if (r == 0) {
		if (st[0] == EI_DNS_FAILED || st[1] == EI_DNS_FAILED)
			f->srv_status = EI_DNS_FAILED;
		else if (st[0] == EI_DNS_FOUND || st[1] == EI_DNS_FOUND)
			f->srv_status = EI_DNS_FOUND;
		else
			f->srv_status = EI_DNS_NOTFOUND;
		*targets = calloc(nt[0] + nt[1] + 1, sizeof(**targets));
		if (!*targets) {
			r = ei_err_set(err, EI_E_NOMEM, "out of memory");
		} else {
			/* memcpy from NULL is undefined even for 0 bytes (a name with no answer). */
			if (nt[0])
				memcpy(*targets, t[0], nt[0] * sizeof(**targets));
			if (nt[1])
				memcpy(*targets + nt[0], t[1], nt[1] * sizeof(**targets));
			*n = nt[0] + nt[1];
		}
	}
	free(t[0]);
	free(t[1]);
	return r;
}

/* The peers to ask: every ordinal below the extent (the initial size, the replica count
 * and the highest SRV target of the set), then the SRV targets of this set not among
 * them. SRV targets that are not names of this set are noted and never asked. */
static void add_set_peers(struct ei_gather *g, struct ei_facts *f,
			  const struct ei_dns_srv_target *targets, size_t n)
{
	const struct ei_config *cfg = g->cfg;
	unsigned extent = cfg->initial_cluster_size;

	if (f->replicas > 0 && (unsigned long)f->replicas > extent)
		extent = (unsigned)f->replicas;
	f->n_srv_targets = n;
	for (size_t i = 0; i < n; i++) {
		unsigned ordinal;

		if (!ei_identity_ordinal_of_host(&cfg->id, targets[i].host, &ordinal)) {
			f->n_srv_strangers++;
			ei_msg_add(f->srv_strangers, sizeof(f->srv_strangers), ",", "%s",
				   targets[i].host);
			continue;
		}
		if (ordinal + 1 > extent && ordinal < EI_MAX_PEERS)
			extent = ordinal + 1;
	}
	for (unsigned i = 0; i < extent && i < EI_MAX_PEERS; i++) {
		char fqdn[EI_DNS_NAME_MAX];
		struct ei_peer *p;

		if (i == cfg->id.ordinal)
			continue;
		ei_identity_fqdn(&cfg->id, i, fqdn, sizeof(fqdn));
		if ((p = add_peer(f, fqdn))) {
			p->ordinal = (int)i;
			p->initial = i < cfg->initial_cluster_size;
		}
	}
	for (size_t i = 0; i < n; i++) {
		unsigned ordinal;
		struct ei_peer *p;

		if (!ei_identity_ordinal_of_host(&cfg->id, targets[i].host, &ordinal) ||
		    ordinal == cfg->id.ordinal || strcmp(targets[i].host, g->own.name) == 0)
			continue;
		if ((p = add_peer(f, targets[i].host)))
			p->in_srv = true;
	}
}

/* How long peer p's name has not resolved, counted from the first round it did not. */
static void note_unresolved(struct ei_gather *g, struct ei_peer *p)
{
	uint64_t *since, now = ei_clock_ms();

	if (p->ordinal < 0 || p->ordinal >= EI_MAX_PEERS)
		return;
	since = &g->unresolved_since[p->ordinal];
	if (p->dns == EI_DNS_FOUND)
		*since = 0;
	else if (!*since)
		*since = now;
	else
		p->unresolved_s = (unsigned)((now - *since) / 1000u);
}

/* Give each peer what its ordinal's etcd-init said in an earlier round (facts.h
 * earlier_init), then remember what it said in this one, as of the round's start
 * (asked_ms: an age counted from before the question, never younger than the answer). */
static void remember_init_status(struct ei_gather *g, struct ei_facts *f, uint64_t asked_ms)
{
	uint64_t now = ei_clock_ms();

	for (size_t i = 0; i < f->n_peers; i++) {
		struct ei_peer *p = &f->peers[i];
		const struct ei_earlier_init *m;

		if (p->ordinal < 0 || p->ordinal >= EI_MAX_PEERS)
			continue;
		m = &g->earlier_init[p->ordinal];
		if (m->at_ms) {
			p->earlier_init_seen = true;
			p->earlier_init_age_ms = ei_elapsed_ms(m->at_ms, now);
			snprintf(p->earlier_init_url, sizeof(p->earlier_init_url), "%s", m->url);
			p->earlier_init = m->status;
		}
	}
	for (size_t i = 0; i < f->n_peers; i++) {
		const struct ei_peer *p = &f->peers[i];
		struct ei_earlier_init *m;

		if (p->ordinal < 0 || p->ordinal >= EI_MAX_PEERS ||
		    p->status.outcome != EI_OUTCOME_VALID)
			continue;
		m = &g->earlier_init[p->ordinal];
		m->at_ms = asked_ms;
		snprintf(m->url, sizeof(m->url), "%s", p->peer_url);
		m->status = p->init;
	}
}

/* Resolve every peer's name, and prepare what to ask it. */
static int resolve_peers(struct ei_gather *g, struct ei_dns *dns, struct ei_facts *f,
			 struct ei_err *err)
{
	struct ei_dns_host *hosts = calloc(f->n_peers ? f->n_peers : 1, sizeof(*hosts));
	int r;

	if (!hosts)
		return ei_err_set(err, EI_E_NOMEM, "out of memory");
	for (size_t i = 0; i < f->n_peers; i++)
		snprintf(hosts[i].name, sizeof(hosts[i].name), "%s", f->peers[i].host);
	r = ei_dns_resolve(dns, hosts, f->n_peers, ei_clock_ms() + 3 * DNS_TRY_TIMEOUT_MS, err);
	for (size_t i = 0; r == 0 && i < f->n_peers; i++) {
		struct ei_peer *p = &f->peers[i];

		p->dns = hosts[i].status;
		note_unresolved(g, p);
		p->n_addrs = hosts[i].n_addrs;
		memcpy(p->addrs, hosts[i].addrs, sizeof(p->addrs));
		snprintf(p->dns_error, sizeof(p->dns_error), "%s", hosts[i].error);
		prepare_peer(g->cfg, f, p);
	}
	free(hosts);
	return r;
}

/* Step 2: the set's members and the SRV set (add_set_peers), resolved. */
static int find_peers(struct ei_gather *g, struct ei_facts *f, struct ei_err *err)
{
	struct ei_dns_srv_target *targets = NULL;
	struct ei_dns *dns;
	size_t n = 0;
	int r = ei_dns_create(&dns, g->loop, DNS_TRY_TIMEOUT_MS, err);

	if (r < 0)
		return r;
	/* With --peer-host (docker-compose) there is no SRV set to ask for. */
	if (!g->cfg->id.peer_host[0])
		r = find_srv(g, dns, f, &targets, &n, err);
	if (r == 0) {
		add_set_peers(g, f, targets, n);
		r = resolve_peers(g, dns, f, err);
	}
	free(targets);
	ei_dns_destroy(dns);
	return r;
}

static void add_host(struct ei_facts *f, const char *url)
{
	char host[EI_DNS_NAME_MAX];

	if (!ei_url_host(url, host, sizeof(host)) || ei_facts_host(f, host) || f->n_hosts == MAX_HOSTS)
		return;
	memset(&f->hosts[f->n_hosts], 0, sizeof(f->hosts[0]));
	snprintf(f->hosts[f->n_hosts++].name, EI_DNS_NAME_MAX, "%s", host);
}

static void add_list_hosts(struct ei_facts *f, const struct ei_member_list *l)
{
	for (size_t i = 0; i < l->n_members; i++) {
		for (size_t u = 0; u < l->members[i].n_peer_urls; u++)
			add_host(f, l->members[i].peer_urls[u]);
		for (size_t u = 0; u < l->members[i].n_client_urls; u++)
			add_host(f, l->members[i].client_urls[u]);
	}
}

/* Whether an asked peer covers addr:port already (one pod, two names). */
static bool asked_at(const struct ei_facts *f, const char *addr, unsigned port, bool client)
{
	for (size_t i = 0; i < f->n_peers; i++) {
		const struct ei_peer *p = &f->peers[i];
		char scheme[8], host[EI_DNS_NAME_MAX];
		unsigned pport;

		if (!ei_url_parts(client ? p->client_url : p->peer_url, scheme, sizeof(scheme), host,
				  sizeof(host), &pport))
			continue;
		if (url_port(scheme, pport) != port)
			continue;
		for (size_t a = 0; a < p->n_addrs; a++)
			if (strcmp(p->addrs[a], addr) == 0)
				return true;
	}
	return false;
}

/* Step 4: the hosts of every listed URL, resolved as etcd resolves them, and the
 * listed members that no peer of step 2 covers, asked too. */
static int follow_lists(struct ei_gather *g, struct ei_facts *f, struct ei_err *err)
{
	const struct ei_config *cfg = g->cfg;
	struct ei_dns_host *hosts;
	size_t first_new = f->n_peers;
	int r;

	f->hosts = calloc(MAX_HOSTS, sizeof(*f->hosts));
	if (!f->hosts)
		return ei_err_set(err, EI_E_NOMEM, "out of memory");
	for (size_t i = 0; i < f->n_peers; i++) {
		if (f->peers[i].list.outcome == EI_OUTCOME_VALID)
			add_list_hosts(f, &f->peers[i].members);
		if (f->peers[i].peer_list.outcome == EI_OUTCOME_VALID)
			add_list_hosts(f, &f->peers[i].peer_members);
	}
	if (f->n_hosts == 0)
		return 0;
	hosts = calloc(f->n_hosts, sizeof(*hosts));
	if (!hosts)
		return ei_err_set(err, EI_E_NOMEM, "out of memory");
	for (size_t i = 0; i < f->n_hosts; i++)
		snprintf(hosts[i].name, sizeof(hosts[i].name), "%s", f->hosts[i].name);
	r = resolve(g, hosts, f->n_hosts, true, err);
	for (size_t i = 0; r == 0 && i < f->n_hosts; i++) {
		f->hosts[i].status = hosts[i].status;
		f->hosts[i].n_addrs = hosts[i].n_addrs;
		memcpy(f->hosts[i].addrs, hosts[i].addrs, sizeof(f->hosts[i].addrs));
	}
	free(hosts);
	if (r < 0)
		return r;

	/* Members whose client URL no peer of step 2 covers. */
	for (size_t i = 0; i < first_new; i++) {
		const struct ei_member_list *l = f->peers[i].list.outcome == EI_OUTCOME_VALID
							 ? &f->peers[i].members
							 : &f->peers[i].peer_members;

		for (size_t m = 0; m < l->n_members; m++) {
			const struct ei_member *mem = &l->members[m];
			char scheme[8], host[EI_DNS_NAME_MAX];
			const struct ei_host *h;
			struct ei_peer *p;
			unsigned port, ordinal;

			/* Not ourselves (we never ask ourselves), and not a pod asked already. */
			if (!mem->n_client_urls || !mem->n_peer_urls ||
			    !ei_url_parts(mem->client_urls[0], scheme, sizeof(scheme), host,
					  sizeof(host), &port) ||
			    !(h = ei_facts_host(f, host)) || h->status != EI_DNS_FOUND ||
			    strcmp(host, g->own.name) == 0 || ei_facts_is_own_addr(f, h->addrs[0]) ||
			    asked_at(f, h->addrs[0], url_port(scheme, port), true))
				continue;
			if (!(p = add_peer(f, host)) || p->client_url[0])
				continue;
			p->from_list = true;
			p->ordinal = ei_identity_set_host(&cfg->id, host, &ordinal) ? (int)ordinal : -1;
			p->dns = EI_DNS_FOUND;
			p->n_addrs = h->n_addrs;
			memcpy(p->addrs, h->addrs, sizeof(p->addrs));
			snprintf(p->client_url, sizeof(p->client_url), "%s", mem->client_urls[0]);
			snprintf(p->peer_url, sizeof(p->peer_url), "%s", mem->peer_urls[0]);
			prepare_peer(cfg, f, p);
			/* The peer URL's host may differ from the client URL's. */
			if (!p->not_peer[0] && ei_url_parts(mem->peer_urls[0], scheme, sizeof(scheme),
							    host, sizeof(host), &port) &&
			    (h = ei_facts_host(f, host)) && h->status == EI_DNS_FOUND)
				ei_http_pin(p->peer_pin, sizeof(p->peer_pin), host,
					    url_port(scheme, port), h->addrs, h->n_addrs);
		}
	}
	if (f->n_peers == first_new)
		return 0;
	ei_log_debug("asking members named only in the member lists", "count=%zu",
		     f->n_peers - first_new);
	return ei_etcd_survey(g->client, f->peers + first_new, f->n_peers - first_new,
			      g->claims ? &g->self : NULL, err);
}

int ei_gather_round(struct ei_gather *g, struct ei_facts *f, struct ei_err *err)
{
	const struct ei_config *cfg = g->cfg;
	uint64_t started_ms;
	int r;

	memset(f, 0, sizeof(*f));
	started_ms = ei_clock_ms();
	r = ei_datadir_inspect(cfg->data_dir, ei_datadir_wal_dir(cfg->wal_dir), &f->datadir,
			       err);
	if (r < 0)
		return r;
	/* What we say of ourselves when asking a peer's status (status.h), in a start only
	 * (g->claims): a one-shot plan may run without the volume, or beside etcd. */
	g->self = (struct ei_status_claim){ .initial_cluster_size = cfg->initial_cluster_size,
					    .has_wal = f->datadir.has_wal };
	snprintf(g->self.name, sizeof(g->self.name), "%s", cfg->name);
	ei_identity_peer_url(&cfg->id, cfg->id.ordinal, g->self.peer_url, sizeof(g->self.peer_url));
	snprintf(g->self.token, sizeof(g->self.token), "%s", cfg->token);
	f->n_own_addrs = local_addresses(f->own_addrs, EI_MAX_OWN_ADDRS);
	f->peers = calloc(EI_MAX_PEERS, sizeof(*f->peers));
	if (!f->peers)
		return ei_err_set(err, EI_E_NOMEM, "out of memory");
	r = find_replicas(g, f, err);
	if (r == 0)
		r = find_peers(g, f, err);
	if (r == 0)
		r = ei_etcd_survey(g->client, f->peers, f->n_peers, g->claims ? &g->self : NULL,
				   err);
	if (r == 0)
		r = follow_lists(g, f, err);
	if (r == 0)
		remember_init_status(g, f, started_ms);
	return r;
}

int ei_gather_check_resolvable(struct ei_gather *g, const char *initial_cluster, char *missing,
			       size_t missing_len, struct ei_err *err)
{
	struct ei_dns_host *hosts;
	const char *p = initial_cluster;
	size_t n = 0;
	int r;

	missing[0] = '\0';
	hosts = calloc(MAX_HOSTS, sizeof(*hosts));
	if (!hosts)
		return ei_err_set(err, EI_E_NOMEM, "out of memory");
	while (p && *p && n < MAX_HOSTS) {
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
	r = resolve(g, hosts, n, true, err);
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
