/* Unit tests for lib/forcereq.c: the one-shot --force-new-cluster request on a scratch
 * data dir: write, present, read, consume; no temporary file left behind; a read-only
 * data dir; the command's refusal without a WAL. */
#include "forcereq.h"
#include "tap.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixtures.h"
#include "walbuild.h"

static char tmp[64];

/* The entries of dir (without . and ..), space-separated, in readdir order. */
static const char *entries(const char *dir)
{
	static char buf[1024];
	DIR *d = opendir(dir);
	struct dirent *e;

	buf[0] = '\0';
	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		ei_msg_add(buf, sizeof(buf), " ", "%s", e->d_name);
	}
	if (d)
		closedir(d);
	return buf;
}

static const char *sub(const char *rel)
{
	static char p[4][PATH_MAX];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", tmp, rel);
	return p[i];
}

/* A data dir with a WAL of member 0x1111 in cluster 0x2222 (etcd's layout). */
static void make_wal(const char *rel)
{
	static struct wb w;
	char p[PATH_MAX];
	FILE *f;

	snprintf(p, sizeof(p), "%s", sub(rel));
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/member", sub(rel));
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/member/wal", sub(rel));
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/member/wal/0000000000000000-0000000000000000.wal", sub(rel));
	memset(&w, 0, sizeof(w));
	wb_head(&w, 0x1111, 0x2222);
	f = fopen(p, "w");
	fwrite(w.b, 1, w.len, f);
	for (size_t i = 0; i < 65536; i++)
		fputc(0, f);
	fclose(f);
}

static void test_files(void)
{
	const char *d = sub("d1");
	char path[PATH_MAX], line[256];
	struct ei_err err = { 0 };
	struct stat st;

	mkdir(d, 0700);
	tap_ok(ei_forcereq_path(d, path, sizeof(path)) && !strcmp(path, sub("d1/" EI_FORCEREQ_FILE)),
	       "path: <data-dir>/" EI_FORCEREQ_FILE);
	tap_ok(!ei_forcereq_path(d, path, 8), "path: a buffer too small is refused");
	tap_ok(!ei_forcereq_present(d), "an empty data dir: no request");
	tap_ok(ei_forcereq_read(d, line, sizeof(line), &err) == EI_E_SYS && err.sys_errno == ENOENT,
	       "read without a request: ENOENT: %s", err.msg);

	memset(&err, 0, sizeof(err));
	tap_ok(ei_forcereq_write(d, &err) == 0, "write: %s", err.msg);
	tap_ok(ei_forcereq_present(d), "written: present");
	tap_streq(entries(d), EI_FORCEREQ_FILE, "written: the request alone, no temporary file");
	tap_ok(stat(sub("d1/" EI_FORCEREQ_FILE), &st) == 0 && (st.st_mode & 0777) == 0600,
	       "the request is 0600");
	tap_ok(ei_forcereq_read(d, line, sizeof(line), &err) == 0 &&
		       !strncmp(line, "force-new-cluster requested at ", 31) && strstr(line, "Z by uid ") &&
		       strstr(line, " on host ") && !strchr(line, '\n'),
	       "one line: who asked and when (UTC): %s", line);

	tap_ok(ei_forcereq_write(d, &err) == 0 && ei_forcereq_present(d), "written again: replaced");
	tap_streq(entries(d), EI_FORCEREQ_FILE, "written again: still one file");

	tap_ok(ei_forcereq_consume(d, &err) == 0 && !ei_forcereq_present(d), "consumed: gone");
	tap_streq(entries(d), "", "consumed: the data dir is as before");
	tap_ok(ei_forcereq_consume(d, &err) == 0, "consumed twice: no request is fine");
	tap_ok(ei_forcereq_consume(sub("absent"), &err) == 0, "consume in a missing dir: fine");

	/* Only a regular file is a request. */
	mkdir(sub("d1/" EI_FORCEREQ_FILE), 0700);
	tap_ok(!ei_forcereq_present(d), "a directory at its name is no request");
	rmdir(sub("d1/" EI_FORCEREQ_FILE));
	tap_ok(symlink("/etc/hostname", sub("d1/" EI_FORCEREQ_FILE)) == 0 && !ei_forcereq_present(d),
	       "a symlink at its name is no request");
	unlink(sub("d1/" EI_FORCEREQ_FILE));

	tap_ok(ei_forcereq_write(sub("absent"), &err) == EI_E_USAGE && strstr(err.msg, sub("absent")),
	       "write into a missing data dir: usage error naming it: %s", err.msg);
	tap_streq(entries(tmp), "d1", "nothing created for the missing dir");
}

/* Write into a read-only data dir as nobody (root passes DAC checks): a clear error, and
 * nothing left behind. */
static void test_read_only(void)
{
	const char *d = sub("ro");
	pid_t pid;
	int st = 0;

	mkdir(d, 0755);
	chmod(d, 0555);
	pid = fork();
	if (pid == 0) {
		struct ei_err err = { 0 };
		int r;

		if (geteuid() == 0 && (setgid(65534) < 0 || setuid(65534) < 0))
			_exit(99);
		r = ei_forcereq_write(d, &err);
		printf("#   %s\n", err.msg);
		fflush(stdout);
		_exit(r == EI_E_USAGE && strstr(err.msg, d) && strstr(err.msg, "Permission denied") &&
			      strstr(err.msg, "nothing was written")
			  ? 0
			  : 1);
	}
	waitpid(pid, &st, 0);
	tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "a read-only data dir: exit-2 error naming it");
	tap_streq(entries(d), "", "a read-only data dir: nothing left behind");
	tap_ok(!ei_forcereq_present(d), "a read-only data dir: no request");
	chmod(d, 0755);
	rmdir(d);
}

static void test_command(void)
{
	struct ei_config cfg;
	struct ei_err err = { 0 };
	char *text = NULL;
	size_t len = 0;
	FILE *out;
	/* What a refused command prints is not checked here; it must not reach the TAP. */
	FILE *sink = fopen("/dev/null", "w");

	config_for(&cfg, "etcd-0", 3, false);

	/* No WAL: refused, nothing written. */
	snprintf(cfg.data_dir, sizeof(cfg.data_dir), "%s", sub("empty"));
	mkdir(cfg.data_dir, 0700);
	out = open_memstream(&text, &len);
	tap_ok(ei_forcereq_command(&cfg, out, &err) == EI_E_USAGE && strstr(err.msg, "no WAL in") &&
		       strstr(err.msg, "nothing was written"),
	       "command on an empty volume: refused: %s", err.msg);
	fclose(out);
	tap_ok(len == 0, "command on an empty volume: prints nothing");
	tap_streq(entries(cfg.data_dir), "", "command on an empty volume: nothing written");
	free(text);

	/* A missing data dir: the same. */
	snprintf(cfg.data_dir, sizeof(cfg.data_dir), "%s", sub("missing"));
	tap_ok(ei_forcereq_command(&cfg, sink, &err) == EI_E_USAGE, "command on a missing dir: refused");

	/* WAL files under <data-dir>/wal while the default is member/wal: says --wal-dir. */
	snprintf(cfg.data_dir, sizeof(cfg.data_dir), "%s", sub("official"));
	make_wal("official");
	rename(sub("official/member/wal"), sub("official/wal"));
	tap_ok(ei_forcereq_command(&cfg, sink, &err) == EI_E_USAGE && strstr(err.msg, "--wal-dir="),
	       "command with the WAL elsewhere: names --wal-dir: %s", err.msg);
	tap_ok(!ei_forcereq_present(cfg.data_dir), "command with the WAL elsewhere: nothing written");
	snprintf(cfg.wal_dir, sizeof(cfg.wal_dir), "%s", sub("official/wal"));
	out = open_memstream(&text, &len);
	tap_ok(ei_forcereq_command(&cfg, out, &err) == 0 && ei_forcereq_present(cfg.data_dir),
	       "command with --wal-dir: written");
	fclose(out);
	free(text);
	cfg.wal_dir[0] = '\0';

	/* A *.wal of zeros (not a WAL, no IDs): plan.c would never take the request. */
	snprintf(cfg.data_dir, sizeof(cfg.data_dir), "%s", sub("nometa"));
	make_wal("nometa");
	{
		int fd = open(sub("nometa/member/wal/0000000000000000-0000000000000000.wal"), O_WRONLY | O_TRUNC);

		if (fd >= 0) {
			if (ftruncate(fd, 65536) < 0)
				printf("# ftruncate failed\n");
			close(fd);
		}
	}
	tap_ok(ei_forcereq_command(&cfg, sink, &err) == EI_E_USAGE && !ei_forcereq_present(cfg.data_dir),
	       "command on a WAL of zeros: refused, nothing written: %s", err.msg);

	/* A WAL: written, and it says what happens next. */
	snprintf(cfg.data_dir, sizeof(cfg.data_dir), "%s", sub("data"));
	make_wal("data");
	out = open_memstream(&text, &len);
	memset(&err, 0, sizeof(err));
	tap_ok(ei_forcereq_command(&cfg, out, &err) == 0, "command with a WAL: %s", err.msg);
	fclose(out);
	/* As TAP diagnostics, one "# " line each. */
	for (const char *l = text; l && *l;) {
		size_t n = strcspn(l, "\n");

		printf("# %.*s\n", (int)n, l);
		l += n + (l[n] == '\n');
	}
	tap_ok(ei_forcereq_present(cfg.data_dir), "command with a WAL: request written");
	tap_ok(text && strstr(text, "member 1111 of cluster 2222"), "names the member and cluster");
	tap_ok(text && strstr(text, "kubectl delete pod etcd-0") && strstr(text, "next round") &&
		       strstr(text, "consumed") && strstr(text, "quorum is alive, it is not taken") &&
		       strstr(text, "other members must then join"),
	       "says what happens next");
	free(text);
	out = open_memstream(&text, &len);
	tap_ok(ei_forcereq_command(&cfg, out, &err) == 0, "command again");
	fclose(out);
	tap_ok(text && strstr(text, "already there"), "command again: says the request was already there");
	free(text);
	if (sink)
		fclose(sink);
}

static int rm_tree(const char *dir)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

int main(void)
{
	tap_init();
	snprintf(tmp, sizeof(tmp), "/tmp/ei-test-forcereq.XXXXXX");
	if (!mkdtemp(tmp))
		return 1;
	test_files();
	test_read_only();
	test_command();
	rm_tree(tmp);
	return tap_done();
}
