/* err.c - error values with a message (see err.h). */
#include "err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

__attribute__((format(printf, 2, 0))) static void err_vformat(struct ei_err *err, const char *fmt,
							     va_list ap)
{
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

int ei_err_set(struct ei_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	err->signo = 0;
	err->sys_errno = 0;
	va_start(ap, fmt);
	err_vformat(err, fmt, ap);
	va_end(ap);
	return code;
}

int ei_err_sys(struct ei_err *err, int errnum, const char *fmt, ...)
{
	va_list ap;
	size_t len;

	if (!err)
		return EI_E_SYS;
	err->code = EI_E_SYS;
	err->signo = 0;
	err->sys_errno = errnum;
	va_start(ap, fmt);
	err_vformat(err, fmt, ap);
	va_end(ap);
	len = strlen(err->msg);
	snprintf(err->msg + len, sizeof(err->msg) - len, ": %s", strerror(errnum));
	return EI_E_SYS;
}

int ei_err_wrap(struct ei_err *err, const char *fmt, ...)
{
	char prefix[EI_ERR_MSG_MAX];
	char old[EI_ERR_MSG_MAX];
	va_list ap;

	if (!err)
		return EI_E_SYS;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old);
	return err->code;
}

int ei_err_exit_code(const struct ei_err *err)
{
	switch (err->code) {
	case EI_OK:
		return EI_EXIT_OK;
	case EI_E_USAGE:
		return EI_EXIT_USAGE;
	case EI_E_TIMEOUT:
	case EI_E_UNAVAILABLE:
		return EI_EXIT_TIMEOUT;
	case EI_E_CLUSTER:
	case EI_E_PARSE:
		return EI_EXIT_CLUSTER;
	case EI_E_REFUSE:
		return EI_EXIT_REFUSE;
	case EI_E_UNDECIDED:
		return EI_EXIT_UNDECIDED;
	case EI_E_SIGNAL:
		/* The shell convention, as tini and catatonit report it. */
		return 128 + err->signo;
	case EI_E_EXEC:
		return err->sys_errno == ENOENT ? EI_EXIT_NOTFOUND : EI_EXIT_NOEXEC;
	default:
		return EI_EXIT_FAILURE;
	}
}

const char *ei_err_name(int code)
{
	switch (code) {
	case EI_OK:
		return "ok";
	case EI_E_SYS:
		return "system";
	case EI_E_USAGE:
		return "usage";
	case EI_E_TIMEOUT:
		return "timeout";
	case EI_E_CLUSTER:
		return "cluster";
	case EI_E_REFUSE:
		return "refused";
	case EI_E_SIGNAL:
		return "signal";
	case EI_E_NOMEM:
		return "nomem";
	case EI_E_PARSE:
		return "parse";
	case EI_E_UNAVAILABLE:
		return "unavailable";
	case EI_E_EXEC:
		return "exec";
	case EI_E_UNDECIDED:
		return "undecided";
	default:
		return "unknown";
	}
}

static const char redacted[] = "[redacted]";

void ei_excerpt(char *dst, size_t cap, const char *s, size_t n, const char *const *secrets)
{
	size_t rlen = sizeof(redacted) - 1, o = 0;

	for (size_t i = 0; i < n && o + 1 < cap;) {
		unsigned char ch = (unsigned char)s[i];
		size_t hit = 0;

		for (size_t k = 0; secrets && secrets[k] && !hit; k++) {
			size_t slen = strlen(secrets[k]);

			if (slen && n - i >= slen && memcmp(s + i, secrets[k], slen) == 0)
				hit = slen;
		}
		if (hit) {
			size_t k = rlen < cap - 1 - o ? rlen : cap - 1 - o;

			memcpy(dst + o, redacted, k);
			o += k;
			i += hit;
			continue;
		}
		dst[o++] = (ch < 0x20 || ch == 0x7f) ? ' ' : (char)ch;
		i++;
	}
	while (o && dst[o - 1] == ' ')
		o--;
	dst[o] = '\0';
}

void ei_redact(char *buf, size_t len, const char *secret)
{
	size_t slen = secret ? strlen(secret) : 0, rlen = sizeof(redacted) - 1;
	char *p = buf;

	if (slen == 0 || len == 0)
		return;
	while ((p = strstr(p, secret))) {
		size_t at = (size_t)(p - buf), room = len - 1 - at;
		size_t tail = strlen(p + slen);
		size_t put = rlen < room ? rlen : room;
		size_t keep = tail < room - put ? tail : room - put;

		memmove(buf + at + put, p + slen, keep);
		memcpy(buf + at, redacted, put);
		buf[at + put + keep] = '\0';
		p = buf + at + put;
	}
}

void ei_msg_add(char *buf, size_t len, const char *sep, const char *fmt, ...)
{
	size_t used = strlen(buf), slen = strlen(sep);
	va_list ap;

	if (used + slen + 1 >= len)
		return;
	if (used) {
		memcpy(buf + used, sep, slen + 1);
		used += slen;
	}
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}
