/* Fuzz target: the pod's /etc/resolv.conf, ei_resolvconf_cluster_search. Asked once
 * with config.c's buffer sizes and once with small ones from the input's length, each
 * in a heap block of exactly that size. */
#include "config.h"
#include "fuzz.h"

static void ask(const char *conf, size_t ns_len, size_t domain_len)
{
	char *ns = fuzz_alloc(ns_len), *domain = fuzz_alloc(domain_len);

	if (ei_resolvconf_cluster_search(conf, ns, ns_len, domain, domain_len)) {
		FUZZ_CHECK(memchr(ns, '\0', ns_len) && memchr(domain, '\0', domain_len));
		FUZZ_CHECK(ei_label_valid(ns) && ei_domain_valid(domain));
	}
	free(ns);
	free(domain);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *conf = fuzz_str(data, size);

	ask(conf, EI_LABEL_MAX + 1, EI_DOMAIN_MAX + 1);
	ask(conf, 1 + size % 13, 1 + size % 29);
	free(conf);
	return 0;
}
