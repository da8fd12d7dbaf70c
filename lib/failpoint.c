/* failpoint.c - see failpoint.h. */
#include "failpoint.h"

#ifdef EI_FAILPOINTS
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

void ei_failpoint(const char *name)
{
	const char *want = getenv("EI_FAILPOINT");

	if (want && strcmp(want, name) == 0) {
		ei_log_warn("failpoint reached: dying as if killed", "failpoint=%s", name);
		_exit(137);
	}
}
#else
/* ISO C wants a translation unit to declare something. */
typedef int ei_failpoint_unused;
#endif
