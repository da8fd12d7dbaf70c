/* loop.c - the event loop: poll() over the caller's fds and the signalfd (see loop.h). */
#include "loop.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
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
	struct ei_loop_watch watches[EI_LOOP_MAX_WATCHES];
	size_t n_watches;
};

uint64_t ei_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

unsigned ei_elapsed_ms(uint64_t since_ms, uint64_t now_ms)
{
	return now_ms - since_ms > UINT_MAX ? UINT_MAX : (unsigned)(now_ms - since_ms);
}

bool ei_due_every(uint64_t *last_ms, uint64_t now_ms, uint64_t every_ms)
{
	if (*last_ms && now_ms - *last_ms < every_ms)
		return false;
	*last_ms = now_ms;
	return true;
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

int ei_deadline_cut_ms(uint64_t deadline_ms, int delay_ms)
{
	int left = ei_deadline_left_ms(deadline_ms);

	if (left == 0)
		return -1;
	return left > 0 && delay_ms > left ? left : delay_ms;
}

int ei_backoff_next(struct ei_backoff *b)
{
	int delay = b->next_ms;

	b->next_ms = b->next_ms * 2 > b->max_ms ? b->max_ms : b->next_ms * 2;
	return delay;
}

void ei_backoff_reset(struct ei_backoff *b)
{
	b->next_ms = b->first_ms;
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

int ei_loop_add_watch(struct ei_loop *loop, const struct ei_loop_watch *w, struct ei_err *err)
{
	if (loop->n_watches == EI_LOOP_MAX_WATCHES)
		return ei_err_set(err, EI_E_SYS, "event loop: too many watches");
	loop->watches[loop->n_watches++] = *w;
	return 0;
}

void ei_loop_remove_watch(struct ei_loop *loop, int fd)
{
	for (size_t i = 0; i < loop->n_watches; i++) {
		if (loop->watches[i].fd == fd) {
			loop->watches[i] = loop->watches[--loop->n_watches];
			return;
		}
	}
}

size_t ei_loop_watch_fds(const struct ei_loop *loop, struct pollfd *out, size_t max,
			 int *timeout_ms)
{
	size_t n = 0;

	*timeout_ms = -1;
	for (size_t i = 0; i < loop->n_watches && n < max; i++) {
		const struct ei_loop_watch *w = &loop->watches[i];
		int t = w->timeout_ms ? w->timeout_ms(w->data) : -1;

		out[n++] = (struct pollfd){ .fd = w->fd, .events = POLLIN };
		if (t >= 0 && (*timeout_ms < 0 || t < *timeout_ms))
			*timeout_ms = t;
	}
	return n;
}

void ei_loop_dispatch(struct ei_loop *loop, const struct pollfd *fds, size_t n)
{
	/* ready() may remove its own watch: walk a copy. */
	struct ei_loop_watch copy[EI_LOOP_MAX_WATCHES];
	size_t nw = loop->n_watches;

	memcpy(copy, loop->watches, nw * sizeof(copy[0]));
	for (size_t i = 0; i < nw; i++) {
		bool readable = false;

		for (size_t k = 0; k < n; k++)
			readable |= fds[k].fd == copy[i].fd && fds[k].revents != 0;
		if (readable || (copy[i].timeout_ms && copy[i].timeout_ms(copy[i].data) == 0))
			copy[i].ready(copy[i].data);
	}
}

int ei_loop_poll(struct ei_loop *loop, struct pollfd *fds, nfds_t nfds, int timeout_ms,
		 struct ei_err *err)
{
	struct pollfd stack_fds[16];
	struct pollfd *all = stack_fds;
	uint64_t deadline = timeout_ms >= 0 ? ei_clock_ms() + (uint64_t)timeout_ms : 0;
	size_t cap = nfds + 1 + EI_LOOP_MAX_WATCHES;
	int r;

	if (ei_loop_check_signals(loop, err) < 0)
		return EI_E_SIGNAL;
	if (cap > sizeof(stack_fds) / sizeof(stack_fds[0])) {
		all = calloc(cap, sizeof(*all));
		if (!all)
			return ei_err_set(err, EI_E_NOMEM, "out of memory");
	}
	for (;;) {
		int left = timeout_ms >= 0 ? ei_deadline_left_ms(deadline) : -1;
		int watch_timeout;
		size_t nw;

		all[0] = (struct pollfd){ .fd = loop->sfd, .events = POLLIN };
		nw = ei_loop_watch_fds(loop, all + 1, EI_LOOP_MAX_WATCHES, &watch_timeout);
		if (watch_timeout >= 0 && (left < 0 || watch_timeout < left))
			left = watch_timeout;
		if (nfds)
			memcpy(all + 1 + nw, fds, nfds * sizeof(*fds));
		r = poll(all, nfds + 1 + nw, left);
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
		}
		if (nw)
			ei_loop_dispatch(loop, all + 1, nw);
		r = 0;
		for (nfds_t i = 0; i < nfds; i++) {
			fds[i].revents = all[1 + nw + i].revents;
			r += fds[i].revents != 0;
		}
		/* Only a signal or a watch woke us: keep waiting for the caller's fds. */
		if (r == 0 && ei_deadline_left_ms(deadline) != 0)
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
