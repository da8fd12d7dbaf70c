/* datadir.c - what the data dir says: is there a WAL, and whose is it (see datadir.h).
 * The bytes of a WAL's head are decoded by wal.c. Sources (etcd-io/etcd; 3.4 paths in
 * brackets): "initialized": server/storage/wal/util.go Exist [wal/util.go], file names
 * "%016x-%016x.wal" (walName, parseWALName). */
#include "datadir.h"

#include <dirent.h>
#include <inttypes.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "failpoint.h"
#include "file.h"
#include "learner.h"
#include "log.h"
#include "wal.h"

/* The head of a WAL file is two small records (crc, metadata) and a snapshot record,
 * well under 100 bytes; the rest of the 64 MB segment may be entries or zeros. */
#define WAL_HEAD_BYTES 8192

/* util.go parseWALName: "%016x-%016x.wal" (seq-index). */
static bool wal_name_is_etcds(const char *name)
{
	static const char hex[] = "0123456789abcdefABCDEF";

	if (strlen(name) != 16 + 1 + 16 + 4 || strcmp(name + 33, ".wal") != 0 || name[16] != '-')
		return false;
	for (int i = 0; i < 33; i++) {
		if (i != 16 && !strchr(hex, name[i]))
			return false;
	}
	return true;
}

/* fileutil.ReadDir(dir, WithExt(".wal")): filepath.Ext(name) == ".wal". */
static bool has_wal_ext(const char *name)
{
	size_t n = strlen(name);

	return n >= 4 && strcmp(name + n - 4, ".wal") == 0;
}

static int join(char *dst, size_t cap, const char *a, const char *b, struct ei_err *err)
{
	int n = snprintf(dst, cap, "%s/%s", a, b);

	if (n < 0 || (size_t)n >= cap)
		return ei_err_sys(err, ENAMETOOLONG, "%s/%s", a, b);
	return 0;
}

/* Read the first bytes of a WAL file and decode its metadata into out. Only a
 * system error is returned; a bad WAL sets out->metadata_error. */
static int inspect_wal_file(struct ei_datadir_facts *out, struct ei_err *err)
{
	unsigned char buf[WAL_HEAD_BYTES];
	struct ei_err perr = {0};
	struct stat st;
	size_t got = 0;
	int fd, rc = 0;

	/* O_NONBLOCK: a FIFO named like a WAL file must not hang PID 1 in open(). */
	fd = open(out->first_wal, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return ei_err_sys(err, errno, "open WAL %s", out->first_wal);
	if (fstat(fd, &st) < 0) {
		rc = ei_err_sys(err, errno, "stat WAL %s", out->first_wal);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		out->not_a_wal = true;
		snprintf(out->metadata_error, sizeof(out->metadata_error),
			 "%s is not a regular file", out->first_wal);
		goto out;
	}
	while (got < sizeof(buf)) {
		ssize_t n = read(fd, buf + got, sizeof(buf) - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = ei_err_sys(err, errno, "read WAL %s", out->first_wal);
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (ei_wal_parse_metadata(buf, got, &out->member_id, &out->cluster_id, &out->not_a_wal,
				  &perr) < 0) {
		snprintf(out->metadata_error, sizeof(out->metadata_error), "%s: %s", out->first_wal,
			 perr.msg);
		goto out;
	}
	out->has_metadata = true;
out:
	close(fd);
	return rc;
}

/* The raft position of the last WAL segment (wal.h), mapped read-only: a segment is
 * preallocated to 64 MiB and only its used head is read. Only a system error is
 * returned; an unreadable segment sets out->position_error. */
static int inspect_position(const char *path, struct ei_datadir_facts *out, struct ei_err *err)
{
	struct ei_err perr = {0};
	struct stat st;
	void *map;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return ei_err_sys(err, errno, "open WAL %s", path);
	if (fstat(fd, &st) < 0) {
		int e = errno;

		close(fd);
		return ei_err_sys(err, e, "stat WAL %s", path);
	}
	if (!S_ISREG(st.st_mode) || st.st_size <= 0) {
		snprintf(out->position_error, sizeof(out->position_error),
			 "%s is not a regular, non-empty file", path);
		close(fd);
		return 0;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return ei_err_sys(err, errno, "mmap WAL %s", path);
	if (ei_wal_scan_position(map, (size_t)st.st_size, &out->position, &perr) < 0)
		snprintf(out->position_error, sizeof(out->position_error), "%s: %s", path,
			 perr.msg);
	else
		out->has_position = true;
	munmap(map, (size_t)st.st_size);
	return 0;
}

/* Scan dir for *.wal files: *found tells whether there is one; best/any get the
 * lowest etcd-named and the lowest of all. A missing directory has none. */
static int fsync_dir(const char *dir, struct ei_err *err);

static int scan_wal_dir(const char *dir, bool *found, char *best, char *any, char *last,
			struct ei_err *err)
{
	struct dirent *de;
	DIR *d;

	*found = false;
	best[0] = any[0] = last[0] = '\0';
	/* wal.Exist returns false when the directory cannot be opened; we only treat
	 * "absent" that way, and report anything else rather than guess. */
	d = opendir(dir);
	if (!d) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return ei_err_sys(err, errno, "open WAL dir %s", dir);
	}
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de)
			break;
		/* Like wal.Exist, any entry with the .wal extension counts (even one that
		 * is not a regular file): etcd would then consider itself initialized, so
		 * we must not call the member new. Entries in "<wal>.tmp" are never seen:
		 * that is a sibling directory. */
		if (!has_wal_ext(de->d_name))
			continue;
		*found = true;
		if (!any[0] || strcmp(de->d_name, any) < 0)
			snprintf(any, NAME_MAX + 1, "%s", de->d_name);
		/* readWALNames: etcd reads only files named <seq>-<index>.wal. */
		if (wal_name_is_etcds(de->d_name) && (!best[0] || strcmp(de->d_name, best) < 0))
			snprintf(best, NAME_MAX + 1, "%s", de->d_name);
		if (wal_name_is_etcds(de->d_name) && (!last[0] || strcmp(de->d_name, last) > 0))
			snprintf(last, NAME_MAX + 1, "%s", de->d_name);
	}
	if (errno) {
		int e = errno;

		closedir(d);
		return ei_err_sys(err, e, "read WAL dir %s", dir);
	}
	closedir(d);
	return 0;
}

/* A directory etcd must read and write: absent is fine (etcd creates it), anything
 * else that is not a readable, writable directory is a usage error naming it. */
static int check_usable_dir(const char *path, const char *what, struct ei_err *err)
{
	struct stat st;
	DIR *d;

	if (stat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		if (errno == ENOTDIR)
			return ei_err_set(err, EI_E_USAGE,
					  "%s %s: a parent of it is not a directory (expected a directory, or nothing there)",
					  what, path);
		return ei_err_set(err, EI_E_USAGE,
				  "%s %s: %s (expected a readable, writable directory)", what, path,
				  strerror(errno));
	}
	if (!S_ISDIR(st.st_mode))
		return ei_err_set(err, EI_E_USAGE,
				  "%s %s is not a directory (expected a directory, or nothing there: check the volume mount)",
				  what, path);
	d = opendir(path);
	if (!d)
		return ei_err_set(err, EI_E_USAGE,
				  "%s %s cannot be read: %s (etcd-init and etcd run as uid %u; fix the ownership or mode)",
				  what, path, strerror(errno), (unsigned)geteuid());
	closedir(d);
	if (faccessat(AT_FDCWD, path, W_OK, AT_EACCESS) < 0)
		return ei_err_set(err, EI_E_USAGE,
				  "%s %s is not writable: %s (etcd must write there; check a read-only mount, the ownership or the mode)",
				  what, path, strerror(errno));
	return 0;
}

int ei_datadir_inspect(const char *data_dir, const char *wal_dir, struct ei_datadir_facts *out,
		       struct ei_err *err)
{
	char path[PATH_MAX], best[NAME_MAX + 1], any[NAME_MAX + 1], last[NAME_MAX + 1];
	char ebest[NAME_MAX + 1], eany[NAME_MAX + 1], elast[NAME_MAX + 1];
	struct stat st;
	bool found;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = check_usable_dir(data_dir, "the data dir", err)) < 0)
		return r;
	if (join(path, sizeof(path), data_dir, "member", err) < 0)
		return EI_E_SYS;
	if ((r = check_usable_dir(path, "the member dir", err)) < 0)
		return r;
	if (wal_dir && (r = check_usable_dir(wal_dir, "the WAL dir", err)) < 0)
		return r;

	if (join(path, sizeof(path), data_dir, "member/snap/db", err) < 0)
		return EI_E_SYS;
	if (stat(path, &st) == 0)
		out->has_snap_db = true;
	else if (errno != ENOENT && errno != ENOTDIR)
		return ei_err_sys(err, errno, "stat %s", path);
	if (join(path, sizeof(path), data_dir, "member/" EI_FIRST_START_MARKER, err) < 0)
		return EI_E_SYS;
	out->first_start_marker = lstat(path, &st) == 0;

	if (wal_dir) {
		if (snprintf(out->wal_dir, sizeof(out->wal_dir), "%s", wal_dir) >=
		    (int)sizeof(out->wal_dir))
			return ei_err_sys(err, ENAMETOOLONG, "--wal-dir %s", wal_dir);
	} else if (join(out->wal_dir, sizeof(out->wal_dir), data_dir, "member/wal", err) < 0) {
		return EI_E_SYS;
	}
	if (join(path, sizeof(path), data_dir, EI_FORCEREQ_FILE, err) < 0)
		return EI_E_SYS;
	/* A regular file only, as forcereq.h reads it (consume cannot unlink a directory). */
	out->force_request = lstat(path, &st) == 0 && S_ISREG(st.st_mode);
	if ((r = scan_wal_dir(out->wal_dir, &out->has_wal, best, any, last, err)) < 0)
		return r;

	/* WAL files where users commonly put them, other than the WAL dir in use. */
	for (int i = 0; i < 2 && !out->has_wal; i++) {
		const char *rel = i == 0 ? "wal" : "member/wal";
		char real_a[PATH_MAX], real_b[PATH_MAX];

		if (join(path, sizeof(path), data_dir, rel, err) < 0)
			return EI_E_SYS;
		if (realpath(path, real_a) && realpath(out->wal_dir, real_b) &&
		    strcmp(real_a, real_b) == 0)
			continue;
		if (scan_wal_dir(path, &found, ebest, eany, elast, NULL) == 0 && found) {
			snprintf(out->wal_elsewhere, sizeof(out->wal_elsewhere), "%s", path);
			break;
		}
	}
	if (!out->has_wal)
		return 0;

	if (join(out->first_wal, sizeof(out->first_wal), out->wal_dir, best[0] ? best : any, err) <
	    0)
		return EI_E_SYS;
	if (!best[0]) {
		/* etcd counts it as initialized (wal.Exist) but reads only files named
		 * <seq>-<index>.wal, and then fails: not a WAL it can use. */
		out->not_a_wal = true;
		snprintf(out->metadata_error, sizeof(out->metadata_error),
			 "no WAL file in %s is named <seq>-<index>.wal (found %s)", out->wal_dir,
			 any);
		return 0;
	}
	/* Every WAL segment starts with the same metadata (wal.go cut), and etcd may
	 * have purged older segments, so the lowest-named file is as good as any. */
	if ((r = inspect_wal_file(out, err)) < 0 || !out->has_metadata)
		return r;
	if (join(path, sizeof(path), out->wal_dir, last, err) < 0)
		return EI_E_SYS;
	return inspect_position(path, out, err);
}

int ei_datadir_mark_first_start(const char *data_dir, struct ei_err *err)
{
	char member[PATH_MAX], marker[PATH_MAX];
	int fd;

	if (join(member, sizeof(member), data_dir, "member", err) < 0 ||
	    join(marker, sizeof(marker), member, EI_FIRST_START_MARKER, err) < 0)
		return EI_E_SYS;
	/* etcd wants its data dir 0700 (fileutil.CheckDirPermission) and creates it so;
	 * we create only what is missing, the same way. */
	if (mkdir(data_dir, 0700) < 0 && errno != EEXIST)
		return ei_err_sys(err, errno, "create the data dir %s", data_dir);
	if (mkdir(member, 0700) < 0 && errno != EEXIST)
		return ei_err_sys(err, errno, "create %s", member);
	fd = open(marker, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return ei_err_sys(err, errno, "create %s", marker);
	if (fsync(fd) < 0) {
		int e = errno;

		close(fd);
		return ei_err_sys(err, e, "fsync %s", marker);
	}
	close(fd);
	return fsync_dir(member, err);
}

/* Remove one of our files in <data_dir>/member; quiet when it is gone. */
static int remove_member_file(const char *data_dir, const char *name, struct ei_err *err)
{
	char member[PATH_MAX], path[PATH_MAX];

	if (join(member, sizeof(member), data_dir, "member", err) < 0 ||
	    join(path, sizeof(path), member, name, err) < 0)
		return EI_E_SYS;
	if (unlink(path) < 0 && errno != ENOENT)
		return ei_err_sys(err, errno, "remove %s", path);
	return 0;
}

int ei_datadir_clear_first_start(const char *data_dir, struct ei_err *err)
{
	return remove_member_file(data_dir, EI_FIRST_START_MARKER, err);
}

int ei_datadir_learner_record_read(const char *data_dir, uint64_t *member_id, uint64_t *since_s,
				   struct ei_err *err)
{
	char path[PATH_MAX], text[128];
	size_t len = 0;
	int fd, r;

	if (join(path, sizeof(path), data_dir, "member/" EI_LEARNER_RECORD, err) < 0)
		return EI_E_SYS;
	fd = ei_file_open(path);
	if (fd < 0)
		return fd == -ENOENT || fd == -ENOTDIR ? 0 : ei_err_sys(err, -fd, "open %s", path);
	r = ei_file_read_all(fd, text, sizeof(text), &len);
	if (r == -EFBIG)
		return 0;
	if (r < 0)
		return ei_err_sys(err, -r, "read %s", path);
	return ei_learner_record_parse(text, len, member_id, since_s) ? 1 : 0;
}

int ei_datadir_learner_record_write(const char *data_dir, uint64_t member_id, uint64_t since_s,
				    struct ei_err *err)
{
	char member[PATH_MAX], path[PATH_MAX], text[128];
	bool created;
	int r;

	if (join(member, sizeof(member), data_dir, "member", err) < 0 ||
	    join(path, sizeof(path), member, EI_LEARNER_RECORD, err) < 0)
		return EI_E_SYS;
	ei_learner_record_format(text, sizeof(text), member_id, since_s);
	r = ei_file_replace(path, text, strlen(text), &created);
	if (r < 0)
		return ei_err_sys(err, -r, "write %s", path);
	return fsync_dir(member, err);
}

int ei_datadir_learner_record_remove(const char *data_dir, struct ei_err *err)
{
	return remove_member_file(data_dir, EI_LEARNER_RECORD, err);
}

static int fsync_dir(const char *dir, struct ei_err *err)
{
	int r = ei_file_fsync_dir(dir);

	return r < 0 ? ei_err_sys(err, -r, "fsync the directory %s", dir) : 0;
}

/* rename(2) that never replaces: RENAME_NOREPLACE, or on filesystems without it an
 * lstat check first (racy only against another writer of the same data dir). */
static int rename_noreplace(const char *from, const char *to, struct ei_err *err)
{
	struct stat st;

	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return ei_err_sys(err, errno, "rename %s to %s", from, to);
	if (lstat(to, &st) == 0)
		return ei_err_sys(err, EEXIST, "rename %s to %s", from, to);
	if (rename(from, to) < 0)
		return ei_err_sys(err, errno, "rename %s to %s", from, to);
	return 0;
}

/* Copy path without trailing slashes (so that "<wal>/" becomes "<wal>.removed-x"). */
static int strip_slashes(char *dst, size_t cap, const char *src, struct ei_err *err)
{
	size_t n = strlen(src);

	while (n > 1 && src[n - 1] == '/')
		n--;
	if (n >= cap)
		return ei_err_sys(err, ENAMETOOLONG, "%s", src);
	memcpy(dst, src, n);
	dst[n] = '\0';
	return 0;
}

/* The paths of one move aside, decided before anything is renamed. */
struct aside {
	char member[PATH_MAX], member_to[PATH_MAX], wal[PATH_MAX], wal_to[PATH_MAX];
	bool have_member; /* <data_dir>/member exists */
	bool move_wal;    /* a separate --wal-dir moves too */
};

/* Whether the WAL dir a->wal moves on its own: it exists and does not live inside
 * member/ (then it moves with it). Decided before renaming: afterwards the paths are
 * gone. */
static int aside_wal(struct aside *a, const char *wal_dir, struct ei_err *err)
{
	char real_member[PATH_MAX], real_wal[PATH_MAX];

	if (strip_slashes(a->wal, sizeof(a->wal), wal_dir, err) < 0)
		return EI_E_SYS;
	if (!realpath(a->wal, real_wal))
		return errno == ENOENT ? 0 : ei_err_sys(err, errno, "resolve --wal-dir %s", a->wal);
	a->move_wal = true;
	if (a->have_member && realpath(a->member, real_member)) {
		size_t m = strlen(real_member);

		if (strncmp(real_wal, real_member, m) == 0 &&
		    (real_wal[m] == '/' || real_wal[m] == '\0'))
			a->move_wal = false;
	}
	return 0;
}

/* Fill a for ei_datadir_move_aside, checking every target before anything moves, so
 * that a refusal leaves both in place. */
static int aside_paths(struct aside *a, const char *data_dir, const char *wal_dir,
		       const char *suffix, size_t moved_to_len, struct ei_err *err)
{
	struct stat st;
	int n;

	if (join(a->member, sizeof(a->member), data_dir, "member", err) < 0)
		return EI_E_SYS;
	n = snprintf(a->member_to, sizeof(a->member_to), "%s.removed-%s", a->member, suffix);
	if (n < 0 || (size_t)n >= sizeof(a->member_to))
		return ei_err_sys(err, ENAMETOOLONG, "%s.removed-%s", a->member, suffix);
	if (moved_to_len && (size_t)n >= moved_to_len)
		return ei_err_sys(err, ENAMETOOLONG, "move aside: %s", a->member_to);
	if (lstat(a->member, &st) == 0)
		a->have_member = true;
	else if (errno != ENOENT)
		return ei_err_sys(err, errno, "stat %s", a->member);
	if (wal_dir && aside_wal(a, wal_dir, err) < 0)
		return EI_E_SYS;
	if (!a->have_member && !a->move_wal)
		return ei_err_sys(err, ENOENT, "move aside: neither %s nor a separate WAL dir exists",
				  a->member);
	if (!a->move_wal)
		return 0;
	n = snprintf(a->wal_to, sizeof(a->wal_to), "%s.removed-%s", a->wal, suffix);
	if (n < 0 || (size_t)n >= sizeof(a->wal_to))
		return ei_err_sys(err, ENAMETOOLONG, "%s.removed-%s", a->wal, suffix);
	if (moved_to_len && !a->have_member && (size_t)n >= moved_to_len)
		return ei_err_sys(err, ENAMETOOLONG, "move aside: %s", a->wal_to);
	if (lstat(a->wal_to, &st) == 0)
		return ei_err_sys(err, EEXIST, "move aside %s to %s", a->wal, a->wal_to);
	return 0;
}

/* Rename path to to, and sync the directory holding path: a rename is durable only
 * once that directory is. */
static int rename_durably(const char *path, const char *to, struct ei_err *err)
{
	char parent[PATH_MAX];
	char *slash;

	if (rename_noreplace(path, to, err) < 0)
		return EI_E_SYS;
	snprintf(parent, sizeof(parent), "%s", path);
	slash = strrchr(parent, '/');
	if (!slash)
		snprintf(parent, sizeof(parent), ".");
	else if (slash == parent)
		slash[1] = '\0';
	else
		*slash = '\0';
	return fsync_dir(parent, err);
}

/* moved_to gets the new member path, or the new WAL dir path when member/ was
 * already gone and only a separate WAL dir moved; it may be NULL. */
int ei_datadir_move_aside(const char *data_dir, const char *wal_dir, const char *suffix,
			  char *moved_to, size_t moved_to_len, struct ei_err *err)
{
	struct aside a = { .have_member = false };

	if (moved_to && moved_to_len)
		moved_to[0] = '\0';
	if (!suffix || !suffix[0] || strchr(suffix, '/'))
		return ei_err_sys(err, EINVAL, "move aside: bad suffix \"%s\"", suffix ? suffix : "");
	if (aside_paths(&a, data_dir, wal_dir, suffix, moved_to ? moved_to_len : 0, err) < 0)
		return EI_E_SYS;
	/* member/ first: if we crash between the two renames the WAL dir still holds
	 * the old WAL, the next start sees it and moves it aside then. The other order
	 * would leave member/snap/db without a WAL, which looks like a fresh member
	 * whose etcd would then open a stale backend (etcd creates member/snap/db before
	 * it looks at the cluster: server/etcdserver/bootstrap.go bootstrap, where
	 * bootstrapBackend comes before bootstrapCluster; 3.4: etcdserver/server.go
	 * NewServer, openBackend before its switch). */
	if (a.have_member) {
		if (rename_durably(a.member, a.member_to, err) < 0)
			return EI_E_SYS;
		if (moved_to)
			snprintf(moved_to, moved_to_len, "%s", a.member_to);
	}
	if (a.move_wal) {
		if (rename_durably(a.wal, a.wal_to, err) < 0)
			return EI_E_SYS;
		/* Only the WAL dir was left (a crash between the renames): report it. */
		if (moved_to && !a.have_member)
			snprintf(moved_to, moved_to_len, "%s", a.wal_to);
	}
	return 0;
}

/* A UTC timestamp of now, the suffix of member.removed-<suffix>. */
static void suffix_now(char *buf, size_t len)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(buf, len, "%Y%m%dT%H%M%SZ", &tm);
}

int ei_datadir_move_removed(const char *data_dir, const char *wal_dir, uint64_t member_id,
			    const char *failpoint, const char *done, struct ei_err *err)
{
	char suffix[32], moved[4096];
	int r;

	suffix_now(suffix, sizeof(suffix));
	ei_log_info("moving the removed member's data aside", "member=%" PRIx64 " data_dir=%s",
		    member_id, data_dir);
	ei_failpoint(failpoint);
	r = ei_datadir_move_aside(data_dir, wal_dir, suffix, moved, sizeof(moved), err);
	if (r < 0)
		return r;
	ei_log_info(done, "to=%s", moved);
	return 0;
}
