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
