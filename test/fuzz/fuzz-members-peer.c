/* Fuzz target: a peer's GET <peerURL>/members, ei_members_parse_peer. The input is the
 * X-Etcd-Cluster-ID header value, a newline, then the body; an input with no newline
 * in its first 40 bytes is a body alone, asked without the header (NULL). */
#include "members.h"
#include "fuzz.h"

/* http.h keeps the header in char[24]; a little more tries the parser's own bound. */
#define HEADER_MAX 40

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size < HEADER_MAX ? size : HEADER_MAX);
	struct ei_member_list list = {0};
	struct ei_err err = {0};
	char *header = NULL;
	const uint8_t *body = data;
	size_t body_len = size;
	char *body_copy;

	if (nl) {
		header = fuzz_str(data, (size_t)(nl - data));
		body = nl + 1;
		body_len = size - (size_t)(nl - data) - 1;
	}
	/* A block of exactly the body's size, as the whole input's is. */
	body_copy = fuzz_alloc(body_len);
	if (body_len)
		memcpy(body_copy, body, body_len);
	if (ei_members_parse_peer(body_copy, body_len, header, &list, &err) == 0) {
		FUZZ_CHECK(list.n_members <= EI_MEMBERS_MAX);
		for (size_t i = 0; i < list.n_members; i++)
			FUZZ_CHECK(ei_member_list_find_id(&list, list.members[i].id) ==
				   &list.members[i]);
	} else {
		FUZZ_CHECK(err.code < 0 && err.msg[0] && list.n_members == 0 && !list.members);
	}
	ei_member_list_free(&list);
	free(body_copy);
	free(header);
	return 0;
}
