/* fuzz.h - what every libFuzzer target of test/fuzz/ shares.
 *
 * A target feeds one input to one parser of lib/ that reads the network or the volume,
 * frees everything it got back (LeakSanitizer runs at the end of each input), and
 * aborts only when a property the parser's header promises does not hold (FUZZ_CHECK):
 * an input that is merely bad must come back as an error, never as a crash.
 * libFuzzer hands each input in a heap block of exactly size bytes, so a parser that
 * takes a length and reads past it trips AddressSanitizer at the first byte beyond. */
#ifndef EI_FUZZ_H
#define EI_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libFuzzer's entry point; declared for -Wmissing-prototypes. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken promise of lib/: print it and abort, so libFuzzer keeps the input. */
#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz: %s:%d: %s does not hold\n", __FILE__, __LINE__,     \
				#cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* Out of memory in the harness itself is not a finding: stop at once. */
static inline void *fuzz_alloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		abort();
	return p;
}

/* data[0..size) as a C string (a copy with a NUL after it): the parsers of text that
 * take no length read up to the first NUL, as they do with what http.h hands them. */
static inline char *fuzz_str(const uint8_t *data, size_t size)
{
	char *s = fuzz_alloc(size + 1);

	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
