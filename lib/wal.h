/* wal.h - the head of an etcd WAL file (pure).
 *
 * WAL files are a sequence of frames, each an 8-byte little-endian length word (low 56
 * bits: record length; if the top bit is set, bits 56..58 hold the number of padding
 * bytes after the record) followed by a walpb.Record protobuf {int64 type = 1;
 * uint32 crc = 2; bytes data = 3}. Every file starts with a CRC record; the record of
 * type 1 (metadataType) carries etcdserverpb.Metadata {uint64 NodeID = 1; uint64
 * ClusterID = 2}. The protobuf here is three varint/length fields, decoded by hand (no
 * protobuf library is among our dependencies). */
#ifndef EI_WAL_H
#define EI_WAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Decode the metadata record from the first bytes of a WAL file.
 * Returns 0, or EI_E_PARSE with err saying what was wrong; *not_a_wal (may be NULL)
 * then says whether the bytes are no WAL at all (empty, no valid first CRC record,
 * cut short before the metadata: etcd cannot open it either) rather than a WAL whose
 * metadata could not be read (etcd checks those itself). */
int ei_wal_parse_metadata(const unsigned char *buf, size_t len, uint64_t *member_id,
			  uint64_t *cluster_id, bool *not_a_wal, struct ei_err *err);

/* How far a WAL's raft log reaches, from the records of its last segment (every
 * segment starts with the HardState it was cut at, wal.go cut): the highest entry term
 * (raftpb.Entry {Type = 1; Term = 2; Index = 3}) and snapshot term (walpb.Snapshot
 * {index = 1; term = 2}), and the highest commit index of a HardState (raftpb.HardState
 * {term = 1; vote = 2; commit = 3}) or snapshot. A HardState's own term is not used: a
 * member that campaigned alone raises it without any other member agreeing. Zero means
 * the segment did not say. */
struct ei_wal_position {
	uint64_t term;   /* the highest term of an entry or snapshot */
	uint64_t index;  /* the index of the last entry (or snapshot) */
	uint64_t commit; /* the highest commit index of a HardState or snapshot */
	size_t records;  /* records read (a torn or zeroed tail ends the scan) */
};

/* Scan a whole WAL segment. The scan stops at the zeroed (preallocated) tail, a frame
 * that runs past the end, or a record that fails its CRC (a torn last write, which etcd
 * also drops): what came before stands. Returns 0, or EI_E_PARSE when not even the
 * head of the segment (its CRC and metadata records) could be read. */
int ei_wal_scan_position(const unsigned char *buf, size_t len, struct ei_wal_position *out,
			 struct ei_err *err);

#endif
