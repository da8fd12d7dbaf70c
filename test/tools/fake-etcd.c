/*
 * fake-etcd: stands in for etcd in the PID-1 tests (after tini's sigconf test).
 *
 * When exec'd it reports the process state it inherited, then exits 0, or with
 * FAKE_ETCD_STAY=1 waits for SIGTERM (or SIGINT) and then exits 0.
 *
 * The report goes to the file named by FAKE_ETCD_REPORT (written to "<file>.tmp"
 * and renamed, so a reader never sees half of it; replaced on each run), or to
 * stdout when that is unset. One fact per line, in this order:
 *   started_ms <CLOCK_REALTIME in ms>
 *   argv0 <argv[0]>
 *   argv <argv[i]>          one line per argument, i >= 1, in order
 *   env <K=V>               every ETCD_* variable, in environment order
 *   pid <getpid()>
 *   SigPnd: / ShdPnd: / SigBlk: / SigIgn: lines of /proc/self/status, verbatim
 *   fd <n> -> <readlink target>   every open fd (not the one used to list them)
 *   end
 * Everything is gathered before the report file is opened, so the report's own
 * fd never shows up, and before SIGTERM is blocked, so SigBlk is what exec gave.
 *
 * No dependencies beyond libc; no heap growth past a fixed buffer.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static char report[256 * 1024];
static size_t report_len;

static void add(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void add(const char *fmt, ...)
{
	va_list ap;
	int n;

	if (report_len >= sizeof(report) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(report + report_len, sizeof(report) - report_len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	report_len += (size_t)n;
	if (report_len > sizeof(report) - 1)
		report_len = sizeof(report) - 1;
}

static void add_status_lines(void)
{
	static const char *const keys[] = {"SigPnd:", "ShdPnd:", "SigBlk:", "SigIgn:"};
	char buf[8192];
	size_t len = 0;
	ssize_t n;
	int fd;

	fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		add("status_error %s\n", strerror(errno));
		return;
	}
	while (len < sizeof(buf) - 1) {
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';

	for (char *line = buf; line && *line;) {
		char *nl = strchr(line, '\n');

		if (nl)
			*nl = '\0';
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			if (strncmp(line, keys[i], strlen(keys[i])) == 0)
				add("%s\n", line);
		}
		line = nl ? nl + 1 : NULL;
	}
}

static void add_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int self;

	if (!d) {
		add("fd_error %s\n", strerror(errno));
		return;
	}
	self = dirfd(d);
	while ((e = readdir(d)) != NULL) {
		char path[64], target[4096];
		char *end;
		long n;
		ssize_t tl;

		if (e->d_name[0] == '.')
			continue;
		n = strtol(e->d_name, &end, 10);
		if (*end != '\0' || n == self)
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%ld", n);
		tl = readlink(path, target, sizeof(target) - 1);
		if (tl < 0)
			continue;
		target[tl] = '\0';
		add("fd %ld -> %s\n", n, target);
	}
	closedir(d);
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int emit(void)
{
	const char *path = getenv("FAKE_ETCD_REPORT");
	char tmp[4096];
	int fd;

	if (!path || !*path)
		return write_all(STDOUT_FILENO, report, report_len);

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	if (write_all(fd, report, report_len) < 0 || fsync(fd) < 0) {
		close(fd);
		return -1;
	}
	if (close(fd) < 0)
		return -1;
	return rename(tmp, path);
}

int main(int argc, char **argv)
{
	struct timespec ts;
	const char *stay = getenv("FAKE_ETCD_STAY");
	sigset_t set;
	int sig = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	add("started_ms %lld\n", (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
	add("argv0 %s\n", argc > 0 ? argv[0] : "");
	/* Linux keeps the peak RSS across execve (the old mm's high-water mark goes into
	 * the process's maxrss), so this is the launcher's peak when it is larger. */
	{
		struct rusage ru;

		if (getrusage(RUSAGE_SELF, &ru) == 0)
			add("maxrss_kb %ld\n", ru.ru_maxrss);
	}
	for (int i = 1; i < argc; i++)
		add("argv %s\n", argv[i]);
	for (char **e = environ; e && *e; e++) {
		if (strncmp(*e, "ETCD_", 5) == 0)
			add("env %s\n", *e);
	}
	add("pid %ld\n", (long)getpid());
	add_status_lines();
	add_fds();
	add("end\n");

	/* Block before reporting: once the report exists, SIGTERM is never lost,
	 * even as PID 1 with the default disposition (blocked signals stay queued). */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (stay && strcmp(stay, "1") == 0)
		sigprocmask(SIG_BLOCK, &set, NULL);

	if (emit() < 0) {
		fprintf(stderr, "fake-etcd: cannot write report: %s\n", strerror(errno));
		return 1;
	}
	if (!stay || strcmp(stay, "1") != 0)
		return 0;

	fprintf(stderr, "fake-etcd: pid %ld waiting for SIGTERM\n", (long)getpid());
	if (sigwait(&set, &sig) != 0)
		return 1;
	fprintf(stderr, "fake-etcd: got signal %d, exiting 0\n", sig);
	return 0;
}
