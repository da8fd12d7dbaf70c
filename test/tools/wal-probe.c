/* wal-probe - print what lib/datadir.c reads from a data dir, for the integration
 * tests (test/integration/datadir.sh) to compare with what etcdctl says.
 *
 *   wal-probe DATA_DIR [WAL_DIR]
 *   -> has_wal=0|1 has_metadata=0|1 member_id=<hex> cluster_id=<hex> snap_db=0|1
 *
 * IDs are lowercase hex without 0x, as etcdctl prints them. Exits 0, or 1 with
 * the error on stderr; why the metadata is missing (if it is) goes to stderr too. */
#include "datadir.h"

#include <inttypes.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	struct ei_datadir_facts f;
	struct ei_err err = {0};

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: wal-probe DATA_DIR [WAL_DIR]\n");
		return 2;
	}
	if (ei_datadir_inspect(argv[1], argc == 3 ? argv[2] : NULL, &f, &err) < 0) {
		fprintf(stderr, "wal-probe: %s\n", err.msg);
		return 1;
	}
	if (f.has_wal && !f.has_metadata)
		fprintf(stderr, "wal-probe: %s\n", f.metadata_error);
	printf("has_wal=%d has_metadata=%d member_id=%" PRIx64 " cluster_id=%" PRIx64
	       " snap_db=%d\n",
	       f.has_wal, f.has_metadata, f.member_id, f.cluster_id, f.has_snap_db);
	return 0;
}
