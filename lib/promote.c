/* promote.c - the aftercare process: learner promotion and the first-start marker
 * (see promote.h). */
#include "promote.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "datadir.h"
#include "etcdclient.h"
#include "exec.h"
#include "gather.h"
#include "learner.h"
#include "log.h"

#define TICK_MS 150
/* While our etcd has not answered for this long, it is looked at once a second only
 * (a long WAL replay): the aftercare lives as long as etcd. */
#define OWN_SILENT_SLOW_MS (2u * 60u * 1000u)
#define LIST_FRESH_MS 1000u
#define BLIND_PROMOTE_EVERY_MS 1000u
#define NOT_IN_SYNC_RETRY_MS 300u
#define FAILED_PROMOTE_MAX_MS 5000u
#define WAL_EVERY_MS 1000u
#define REPEAT_WARN_MS 60000u

/* etcd auth settings in the environment, which only the promoter's client needs. */
static const char *const credential_vars[] = { "ETCDCTL_PASSWORD", "ETCDCTL_USER", NULL };
/* A first start that has not written its WAL within this time has failed; etcd has
 * exited and the pod is gone long before (this only bounds the process). */
#define MARKER_WATCH_MS (60u * 60u * 1000u)

struct promoter {
	const struct ei_config *cfg;
	const struct ei_aftercare *w;
	struct ei_etcd_client *client;
	struct ei_member_list list;  /* the last list of our cluster (or a stranger's) */
	bool have_list;
	size_t list_index;           /* the endpoint that gave it */
	uint64_t list_at_ms;
	int leader_index;            /* the leader's endpoint, -1: not one of them */
	struct ei_learner_watch watch;
	bool watching;               /* our member has been seen a learner */
	struct ei_etcd_client *own_client; /* short timeouts: our own etcd, on this pod */
	uint64_t auth_warned_ms;     /* the last warning about refused credentials */
	uint64_t fail_warned_ms;     /* the last warning about a refused promotion */
	enum ei_etcd_failure last_failure;
	uint64_t waiting_said_ms;    /* the last info line about what the promoter waits for */
	uint64_t next_promote_ms;
	unsigned promote_fail_ms;
	unsigned attempts;
	uint64_t own_silent_since;   /* 0: our etcd answered the last look */
	struct ei_datadir_facts dir; /* our data dir, read at wal_at_ms */
	uint64_t wal_at_ms;
	bool done;
};

static uint64_t wall_s(void)
{
	return (uint64_t)time(NULL);
}

/* How long (ms) our member has been a learner: since its record when that is this
 * member's, else from now, recorded. */
static uint64_t learner_age(struct promoter *p, uint64_t member_id)
{
	struct ei_err err = { 0 };
	uint64_t id = 0, since_s = 0, now_s = wall_s();
	int r = ei_datadir_learner_record_read(p->cfg->data_dir, &id, &since_s, &err);

	if (r < 0)
		ei_log_warn("promoter: cannot read the learner record", "error=%s", err.msg);
	if (r == 1 && id == member_id && since_s <= now_s)
		return (now_s - since_s) * 1000u;
	if (ei_datadir_learner_record_write(p->cfg->data_dir, member_id, now_s, &err) < 0)
		ei_log_warn("promoter: cannot write the learner record", "error=%s", err.msg);
	return 0;
}

/* Our member votes: its learner record goes, whoever wrote it. */
static void forget_record(struct promoter *p)
{
	struct ei_err err = { 0 };

	if (ei_datadir_learner_record_remove(p->cfg->data_dir, &err) < 0)
		ei_log_warn("promoter: cannot remove the learner record", "error=%s", err.msg);
}

/* A member list of our cluster from the other members, at most LIST_FRESH_MS old;
 * a stranger's list is kept only when no member of ours answers (the verdict says so). */
static int refresh_list(struct promoter *p, uint64_t cluster_id, uint64_t now_ms, struct ei_err *err)
{
	const struct ei_aftercare *w = p->w;
	bool stranger_kept = false;

	if (p->have_list && p->list.cluster_id == cluster_id && now_ms - p->list_at_ms < LIST_FRESH_MS)
		return 0;
	ei_member_list_free(&p->list);
	p->have_list = false;
	for (size_t i = 0; i < w->n_endpoints; i++) {
		struct ei_member_list l = { 0 };
		struct ei_etcd_result res = { 0 };
		const char *ep = w->endpoints[i], *pin = w->pins[i];
		int r = ei_etcd_member_list(p->client, &ep, &pin, 1, &l, &res, err);

		if (r == EI_E_SIGNAL)
			return r;
		if (r < 0) {
			bool warn = res.failure == EI_ETCD_FAIL_AUTH &&
				    ei_due_every(&p->auth_warned_ms, now_ms, REPEAT_WARN_MS);

			ei_log(warn ? EI_LOG_WARN : EI_LOG_DEBUG, "promoter: no member list",
			       "endpoint=%s error=%s", ep, err->msg);
			continue;
		}
		if (l.cluster_id != cluster_id && stranger_kept) {
			ei_member_list_free(&l);
			continue;
		}
		ei_member_list_free(&p->list);
		p->list = l;
		p->have_list = true;
		p->list_index = i;
		p->list_at_ms = now_ms;
		if (l.cluster_id == cluster_id)
			return 0;
		stranger_kept = true;
	}
	return 0;
}

/* The leader's status: the member our etcd names, else the one the list's member names
 * (when that is one of the endpoints). */
static int ask_leader(struct promoter *p, struct ei_learner_look *look, struct ei_err *err)
{
	const struct ei_aftercare *w = p->w;
	const struct ei_member *leader;
	struct ei_etcd_result res = { 0 };
	uint64_t leader_id = look->own_answered ? look->own.leader : 0;
	int r;

	p->leader_index = -1;
	if (!p->have_list)
		return 0;
	if (!leader_id) {
		r = ei_etcd_status(p->client, w->endpoints[p->list_index], w->pins[p->list_index],
				   &look->leader, &res, err);
		if (r == EI_E_SIGNAL)
			return r;
		if (r < 0 || !look->leader.leader)
			return 0;
		leader_id = look->leader.leader;
		if (look->leader.member_id == leader_id) {
			p->leader_index = (int)p->list_index;
			look->leader_answered = true;
			return 0;
		}
	}
	if (!(leader = ei_member_list_find_id(&p->list, leader_id)))
		return 0;
	for (size_t u = 0; u < leader->n_client_urls && p->leader_index < 0; u++)
		for (size_t i = 0; i < w->n_endpoints; i++)
			if (strcmp(w->endpoints[i], leader->client_urls[u]) == 0) {
				p->leader_index = (int)i;
				break;
			}
	if (p->leader_index < 0)
		return 0;
	r = ei_etcd_status(p->client, w->endpoints[p->leader_index], w->pins[p->leader_index],
			   &look->leader, &res, err);
	look->leader_answered = r == 0;
	return r == EI_E_SIGNAL ? r : 0;
}

/* Our WAL's member, cluster and last index, read at most once a second (a scan of the
 * last segment): while our etcd does not answer, it shows the learner's progress. */
static void read_wal(struct promoter *p, struct ei_learner_look *look, uint64_t now_ms)
{
	const struct ei_config *cfg = p->cfg;
	struct ei_err err = { 0 };

	if (!p->wal_at_ms || now_ms - p->wal_at_ms >= WAL_EVERY_MS) {
		p->wal_at_ms = now_ms;
		if (ei_datadir_inspect(cfg->data_dir, ei_datadir_wal_dir(cfg->wal_dir), &p->dir,
				       &err) < 0)
			p->dir.has_metadata = false;
	}
	look->wal_known = p->dir.has_wal && p->dir.has_metadata;
	look->wal_member = p->dir.member_id;
	look->wal_cluster = p->dir.cluster_id;
	look->wal_index_known = p->dir.has_position;
	look->wal_index = p->dir.has_position ? p->dir.position.index : 0;
}

/* One look: our etcd, then (for a learner, or while it does not answer) our WAL, a
 * list of our cluster and the leader. */
static int look_once(struct promoter *p, struct ei_learner_look *look, uint64_t now_ms,
		     struct ei_err *err)
{
	struct ei_etcd_result res = { 0 };
	uint64_t cluster;
	int r;

	memset(look, 0, sizeof(*look));
	look->expect_id = p->w->expect_id;
	r = ei_etcd_status(p->own_client, p->w->own_endpoint, p->w->own_pin, &look->own, &res, err);
	if (r == EI_E_SIGNAL)
		return r;
	look->own_answered = r == 0 && look->own.member_id && look->own.cluster_id;
	if (look->own_answered && !look->own.is_learner)
		return 0;
	if (!look->own_answered) {
		read_wal(p, look, now_ms);
		if (!look->wal_known)
			return 0;
	}
	cluster = look->own_answered ? look->own.cluster_id : look->wal_cluster;
	r = refresh_list(p, cluster, now_ms, err);
	if (r == 0)
		r = ask_leader(p, look, err);
	if (p->have_list) {
		look->list = &p->list;
		look->list_from = p->w->endpoints[p->list_index];
	}
	return r;
}

/* MemberPromote, to the leader when it is known (a follower forwards it over the peer
 * API without the caller's auth token, and etcd 3.4 with auth enabled then retries
 * until its request timeout instead of answering), else to the list's member. */
static int send_promote(struct promoter *p, const struct ei_learner_verdict *v, uint64_t id,
			uint64_t now_ms, struct ei_err *err)
{
	const struct ei_aftercare *w = p->w;
	size_t i = p->leader_index >= 0 ? (size_t)p->leader_index : p->list_index;
	struct ei_etcd_result res = { 0 };
	char was[32];
	int r;

	if (now_ms < p->next_promote_ms)
		return 0;
	p->attempts++;
	r = ei_etcd_member_promote(p->client, w->endpoints[i], w->pins[i], id, &res, err);
	if (r == EI_E_SIGNAL)
		return r;
	if (r == 0 || res.failure == EI_ETCD_FAIL_NOT_LEARNER) {
		ei_learner_duration(was, sizeof(was), ei_learner_watch_age(&p->watch, now_ms));
		ei_log_info(r == 0 ? "promoter: learner promoted to voter" : "promoter: member is a voter already",
			    "member=%" PRIx64 " via=%s attempts=%u learner_for=%s", id, w->endpoints[i],
			    p->attempts, was);
		forget_record(p);
		p->done = true;
		return 0;
	}
	if (res.failure == EI_ETCD_FAIL_NOT_IN_SYNC) {
		/* etcd's view of the learner's progress differs a little from the statuses':
		 * ask again soon while it catches up. */
		p->next_promote_ms = now_ms + (v->progress_known ? NOT_IN_SYNC_RETRY_MS : BLIND_PROMOTE_EVERY_MS);
		ei_log_debug("promoter: not in sync yet", "member=%" PRIx64 " applied=%" PRIu64 " leader_index=%" PRIu64,
			     id, v->applied, v->leader_index);
		return 0;
	}
	p->promote_fail_ms = p->promote_fail_ms ? p->promote_fail_ms * 2 : 500;
	if (p->promote_fail_ms > FAILED_PROMOTE_MAX_MS)
		p->promote_fail_ms = FAILED_PROMOTE_MAX_MS;
	p->next_promote_ms = now_ms + p->promote_fail_ms;
	{
		bool warn;

		if (res.failure != p->last_failure)
			p->fail_warned_ms = 0; /* another reason: said at once */
		warn = ei_due_every(&p->fail_warned_ms, now_ms, REPEAT_WARN_MS);
		p->last_failure = res.failure;
		ei_log(warn ? EI_LOG_WARN : EI_LOG_DEBUG, "promoter: not promoted yet",
		       "member=%" PRIx64 " via=%s reason=%s message=%s", id, w->endpoints[i],
		       ei_etcd_failure_name(res.failure), res.message);
	}
	return 0;
}
/* Whether etcd has written its WAL yet; on it, the marker goes. Returns true when the
 * marker's work is done. */
static bool check_marker(const struct ei_config *cfg)
{
	struct ei_datadir_facts d;
	struct ei_err err = { 0 };

	if (ei_datadir_inspect(cfg->data_dir, ei_datadir_wal_dir(cfg->wal_dir), &d, &err) < 0 ||
	    !d.has_wal)
		return false;
	if (ei_datadir_clear_first_start(cfg->data_dir, &err) < 0) {
		ei_log_warn("aftercare: cannot remove the first-start marker", "error=%s", err.msg);
		return true;
	}
	ei_log_info("aftercare: etcd wrote its WAL; first-start marker removed", "wal_dir=%s",
		    d.wal_dir);
	return true;
}

/* The stall and timeout reports: what is wrong, for how long, and what to check. */
static void report(struct promoter *p, enum ei_learner_report what,
		   const struct ei_learner_verdict *v, uint64_t id, uint64_t now_ms)
{
	const struct ei_aftercare *w = p->w;
	const char *leader = p->leader_index >= 0 ? w->endpoints[p->leader_index] : "unknown";
	char stalled[32], was[32], behind[32];

	ei_learner_duration(stalled, sizeof(stalled), now_ms - p->watch.moved_ms);
	ei_learner_duration(was, sizeof(was), ei_learner_watch_age(&p->watch, now_ms));
	if (v->progress_known)
		snprintf(behind, sizeof(behind), "%" PRIu64, v->behind);
	else
		snprintf(behind, sizeof(behind), "unknown");
	if (what == EI_LEARNER_REPORT_STALL)
		ei_log_error("promoter: our learner is not catching up",
			     "member=%" PRIx64 " index=%" PRIu64 " index_from=%s behind=%s stalled_for=%s learner_for=%s leader=%s check=%s",
			     id, v->applied, v->from_wal ? "wal" : "status", behind, stalled, was, leader,
			     "the peer traffic between this pod and the leader (network policy, MTU, --peer-port), this pod's disk (WAL fsync) and memory, and how large a snapshot it must receive; nothing is removed automatically");
	else
		ei_log_error("promoter: still a learner after --learner-timeout",
			     "member=%" PRIx64 " index=%" PRIu64 " index_from=%s behind=%s learner_for=%s leader=%s check=%s",
			     id, v->applied, v->from_wal ? "wal" : "status", behind, was, leader,
			     "etcd-init diagnose shows every learner's progress; the member does not vote until it is promoted (one more lost member may cost quorum); nothing is removed automatically");
}

/* One step of the promoter. Returns 0 or EI_E_SIGNAL. */
static int promote_step(struct promoter *p, uint64_t now_ms, struct ei_err *err)
{
	const struct ei_config *cfg = p->cfg;
	struct ei_learner_look look;
	struct ei_learner_verdict v;
	enum ei_learner_report due;
	int r;

	r = look_once(p, &look, now_ms, err);
	if (r < 0)
		return r;
	ei_learner_judge(&look, &v);
	if (!look.own_answered) {
		if (!p->own_silent_since)
			p->own_silent_since = now_ms;
	} else {
		p->own_silent_since = 0;
	}
	switch (v.step) {
	case EI_LEARNER_VOTER:
		if (p->watching || p->w->expect_id)
			ei_log_info("promoter: our member is a voter, done", "reason=%s", v.reason);
		else
			ei_log_debug("promoter: our member is a voter", "reason=%s", v.reason);
		forget_record(p);
		p->done = true;
		return 0;
	case EI_LEARNER_STOP:
		ei_log_warn("promoter: stopping", "reason=%s", v.reason);
		p->done = true;
		return 0;
	case EI_LEARNER_PROMOTE:
	case EI_LEARNER_WAIT:
	default:
		break;
	}
	/* Watched (reported, recorded) as soon as our etcd or a list of our cluster says it
	 * is a learner; promoted only on the list's word (learner.h). */
	if ((v.is_learner || (look.own_answered && look.own.is_learner)) && !p->watching) {
		p->watching = true;
		ei_learner_watch_start(&p->watch, learner_age(p, v.member), now_ms);
		ei_log_info("promoter: our member is a learner; promoting it as soon as it is in sync",
			    "member=%" PRIx64 " reason=%s", v.member, v.reason);
	}
	if (!p->watching)
		return 0;
	if (v.step == EI_LEARNER_WAIT && ei_due_every(&p->waiting_said_ms, now_ms, REPEAT_WARN_MS))
		ei_log_info("promoter: waiting", "reason=%s", v.reason);
	due = ei_learner_watch_update(&p->watch, &v, now_ms, (uint64_t)cfg->learner_stall_s * 1000u,
				      (uint64_t)cfg->learner_timeout_s * 1000u);
	if (due != EI_LEARNER_REPORT_NONE)
		report(p, due, &v, v.member, now_ms);
	if (v.step == EI_LEARNER_PROMOTE)
		return send_promote(p, &v, v.member, now_ms, err);
	ei_log_debug("promoter: waiting", "reason=%s", v.reason);
	return 0;
}

/* The aftercare's life: runs in the forked child, never returns. */
static void aftercare_main(const struct ei_config *cfg, struct ei_loop *loop,
			   const struct ei_aftercare *w)
{
	struct promoter p = { .cfg = cfg, .w = w, .leader_index = -1 };
	struct ei_err err = { 0 };
	bool marker = w->clear_marker;
	uint64_t started = ei_clock_ms(), next_look = 0;
	int code = 0;

	/* Our own etcd is on this pod: it answers at once or is not serving yet (it accepts
	 * before it serves), so its questions end soon and the loop keeps its pace. */
	if (ei_gather_client(cfg, loop, 1000, 3000, &p.client, &err) < 0 ||
	    ei_gather_client(cfg, loop, 300, 700, &p.own_client, &err) < 0) {
		ei_log_error("promoter: cannot start", "error=%s", err.msg);
		p.done = true;
	}
	if (!w->n_endpoints)
		ei_log_warn("promoter: no other member's client URL is known (none resolved when this start decided): should our member be a learner, this start cannot promote it", NULL);
	/* The client holds its own copy of the credentials now (it authenticates again with
	 * it when its token expires); nothing else here needs them. This process outlives
	 * the exec as etcd's child, and a fork inherits the environment block that
	 * /proc/<pid>/environ shows (proc(5)): ETCDCTL_PASSWORD and ETCDCTL_USER go, wiped
	 * in place (cfg->auth_password pointed into it and reads "" from here on). */
	ei_exec_scrub_env(credential_vars);
	while (!p.done || marker) {
		uint64_t now;

		if (ei_loop_sleep(loop, TICK_MS, &err) < 0)
			break;
		now = ei_clock_ms();
		if (marker)
			marker = !check_marker(cfg) && now - started < MARKER_WATCH_MS;
		if (p.done || now < next_look)
			continue;
		if (promote_step(&p, now, &err) < 0)
			break;
		next_look = p.own_silent_since && now - p.own_silent_since > OWN_SILENT_SLOW_MS
				    ? now + 1000
				    : 0;
	}
	ei_member_list_free(&p.list);
	ei_etcd_client_destroy(p.client);
	ei_etcd_client_destroy(p.own_client);
	/* Done, but not gone: this process is etcd's child since the exec, and etcd (PID 1
	 * in the pod) reaps no child it did not start, so an exit would leave a zombie
	 * under etcd for the pod's life. It stays, idle, holding nothing (no socket, no
	 * credential, its memory given back), until etcd exits: the kernel then ends it with
	 * the PID namespace, or PR_SET_PDEATHSIG (set at the fork) outside one; SIGTERM or
	 * SIGINT sent to it alone ends it too. */
	if (err.code != EI_E_SIGNAL) {
		ei_log_debug("aftercare: done; idle until etcd exits (etcd reaps no child)", NULL);
#ifdef __GLIBC__
		malloc_trim(0);
#endif
		while (ei_loop_sleep(loop, 3600 * 1000, &err) == 0)
			;
	}
	if (err.code == EI_E_SIGNAL)
		code = 128 + err.signo;
	_exit(code);
}

int ei_aftercare_spawn(const struct ei_config *cfg, struct ei_loop *loop,
		       const struct ei_aftercare *work, struct ei_err *err)
{
	pid_t pid, parent = getpid();

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return ei_err_sys(err, errno, "fork (aftercare: learner promotion, first-start marker)");
	if (pid == 0) {
		/* Ends with etcd when etcd is not PID 1 of a namespace (then nothing else would):
		 * the parent thread is ours, which becomes etcd's main thread at the exec. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
			ei_log_debug("aftercare: no PR_SET_PDEATHSIG", "error=%s", strerror(errno));
		/* The parent gone before the prctl (its exec failed, or it was killed): no
		 * signal will come, so end now. */
		if (getppid() != parent)
			_exit(0);
		aftercare_main(cfg, loop, work);
	}
	return (int)pid;
}
