/* learner.h - what the aftercare's promoter may do about our own member (pure: no I/O).
 *
 * After every start, whatever the decision was, the promoter (promote.c) asks our own
 * etcd who it is. When it is a learner it watches its progress against the leader and
 * sends MemberPromote as soon as etcd would take it; it reports loudly a learner that
 * does not progress. This module judges each look, from answers the promoter gathered:
 *
 *  - our own etcd's status, at this pod's own address (member ID, cluster ID, learner
 *    or not, its raft indexes, its leader): who "our member" is; while it does not
 *    answer, our data dir's WAL says whose member this is and how far its log reaches;
 *  - a member list from another member, of the same cluster ID (a stranger's list is
 *    no evidence), that names our member as a learner;
 *  - the leader's status (same cluster, the member our etcd names as leader): how far
 *    the log reaches.
 *
 * A promotion needs our own member (our etcd's word, else our WAL's), a list of this
 * cluster that names it a learner, and a leader whose log the learner has nearly reached
 * (etcd refuses below 90% of the leader's index: isLearnerReady, server/etcdserver/
 * server.go in etcd's repository). Without the leader's status the promotion is tried
 * at a slow pace: etcd itself refuses it while the learner is behind. Anything unknown
 * is a wait; a list that does not name our member, or names it a voter, ends the work.
 *
 * The learner record (<data-dir>/member/.etcd-init-learner, "member=<hex> since=<unix
 * seconds>") keeps when this member was first seen a learner across restarts of its
 * pod, so that --learner-timeout counts from then; diagnose shows it. */
#ifndef EI_LEARNER_H
#define EI_LEARNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "members.h"

/* What the promoter found in one look. */
struct ei_learner_look {
	bool own_answered;                 /* own: our etcd's status */
	struct ei_member_status own;
	/* Our data dir's WAL (datadir.h): whose it is and the last index it holds. A
	 * learner's etcd serves no client request before it has caught up (it publishes
	 * its name through raft first), so while it does not answer, this is where its
	 * progress shows. */
	bool wal_known;            /* its metadata (member, cluster) was read */
	uint64_t wal_member, wal_cluster;
	bool wal_index_known;      /* its last segment could be scanned */
	uint64_t wal_index;
	uint64_t expect_id;                /* the member run added or found for us, 0: any */
	const struct ei_member_list *list; /* a member list, NULL when none answered */
	const char *list_from;             /* who gave it (for the reason) */
	bool leader_answered;              /* leader: the status of the member that leads */
	struct ei_member_status leader;
};

enum ei_learner_step {
	EI_LEARNER_WAIT,    /* not yet known, or not in sync: look again */
	EI_LEARNER_PROMOTE, /* send MemberPromote now (via the leader when known) */
	EI_LEARNER_VOTER,   /* our member votes: done */
	EI_LEARNER_STOP,    /* not ours to promote (gone, another member, another cluster) */
};

struct ei_learner_verdict {
	enum ei_learner_step step;
	uint64_t member, cluster; /* ours (0: not known yet) */
	bool is_learner;     /* a list of our cluster names our member a learner */
	bool index_known;    /* applied holds */
	bool progress_known; /* behind and leader_index hold */
	bool from_wal;       /* index is our WAL's last index (our etcd does not answer) */
	uint64_t applied;    /* our learner's applied index, or our WAL's last index */
	uint64_t leader_index;
	uint64_t behind;     /* leader_index - applied, 0 when ahead */
	bool in_sync;        /* at least 90% of the leader's index (etcd's rule) */
	char reason[512];
};

void ei_learner_judge(const struct ei_learner_look *in, struct ei_learner_verdict *out);

/* The stall and timeout reports, once a minute each while they hold. All times in
 * milliseconds of one monotonic clock; how long the member had been a learner when the
 * watch began comes from its learner record (wall clock), as an age. */
struct ei_learner_watch {
	uint64_t start_ms;        /* when the watch began */
	uint64_t age_at_start_ms; /* how long it had been a learner then */
	uint64_t applied;         /* the last index seen */
	bool from_wal;            /* and where it came from: indexes of one source compare */
	uint64_t moved_ms;        /* when it last moved (or the watch began) */
	uint64_t stall_said_ms;   /* 0: not said yet */
	uint64_t timeout_said_ms;
};

#define EI_LEARNER_REPORT_EVERY_MS 60000u

enum ei_learner_report { EI_LEARNER_REPORT_NONE, EI_LEARNER_REPORT_STALL, EI_LEARNER_REPORT_TIMEOUT };

void ei_learner_watch_start(struct ei_learner_watch *w, uint64_t age_ms, uint64_t now_ms);

/* How long the member has been a learner, at now_ms. */
uint64_t ei_learner_watch_age(const struct ei_learner_watch *w, uint64_t now_ms);

/* Record a look's index (when v->index_known) and say which report is due now
 * (stall_ms, timeout_ms: 0 turns that report off). A learner in sync is not stalled. */
enum ei_learner_report ei_learner_watch_update(struct ei_learner_watch *w,
					       const struct ei_learner_verdict *v, uint64_t now_ms,
					       uint64_t stall_ms, uint64_t timeout_ms);

/* The learner record's text, and back. parse returns false on anything but
 * "member=<1-16 lowercase hex digits> since=<decimal seconds>" (no leading zeros) with an
 * optional final newline. */
#define EI_LEARNER_RECORD ".etcd-init-learner"
void ei_learner_record_format(char *buf, size_t len, uint64_t member_id, uint64_t since_s);
bool ei_learner_record_parse(const char *text, size_t len, uint64_t *member_id, uint64_t *since_s);

/* "3m20s", "45s", "2h5m": for log fields and diagnose. */
void ei_learner_duration(char *buf, size_t len, uint64_t ms);

#endif
