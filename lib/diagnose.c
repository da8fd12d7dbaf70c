/* diagnose.c - `etcd-init diagnose` (see diagnose.h): one round of the facts `run`
 * reads (gather.h), this pod asked at its own client URL as well, the status of every
 * member that answered, the certificate checks and the decision on those facts; then
 * diagtable.c makes the rows and prints them.
 *
 * Read-only: no status server, no membership change, no first-start marker. One round
 * with every request bounded (gather.h: 1 s to connect, 2 s in all; the status calls
 * 1.5 s each and 3 s together), our own name resolved once: it ends within seconds
 * even when a peer accepts connections and never answers. */
#include "diagnose.h"
#include "datadir.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diagprint.h"
#include "gather.h"
#include "plan.h"
#include "preflight.h"

#define STATUS_CONNECT_MS 1000
#define STATUS_TOTAL_MS 1500
#define STATUS_BUDGET_MS 3000
#define SRV_TIMEOUT_MS 2000

/* Whether our own name is a target of the SRV set: the round leaves us out of its
 * peers, and a pod missing from the SRV set is what a reader looks for. */
static int own_in_srv(struct ei_gather *g, bool *in, struct ei_err *err)
{
	struct ei_dns_srv_target *targets = NULL;
	enum ei_dns_status status;
	struct ei_dns *dns;
	size_t n = 0;
	int rc;

	*in = false;
	rc = ei_dns_create(&dns, g->loop, SRV_TIMEOUT_MS / 2, err);
	if (rc < 0)
		return rc;
	rc = ei_dns_srv(dns, g->srv_name, ei_clock_ms() + SRV_TIMEOUT_MS, &status, &targets, &n,
			err);
	for (size_t i = 0; rc == 0 && status == EI_DNS_FOUND && i < n; i++)
		*in |= strcmp(targets[i].host, g->own.name) == 0;
	free(targets);
	ei_dns_destroy(dns);
	return rc;
}

/* This pod as a peer row: its name as DNS has it, but asked at this pod's own
 * addresses, where its etcd (or its waiting etcd-init) is whatever DNS says. */
static void self_peer(const struct ei_gather *g, const struct ei_facts *f, bool in_srv,
		      struct ei_peer *p)
{
	const struct ei_config *cfg = g->cfg;
	static const char loopback[1][INET6_ADDRSTRLEN] = { "127.0.0.1" };
	const char(*addrs)[INET6_ADDRSTRLEN] = f->own_addrs;
	size_t n = f->n_own_addrs;

	memset(p, 0, sizeof(*p));
	snprintf(p->host, sizeof(p->host), "%s", g->own.name);
	p->ordinal = (int)cfg->id.ordinal;
	p->initial = cfg->id.ordinal < cfg->initial_cluster_size;
	p->in_srv = in_srv;
	p->dns = g->own.status;
	p->n_addrs = g->own.n_addrs;
	memcpy(p->addrs, g->own.addrs, sizeof(p->addrs));
	snprintf(p->dns_error, sizeof(p->dns_error), "%s", g->own.error);
	ei_identity_client_url(&cfg->id, cfg->id.ordinal, p->client_url, sizeof(p->client_url));
	ei_identity_peer_url(&cfg->id, cfg->id.ordinal, p->peer_url, sizeof(p->peer_url));
	if (!n) {
		addrs = loopback;
		n = 1;
	}
	ei_http_pin(p->client_pin, sizeof(p->client_pin), g->own.name, cfg->id.client_port, addrs,
		    n);
	ei_http_pin(p->peer_pin, sizeof(p->peer_pin), g->own.name, cfg->id.peer_port, addrs, n);
}

/* POST /v3/maintenance/status where the client URL answered the round (a member that
 * did not answer then is not asked again: that would only add its timeout). */
static int ask_status(struct ei_etcd_client *c, const struct ei_peer *p, uint64_t deadline,
		      struct ei_diag_status *s, struct ei_err *err)
{
	struct ei_etcd_result res = { 0 };
	struct ei_err e = { 0 };
	int rc;

	if (p->list.outcome != EI_OUTCOME_VALID && p->version.outcome != EI_OUTCOME_VALID)
		return 0;
	s->asked = true;
	if (ei_clock_ms() >= deadline) {
		snprintf(s->error, sizeof(s->error), "not asked: no time left for status calls");
		return 0;
	}
	rc = ei_etcd_status(c, p->client_url, p->client_pin, &s->st, &res, &e);
	if (rc == EI_E_SIGNAL || rc == EI_E_NOMEM) {
		*err = e;
		return rc;
	}
	s->answered = rc == 0;
	if (rc < 0)
		snprintf(s->error, sizeof(s->error), "%s", e.msg);
	return 0;
}

/* Ask ourselves and every peer for its status, within STATUS_BUDGET_MS in all, on a
 * client of its own with short timeouts; st[facts->n_peers] is our own. */
static int ask_all_status(const struct ei_config *cfg, struct ei_loop *loop,
			  const struct ei_peer *self, const struct ei_facts *facts,
			  struct ei_diag_status *st, struct ei_err *err)
{
	struct ei_etcd_client *sc = NULL;
	uint64_t deadline;
	int rc = ei_gather_client(cfg, loop, STATUS_CONNECT_MS, STATUS_TOTAL_MS, &sc, err);

	if (rc < 0)
		return rc;
	deadline = ei_clock_ms() + STATUS_BUDGET_MS;
	rc = ask_status(sc, self, deadline, &st[facts->n_peers], err);
	for (size_t i = 0; rc == 0 && i < facts->n_peers; i++)
		rc = ask_status(sc, &facts->peers[i], deadline, &st[i], err);
	ei_etcd_client_destroy(sc);
	return rc;
}

/* The table of in, with this pod's learner record, on stdout. */
static int print_table(struct ei_diag_facts *in, struct ei_err *err)
{
	struct ei_err rec_err = { 0 };
	struct ei_diag_table t = { 0 };
	int rc;

	in->now_s = (uint64_t)time(NULL);
	if (ei_datadir_learner_record_read(in->cfg->data_dir, &in->own_learner_member,
					   &in->own_learner_since_s, &rec_err) < 0)
		in->own_learner_member = 0;
	rc = ei_diag_table_build(in, &t, err);
	if (rc == 0) {
		ei_diag_print(stdout, in, &t);
		fflush(stdout);
	}
	ei_diag_table_free(&t);
	return rc;
}

int ei_diagnose(const struct ei_config *cfg, struct ei_loop *loop, char **envp,
		struct ei_err *err)
{
	struct ei_gather g;
	struct ei_facts facts = { 0 };
	struct ei_peer *self = NULL;
	struct ei_diag_status *st = NULL;
	struct ei_tls_report tls = { 0 };
	struct ei_plan plan = { 0 };
	struct ei_diag_facts in;
	bool in_srv = false;
	int rc;

	rc = ei_gather_init(&g, cfg, loop, err);
	if (rc < 0)
		return rc;
	rc = ei_gather_own_name(&g, err);
	if (rc == 0)
		rc = ei_gather_round(&g, &facts, err);
	if (rc < 0)
		goto out;
	self = calloc(1, sizeof(*self));
	st = calloc(facts.n_peers + 1, sizeof(*st));
	if (!self || !st) {
		rc = ei_err_set(err, EI_E_NOMEM, "out of memory");
		goto out;
	}
	rc = own_in_srv(&g, &in_srv, err);
	if (rc < 0)
		goto out;
	self_peer(&g, &facts, in_srv, self);
	rc = ei_etcd_survey(g.client, self, 1, NULL, err);
	if (rc == 0)
		rc = ask_all_status(cfg, loop, self, &facts, st, err);
	if (rc == 0)
		rc = ei_preflight_run(cfg, envp, time(NULL), &tls, err);
	if (rc == 0)
		rc = ei_plan_decide(cfg, &facts, &plan, err);
	if (rc < 0)
		goto out;
	in = (struct ei_diag_facts){
		.cfg = cfg,
		.facts = &facts,
		.self = self,
		.own_ok = g.own_ok,
		.pod_addrs = g.own_addrs,
		.srv_name = g.srv_name,
		.status = st,
		.tls = &tls,
		.plan = &plan,
	};
	rc = print_table(&in, err);
out:
	ei_plan_free(&plan);
	ei_tls_report_free(&tls);
	if (self) {
		ei_member_list_free(&self->members);
		ei_member_list_free(&self->peer_members);
	}
	free(self);
	free(st);
	ei_facts_free(&facts);
	ei_gather_destroy(&g);
	return rc;
}
