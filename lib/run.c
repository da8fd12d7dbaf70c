/* run.c - gather, decide, act, exec (see run.h).
 *
 * Every action is a sequence of facts the decision reads back, so the loop makes at
 * most one membership change per round and then decides again from fresh facts:
 * a launcher killed between any two steps finishes the job on its next start
 * (README.md, "Every step survives a crash"). Every step is logged before it is
 * taken. While it waits, the status server (server.h) tells the peers what this pod
 * has and decides, and it is closed before etcd is exec'd. */
#include "run.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "ei-version.h"
#include "exec.h"
#include "failpoint.h"
#include "flags.h"
#include "forcereq.h"
#include "gather.h"
#include "log.h"
#include "pace.h"
#include "plan.h"
#include "preflight.h"
#include "promote.h"
#include "report.h"
#include "server.h"
#include "steps.h"
#include "status.h"

/* Members that bootstrap start this far apart, by ordinal (exec_plan). */
#define BOOTSTRAP_STAGGER_MS 25u
/* A line repeated while nothing changes is said every 20 s. */
#define UNCHANGED_LOG_EVERY_MS 20000u

struct run {
	const struct ei_config *cfg;
	struct ei_loop *loop;
	char **envp;
	struct ei_gather g;
	struct ei_server *server;       /* NULL when the peer port could not be bound */
	struct ei_server *probes;       /* the metrics port's probes; NULL when not ours */
	struct ei_init_status status;   /* what the server says */
	struct ei_pace pace;            /* its last_wait: the reason of the last wait */
	struct ei_steps steps;          /* the membership steps (steps.h) */
	char last_alert[1024];
	char last_notice[1024];
	uint64_t decision_logged_ms;    /* when an unchanged decision was last logged */
	uint64_t dns_wait_logged_ms;    /* when the wait for our own name was last logged */
	enum ei_action confirming;      /* a decision being confirmed (plan.h confirm_ms) */
	char confirming_reason[1536];   /* and its reason */
	uint64_t confirming_since_ms;   /* when the look that first decided it was made */
};

/* A decision that wants confirming (plan.h confirm_ms) is acted on when the look made
 * confirm_ms after the one that first decided it decides the same action for the same
 * reason; a look that decides anything else starts it over. Until then the decision is a wait that says what
 * it would do, and returns how long to sleep before that next look (0: act now). */
static int hold_until_confirmed(struct run *r, struct ei_plan *plan)
{
	uint64_t now = ei_clock_ms();
	char reason[sizeof(plan->reason)];

	if (!plan->confirm_ms) {
		r->confirming = EI_ACT_WAIT;
		return 0;
	}
	if (r->confirming != plan->action || strcmp(r->confirming_reason, plan->reason) != 0) {
		r->confirming = plan->action;
		snprintf(r->confirming_reason, sizeof(r->confirming_reason), "%s", plan->reason);
		r->confirming_since_ms = now;
	}
	if (now - r->confirming_since_ms >= plan->confirm_ms)
		return 0;
	snprintf(reason, sizeof(reason), "%s if a look in %u ms says the same: %s",
		 ei_action_name(plan->action), plan->confirm_ms, plan->reason);
	snprintf(plan->reason, sizeof(plan->reason), "%s", reason);
	plan->action = EI_ACT_WAIT;
	return (int)(r->confirming_since_ms + plan->confirm_ms - now);
}

/* What the peers that asked our status said of themselves, into the facts. */
static int note_claims(struct run *r, struct ei_facts *f, struct ei_err *err)
{
	if (!r->server)
		return 0;
	f->claims = calloc(EI_MAX_PEERS, sizeof(*f->claims));
	if (!f->claims)
		return ei_err_set(err, EI_E_NOMEM, "out of memory");
	f->n_claims = ei_server_claims(r->server, f->claims, EI_MAX_PEERS);
	return 0;
}

/* Whether a line repeated while nothing changes is due (first time, then every 20 s). */
static bool repeat_due(uint64_t *last_ms)
{
	return ei_due_every(last_ms, ei_clock_ms(), UNCHANGED_LOG_EVERY_MS);
}

/* What the status server says from now on (status.h). */
static void publish_status(struct run *r, const struct ei_datadir_facts *d, const char *action,
			   const char *reason)
{
	struct ei_err err = { 0 };
	char *json;

	if (r->probes && ei_server_set_status(r->probes, reason, &err) < 0)
		ei_log_warn("cannot update the text served to the probes", "error=%s", err.msg);
	if (!r->server)
		return;
	if (d) {
		r->status.has_wal = d->has_wal;
		r->status.has_ids = d->has_wal && d->has_metadata;
		r->status.member_id = r->status.has_ids ? d->member_id : 0;
		r->status.cluster_id = r->status.has_ids ? d->cluster_id : 0;
	}
	snprintf(r->status.action, sizeof(r->status.action), "%s", action);
	snprintf(r->status.reason, sizeof(r->status.reason), "%s", reason);
	json = ei_status_to_json(&r->status);
	if (!json || ei_server_set_status(r->server, json, &err) < 0)
		ei_log_warn("cannot update the status served to peers", "error=%s",
			    json ? err.msg : "out of memory");
	free(json);
}

/* Answer the kubelet's probes on the metrics port until the exec (server.h, PROBES):
 * only when etcd-init sets etcd's metrics URL (else the port is the user's to say). */
static void start_probes(struct run *r)
{
	const struct ei_config *cfg = r->cfg;
	struct ei_err err = { 0 };

	if (!ei_flags_metrics_ours(cfg, r->envp))
		return;
	if (ei_server_start(&r->probes, r->loop, cfg->metrics_port, EI_SERVER_PROBES, NULL,
			    &err) < 0) {
		ei_log_warn("cannot answer the probes on the metrics port while waiting", "error=%s",
			    err.msg);
		return;
	}
	ei_log_info("answering probes on the metrics port while waiting", "port=%u live=%s",
		    cfg->metrics_port, EI_PROBE_LIVE_PATH);
}

/* etcd refused our credentials (a wrong password, an unknown user): that does not get
 * better by waiting, and nothing is decided without them. */
static int check_auth(struct run *r, struct ei_err *err)
{
	const char *why = ei_etcd_auth_refused(r->g.client);

	return why ? ei_err_set(err, EI_E_CLUSTER, "%s", why) : 0;
}

/* Serve our status on the peer port until the exec (server.h). */
static void start_server(struct run *r, const struct ei_datadir_facts *d)
{
	const struct ei_config *cfg = r->cfg;
	const struct ei_server_tls peer_tls = { cfg->tls.peer.cert, cfg->tls.peer.key,
						cfg->tls.peer.ca };
	struct ei_err err = { 0 };

	snprintf(r->status.version, sizeof(r->status.version), "%s", EI_VERSION);
	snprintf(r->status.name, sizeof(r->status.name), "%s", cfg->name);
	ei_identity_peer_url(&cfg->id, cfg->id.ordinal, r->status.peer_url,
			     sizeof(r->status.peer_url));
	r->status.initial_cluster_size = cfg->initial_cluster_size;
	snprintf(r->status.token, sizeof(r->status.token), "%s", cfg->token);
	start_probes(r);
	if (ei_server_start(&r->server, r->loop, cfg->id.peer_port, EI_SERVER_STATUS,
			    cfg->tls.peer_tls ? &peer_tls : NULL, &err) < 0) {
		/* Our own decisions do not need it; our peers will wait for us (unknown is
		 * never "no"), and etcd would fail to bind a port that is really taken. */
		ei_log_warn("cannot serve the etcd-init status to the peers; they will wait for us",
			    "error=%s", err.msg);
		return;
	}
	ei_log_info("serving the etcd-init status on the peer port", "port=%u path=%s scheme=%s",
		    cfg->id.peer_port, EI_STATUS_PATH, cfg->id.peer_scheme);
	publish_status(r, d, "wait", "starting: looking up our own name");
}

static void stop_server(struct run *r)
{
	if (r->probes) {
		ei_log_debug("probe answers stopped", "requests=%lu", ei_server_requests(r->probes));
		ei_server_stop(r->probes);
		r->probes = NULL;
	}
	if (!r->server)
		return;
	ei_log_debug("status server closed", "requests=%lu", ei_server_requests(r->server));
	ei_server_stop(r->server);
	r->server = NULL;
}

/* Wait until our own name resolves to one of this pod's addresses: peers reach us
 * by that name, and etcd checks it too (pkg/netutil/netutil.go resolveURL, called
 * from urlsEqual when --initial-cluster is compared with the advertised URLs). */
static int wait_own_name(struct run *r, struct ei_err *err)
{
	unsigned attempt = 0;
	int rc;

	for (;;) {
		rc = ei_gather_own_name(&r->g, err);
		if (rc < 0)
			return rc;
		if (r->g.own_ok) {
			ei_log_info("own name resolves to this pod", "name=%s address=%s",
				    r->g.own.name, r->g.own.addrs[0]);
			ei_pace_reset(&r->pace);
			return 0;
		}
		attempt++;
		if (r->g.own.status == EI_DNS_FOUND)
			snprintf(r->pace.last_wait, sizeof(r->pace.last_wait),
				 "own name %s resolves to %s, not to one of this pod's addresses (%s)",
				 r->g.own.name, r->g.own.addrs[0], r->g.own_addrs);
		else
			snprintf(r->pace.last_wait, sizeof(r->pace.last_wait), "own name %s does not resolve (%s)",
				 r->g.own.name, ei_dns_status_name(r->g.own.status));
		if (repeat_due(&r->dns_wait_logged_ms))
			ei_log_info("waiting for DNS", "what=%s attempt=%u", r->pace.last_wait, attempt);
		rc = ei_pace_wait(&r->pace, r->pace.last_wait, err);
		if (rc < 0)
			return rc;
	}
}

/* Wait until every host of --initial-cluster resolves: etcd gives up after 30 s. */
static int wait_initial_cluster_resolves(struct run *r, const char *initial_cluster,
					 struct ei_err *err)
{
	char missing[EI_DNS_NAME_MAX];
	int rc;

	ei_pace_reset(&r->pace);
	for (;;) {
		rc = ei_gather_check_resolvable(&r->g, initial_cluster, missing, sizeof(missing), err);
		if (rc < 0)
			return rc;
		if (!missing[0])
			return 0;
		snprintf(r->pace.last_wait, sizeof(r->pace.last_wait),
			 "%s of --initial-cluster does not resolve", missing);
		if (repeat_due(&r->dns_wait_logged_ms))
			ei_log_info("waiting for DNS", "what=%s", r->pace.last_wait);
		rc = ei_pace_wait(&r->pace, r->pace.last_wait, err);
		if (rc < 0)
			return rc;
	}
}

#define MAX_PROMOTER_ENDPOINTS EI_MAX_PEERS

/* Client URLs (and pins) of the peers that answered, for the promoter. */
static size_t other_client_urls(const struct ei_facts *f, char (*urls)[EI_URL_MAX],
				char (*pins)[EI_PIN_MAX], size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < f->n_peers && n < max; i++) {
		const struct ei_peer *p = &f->peers[i];

		if (!p->client_pin[0] || p->not_peer[0])
			continue;
		snprintf(urls[n], EI_URL_MAX, "%s", p->client_url);
		snprintf(pins[n], EI_PIN_MAX, "%s", p->client_pin);
		n++;
	}
	return n;
}

/* What comes before etcd's command line: its binary, every host of --initial-cluster
 * resolving, and the bootstrap stagger. Fills cmd (ei_flags_free). */
static int build_command(struct run *r, const struct ei_plan *plan, struct ei_etcd_command *cmd,
			 struct ei_err *err)
{
	const struct ei_config *cfg = r->cfg;
	char etcd_path[4096];
	int rc;

	rc = ei_exec_find_etcd(cfg->etcd_bin, r->envp, etcd_path, sizeof(etcd_path), err);
	if (rc < 0)
		return rc;
	if (plan->initial_cluster) {
		rc = wait_initial_cluster_resolves(r, plan->initial_cluster, err);
		if (rc < 0)
			return rc;
	}
	/* Members that bootstrap start BOOTSTRAP_STAGGER_MS apart, by ordinal: etcd's first
	 * start asks every peer's GET /members (isMemberBootstrapped, 1 s timeout), and a
	 * peer whose etcd listens but is itself still in that step holds the question for
	 * the whole second; two pods that decided on the same event (the last record
	 * published) hit exactly that. Meanwhile our status server says "bootstrap". */
	if (plan->action == EI_ACT_BOOTSTRAP && cfg->id.ordinal) {
		rc = ei_loop_sleep(r->loop, (int)(cfg->id.ordinal * BOOTSTRAP_STAGGER_MS), err);
		if (rc < 0)
			return rc;
	}
	return ei_flags_build(cfg, plan, r->envp, etcd_path, cmd, err);
}

/* The volume as etcd is to find it, done last so that nothing in it changes when
 * anything before fails. */
static int prepare_volume(const struct ei_config *cfg, const struct ei_facts *f,
			  const struct ei_plan *plan, struct ei_err *err)
{
	int rc = 0;

	/* A first start without a WAL: mark it, so a start that fails before etcd writes
	 * its WAL is recognised by the next one; the aftercare process removes the mark as
	 * soon as etcd has written its WAL, and a later start that finds both removes it too
	 * (datadir.h). */
	if (!f->datadir.has_wal)
		rc = ei_datadir_mark_first_start(cfg->data_dir, err);
	else if (f->datadir.first_start_marker)
		rc = ei_datadir_clear_first_start(cfg->data_dir, err);
	/* The one-shot force-new-cluster request (forcereq.h) happens once: it is gone
	 * whenever etcd starts, taken or not (a request left behind would turn a later
	 * start without quorum into a second cluster). */
	if (rc == 0 && f->datadir.force_request) {
		ei_log_info(plan->force_new_cluster ? "force-new-cluster request taken: consuming it before etcd starts with it" : "force-new-cluster request not taken: dropping it as etcd starts",
			    "data_dir=%s", cfg->data_dir);
		rc = ei_forcereq_consume(cfg->data_dir, err);
	}
	return rc;
}

/* Every start: our own etcd is asked whether its member is a learner, whatever was
 * decided (a restart with no list at all included), so that no learner is left one
 * (promote.h). Returns the aftercare's pid, or an error. */
static int spawn_aftercare(struct run *r, const struct ei_facts *f, const struct ei_plan *plan,
			   struct ei_err *err)
{
	static const char loopback[1][INET6_ADDRSTRLEN] = { "127.0.0.1" };
	static char urls[MAX_PROMOTER_ENDPOINTS][EI_URL_MAX];
	static char pins[MAX_PROMOTER_ENDPOINTS][EI_PIN_MAX];
	char *url_ptrs[MAX_PROMOTER_ENDPOINTS], *pin_ptrs[MAX_PROMOTER_ENDPOINTS];
	const struct ei_config *cfg = r->cfg;
	char own_url[EI_URL_MAX], own_pin[EI_PIN_MAX + INET6_ADDRSTRLEN + 3];
	char own_host[EI_DNS_NAME_MAX];
	char addrs[EI_DNS_MAX_ADDRS + 1][INET6_ADDRSTRLEN];
	size_t n_addrs = 0;
	struct ei_aftercare work = {
		.expect_id = plan->self_listed ? plan->self.id : 0,
		.own_endpoint = own_url,
		.own_pin = own_pin,
		.endpoints = url_ptrs,
		.pins = pin_ptrs,
		.n_endpoints = other_client_urls(f, urls, pins, MAX_PROMOTER_ENDPOINTS),
		.clear_marker = !f->datadir.has_wal,
	};
	int pid;

	for (size_t i = 0; i < work.n_endpoints; i++) {
		url_ptrs[i] = urls[i];
		pin_ptrs[i] = pins[i];
	}
	/* This pod's addresses, then loopback: etcd may listen on either. */
	for (size_t i = 0; i < f->n_own_addrs && n_addrs < EI_DNS_MAX_ADDRS; i++)
		memcpy(addrs[n_addrs++], f->own_addrs[i], INET6_ADDRSTRLEN);
	memcpy(addrs[n_addrs++], loopback[0], INET6_ADDRSTRLEN);
	ei_identity_client_url(&cfg->id, cfg->id.ordinal, own_url, sizeof(own_url));
	ei_identity_fqdn(&cfg->id, cfg->id.ordinal, own_host, sizeof(own_host));
	ei_http_pin(own_pin, sizeof(own_pin), own_host, cfg->id.client_port,
		    (const char(*)[INET6_ADDRSTRLEN])addrs, n_addrs);
	pid = ei_aftercare_spawn(cfg, r->loop, &work, err);
	if (pid < 0)
		return pid;
	ei_failpoint("promote.after-spawn");
	ei_log_info(plan->promote_after_start ? "learner promoter started" : "aftercare started",
		    "pid=%d member=%" PRIx64 " learner=%s", pid, work.expect_id,
		    plan->promote_after_start ? "true" : "unknown until etcd answers");
	return pid;
}

/* The command line, for the log. */
static void log_command(const struct ei_plan *plan, const struct ei_etcd_command *cmd)
{
	char line[1536];
	size_t used = 0;

	line[0] = '\0';
	for (size_t i = 0; i < cmd->argc && used < sizeof(line); i++)
		used += (size_t)snprintf(line + used, sizeof(line) - used, "%s%s", i ? " " : "",
					 cmd->argv[i]);
	ei_log_info("starting etcd", "action=%s command=%s", ei_action_name(plan->action), line);
}

/* Exec etcd with our environment but for etcd-init's own credentials: etcd needs none
 * of them, so ETCDCTL_PASSWORD and a "user:password" ETCDCTL_USER stay out of its
 * environment (/proc/<pid>/environ). Returns only on failure. */
static int exec_etcd(char **envp, const struct ei_etcd_command *cmd, struct ei_err *err)
{
	size_t n = 0;
	char **env;
	int rc;

	for (char **e = envp; e && *e; e++)
		n++;
	env = calloc(n + 1, sizeof(*env));
	if (!env)
		return ei_err_set(err, EI_E_NOMEM, "out of memory");
	n = 0;
	for (char **e = envp; e && *e; e++)
		if (strncmp(*e, "ETCDCTL_PASSWORD=", 17) != 0 &&
		    !(strncmp(*e, "ETCDCTL_USER=", 13) == 0 && strchr(*e, ':')))
			env[n++] = *e;
	rc = ei_exec_etcd(cmd->argv, env, err);
	free(env);
	return rc;
}

static int exec_plan(struct run *r, const struct ei_facts *f, struct ei_plan *plan,
		     struct ei_err *err)
{
	struct ei_etcd_command cmd = { 0 };
	pid_t promoter;
	int rc;

	rc = build_command(r, plan, &cmd, err);
	if (rc < 0)
		return rc;
	rc = prepare_volume(r->cfg, f, plan, err);
	if (rc < 0) {
		ei_flags_free(&cmd);
		return rc;
	}
	/* The peer port is etcd's from now on; and the HTTP clients (sockets, libcurl's
	 * state, curl_multi_cleanup(3)) are released before the promoter is forked and
	 * etcd exec'd, which must inherit none of them. */
	stop_server(r);
	ei_gather_destroy(&r->g);
	promoter = spawn_aftercare(r, f, plan, err);
	if (promoter < 0) {
		ei_flags_free(&cmd);
		return promoter;
	}
	log_command(plan, &cmd);
	ei_failpoint("exec.before");
	rc = exec_etcd(r->envp, &cmd, err);
	/* Only reached when the exec failed: the promoter must not outlive us. */
	if (promoter > 0)
		kill(promoter, SIGTERM);
	ei_flags_free(&cmd);
	return rc;
}

static int plan_only(struct run *r, struct ei_err *err)
{
	struct ei_facts facts;
	struct ei_plan plan;
	struct ei_etcd_command cmd = { 0 };
	char etcd_path[4096];
	bool have_cmd = false;
	struct ei_err ignored = { 0 };
	int rc;

	rc = ei_gather_own_name(&r->g, err);
	if (rc < 0)
		return rc;
	rc = ei_gather_round(&r->g, &facts, err);
	if (rc == 0)
		rc = check_auth(r, err);
	if (rc < 0) {
		ei_facts_free(&facts);
		return rc;
	}
	rc = ei_plan_decide(r->cfg, &facts, &plan, err);
	if (rc < 0) {
		ei_facts_free(&facts);
		return rc;
	}
	switch (plan.action) {
	case EI_ACT_RESTART:
	case EI_ACT_BOOTSTRAP:
	case EI_ACT_START_EXISTING:
	case EI_ACT_JOIN:
		if (ei_exec_find_etcd(r->cfg->etcd_bin, r->envp, etcd_path, sizeof(etcd_path),
				      &ignored) < 0)
			snprintf(etcd_path, sizeof(etcd_path), "%s",
				 r->cfg->etcd_bin[0] ? r->cfg->etcd_bin : "etcd");
		rc = ei_flags_build(r->cfg, &plan, r->envp, etcd_path, &cmd, err);
		have_cmd = rc == 0;
		break;
	case EI_ACT_REJOIN:
	case EI_ACT_REFUSE:
	case EI_ACT_REPLACE:
	case EI_ACT_WAIT:
	default:
		rc = 0;
		break;
	}
	if (rc == 0)
		ei_report_print(stdout, r->cfg, &r->g, &facts, &plan, have_cmd ? &cmd : NULL);
	ei_flags_free(&cmd);
	ei_plan_free(&plan);
	ei_facts_free(&facts);
	return rc;
}

/* Before any network call: the data dir must be usable and mean what it seems. */
static int check_datadir(struct run *r, struct ei_datadir_facts *d, struct ei_err *err)
{
	const struct ei_config *cfg = r->cfg;
	struct ei_plan plan = { 0 };
	int rc;

	rc = ei_datadir_inspect(cfg->data_dir, ei_datadir_wal_dir(cfg->wal_dir), d, err);
	if (rc < 0)
		return rc;
	if (ei_plan_refuse_datadir(cfg, d, &plan)) {
		ei_log_info("decision", "action=%s round=0 reason=%s", ei_action_name(plan.action),
			    plan.reason);
		return ei_err_set(err, plan.refuse_code, "%s", plan.reason);
	}
	if (!d->has_wal && d->has_snap_db && d->first_start_marker)
		ei_log_info("member/snap/db without a WAL is what a failed first start of etcd left (marked by etcd-init before it): treating the data dir as empty", "data_dir=%s", cfg->data_dir);
	return 0;
}

static void log_decision(struct run *r, const struct ei_facts *f, const struct ei_plan *plan,
			 unsigned round, bool changed)
{
	if (changed)
		r->decision_logged_ms = 0;
	if (repeat_due(&r->decision_logged_ms)) {
		if (ei_log_enabled(EI_LOG_DEBUG)) {
			for (size_t i = 0; i < f->n_peers; i++) {
				char what[640];

				ei_plan_describe_peer(r->cfg, f, &f->peers[i], what, sizeof(what));
				ei_log_debug("peer", "host=%s says=%s", f->peers[i].host, what);
			}
		}
		ei_log_info("decision", "action=%s round=%u reason=%s", ei_action_name(plan->action),
			    round, plan->reason);
	}
	if (plan->alert[0] && strcmp(plan->alert, r->last_alert) != 0)
		ei_log_error("no automatic step can restore this cluster", "detail=%s", plan->alert);
	snprintf(r->last_alert, sizeof(r->last_alert), "%s", plan->alert);
	if (plan->notice[0] && strcmp(plan->notice, r->last_notice) != 0)
		ei_log_warn("what the evidence cannot cover", "detail=%s", plan->notice);
	snprintf(r->last_notice, sizeof(r->last_notice), "%s", plan->notice);
}

/* Carry out one round's decision: a wait (held for confirmation, short, or paced), a
 * refusal, one membership step, or the exec of etcd. Returns 0 to look again. */
static int act(struct run *r, const struct ei_facts *facts, struct ei_plan *plan, bool changed,
	       int hold_ms, struct ei_err *err)
{
	int rc;

	/* A held decision sleeps until its second look, past --wait-timeout if need be:
	 * what ends the start then is the decision itself (a refusal is exit 5). */
	if (hold_ms)
		return ei_loop_sleep(r->loop, hold_ms, err);
	switch (plan->action) {
	case EI_ACT_WAIT:
		snprintf(r->pace.last_wait, sizeof(r->pace.last_wait), "%s", plan->reason);
		rc = ei_steps_check_auth_missing(r->cfg, facts, err);
		if (rc < 0)
			break;
		/* Something changed: look again soon. */
		if (changed)
			ei_pace_reset(&r->pace);
		if (plan->wait_is_short)
			rc = ei_pace_short_poll(&r->pace, plan->reason, err);
		else
			rc = ei_pace_wait(&r->pace, plan->reason, err);
		break;
	case EI_ACT_REFUSE:
		rc = ei_err_set(err, plan->refuse_code ? plan->refuse_code : EI_E_REFUSE, "%s",
				plan->reason);
		break;
	case EI_ACT_REJOIN:
		rc = ei_step_rejoin(&r->steps, facts, err);
		break;
	case EI_ACT_REPLACE:
		rc = ei_step_replace(&r->steps, plan, err);
		break;
	case EI_ACT_JOIN:
		rc = ei_step_join(&r->steps, plan, err);
		if (rc == 1)
			rc = exec_plan(r, facts, plan, err);
		break;
	case EI_ACT_RESTART:
	case EI_ACT_BOOTSTRAP:
	case EI_ACT_START_EXISTING:
	default:
		rc = exec_plan(r, facts, plan, err);
		break;
	}
	return rc;
}

static int run_loop(struct run *r, struct ei_err *err)
{
	enum ei_action last_action = EI_ACT_WAIT;
	struct ei_datadir_facts d;
	unsigned round = 0;
	char last_reason[1536] = "";
	int rc;

	rc = check_datadir(r, &d, err);
	if (rc < 0)
		return rc;
	start_server(r, &d);
	r->g.claims = true; /* our status questions say what we are (status.h) */
	rc = wait_own_name(r, err);
	if (rc < 0)
		return rc;
	for (;;) {
		struct ei_facts facts;
		struct ei_plan plan;
		bool changed;
		int hold_ms;

		round++;
		rc = ei_gather_round(&r->g, &facts, err);
		facts.via_refused_id = r->steps.via_refused_id;
		if (rc == 0)
			rc = note_claims(r, &facts, err);
		if (rc == 0)
			rc = check_auth(r, err);
		if (rc == 0)
			rc = ei_plan_decide(r->cfg, &facts, &plan, err);
		if (rc < 0) {
			ei_facts_free(&facts);
			return rc;
		}
		hold_ms = hold_until_confirmed(r, &plan);
		changed = plan.action != last_action || strcmp(plan.reason, last_reason) != 0 ||
			  round == 1;
		log_decision(r, &facts, &plan, round, changed);
		publish_status(r, &facts.datadir, ei_action_name(plan.action), plan.reason);
		last_action = plan.action;
		snprintf(last_reason, sizeof(last_reason), "%s", plan.reason);
		rc = act(r, &facts, &plan, changed, hold_ms, err);
		ei_plan_free(&plan);
		ei_facts_free(&facts);
		if (rc < 0)
			return rc;
	}
}

/* What run and plan share: the flag overrides and certificate checks, the deadline,
 * the gatherer; then body (run_loop or plan_only). */
static int run_with(const struct ei_config *cfg, struct ei_loop *loop, char **envp,
		    int (*body)(struct run *r, struct ei_err *err), struct ei_err *err)
{
	struct run r = { .cfg = cfg, .loop = loop, .envp = envp, .confirming = EI_ACT_WAIT };
	int rc;

	rc = ei_flags_check_overrides(cfg, envp, err);
	if (rc == 0)
		rc = ei_preflight_check(cfg, envp, err);
	if (rc < 0)
		return rc;
	ei_pace_init(&r.pace, cfg, loop);
	r.steps = (struct ei_steps){ .cfg = cfg, .loop = loop, .pace = &r.pace };
	rc = ei_gather_init(&r.g, cfg, loop, err);
	if (rc < 0)
		return rc;
	r.steps.client = r.g.change_client;
	rc = body(&r, err);
	stop_server(&r);
	ei_gather_destroy(&r.g);
	return rc;
}

int ei_run(const struct ei_config *cfg, struct ei_loop *loop, char **envp, struct ei_err *err)
{
	return run_with(cfg, loop, envp, run_loop, err);
}

int ei_run_plan(const struct ei_config *cfg, struct ei_loop *loop, char **envp,
		struct ei_err *err)
{
	return run_with(cfg, loop, envp, plan_only, err);
}
