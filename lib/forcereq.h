/* forcereq.h - the one-shot request to restart this member with --force-new-cluster.
 *
 * When a cluster's quorum is lost for good, etcd's remedy is to restart one member (the
 * one whose data to keep) with --force-new-cluster: it becomes a one-member cluster with
 * that data, and the others join it. In a StatefulSet that flag cannot go into the
 * template, which every pod shares (flags.h refuses it). Instead,
 * `kubectl exec <pod> -- etcd-init force-new-cluster` leaves a request on that one pod's
 * volume, <data-dir>/.etcd-init-force-new-cluster; that pod's etcd-init takes it (plan.c:
 * a WAL, a request and no trusted member list) and consumes it just before it execs
 * etcd with the flag, so it happens once (run.c drops a request that was not taken
 * whenever etcd starts). The file is on the volume, so it outlives the pod; its one line
 * says who asked and when (UTC), for the log.
 *
 * Every function takes the data dir (--data-dir); none blocks on the network. */
#ifndef EI_FORCEREQ_H
#define EI_FORCEREQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config.h"
#include "datadir.h"
#include "err.h"

/* <data_dir>/EI_FORCEREQ_FILE into buf. Returns false when it does not fit. */
bool ei_forcereq_path(const char *data_dir, char *buf, size_t len);

/* Whether a request is there: a regular file at that path (a symlink or a directory is
 * not one: etcd-init alone writes it). Read-only; anything unreadable counts as no. */
bool ei_forcereq_present(const char *data_dir);

/* The request's line (who asked and when, without the newline) into buf (len > 0);
 * "" when the file is empty. Returns 0, or EI_E_SYS (sys_errno ENOENT without a
 * request). */
int ei_forcereq_read(const char *data_dir, char *buf, size_t len, struct ei_err *err);

/* Write the request, atomically: a temporary file in data_dir (0600), written and
 * fsync'd, renamed over the request's name, then data_dir fsync'd; on any failure the
 * temporary file is removed and nothing else changed. A request already there is
 * replaced (the newer line counts). Returns 0; EI_E_USAGE when data_dir cannot be
 * written (read-only, permission) or does not exist: err names it; EI_E_SYS otherwise. */
int ei_forcereq_write(const char *data_dir, struct ei_err *err);

/* Remove the request (unlink, then fsync data_dir): the caller is about to exec etcd
 * with --force-new-cluster. No request is fine. Returns 0 or EI_E_SYS. */
int ei_forcereq_consume(const char *data_dir, struct ei_err *err);

/* The command `etcd-init force-new-cluster`: refuses (EI_E_USAGE, nothing written) when
 * the data dir has no WAL (cfg->wal_dir, else <data-dir>/member/wal: nothing to start a
 * cluster from), its WAL is not one, or its member and cluster ID cannot be read (plan.c
 * never takes a request then); otherwise writes the request and prints to out what
 * happens next. Returns 0, EI_E_USAGE or EI_E_SYS. */
int ei_forcereq_command(const struct ei_config *cfg, FILE *out, struct ei_err *err);

#endif
