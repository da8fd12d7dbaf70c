/* loop.h - the one event loop: every wait is a poll() that also watches the
 * signalfd, so SIGTERM ends any wait at once (signalfd(2), poll(2)).
 *
 * The loop owns a signalfd for the signals that sig.c blocked. Reading it:
 *  - SIGCHLD: reaps every exited child (we may be PID 1) and goes on waiting;
 *  - SIGTERM, SIGINT, SIGQUIT, SIGHUP: the wait ends with EI_E_SIGNAL and
 *    err->signo set; the loop remembers the signal, and every later wait ends
 *    at once with the same error, so nothing outlives a termination request;
 *  - anything else is logged at debug level and ignored.
 * Single-threaded; not async-signal-safe. */
#ifndef EI_LOOP_H
#define EI_LOOP_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>

#include "err.h"

struct ei_loop;

/* Create the loop and its signalfd (SFD_CLOEXEC|SFD_NONBLOCK) for the currently
 * blocked termination and child signals. Call after ei_sig_block(). */
int ei_loop_create(struct ei_loop **out, struct ei_err *err);

/* Close the signalfd and free. NULL is allowed. */
void ei_loop_destroy(struct ei_loop *loop);

/* The signalfd, for code that polls through another API (curl_multi_poll). */
int ei_loop_signal_fd(const struct ei_loop *loop);

/* Read every queued signal (non-blocking). Returns 0, or EI_E_SIGNAL when a
 * termination signal arrived now or earlier. */
int ei_loop_check_signals(struct ei_loop *loop, struct ei_err *err);

/* Wait until one of fds is ready or timeout_ms passes (-1: no timeout).
 * Returns the number of fds with revents set (0 on timeout), EI_E_SIGNAL on a
 * termination signal, EI_E_SYS on a poll failure. fds may be NULL when nfds is 0.
 * EINTR and SIGCHLD do not end the wait early except by returning 0 revents. */
int ei_loop_poll(struct ei_loop *loop, struct pollfd *fds, nfds_t nfds, int timeout_ms,
		 struct ei_err *err);

/* Watches: a service that must go on during every wait (the status server of the
 * handshake, server.h) registers its fd here. Every wait of the loop (ei_loop_poll,
 * ei_loop_sleep, and the HTTP and DNS waits built on them or on ei_loop_watch_fds)
 * polls it too and calls ready() when the fd is readable or the watch's own timeout
 * (timeout_ms(), -1 for none) has passed; the wait itself goes on. At most
 * EI_LOOP_MAX_WATCHES. ready() must not wait. */
#define EI_LOOP_MAX_WATCHES 4

struct ei_loop_watch {
	int fd;
	void (*ready)(void *data);
	int (*timeout_ms)(void *data);
	void *data;
};

/* Add a watch (copied). Returns 0 or EI_E_SYS when the table is full. */
int ei_loop_add_watch(struct ei_loop *loop, const struct ei_loop_watch *w, struct ei_err *err);

/* Remove the watch of fd (nothing when there is none). */
void ei_loop_remove_watch(struct ei_loop *loop, int fd);

/* For code that polls through another API (curl_multi_poll): the watches' fds as
 * pollfds (POLLIN) in out[0..max), returning how many, and the shortest watch
 * timeout in *timeout_ms (-1: none). After that API's wait, pass the same array with
 * revents filled to ei_loop_dispatch. */
size_t ei_loop_watch_fds(const struct ei_loop *loop, struct pollfd *out, size_t max,
			 int *timeout_ms);

/* Call ready() of every watch whose fd is readable in fds or whose timeout passed. */
void ei_loop_dispatch(struct ei_loop *loop, const struct pollfd *fds, size_t n);

/* Wait timeout_ms unless a termination signal comes first (then EI_E_SIGNAL). */
int ei_loop_sleep(struct ei_loop *loop, int timeout_ms, struct ei_err *err);

/* Milliseconds on CLOCK_MONOTONIC: the one clock for every deadline. */
uint64_t ei_clock_ms(void);

/* Milliseconds left until deadline_ms (>= 0), for poll timeouts; a deadline of
 * 0 means none and gives -1. */
int ei_deadline_left_ms(uint64_t deadline_ms);

/* now_ms - since_ms as an age in ms, clamped to UINT_MAX (an age never wraps into a
 * young one). Pure. */
unsigned ei_elapsed_ms(uint64_t since_ms, uint64_t now_ms);

/* A line or report repeated while nothing changes: true (and *last_ms = now_ms) when
 * *last_ms is 0 (never) or at least every_ms before now_ms. Pure. */
bool ei_due_every(uint64_t *last_ms, uint64_t now_ms, uint64_t every_ms);

/* delay_ms cut to what is left until deadline_ms (0: none, delay_ms unchanged); -1 once
 * the deadline has passed. */
int ei_deadline_cut_ms(uint64_t deadline_ms, int delay_ms);

/* A wait that doubles from first_ms up to max_ms each time it is taken, and starts
 * over at first_ms when something changed. Set up with EI_BACKOFF(first, max). */
struct ei_backoff {
	int first_ms;
	int max_ms;
	int next_ms; /* the delay the next ei_backoff_next returns */
};

#define EI_BACKOFF(first, max) ((struct ei_backoff){ (first), (max), (first) })

/* The delay to wait now; the one after it is twice as long, at most max_ms. Pure. */
int ei_backoff_next(struct ei_backoff *b);

/* The next delay is first_ms again. */
void ei_backoff_reset(struct ei_backoff *b);

#endif
