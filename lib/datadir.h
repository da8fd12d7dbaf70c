/* datadir.h - what the data dir says: is there a WAL, and whose is it.
 *
 * "Initialized" means a *.wal file exists in the WAL dir (--wal-dir, else
 * <data-dir>/member/wal): etcd's own test (server/embed/util.go isMemberInitialized,
 * server/storage/wal/util.go Exist); member/snap/db alone does not count. The member ID and cluster ID come from the WAL's
 * metadata record, decoded by wal.h. */
#ifndef EI_DATADIR_H
#define EI_DATADIR_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "wal.h"

struct ei_datadir_facts {
	char wal_dir[PATH_MAX];  /* the directory examined */
	bool has_wal;            /* at least one *.wal file */
	char first_wal[PATH_MAX];/* the lowest-named *.wal file, when has_wal */
	bool has_metadata;       /* the metadata record was found and decoded */
	uint64_t member_id;      /* from the metadata record */
	uint64_t cluster_id;
	bool not_a_wal;          /* first_wal is not a WAL at all (metadata_error says why) */
	char metadata_error[256];/* why has_metadata is false although has_wal */
	bool has_snap_db;        /* member/snap/db exists */
	/* *.wal files where users commonly put them (<data-dir>/wal, as the official
	 * manifest's --wal-dir=/data/wal does, or <data-dir>/member/wal when another
	 * WAL dir is configured): the first such directory, "" when none. */
	char wal_elsewhere[PATH_MAX];
	/* member/.etcd-init-first-start: etcd-init started etcd on this data dir without a
	 * WAL (ei_datadir_mark_first_start), and no WAL has been seen since. */
	bool first_start_marker;
	/* How far the WAL's raft log reaches (wal.h), from its last segment; has_position
	 * is false when that segment could not be read (position_error says why). */
	bool has_position;
	struct ei_wal_position position;
	char position_error[256];
	/* <data-dir>/EI_FORCEREQ_FILE: the one-shot recovery request of `etcd-init
	 * force-new-cluster` (forcereq.h). */
	bool force_request;
};

#define EI_FIRST_START_MARKER ".etcd-init-first-start"
/* The one-shot request of `etcd-init force-new-cluster` (forcereq.h), in the data dir. */
#define EI_FORCEREQ_FILE ".etcd-init-force-new-cluster"

/* The WAL dir to pass below: --wal-dir (config.h wal_dir) when set, else NULL for
 * <data_dir>/member/wal. */
static inline const char *ei_datadir_wal_dir(const char *wal_dir)
{
	return wal_dir[0] ? wal_dir : NULL;
}

/* Examine data_dir (and wal_dir, or NULL for <data_dir>/member/wal). A missing
 * data dir is not an error (no WAL). Read-only, before any network call.
 * Returns 0; EI_E_USAGE when the data dir, its member dir or the WAL dir cannot be
 * used (a file where a directory must be, unreadable, not writable): err names the
 * path and what to do; EI_E_SYS for other system errors. */
int ei_datadir_inspect(const char *data_dir, const char *wal_dir, struct ei_datadir_facts *out,
		       struct ei_err *err);

/* Before etcd's first start on a data dir without a WAL: create <data_dir>/member (0700)
 * if needed and the marker in it, so a next start that finds member/snap/db but no
 * WAL knows it is what etcd left when that first start failed (etcd creates the
 * backend before it checks the cluster: server/etcdserver/bootstrap.go bootstrap), not a volume whose WAL is
 * elsewhere. etcd never reads member/ entries other than wal and snap. Returns 0 or
 * EI_E_SYS. */
int ei_datadir_mark_first_start(const char *data_dir, struct ei_err *err);

/* Remove the marker once a WAL exists (so that a WAL lost later is never mistaken
 * for a failed first start). Returns 0 or EI_E_SYS. */
int ei_datadir_clear_first_start(const char *data_dir, struct ei_err *err);

/* The learner record (learner.h): <data_dir>/member/.etcd-init-learner. read returns 1
 * with the member and since (unix seconds) when a valid record is there, 0 when there
 * is none (or it is not one: an unreadable record is replaced), EI_E_SYS. write replaces
 * it (a temporary file renamed over it); remove is quiet when it is gone. */
int ei_datadir_learner_record_read(const char *data_dir, uint64_t *member_id, uint64_t *since_s,
				   struct ei_err *err);
int ei_datadir_learner_record_write(const char *data_dir, uint64_t member_id, uint64_t since_s,
				    struct ei_err *err);
int ei_datadir_learner_record_remove(const char *data_dir, struct ei_err *err);

/* Move the data of a removed member aside, never deleting it: rename
 * <data_dir>/member to <data_dir>/member.removed-<suffix> and, when wal_dir is
 * given and is not under <data_dir>/member, rename wal_dir to <wal_dir>.removed-<suffix>.
 * Each rename is atomic, so a crash leaves the data whole in one place or the other.
 * moved_to receives the new member path. Returns 0 or EI_E_SYS. */
int ei_datadir_move_aside(const char *data_dir, const char *wal_dir, const char *suffix,
			  char *moved_to, size_t moved_to_len, struct ei_err *err);

/* The data of removed member member_id moves aside (ei_datadir_move_aside) under a UTC
 * timestamp of now (member.removed-20260101T120000Z): logged before, then failpoint
 * (failpoint.h), the renames, and the line done with the new path. Returns 0 or
 * EI_E_SYS. */
int ei_datadir_move_removed(const char *data_dir, const char *wal_dir, uint64_t member_id,
			    const char *failpoint, const char *done, struct ei_err *err);

#endif
