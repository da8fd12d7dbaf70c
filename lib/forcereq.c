/* forcereq.c - the one-shot --force-new-cluster request (see forcereq.h). */
#include "forcereq.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "datadir.h"
#include "file.h"

bool ei_forcereq_path(const char *data_dir, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", data_dir, EI_FORCEREQ_FILE);

	return n > 0 && (size_t)n < len;
}

bool ei_forcereq_present(const char *data_dir)
{
	char path[PATH_MAX];
	struct stat st;

	return ei_forcereq_path(data_dir, path, sizeof(path)) && lstat(path, &st) == 0 &&
	       S_ISREG(st.st_mode);
}

int ei_forcereq_read(const char *data_dir, char *buf, size_t len, struct ei_err *err)
{
	char path[PATH_MAX];
	size_t n = 0;
	int fd, r;

	buf[0] = '\0';
	if (!ei_forcereq_path(data_dir, path, sizeof(path)))
		return ei_err_sys(err, ENAMETOOLONG, "the force-new-cluster request in %s", data_dir);
	fd = ei_file_open(path);
	r = fd < 0 ? fd : ei_file_read_all(fd, buf, len, &n);
	if (r == -EFBIG)
		r = 0; /* only the first line counts; the rest is cut off */
	if (r < 0) {
		ei_err_sys(err, -r, "read the force-new-cluster request %s", path);
		err->sys_errno = -r;
		return EI_E_SYS;
	}
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

static int fsync_dir(const char *dir, struct ei_err *err)
{
	int r = ei_file_fsync_dir(dir);

	return r < 0 ? ei_err_sys(err, -r, "fsync the directory %s", dir) : 0;
}

/* The request's one line: who asked (uid, host, pid; no user name: the static binary
 * never calls NSS, nonss.c) and when, in UTC. */
static void request_line(char *buf, size_t len)
{
	char host[256] = "?", when[32] = "?";
	time_t now = time(NULL);
	struct tm tm;

	if (gethostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "?");
	host[sizeof(host) - 1] = '\0';
	if (gmtime_r(&now, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(buf, len, "force-new-cluster requested at %s by uid %u on host %s (etcd-init force-new-cluster, pid %d)\n", when, (unsigned)getuid(), host, (int)getpid());
}

int ei_forcereq_write(const char *data_dir, struct ei_err *err)
{
	char path[PATH_MAX], line[512];
	bool created;
	int e;

	if (!ei_forcereq_path(data_dir, path, sizeof(path)) ||
	    strlen(path) + sizeof(".tmp-XXXXXX") > sizeof(path))
		return ei_err_set(err, EI_E_USAGE, "--data-dir %s: too long for the force-new-cluster request", data_dir);
	request_line(line, sizeof(line));
	e = -ei_file_replace(path, line, strlen(line), &created);
	if (e && !created) {
		if (e == EROFS || e == EACCES || e == EPERM || e == ENOENT || e == ENOTDIR)
			return ei_err_set(err, EI_E_USAGE, "cannot write the force-new-cluster request in the data dir %s: %s (it must be an existing directory this process can write: uid %u); nothing was written", data_dir, strerror(e), (unsigned)getuid());
		return ei_err_sys(err, e, "create a temporary file in %s for the force-new-cluster request", data_dir);
	}
	if (e)
		return ei_err_sys(err, e, "write the force-new-cluster request %s (nothing was written)", path);
	/* The rename is durable once the directory is (fsync(2): the entry is in the dir). */
	return fsync_dir(data_dir, err);
}

int ei_forcereq_consume(const char *data_dir, struct ei_err *err)
{
	char path[PATH_MAX];

	if (!ei_forcereq_path(data_dir, path, sizeof(path)))
		return ei_err_sys(err, ENAMETOOLONG, "the force-new-cluster request in %s", data_dir);
	if (unlink(path) < 0) {
		if (errno == ENOENT)
			return 0;
		return ei_err_sys(err, errno, "remove the force-new-cluster request %s", path);
	}
	/* Durable before etcd starts: a crash must not bring the request back for a second
	 * start with --force-new-cluster. */
	return fsync_dir(data_dir, err);
}

/* A data dir with nothing to start a cluster from takes no request: EI_E_USAGE saying
 * why, else 0. */
static int refuse(const struct ei_config *cfg, const struct ei_datadir_facts *d, struct ei_err *err)
{
	if (!d->has_wal && d->wal_elsewhere[0])
		return ei_err_set(err, EI_E_USAGE, "force-new-cluster: no WAL in %s, but WAL files in %s: pass --wal-dir=%s (or ETCD_WAL_DIR), as this pod's etcd-init must; nothing was written", d->wal_dir, d->wal_elsewhere, d->wal_elsewhere);
	if (!d->has_wal)
		return ei_err_set(err, EI_E_USAGE, "force-new-cluster: no WAL in %s: this volume holds no member's data, so there is nothing to start a cluster from; nothing was written. Run it in the pod whose volume holds the data to keep, with the --data-dir (%s) and --wal-dir of its etcd-init", d->wal_dir, cfg->data_dir);
	if (d->not_a_wal)
		return ei_err_set(err, EI_E_USAGE, "force-new-cluster: %s is not a WAL (%s): etcd cannot start a cluster from it; nothing was written", d->first_wal, d->metadata_error);
	/* plan.c takes a request only on a WAL whose member and cluster ID it can read. */
	if (!d->has_metadata)
		return ei_err_set(err, EI_E_USAGE, "force-new-cluster: the WAL in %s has no readable member and cluster ID (%s): etcd-init would never take the request; nothing was written", d->wal_dir, d->metadata_error);
	return 0;
}

int ei_forcereq_command(const struct ei_config *cfg, FILE *out, struct ei_err *err)
{
	struct ei_datadir_facts d;
	char path[PATH_MAX];
	bool again;
	int r;

	r = ei_datadir_inspect(cfg->data_dir, ei_datadir_wal_dir(cfg->wal_dir), &d, err);
	if (r < 0)
		return r;
	r = refuse(cfg, &d, err);
	if (r < 0)
		return r;
	again = ei_forcereq_present(cfg->data_dir);
	r = ei_forcereq_write(cfg->data_dir, err);
	if (r < 0)
		return r;
	ei_forcereq_path(cfg->data_dir, path, sizeof(path));
	fprintf(out, "force-new-cluster: request %s %s\n", again ? "written again (it was already there) to" : "written to", path);
	fprintf(out, "  this volume: member %" PRIx64 " of cluster %" PRIx64 ", WAL in %s\n", d.member_id, d.cluster_id, d.wal_dir);
	fprintf(out, "What happens next:\n");
	fprintf(out, "  1. The etcd-init of %s takes the request: on its next round if it is waiting, otherwise on the pod's next start (kubectl delete pod %s restarts it).\n", cfg->name, cfg->name);
	fprintf(out, "  2. It starts etcd on this volume with --force-new-cluster: a one-member cluster with this member's data. The request is consumed (removed) as etcd is started with it: it happens once, and later starts are plain restarts.\n");
	fprintf(out, "     It is taken only while no current member list of this cluster answers (quorum lost); if the quorum is alive, it is not taken and is dropped when etcd starts.\n");
	fprintf(out, "  3. The other members must then join it: on their next start etcd-init replaces or rejoins them (a volume with old data has it moved aside, never deleted). Delete a pod that does not restart by itself.\n");
	return 0;
}
