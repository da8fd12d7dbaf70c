/* leave.c - `etcd-init leave` (see leave.h). Being written: until then it removes
 * nothing and says so. */
#include "leave.h"

int ei_leave(const struct ei_config *cfg, struct ei_loop *loop, char **envp, struct ei_err *err)
{
	(void)cfg;
	(void)loop;
	(void)envp;
	return ei_err_set(err, EI_E_UNDECIDED, "leave: not implemented yet; nothing removed");
}
