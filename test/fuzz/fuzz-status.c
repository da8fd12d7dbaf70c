/* Fuzz target: a peer's etcd-init status document (GET /etcd-init/v1/status),
 * ei_status_parse. What parses must survive the trip through ei_status_to_json and
 * back unchanged: the builder and the parser of status.h are one format. */
#include "status.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ei_init_status st, again;
	struct ei_err err = {0};
	char *json;

	if (ei_status_parse((const char *)data, size, &st, &err) < 0) {
		FUZZ_CHECK(err.code == EI_E_PARSE && err.msg[0]);
		return 0;
	}
	json = ei_status_to_json(&st);
	if (!json)
		return 0; /* out of memory */
	if (ei_status_parse(json, strlen(json), &again, &err) < 0) {
		fprintf(stderr, "fuzz: %s\nfuzz: does not parse back: %s\n", json, err.msg);
		abort();
	}
	FUZZ_CHECK(strcmp(st.version, again.version) == 0);
	FUZZ_CHECK(strcmp(st.name, again.name) == 0);
	FUZZ_CHECK(strcmp(st.peer_url, again.peer_url) == 0);
	FUZZ_CHECK(st.initial_cluster_size == again.initial_cluster_size);
	FUZZ_CHECK(strcmp(st.token, again.token) == 0);
	FUZZ_CHECK(st.has_wal == again.has_wal && st.has_ids == again.has_ids);
	FUZZ_CHECK(st.member_id == again.member_id && st.cluster_id == again.cluster_id);
	FUZZ_CHECK(strcmp(st.action, again.action) == 0);
	FUZZ_CHECK(strcmp(st.reason, again.reason) == 0);
	free(json);
	return 0;
}
