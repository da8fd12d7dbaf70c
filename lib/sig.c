/* sig.c - signal state of the launcher (see sig.h). */
#include "sig.h"

#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "log.h"

/* Signals the kernel sends us when *we* are broken: leave them unblocked so a
 * bug crashes visibly instead of hanging (tini's and catatonit's kernel signals). */
static const int fault_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS };

void ei_sig_blocked_set(sigset_t *set)
{
	sigfillset(set);
	for (size_t i = 0; i < sizeof(fault_signals) / sizeof(fault_signals[0]); i++)
		sigdelset(set, fault_signals[i]);
}

int ei_sig_block(struct ei_err *err)
{
	sigset_t set;
	struct sigaction sa;

	ei_sig_blocked_set(&set);
	if (sigprocmask(SIG_SETMASK, &set, NULL) < 0)
		return ei_err_sys(err, errno, "sigprocmask");
	/* A parent may have left SIGCHLD ignored, which would make the kernel
	 * reap our children behind our back (bubblewrap resets it too). */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	/* libcurl-thread(3): with CURLOPT_NOSIGNAL the application must handle SIGPIPE. */
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) < 0)
		return ei_err_sys(err, errno, "sigaction(SIGPIPE)");
	return 0;
}

bool ei_sig_is_termination(int signo)
{
	return signo == SIGTERM || signo == SIGINT || signo == SIGQUIT || signo == SIGHUP;
}

int ei_sig_reap(void)
{
	int n = 0;
	int status;

	/* SIGCHLDs coalesce: drain every exited child (catatonit reap_zombies). */
	while (waitpid(-1, &status, WNOHANG) > 0)
		n++;
	return n;
}

int ei_sig_prepare_exec(struct ei_err *err)
{
	static const struct timespec no_wait = { 0, 0 };
	struct sigaction sa;
	sigset_t set;
	siginfo_t si;
	int signo;

	ei_sig_reap();
	/* sigpending(2): the pending set survives execve, and a termination signal
	 * that arrived just now must end us rather than be dropped by etcd. */
	ei_sig_blocked_set(&set);
	while ((signo = sigtimedwait(&set, &si, &no_wait)) > 0) {
		if (ei_sig_is_termination(signo)) {
			ei_err_set(err, EI_E_SIGNAL, "received %s before starting etcd",
				   sigabbrev_np(signo));
			err->signo = signo;
			return EI_E_SIGNAL;
		}
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (int i = 1; i < NSIG; i++) {
		if (i == SIGKILL || i == SIGSTOP)
			continue;
		if (sigaction(i, &sa, NULL) < 0 && errno != EINVAL)
			return ei_err_sys(err, errno, "sigaction(%d)", i);
	}
	sigemptyset(&set);
	if (sigprocmask(SIG_SETMASK, &set, NULL) < 0)
		return ei_err_sys(err, errno, "sigprocmask");
	return 0;
}
