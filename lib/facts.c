/* facts.c - the facts of a round (see facts.h). */
#include "facts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ei_facts_free(struct ei_facts *f)
{
	for (size_t i = 0; i < f->n_peers; i++) {
		ei_member_list_free(&f->peers[i].members);
		ei_member_list_free(&f->peers[i].peer_members);
	}
	free(f->peers);
	free(f->hosts);
	free(f->claims);
	memset(f, 0, sizeof(*f));
}

const struct ei_host *ei_facts_host(const struct ei_facts *f, const char *name)
{
	for (size_t i = 0; i < f->n_hosts; i++)
		if (strcmp(f->hosts[i].name, name) == 0)
			return &f->hosts[i];
	return NULL;
}

bool ei_facts_is_own_addr(const struct ei_facts *f, const char *addr)
{
	for (size_t i = 0; i < f->n_own_addrs; i++)
		if (strcmp(f->own_addrs[i], addr) == 0)
			return true;
	return false;
}

void ei_answer_describe(const struct ei_answer *a, char *buf, size_t len)
{
	if (a->outcome == EI_OUTCOME_VALID || !a->detail[0])
		snprintf(buf, len, "%s", ei_outcome_name(a->outcome));
	else
		snprintf(buf, len, "%s: %s", ei_outcome_name(a->outcome), a->detail);
}

const char *ei_replicas_source_name(enum ei_replicas_source s)
{
	switch (s) {
	case EI_REPLICAS_FLAG: return "--replicas";
	case EI_REPLICAS_API: return "the StatefulSet's spec.replicas";
	case EI_REPLICAS_API_DENIED: return "the Kubernetes API refuses to tell";
	case EI_REPLICAS_API_FAILED: return "the Kubernetes API did not answer";
	case EI_REPLICAS_NONE:
	default: return "neither --replicas nor a Kubernetes API";
	}
}
