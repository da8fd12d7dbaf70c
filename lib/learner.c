/* learner.c - judging our own learner's promotion and progress (see learner.h). */
#include "learner.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "loop.h"

/* etcd promotes a learner whose log reaches 90% of the leader's (readyPercent in
 * isLearnerReady, server/etcdserver/server.go): the same test, in integers. */
static bool reaches_90_percent(uint64_t learner, uint64_t leader)
{
	return learner >= leader || (leader - learner) * 10 <= leader;
}

/* Our member and cluster: our etcd's word, else our WAL's. */
static bool identity(const struct ei_learner_look *in, uint64_t *member, uint64_t *cluster)
{
	if (in->own_answered && in->own.member_id && in->own.cluster_id) {
		*member = in->own.member_id;
		*cluster = in->own.cluster_id;
		return true;
	}
	if (in->wal_known && in->wal_member && in->wal_cluster) {
		*member = in->wal_member;
		*cluster = in->wal_cluster;
		return true;
	}
	return false;
}

/* The leader's status, when it is of our cluster and from the member that leads (the
 * one our etcd names; without our etcd, one that says it leads). */
static bool leader_usable(const struct ei_learner_look *in, uint64_t cluster)
{
	uint64_t named = in->own_answered ? in->own.leader : in->leader.leader;

	return in->leader_answered && named && in->leader.member_id == named &&
	       in->leader.cluster_id == cluster;
}

static void progress(const struct ei_learner_look *in, uint64_t cluster,
		     struct ei_learner_verdict *out)
{
	uint64_t reach;

	if (in->own_answered) {
		out->index_known = true;
		/* The learner's committed index (raftIndex) is where its log is known to
		 * reach; its applied index trails it by what it has not applied yet. */
		out->applied = in->own.raft_applied_index;
		reach = in->own.raft_index > out->applied ? in->own.raft_index : out->applied;
	} else if (in->wal_known && in->wal_index_known) {
		out->index_known = true;
		out->from_wal = true;
		out->applied = reach = in->wal_index;
	} else {
		return;
	}
	if (!leader_usable(in, cluster))
		return;
	out->progress_known = true;
	out->leader_index = in->leader.raft_index;
	out->behind = out->leader_index > out->applied ? out->leader_index - out->applied : 0;
	out->in_sync = reaches_90_percent(reach, out->leader_index);
}

/* Our member as the list has it: the verdict when that ends the work or the wait. */
static bool judge_listed(const struct ei_learner_look *in, uint64_t member, uint64_t cluster,
			 struct ei_learner_verdict *out)
{
	const char *from = in->list_from ? in->list_from : "?";
	const struct ei_member *listed;

	if (!in->list) {
		snprintf(out->reason, sizeof(out->reason),
			 "our member %" PRIx64 ": no other member answered with a member list of cluster %" PRIx64,
			 member, cluster);
		return true;
	}
	if (in->list->cluster_id != cluster) {
		snprintf(out->reason, sizeof(out->reason),
			 "the member list from %s is of cluster %" PRIx64 ", ours is %" PRIx64 ": not evidence",
			 from, in->list->cluster_id, cluster);
		return true;
	}
	listed = ei_member_list_find_id(in->list, member);
	if (!listed) {
		out->step = EI_LEARNER_STOP;
		snprintf(out->reason, sizeof(out->reason),
			 "member %" PRIx64 " is not in the member list of cluster %" PRIx64 " from %s (removed): nothing to promote",
			 member, cluster, from);
		return true;
	}
	if (!listed->is_learner) {
		out->step = EI_LEARNER_VOTER;
		snprintf(out->reason, sizeof(out->reason),
			 "member %" PRIx64 " is a voter in the member list from %s", member, from);
		return true;
	}
	return false;
}

void ei_learner_judge(const struct ei_learner_look *in, struct ei_learner_verdict *out)
{
	const char *what;
	uint64_t member = 0, cluster = 0;

	memset(out, 0, sizeof(*out));
	out->step = EI_LEARNER_WAIT;
	if (!identity(in, &member, &cluster)) {
		snprintf(out->reason, sizeof(out->reason),
			 "our etcd does not answer its status yet and our data dir has no WAL with IDs yet (starting)");
		return;
	}
	out->member = member;
	out->cluster = cluster;
	if (in->expect_id && member != in->expect_id) {
		out->step = EI_LEARNER_STOP;
		snprintf(out->reason, sizeof(out->reason),
			 "our etcd is member %" PRIx64 ", not %" PRIx64 " that this start added or found: not promoting",
			 member, in->expect_id);
		return;
	}
	if (in->own_answered && !in->own.is_learner) {
		out->step = EI_LEARNER_VOTER;
		snprintf(out->reason, sizeof(out->reason), "member %" PRIx64 " is a voter", member);
		return;
	}
	progress(in, cluster, out);
	if (judge_listed(in, member, cluster, out))
		return;
	out->is_learner = true;
	what = out->from_wal ? "its WAL reaches" : "applied";
	if (!out->progress_known) {
		out->step = EI_LEARNER_PROMOTE;
		snprintf(out->reason, sizeof(out->reason),
			 "learner %" PRIx64 ": how far it is behind the leader is not known; asking etcd to promote it (etcd judges)",
			 member);
		return;
	}
	if (!out->in_sync) {
		snprintf(out->reason, sizeof(out->reason),
			 "learner %" PRIx64 " is catching up: %s %" PRIu64 " of the leader's %" PRIu64,
			 member, what, out->applied, out->leader_index);
		return;
	}
	out->step = EI_LEARNER_PROMOTE;
	snprintf(out->reason, sizeof(out->reason),
		 "learner %" PRIx64 " is in sync: %s %" PRIu64 " of the leader's %" PRIu64, member,
		 what, out->applied, out->leader_index);
}

void ei_learner_watch_start(struct ei_learner_watch *w, uint64_t age_ms, uint64_t now_ms)
{
	memset(w, 0, sizeof(*w));
	w->start_ms = now_ms;
	w->age_at_start_ms = age_ms;
	w->moved_ms = now_ms;
}

uint64_t ei_learner_watch_age(const struct ei_learner_watch *w, uint64_t now_ms)
{
	return w->age_at_start_ms + (now_ms > w->start_ms ? now_ms - w->start_ms : 0);
}

enum ei_learner_report ei_learner_watch_update(struct ei_learner_watch *w,
					       const struct ei_learner_verdict *v, uint64_t now_ms,
					       uint64_t stall_ms, uint64_t timeout_ms)
{
	bool stalled;

	if (v->index_known && v->from_wal != w->from_wal) {
		/* Another source (our etcd answers now, or no longer): a new reference, not
		 * a move. */
		w->applied = v->applied;
		w->from_wal = v->from_wal;
	} else if ((v->index_known && v->applied != w->applied) || v->in_sync) {
		w->applied = v->applied;
		w->moved_ms = now_ms;
		w->stall_said_ms = 0;
	}
	stalled = stall_ms && now_ms - w->moved_ms >= stall_ms;
	if (stalled && ei_due_every(&w->stall_said_ms, now_ms, EI_LEARNER_REPORT_EVERY_MS))
		return EI_LEARNER_REPORT_STALL;
	if (timeout_ms && ei_learner_watch_age(w, now_ms) >= timeout_ms &&
	    ei_due_every(&w->timeout_said_ms, now_ms, EI_LEARNER_REPORT_EVERY_MS))
		return EI_LEARNER_REPORT_TIMEOUT;
	return EI_LEARNER_REPORT_NONE;
}

void ei_learner_record_format(char *buf, size_t len, uint64_t member_id, uint64_t since_s)
{
	snprintf(buf, len, "member=%" PRIx64 " since=%" PRIu64 "\n", member_id, since_s);
}

/* Digits of base (10 or 16, lowercase) from *p up to a non-digit: at least one, at most
 * max, no leading zero (the record has one spelling: the one format writes); the value
 * must fit 64 bits. */
static bool take_number(const char **p, const char *end, unsigned base, size_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t n = 0;

	while (*p < end) {
		char c = **p;
		unsigned d;

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else
			break;
		if (++n > max || v > (UINT64_MAX - d) / base)
			return false;
		v = v * base + d;
		(*p)++;
	}
	*out = v;
	return n > 0 && (n == 1 || (*p)[-(ptrdiff_t)n] != '0');
}

static bool take_text(const char **p, const char *end, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(end - *p) < n || memcmp(*p, word, n) != 0)
		return false;
	*p += n;
	return true;
}

bool ei_learner_record_parse(const char *text, size_t len, uint64_t *member_id, uint64_t *since_s)
{
	const char *p = text, *end = text + len;

	if (len && end[-1] == '\n')
		end--;
	return take_text(&p, end, "member=") && take_number(&p, end, 16, 16, member_id) &&
	       *member_id && take_text(&p, end, " since=") &&
	       take_number(&p, end, 10, 20, since_s) && p == end;
}

void ei_learner_duration(char *buf, size_t len, uint64_t ms)
{
	uint64_t s = ms / 1000;

	if (s < 60)
		snprintf(buf, len, "%" PRIu64 "s", s);
	else if (s < 3600)
		snprintf(buf, len, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
	else
		snprintf(buf, len, "%" PRIu64 "h%02" PRIu64 "m", s / 3600, s % 3600 / 60);
}
