/* Unit tests for lib/err.c: codes map to the documented exit statuses. */
#include "err.h"
#include "tap.h"

#include <errno.h>
#include <signal.h>

int main(void)
{
	static const struct {
		int code;
		int signo;
		int sys_errno;
		int exit_code;
	} cases[] = {
		{ EI_OK, 0, 0, 0 },
		{ EI_E_USAGE, 0, 0, 2 },
		{ EI_E_TIMEOUT, 0, 0, 3 },
		{ EI_E_UNAVAILABLE, 0, 0, 3 },
		{ EI_E_CLUSTER, 0, 0, 4 },
		{ EI_E_REFUSE, 0, 0, 5 },
		{ EI_E_UNDECIDED, 0, 0, 6 },
		{ EI_E_SIGNAL, SIGTERM, 0, 143 },
		{ EI_E_SIGNAL, SIGINT, 0, 130 },
		{ EI_E_EXEC, 0, ENOENT, 127 },
		{ EI_E_EXEC, 0, EACCES, 126 },
		{ EI_E_SYS, 0, EIO, 1 },
		{ EI_E_NOMEM, 0, 0, 1 },
	};
	struct ei_err err = { 0 };

	tap_init();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ei_err e = { .code = cases[i].code,
				    .signo = cases[i].signo,
				    .sys_errno = cases[i].sys_errno };
		tap_ok(ei_err_exit_code(&e) == cases[i].exit_code, "%s (signo %d errno %d) exits %d",
		       ei_err_name(cases[i].code), cases[i].signo, cases[i].sys_errno,
		       cases[i].exit_code);
	}

	tap_ok(ei_err_set(&err, EI_E_USAGE, "--peer-port: %s is not a port", "x") == EI_E_USAGE,
	       "ei_err_set returns its code");
	tap_streq(err.msg, "--peer-port: x is not a port", "ei_err_set formats the message");
	ei_err_wrap(&err, "config");
	tap_streq(err.msg, "config: --peer-port: x is not a port", "ei_err_wrap prefixes context");
	tap_ok(ei_err_sys(&err, ENOENT, "open %s", "/data") == EI_E_SYS && err.sys_errno == ENOENT,
	       "ei_err_sys keeps errno");
	tap_streq(err.msg, "open /data: No such file or directory", "ei_err_sys appends strerror");
	tap_ok(ei_err_set(NULL, EI_E_CLUSTER, "x") == EI_E_CLUSTER, "a NULL err is allowed");
	return tap_done();
}
