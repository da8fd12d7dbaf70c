/* pace.c - how long a start waits before it looks again (see pace.h). */
#include "pace.h"

#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 2000

/* A short wait for something about to change (a learner slot, a record being
 * published): 150-250 ms, spread so that pods polling the same thing do not line up.
 * A question costs nothing next to a longer sleep. */
#define POLL_MIN_MS 150
#define POLL_SPREAD_MS 100

/* Waiting in the first 30 s of a start (records being published, peers starting one
 * after the other, as in a cold start) asks again every 150-250 ms: every wait there is
 * about to end, and a backoff would only add its sleep to the start (a DNS question or
 * a status request costs nothing next to it). Later waits back off to 2 s. */
#define FAST_WAITS_MS 30000u

void ei_pace_init(struct ei_pace *p, const struct ei_config *cfg, struct ei_loop *loop)
{
	*p = (struct ei_pace){ .loop = loop,
			       .wait_timeout_s = cfg->wait_timeout_s,
			       .ordinal = cfg->id.ordinal,
			       .started_ms = ei_clock_ms(),
			       .backoff = EI_BACKOFF(BACKOFF_FIRST_MS, BACKOFF_MAX_MS) };
	if (cfg->wait_timeout_s)
		p->deadline = p->started_ms + (uint64_t)cfg->wait_timeout_s * 1000u;
}

int ei_pace_sleep(struct ei_pace *p, int delay_ms, const char *what, struct ei_err *err)
{
	int delay = ei_deadline_cut_ms(p->deadline, delay_ms);

	if (delay < 0)
		return ei_err_set(err, EI_E_TIMEOUT, "gave up after --wait-timeout=%us: %s",
				  p->wait_timeout_s, p->last_wait[0] ? p->last_wait : what);
	return ei_loop_sleep(p->loop, delay, err);
}

int ei_pace_backoff(struct ei_pace *p, const char *what, struct ei_err *err)
{
	return ei_pace_sleep(p, ei_backoff_next(&p->backoff), what, err);
}

int ei_pace_short_poll(struct ei_pace *p, const char *what, struct ei_err *err)
{
	/* Spread by the clock and our ordinal (every pod is PID 1 of its own namespace). */
	int delay = POLL_MIN_MS + (int)((ei_clock_ms() * 2654435761u + (uint64_t)p->ordinal * 40503u) %
					POLL_SPREAD_MS);

	return ei_pace_sleep(p, delay, what, err);
}

int ei_pace_wait(struct ei_pace *p, const char *what, struct ei_err *err)
{
	if (ei_clock_ms() - p->started_ms < FAST_WAITS_MS)
		return ei_pace_short_poll(p, what, err);
	return ei_pace_backoff(p, what, err);
}

void ei_pace_reset(struct ei_pace *p)
{
	ei_backoff_reset(&p->backoff);
}
