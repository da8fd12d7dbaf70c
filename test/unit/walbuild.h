/* walbuild.h - a tiny etcd WAL encoder for the unit tests (following etcd's
 * wal/encoder.go), shared by test-wal.c and test-datadir.c. */
#ifndef EI_TEST_WALBUILD_H
#define EI_TEST_WALBUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct wb {
	unsigned char b[16384];
	size_t len;
	uint32_t rolling; /* the chained CRC, as wal/encoder.go keeps it */
};

/* Table-driven CRC-32C, deliberately not the bitwise loop of lib/datadir.c. */
static inline uint32_t crc32c(uint32_t crc, const unsigned char *p, size_t n)
{
	static uint32_t table[256];

	if (!table[1]) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;
			for (int k = 0; k < 8; k++)
				c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
			table[i] = c;
		}
	}
	crc = ~crc;
	while (n--)
		crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static inline size_t put_varint(unsigned char *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (unsigned char)v;
	return n;
}

static inline size_t put_tag(unsigned char *p, unsigned field, unsigned wire)
{
	return put_varint(p, (uint64_t)field << 3 | wire);
}

static inline size_t put_len_field(unsigned char *p, unsigned field, const void *data, size_t len)
{
	size_t n = put_tag(p, field, 2);

	n += put_varint(p + n, len);
	memcpy(p + n, data, len);
	return n + len;
}

/* etcdserverpb.Metadata{NodeID, ClusterID}, optionally with unknown fields of
 * every skippable wire type and the fields in reverse order. */
static inline size_t mk_metadata(unsigned char *p, uint64_t node, uint64_t cluster, bool extras,
			  bool reversed)
{
	size_t n = 0;

	if (extras) {
		n += put_tag(p + n, 9, 0);
		n += put_varint(p + n, 12345);
		n += put_tag(p + n, 10, 1);
		memset(p + n, 0xee, 8);
		n += 8;
		n += put_len_field(p + n, 11, "hello", 5);
		n += put_tag(p + n, 12, 5);
		memset(p + n, 0xdd, 4);
		n += 4;
	}
	if (reversed) {
		n += put_tag(p + n, 2, 0);
		n += put_varint(p + n, cluster);
	}
	n += put_tag(p + n, 1, 0);
	n += put_varint(p + n, node);
	if (!reversed) {
		n += put_tag(p + n, 2, 0);
		n += put_varint(p + n, cluster);
	}
	return n;
}

/* One frame: the 8-byte little-endian length word, the record, padding. pad < 0
 * means etcd's own rule (encodeFrameSize: align to 8 bytes). */
static inline void wb_frame(struct wb *w, const unsigned char *rec, size_t len, int pad)
{
	uint64_t word = len;

	if (pad < 0)
		pad = (int)((8 - len % 8) % 8);
	if (pad)
		word |= (uint64_t)(0x80 | pad) << 56;
	for (int i = 0; i < 8; i++)
		w->b[w->len++] = (unsigned char)(word >> (8 * i));
	memcpy(w->b + w->len, rec, len);
	w->len += len;
	memset(w->b + w->len, 0, (size_t)pad);
	w->len += (size_t)pad;
}

/* walpb.Record{type, crc, data} with the chained CRC; extras adds unknown fields. */
static inline void wb_record(struct wb *w, int64_t type, const unsigned char *data, size_t dlen,
		      bool extras)
{
	unsigned char rec[4096];
	size_t n = 0;
	uint32_t crc;

	if (type == 4) {
		crc = w->rolling;
	} else {
		w->rolling = crc32c(w->rolling, data, dlen);
		crc = w->rolling;
	}
	if (extras) {
		n += put_len_field(rec + n, 15, "x", 1);
		n += put_tag(rec + n, 16, 5);
		memset(rec + n, 1, 4);
		n += 4;
	}
	n += put_tag(rec + n, 1, 0);
	n += put_varint(rec + n, (uint64_t)type);
	n += put_tag(rec + n, 2, 0);
	n += put_varint(rec + n, crc);
	if (data)
		n += put_len_field(rec + n, 3, data, dlen);
	if (extras) {
		n += put_tag(rec + n, 17, 1);
		memset(rec + n, 2, 8);
		n += 8;
	}
	wb_frame(w, rec, n, -1);
}

/* The head of a first WAL file, as wal.Create writes it: crc, metadata, snapshot. */
static inline void wb_head(struct wb *w, uint64_t node, uint64_t cluster)
{
	unsigned char md[64];
	const unsigned char snap[] = {0x08, 0x00, 0x10, 0x00};

	wb_record(w, 4, NULL, 0, false);
	wb_record(w, 1, md, mk_metadata(md, node, cluster, false, false), false);
	wb_record(w, 5, snap, sizeof(snap), false);
}

/* raftpb.Entry {Type = 1; Term = 2; Index = 3; Data = 4}, as gogoproto writes it (Type
 * always, EntryNormal = 0; Data when there is some). */
static inline size_t mk_entry(unsigned char *p, uint64_t term, uint64_t index, const char *data)
{
	size_t n = 0;

	n += put_tag(p + n, 1, 0);
	n += put_varint(p + n, 0);
	n += put_tag(p + n, 2, 0);
	n += put_varint(p + n, term);
	n += put_tag(p + n, 3, 0);
	n += put_varint(p + n, index);
	if (data)
		n += put_len_field(p + n, 4, data, strlen(data));
	return n;
}

/* raftpb.HardState {term = 1; vote = 2; commit = 3}. */
static inline size_t mk_hardstate(unsigned char *p, uint64_t term, uint64_t vote, uint64_t commit)
{
	size_t n = 0;

	n += put_tag(p + n, 1, 0);
	n += put_varint(p + n, term);
	n += put_tag(p + n, 2, 0);
	n += put_varint(p + n, vote);
	n += put_tag(p + n, 3, 0);
	n += put_varint(p + n, commit);
	return n;
}

/* walpb.Snapshot {index = 1; term = 2}. */
static inline size_t mk_snapshot(unsigned char *p, uint64_t index, uint64_t term)
{
	size_t n = 0;

	n += put_tag(p + n, 1, 0);
	n += put_varint(p + n, index);
	n += put_tag(p + n, 2, 0);
	n += put_varint(p + n, term);
	return n;
}

/* Record types (wal.go): metadataType = 1, entryType, stateType, crcType, snapshotType. */
static inline void wb_entry(struct wb *w, uint64_t term, uint64_t index)
{
	unsigned char e[64];

	wb_record(w, 2, e, mk_entry(e, term, index, "put k v"), false);
}

static inline void wb_state(struct wb *w, uint64_t term, uint64_t vote, uint64_t commit)
{
	unsigned char hs[64];

	wb_record(w, 3, hs, mk_hardstate(hs, term, vote, commit), false);
}

static inline void wb_snapshot(struct wb *w, uint64_t index, uint64_t term)
{
	unsigned char sn[64];

	wb_record(w, 5, sn, mk_snapshot(sn, index, term), false);
}

/* A torn last write: a whole frame whose record fails its CRC (one bit off), as when
 * the machine stopped mid-write; the chain is not advanced (etcd never wrote it). */
static inline void wb_torn(struct wb *w, int64_t type, const unsigned char *data, size_t dlen)
{
	unsigned char rec[4096];
	size_t n = 0;

	n += put_tag(rec + n, 1, 0);
	n += put_varint(rec + n, (uint64_t)type);
	n += put_tag(rec + n, 2, 0);
	n += put_varint(rec + n, crc32c(w->rolling, data, dlen) ^ 1);
	n += put_len_field(rec + n, 3, data, dlen);
	wb_frame(w, rec, n, -1);
}

#endif
