/* file.h - small files read whole (a password, a service-account token, a PEM key):
 * never blocking on a FIFO put at their path (PID 1 reads its signals in the loop, so a
 * blocked open or read could not be interrupted), bounded, and into the caller's one
 * buffer only (no stdio buffer or realloc leaves a copy of a secret behind). */
#ifndef EI_FILE_H
#define EI_FILE_H

#include <stdbool.h>
#include <stddef.h>

/* open(2) for reading with O_NONBLOCK, O_CLOEXEC and O_NOCTTY. Returns the fd, or
 * -errno. */
int ei_file_open(const char *path);

/* Read all of fd into buf (capacity cap > 0): at most cap - 1 bytes, NUL-terminated,
 * *len set. Closes fd in every case. Returns 0, -errno when a read fails, or -EFBIG
 * when the file holds cap bytes or more; on failure buf is wiped. */
int ei_file_read_all(int fd, char *buf, size_t cap, size_t *len);

/* Replace path with text atomically: a temporary file beside it (<path>.tmp-XXXXXX),
 * written whole, fsync'd, renamed over path; on failure the temporary file is removed
 * and path is as it was. *created tells whether the temporary file could be created
 * at all (a directory we cannot write). The directory is not fsync'd: the caller does,
 * for the rename to be durable. Returns 0 or -errno. */
int ei_file_replace(const char *path, const char *text, size_t len, bool *created);

/* fsync(2) a directory, so that a rename or unlink in it survives a crash. Returns 0 or
 * -errno. */
int ei_file_fsync_dir(const char *dir);

#endif
