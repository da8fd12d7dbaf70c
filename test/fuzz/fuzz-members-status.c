/* Fuzz target: POST /v3/maintenance/status, ei_members_parse_status. */
#include "members.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ei_member_status st;
	struct ei_err err = {0};

	if (ei_members_parse_status((const char *)data, size, &st, &err) == 0)
		FUZZ_CHECK(memchr(st.version, '\0', sizeof(st.version)) != NULL);
	else
		FUZZ_CHECK(err.code < 0 && err.msg[0] && st.version[0] == '\0');
	return 0;
}
