/* Fuzz target: an etcd error body (3.4/3.5 {"error","code","message"}, 3.6
 * {"code","message"}, or text), ei_members_parse_error and its classification. The
 * first two bytes are the HTTP status (big-endian, taken modulo 1000); the rest is the
 * body. The message goes into a heap buffer of exactly the size the call is given. */
#include "members.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum ei_etcd_failure f, again;
	long status;
	char *msg;
	size_t msg_len;

	if (size < 2)
		return 0;
	status = (long)((data[0] << 8 | data[1]) % 1000);
	/* etcdcall.c's buffer is 1024 bytes; a small size from the input tries the cut. */
	msg_len = size % 2 ? 1024 : 1 + size % 64;
	msg = fuzz_alloc(msg_len);
	f = ei_members_parse_error((const char *)data + 2, size - 2, status, msg, msg_len);
	FUZZ_CHECK(memchr(msg, '\0', msg_len) != NULL);
	FUZZ_CHECK(ei_etcd_failure_name(f) != NULL);
	(void)ei_etcd_failure_is_auth(f);
	/* No buffer for the message, and no body at all when it is empty: the class is
	 * the same, since it comes from the whole message, not from what fits. */
	again = ei_members_parse_error(size > 2 ? (const char *)data + 2 : NULL, size - 2, status,
				       NULL, 0);
	FUZZ_CHECK(again == f);
	free(msg);
	return 0;
}
