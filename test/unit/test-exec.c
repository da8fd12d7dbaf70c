/* Unit tests for lib/exec.c: finding etcd and the exit codes of not finding it. */
#include "exec.h"
#include "tap.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void)
{
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
		       ei_err_exit_code(&err) == 126,
	       "a directory: 126: %s", err.msg);
	unlink(exe);
	unlink(noexec);
	rmdir(dir);
	return tap_done();
}
