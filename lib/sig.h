/* sig.h - signal state of the launcher (README.md, "PID 1").
 *
 * As PID 1 the kernel delivers only the signals we handle (pid_namespaces(7)),
 * so the first thing main() does is block every asynchronous signal; they are
 * then read through the loop's signalfd. Before execve, ei_sig_prepare_exec()
 * hands etcd a clean process: default dispositions, empty mask, nothing pending. */
#ifndef EI_SIG_H
#define EI_SIG_H

#include <signal.h>
#include <stdbool.h>

#include "err.h"

/* Block all signals except the synchronous faults (SEGV, BUS, FPE, ILL, ABRT,
 * TRAP, SYS), and ignore SIGPIPE (curl with CURLOPT_NOSIGNAL and OpenSSL can
 * raise it; ignoring, not blocking, keeps it off the pending set).
 * Call first in main, before any thread exists. */
int ei_sig_block(struct ei_err *err);

/* The set ei_sig_block blocked (for the signalfd). */
void ei_sig_blocked_set(sigset_t *set);

/* true for the signals that end a wait: TERM, INT, QUIT, HUP. */
bool ei_sig_is_termination(int signo);

/* Reap every exited child without blocking; returns how many were reaped. */
int ei_sig_reap(void);

/* Before execve: reap, drain pending signals (a pending termination signal
 * returns EI_E_SIGNAL: we exit instead of exec'ing), reset every disposition to
 * SIG_DFL and unblock everything. */
int ei_sig_prepare_exec(struct ei_err *err);

#endif
