/* pace.h - how long a start waits before it looks again (run.h): a backoff, a short
 * poll, or whichever of the two fits how long the start has been going, every one of
 * them cut to what --wait-timeout leaves. */
#ifndef EI_PACE_H
#define EI_PACE_H

#include <stdint.h>

#include "config.h"
#include "err.h"
#include "loop.h"

struct ei_pace {
	struct ei_loop *loop;
	uint64_t deadline;        /* 0: wait forever */
	unsigned wait_timeout_s;  /* --wait-timeout, for the message that gives up */
	unsigned ordinal;         /* spreads the short polls of the pods */
	uint64_t started_ms;      /* when this start began (ei_clock_ms) */
	struct ei_backoff backoff;
	char last_wait[1536];     /* the reason of the last wait, for the timeout message */
};

/* Set up for a start beginning now, with cfg's --wait-timeout and ordinal. */
void ei_pace_init(struct ei_pace *p, const struct ei_config *cfg, struct ei_loop *loop);

/* Sleep delay_ms, cut to what --wait-timeout leaves. Returns 0, EI_E_SIGNAL, or
 * EI_E_TIMEOUT once nothing is left (its message says last_wait, else what). */
int ei_pace_sleep(struct ei_pace *p, int delay_ms, const char *what, struct ei_err *err);

/* Sleep the next backoff (100 ms doubling to 2 s). As ei_pace_sleep. */
int ei_pace_backoff(struct ei_pace *p, const char *what, struct ei_err *err);

/* A short wait for something about to change (a learner slot, a record being
 * published): 150-250 ms. As ei_pace_sleep. */
int ei_pace_short_poll(struct ei_pace *p, const char *what, struct ei_err *err);

/* A wait for the decision to change: a short poll in the first 30 s of a start, a
 * backoff after that. As ei_pace_sleep. */
int ei_pace_wait(struct ei_pace *p, const char *what, struct ei_err *err);

/* Something changed: the next backoff starts from 100 ms again. */
void ei_pace_reset(struct ei_pace *p);

#endif
