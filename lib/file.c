/* file.c - small files read whole (see file.h). */
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int ei_file_open(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	return fd < 0 ? -errno : fd;
}

int ei_file_read_all(int fd, char *buf, size_t cap, size_t *len)
{
	size_t n = 0;
	ssize_t got;
	int r = 0;

	/* One byte more than fits tells a file that is too large from one that fits. */
	while (n < cap && (got = read(fd, buf + n, cap - n)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r = -errno;
			break;
		}
		n += (size_t)got;
	}
	close(fd);
	if (r == 0 && n == cap)
		r = -EFBIG;
	if (r < 0) {
		explicit_bzero(buf, cap);
		*len = 0;
		return r;
	}
	buf[n] = '\0';
	*len = n;
	return 0;
}

/* Write all of s to fd; returns 0 or an errno. */
static int write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return errno;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

int ei_file_replace(const char *path, const char *text, size_t len, bool *created)
{
	char tmp[PATH_MAX];
	int fd, e;

	*created = false;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*created = true;
	e = write_all(fd, text, len);
	if (!e && fsync(fd) < 0)
		e = errno;
	if (close(fd) < 0 && !e)
		e = errno;
	if (!e && rename(tmp, path) < 0)
		e = errno;
	if (e)
		unlink(tmp);
	return -e;
}

int ei_file_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		r = -errno;
	close(fd);
	return r;
}
