/* hex.h - bytes to and from lowercase hex, for the unit tests of wire formats. */
#ifndef EI_TEST_HEX_H
#define EI_TEST_HEX_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

static inline int hexval(char c)
{
	return c <= '9' ? c - '0' : c - 'a' + 10;
}

/* "0a01" -> bytes into out; returns the length. */
static inline size_t unhex(const char *h, uint8_t *out)
{
	size_t n = 0;

	for (; h[0] && h[1]; h += 2)
		out[n++] = (uint8_t)(hexval(h[0]) << 4 | hexval(h[1]));
	return n;
}

/* n bytes -> "0a01..." into out (2n + 1 bytes). */
static inline void tohex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
	out[2 * n] = '\0';
}

#endif
