/* etcd-init: the container entrypoint of an etcd pod. main() only wires lib/. */
#include <stdio.h>
#include <string.h>

#include "ei-version.h"
#include "err.h"
#include "log.h"

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		printf("etcd-init %s\n", EI_VERSION);
		return EI_EXIT_OK;
	}
	ei_log_error("not implemented yet", NULL);
	return EI_EXIT_FAILURE;
}
