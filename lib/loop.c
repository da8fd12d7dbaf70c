/* loop.c - the event loop: poll() over the caller's fds and the signalfd (see loop.h). */
#include "loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sig.h"

struct ei_loop {
	int sfd;
	int term_signo; /* the termination signal received, 0 if none */
};

uint64_t ei_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int ei_deadline_left_ms(uint64_t deadline_ms)
{
	uint64_t now;

	if (deadline_ms == 0)
		return -1;
	now = ei_clock_ms();
	if (now >= deadline_ms)
		return 0;
	if (deadline_ms - now > 24u * 3600u * 1000u)
		return 24 * 3600 * 1000;
	return (int)(deadline_ms - now);
}

int ei_loop_create(struct ei_loop **out, struct ei_err *err)
{
	struct ei_loop *loop;
	sigset_t set;

	loop = calloc(1, sizeof(*loop));
	if (!loop)
		return ei_err_set(err, EI_E_NOMEM, "out of memory");
	ei_sig_blocked_set(&set);
	loop->sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (loop->sfd < 0) {
		int e = errno;

		free(loop);
		return ei_err_sys(err, e, "signalfd");
	}
	*out = loop;
	return 0;
}

void ei_loop_destroy(struct ei_loop *loop)
{
	if (!loop)
		return;
	close(loop->sfd);
	free(loop);
}

int ei_loop_signal_fd(const struct ei_loop *loop)
{
	return loop->sfd;
}

static int terminated(struct ei_loop *loop, struct ei_err *err)
{
	ei_err_set(err, EI_E_SIGNAL, "received %s", sigabbrev_np(loop->term_signo));
	if (err)
		err->signo = loop->term_signo;
	return EI_E_SIGNAL;
}

int ei_loop_check_signals(struct ei_loop *loop, struct ei_err *err)
{
	struct signalfd_siginfo si;

	while (read(loop->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		int signo = (int)si.ssi_signo;

		if (signo == SIGCHLD) {
			ei_sig_reap();
		} else if (ei_sig_is_termination(signo)) {
			if (!loop->term_signo) {
				loop->term_signo = signo;
				ei_log_info("termination signal received, stopping", "signal=SIG%s from_pid=%u",
					    sigabbrev_np(signo), si.ssi_pid);
			}
		} else {
			ei_log_debug("ignoring signal", "signal=SIG%s", sigabbrev_np(signo));
		}
	}
	if (loop->term_signo)
		return terminated(loop, err);
	return 0;
}

int ei_loop_poll(struct ei_loop *loop, struct pollfd *fds, nfds_t nfds, int timeout_ms,
		 struct ei_err *err)
{
	struct pollfd stack_fds[16];
	struct pollfd *all = stack_fds;
	uint64_t deadline = timeout_ms >= 0 ? ei_clock_ms() + (uint64_t)timeout_ms : 0;
	int r;

	if (ei_loop_check_signals(loop, err) < 0)
		return EI_E_SIGNAL;
	if (nfds + 1 > sizeof(stack_fds) / sizeof(stack_fds[0])) {
		all = calloc(nfds + 1, sizeof(*all));
		if (!all)
			return ei_err_set(err, EI_E_NOMEM, "out of memory");
	}
	for (;;) {
		int left = timeout_ms >= 0 ? ei_deadline_left_ms(deadline) : -1;

		all[0] = (struct pollfd){ .fd = loop->sfd, .events = POLLIN };
		if (nfds)
			memcpy(all + 1, fds, nfds * sizeof(*fds));
		r = poll(all, nfds + 1, left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			r = ei_err_sys(err, errno, "poll");
			break;
		}
		if (all[0].revents) {
			if (ei_loop_check_signals(loop, err) < 0) {
				r = EI_E_SIGNAL;
				break;
			}
			r--;
		}
		if (nfds)
			memcpy(fds, all + 1, nfds * sizeof(*fds));
		/* Only a SIGCHLD woke us: keep waiting for the caller's fds. */
		if (r == 0 && all[0].revents && ei_deadline_left_ms(deadline) != 0)
			continue;
		break;
	}
	if (all != stack_fds)
		free(all);
	return r;
}

int ei_loop_sleep(struct ei_loop *loop, int timeout_ms, struct ei_err *err)
{
	int r = ei_loop_poll(loop, NULL, 0, timeout_ms, err);

	return r < 0 ? r : 0;
}
