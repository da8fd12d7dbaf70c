/* preflight.c - which certificates are checked, against what (see preflight.h). */
#include "preflight.h"

#include <string.h>
#include <time.h>

#include "identity.h"
#include "log.h"
#include "tlsconf.h"

#define MAX_NAMES 12

struct names {
	char buf[MAX_NAMES][EI_DOMAIN_MAX + 1];
	const char *list[MAX_NAMES];
	size_t n;
};

static void add_name(struct names *n, const char *name)
{
	if (!*name || n->n == MAX_NAMES)
		return;
	for (size_t i = 0; i < n->n; i++)
		if (strcmp(n->list[i], name) == 0)
			return;
	snprintf(n->buf[n->n], sizeof(n->buf[0]), "%s", name);
	n->list[n->n] = n->buf[n->n];
	n->n++;
}

/* The canonical FQDN and the official manifest's <pod>.<service> (with --peer-host,
 * the one host it makes). */
static void add_own_names(struct names *n, const struct ei_config *cfg)
{
	char name[EI_DOMAIN_MAX + 1];

	ei_identity_fqdn(&cfg->id, cfg->id.ordinal, name, sizeof(name));
	add_name(n, name);
	if (cfg->id.peer_host[0])
		return;
	snprintf(name, sizeof(name), "%s.%s", cfg->name, cfg->id.service);
	add_name(n, name);
}

/* The hosts of a comma-separated URL list the user set ("" or NULL: none). */
static void add_url_hosts(struct names *n, const char *urls)
{
	char url[EI_URL_MAX], host[EI_DOMAIN_MAX + 1];

	while (urls && *urls) {
		size_t len = strcspn(urls, ",");

		if (len < sizeof(url)) {
			memcpy(url, urls, len);
			url[len] = '\0';
			if (ei_url_host(url, host, sizeof(host)))
				add_name(n, host);
		}
		urls += len;
		if (*urls == ',')
			urls++;
	}
}

int ei_preflight_run(const struct ei_config *cfg, char **envp, time_t now,
		     struct ei_tls_report *out, struct ei_err *err)
{
	const struct ei_tls_conf *t = &cfg->tls;
	const char *gateway_why = "etcd's gateway dials etcd with the server certificate as its client certificate when client certificates are required";
	int r = 0;

	if (t->client_tls) {
		struct names client = { 0 };
		const char *adv = ei_tlsconf_arg_value(cfg->etcd_args, cfg->n_etcd_args,
						       "advertise-client-urls", false);
		struct ei_tls_pair server = {
			.what = "server certificate",
			.cert_file = t->server.cert, .cert_setting = t->server.cert_from,
			.key_file = t->server.key, .key_setting = t->server.key_from,
			/* The CA that etcd-init and etcdctl verify the server with. */
			.ca_file = t->launcher.ca, .ca_setting = t->launcher.ca_from,
			.need_server_auth = true,
			.need_client_auth = t->client_cert_auth,
			.server_auth_why = "clients verify the member with it",
			.client_auth_why = gateway_why,
		};

		add_own_names(&client, cfg);
		add_url_hosts(&client, adv ? adv : ei_env_get(envp, "ETCD_ADVERTISE_CLIENT_URLS"));
		server.names = client.list;
		server.n_names = client.n;
		r = ei_tlscheck_pair(&server, now, cfg->cert_warn_days, out, err);
		/* With client certificates required, etcd verifies its gateway's client
		 * certificate (the server certificate) against ETCD_TRUSTED_CA_FILE. */
		if (r == 0 && t->client_cert_auth && strcmp(t->launcher.ca, t->server.ca) != 0) {
			struct ei_tls_pair as_client = {
				.what = "server certificate (as the gateway's client certificate)",
				.cert_file = t->server.cert, .cert_setting = t->server.cert_from,
				.ca_file = t->server.ca, .ca_setting = t->server.ca_from,
			};

			r = ei_tlscheck_pair(&as_client, now, cfg->cert_warn_days, out, err);
		}
		if (r == 0 && strcmp(t->launcher.cert, t->server.cert) != 0) {
			struct ei_tls_pair own = {
				.what = "client certificate of etcd-init",
				.cert_file = t->launcher.cert, .cert_setting = t->launcher.cert_from,
				.key_file = t->launcher.key, .key_setting = t->launcher.key_from,
				.ca_file = t->client_cert_auth && t->server.ca[0] ? t->server.ca : NULL,
				.ca_setting = t->server.ca_from,
				.need_client_auth = true,
				.client_auth_why = "etcd-init presents it to the members",
			};

			r = ei_tlscheck_pair(&own, now, cfg->cert_warn_days, out, err);
		}
	}
	if (r == 0 && t->peer_tls) {
		struct names peer = { 0 };
		struct ei_tls_pair p = {
			.what = "peer certificate",
			.cert_file = t->peer.cert, .cert_setting = t->peer.cert_from,
			.key_file = t->peer.key, .key_setting = t->peer.key_from,
			.ca_file = t->peer.ca, .ca_setting = t->peer.ca_from,
			.need_server_auth = true,
			.need_client_auth = true,
			.server_auth_why = "the peers verify this member with it",
			.client_auth_why = "etcd peers dial each other with the peer certificate, and etcd-init fetches the peers' status with it",
		};

		add_own_names(&peer, cfg);
		p.names = peer.list;
		p.n_names = peer.n;
		r = ei_tlscheck_pair(&p, now, cfg->cert_warn_days, out, err);
	}
	return r;
}

int ei_preflight_check(const struct ei_config *cfg, char **envp, struct ei_err *err)
{
	struct ei_tls_report rep = { 0 };
	size_t failed = 0;
	int rc;

	rc = ei_preflight_run(cfg, envp, time(NULL), &rep, err);
	for (size_t i = 0; rc == 0 && i < rep.n; i++) {
		const struct ei_tls_finding *f = &rep.findings[i];

		if (f->level == EI_TLS_FAIL)
			failed++;
		ei_log(f->level == EI_TLS_FAIL   ? EI_LOG_ERROR
		       : f->level == EI_TLS_WARN ? EI_LOG_WARN
						 : EI_LOG_DEBUG,
		       "certificate check", "check=%s result=%s detail=%s", f->check,
		       ei_tls_level_name(f->level), f->message);
	}
	if (rc == 0 && failed) {
		for (size_t i = 0; i < rep.n; i++) {
			if (rep.findings[i].level == EI_TLS_FAIL) {
				rc = ei_err_set(err, EI_E_USAGE,
						"certificate pre-flight: %zu check%s failed, nothing was done; the first: %s",
						failed, failed > 1 ? "s" : "", rep.findings[i].message);
				break;
			}
		}
	} else if (rc == 0 && rep.n) {
		ei_log_info("certificate pre-flight passed", "checks=%zu", rep.n);
	}
	ei_tls_report_free(&rep);
	return rc;
}
