/* diagnose.c - `etcd-init diagnose` (see diagnose.h). Being written. */
#include "diagnose.h"

int ei_diagnose(const struct ei_config *cfg, struct ei_loop *loop, char **envp,
		struct ei_err *err)
{
	(void)cfg;
	(void)loop;
	(void)envp;
	return ei_err_set(err, EI_E_USAGE, "diagnose: not implemented yet");
}
