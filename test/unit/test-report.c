/* Unit tests for lib/report.c: what `plan` prints, as text and as JSON. */
#include "report.h"
#include "tap.h"

#include <stdlib.h>

#include <json-c/json.h>

static char *print(const struct ei_config *cfg, const struct ei_gather *g,
		   const struct ei_facts *f, const struct ei_plan *p,
		   const struct ei_etcd_command *cmd)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	ei_report_print(out, cfg, g, f, p, cmd);
	fclose(out);
	return buf;
}

int main(void)
{
	static struct ei_gather g;
	struct ei_config cfg = { 0 };
	struct ei_facts f = { 0 };
	static struct ei_peer p0;
	struct ei_plan plan = { 0 };
	char *argv[] = { (char *)"/usr/local/bin/etcd", (char *)"--name=etcd-1", NULL };
	struct ei_etcd_command cmd = { .argv = argv, .argc = 2 };
	struct ei_member m = { .id = 0xabcdef, .name = (char *)"etcd-0" };
	char *peer = (char *)"http://etcd-0.etcd.ns.svc.cluster.local:2380";
	json_object *obj, *v;
	char *out;

	tap_init();
	strcpy(cfg.name, "etcd-1");
	strcpy(cfg.id.set, "etcd");
	cfg.id.ordinal = 1;
	strcpy(cfg.id.service, "etcd");
	strcpy(cfg.id.ns, "ns");
	strcpy(cfg.id.domain, "cluster.local");
	strcpy(cfg.id.client_scheme, "http");
	strcpy(cfg.id.peer_scheme, "http");
	cfg.id.client_port = 2379;
	cfg.id.peer_port = 2380;
	cfg.initial_cluster_size = 3;
	strcpy(cfg.data_dir, "/data");
	strcpy(cfg.namespace_source, "flag");
	strcpy(cfg.domain_source, "default");
	strcpy(g.own.name, "etcd-1.etcd.ns.svc.cluster.local");
	g.own.status = EI_DNS_FOUND;
	g.own.n_addrs = 1;
	strcpy(g.own.addrs[0], "10.0.0.11");
	strcpy(g.own_addrs, "10.0.0.11");
	g.own_ok = true;
	strcpy(f.datadir.wal_dir, "/data/member/wal");
	/* One peer that answered with a member list. */
	f.peers = &p0;
	f.n_peers = 1;
	strcpy(p0.host, "etcd-0.etcd.ns.svc.cluster.local");
	p0.ordinal = 0;
	p0.initial = true;
	p0.dns = EI_DNS_FOUND;
	p0.n_addrs = 1;
	strcpy(p0.addrs[0], "10.0.0.10");
	strcpy(p0.client_url, "http://etcd-0.etcd.ns.svc.cluster.local:2379");
	strcpy(p0.peer_url, "http://etcd-0.etcd.ns.svc.cluster.local:2380");
	p0.list.outcome = EI_OUTCOME_VALID;
	strcpy(p0.list.url, "http://etcd-0.etcd.ns.svc.cluster.local:2379/v3/cluster/member/list");
	p0.members.cluster_id = 0x1234;
	p0.members.responder_id = 0xabcdef;
	m.peer_urls = &peer;
	m.n_peer_urls = 1;
	p0.members.members = &m;
	p0.members.n_members = 1;
	p0.status.outcome = EI_OUTCOME_REFUSED;
	strcpy(p0.status.detail, "Connection refused");
	plan.action = EI_ACT_JOIN;
	strcpy(plan.reason, "no WAL and we are not in the member list");

	cfg.output = EI_OUTPUT_JSON;
	out = print(&cfg, &g, &f, &plan, &cmd);
	obj = json_tokener_parse(out);
	tap_ok(obj != NULL, "JSON parses");
	tap_ok(json_object_object_get_ex(obj, "action", &v) &&
		       !strcmp(json_object_get_string(v), "join"),
	       "action");
	tap_ok(json_object_object_get_ex(obj, "reason", &v) &&
		       strstr(json_object_get_string(v), "not in the member list"),
	       "reason");
	tap_ok(json_object_object_get_ex(obj, "etcd_args", &v) &&
		       json_object_array_length(v) == 2 &&
		       !strcmp(json_object_get_string(json_object_array_get_idx(v, 1)),
			       "--name=etcd-1"),
	       "etcd_args");
	tap_ok(json_object_object_get_ex(obj, "peer_url", &v) &&
		       !strcmp(json_object_get_string(v),
			       "http://etcd-1.etcd.ns.svc.cluster.local:2380"),
	       "peer_url");
	tap_ok(json_object_object_get_ex(obj, "peers", &v) && json_object_array_length(v) == 1 &&
		       json_object_object_get_ex(json_object_array_get_idx(v, 0), "cluster_id", &v) &&
		       !strcmp(json_object_get_string(v), "1234"),
	       "a peer's cluster id in hex");
	tap_ok(json_object_object_get_ex(obj, "peers", &v) &&
		       json_object_object_get_ex(json_object_array_get_idx(v, 0), "etcd_init_status",
						 &v) &&
		       json_object_object_get_ex(v, "outcome", &v) &&
		       !strcmp(json_object_get_string(v), "refused"),
	       "a peer's status outcome");
	json_object_put(obj);
	free(out);

	cfg.output = EI_OUTPUT_TEXT;
	out = print(&cfg, &g, &f, &plan, &cmd);
	tap_ok(strstr(out, "decision    join\n") != NULL, "text: decision");
	tap_ok(strstr(out, "etcd        /usr/local/bin/etcd --name=etcd-1\n") != NULL,
	       "text: the command line");
	tap_ok(strstr(out, "0000000000abcdef  etcd-0") != NULL, "text: members with hex IDs");
	tap_ok(strstr(out, "peer        etcd-0.etcd.ns.svc.cluster.local [found 10.0.0.10]: etcd of "
			   "cluster 1234") != NULL,
	       "text: what the peer is");
	free(out);

	plan.action = EI_ACT_WAIT;
	out = print(&cfg, &g, &f, &plan, NULL);
	tap_ok(strstr(out, "decision    wait\n") && !strstr(out, "etcd        "),
	       "text: no command line without one");
	free(out);
	return tap_done();
}
