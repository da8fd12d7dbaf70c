/* Unit tests for lib/learner.c: what the promoter may do about our own member (a table
 * of looks: who answered what), the stall and timeout reports over time, the learner
 * record's text, and durations. The promoter must never promote a member that is not a
 * learner of this cluster. */
#include "learner.h"
#include "tap.h"

#include <inttypes.h>
#include <string.h>

#define OURS 0xaaa1u
#define OTHER 0xbbb2u
#define CLUSTER 0xc1u
#define STRANGER 0xc2u
#define LEADER 0x1eadu

static struct ei_member members_learner[] = {
	{ .id = LEADER }, { .id = 0x2 }, { .id = OURS, .is_learner = true } };
static struct ei_member members_voter[] = { { .id = LEADER }, { .id = 0x2 }, { .id = OURS } };
static struct ei_member members_gone[] = { { .id = LEADER }, { .id = 0x2 } };

static const struct ei_member_list list_learner = { .cluster_id = CLUSTER, .members = members_learner, .n_members = 3 };
static const struct ei_member_list list_voter = { .cluster_id = CLUSTER, .members = members_voter, .n_members = 3 };
static const struct ei_member_list list_gone = { .cluster_id = CLUSTER, .members = members_gone, .n_members = 2 };
static const struct ei_member_list list_stranger = { .cluster_id = STRANGER, .members = members_learner, .n_members = 3 };

/* Our etcd's status: a learner of CLUSTER at applied index `applied`. */
#define OWN(learner, applied) { .cluster_id = CLUSTER, .member_id = OURS, .leader = LEADER, \
	.raft_index = (applied), .raft_applied_index = (applied), .is_learner = (learner) }
#define LEADER_AT(index) { .cluster_id = CLUSTER, .member_id = LEADER, .leader = LEADER, .raft_index = (index) }

static const struct {
	const char *name;
	struct ei_learner_look look;
	enum ei_learner_step step;
	bool is_learner;
	const char *reason_has;
} judge_cases[] = {
	{ "our etcd silent: wait", { .own_answered = false, .list = &list_learner },
	  EI_LEARNER_WAIT, false, "does not answer" },
	{ "our etcd a voter: done", { .own_answered = true, .own = OWN(false, 10) },
	  EI_LEARNER_VOTER, false, "is a voter" },
	{ "our etcd another member than added: stop",
	  { .own_answered = true, .own = OWN(true, 10), .expect_id = OTHER, .list = &list_learner },
	  EI_LEARNER_STOP, false, "not bbb2" },
	{ "a learner, no list: wait", { .own_answered = true, .own = OWN(true, 10) },
	  EI_LEARNER_WAIT, false, "no other member answered" },
	{ "a learner, only a stranger's list: wait (not evidence)",
	  { .own_answered = true, .own = OWN(true, 1000), .list = &list_stranger, .list_from = "x",
	    .leader_answered = true, .leader = LEADER_AT(1000) },
	  EI_LEARNER_WAIT, false, "not evidence" },
	{ "a learner the list does not name: stop",
	  { .own_answered = true, .own = OWN(true, 1000), .list = &list_gone, .list_from = "x" },
	  EI_LEARNER_STOP, false, "not in the member list" },
	{ "a learner the list names a voter: done",
	  { .own_answered = true, .own = OWN(true, 1000), .list = &list_voter, .list_from = "x" },
	  EI_LEARNER_VOTER, false, "is a voter in the member list" },
	{ "a learner far behind: wait",
	  { .own_answered = true, .own = OWN(true, 100), .list = &list_learner,
	    .leader_answered = true, .leader = LEADER_AT(10000) },
	  EI_LEARNER_WAIT, true, "catching up: applied 100 of the leader's 10000" },
	{ "a learner at 89%: wait",
	  { .own_answered = true, .own = OWN(true, 8900), .list = &list_learner,
	    .leader_answered = true, .leader = LEADER_AT(10000) },
	  EI_LEARNER_WAIT, true, "catching up" },
	{ "a learner at 90%: promote",
	  { .own_answered = true, .own = OWN(true, 9000), .list = &list_learner,
	    .leader_answered = true, .leader = LEADER_AT(10000) },
	  EI_LEARNER_PROMOTE, true, "in sync" },
	{ "a learner ahead of a stale leader status: promote",
	  { .own_answered = true, .own = OWN(true, 10005), .list = &list_learner,
	    .leader_answered = true, .leader = LEADER_AT(10000) },
	  EI_LEARNER_PROMOTE, true, "in sync" },
	{ "a learner, the leader silent: promote blind (etcd judges)",
	  { .own_answered = true, .own = OWN(true, 10), .list = &list_learner },
	  EI_LEARNER_PROMOTE, true, "not known" },
	{ "a learner, the 'leader' answering is another member: promote blind",
	  { .own_answered = true, .own = OWN(true, 10), .list = &list_learner, .leader_answered = true,
	    .leader = { .cluster_id = CLUSTER, .member_id = 0x2, .raft_index = 10 } },
	  EI_LEARNER_PROMOTE, true, "not known" },
	{ "a learner, the leader's status of another cluster: not used",
	  { .own_answered = true, .own = OWN(true, 10), .list = &list_learner, .leader_answered = true,
	    .leader = { .cluster_id = STRANGER, .member_id = LEADER, .raft_index = 10 } },
	  EI_LEARNER_PROMOTE, true, "not known" },
	{ "our etcd silent, our WAL far behind the leader: wait",
	  { .wal_known = true, .wal_member = OURS, .wal_cluster = CLUSTER, .wal_index_known = true,
	    .wal_index = 100, .list = &list_learner, .leader_answered = true,
	    .leader = LEADER_AT(10000) },
	  EI_LEARNER_WAIT, true, "its WAL reaches 100 of the leader's 10000" },
	{ "our etcd silent, our WAL in sync: promote",
	  { .wal_known = true, .wal_member = OURS, .wal_cluster = CLUSTER, .wal_index_known = true,
	    .wal_index = 9990, .list = &list_learner, .leader_answered = true,
	    .leader = LEADER_AT(10000) },
	  EI_LEARNER_PROMOTE, true, "in sync: its WAL reaches" },
	{ "our etcd silent, our WAL another member's: stop",
	  { .wal_known = true, .wal_member = OTHER, .wal_cluster = CLUSTER, .expect_id = OURS,
	    .list = &list_learner },
	  EI_LEARNER_STOP, false, "not aaa1" },
	{ "our etcd silent, our WAL of another cluster than the list: wait",
	  { .wal_known = true, .wal_member = OURS, .wal_cluster = STRANGER, .list = &list_learner,
	    .list_from = "x" },
	  EI_LEARNER_WAIT, false, "not evidence" },
	{ "our etcd silent, a 'leader' that does not say it leads: promote blind",
	  { .wal_known = true, .wal_member = OURS, .wal_cluster = CLUSTER, .wal_index_known = true,
	    .wal_index = 5, .list = &list_learner, .leader_answered = true,
	    .leader = { .cluster_id = CLUSTER, .member_id = 0x2, .leader = LEADER, .raft_index = 10 } },
	  EI_LEARNER_PROMOTE, true, "not known" },
	{ "our etcd silent, a WAL whose last segment cannot be read: its index is not known",
	  { .wal_known = true, .wal_member = OURS, .wal_cluster = CLUSTER, .list = &list_learner,
	    .leader_answered = true, .leader = LEADER_AT(10000) },
	  EI_LEARNER_PROMOTE, true, "behind the leader is not known" },
	{ "our etcd silent, a fresh WAL at index 0, the leader far ahead: wait (0 is a reading)",
	  { .wal_known = true, .wal_member = OURS, .wal_cluster = CLUSTER, .wal_index_known = true,
	    .list = &list_learner, .leader_answered = true, .leader = LEADER_AT(10000) },
	  EI_LEARNER_WAIT, true, "its WAL reaches 0 of the leader's 10000" },
	{ "our etcd silent, no WAL yet: wait",
	  { .list = &list_learner },
	  EI_LEARNER_WAIT, false, "no WAL with IDs" },
	{ "our etcd without IDs (malformed): wait",
	  { .own_answered = true, .own = { .is_learner = true }, .list = &list_learner },
	  EI_LEARNER_WAIT, false, "does not answer" },
};

static void test_judge(void)
{
	for (size_t i = 0; i < sizeof(judge_cases) / sizeof(judge_cases[0]); i++) {
		struct ei_learner_verdict v;

		ei_learner_judge(&judge_cases[i].look, &v);
		tap_ok(v.step == judge_cases[i].step && v.is_learner == judge_cases[i].is_learner,
		       "judge: %s", judge_cases[i].name);
		tap_ok(strstr(v.reason, judge_cases[i].reason_has) != NULL, "judge: %s: reason says \"%s\"",
		       judge_cases[i].name, judge_cases[i].reason_has);
		if (!strstr(v.reason, judge_cases[i].reason_has))
			printf("#   reason: %s\n", v.reason);
		/* The one rule above all: a promotion only for a learner of our cluster. */
		tap_ok(v.step != EI_LEARNER_PROMOTE ||
			       (v.is_learner && judge_cases[i].look.list &&
				judge_cases[i].look.list->cluster_id == v.cluster &&
				ei_member_list_find_id(judge_cases[i].look.list, v.member)->is_learner),
		       "judge: %s: promotes only a listed learner of our cluster", judge_cases[i].name);
	}
}

static void test_progress_figures(void)
{
	struct ei_learner_look look = { .own_answered = true, .own = OWN(true, 400), .list = &list_learner,
					.leader_answered = true, .leader = LEADER_AT(1000) };
	struct ei_learner_verdict v;

	ei_learner_judge(&look, &v);
	tap_ok(v.progress_known && v.applied == 400 && v.leader_index == 1000 && v.behind == 600,
	       "progress: applied 400 of 1000 is 600 behind");
	look.own.raft_index = 950; /* committed (received) ahead of applied */
	ei_learner_judge(&look, &v);
	tap_ok(v.in_sync && v.step == EI_LEARNER_PROMOTE && v.behind == 600,
	       "progress: a log received to 95%% is in sync though applied lags");
}

/* One watch over time: the applied index of each look at each second. */
static const struct {
	const char *name;
	uint64_t stall_s, timeout_s;
	struct { uint64_t at_s, applied; bool known, in_sync; enum ei_learner_report want; } steps[8];
} watch_cases[] = {
	{ "a learner progressing is never reported", 5, 0,
	  { { 1, 10, true, false, EI_LEARNER_REPORT_NONE }, { 4, 20, true, false, EI_LEARNER_REPORT_NONE },
	    { 8, 30, true, false, EI_LEARNER_REPORT_NONE }, { 12, 40, true, false, EI_LEARNER_REPORT_NONE } } },
	{ "a stalled learner: reported after --learner-stall, then once a minute", 5, 0,
	  { { 1, 10, true, false, EI_LEARNER_REPORT_NONE }, { 5, 10, true, false, EI_LEARNER_REPORT_NONE },
	    { 6, 10, true, false, EI_LEARNER_REPORT_STALL }, { 30, 10, true, false, EI_LEARNER_REPORT_NONE },
	    { 66, 10, true, false, EI_LEARNER_REPORT_STALL }, { 67, 11, true, false, EI_LEARNER_REPORT_NONE },
	    { 73, 11, true, false, EI_LEARNER_REPORT_STALL } } },
	{ "a learner in sync whose index rests is not stalled", 5, 0,
	  { { 1, 10, true, true, EI_LEARNER_REPORT_NONE }, { 20, 10, true, true, EI_LEARNER_REPORT_NONE } } },
	{ "the leader silent: a learner whose own index rests is stalled", 5, 0,
	  { { 1, 0, false, false, EI_LEARNER_REPORT_NONE }, { 7, 0, false, false, EI_LEARNER_REPORT_STALL } } },
	{ "still a learner after --learner-timeout: reported, then once a minute", 0, 10,
	  { { 1, 10, true, false, EI_LEARNER_REPORT_NONE }, { 10, 20, true, false, EI_LEARNER_REPORT_TIMEOUT },
	    { 50, 30, true, false, EI_LEARNER_REPORT_NONE }, { 70, 40, true, false, EI_LEARNER_REPORT_TIMEOUT } } },
	{ "0 turns both reports off", 0, 0,
	  { { 1, 10, true, false, EI_LEARNER_REPORT_NONE }, { 9000, 10, true, false, EI_LEARNER_REPORT_NONE } } },
};

static void test_watch(void)
{
	for (size_t i = 0; i < sizeof(watch_cases) / sizeof(watch_cases[0]); i++) {
		struct ei_learner_watch w;
		bool all = true;

		ei_learner_watch_start(&w, 0, 0);
		for (size_t k = 0; k < 8 && watch_cases[i].steps[k].at_s; k++) {
			struct ei_learner_verdict v = { .index_known = true,
							.progress_known = watch_cases[i].steps[k].known,
							.applied = watch_cases[i].steps[k].applied,
							.in_sync = watch_cases[i].steps[k].in_sync };
			enum ei_learner_report got = ei_learner_watch_update(
			    &w, &v, watch_cases[i].steps[k].at_s * 1000, watch_cases[i].stall_s * 1000,
			    watch_cases[i].timeout_s * 1000);

			if (got != watch_cases[i].steps[k].want) {
				printf("#   at %" PRIu64 " s: got report %d, want %d\n",
				       watch_cases[i].steps[k].at_s, (int)got, (int)watch_cases[i].steps[k].want);
				all = false;
			}
		}
		tap_ok(all, "watch: %s", watch_cases[i].name);
	}
	{
		struct ei_learner_watch w;
		struct ei_learner_verdict v = { .index_known = true, .progress_known = true, .applied = 5 };

		/* A learner since before this start (its record): the timeout counts from then. */
		ei_learner_watch_start(&w, 599000, 600000);
		tap_ok(ei_learner_watch_update(&w, &v, 601000, 0, 600000) == EI_LEARNER_REPORT_TIMEOUT,
		       "watch: --learner-timeout counts from the record, not from this start");
		/* A record older than the machine's uptime (a node reboot): still counted. */
		ei_learner_watch_start(&w, 3u * 3600u * 1000u, 5);
		tap_ok(ei_learner_watch_update(&w, &v, 10, 0, 600000) == EI_LEARNER_REPORT_TIMEOUT,
		       "watch: a record older than the monotonic clock counts whole");
	}
	{
		struct ei_learner_watch w;
		struct ei_learner_verdict status = { .index_known = true, .applied = 50 };
		struct ei_learner_verdict wal = { .index_known = true, .from_wal = true, .applied = 70 };
		bool stalled_seen = false;

		/* Our etcd answering only now and then: switching between its applied index and
		 * the WAL's is no progress, and the stall is still said. */
		ei_learner_watch_start(&w, 0, 0);
		for (uint64_t t = 1; t <= 20; t++)
			stalled_seen |= ei_learner_watch_update(&w, t % 2 ? &status : &wal, t * 1000, 5000, 0) ==
					EI_LEARNER_REPORT_STALL;
		tap_ok(stalled_seen, "watch: alternating sources hide no stall");
	}
}

static const struct {
	const char *text;
	bool ok;
	uint64_t id, since;
} record_cases[] = {
	{ "member=aaa1 since=1700000000\n", true, 0xaaa1, 1700000000 },
	{ "member=aaa1 since=1700000000", true, 0xaaa1, 1700000000 },
	{ "member=ffffffffffffffff since=18446744073709551615", true, UINT64_MAX, UINT64_MAX },
	{ "member=0 since=1", false, 0, 0 },
	{ "member=abc since=0", true, 0xabc, 0 },
	{ "member=abc since=0882500000", false, 0, 0 },
	{ "member=0abc since=1", false, 0, 0 },
	{ "member=1ffffffffffffffff since=1", false, 0, 0 },
	{ "member=aaa1 since=18446744073709551616", false, 0, 0 },
	{ "member=AAA1 since=1", false, 0, 0 },
	{ "member= since=1", false, 0, 0 },
	{ "member=aaa1 since=", false, 0, 0 },
	{ "member=aaa1  since=1", false, 0, 0 },
	{ "member=aaa1 since=1\n\n", false, 0, 0 },
	{ "member=aaa1 since=1 x", false, 0, 0 },
	{ "", false, 0, 0 },
};

static void test_record(void)
{
	char buf[128];

	for (size_t i = 0; i < sizeof(record_cases) / sizeof(record_cases[0]); i++) {
		uint64_t id = 0, since = 0;
		bool ok = ei_learner_record_parse(record_cases[i].text, strlen(record_cases[i].text), &id, &since);

		tap_ok(ok == record_cases[i].ok && (!ok || (id == record_cases[i].id && since == record_cases[i].since)),
		       "record: \"%.*s\"%s %s", (int)strcspn(record_cases[i].text, "\n"), record_cases[i].text,
		       strchr(record_cases[i].text, '\n') ? " (newline)" : "",
		       record_cases[i].ok ? "parses" : "is refused");
	}
	ei_learner_record_format(buf, sizeof(buf), 0xabc, 42);
	tap_streq(buf, "member=abc since=42\n", "record: format");
}

static void test_duration(void)
{
	static const struct { uint64_t ms; const char *want; } cases[] = {
		{ 0, "0s" }, { 59999, "59s" }, { 60000, "1m00s" }, { 200000, "3m20s" },
		{ 3600000, "1h00m" }, { 7500000, "2h05m" },
	};
	char buf[32];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ei_learner_duration(buf, sizeof(buf), cases[i].ms);
		tap_streq(buf, cases[i].want, "duration: %" PRIu64 " ms", cases[i].ms);
	}
}

int main(void)
{
	tap_init();
	test_judge();
	test_progress_figures();
	test_watch();
	test_record();
	test_duration();
	return tap_done();
}
