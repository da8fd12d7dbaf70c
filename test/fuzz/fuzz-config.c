/* Fuzz target: the command line and the environment, ei_config_parse (getopt_long, the
 * environment fallbacks, the validation, etcd's TLS settings after "--").
 *
 * Input: strings separated by NUL bytes, in three sections separated by an empty
 * string (two NULs in a row): the arguments after argv[0] ("etcd-init"), the
 * environment ("NAME=value"), then the hostname, the contents of resolv.conf and of the
 * service-account namespace file (each NULL when missing). At most MAX_STRINGS
 * arguments and as many variables; the rest is dropped. */
#include "config.h"
#include "fuzz.h"

#define MAX_STRINGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char argv0[] = "etcd-init";
	char *argv[MAX_STRINGS + 2], *envp[MAX_STRINGS + 1], *extra[3] = {NULL, NULL, NULL};
	struct ei_config_input in = {0};
	struct ei_config cfg;
	struct ei_err err = {0};
	char *text = fuzz_str(data, size), *p = text, *end = text + size;
	size_t argc = 1, envc = 0, n_extra = 0;
	int section = 0, r;

	argv[0] = argv0;
	/* Each string ends at a NUL; the last one at the end of the input. */
	while (p <= end && section < 3) {
		size_t n = strlen(p);

		if (n == 0 && p < end) {
			section++;
		} else if (n || p < end) {
			if (section == 0 && argc < MAX_STRINGS + 1)
				argv[argc++] = p;
			else if (section == 1 && envc < MAX_STRINGS)
				envp[envc++] = p;
			else if (section == 2 && n_extra < 3)
				extra[n_extra++] = p;
		}
		p += n + 1;
	}
	argv[argc] = NULL;
	envp[envc] = NULL;
	in.argc = (int)argc;
	in.argv = argv;
	in.envp = envp;
	in.hostname = extra[0];
	in.resolv_conf = extra[1];
	in.sa_namespace = extra[2];

	r = ei_config_parse(&cfg, &in, &err);
	if (r == 0) {
		FUZZ_CHECK(cfg.n_etcd_args <= argc);
		if (cfg.n_etcd_args)
			FUZZ_CHECK(cfg.etcd_args + cfg.n_etcd_args == argv + argc);
		FUZZ_CHECK(cfg.initial_cluster_size >= 1);
	} else {
		FUZZ_CHECK(err.code == r && err.msg[0]);
	}
	free(text);
	return 0;
}
