/* Fuzz target: a whole WAL segment from the volume, ei_wal_scan_position (every frame
 * and record, the rolling CRC, the entries, HardStates and snapshots). */
#include "wal.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ei_wal_position pos;
	struct ei_err err = {0};

	if (ei_wal_scan_position(data, size, &pos, &err) == 0)
		/* Each record takes its 8-byte frame word at least; the CRC and metadata
		 * records are among them. */
		FUZZ_CHECK(pos.records >= 1 && pos.records <= size / 8);
	else
		FUZZ_CHECK(err.code == EI_E_PARSE && err.msg[0]);
	return 0;
}
