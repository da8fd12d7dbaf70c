/* Fuzz target: a gateway member list (POST /v3/cluster/member/{list,add,remove,promote}),
 * ei_members_parse_gateway with the "member" of member/add asked for too, then what
 * plan.c does with a parsed list: the lookups, and a deep copy of each member. */
#include "members.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ei_member_list list = {0};
	struct ei_member added = {0};
	struct ei_err err = {0};

	if (ei_members_parse_gateway((const char *)data, size, &list, &added, &err) == 0) {
		FUZZ_CHECK(list.n_members <= EI_MEMBERS_MAX);
		for (size_t i = 0; i < list.n_members; i++) {
			const struct ei_member *m = &list.members[i];
			struct ei_member copy = {0};

			FUZZ_CHECK(ei_member_list_find_id(&list, m->id) != NULL);
			if (m->name)
				FUZZ_CHECK(ei_member_list_find_name(&list, m->name) != NULL);
			for (size_t j = 0; j < m->n_peer_urls; j++)
				FUZZ_CHECK(ei_member_list_find_peer_url(&list, m->peer_urls[j]) !=
					   NULL);
			(void)ei_member_is_started(m);
			if (ei_member_copy(&copy, m, &err) == 0)
				FUZZ_CHECK(copy.id == m->id && copy.n_peer_urls == m->n_peer_urls);
			ei_member_free(&copy);
		}
	} else {
		FUZZ_CHECK(err.code < 0 && err.msg[0]);
	}
	ei_member_free(&added);
	ei_member_list_free(&list);
	return 0;
}
