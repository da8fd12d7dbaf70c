/* exec.h - handing the process over to etcd (README.md, "PID 1"; execve(2)). */
#ifndef EI_EXEC_H
#define EI_EXEC_H

#include <stddef.h>

#include "err.h"

/* Find the etcd binary: configured (a path, or a name looked up on PATH), else
 * /usr/local/bin/etcd, else "etcd" on PATH. Returns 0, or EI_E_EXEC with
 * sys_errno ENOENT (exit 127) or EACCES (exit 126). */
int ei_exec_find_etcd(const char *configured, char **envp, char *path, size_t len,
		      struct ei_err *err);

/* The fail-fast check at the start of `run`, before any wait: the etcd that
 * ei_exec_find_etcd would find exists, is a regular file and is executable. Returns 0,
 * or EI_E_USAGE (exit 2) with err naming the path and what is expected. (The exec
 * itself keeps 126/127 for an etcd that went away in between.) */
int ei_exec_check_etcd(const char *configured, char **envp, struct ei_err *err);

/* Remove every NAME=... entry of names (NULL-terminated) from this process's environ and
 * overwrite its bytes in place: unsetenv(3) only drops the pointer, but
 * /proc/<pid>/environ shows the environment block execve(2) set up (proc(5): the
 * memory between env_start and env_end), which a fork inherits as a copy; only wiping
 * the strings takes them out of it. Pointers into them (getenv results, a config's
 * borrowed values) read "" afterwards. Not thread-safe (no thread exists here). */
void ei_exec_scrub_env(const char *const *names);

/* Close every fd >= 3, drain pending signals (a termination signal ends us instead:
 * EI_E_SIGNAL), reset dispositions and the mask, flush stdio and execve(argv, envp).
 * Returns only on failure: EI_E_EXEC, EI_E_SIGNAL or EI_E_SYS. The caller must have
 * torn down libcurl and c-ares first. */
int ei_exec_etcd(char *const argv[], char *const envp[], struct ei_err *err);

#endif
