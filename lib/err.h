/* err.h - the error convention of lib/ (after crun's design-docs/error_handling.md).
 *
 * A function that can fail returns 0 (or a non-negative count) on success and a
 * negative EI_E* code on failure, and then fills the caller's struct ei_err with a
 * message that says what failed and what to do about it. lib/ never exits; only
 * cmd/ maps a code to an exit status (ei_err_exit_code). */
#ifndef EI_ERR_H
#define EI_ERR_H

#include <stddef.h>

enum ei_errcode {
	EI_OK = 0,
	EI_E_SYS = -1,       /* a system call failed; msg carries strerror */
	EI_E_USAGE = -2,     /* bad flag, environment value or argument */
	EI_E_TIMEOUT = -3,   /* gave up waiting (--wait-timeout) */
	EI_E_CLUSTER = -4,   /* an etcd membership operation failed */
	EI_E_REFUSE = -5,    /* refusing to act: acting could lose data or split the cluster */
	EI_E_SIGNAL = -6,    /* a termination signal arrived; see struct ei_err.signo */
	EI_E_NOMEM = -7,     /* out of memory */
	EI_E_PARSE = -8,     /* a peer sent something we cannot read */
	EI_E_UNAVAILABLE = -9, /* nothing answered (DNS name absent, no member reachable) */
	EI_E_EXEC = -10,     /* execve failed; errno in sys_errno */
	EI_E_UNDECIDED = -11, /* leave: could not decide whether to remove (nothing removed) */
};

/* Exit codes of etcd-init (documented in README.md, "Exit codes"). */
enum ei_exit {
	EI_EXIT_OK = 0,
	EI_EXIT_FAILURE = 1,   /* unexpected failure (system error, out of memory) */
	EI_EXIT_USAGE = 2,     /* usage or configuration error */
	EI_EXIT_TIMEOUT = 3,   /* gave up waiting for DNS or for the cluster */
	EI_EXIT_CLUSTER = 4,   /* a membership change failed */
	EI_EXIT_REFUSE = 5,    /* refused to start: the data dir or cluster state is unsafe */
	EI_EXIT_UNDECIDED = 6, /* leave could not decide; nothing was removed */
	EI_EXIT_NOEXEC = 126,  /* etcd found but not executable */
	EI_EXIT_NOTFOUND = 127, /* etcd not found */
};

#define EI_ERR_MSG_MAX 512

struct ei_err {
	int code;      /* the EI_E* code, 0 when unset */
	int signo;     /* with EI_E_SIGNAL: the signal that ended the wait */
	int sys_errno; /* with EI_E_SYS and EI_E_EXEC: the errno */
	char msg[EI_ERR_MSG_MAX];
};

/* Fill err (if not NULL) with code and a formatted message; returns code so that
 * callers can write `return ei_err_set(err, EI_E_USAGE, "...")`. */
int ei_err_set(struct ei_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like ei_err_set with EI_E_SYS, appending ": strerror(errnum)". */
int ei_err_sys(struct ei_err *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefix err->msg with context ("ctx: old message"); returns err->code. */
int ei_err_wrap(struct ei_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* What another party said (an answer's body, its message), made fit for a message or a
 * log: s[0..n) as one line into dst (cap > 0), control bytes as spaces, and every
 * occurrence of each secret (a NULL-terminated list; NULL and "" entries are skipped)
 * replaced by "[redacted]", matched before the cut so that no part of one is left at
 * the end: a server that echoes a password or token cannot put it in our logs. */
void ei_excerpt(char *dst, size_t cap, const char *s, size_t n, const char *const *secrets);

/* Append to the text in buf (capacity len), sep-separated when it is not empty;
 * truncates what does not fit. For reasons and notes built piece by piece. */
void ei_msg_add(char *buf, size_t len, const char *sep, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Replace every occurrence of secret in the string buf (capacity len) by "[redacted]". */
void ei_redact(char *buf, size_t len, const char *secret);

/* The process exit status for an error code (and signal, for EI_E_SIGNAL). */
int ei_err_exit_code(const struct ei_err *err);

/* A short stable name for a code, e.g. "timeout"; used in JSON output. */
const char *ei_err_name(int code);

#endif
