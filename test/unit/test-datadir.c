/* Unit tests for lib/datadir.c: the data dir inspection (WALs written by walbuild.h),
 * the checks before any network call, the first-start marker and the move-aside, on a
 * scratch directory. */
#include "datadir.h"
#include "learner.h"
#include "tap.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "walbuild.h"

/* ---- filesystem cases -------------------------------------------------- */

static char tmp[64];

static void mkdirs(const char *rel)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", tmp, rel);
	for (char *s = p + strlen(tmp) + 1; *s; s++) {
		if (*s == '/') {
			*s = '\0';
			mkdir(p, 0755);
			*s = '/';
		}
	}
	mkdir(p, 0755);
}

static void write_file(const char *rel, const void *data, size_t len, size_t zeros)
{
	char p[PATH_MAX];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", tmp, rel);
	f = fopen(p, "w");
	if (!f) {
		printf("# cannot create %s\n", p);
		return;
	}
	fwrite(data, 1, len, f);
	for (size_t i = 0; i < zeros; i++)
		fputc(0, f);
	fclose(f);
}

static void write_wal(const char *rel, uint64_t node, uint64_t cluster)
{
	static struct wb w;

	memset(&w, 0, sizeof(w));
	wb_head(&w, node, cluster);
	write_file(rel, w.b, w.len, 65536);
}

static const char *at(const char *rel)
{
	static char p[4][PATH_MAX];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", tmp, rel);
	return p[i];
}

static bool exists(const char *rel)
{
	struct stat st;

	return lstat(at(rel), &st) == 0;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(p) : unlink(p);
}

static void reset(void)
{
	nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	mkdir(tmp, 0755);
}

/* Run inspect of rel in a child that runs as nobody (as root, DAC checks pass): does it
 * fail with want_code, want_errno (0: any) and want in its message (NULL: any)? */
static bool inspect_as_nobody(const char *rel, int want_code, int want_errno, const char *want)
{
	pid_t pid = fork();
	int st = 0;

	if (pid == 0) {
		struct ei_datadir_facts cf;
		struct ei_err cerr = {0};
		int r;

		if (geteuid() == 0 && (setgid(65534) < 0 || setuid(65534) < 0))
			_exit(99);
		r = ei_datadir_inspect(at(rel), NULL, &cf, &cerr);
		printf("#   %s\n", cerr.msg);
		fflush(stdout);
		_exit(r == want_code && (!want_errno || cerr.sys_errno == want_errno) &&
			      (!want || strstr(cerr.msg, want))
			  ? 0
			  : 1);
	}
	waitpid(pid, &st, 0);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static void test_inspect(void)
{
	static const char *W0 = "0000000000000000-0000000000000000.wal";
	struct ei_datadir_facts f;
	struct ei_err err = {0};
	char p[PATH_MAX];
	int rc;

	rc = ei_datadir_inspect(at("absent"), NULL, &f, &err);
	tap_ok(rc == 0 && !f.has_wal && !f.has_snap_db, "inspect: no data dir: no WAL, no error");

	mkdirs("d1");
	rc = ei_datadir_inspect(at("d1"), NULL, &f, &err);
	tap_ok(rc == 0 && !f.has_wal, "inspect: empty data dir: no WAL");
	tap_streq(f.wal_dir, at("d1/member/wal"), "inspect: WAL dir defaults to member/wal");

	mkdirs("d1/member/wal");
	rc = ei_datadir_inspect(at("d1"), NULL, &f, &err);
	tap_ok(rc == 0 && !f.has_wal, "inspect: empty member/wal: no WAL");

	reset();
	mkdirs("d2/member/snap");
	write_file("d2/member/snap/db", "bolt", 4, 0);
	rc = ei_datadir_inspect(at("d2"), NULL, &f, &err);
	tap_ok(rc == 0 && !f.has_wal && f.has_snap_db,
	       "inspect: only member/snap/db (failed first start): not initialized");

	mkdirs("d2/member/wal.tmp");
	snprintf(p, sizeof(p), "d2/member/wal.tmp/%s", W0);
	write_wal(p, 1, 2);
	mkdirs("d2/member/wal");
	write_file("d2/member/wal/notes.wal.bak", "x", 1, 0);
	write_file("d2/member/wal/0.tmp", "x", 1, 0);
	rc = ei_datadir_inspect(at("d2"), NULL, &f, &err);
	tap_ok(rc == 0 && !f.has_wal, "inspect: a WAL in wal.tmp or non-.wal names: no WAL");

	snprintf(p, sizeof(p), "d2/member/wal/%s", W0);
	write_wal(p, 0xfedcba9876543210ULL, 0x0123456789abcdefULL);
	write_wal("d2/member/wal/0000000000000001-0000000000000009.wal", 7, 7);
	rc = ei_datadir_inspect(at("d2"), NULL, &f, &err);
	tap_ok(rc == 0 && f.has_wal && f.has_metadata && f.member_id == 0xfedcba9876543210ULL &&
		   f.cluster_id == 0x0123456789abcdefULL && f.has_snap_db,
	       "inspect: a .wal file gives the member and cluster IDs of the lowest-named one");
	tap_streq(f.first_wal, at(p), "inspect: first_wal names the lowest-named file");

	reset();
	mkdirs("d3/member/wal");
	write_file("d3/member/wal/0000000000000000-0000000000000000.wal", "", 0, 65536);
	rc = ei_datadir_inspect(at("d3"), NULL, &f, &err);
	tap_ok(rc == 0 && f.has_wal && !f.has_metadata && f.metadata_error[0],
	       "inspect: zero-filled .wal: initialized, metadata unknown");
	printf("#   %s\n", f.metadata_error);

	write_file("d3/member/wal/0000000000000000-0000000000000000.wal", "", 0, 0);
	rc = ei_datadir_inspect(at("d3"), NULL, &f, &err);
	tap_ok(rc == 0 && f.has_wal && !f.has_metadata && f.metadata_error[0],
	       "inspect: empty .wal: initialized, metadata unknown");

	reset();
	mkdirs("d4/member/wal/strange.wal");
	rc = ei_datadir_inspect(at("d4"), NULL, &f, &err);
	tap_ok(rc == 0 && f.has_wal && !f.has_metadata && f.metadata_error[0],
	       "inspect: a directory named *.wal counts as etcd's wal.Exist counts it");
	printf("#   %s\n", f.metadata_error);
	snprintf(p, sizeof(p), "d4/member/wal/%s", W0);
	mkdirs(p);
	rc = ei_datadir_inspect(at("d4"), NULL, &f, &err);
	tap_ok(rc == 0 && f.has_wal && !f.has_metadata && strstr(f.metadata_error, "regular"),
	       "inspect: a directory with a WAL file's name: initialized, metadata unknown");
	printf("#   %s\n", f.metadata_error);

	reset();
	mkdirs("d4/member/wal");
	snprintf(p, sizeof(p), "d4/member/wal/%s", W0);
	mkfifo(at(p), 0600);
	rc = ei_datadir_inspect(at("d4"), NULL, &f, &err);
	tap_ok(rc == 0 && f.has_wal && !f.has_metadata && strstr(f.metadata_error, "regular"),
	       "inspect: a FIFO with a WAL file's name does not hang, metadata unknown");

	reset();
	mkdirs("d4/member/wal");
	write_wal("d4/member/wal/foo.wal", 1, 2);
	rc = ei_datadir_inspect(at("d4"), NULL, &f, &err);
	tap_ok(rc == 0 && f.has_wal && !f.has_metadata && strstr(f.metadata_error, "named"),
	       "inspect: only a badly named foo.wal: initialized, metadata unknown");

	reset();
	mkdirs("d5/member/snap");
	mkdirs("waldir");
	snprintf(p, sizeof(p), "waldir/%s", W0);
	write_wal(p, 11, 22);
	rc = ei_datadir_inspect(at("d5"), at("waldir"), &f, &err);
	tap_ok(rc == 0 && f.has_wal && f.has_metadata && f.member_id == 11 && f.cluster_id == 22,
	       "inspect: --wal-dir elsewhere is read");
	tap_streq(f.wal_dir, at("waldir"), "inspect: wal_dir reports --wal-dir");
	rc = ei_datadir_inspect(at("d5"), NULL, &f, &err);
	tap_ok(rc == 0 && !f.has_wal, "inspect: without --wal-dir that data dir has no WAL");
	rc = ei_datadir_inspect(at("d5"), at("nowal"), &f, &err);
	tap_ok(rc == 0 && !f.has_wal, "inspect: a missing --wal-dir: no WAL");
	write_file("walfile", "x", 1, 0);
	rc = ei_datadir_inspect(at("d5"), at("walfile"), &f, &err);
	tap_ok(rc == EI_E_USAGE && strstr(err.msg, "walfile is not a directory"),
	       "inspect: a --wal-dir that is a file is a usage error naming it");
	printf("#   %s\n", err.msg);

	/* Permission denied must be an error, not "no WAL". As root, check in a
	 * child that drops to nobody. */
	reset();
	mkdirs("d6/member/wal");
	snprintf(p, sizeof(p), "d6/member/wal/%s", W0);
	write_wal(p, 1, 2);
	chmod(at(p), 0);
	chmod(at("d6/member/wal"), 0700);
	/* The data dir and member/ are usable by the child; only the WAL is not. */
	chmod(at("d6"), 0777);
	chmod(at("d6/member"), 0777);
	tap_ok(inspect_as_nobody("d6", EI_E_SYS, EACCES, NULL),
	       "inspect: an unreadable WAL dir is EI_E_SYS (EACCES)");
	chmod(at("d6/member/wal"), 0755);
	tap_ok(inspect_as_nobody("d6", EI_E_SYS, EACCES, "open WAL"),
	       "inspect: an unreadable WAL file is EI_E_SYS (EACCES)");
}

static bool same_bytes(const char *a, const char *b)
{
	FILE *fa = fopen(a, "r"), *fb = fopen(b, "r");
	bool same = fa && fb;

	while (same) {
		int ca = fgetc(fa), cb = fgetc(fb);

		if (ca != cb)
			same = false;
		if (ca == EOF || cb == EOF)
			break;
	}
	if (fa)
		fclose(fa);
	if (fb)
		fclose(fb);
	return same;
}

static void test_move_aside(void)
{
	static const char *W0 = "0000000000000000-0000000000000000.wal";
	struct ei_datadir_facts f;
	struct ei_err err = {0};
	char p[PATH_MAX], moved[PATH_MAX];
	int rc;

	reset();
	mkdirs("d/member/wal");
	mkdirs("d/member/snap");
	mkdirs("ref");
	snprintf(p, sizeof(p), "d/member/wal/%s", W0);
	write_wal(p, 5, 6);
	snprintf(p, sizeof(p), "ref/%s", W0);
	write_wal(p, 5, 6);
	write_file("d/member/snap/db", "boltdb", 6, 0);
	rc = ei_datadir_move_aside(at("d"), NULL, "x1", moved, sizeof(moved), &err);
	tap_ok(rc == 0 && !exists("d/member") && exists("d/member.removed-x1/snap/db"),
	       "move aside: member/ renamed to member.removed-x1");
	if (rc)
		printf("#   %s\n", err.msg);
	tap_streq(moved, at("d/member.removed-x1"), "move aside: moved_to names the new path");
	snprintf(p, sizeof(p), "d/member.removed-x1/wal/%s", W0);
	tap_ok(same_bytes(at(p), at("ref/0000000000000000-0000000000000000.wal")),
	       "move aside: the WAL is whole after the move");
	rc = ei_datadir_inspect(at("d"), NULL, &f, &err);
	tap_ok(rc == 0 && !f.has_wal, "move aside: afterwards the data dir has no WAL");

	mkdirs("d/member/wal");
	snprintf(p, sizeof(p), "d/member/wal/%s", W0);
	write_wal(p, 8, 9);
	rc = ei_datadir_move_aside(at("d"), NULL, "x1", moved, sizeof(moved), &err);
	tap_ok(rc == EI_E_SYS && err.sys_errno == EEXIST && exists(p) &&
		   exists("d/member.removed-x1/snap/db"),
	       "move aside: refuses to overwrite an existing target, moves nothing");
	rc = ei_datadir_move_aside(at("d"), NULL, "a/b", moved, sizeof(moved), &err);
	tap_ok(rc == EI_E_SYS && exists(p), "move aside: a suffix with '/' is refused");

	/* --wal-dir inside member/ moves along with it. */
	snprintf(p, sizeof(p), "%s/member/wal/", at("d"));
	rc = ei_datadir_move_aside(at("d"), p, "x2", moved, sizeof(moved), &err);
	tap_ok(rc == 0 && exists("d/member.removed-x2/wal") && !exists("d/member/wal.removed-x2"),
	       "move aside: a --wal-dir under member/ moves with member/");

	/* --wal-dir elsewhere: both move, the WAL dir to <wal>.removed-<suffix>. */
	reset();
	mkdirs("e/member/snap");
	mkdirs("w/wal");
	mkdirs("ref");
	snprintf(p, sizeof(p), "w/wal/%s", W0);
	write_wal(p, 5, 6);
	snprintf(p, sizeof(p), "ref/%s", W0);
	write_wal(p, 5, 6);
	rc = ei_datadir_move_aside(at("e"), at("w/wal"), "y", moved, sizeof(moved), &err);
	snprintf(p, sizeof(p), "w/wal.removed-y/%s", W0);
	tap_ok(rc == 0 && !exists("e/member") && exists("e/member.removed-y/snap") &&
		   !exists("w/wal") &&
		   same_bytes(at(p), at("ref/0000000000000000-0000000000000000.wal")),
	       "move aside: a separate --wal-dir moves to <wal>.removed-<suffix>");
	if (rc)
		printf("#   %s\n", err.msg);

	/* Refusal when the WAL target exists: nothing moves at all. */
	mkdirs("e/member/snap");
	mkdirs("w/wal");
	mkdirs("w/wal.removed-z");
	rc = ei_datadir_move_aside(at("e"), at("w/wal"), "z", moved, sizeof(moved), &err);
	tap_ok(rc == EI_E_SYS && err.sys_errno == EEXIST && exists("e/member") && exists("w/wal") &&
		   !exists("e/member.removed-z"),
	       "move aside: an existing WAL target refuses before anything moves");

	/* Only the WAL dir left (a crash between the two renames): it still moves. */
	rc = ei_datadir_move_aside(at("e"), NULL, "q", moved, sizeof(moved), &err);
	tap_ok(rc == 0 && exists("e/member.removed-q"), "move aside: member/ alone");
	rc = ei_datadir_move_aside(at("e"), at("w/wal"), "q", moved, sizeof(moved), &err);
	tap_ok(rc == 0 && exists("w/wal.removed-q") && !exists("w/wal") &&
		   strcmp(moved, at("w/wal.removed-q")) == 0,
	       "move aside: after a crash between renames, the WAL dir still moves");

	rc = ei_datadir_move_aside(at("e"), at("w/wal"), "r", moved, sizeof(moved), &err);
	tap_ok(rc == EI_E_SYS && err.sys_errno == ENOENT, "move aside: nothing to move is ENOENT");
}

/* The move of a removed member's data under a UTC timestamp of now, and the --wal-dir
 * that run and leave pass below. */
static void test_move_removed(void)
{
	struct ei_err err = {0};
	struct dirent *de;
	char found[NAME_MAX + 1] = "";
	DIR *d;
	int rc;

	reset();
	mkdirs("g/member/snap");
	rc = ei_datadir_move_removed(at("g"), NULL, 0x1234, "test.none", "test: data moved aside",
				     &err);
	d = opendir(at("g"));
	while (d && (de = readdir(d)))
		if (strncmp(de->d_name, "member.removed-", 15) == 0)
			snprintf(found, sizeof(found), "%s", de->d_name);
	if (d)
		closedir(d);
	/* member.removed-YYYYmmddTHHMMSSZ */
	tap_ok(rc == 0 && !exists("g/member") && strlen(found) == 15 + 16 && found[15 + 8] == 'T' &&
		       found[15 + 15] == 'Z',
	       "move removed: member/ renamed to member.removed-<UTC timestamp> (%s)", found);
	tap_ok(ei_datadir_wal_dir("") == NULL && strcmp(ei_datadir_wal_dir("/w"), "/w") == 0,
	       "wal dir: an empty --wal-dir is none (NULL), a set one is itself");
}

/* The checks before any network call: a data dir that cannot be used, a .wal that is
 * not a WAL, a WAL elsewhere, and the first-start marker. */
static void test_datadir_checks(void)
{
	static const char *W0 = "0000000000000000-0000000000000000.wal";
	struct ei_datadir_facts f;
	struct ei_err err = {0};
	char p[PATH_MAX];
	int rc;

	reset();
	write_file("file", "x", 1, 0);
	rc = ei_datadir_inspect(at("file"), NULL, &f, &err);
	tap_ok(rc == EI_E_USAGE && strstr(err.msg, "the data dir") && strstr(err.msg, "/file is not a directory"),
	       "checks: a data dir that is a file is a usage error naming it");
	printf("#   %s\n", err.msg);
	mkdirs("d1");
	write_file("d1/member", "x", 1, 0);
	rc = ei_datadir_inspect(at("d1"), NULL, &f, &err);
	tap_ok(rc == EI_E_USAGE && strstr(err.msg, "the member dir"),
	       "checks: a member dir that is a file is a usage error naming it");
	mkdirs("d2");
	chmod(at("d2"), 0311);
	tap_ok(inspect_as_nobody("d2", EI_E_USAGE, 0, "cannot be read"), "checks: an unreadable data dir");
	mkdirs("d3");
	chmod(at("d3"), 0755);
	tap_ok(inspect_as_nobody("d3", EI_E_USAGE, 0, "is not writable"), "checks: a data dir not writable");
	mkdirs("d4/member");
	chmod(at("d4"), 0777);
	chmod(at("d4/member"), 0555);
	tap_ok(inspect_as_nobody("d4", EI_E_USAGE, 0, "the member dir"), "checks: a member dir not writable");
	rc = ei_datadir_inspect(at("absent"), NULL, &f, &err);
	tap_ok(rc == 0 && !f.has_wal, "checks: an absent data dir is fine (etcd creates it)");

	/* *.wal files that are not WALs: refused by plan.c (not_a_wal). */
	{
		static const struct {
			const char *what;
			const char *bytes;
			size_t len;
		} bad[] = {
			{ "a zero-length .wal", "", 0 },
			{ "a .wal of random bytes", "\x17\x03\x03\x00\x10random bytes here", 21 },
			{ "a .wal cut short in its first frame", "\x10\x00\x00\x00\x00\x00\x00\x00\x08", 9 },
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			reset();
			mkdirs("d/member/wal");
			snprintf(p, sizeof(p), "d/member/wal/%s", W0);
			write_file(p, bad[i].bytes, bad[i].len, 0);
			rc = ei_datadir_inspect(at("d"), NULL, &f, &err);
			tap_ok(rc == 0 && f.has_wal && f.not_a_wal && f.metadata_error[0],
			       "checks: %s is not a WAL", bad[i].what);
			printf("#   %s\n", f.metadata_error);
		}
	}
	/* A WAL head cut right after its CRC record: the metadata was cut short. */
	{
		static struct wb w;

		reset();
		memset(&w, 0, sizeof(w));
		wb_head(&w, 7, 8);
		mkdirs("d/member/wal");
		snprintf(p, sizeof(p), "d/member/wal/%s", W0);
		write_file(p, w.b, 20, 0);
		rc = ei_datadir_inspect(at("d"), NULL, &f, &err);
		tap_ok(rc == 0 && f.has_wal && f.not_a_wal, "checks: metadata cut short is not a WAL");
		printf("#   %s\n", f.metadata_error);
	}
	reset();
	mkdirs("d/member/wal");
	write_file("d/member/wal/junk.wal", "x", 1, 0);
	rc = ei_datadir_inspect(at("d"), NULL, &f, &err);
	tap_ok(rc == 0 && f.has_wal && f.not_a_wal && strstr(f.metadata_error, "named"),
	       "checks: a .wal not named as etcd names them is not a WAL etcd can read");

	/* The official manifest's layout (--wal-dir=<data-dir>/wal) seen without --wal-dir. */
	reset();
	mkdirs("d/member/snap");
	write_file("d/member/snap/db", "x", 1, 0);
	mkdirs("d/wal");
	snprintf(p, sizeof(p), "d/wal/%s", W0);
	write_wal(p, 1, 2);
	rc = ei_datadir_inspect(at("d"), NULL, &f, &err);
	tap_ok(rc == 0 && !f.has_wal && f.has_snap_db && strcmp(f.wal_elsewhere, at("d/wal")) == 0,
	       "checks: a WAL in <data-dir>/wal is found and named");
	rc = ei_datadir_inspect(at("d"), at("d/wal"), &f, &err);
	tap_ok(rc == 0 && f.has_wal && f.has_metadata && !f.wal_elsewhere[0],
	       "checks: with --wal-dir=<data-dir>/wal it is the WAL");
	/* And the other way round: --wal-dir set, the WAL in member/wal. */
	reset();
	mkdirs("d/member/wal");
	snprintf(p, sizeof(p), "d/member/wal/%s", W0);
	write_wal(p, 1, 2);
	rc = ei_datadir_inspect(at("d"), at("elsewhere"), &f, &err);
	tap_ok(rc == 0 && !f.has_wal && strcmp(f.wal_elsewhere, at("d/member/wal")) == 0,
	       "checks: a WAL in member/wal while --wal-dir points elsewhere is named");

	/* The marker of a first start. */
	reset();
	mkdirs("d");
	rc = ei_datadir_mark_first_start(at("d"), &err);
	tap_ok(rc == 0 && exists("d/member/" EI_FIRST_START_MARKER), "marker: written into member/");
	rc = ei_datadir_inspect(at("d"), NULL, &f, &err);
	tap_ok(rc == 0 && f.first_start_marker && !f.has_wal, "marker: seen by inspect");
	rc = ei_datadir_clear_first_start(at("d"), &err);
	tap_ok(rc == 0 && !exists("d/member/" EI_FIRST_START_MARKER), "marker: cleared");
	rc = ei_datadir_clear_first_start(at("d"), &err);
	tap_ok(rc == 0, "marker: clearing twice is fine");
}

/* The learner record: written, read back, replaced, refused when not one, removed. */
static void test_learner_record(void)
{
	char dir[128], path[192];
	uint64_t id = 0, since = 0;
	struct ei_err err = { 0 };
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/learner", tmp);
	mkdir(dir, 0700);
	tap_ok(ei_datadir_learner_record_read(dir, &id, &since, &err) == 0,
	       "learner record: none in a data dir without member/");
	snprintf(path, sizeof(path), "%s/member", dir);
	mkdir(path, 0700);
	tap_ok(ei_datadir_learner_record_write(dir, 0xabc, 1700000000, &err) == 0 &&
		       ei_datadir_learner_record_read(dir, &id, &since, &err) == 1 && id == 0xabc &&
		       since == 1700000000,
	       "learner record: written and read back");
	tap_ok(ei_datadir_learner_record_write(dir, 0xdef, 1700000100, &err) == 0 &&
		       ei_datadir_learner_record_read(dir, &id, &since, &err) == 1 && id == 0xdef,
	       "learner record: replaced for another member");
	{
		char member[160], found[256] = "";
		DIR *d;
		struct dirent *e;

		snprintf(member, sizeof(member), "%s/member", dir);
		d = opendir(member);
		while (d && (e = readdir(d)))
			if (e->d_name[0] != '.' || strncmp(e->d_name, ".etcd-init", 10) == 0)
				ei_msg_add(found, sizeof(found), " ", "%s", e->d_name);
		if (d)
			closedir(d);
		tap_streq(found, EI_LEARNER_RECORD, "learner record: no temporary file left");
	}
	snprintf(path, sizeof(path), "%s/member/" EI_LEARNER_RECORD, dir);
	f = fopen(path, "w");
	if (f) {
		fputs("member=xyz since=1\n", f);
		fclose(f);
	}
	tap_ok(ei_datadir_learner_record_read(dir, &id, &since, &err) == 0,
	       "learner record: a file that is not one reads as none");
	f = fopen(path, "w");
	if (f) {
		for (int i = 0; i < 200; i++)
			fputs("member=abc since=1\n", f);
		fclose(f);
	}
	tap_ok(ei_datadir_learner_record_read(dir, &id, &since, &err) == 0,
	       "learner record: an oversized file reads as none");
	tap_ok(ei_datadir_learner_record_remove(dir, &err) == 0 && access(path, F_OK) != 0 &&
		       ei_datadir_learner_record_remove(dir, &err) == 0,
	       "learner record: removed, and removing it again is quiet");
}

int main(void)
{
	tap_init();

	snprintf(tmp, sizeof(tmp), "/tmp/ei-test-datadir.XXXXXX");
	if (!mkdtemp(tmp)) {
		tap_ok(0, "mkdtemp: %s", strerror(errno));
		return tap_done();
	}
	chmod(tmp, 0755);
	test_inspect();
	test_datadir_checks();
	test_move_aside();
	test_move_removed();
	test_learner_record();
	nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return tap_done();
}
