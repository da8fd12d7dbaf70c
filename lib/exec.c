/* exec.c - handing the process over to etcd (see exec.h). */
#include "exec.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "sig.h"

extern char **environ;

static int check_executable(const char *path, struct ei_err *err)
{
	struct stat st;
	int e;

	if (stat(path, &st) < 0) {
		e = errno;
		ei_err_set(err, EI_E_EXEC, "etcd binary %s: %s (expected an executable etcd file: set --etcd or ETCD_BIN)", path, strerror(e));
		err->sys_errno = e == ENOENT || e == ENOTDIR ? ENOENT : e;
		return EI_E_EXEC;
	}
	if (!S_ISREG(st.st_mode)) {
		ei_err_set(err, EI_E_EXEC, "etcd binary %s is %s, not a regular file (expected an executable etcd file: set --etcd or ETCD_BIN)", path, S_ISDIR(st.st_mode) ? "a directory" : "something else");
		err->sys_errno = EACCES;
		return EI_E_EXEC;
	}
	if (access(path, X_OK) < 0) {
		ei_err_set(err, EI_E_EXEC, "etcd binary %s is not executable (mode %04o, owner uid %u; this process runs as uid %u): expected an executable etcd file: set --etcd or ETCD_BIN", path, (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid, (unsigned)geteuid());
		err->sys_errno = EACCES;
		return EI_E_EXEC;
	}
	return 0;
}

static bool search_path(const char *name, const char *path_env, char *out, size_t len)
{
	const char *p = path_env ? path_env : "/usr/local/bin:/usr/bin:/bin";

	while (*p) {
		size_t n = strcspn(p, ":");

		snprintf(out, len, "%.*s/%s", (int)n, n ? p : ".", name);
		if (access(out, X_OK) == 0)
			return true;
		p += n;
		if (*p == ':')
			p++;
	}
	return false;
}

int ei_exec_find_etcd(const char *configured, char **envp, char *path, size_t len,
		      struct ei_err *err)
{
	const char *path_env = ei_env_get(envp, "PATH");

	if (configured && *configured) {
		if (strchr(configured, '/')) {
			snprintf(path, len, "%s", configured);
			return check_executable(path, err);
		}
		if (search_path(configured, path_env, path, len))
			return check_executable(path, err);
		ei_err_set(err, EI_E_EXEC, "--etcd/ETCD_BIN: %s not found on PATH (expected an executable etcd file: a path, or a name on PATH)", configured);
		err->sys_errno = ENOENT;
		return EI_E_EXEC;
	}
	snprintf(path, len, "/usr/local/bin/etcd");
	if (access(path, F_OK) == 0)
		return check_executable(path, err);
	if (search_path("etcd", path_env, path, len))
		return check_executable(path, err);
	ei_err_set(err, EI_E_EXEC,
		   "etcd not found in /usr/local/bin or on PATH (set --etcd or ETCD_BIN)");
	err->sys_errno = ENOENT;
	return EI_E_EXEC;
}

int ei_exec_check_etcd(const char *configured, char **envp, struct ei_err *err)
{
	char path[PATH_MAX];
	struct ei_err found = { 0 };

	if (ei_exec_find_etcd(configured, envp, path, sizeof(path), &found) == 0)
		return 0;
	return ei_err_set(err, EI_E_USAGE, "%s; checked at start, nothing was done", found.msg);
}

/* Whether entry is NAME=... for one of names. */
static bool env_named(const char *entry, const char *const *names)
{
	for (; *names; names++) {
		size_t n = strlen(*names);

		if (strncmp(entry, *names, n) == 0 && entry[n] == '=')
			return true;
	}
	return false;
}

void ei_exec_scrub_env(const char *const *names)
{
	char **in = environ, **out = environ;

	if (!in)
		return;
	for (; *in; in++) {
		if (env_named(*in, names))
			explicit_bzero(*in, strlen(*in));
		else
			*out++ = *in;
	}
	*out = NULL;
}

/* Close fds >= 3 so etcd starts with 0-2 only (catatonit close_fds_ge_than). */
static void close_extra_fds(void)
{
#ifdef SYS_close_range
	if (syscall(SYS_close_range, 3U, ~0U, 0U) == 0)
		return;
#endif
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	if (!d) {
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
		return;
	}
	while ((e = readdir(d))) {
		unsigned long fd;

		if (ei_parse_uint(e->d_name, 3, 1u << 30, &fd) && (int)fd != dirfd(d))
			close((int)fd);
	}
	closedir(d);
}

int ei_exec_etcd(char *const argv[], char *const envp[], struct ei_err *err)
{
	int r;

	r = ei_sig_prepare_exec(err);
	if (r < 0)
		return r;
	fflush(stdout);
	fflush(stderr);
	close_extra_fds();
	execve(argv[0], argv, envp);
	ei_err_set(err, EI_E_EXEC, "exec %s: %s", argv[0], strerror(errno));
	err->sys_errno = errno;
	return EI_E_EXEC;
}
