/* Unit tests for lib/file.c: small files read whole, bounded, never blocking. */
#include "file.h"
#include "tap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/ei-test-file.XXXXXX";

static void write_file(const char *name, const char *content)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f) {
		fputs(content, f);
		fclose(f);
	}
}

/* read NAME with capacity cap: the return, the bytes and the length. */
static int read_named(const char *name, char *buf, size_t cap, size_t *len)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = ei_file_open(path);
	return fd < 0 ? fd : ei_file_read_all(fd, buf, cap, len);
}

int main(void)
{
	static const struct {
		const char *what, *name, *content;
		size_t cap;
		int want;             /* 0 or -errno */
		const char *want_buf; /* on success */
	} cases[] = {
		{ "a password with its newline", "pw", "s3cret\n", 64, 0, "s3cret\n" },
		{ "an empty file", "empty", "", 64, 0, "" },
		{ "exactly cap - 1 bytes fit", "fits", "12345", 6, 0, "12345" },
		{ "cap bytes are too large", "big", "123456", 6, -EFBIG, NULL },
		{ "far too large", "huge", "0123456789012345678901234567890123456789", 8, -EFBIG, NULL },
		{ "missing", "missing", NULL, 64, -ENOENT, NULL },
		{ "a directory", "sub", NULL, 64, -EISDIR, NULL },
		{ "a FIFO with no writer: empty at once, never blocks", "fifo", NULL, 64, 0, "" },
	};
	char buf[64], path[256];

	tap_init();
	if (!mkdtemp(dir)) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (cases[i].content)
			write_file(cases[i].name, cases[i].content);
	snprintf(path, sizeof(path), "%s/sub", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/fifo", dir);
	mkfifo(path, 0600);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = 99;
		int r;

		memset(buf, 'x', sizeof(buf));
		r = read_named(cases[i].name, buf, cases[i].cap, &len);
		if (cases[i].want == 0)
			tap_ok(r == 0 && len == strlen(cases[i].want_buf) &&
				       strcmp(buf, cases[i].want_buf) == 0,
			       "%s: read whole (r=%d len=%zu)", cases[i].what, r, len);
		else
			tap_ok(r == cases[i].want, "%s: %s (r=%d)", cases[i].what,
			       strerror(-cases[i].want), r);
	}
	/* A failed read leaves nothing of the file in the buffer. */
	memset(buf, 'x', sizeof(buf));
	{
		size_t len;
		int r = read_named("big", buf, 6, &len);
		int wiped = 1;

		for (size_t i = 0; i < 6; i++)
			wiped &= buf[i] == '\0';
		tap_ok(r == -EFBIG && wiped, "too large: the buffer is wiped");
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, cases[i].name);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/sub", dir);
	rmdir(path);
	rmdir(dir);
	return tap_done();
}
