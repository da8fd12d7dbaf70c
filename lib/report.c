/* report.c - the output of `plan` (see report.h). */
#include "report.h"

#include <inttypes.h>
#include <string.h>

#include <json-c/json.h>

static void hex(char *buf, size_t len, uint64_t v)
{
	snprintf(buf, len, "%" PRIx64, v);
}

static json_object *jstr(const char *s)
{
	return json_object_new_string(s ? s : "");
}

static json_object *strings_json(char *const *v, size_t n)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, jstr(v[i]));
	return a;
}

static json_object *host_json(const struct ei_dns_host *h)
{
	json_object *o = json_object_new_object();
	json_object *addrs = json_object_new_array();

	json_object_object_add(o, "name", jstr(h->name));
	json_object_object_add(o, "status", jstr(ei_dns_status_name(h->status)));
	for (size_t i = 0; i < h->n_addrs; i++)
		json_object_array_add(addrs, jstr(h->addrs[i]));
	json_object_object_add(o, "addresses", addrs);
	return o;
}

json_object *ei_report_answer_json(const struct ei_answer *a)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "outcome", jstr(ei_outcome_name(a->outcome)));
	if (a->outcome != EI_OUTCOME_NOT_ASKED) {
		json_object_object_add(o, "url", jstr(a->url));
		json_object_object_add(o, "detail", jstr(a->detail));
	}
	return o;
}

static json_object *members_json(const struct ei_member_list *l)
{
	json_object *members = json_object_new_array();
	char buf[32];

	for (size_t i = 0; i < l->n_members; i++) {
		const struct ei_member *m = &l->members[i];
		json_object *jm = json_object_new_object();

		hex(buf, sizeof(buf), m->id);
		json_object_object_add(jm, "id", jstr(buf));
		json_object_object_add(jm, "name", jstr(m->name));
		json_object_object_add(jm, "peer_urls", strings_json(m->peer_urls, m->n_peer_urls));
		json_object_object_add(jm, "client_urls", strings_json(m->client_urls, m->n_client_urls));
		json_object_object_add(jm, "learner", json_object_new_boolean(m->is_learner));
		json_object_object_add(jm, "started", json_object_new_boolean(m->n_client_urls > 0));
		json_object_array_add(members, jm);
	}
	return members;
}

static json_object *peer_json(const struct ei_config *cfg, const struct ei_facts *f,
			      const struct ei_peer *p)
{
	json_object *o = json_object_new_object();
	json_object *addrs = json_object_new_array();
	char says[640], buf[32];

	json_object_object_add(o, "host", jstr(p->host));
	json_object_object_add(o, "ordinal", json_object_new_int(p->ordinal));
	json_object_object_add(o, "initial", json_object_new_boolean(p->initial));
	json_object_object_add(o, "srv", json_object_new_boolean(p->in_srv));
	json_object_object_add(o, "from_member_list", json_object_new_boolean(p->from_list));
	json_object_object_add(o, "dns", jstr(ei_dns_status_name(p->dns)));
	for (size_t i = 0; i < p->n_addrs; i++)
		json_object_array_add(addrs, jstr(p->addrs[i]));
	json_object_object_add(o, "addresses", addrs);
	if (p->not_peer[0])
		json_object_object_add(o, "not_a_peer", jstr(p->not_peer));
	json_object_object_add(o, "member_list", ei_report_answer_json(&p->list));
	if (p->list.outcome == EI_OUTCOME_VALID) {
		hex(buf, sizeof(buf), p->members.cluster_id);
		json_object_object_add(o, "cluster_id", jstr(buf));
		json_object_object_add(o, "linearizable", json_object_new_boolean(p->linearizable));
		json_object_object_add(o, "members", members_json(&p->members));
	}
	json_object_object_add(o, "peer_member_list", ei_report_answer_json(&p->peer_list));
	if (p->peer_list.outcome == EI_OUTCOME_VALID && p->list.outcome != EI_OUTCOME_VALID)
		json_object_object_add(o, "members", members_json(&p->peer_members));
	json_object_object_add(o, "version", ei_report_answer_json(&p->version));
	if (p->server_version[0])
		json_object_object_add(o, "etcd_version", jstr(p->server_version));
	json_object_object_add(o, "etcd_init_status", ei_report_answer_json(&p->status));
	if (p->status.outcome == EI_OUTCOME_VALID) {
		json_object *st = json_object_new_object();

		json_object_object_add(st, "name", jstr(p->init.name));
		json_object_object_add(st, "peer_url", jstr(p->init.peer_url));
		json_object_object_add(st, "initial_cluster_size",
				       json_object_new_int((int)p->init.initial_cluster_size));
		json_object_object_add(st, "has_wal", json_object_new_boolean(p->init.has_wal));
		json_object_object_add(st, "action", jstr(p->init.action));
		json_object_object_add(o, "etcd_init", st);
	}
	ei_plan_describe_peer(cfg, f, p, says, sizeof(says));
	json_object_object_add(o, "says", jstr(says));
	return o;
}

static void print_json(FILE *out, const struct ei_config *cfg, const struct ei_gather *g,
		       const struct ei_facts *f, const struct ei_plan *plan,
		       const struct ei_etcd_command *cmd)
{
	json_object *o = json_object_new_object();
	json_object *d = json_object_new_object();
	json_object *dns = json_object_new_object();
	json_object *peers = json_object_new_array();
	char buf[EI_URL_MAX];

	json_object_object_add(o, "action", jstr(ei_action_name(plan->action)));
	json_object_object_add(o, "reason", jstr(plan->reason));
	if (plan->alert[0])
		json_object_object_add(o, "alert", jstr(plan->alert));
	if (plan->notice[0])
		json_object_object_add(o, "notice", jstr(plan->notice));
	if (plan->force_new_cluster)
		json_object_object_add(o, "force_new_cluster", json_object_new_boolean(true));
	{
		json_object *r = json_object_new_object();

		json_object_object_add(r, "source", jstr(ei_replicas_source_name(f->replicas_source)));
		if (f->replicas >= 0)
			json_object_object_add(r, "replicas", json_object_new_int64(f->replicas));
		if (f->replicas_error[0])
			json_object_object_add(r, "error", jstr(f->replicas_error));
		json_object_object_add(o, "set_size", r);
	}
	json_object_object_add(o, "etcd_args",
			       cmd ? strings_json(cmd->argv, cmd->argc) : json_object_new_array());
	json_object_object_add(o, "name", jstr(cfg->name));
	json_object_object_add(o, "ordinal", json_object_new_int((int)cfg->id.ordinal));
	json_object_object_add(o, "initial_cluster_size",
			       json_object_new_int((int)cfg->initial_cluster_size));
	ei_identity_peer_url(&cfg->id, cfg->id.ordinal, buf, sizeof(buf));
	json_object_object_add(o, "peer_url", jstr(buf));
	ei_identity_client_url(&cfg->id, cfg->id.ordinal, buf, sizeof(buf));
	json_object_object_add(o, "client_url", jstr(buf));
	json_object_object_add(o, "namespace", jstr(cfg->id.ns));
	json_object_object_add(o, "cluster_domain", jstr(cfg->id.domain));

	json_object_object_add(d, "wal_dir", jstr(f->datadir.wal_dir));
	json_object_object_add(d, "has_wal", json_object_new_boolean(f->datadir.has_wal));
	json_object_object_add(d, "force_new_cluster_request",
			       json_object_new_boolean(f->datadir.force_request));
	if (f->datadir.has_position) {
		json_object_object_add(d, "raft_term", json_object_new_int64((int64_t)f->datadir.position.term));
		json_object_object_add(d, "raft_commit_index",
				       json_object_new_int64((int64_t)f->datadir.position.commit));
	}
	if (f->datadir.has_metadata) {
		hex(buf, sizeof(buf), f->datadir.member_id);
		json_object_object_add(d, "member_id", jstr(buf));
		hex(buf, sizeof(buf), f->datadir.cluster_id);
		json_object_object_add(d, "cluster_id", jstr(buf));
	}
	json_object_object_add(o, "data_dir", d);

	json_object_object_add(dns, "own", host_json(&g->own));
	json_object_object_add(dns, "own_is_local", json_object_new_boolean(g->own_ok));
	json_object_object_add(dns, "pod_addresses", jstr(g->own_addrs));
	json_object_object_add(dns, "srv_name", jstr(g->srv_name));
	json_object_object_add(dns, "srv_status", jstr(ei_dns_status_name(f->srv_status)));
	json_object_object_add(dns, "srv_targets", json_object_new_int((int)f->n_srv_targets));
	json_object_object_add(o, "dns", dns);
	for (size_t i = 0; i < f->n_peers; i++)
		json_object_array_add(peers, peer_json(cfg, f, &f->peers[i]));
	json_object_object_add(o, "peers", peers);
	fprintf(out, "%s\n",
		json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							  JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

void ei_report_set_size(const struct ei_config *cfg, const struct ei_facts *f, char *buf,
			size_t len)
{
	if (f->replicas >= 0)
		snprintf(buf, len, "%ld (%s)", f->replicas, ei_replicas_source_name(f->replicas_source));
	else
		snprintf(buf, len, "unknown (%s%s%s): the initial size %u stands in",
			 ei_replicas_source_name(f->replicas_source), f->replicas_error[0] ? ": " : "",
			 f->replicas_error, cfg->initial_cluster_size);
}

static void print_text(FILE *out, const struct ei_config *cfg, const struct ei_gather *g,
		       const struct ei_facts *f, const struct ei_plan *plan,
		       const struct ei_etcd_command *cmd)
{
	char peer[EI_URL_MAX], client[EI_URL_MAX], size[700];

	ei_identity_peer_url(&cfg->id, cfg->id.ordinal, peer, sizeof(peer));
	ei_identity_client_url(&cfg->id, cfg->id.ordinal, client, sizeof(client));
	fprintf(out, "member      %s (ordinal %u of set %s; initial cluster size %u)\n", cfg->name,
		cfg->id.ordinal, cfg->id.set, cfg->initial_cluster_size);
	fprintf(out, "namespace   %s (from %s), cluster domain %s (from %s)\n", cfg->id.ns,
		cfg->namespace_source, cfg->id.domain, cfg->domain_source);
	fprintf(out, "peer URL    %s\nclient URL  %s\n", peer, client);
	fprintf(out, "data dir    %s: ", cfg->data_dir);
	if (!f->datadir.has_wal)
		fprintf(out, "no WAL in %s%s\n", f->datadir.wal_dir,
			f->datadir.has_snap_db ? " (member/snap/db exists)" : "");
	else if (f->datadir.has_metadata && f->datadir.has_position)
		fprintf(out, "WAL of member %" PRIx64 " in cluster %" PRIx64 ", raft term %" PRIu64 ", commit index %" PRIu64 "%s\n",
			f->datadir.member_id, f->datadir.cluster_id, f->datadir.position.term,
			f->datadir.position.commit, f->datadir.force_request ? "; a force-new-cluster request is waiting" : "");
	else if (f->datadir.has_metadata)
		fprintf(out, "WAL of member %" PRIx64 " in cluster %" PRIx64 " (raft position unknown: %s)\n",
			f->datadir.member_id, f->datadir.cluster_id, f->datadir.position_error);
	else
		fprintf(out, "WAL present, metadata unreadable (%s)\n", f->datadir.metadata_error);
	fprintf(out, "own name    %s: %s", g->own.name, ei_dns_status_name(g->own.status));
	for (size_t i = 0; i < g->own.n_addrs; i++)
		fprintf(out, "%s%s", i ? "," : " ", g->own.addrs[i]);
	fprintf(out, " (pod addresses %s: %s)\n", g->own_addrs[0] ? g->own_addrs : "none",
		g->own_ok ? "matches" : "does not match");
	ei_report_set_size(cfg, f, size, sizeof(size));
	fprintf(out, "set size    %s\n", size);
	if (g->srv_name[0])
		fprintf(out, "SRV         %s: %s, %zu targets%s%s\n", g->srv_name,
			ei_dns_status_name(f->srv_status), f->n_srv_targets,
			f->n_srv_strangers ? "; not of this set, never asked: " : "", f->srv_strangers);
	else
		fprintf(out, "SRV         not asked (--peer-host %s)\n", cfg->id.peer_host);
	for (size_t i = 0; i < f->n_peers; i++) {
		const struct ei_peer *p = &f->peers[i];
		char says[640];

		ei_plan_describe_peer(cfg, f, p, says, sizeof(says));
		fprintf(out, "peer        %s [%s", p->host, ei_dns_status_name(p->dns));
		for (size_t a = 0; a < p->n_addrs; a++)
			fprintf(out, "%s%s", a ? "," : " ", p->addrs[a]);
		fprintf(out, "]: %s\n", says);
		if (p->list.outcome == EI_OUTCOME_VALID) {
			for (size_t m = 0; m < p->members.n_members; m++) {
				const struct ei_member *x = &p->members.members[m];

				fprintf(out, "              %016" PRIx64 "  %-12s %-9s %s%s\n", x->id,
					x->name ? x->name : "-", x->n_client_urls ? "started" : "unstarted",
					x->n_peer_urls ? x->peer_urls[0] : "-", x->is_learner ? "  learner" : "");
			}
		}
	}
	fprintf(out, "decision    %s\nreason      %s\n", ei_action_name(plan->action), plan->reason);
	if (plan->alert[0])
		fprintf(out, "alert       %s\n", plan->alert);
	if (plan->notice[0])
		fprintf(out, "notice      %s\n", plan->notice);
	if (cmd) {
		fputs("etcd        ", out);
		for (size_t i = 0; i < cmd->argc; i++)
			fprintf(out, "%s%s", i ? " " : "", cmd->argv[i]);
		fputc('\n', out);
	}
}

void ei_report_print(FILE *out, const struct ei_config *cfg, const struct ei_gather *g,
		     const struct ei_facts *facts, const struct ei_plan *plan,
		     const struct ei_etcd_command *cmd)
{
	if (cfg->output == EI_OUTPUT_JSON)
		print_json(out, cfg, g, facts, plan, cmd);
	else
		print_text(out, cfg, g, facts, plan, cmd);
}
