/* Unit tests for lib/exec.c: finding etcd and the exit codes of not finding it. */
#include "exec.h"
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static const char *const secret_vars[] = { "ETCDCTL_PASSWORD", "ETCDCTL_USER", NULL };

/* Re-executed with a secret in its environment block: scrub it and look at
 * /proc/self/environ, which shows that block (not environ). Exit 0 when the secret is
 * gone from both and the other variable is still there. */
static int scrub_child(void)
{
	char buf[8192];
	size_t n = 0;
	ssize_t r;
	int fd;

	ei_exec_scrub_env(secret_vars);
	fd = open("/proc/self/environ", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 2;
	while (n < sizeof(buf) - 1 && (r = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)r;
	close(fd);
	/* Entries NUL-separated; the wiped bytes are NULs too: keep one space per run. */
	{
		size_t j = 0;

		for (size_t i = 0; i < n; i++)
			if (buf[i] || (j && buf[j - 1] != ' '))
				buf[j++] = buf[i] ? buf[i] : ' ';
		buf[j] = '\0';
	}
	printf("# /proc/self/environ after the scrub, %zu bytes: %s\n", n, buf);
	return strstr(buf, "s3cret") || strstr(buf, "ETCDCTL_") || !strstr(buf, "KEEP=1") ||
			       getenv("ETCDCTL_PASSWORD") || getenv("ETCDCTL_USER") ||
			       !getenv("KEEP")
		       ? 1
		       : 0;
}

static void test_scrub(const char *self)
{
	char *child_env[] = { (char *)"KEEP=1", (char *)"ETCDCTL_PASSWORD=s3cret",
			      (char *)"ETCDCTL_USER=root", (char *)"ETCDCTL_PASSWORD=s3cret-again",
			      NULL };
	char *child_argv[] = { (char *)self, (char *)"scrub-child", NULL };
	char *entry = NULL;
	pid_t pid;
	int st = 0;

	setenv("ETCDCTL_PASSWORD", "s3cret", 1);
	setenv("ETCDCTL_PASSWORDX", "kept", 1);
	for (char **e = environ; *e; e++)
		if (!strncmp(*e, "ETCDCTL_PASSWORD=", 17))
			entry = *e;
	ei_exec_scrub_env(secret_vars);
	tap_ok(!getenv("ETCDCTL_PASSWORD") && entry && !entry[0] && !memchr(entry, 's', 24),
	       "scrub: the variable is gone and its bytes are wiped");
	tap_ok(getenv("ETCDCTL_PASSWORDX") && !strcmp(getenv("ETCDCTL_PASSWORDX"), "kept"),
	       "scrub: a variable whose name only starts alike is kept");

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execve("/proc/self/exe", child_argv, child_env);
		_exit(3);
	}
	waitpid(pid, &st, 0);
	tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	       "scrub: /proc/<pid>/environ no longer shows the secret (status %d)", st);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "scrub-child"))
		return scrub_child();

	char dir[] = "/tmp/ei-test-exec.XXXXXX";
	char path[4096], exe[4096], noexec[4096], env_path[4200];
	char *envp[] = { env_path, NULL };
	struct ei_err err = { 0 };
	FILE *f;

	tap_init();
	if (!mkdtemp(dir))
		return 1;
	snprintf(exe, sizeof(exe), "%s/etcd", dir);
	snprintf(noexec, sizeof(noexec), "%s/notexec", dir);
	f = fopen(exe, "w");
	fputs("#!/bin/sh\n", f);
	fclose(f);
	chmod(exe, 0755);
	f = fopen(noexec, "w");
	fclose(f);
	chmod(noexec, 0644);
	snprintf(env_path, sizeof(env_path), "PATH=/nonexistent:%s", dir);

	tap_ok(ei_exec_find_etcd(exe, envp, path, sizeof(path), &err) == 0 && !strcmp(path, exe),
	       "an absolute path");
	tap_ok(ei_exec_find_etcd("etcd", envp, path, sizeof(path), &err) == 0 && !strcmp(path, exe),
	       "a name looked up on PATH");
	tap_ok(ei_exec_find_etcd("/nonexistent/etcd", envp, path, sizeof(path), &err) == EI_E_EXEC &&
		       ei_err_exit_code(&err) == 127 && strstr(err.msg, "/nonexistent/etcd"),
	       "missing: 127, named: %s", err.msg);
	tap_ok(ei_exec_find_etcd("nosuch-etcd", envp, path, sizeof(path), &err) == EI_E_EXEC &&
		       ei_err_exit_code(&err) == 127,
	       "not on PATH: 127: %s", err.msg);
	tap_ok(ei_exec_find_etcd(noexec, envp, path, sizeof(path), &err) == EI_E_EXEC &&
		       ei_err_exit_code(&err) == 126,
	       "not executable: 126: %s", err.msg);
	tap_ok(ei_exec_find_etcd(dir, envp, path, sizeof(path), &err) == EI_E_EXEC &&
		       ei_err_exit_code(&err) == 126 && strstr(err.msg, "a directory"),
	       "a directory: 126: %s", err.msg);

	/* At start: exit 2, the path and what is expected. */
	tap_ok(ei_exec_check_etcd(exe, envp, &err) == 0, "check at start: an executable passes");
	tap_ok(ei_exec_check_etcd("etcd", envp, &err) == 0, "check at start: a name on PATH passes");
	tap_ok(ei_exec_check_etcd("/nonexistent/etcd", envp, &err) == EI_E_USAGE &&
		       ei_err_exit_code(&err) == 2 && strstr(err.msg, "/nonexistent/etcd") &&
		       strstr(err.msg, "expected an executable etcd file"),
	       "check at start: missing: exit 2: %s", err.msg);
	tap_ok(ei_exec_check_etcd(noexec, envp, &err) == EI_E_USAGE && strstr(err.msg, noexec) &&
		       (geteuid() == 0 || strstr(err.msg, "not executable")),
	       "check at start: not executable: exit 2: %s", err.msg);
	tap_ok(ei_exec_check_etcd(dir, envp, &err) == EI_E_USAGE && strstr(err.msg, "not a regular file"),
	       "check at start: a directory: exit 2: %s", err.msg);
	tap_ok(ei_exec_check_etcd("nosuch-etcd", envp, &err) == EI_E_USAGE && strstr(err.msg, "nosuch-etcd"),
	       "check at start: not on PATH: exit 2: %s", err.msg);
	test_scrub(argv[0]);
	unlink(exe);
	unlink(noexec);
	rmdir(dir);
	return tap_done();
}
