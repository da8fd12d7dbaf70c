/* steps.c - the one membership step of a round (see steps.h).
 *
 * Every step is a sequence of facts the decision reads back, so that a launcher killed
 * between any two of them finishes the job on its next start (README.md, "Every step
 * survives a crash"); the failpoints (failpoint.h) mark those places. */
#include "steps.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "cluster.h"
#include "failpoint.h"
#include "log.h"

/* Adds refused as "unhealthy cluster" asked again at short polls before backing off. */
#define UNHEALTHY_SHORT_POLLS 40

/* Remember who refused a membership change as "unhealthy cluster" (that member's own view
 * of its links to the voters), so that the next round asks another voter (plan.c). */
static void note_refusal(struct ei_steps *s, const struct ei_plan *plan, enum ei_etcd_failure failure)
{
	s->via_refused_id = failure == EI_ETCD_FAIL_UNHEALTHY ? plan->via_id : 0;
}

/* What to do when etcd's gateway refuses our client certificate's CommonName (auth
 * on: server/embed/serve.go accessController.ServeHTTP) and etcdclient.c could not ask
 * over gRPC instead. */
static const char gateway_cn_advice[] = "etcd auth is enabled and etcd's JSON gateway refuses a client certificate that has a CommonName; etcd-init asks over gRPC then, but this libcurl has no HTTP/2: use a libcurl with HTTP/2, or give etcd-init a client certificate without a CN (ETCDCTL_CERT, ETCDCTL_KEY) and root's password (--auth-user root, --auth-password-file)";

/* A membership change refused for auth reasons (failure, from the classified answer):
 * for good (exit 4), saying what to set. */
static int auth_failed(struct ei_steps *s, enum ei_etcd_failure failure, struct ei_err *err)
{
	const struct ei_config *cfg = s->cfg;

	if (failure == EI_ETCD_FAIL_CN_REFUSED)
		return ei_err_set(err, EI_E_CLUSTER, "%s: %s", s->pace->last_wait, gateway_cn_advice);
	if (!cfg->auth_user[0])
		return ei_err_set(err, EI_E_CLUSTER,
				  "%s: etcd auth is enabled in this cluster and membership changes need root: set --auth-user root and --auth-password-file (or ETCDCTL_USER and ETCDCTL_PASSWORD), or, when etcd runs with --client-cert-auth, give etcd-init a client certificate whose CommonName is an etcd user with the root role (ETCDCTL_CERT, ETCDCTL_KEY)",
				  s->pace->last_wait);
	return ei_err_set(err, EI_E_CLUSTER,
			  "%s: user %s may not change the membership (it needs the root role)",
			  s->pace->last_wait, cfg->auth_user);
}

/* A wait that cannot end, read from the classified answers: the members refuse their
 * member list to a client without credentials (auth enabled, etcd >= 3.4.42/3.5.28/
 * 3.6.9) and none are configured, or the gateway refuses our certificate's CN and
 * gRPC could not be used. */
int ei_steps_check_auth_missing(const struct ei_config *cfg, const struct ei_facts *f,
				struct ei_err *err)
{
	for (size_t i = 0; i < f->n_peers; i++) {
		const struct ei_answer *a = &f->peers[i].list;

		if (a->outcome != EI_OUTCOME_HTTP_ERROR)
			continue;
		if (a->failure == EI_ETCD_FAIL_CN_REFUSED)
			return ei_err_set(err, EI_E_CLUSTER, "%s: %s: %s", f->peers[i].host,
					  a->detail, gateway_cn_advice);
		if (a->failure == EI_ETCD_FAIL_NO_CREDENTIALS && !cfg->auth_user[0])
			return ei_err_set(err, EI_E_CLUSTER,
					  "%s refuses its member list without credentials (%s): etcd auth is enabled in this cluster: set --auth-user root and --auth-password-file (or ETCDCTL_USER and ETCDCTL_PASSWORD)",
					  f->peers[i].host, a->detail);
	}
	return 0;
}

int ei_step_rejoin(struct ei_steps *s, const struct ei_facts *f, struct ei_err *err)
{
	const struct ei_config *cfg = s->cfg;
	int rc;

	rc = ei_datadir_move_removed(cfg->data_dir, ei_datadir_wal_dir(cfg->wal_dir),
				     f->datadir.member_id, "rejoin.before-move", "old data moved aside",
				     err);
	if (rc < 0)
		return rc;
	ei_failpoint("rejoin.after-move");
	return 0;
}

/* REPLACE: remove the member that was us; the next round adds us again. */
int ei_step_replace(struct ei_steps *s, const struct ei_plan *plan, struct ei_err *err)
{
	struct ei_etcd_result res = { 0 };
	int rc;

	if (!plan->via_url[0]) {
		snprintf(s->pace->last_wait, sizeof(s->pace->last_wait),
			 "no started voter answered to remove member %" PRIx64 " through", plan->remove_id);
		return ei_pace_backoff(s->pace, s->pace->last_wait, err);
	}
	ei_log_info("removing our old member (data lost)", "member=%" PRIx64 " via=%s",
		    plan->remove_id, plan->via_url);
	ei_failpoint("replace.before-remove");
	rc = ei_etcd_member_remove(s->client, plan->via_url, plan->via_pin, plan->remove_id,
				   &res, err);
	if (rc == 0 || res.failure == EI_ETCD_FAIL_NOT_FOUND) {
		s->via_refused_id = 0;
		ei_log_info("old member removed", "member=%" PRIx64, plan->remove_id);
		ei_failpoint("replace.after-remove");
		/* A re-add of the same peer URL within the same second gets the removed ID
		 * back and fails (its ID is computed from the peer URLs and the time in seconds:
		 * server/etcdserver/api/membership/member.go computeMemberID). */
		return ei_loop_sleep(s->loop, 1100, err);
	}
	if (rc == EI_E_SIGNAL)
		return rc;
	note_refusal(s, plan, res.failure);
	snprintf(s->pace->last_wait, sizeof(s->pace->last_wait), "remove of member %" PRIx64 " failed: %s (%s)",
		 plan->remove_id, res.message, ei_etcd_failure_name(res.failure));
	ei_log_warn("remove failed, retrying", "member=%" PRIx64 " reason=%s message=%s",
		    plan->remove_id, ei_etcd_failure_name(res.failure), res.message);
	if (ei_etcd_failure_is_auth(res.failure))
		return auth_failed(s, res.failure, err);
	return ei_pace_backoff(s->pace, s->pace->last_wait, err);
}

/* The add succeeded: the plan gets the --initial-cluster of the list etcd returned
 * and our new member as self. Frees added and after. Returns 1, or EI_E_NOMEM. */
static int joined(struct ei_plan *plan, const struct ei_config *cfg, struct ei_member *added,
		  struct ei_member_list *after, struct ei_err *err)
{
	ei_log_info("member added", "member=%" PRIx64 " members=%zu", added->id, after->n_members);
	ei_failpoint("join.after-add");
	free(plan->initial_cluster);
	plan->initial_cluster = ei_cluster_existing_initial(cfg, after);
	if (plan->self_listed)
		ei_member_free(&plan->self);
	plan->self_listed = ei_member_copy(&plan->self, added, err) == 0;
	ei_member_free(added);
	ei_member_list_free(after);
	if (!plan->initial_cluster || !plan->self_listed)
		return ei_err_set(err, EI_E_NOMEM, "out of memory");
	return 1;
}

/* The add was refused or failed (res): wait as the failure says. Returns 0 to decide
 * again, or an error. */
static int join_refused(struct ei_steps *s, const struct ei_plan *plan,
			const struct ei_etcd_result *res, struct ei_err *err)
{
	const char *failure = ei_etcd_failure_name(res->failure);

	note_refusal(s, plan, res->failure);
	snprintf(s->pace->last_wait, sizeof(s->pace->last_wait), "member add failed: %s (%s)", res->message, failure);
	if (res->failure == EI_ETCD_FAIL_PEER_EXISTS) {
		/* An earlier start of ours added it, and the list we read was older than
		 * that: decide again (after a pause, so a lagging list cannot spin us). */
		ei_log_info("our peer URL is already a member; deciding again", NULL);
		return ei_loop_sleep(s->loop, 500, err);
	}
	if (ei_etcd_failure_is_auth(res->failure))
		return auth_failed(s, res->failure, err);
	if (res->failure == EI_ETCD_FAIL_TOO_MANY_LEARNERS) {
		/* etcd takes one learner at a time: the slot frees when its promoter promotes
		 * it, and the next joiner goes then, not a backoff later. */
		if (!s->learner_slot_waits++)
			ei_log_info("another learner is catching up; asking again every 150-250 ms until it is promoted", "message=%s", res->message);
		return ei_pace_short_poll(s->pace, s->pace->last_wait, err);
	}
	/* The first refusal and every tenth of a run of them: a member just started is
	 * refused for seconds, which the short polls below would otherwise log 5 times a
	 * second. */
	ei_log(res->failure != EI_ETCD_FAIL_UNHEALTHY || s->unhealthy_refusals % 10 == 0
		       ? EI_LOG_WARN
		       : EI_LOG_DEBUG,
	       "member add failed, retrying", "reason=%s message=%s refusals=%u", failure,
	       res->message, s->unhealthy_refusals + 1);
	/* etcd refuses a change through a member that has not been connected to its peers
	 * for 5 s (a member just started or restarted): that passes within seconds, and a
	 * refusal costs etcd nothing, so the first few seconds of them are asked again
	 * soon (through the next voter, note_refusal); a refusal that lasts backs off. */
	if (res->failure == EI_ETCD_FAIL_UNHEALTHY && s->unhealthy_refusals++ < UNHEALTHY_SHORT_POLLS)
		return ei_pace_short_poll(s->pace, s->pace->last_wait, err);
	return ei_pace_backoff(s->pace, s->pace->last_wait, err);
}

int ei_step_join(struct ei_steps *s, struct ei_plan *plan, struct ei_err *err)
{
	const struct ei_config *cfg = s->cfg;
	struct ei_member added = { 0 };
	struct ei_member_list after = { 0 };
	struct ei_etcd_result res = { 0 };
	char peer_url[EI_URL_MAX];
	int rc;

	if (!plan->via_url[0]) {
		snprintf(s->pace->last_wait, sizeof(s->pace->last_wait), "no started voter answered to add ourselves through");
		rc = ei_pace_backoff(s->pace, s->pace->last_wait, err);
		return rc < 0 ? rc : 0;
	}
	ei_identity_peer_url(&cfg->id, cfg->id.ordinal, peer_url, sizeof(peer_url));
	ei_log_info("adding ourselves to the cluster", "peer_url=%s learner=%s via=%s", peer_url,
		    plan->add_as_learner ? "true" : "false", plan->via_url);
	ei_failpoint("join.before-add");
	rc = ei_etcd_member_add(s->client, plan->via_url, plan->via_pin, peer_url,
				plan->add_as_learner, &added, &after, &res, err);
	if (rc == 0)
		return joined(plan, cfg, &added, &after, err);
	ei_member_free(&added);
	ei_member_list_free(&after);
	if (rc == EI_E_SIGNAL)
		return rc;
	rc = join_refused(s, plan, &res, err);
	return rc < 0 ? rc : 0;
}
