/* tap.h - a minimal TAP producer for the unit tests (after bubblewrap's
 * tests/test-utils.c). Each check prints "ok N - ..." or "not ok N - ...";
 * tap_done() prints the plan and returns the exit status. */
#ifndef EI_TAP_H
#define EI_TAP_H

#include <stdio.h>
#include <string.h>

static unsigned tap_count, tap_failed;

static inline void tap_init(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
}

#define tap_ok(cond, ...)                                                                  \
	do {                                                                               \
		int tap_cond_ = !!(cond);                                                  \
		tap_count++;                                                               \
		if (!tap_cond_)                                                            \
			tap_failed++;                                                      \
		printf("%sok %u - ", tap_cond_ ? "" : "not ", tap_count);                  \
		printf(__VA_ARGS__);                                                       \
		putchar('\n');                                                             \
		if (!tap_cond_)                                                            \
			printf("# %s:%d: failed: %s\n", __FILE__, __LINE__, #cond);        \
	} while (0)

/* String equality with both values shown on failure (NULL-safe). */
#define tap_streq(got, want, ...)                                                          \
	do {                                                                               \
		const char *tap_g_ = (got), *tap_w_ = (want);                              \
		int tap_eq_ = (tap_g_ && tap_w_) ? strcmp(tap_g_, tap_w_) == 0 : tap_g_ == tap_w_; \
		tap_ok(tap_eq_, __VA_ARGS__);                                              \
		if (!tap_eq_)                                                              \
			printf("#   got:  %s\n#   want: %s\n", tap_g_ ? tap_g_ : "(null)",    \
			       tap_w_ ? tap_w_ : "(null)");                                \
	} while (0)

static inline int tap_done(void)
{
	printf("1..%u\n", tap_count);
	return tap_failed ? 1 : 0;
}

#endif
