/* Unit tests for lib/loop.c's pure parts: the backoff run and leave share, the cut of
 * a delay to a deadline, and the "due again" gate. */
#include "loop.h"
#include "tap.h"

static void test_backoff(void)
{
	/* run's (100 ms to 2 s) and leave's (200 ms to 2 s). */
	static const struct {
		int first, max;
		int want[7];
	} cases[] = {
		{ 100, 2000, { 100, 200, 400, 800, 1600, 2000, 2000 } },
		{ 200, 2000, { 200, 400, 800, 1600, 2000, 2000, 2000 } },
		{ 150, 150, { 150, 150, 150, 150, 150, 150, 150 } },
	};

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct ei_backoff b = EI_BACKOFF(cases[c].first, cases[c].max);
		int ok = 1;

		for (size_t i = 0; i < 7; i++)
			ok &= ei_backoff_next(&b) == cases[c].want[i];
		tap_ok(ok, "backoff %d..%d: doubles up to its maximum", cases[c].first, cases[c].max);
		ei_backoff_reset(&b);
		tap_ok(ei_backoff_next(&b) == cases[c].first && ei_backoff_next(&b) == cases[c].want[1],
		       "backoff %d..%d: starts over after a reset", cases[c].first, cases[c].max);
	}
}

static void test_deadline_cut(void)
{
	uint64_t now = ei_clock_ms();

	tap_ok(ei_deadline_cut_ms(0, 1500) == 1500, "deadline cut: no deadline keeps the delay");
	tap_ok(ei_deadline_cut_ms(now + 60000, 1500) == 1500,
	       "deadline cut: a far deadline keeps the delay");
	tap_ok(ei_deadline_cut_ms(now + 60000, 120000) <= 60000 &&
		       ei_deadline_cut_ms(now + 60000, 120000) > 50000,
	       "deadline cut: a delay past the deadline ends at it");
	tap_ok(ei_deadline_cut_ms(now > 1 ? now - 1 : 1, 100) == -1,
	       "deadline cut: a passed deadline is -1");
}

static void test_due_every(void)
{
	uint64_t last = 0;

	tap_ok(ei_due_every(&last, 1000, 20000) && last == 1000, "due: the first time");
	tap_ok(!ei_due_every(&last, 20999, 20000) && last == 1000, "due: not before every_ms");
	tap_ok(ei_due_every(&last, 21000, 20000) && last == 21000, "due: again after every_ms");
}

int main(void)
{
	tap_init();
	test_backoff();
	test_deadline_cut();
	test_due_every();
	return tap_done();
}
