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

static void print_json(FILE *out, const struct ei_config *cfg, const struct ei_gather *g,
		       const struct ei_facts *f, const struct ei_plan *plan,
		       const struct ei_etcd_command *cmd)
{
	json_object *o = json_object_new_object();
	json_object *d = json_object_new_object();
	json_object *dns = json_object_new_object();
	json_object *hosts = json_object_new_array();
	json_object *cl = json_object_new_object();
	char buf[EI_URL_MAX];

	json_object_object_add(o, "action", jstr(ei_action_name(plan->action)));
	json_object_object_add(o, "reason", jstr(plan->reason));
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
	json_object_object_add(dns, "srv_status", jstr(ei_dns_status_name(g->srv_status)));
	json_object_object_add(dns, "srv_targets", json_object_new_int((int)g->n_srv_targets));
	for (size_t i = 0; i < g->n_hosts; i++)
		json_object_array_add(hosts, host_json(&g->hosts[i]));
	json_object_object_add(dns, "peers", hosts);
	json_object_object_add(o, "dns", dns);

	json_object_object_add(cl, "answered", json_object_new_boolean(f->cluster_answered));
	if (f->cluster_answered) {
		json_object *members = json_object_new_array();

		json_object_object_add(cl, "answered_by", jstr(f->answered_by));
		hex(buf, sizeof(buf), f->members.cluster_id);
		json_object_object_add(cl, "cluster_id", jstr(buf));
		for (size_t i = 0; i < f->members.n_members; i++) {
			const struct ei_member *m = &f->members.members[i];
			json_object *jm = json_object_new_object();

			hex(buf, sizeof(buf), m->id);
			json_object_object_add(jm, "id", jstr(buf));
			json_object_object_add(jm, "name", jstr(m->name));
			json_object_object_add(jm, "peer_urls", strings_json(m->peer_urls, m->n_peer_urls));
			json_object_object_add(jm, "client_urls",
					       strings_json(m->client_urls, m->n_client_urls));
			json_object_object_add(jm, "learner", json_object_new_boolean(m->is_learner));
			json_object_object_add(jm, "started", json_object_new_boolean(ei_member_is_started(m)));
			json_object_array_add(members, jm);
		}
		json_object_object_add(cl, "members", members);
	} else {
		json_object_object_add(cl, "last_error", jstr(g->last_result.message));
	}
	json_object_object_add(o, "cluster", cl);
	fprintf(out, "%s\n",
		json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							  JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static void print_text(FILE *out, const struct ei_config *cfg, const struct ei_gather *g,
		       const struct ei_facts *f, const struct ei_plan *plan,
		       const struct ei_etcd_command *cmd)
{
	char peer[EI_URL_MAX], client[EI_URL_MAX];

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
			f->datadir.has_snap_db ? " (member/snap/db exists but does not count)" : "");
	else if (f->datadir.has_metadata)
		fprintf(out, "WAL of member %" PRIx64 " in cluster %" PRIx64 "\n",
			f->datadir.member_id, f->datadir.cluster_id);
	else
		fprintf(out, "WAL present, metadata unreadable (%s)\n", f->datadir.metadata_error);
	fprintf(out, "own name    %s: %s", g->own.name, ei_dns_status_name(g->own.status));
	for (size_t i = 0; i < g->own.n_addrs; i++)
		fprintf(out, "%s%s", i ? "," : " ", g->own.addrs[i]);
	fprintf(out, " (pod addresses %s: %s)\n", g->own_addrs[0] ? g->own_addrs : "none",
		g->own_ok ? "matches" : "does not match");
	fprintf(out, "SRV         %s: %s, %zu targets\n", g->srv_name,
		ei_dns_status_name(g->srv_status), g->n_srv_targets);
	for (size_t i = 0; i < g->n_hosts; i++) {
		fprintf(out, "peer DNS    %s: %s", g->hosts[i].name,
			ei_dns_status_name(g->hosts[i].status));
		for (size_t a = 0; a < g->hosts[i].n_addrs; a++)
			fprintf(out, "%s%s", a ? "," : " ", g->hosts[i].addrs[a]);
		fputc('\n', out);
	}
	if (f->cluster_answered) {
		fprintf(out, "cluster     %" PRIx64 ", answered by %s, %zu members:\n",
			f->members.cluster_id, f->answered_by, f->members.n_members);
		for (size_t i = 0; i < f->members.n_members; i++) {
			const struct ei_member *m = &f->members.members[i];

			fprintf(out, "  %016" PRIx64 "  %-12s %-9s %s%s\n", m->id,
				m->name ? m->name : "-",
				ei_member_is_started(m) ? "started" : "unstarted",
				m->n_peer_urls ? m->peer_urls[0] : "-", m->is_learner ? "  learner" : "");
		}
	} else {
		fprintf(out, "cluster     no member answered (%s)\n",
			g->last_result.message[0] ? g->last_result.message : "no peer to ask");
	}
	fprintf(out, "decision    %s\nreason      %s\n", ei_action_name(plan->action), plan->reason);
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
