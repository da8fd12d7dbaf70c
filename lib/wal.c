/* wal.c - the head of an etcd WAL file: its metadata record (see wal.h).
 *
 * Sources of the format (etcd-io/etcd; 3.4 paths in brackets):
 *  - frame: server/storage/wal/encoder.go encodeFrameSize, decoder.go decodeFrameSize
 *    [wal/encoder.go, wal/decoder.go];
 *  - record: server/storage/wal/walpb/record.proto [wal/walpb/record.proto];
 *  - record types and the head of every WAL file (crcType, then metadataType):
 *    server/storage/wal/wal.go Create and cut [wal/wal.go];
 *  - metadata: api/etcdserverpb/etcdserver.proto Metadata [etcdserver/etcdserverpb/],
 *    written by etcdserver startNode (pb.Metadata{NodeID, ClusterID});
 *  - "initialized": server/storage/wal/util.go Exist [wal/util.go], file names
 *    "%016x-%016x.wal" (walName, parseWALName). */
#include "wal.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Records examined before giving up on finding the metadata record. */
#define WAL_MAX_HEAD_RECORDS 16

/* wal.go: MetadataType = iota + 1, EntryType, StateType, CrcType, SnapshotType. */
enum { WAL_METADATA_TYPE = 1, WAL_ENTRY_TYPE = 2, WAL_STATE_TYPE = 3, WAL_CRC_TYPE = 4, WAL_SNAPSHOT_TYPE = 5 };

/* Protobuf wire types (protobuf encoding spec). */
enum { PB_VARINT = 0, PB_I64 = 1, PB_LEN = 2, PB_I32 = 5 };

struct pb_reader {
	const unsigned char *p;
	size_t len;
	size_t off;
};

/* A base-128 varint of at most 10 bytes whose value fits 64 bits. */
static int pb_varint(struct pb_reader *r, uint64_t *out)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < 10; i++) {
		unsigned char b;

		if (r->off >= r->len)
			return -1;
		b = r->p[r->off++];
		/* The 10th byte holds bit 63 only; anything more overflows. */
		if (i == 9 && b > 1)
			return -1;
		v |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80)) {
			*out = v;
			return 0;
		}
	}
	return -1;
}

/* One field of a message: its number and wire type, and a VARINT's value or a LEN
 * field's bytes. */
struct pb_value {
	uint64_t field, val;
	unsigned wire;
	const unsigned char *data;
	size_t dlen;
};

/* Read one field into *v. Fixed-width fields are skipped. Groups (wire types 3, 4) and
 * 6, 7 are errors: neither message etcd writes here uses them. */
static int pb_field(struct pb_reader *r, struct pb_value *v, const char **why)
{
	uint64_t tag, n;

	memset(v, 0, sizeof(*v));
	if (pb_varint(r, &tag) < 0)
		return *why = "bad field tag varint", -1;
	v->field = tag >> 3;
	v->wire = (unsigned)(tag & 7);
	if (v->field == 0 || v->field > 536870911u)
		return *why = "bad field number", -1;
	switch (v->wire) {
	case PB_VARINT:
		if (pb_varint(r, &v->val) < 0)
			return *why = "bad or overlong varint", -1;
		return 0;
	case PB_I64:
	case PB_I32:
		n = v->wire == PB_I64 ? 8 : 4;
		if (n > r->len - r->off)
			return *why = "fixed-width field runs past the end", -1;
		r->off += n;
		return 0;
	case PB_LEN:
		if (pb_varint(r, &n) < 0)
			return *why = "bad length varint", -1;
		if (n > r->len - r->off)
			return *why = "field length exceeds the remaining bytes", -1;
		v->data = r->p + r->off;
		v->dlen = (size_t)n;
		r->off += (size_t)n;
		return 0;
	default:
		return *why = "unsupported wire type", -1;
	}
}

struct wal_record {
	uint64_t type; /* int64 on the wire; compared as its two's-complement bits */
	uint32_t crc;
	const unsigned char *data;
	size_t data_len;
};

/* walpb.Record {int64 type = 1; uint32 crc = 2; bytes data = 3}; last value wins,
 * as in protobuf. */
static int wal_record_decode(const unsigned char *p, size_t len, struct wal_record *rec,
			     const char **why)
{
	struct pb_reader r = {p, len, 0};
	bool has_type = false;

	memset(rec, 0, sizeof(*rec));
	while (r.off < r.len) {
		struct pb_value v;

		if (pb_field(&r, &v, why) < 0)
			return -1;
		if (v.field == 1 || v.field == 2) {
			if (v.wire != PB_VARINT)
				return *why = "record type or crc is not a varint", -1;
			if (v.field == 1) {
				rec->type = v.val;
				has_type = true;
			} else {
				rec->crc = (uint32_t)v.val;
			}
		} else if (v.field == 3) {
			if (v.wire != PB_LEN)
				return *why = "record data is not length-delimited", -1;
			rec->data = v.data;
			rec->data_len = v.dlen;
		}
	}
	if (!has_type)
		return *why = "record has no type", -1;
	return 0;
}

/* CRC-32C (Castagnoli, reflected polynomial 0x82f63b78), continuing from crc the way
 * Go's crc32.Update does; wal.go: crcTable = crc32.MakeTable(crc32.Castagnoli). */
static uint32_t crc32c_update(uint32_t crc, const unsigned char *p, size_t len)
{
	crc = ~crc;
	while (len--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1)));
	}
	return ~crc;
}

/* Varint fields a and b of a message (0 when absent; last value wins); *why says what
 * was wrong when it returns -1. */
static int two_varints(const unsigned char *p, size_t len, uint64_t fa, uint64_t *a, uint64_t fb,
		       uint64_t *b, const char **why)
{
	struct pb_reader r = {p, len, 0};

	*a = *b = 0;
	while (r.off < r.len) {
		struct pb_value v;

		if (pb_field(&r, &v, why) < 0)
			return -1;
		if ((v.field == fa || v.field == fb) && v.wire != PB_VARINT) {
			*why = "a field that must be a varint is not a varint";
			return -1;
		}
		if (v.field == fa)
			*a = v.val;
		else if (v.field == fb)
			*b = v.val;
	}
	return 0;
}

/* etcdserverpb.Metadata {uint64 NodeID = 1; uint64 ClusterID = 2}. */
static int metadata_decode(const struct wal_record *rec, uint64_t *member_id, uint64_t *cluster_id,
			   struct ei_err *err)
{
	uint64_t node, cluster;
	const char *why = NULL;

	if (two_varints(rec->data, rec->data_len, 1, &node, 2, &cluster, &why) < 0)
		return ei_err_set(err, EI_E_PARSE, "WAL metadata: %s", why);
	/* etcd never assigns ID 0 (raft.None, types.ID), so a zero or absent ID
	 * means a record we do not understand. */
	if (node == 0)
		return ei_err_set(err, EI_E_PARSE, "WAL metadata has no member ID");
	if (cluster == 0)
		return ei_err_set(err, EI_E_PARSE, "WAL metadata has no cluster ID");
	*member_id = node;
	*cluster_id = cluster;
	return 0;
}

/* Read the n-th frame of buf, at *off, into rec and step *off past it. On a frame that
 * is cut short or zero, *not_a_wal says whether the bytes could be a WAL at all. */
static int read_frame(const unsigned char *buf, size_t len, size_t *off, unsigned n,
		      struct wal_record *rec, bool *not_a_wal, struct ei_err *err)
{
	uint64_t word = 0, rec_bytes, pad = 0;
	size_t start = *off;
	const char *why = NULL;

	if (len - start < 8) {
		/* Cut short before the metadata: etcd could not open it. */
		*not_a_wal = true;
		return ei_err_set(err, EI_E_PARSE,
				  "WAL data ends at byte %zu, before the metadata record", start);
	}
	for (int i = 7; i >= 0; i--)
		word = word << 8 | buf[start + (size_t)i];
	/* decoder.go: a zero length word is the preallocated (zeroed) tail. */
	if (word == 0) {
		*not_a_wal = n <= 1;
		return ei_err_set(err, EI_E_PARSE,
				  "WAL has no metadata record (zero frame at byte %zu)", start);
	}
	/* decodeFrameSize: low 56 bits are the record length; when the top bit is
	 * set, the low 3 bits of the top byte are the padding after it. */
	rec_bytes = word & ((UINT64_C(1) << 56) - 1);
	if (word >> 63)
		pad = (word >> 56) & 7;
	*off = start + 8;
	if (rec_bytes > len - *off || pad > len - *off - rec_bytes) {
		*not_a_wal = n <= 1;
		return ei_err_set(err, EI_E_PARSE,
				  "WAL frame at byte %zu claims %llu+%llu bytes but only %zu were read",
				  start, (unsigned long long)rec_bytes, (unsigned long long)pad,
				  len - *off);
	}
	if (wal_record_decode(buf + *off, (size_t)rec_bytes, rec, &why) < 0)
		return ei_err_set(err, EI_E_PARSE, "WAL record at byte %zu: %s", start, why);
	*off += (size_t)(rec_bytes + pad);
	return 0;
}

int ei_wal_parse_metadata(const unsigned char *buf, size_t len, uint64_t *member_id,
			  uint64_t *cluster_id, bool *not_a_wal, struct ei_err *err)
{
	/* decoder.go: the rolling CRC of a file's records starts at 0 and is reset by
	 * each crcType record (to the CRC of everything before this file). */
	uint32_t rolling = 0;
	size_t off = 0;
	bool local;

	if (!not_a_wal)
		not_a_wal = &local;
	/* Until the first record decodes as etcd's CRC record, the bytes are not a WAL
	 * at all (etcd cannot read them either); after it, a problem is one of a WAL. */
	*not_a_wal = true;
	if (len == 0)
		return ei_err_set(err, EI_E_PARSE, "the file is empty (0 bytes)");

	for (unsigned n = 0; n < WAL_MAX_HEAD_RECORDS; n++) {
		struct wal_record rec = { 0 };
		size_t start = off;
		int r = read_frame(buf, len, &off, n, &rec, not_a_wal, err);

		if (r < 0)
			return r;
		/* wal.go Create: every WAL file starts with a crcType record. */
		if (n == 0 && rec.type != WAL_CRC_TYPE)
			return ei_err_set(err, EI_E_PARSE,
					  "the first record is of type %" PRIu64 ", not etcd's CRC record",
					  rec.type);
		if (n == 0)
			*not_a_wal = false;

		/* Validating the CRC is not strictly needed to read two IDs, but it is
		 * cheap and means a bit flipped in the member ID cannot make a healthy
		 * member look like a removed one: the caller then refuses instead. */
		if (rec.type == WAL_CRC_TYPE) {
			rolling = rec.crc;
			continue;
		}
		rolling = crc32c_update(rolling, rec.data, rec.data_len);
		if (rec.crc != rolling) {
			return ei_err_set(err, EI_E_PARSE,
					  "WAL record at byte %zu fails its CRC (stored %08x, computed %08x)",
					  start, rec.crc, rolling);
		}
		if (rec.type != WAL_METADATA_TYPE)
			continue;

		return metadata_decode(&rec, member_id, cluster_id, err);
	}
	return ei_err_set(err, EI_E_PARSE, "no metadata record among the first %d WAL records",
			  WAL_MAX_HEAD_RECORDS);
}


static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

int ei_wal_scan_position(const unsigned char *buf, size_t len, struct ei_wal_position *out,
			 struct ei_err *err)
{
	uint32_t rolling = 0;
	size_t off = 0;
	bool head = false;

	memset(out, 0, sizeof(*out));
	while (len - off >= 8) {
		uint64_t word = 0, rec_bytes, pad = 0, a, b;
		struct wal_record rec;
		const char *why = NULL;

		for (int i = 7; i >= 0; i--)
			word = word << 8 | buf[off + (size_t)i];
		if (word == 0)
			break;
		rec_bytes = word & ((UINT64_C(1) << 56) - 1);
		if (word >> 63)
			pad = (word >> 56) & 7;
		if (rec_bytes > len - off - 8 || pad > len - off - 8 - rec_bytes)
			break;
		if (wal_record_decode(buf + off + 8, (size_t)rec_bytes, &rec, &why) < 0)
			break;
		off += 8 + (size_t)(rec_bytes + pad);
		if (rec.type == WAL_CRC_TYPE) {
			rolling = rec.crc;
			out->records++;
			continue;
		}
		rolling = crc32c_update(rolling, rec.data, rec.data_len);
		if (rec.crc != rolling)
			break;
		out->records++;
		switch (rec.type) {
		case WAL_METADATA_TYPE:
			head = true;
			break;
		case WAL_ENTRY_TYPE:
			/* raftpb.Entry: Term = 2, Index = 3. */
			if (two_varints(rec.data, rec.data_len, 2, &a, 3, &b, &why) == 0) {
				out->term = max_u64(out->term, a);
				out->index = b;
			}
			break;
		case WAL_STATE_TYPE:
			/* raftpb.HardState: commit = 3 (its term = 1 is not evidence). */
			if (two_varints(rec.data, rec.data_len, 1, &a, 3, &b, &why) == 0)
				out->commit = max_u64(out->commit, b);
			break;
		case WAL_SNAPSHOT_TYPE:
			/* walpb.Snapshot: index = 1, term = 2; a snapshot is committed. */
			if (two_varints(rec.data, rec.data_len, 1, &a, 2, &b, &why) == 0) {
				out->term = max_u64(out->term, b);
				out->commit = max_u64(out->commit, a);
				if (a > out->index)
					out->index = a;
			}
			break;
		default:
			break;
		}
	}
	if (!head) {
		memset(out, 0, sizeof(*out));
		return ei_err_set(err, EI_E_PARSE, "the WAL segment's head (CRC and metadata records) could not be read");
	}
	return 0;
}
