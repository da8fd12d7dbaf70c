/* exec.c - handing the process over to etcd (see exec.h). */
#include "exec.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "sig.h"

static int check_executable(const char *path, struct ei_err *err)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		ei_err_set(err, EI_E_EXEC, "etcd binary %s: %s", path, strerror(errno));
		err->sys_errno = errno == ENOENT || errno == ENOTDIR ? ENOENT : errno;
		return EI_E_EXEC;
	}
	if (!S_ISREG(st.st_mode) || access(path, X_OK) < 0) {
		ei_err_set(err, EI_E_EXEC, "etcd binary %s is not an executable file (set --etcd)",
			   path);
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
		ei_err_set(err, EI_E_EXEC, "--etcd/ETCD_BIN: %s not found on PATH", configured);
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
