/* Fuzz target: the head of a WAL file from the volume, ei_wal_parse_metadata (the
 * frames, the CRC record, the metadata record and its protobuf). */
#include "wal.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t member_id = 0, cluster_id = 0;
	struct ei_err err = {0};
	bool not_a_wal = false;

	if (ei_wal_parse_metadata(data, size, &member_id, &cluster_id, &not_a_wal, &err) == 0)
		/* etcd never assigns ID 0 (raft.None): wal.h reads a zero ID as no metadata. */
		FUZZ_CHECK(member_id != 0 && cluster_id != 0);
	else
		FUZZ_CHECK(err.code == EI_E_PARSE && err.msg[0]);
	/* not_a_wal may be NULL. */
	(void)ei_wal_parse_metadata(data, size, &member_id, &cluster_id, NULL, NULL);
	return 0;
}
