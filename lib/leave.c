/* leave.c - `etcd-init leave` (see leave.h): the preStop hook of a terminating pod,
 * run while its etcd still runs.
 *
 * A round: the desired replica count (--replicas, else the Kubernetes API), and, when
 * this pod is scaled away, the facts of run's rounds (gather.h) plus our own etcd's
 * answers (gather never asks this pod; here our etcd is a member like the others) and
 * the leader; leaveplan.c decides. A blocked removal (a learner, quorum at risk, no
 * current list) is decided again every round until a bounded deadline, then given up
 * with EI_E_UNDECIDED. One membership change at most, logged before it is made; the
 * data moves aside (one rename, never deleted) only once the removal succeeded or a
 * trusted list shows the member gone. Killed between the two (etcd exits once it
 * applies its own removal, and the kernel kills every process of its PID namespace
 * with it), the next start finds the WAL of a removed member and moves it aside
 * itself (run's rejoin). */
#include "leave.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "datadir.h"
#include "failpoint.h"
#include "gather.h"
#include "leaveplan.h"
#include "log.h"

/* Rounds back off from 200 ms to 2 s. */
#define BACKOFF_FIRST_MS 200
#define BACKOFF_MAX_MS	 2000
/* A preStop hook runs inside the pod's termination grace period (30 s unless the
 * manifest says otherwise), and the kubelet kills the container when it ends: waiting
 * longer than that achieves nothing, and the default --wait-timeout (600 s) is meant
 * for a start. So leave waits at most --wait-timeout, and never more than this. */
#define LEAVE_MAX_WAIT_S 60u

struct leave {
	const struct ei_config *cfg;
	struct ei_loop *loop;
	struct ei_gather g;
	unsigned wait_s;
	uint64_t deadline;
	struct ei_backoff backoff;
	bool gathering; /* g is set up */
};

/* The desired replica count of our StatefulSet (ei_gather_replicas: --replicas, else the
 * Kubernetes API; one request a round). Its failure is "unknown", and why says how to
 * fix it. */
static int get_replicas(struct leave *l, long *replicas, char *why, size_t len, struct ei_err *err)
{
	enum ei_replicas_source source;
	int r;

	r = ei_gather_replicas(l->cfg, l->loop, &source, replicas, why, len, err);
	if (r == 0 && source == EI_REPLICAS_NONE)
		snprintf(why, len, "%s", "KUBERNETES_SERVICE_HOST is not set and --replicas was not given: run leave as the pod's preStop hook, where Kubernetes sets it, or pass --replicas N");
	return r;
}

/* Our own etcd, asked its questions like any peer: at this pod's addresses under our
 * canonical names. Appended to the facts (their peer array has room for EI_MAX_PEERS).
 * Returns 1 when it was appended, 0 when it could not be asked, or an error. */
static int survey_self(struct leave *l, struct ei_facts *f, struct ei_err *err)
{
	const struct ei_config *cfg = l->cfg;
	const struct ei_identity *id = &cfg->id;
	struct ei_peer *p;
	int r;

	if (f->n_peers >= EI_MAX_PEERS || !f->n_own_addrs)
		return 0;
	p = &f->peers[f->n_peers];
	memset(p, 0, sizeof(*p));
	ei_identity_fqdn(id, id->ordinal, p->host, sizeof(p->host));
	p->ordinal = (int)id->ordinal;
	p->initial = id->ordinal < cfg->initial_cluster_size;
	p->dns = EI_DNS_FOUND;
	p->n_addrs = f->n_own_addrs < EI_DNS_MAX_ADDRS ? f->n_own_addrs : EI_DNS_MAX_ADDRS;
	memcpy(p->addrs, f->own_addrs, p->n_addrs * sizeof(p->addrs[0]));
	ei_identity_client_url(id, id->ordinal, p->client_url, sizeof(p->client_url));
	ei_identity_peer_url(id, id->ordinal, p->peer_url, sizeof(p->peer_url));
	if (!ei_http_pin(p->client_pin, sizeof(p->client_pin), p->host, id->client_port,
			 (const char(*)[INET6_ADDRSTRLEN])p->addrs, p->n_addrs) ||
	    !ei_http_pin(p->peer_pin, sizeof(p->peer_pin), p->host, id->peer_port,
			 (const char(*)[INET6_ADDRSTRLEN])p->addrs, p->n_addrs))
		return 0;
	/* Counted before the survey so that ei_facts_free frees what it filled in. */
	f->n_peers++;
	r = ei_etcd_survey(l->g.client, p, 1, NULL, err);
	return r < 0 ? r : 1;
}

/* The leader, for the log: from our own etcd's status (the last peer when self_last),
 * else from the first member that answers. 0 when none does. */
static int find_leader(struct leave *l, const struct ei_facts *f, bool self_last, uint64_t *leader,
		       struct ei_err *err)
{
	size_t n = f->n_peers;

	*leader = 0;
	for (size_t k = 0; k < n && !*leader; k++) {
		const struct ei_peer *p = &f->peers[self_last ? (k + n - 1) % n : k];
		struct ei_member_status st;
		struct ei_etcd_result res = {0};
		int r;

		if (p->list.outcome != EI_OUTCOME_VALID || !p->client_pin[0])
			continue;
		r = ei_etcd_status(l->g.client, p->client_url, p->client_pin, &st, &res, err);
		if (r == EI_E_SIGNAL || r == EI_E_NOMEM)
			return r;
		if (r == 0)
			*leader = st.leader;
	}
	return 0;
}

/* Move the removed member's data aside: one rename inside the volume, never deleted. */
static int move_aside(struct leave *l, const struct ei_leave_plan *plan, struct ei_err *err)
{
	const struct ei_config *cfg = l->cfg;

	return ei_datadir_move_removed(cfg->data_dir, ei_datadir_wal_dir(cfg->wal_dir),
				       plan->member_id, "leave.before-move", "data moved aside", err);
}

/* Remove our member. Returns 1 when it is gone (and its data moved aside when the plan
 * says so), 0 to decide again, or an error. */
static int remove_self(struct leave *l, const struct ei_leave_plan *plan, char *last, size_t len,
		       struct ei_err *err)
{
	struct ei_etcd_result res = {0};
	int r;

	if (plan->is_leader)
		ei_log_info("this member is the leader; etcd hands leadership over when it is removed", "member=%" PRIx64, plan->member_id);
	ei_log_info("removing this member from the cluster", "member=%" PRIx64 " via=%s",
		    plan->member_id, plan->via_url);
	ei_failpoint("leave.before-remove");
	r = ei_etcd_member_remove(l->g.change_client, plan->via_url, plan->via_pin, plan->member_id,
				  &res, err);
	if (r == 0 || res.failure == EI_ETCD_FAIL_NOT_FOUND) {
		ei_log_info("member removed", "member=%" PRIx64 " answer=%s", plan->member_id,
			    r == 0 ? "removed" : "not found (removed already)");
		ei_failpoint("leave.after-remove");
		if (!plan->move_aside) {
			ei_log_info("the data stays in place", "reason=%s", plan->reason);
			return 1;
		}
		r = move_aside(l, plan, err);
		return r < 0 ? r : 1;
	}
	if (r == EI_E_SIGNAL || r == EI_E_NOMEM || r == EI_E_SYS)
		return r;
	if (ei_etcd_failure_is_auth(res.failure) && ei_etcd_auth_refused(l->g.change_client))
		return ei_err_set(err, EI_E_CLUSTER, "removing member %" PRIx64 ": %s",
				  plan->member_id, ei_etcd_auth_refused(l->g.change_client));
	if (ei_etcd_failure_is_auth(res.failure))
		return ei_err_set(err, EI_E_CLUSTER,
				  "removing member %" PRIx64 " was refused (%s): membership changes need etcd's root role: set --auth-user root and --auth-password-file (or ETCDCTL_USER and ETCDCTL_PASSWORD)",
				  plan->member_id, res.message);
	snprintf(last, len,
		 "the removal of member %" PRIx64 " through %s failed (%s: %s); it may have been applied all the same",
		 plan->member_id, plan->via_url, ei_etcd_failure_name(res.failure),
		 res.message[0] ? res.message : err->msg);
	/* etcd refuses a removal while a member has not been connected long enough to be
	 * counted (its --strict-reconfig-check): expected right after a change, so info. */
	ei_log(res.failure == EI_ETCD_FAIL_UNHEALTHY ? EI_LOG_INFO : EI_LOG_WARN,
	       "remove refused or failed; deciding again",
	       "member=%" PRIx64 " reason=%s message=%s", plan->member_id,
	       ei_etcd_failure_name(res.failure), res.message[0] ? res.message : err->msg);
	return 0;
}

/* Sleep before the next round, unless the deadline has passed (then EI_E_UNDECIDED
 * with the last reason). */
static int pause_round(struct leave *l, const char *why, struct ei_err *err)
{
	int delay = ei_deadline_cut_ms(l->deadline, ei_backoff_next(&l->backoff));

	if (delay < 0)
		return ei_err_set(err, EI_E_UNDECIDED, "gave up after %us: %s; nothing removed",
				  l->wait_s, why);
	return ei_loop_sleep(l->loop, delay, err);
}

/* A decision that ends leave: 0 (decided) or EI_E_UNDECIDED. */
static int finish(const struct ei_leave_plan *plan, struct ei_err *err)
{
	if (plan->action == EI_LEAVE_UNDECIDED)
		return ei_err_set(err, EI_E_UNDECIDED, "%s", plan->reason);
	return 0;
}

/* Ask, decide, act, until a decision ends it or the deadline passes: each round reads
 * the replica count and the facts afresh, so a scale-down undone while we wait, or a
 * removal applied although its answer was lost, is seen. */
static int rounds(struct leave *l, struct ei_err *err)
{
	char why[EI_ERR_MSG_MAX], last[1536] = "", wait_for[1536] = "";
	enum ei_leave_action last_action = EI_LEAVE_STAY;
	struct ei_leave_plan plan;
	unsigned round = 0;
	long replicas;
	int r;

	for (;;) {
		struct ei_facts facts;
		uint64_t leader = 0;
		bool changed;

		round++;
		r = get_replicas(l, &replicas, why, sizeof(why), err);
		if (r < 0)
			return r;
		if (!ei_leaveplan_scale_down(l->cfg, replicas, why, &plan)) {
			ei_log_info("leave decision", "action=%s round=%u replicas=%ld reason=%s",
				    ei_leave_action_name(plan.action), round, replicas,
				    plan.reason);
			return finish(&plan, err);
		}
		if (!l->gathering) {
			ei_log_info("this pod is scaled away: asking the members",
				    "replicas=%ld ordinal=%u", replicas, l->cfg->id.ordinal);
			/* Only now: a pod that stays needs no etcd client (nor its password). */
			if ((r = ei_gather_init(&l->g, l->cfg, l->loop, err)) < 0)
				return r;
			l->gathering = true;
			if ((r = ei_gather_own_name(&l->g, err)) < 0)
				return r;
		}
		r = ei_gather_round(&l->g, &facts, err);
		if (r == 0)
			r = survey_self(l, &facts, err);
		/* A wrong password does not get better by waiting (run exits 4 too). */
		if (r >= 0 && ei_etcd_auth_refused(l->g.client))
			r = ei_err_set(err, EI_E_CLUSTER, "%s", ei_etcd_auth_refused(l->g.client));
		if (r >= 0)
			r = find_leader(l, &facts, r == 1, &leader, err);
		if (r == 0)
			ei_leaveplan_decide(l->cfg, replicas, why, &facts, leader, &plan);
		ei_facts_free(&facts);
		if (r < 0)
			return r;
		changed = plan.action != last_action || strcmp(plan.reason, last) != 0;
		if (changed || round % 10 == 0)
			ei_log_info("leave decision", "action=%s round=%u replicas=%ld reason=%s",
				    ei_leave_action_name(plan.action), round, replicas,
				    plan.reason);
		last_action = plan.action;
		snprintf(last, sizeof(last), "%s", plan.reason);
		snprintf(wait_for, sizeof(wait_for), "%s", plan.reason);
		switch (plan.action) {
		case EI_LEAVE_REMOVE:
			r = remove_self(l, &plan, wait_for, sizeof(wait_for), err);
			if (r != 0)
				return r < 0 ? r : 0;
			break;
		case EI_LEAVE_ALREADY_GONE:
			return plan.move_aside ? move_aside(l, &plan, err) : 0;
		case EI_LEAVE_WAIT:
			/* Something changed: look again soon. */
			if (changed) {
				ei_log_info("waiting before deciding again", "for=%s", plan.reason);
				ei_backoff_reset(&l->backoff);
			}
			break;
		case EI_LEAVE_STAY:
		case EI_LEAVE_UNDECIDED:
		default:
			return finish(&plan, err);
		}
		r = pause_round(l, wait_for, err);
		if (r < 0)
			return r;
	}
}

/* The container's log is PID 1's stderr. Kubernetes shows an exec hook's output only
 * when the hook fails, so without a copy there nobody could see why a member was
 * removed or kept: leave's events go to both. Only when PID 1 is this container's
 * etcd (or etcd-init still waiting), so that leave run by hand on a host never writes
 * into the host init's console; not when PID 1's stderr is already ours. Without
 * access (another user), the events stay on our stderr alone. */
static FILE *container_log(void)
{
	char comm[32] = "";
	struct stat ours, theirs;
	FILE *f;
	int fd;

	if (getpid() == 1)
		return NULL;
	f = fopen("/proc/1/comm", "re");
	if (!f)
		return NULL;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	comm[strcspn(comm, "\n")] = '\0';
	if (strcmp(comm, "etcd") != 0 && strcmp(comm, "etcd-init") != 0)
		return NULL;
	fd = open("/proc/1/fd/2", O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &theirs) < 0 ||
	    (fstat(STDERR_FILENO, &ours) == 0 && ours.st_dev == theirs.st_dev &&
	     ours.st_ino == theirs.st_ino)) {
		close(fd);
		return NULL;
	}
	f = fdopen(fd, "a");
	if (!f) {
		close(fd);
		return NULL;
	}
	setvbuf(f, NULL, _IOLBF, 0);
	return f;
}

/* The preStop entry point (leave.h): bounded by the shorter of --wait-timeout and
 * LEAVE_MAX_WAIT_S, so the hook ends inside the pod's grace period with its reason. */
int ei_leave(const struct ei_config *cfg, struct ei_loop *loop, char **envp, struct ei_err *err)
{
	struct leave l = { .cfg = cfg,
			   .loop = loop,
			   .backoff = EI_BACKOFF(BACKOFF_FIRST_MS, BACKOFF_MAX_MS) };
	int r;

	(void)envp;
	l.wait_s = cfg->wait_timeout_s && cfg->wait_timeout_s < LEAVE_MAX_WAIT_S
		       ? cfg->wait_timeout_s
		       : LEAVE_MAX_WAIT_S;
	l.deadline = ei_clock_ms() + (uint64_t)l.wait_s * 1000u;
	/* Kept open to the end: main logs the final error, if any, after we return. */
	ei_log_copy_to(container_log());
	ei_log_info("leave: deciding whether this pod is scaled away",
		    "name=%s ordinal=%u max_wait=%us", cfg->name, cfg->id.ordinal, l.wait_s);
	r = rounds(&l, err);
	if (l.gathering)
		ei_gather_destroy(&l.g);
	if (r == 0)
		ei_log_info("leave: done", "name=%s", cfg->name);
	return r;
}
