/* exec.h - handing the process over to etcd (pid1-and-style.md §2.6, items 7-12). */
#ifndef EI_EXEC_H
#define EI_EXEC_H

#include <stddef.h>

#include "err.h"

/* Find the etcd binary: configured (a path, or a name looked up on PATH), else
 * /usr/local/bin/etcd, else "etcd" on PATH. Returns 0, or EI_E_EXEC with
 * sys_errno ENOENT (exit 127) or EACCES (exit 126). */
int ei_exec_find_etcd(const char *configured, char **envp, char *path, size_t len,
		      struct ei_err *err);

/* Close every fd >= 3, drain pending signals (a termination signal ends us instead:
 * EI_E_SIGNAL), reset dispositions and the mask, flush stdio and execve(argv, envp).
 * Returns only on failure: EI_E_EXEC, EI_E_SIGNAL or EI_E_SYS. The caller must have
 * torn down libcurl and c-ares first. */
int ei_exec_etcd(char *const argv[], char *const envp[], struct ei_err *err);

#endif
