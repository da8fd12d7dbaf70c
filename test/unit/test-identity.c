/* Unit tests for lib/identity.c: names, ordinals, canonical URLs, the names of this set. */
#include "identity.h"
#include "tap.h"

/* ei_identity_set_host: the names of this set's members, as a member URL spells them:
 * the peer host, or a leading part of it that the pod's search list completes. */
static void test_set_host(void)
{
	static const struct {
		const char *peer_host; /* the --peer-host template, "" for the StatefulSet's */
		const char *host;
		int ok;
		unsigned ordinal;
	} cases[] = {
		{ "", "etcd-0.etcd.ns.svc.cluster.local", 1, 0 },
		{ "", "etcd-12.etcd.ns.svc.cluster.local", 1, 12 },
		{ "", "etcd-3.etcd.ns.svc.cluster.local.", 1, 3 },
		{ "", "etcd-0.etcd", 1, 0 },
		{ "", "etcd-7.etcd", 1, 7 },
		{ "", "etcd-0.etcd.ns", 1, 0 },
		{ "", "etcd-0.etcd.ns.svc", 1, 0 },
		{ "", "etcd-99999.etcd.ns.svc", 1, 99999 },
		{ "", "etcd-0.other", 0, 0 },
		{ "", "etcd-0.other.ns.svc.cluster.local", 0, 0 },
		{ "", "etcd-0.etcd.ns2", 0, 0 },
		{ "", "etcd-0.etcd.ns2.svc.cluster.local", 0, 0 },
		{ "", "etcd-0.etcd.n", 0, 0 },
		{ "", "etcd-0.etcdx", 0, 0 },
		{ "", "etcd-0.etcd.ns.svc.cluster.local.x", 0, 0 },
		{ "", "etcd-00.etcd", 0, 0 },
		{ "", "etcd-01.etcd.ns.svc.cluster.local", 0, 0 },
		{ "", "etcd-100000.etcd", 0, 0 },
		{ "", "etcd-.etcd", 0, 0 },
		{ "", "etcd-1a.etcd", 0, 0 },
		{ "", "etcdx-0.etcd", 0, 0 },
		{ "", "xetcd-0.etcd", 0, 0 },
		{ "", "my-etcd-0.etcd", 0, 0 },
		{ "", "10.0.0.1", 0, 0 },
		{ "", "fd00::1", 0, 0 },
		{ "", "etcd-0.etcd.", 0, 0 }, /* absolute: no search list completes it */
		{ "", "etcd-0.etcd.ns.", 0, 0 },
		{ "", "", 0, 0 },
		/* --peer-host: the template's host. */
		{ "{name}", "etcd-2", 1, 2 },
		{ "{name}", "etcd-2.", 1, 2 },
		{ "{name}", "etcd-2.etcd.ns.svc.cluster.local", 0, 0 },
		{ "{name}", "etcd-2.etcd", 0, 0 },
		{ "{name}", "etcd-02", 0, 0 },
		{ "{name}", "etcdx-2", 0, 0 },
		{ "{name}", "10.0.0.12", 0, 0 },
		{ "{name}.db.example", "etcd-4.db.example", 1, 4 },
		{ "{name}.db.example", "etcd-4.db.example.", 1, 4 },
		{ "{name}.db.example", "etcd-4.etcd.ns.svc.cluster.local", 0, 0 },
		{ "{name}.db.example", "etcd-4.db.other", 0, 0 },
		{ "{name}.db.example", "etcd-4.db.examplex", 0, 0 },
		{ "{name}.db.example", "etcd-4.db.example.org", 0, 0 },
	};
	struct ei_identity id = { .set = "etcd", .ordinal = 1, .service = "etcd", .ns = "ns",
				  .domain = "cluster.local", .client_scheme = "http",
				  .peer_scheme = "http", .client_port = 2379, .peer_port = 2380 };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned ord = 12345;
		bool r;
		const char *with = cases[i].peer_host[0] ? " with --peer-host=" : "";

		snprintf(id.peer_host, sizeof(id.peer_host), "%s", cases[i].peer_host);
		r = ei_identity_set_host(&id, cases[i].host, &ord);
		if (cases[i].ok)
			tap_ok(r && ord == cases[i].ordinal,
			       "set host%s%s: \"%s\" is ordinal %u (got %u)", with,
			       cases[i].peer_host, cases[i].host, cases[i].ordinal, ord);
		else
			tap_ok(!r && ord == 12345, "set host%s%s: \"%s\" is not of this set", with,
			       cases[i].peer_host, cases[i].host);
	}
}

int main(void)
{
	static const struct {
		const char *name;
		int ok;
		const char *set;
		unsigned ordinal;
	} names[] = {
		{ "etcd-0", 1, "etcd", 0 },
		{ "etcd-12", 1, "etcd", 12 },
		{ "my-etcd-3", 1, "my-etcd", 3 },
		{ "etcd-99999", 1, "etcd", 99999 },
		{ "etcd", 0, NULL, 0 },
		{ "etcd-", 0, NULL, 0 },
		{ "etcd--1", 0, NULL, 0 }, /* the set name "etcd-" is not a label */
		{ "-1", 0, NULL, 0 },
		{ "etcd-01", 0, NULL, 0 },
		{ "etcd-1a", 0, NULL, 0 },
		{ "etcd-100000", 0, NULL, 0 },
		{ "Etcd-0", 0, NULL, 0 },
		{ "etcd_0", 0, NULL, 0 },
		{ "", 0, NULL, 0 },
		{ "a2345678901234567890123456789012345678901234567890123456789012-0", 0, NULL, 0 },
	};
	static const struct {
		const char *s;
		int label, domain;
	} labels[] = {
		{ "etcd", 1, 1 },    { "a", 1, 1 },          { "a-b", 1, 1 },
		{ "-a", 0, 0 },      { "a-", 0, 0 },         { "A", 0, 0 },
		{ "a.b", 0, 1 },     { "cluster.local", 0, 1 }, { "a..b", 0, 0 },
		{ ".a", 0, 0 },      { "a.", 0, 0 },         { "", 0, 0 },
		{ "a_b", 0, 0 },
	};
	struct ei_identity id = { .set = "etcd", .ordinal = 1, .service = "etcd-svc", .ns = "prod",
				  .domain = "cluster.local", .client_scheme = "http", .peer_scheme = "http", .client_port = 2379,
				  .peer_port = 2380 };
	char buf[EI_URL_MAX], set[64];
	unsigned ord;
	struct ei_err err = { 0 };

	tap_init();
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int r = ei_identity_split_name(names[i].name, set, sizeof(set), &ord, &err);

		if (names[i].ok)
			tap_ok(r == 0 && strcmp(set, names[i].set) == 0 && ord == names[i].ordinal,
			       "split \"%s\" -> %s, %u", names[i].name, names[i].set, names[i].ordinal);
		else
			tap_ok(r == EI_E_USAGE && strstr(err.msg, "--name/HOSTNAME"),
			       "split \"%s\" is a usage error naming the setting", names[i].name);
	}
	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
		tap_ok(ei_label_valid(labels[i].s) == labels[i].label, "label \"%s\": %d", labels[i].s,
		       labels[i].label);
		tap_ok(ei_domain_valid(labels[i].s) == labels[i].domain, "domain \"%s\": %d",
		       labels[i].s, labels[i].domain);
	}
	ei_identity_fqdn(&id, 2, buf, sizeof(buf));
	tap_streq(buf, "etcd-2.etcd-svc.prod.svc.cluster.local", "fqdn of ordinal 2");
	ei_identity_peer_url(&id, 0, buf, sizeof(buf));
	tap_streq(buf, "http://etcd-0.etcd-svc.prod.svc.cluster.local:2380", "peer URL");
	ei_identity_client_url(&id, 4, buf, sizeof(buf));
	tap_streq(buf, "http://etcd-4.etcd-svc.prod.svc.cluster.local:2379", "client URL");
	ei_identity_member_name(&id, 7, buf, sizeof(buf));
	tap_streq(buf, "etcd-7", "member name");
	ei_identity_srv_name(&id, false, buf, sizeof(buf));
	tap_streq(buf, "_etcd-server._tcp.etcd-svc.prod.svc.cluster.local", "SRV name");
	ei_identity_srv_name(&id, true, buf, sizeof(buf));
	tap_streq(buf, "_etcd-server-ssl._tcp.etcd-svc.prod.svc.cluster.local", "SRV name (ssl)");

	tap_ok(ei_identity_ordinal_of_host(&id, "etcd-3.etcd-svc.prod.svc.cluster.local", &ord) &&
		       ord == 3,
	       "ordinal of a canonical host");
	tap_ok(ei_identity_ordinal_of_host(&id, "etcd-3.etcd-svc.prod.svc.cluster.local.", &ord) &&
		       ord == 3,
	       "ordinal of a host with a trailing dot");
	tap_ok(!ei_identity_ordinal_of_host(&id, "etcd-3.other.prod.svc.cluster.local", &ord),
	       "another service is not ours");
	tap_ok(!ei_identity_ordinal_of_host(&id, "etcdx-3.etcd-svc.prod.svc.cluster.local", &ord),
	       "another set is not ours");
	tap_ok(!ei_identity_ordinal_of_host(&id, "etcd-03.etcd-svc.prod.svc.cluster.local", &ord),
	       "a leading zero is not an ordinal");
	tap_ok(!ei_identity_ordinal_of_host(&id, "etcd-.etcd-svc.prod.svc.cluster.local", &ord),
	       "no ordinal");

	/* --peer-host templates (docker-compose: "{name}"). */
	{
		static const struct {
			const char *tmpl;
			int ok;
			const char *why;
		} tmpls[] = {
			{ "{name}", 1, "" },
			{ "{name}.etcd.example", 1, "" },
			{ "db-{name}.x", 1, "" },
			{ "etcd", 0, "exactly one {name}" },
			{ "{name}.{name}", 0, "exactly one {name}" },
			{ "{name}.Etcd", 0, "etcd-99999.Etcd is not a DNS name" },
			{ "{name}..x", 0, "is not a DNS name" },
			{ "{name}.", 0, "is not a DNS name" },
			{ "{name}_x", 0, "is not a DNS name" },
		};
		struct ei_identity t = id;
		char why[300];

		for (size_t i = 0; i < sizeof(tmpls) / sizeof(tmpls[0]); i++)
			tap_ok(ei_identity_template_valid(tmpls[i].tmpl, "etcd", why, sizeof(why)) ==
					   tmpls[i].ok &&
				       strstr(why, tmpls[i].why),
			       "template \"%s\": %s", tmpls[i].tmpl, tmpls[i].ok ? "valid" : why);
		strcpy(t.peer_host, "{name}");
		ei_identity_fqdn(&t, 2, buf, sizeof(buf));
		tap_streq(buf, "etcd-2", "template {name}: the member name is the host");
		ei_identity_peer_url(&t, 0, buf, sizeof(buf));
		tap_streq(buf, "http://etcd-0:2380", "template {name}: peer URL");
		tap_ok(ei_identity_ordinal_of_host(&t, "etcd-12", &ord) && ord == 12,
		       "template {name}: ordinal of etcd-12");
		tap_ok(!ei_identity_ordinal_of_host(&t, "etcd-1.etcd-svc.prod.svc.cluster.local", &ord),
		       "template {name}: the StatefulSet's host is not ours");
		tap_ok(!ei_identity_ordinal_of_host(&t, "etcdx-1", &ord) &&
			       !ei_identity_ordinal_of_host(&t, "etcd-01", &ord),
		       "template {name}: another set, a leading zero");
		strcpy(t.peer_host, "db-{name}.example");
		ei_identity_fqdn(&t, 3, buf, sizeof(buf));
		tap_streq(buf, "db-etcd-3.example", "template with a prefix and a suffix");
		tap_ok(ei_identity_ordinal_of_host(&t, "db-etcd-3.example", &ord) && ord == 3 &&
			       !ei_identity_ordinal_of_host(&t, "etcd-3.example", &ord) &&
			       !ei_identity_ordinal_of_host(&t, "db-etcd-3.other", &ord),
		       "template with a prefix and a suffix: ordinal, and what is not ours");
	}

	tap_ok(ei_url_host("http://etcd-0.x:2380", buf, sizeof(buf)) && strcmp(buf, "etcd-0.x") == 0,
	       "host of a URL");
	tap_ok(ei_url_host("https://[fd00::1]:2380", buf, sizeof(buf)) && strcmp(buf, "fd00::1") == 0,
	       "host of an IPv6 URL");
	tap_ok(ei_url_host("http://10.0.0.1", buf, sizeof(buf)) && strcmp(buf, "10.0.0.1") == 0,
	       "host of a URL without port");
	tap_ok(!ei_url_host("etcd-0:2380", buf, sizeof(buf)), "no scheme is not a URL");
	tap_ok(!ei_url_host("http://:2380", buf, sizeof(buf)), "empty host");
	tap_ok(!ei_url_host("ftp://etcd-0:2380", buf, sizeof(buf)), "not http(s)");
	{
		char scheme[8];
		unsigned port = 1;

		tap_ok(ei_url_parts("https://etcd-0.etcd:2380", scheme, sizeof(scheme), buf, sizeof(buf),
				    &port) && !strcmp(scheme, "https") && !strcmp(buf, "etcd-0.etcd") &&
			       port == 2380,
		       "parts of a URL: scheme, host, port");
		tap_ok(ei_url_parts("http://10.0.0.1", scheme, sizeof(scheme), buf, sizeof(buf), &port) &&
			       port == 0,
		       "parts of a URL without port: port 0");
		tap_ok(!ei_url_parts("http://h:99999", scheme, sizeof(scheme), buf, sizeof(buf), &port),
		       "a port out of range is refused");
	}
	{
		static const struct {
			const char *addr, *why;
		} addrs[] = {
			{ "10.0.0.1", NULL },        { "192.168.1.9", NULL },
			{ "127.0.0.1", "loopback" }, { "127.9.9.9", "loopback" },
			{ "0.0.0.0", "unspecified" }, { "169.254.1.2", "link-local" },
			{ "224.0.0.1", "multicast" }, { "255.255.255.255", "broadcast" },
			{ "fd00::1", NULL },         { "::1", "loopback" },
			{ "::", "unspecified" },     { "fe80::1", "link-local" },
			{ "ff02::1", "multicast" },  { "::ffff:127.0.0.1", "loopback" },
			{ "::ffff:10.0.0.1", NULL }, { "etcd-0", "not an IP address" },
		};

		for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
			const char *why = ei_addr_not_peer(addrs[i].addr);

			tap_ok(addrs[i].why ? why && !strcmp(why, addrs[i].why) : why == NULL,
			       "address %s: %s", addrs[i].addr, addrs[i].why ? addrs[i].why : "a peer's");
		}
	}
	test_set_host();
	return tap_done();
}
