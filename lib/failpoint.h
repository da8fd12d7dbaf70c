/* failpoint.h - named points where a test build of etcd-init dies on request.
 *
 * Every step of an action is one call between two failpoints, so a test can kill
 * the launcher at each step and check that the next start finishes the job
 * (README.md, "Every step survives a crash"; etcd's gofail is the model). Only a
 * build with -DEI_FAILPOINTS has them (test/meson.build builds etcd-init-failpoints):
 * there, EI_FAILPOINT=<name> in the environment makes ei_failpoint(<name>) log one
 * line and _exit(137) at once, as a SIGKILL would (PID 1 cannot SIGKILL itself).
 * In the real binary they compile to nothing. */
#ifndef EI_FAILPOINT_H
#define EI_FAILPOINT_H

#ifdef EI_FAILPOINTS
void ei_failpoint(const char *name);
#else
static inline void ei_failpoint(const char *name)
{
	(void)name;
}
#endif

#endif
