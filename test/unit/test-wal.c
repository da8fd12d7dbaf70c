/* Unit tests for lib/wal.c: the WAL metadata decoder on synthetic WAL bytes (built by
 * walbuild.h, which follows etcd's wal/encoder.go): valid heads, every way a head can
 * be broken, and which of them are no WAL at all; and how far a segment's raft log
 * reaches (ei_wal_scan_position). */
#include "wal.h"
#include "tap.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "walbuild.h"

/* ---- decoder cases ----------------------------------------------------- */

static void b_plain(struct wb *w)
{
	wb_head(w, 0x8e9e05c52164694dULL, 0xcdf818194e3a8c32ULL);
	w->len += 4096; /* the zeroed preallocated tail */
}

static void b_max_ids(struct wb *w)
{
	wb_head(w, UINT64_MAX, UINT64_MAX - 1);
}

static void b_high_bit(struct wb *w)
{
	wb_head(w, 0x8000000000000001ULL, 1);
}

static void b_unknown_fields(struct wb *w)
{
	unsigned char md[128];

	wb_record(w, 4, NULL, 0, true);
	wb_record(w, 1, md, mk_metadata(md, 42, 7, true, true), true);
}

static void b_later_segment(struct wb *w)
{
	unsigned char md[64];

	/* wal.go cut: a later file starts with the chain's CRC so far. */
	w->rolling = 0xdeadbeef;
	wb_record(w, 4, NULL, 0, false);
	wb_record(w, 1, md, mk_metadata(md, 3, 4, false, false), false);
}

static void b_no_padding(struct wb *w)
{
	unsigned char rec[64], md[64];
	size_t n = 0, mdl = mk_metadata(md, 5, 6, false, false);

	/* crc record without padding bits although unaligned: 0 padding is legal. */
	wb_record(w, 4, NULL, 0, false);
	n += put_tag(rec + n, 1, 0);
	n += put_varint(rec + n, 1);
	n += put_tag(rec + n, 2, 0);
	n += put_varint(rec + n, crc32c(0, md, mdl));
	n += put_len_field(rec + n, 3, md, mdl);
	wb_frame(w, rec, n, 0);
}

static void b_odd_padding(struct wb *w)
{
	unsigned char md[64];
	size_t mdl = mk_metadata(md, 5, 6, false, false);
	unsigned char rec[64];
	size_t n = 0;

	/* 7 bytes of padding after the crc record, whatever its length. */
	n += put_tag(rec + n, 1, 0);
	n += put_varint(rec + n, 4);
	n += put_tag(rec + n, 2, 0);
	n += put_varint(rec + n, 0);
	wb_frame(w, rec, n, 7);
	wb_record(w, 1, md, mdl, false);
}

static void b_negative_type_first(struct wb *w)
{
	unsigned char x[] = {1, 2, 3};

	/* An int64 -1 type is a 10-byte varint: a record etcd never writes first (every
	 * WAL file starts with its CRC record), so this is not a WAL. */
	wb_record(w, -1, x, sizeof(x), false);
	wb_head(w, 9, 10);
}

static void b_empty(struct wb *w)
{
	(void)w;
}

static void b_zeros(struct wb *w)
{
	w->len = 4096;
}

static void b_short_header(struct wb *w)
{
	wb_head(w, 1, 2);
	w->len = 5;
}

static void b_truncated_record(struct wb *w)
{
	wb_head(w, 1, 2);
	w->len = 8 + 8 + 10; /* into the metadata frame */
}

static void b_missing_padding(struct wb *w)
{
	wb_record(w, 4, NULL, 0, false);
	w->len -= 2; /* the crc record is 4 bytes + 4 padding; drop padding */
}

static void b_huge_length(struct wb *w)
{
	uint64_t word = (UINT64_C(1) << 55) | (UINT64_C(0x85) << 56);

	for (int i = 0; i < 8; i++)
		w->b[w->len++] = (unsigned char)(word >> (8 * i));
	w->len += 64;
}

static void b_garbage(struct wb *w)
{
	uint32_t x = 2463534242u;

	for (w->len = 0; w->len < 512; w->len++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		w->b[w->len] = (unsigned char)x;
	}
	/* A plausible small frame length so that the record decoder sees garbage. */
	memcpy(w->b, "\x20\x00\x00\x00\x00\x00\x00\x00", 8);
}

static void b_long_varint(struct wb *w)
{
	unsigned char rec[32];
	size_t n = 0;

	rec[n++] = 0x08; /* field 1 varint */
	memset(rec + n, 0x80, 10);
	n += 10;
	rec[n++] = 0x01; /* 11 bytes */
	wb_frame(w, rec, n, -1);
}

static void b_overflow_varint(struct wb *w)
{
	unsigned char rec[32];
	size_t n = 0;

	rec[n++] = 0x08;
	memset(rec + n, 0xff, 9);
	n += 9;
	rec[n++] = 0x02; /* 10th byte > 1: more than 64 bits */
	wb_frame(w, rec, n, -1);
}

static void b_len_past_end(struct wb *w)
{
	unsigned char rec[32];
	size_t n = 0;

	n += put_tag(rec + n, 1, 0);
	n += put_varint(rec + n, 1);
	n += put_tag(rec + n, 3, 2);
	n += put_varint(rec + n, 100); /* data claims 100 bytes, 2 follow */
	rec[n++] = 1;
	rec[n++] = 2;
	wb_frame(w, rec, n, -1);
}

static void b_md_len_past_end(struct wb *w)
{
	unsigned char md[] = {0x08, 0x01, 0x1a, 0x40, 0x00}; /* field 3, 64 bytes claimed */

	wb_record(w, 4, NULL, 0, false);
	wb_record(w, 1, md, sizeof(md), false);
}

static void b_bad_crc(struct wb *w)
{
	wb_head(w, 0x1111, 0x2222);
	/* Flip a bit of the member ID inside the metadata record's data. */
	for (size_t i = 16; i + 2 < w->len; i++) {
		if (w->b[i] == 0x08 && w->b[i + 1] == 0x91 && w->b[i + 2] == 0x22) {
			w->b[i + 1] ^= 0x02;
			return;
		}
	}
}

static void b_zero_member(struct wb *w)
{
	wb_head(w, 0, 5);
}

static void b_no_cluster(struct wb *w)
{
	unsigned char md[16];
	size_t n = put_tag(md, 1, 0);

	n += put_varint(md + n, 77);
	wb_record(w, 4, NULL, 0, false);
	wb_record(w, 1, md, n, false);
}

static void b_group(struct wb *w)
{
	unsigned char rec[] = {0x08, 0x01, 0x1b, 0x1c}; /* field 3 start/end group */

	wb_frame(w, rec, sizeof(rec), -1);
}

static void b_field_zero(struct wb *w)
{
	unsigned char rec[] = {0x00, 0x01, 0x08, 0x01};

	wb_frame(w, rec, sizeof(rec), -1);
}

static void b_type_as_bytes(struct wb *w)
{
	unsigned char rec[] = {0x0a, 0x01, 0x01}; /* field 1 length-delimited */

	wb_frame(w, rec, sizeof(rec), -1);
}

static void b_id_as_bytes(struct wb *w)
{
	unsigned char md[] = {0x0a, 0x01, 0x07, 0x10, 0x01};

	wb_record(w, 4, NULL, 0, false);
	wb_record(w, 1, md, sizeof(md), false);
}

static void b_no_type(struct wb *w)
{
	unsigned char rec[] = {0x10, 0x00}; /* crc only */

	wb_frame(w, rec, sizeof(rec), -1);
}

static void b_only_crc(struct wb *w)
{
	wb_record(w, 4, NULL, 0, false);
	w->len += 64;
}

static void b_many_records(struct wb *w)
{
	unsigned char x[] = {9};

	for (int i = 0; i < 20; i++)
		wb_record(w, 2, x, sizeof(x), false);
	wb_head(w, 1, 2);
}

/* 1: bytes that are not a WAL at all (etcd cannot open them either: refuse); 0: a WAL
 * whose metadata cannot be read (etcd checks it itself: restart); -1: not checked. */
static int expect_not_a_wal(const char *name)
{
	static const char *const no_wal[] = {
		"empty file", "zero-filled file", "truncated frame header", "truncated record",
		"length word larger than the buffer", "garbage", "varint of 11 bytes",
		"varint overflowing 64 bits", "an unknown record type (-1) first",
		"only a crc record, then zeros", "metadata after too many records",
	};
	static const char *const unreadable[] = {
		"CRC mismatch (a flipped member ID bit)", "member ID 0", "no cluster ID",
	};

	for (size_t i = 0; i < sizeof(no_wal) / sizeof(no_wal[0]); i++)
		if (strcmp(name, no_wal[i]) == 0)
			return 1;
	for (size_t i = 0; i < sizeof(unreadable) / sizeof(unreadable[0]); i++)
		if (strcmp(name, unreadable[i]) == 0)
			return 0;
	return -1;
}

static void test_decoder(void)
{
	static const struct {
		const char *name;
		void (*build)(struct wb *);
		uint64_t member, cluster; /* 0: expect EI_E_PARSE */
		const char *why;	  /* a substring of the error */
	} cases[] = {
	    {"first WAL head + zeroed tail", b_plain, 0x8e9e05c52164694dULL, 0xcdf818194e3a8c32ULL,
	     NULL},
	    {"IDs of 2^64-1 (10-byte varints)", b_max_ids, UINT64_MAX, UINT64_MAX - 1, NULL},
	    {"member ID with bit 63 set", b_high_bit, 0x8000000000000001ULL, 1, NULL},
	    {"unknown fields of wire types 0,1,2,5; fields reversed", b_unknown_fields, 42, 7,
	     NULL},
	    {"later segment: CRC chained from the crc record", b_later_segment, 3, 4, NULL},
	    {"a frame without padding bits", b_no_padding, 5, 6, NULL},
	    {"7 padding bytes", b_odd_padding, 5, 6, NULL},
	    {"an unknown record type (-1) first", b_negative_type_first, 0, 0, "not etcd's CRC record"},
	    {"empty file", b_empty, 0, 0, "empty"},
	    {"zero-filled file", b_zeros, 0, 0, "zero frame"},
	    {"truncated frame header", b_short_header, 0, 0, "ends at byte 0"},
	    {"truncated record", b_truncated_record, 0, 0, "claims"},
	    {"padding announced but missing", b_missing_padding, 0, 0, "claims"},
	    {"length word larger than the buffer", b_huge_length, 0, 0, "claims"},
	    {"garbage", b_garbage, 0, 0, "WAL record"},
	    {"varint of 11 bytes", b_long_varint, 0, 0, "varint"},
	    {"varint overflowing 64 bits", b_overflow_varint, 0, 0, "varint"},
	    {"record data length past the end", b_len_past_end, 0, 0, "length exceeds"},
	    {"metadata field length past the end", b_md_len_past_end, 0, 0, "length exceeds"},
	    {"CRC mismatch (a flipped member ID bit)", b_bad_crc, 0, 0, "CRC"},
	    {"member ID 0", b_zero_member, 0, 0, "no member ID"},
	    {"no cluster ID", b_no_cluster, 0, 0, "no cluster ID"},
	    {"group wire type", b_group, 0, 0, "wire type"},
	    {"field number 0", b_field_zero, 0, 0, "field number"},
	    {"record type as bytes", b_type_as_bytes, 0, 0, "not a varint"},
	    {"NodeID as bytes", b_id_as_bytes, 0, 0, "not a varint"},
	    {"record without type", b_no_type, 0, 0, "no type"},
	    {"only a crc record, then zeros", b_only_crc, 0, 0, "no metadata"},
	    {"metadata after too many records", b_many_records, 0, 0, "not etcd's CRC record"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		static struct wb w;
		struct ei_err err = {0};
		uint64_t m = 0xabad1dea, c = 0xabad1dea;
		int rc;

		memset(&w, 0, sizeof(w));
		cases[i].build(&w);
		bool naw = false;
		int want_naw = expect_not_a_wal(cases[i].name);

		rc = ei_wal_parse_metadata(w.b, w.len, &m, &c, &naw, &err);
		if (want_naw >= 0)
			tap_ok(rc < 0 && naw == (want_naw == 1), "parse: %s is %s", cases[i].name,
			       want_naw ? "not a WAL at all" : "a WAL whose metadata is unreadable");
		if (cases[i].member) {
			tap_ok(rc == 0 && m == cases[i].member && c == cases[i].cluster,
			       "parse: %s -> %llx/%llx", cases[i].name,
			       (unsigned long long)cases[i].member,
			       (unsigned long long)cases[i].cluster);
			if (rc != 0)
				printf("#   error: %s\n", err.msg);
		} else {
			tap_ok(rc == EI_E_PARSE && strstr(err.msg, cases[i].why) &&
				   m == 0xabad1dea && c == 0xabad1dea,
			       "parse: %s is refused (\"%s\")", cases[i].name, cases[i].why);
			printf("#   %s\n", err.msg);
		}
	}

	/* Every prefix of a valid head either parses or fails cleanly (no over-read;
	 * run under ASan to make this bite). */
	{
		static struct wb w;
		unsigned ok = 0, bad = 0;

		memset(&w, 0, sizeof(w));
		wb_head(&w, 0x1234, 0x5678);
		for (size_t n = 0; n <= w.len; n++) {
			unsigned char *copy = malloc(n ? n : 1);
			uint64_t m, c;

			memcpy(copy, w.b, n);
			if (ei_wal_parse_metadata(copy, n, &m, &c, NULL, NULL) == 0)
				ok += m == 0x1234 && c == 0x5678;
			else
				bad++;
			free(copy);
		}
		tap_ok(ok + bad == w.len + 1 && ok > 0 && bad > 0,
		       "parse: every prefix of a head parses or fails (%u ok, %u refused)", ok,
		       bad);
	}
	tap_ok(crc32c(0, (const unsigned char *)"123456789", 9) == 0xe3069283u,
	       "test encoder's CRC-32C matches the check value");
}

/* ---- raft position of a segment ----------------------------------------- */

/* The first segment as etcd writes it: crc, metadata, the snapshot record, entries of
 * terms 2, 2, 3 at indexes 5..7, and the HardState (term 3, commit 6). */
static void p_full(struct wb *w)
{
	wb_head(w, 0xa1, 0xc1); /* crc, metadata, snapshot {0, 0} */
	wb_snapshot(w, 4, 2);
	wb_entry(w, 2, 5);
	wb_entry(w, 2, 6);
	wb_entry(w, 3, 7);
	wb_state(w, 3, 0xa1, 6);
}

static void p_full_tail(struct wb *w)
{
	p_full(w);
	w->len += 4096; /* the zeroed preallocated tail */
}

static void p_torn_entry(struct wb *w)
{
	unsigned char e[64];

	p_full(w);
	wb_torn(w, 2, e, mk_entry(e, 4, 8, "put k v2"));
	w->len += 512;
}

static void p_torn_state(struct wb *w)
{
	unsigned char hs[64];

	p_full(w);
	wb_torn(w, 3, hs, mk_hardstate(hs, 4, 0xa1, 9));
}

/* Records after a torn one are not read (etcd stops there too). */
static void p_after_torn(struct wb *w)
{
	unsigned char e[64];

	p_full(w);
	wb_torn(w, 2, e, mk_entry(e, 4, 8, "put k v2"));
	wb_entry(w, 5, 9);
	wb_state(w, 5, 0xa1, 9);
}

/* A zeroed frame ends the segment: whatever follows is not read. */
static void p_after_zeros(struct wb *w)
{
	p_full(w);
	w->len += 64;
	wb_entry(w, 9, 99);
	wb_state(w, 9, 0xa1, 99);
}

/* A frame that runs past the end (the write cut short): the rest stands. */
static void p_cut_frame(struct wb *w)
{
	p_full(w);
	wb_entry(w, 4, 8);
	w->len -= 5;
}

/* A member that campaigned alone raised its HardState's term, not any entry's. */
static void p_state_term99(struct wb *w)
{
	wb_head(w, 0xa1, 0xc1);
	wb_snapshot(w, 4, 2);
	wb_entry(w, 2, 5);
	wb_entry(w, 2, 6);
	wb_entry(w, 3, 7);
	wb_state(w, 99, 0xa1, 6);
}

/* A new leader overwrote the uncommitted tail: the last entry's index counts. */
static void p_overwritten(struct wb *w)
{
	p_full(w);
	wb_entry(w, 4, 7);
	wb_entry(w, 5, 6);
}

/* A later segment (wal.go cut): the chain's CRC so far, metadata, the HardState it was
 * cut at, then entries. */
static void p_later_segment(struct wb *w)
{
	unsigned char md[64];

	w->rolling = 0x5eed1234;
	wb_record(w, 4, NULL, 0, false);
	wb_record(w, 1, md, mk_metadata(md, 0xa1, 0xc1, false, false), false);
	wb_state(w, 7, 0xa1, 1040);
	wb_entry(w, 7, 1041);
	wb_entry(w, 8, 1042);
	wb_state(w, 8, 0xa1, 1041);
}

/* A segment that starts from a snapshot and has no entry yet. */
static void p_snapshot_only(struct wb *w)
{
	wb_head(w, 0xa1, 0xc1);
	wb_snapshot(w, 1000, 7);
	wb_state(w, 7, 0xa1, 1000);
}

static void p_fresh(struct wb *w)
{
	wb_head(w, 0xa1, 0xc1);
	w->len += 4096;
}

static void p_no_metadata(struct wb *w)
{
	wb_record(w, 4, NULL, 0, false);
	wb_entry(w, 2, 5);
	wb_entry(w, 3, 6);
	wb_state(w, 3, 0xa1, 6);
}

static void p_torn_metadata(struct wb *w)
{
	unsigned char md[64];

	wb_record(w, 4, NULL, 0, false);
	wb_torn(w, 1, md, mk_metadata(md, 0xa1, 0xc1, false, false));
	wb_entry(w, 2, 5);
}

static void p_zeros(struct wb *w)
{
	w->len = 4096;
}

static void test_position(void)
{
	static const struct {
		const char *name;
		void (*build)(struct wb *);
		int ok; /* 0: EI_E_PARSE expected */
		uint64_t term, index, commit;
		size_t records;
	} cases[] = {
	    {"crc, metadata, snapshots, entries 5..7 (terms 2,2,3), HardState commit 6", p_full, 1,
	     3, 7, 6, 8},
	    {"the same with the zeroed tail", p_full_tail, 1, 3, 7, 6, 8},
	    {"a torn last entry (bad CRC) is not counted", p_torn_entry, 1, 3, 7, 6, 8},
	    {"a torn last HardState is not counted", p_torn_state, 1, 3, 7, 6, 8},
	    {"records after a torn one are not read", p_after_torn, 1, 3, 7, 6, 8},
	    {"the zero tail ends the scan", p_after_zeros, 1, 3, 7, 6, 8},
	    {"a frame running past the end ends the scan", p_cut_frame, 1, 3, 7, 6, 8},
	    {"a HardState's own term 99 does not raise the term", p_state_term99, 1, 3, 7, 6, 8},
	    {"an overwritten tail: the last entry's index, the highest term", p_overwritten, 1, 5,
	     6, 6, 10},
	    {"a later segment: the chain from the previous CRC", p_later_segment, 1, 8, 1042, 1041,
	     6},
	    {"a snapshot and no entry: the snapshot's position", p_snapshot_only, 1, 7, 1000, 1000,
	     5},
	    {"a fresh WAL: nothing yet", p_fresh, 1, 0, 0, 0, 3},
	    {"no metadata record", p_no_metadata, 0, 0, 0, 0, 0},
	    {"a metadata record with a bad CRC", p_torn_metadata, 0, 0, 0, 0, 0},
	    {"empty", b_empty, 0, 0, 0, 0, 0},
	    {"zeros", p_zeros, 0, 0, 0, 0, 0},
	    {"garbage", b_garbage, 0, 0, 0, 0, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		static struct wb w;
		struct ei_wal_position pos;
		struct ei_err err = {0};
		int rc;

		memset(&w, 0, sizeof(w));
		cases[i].build(&w);
		memset(&pos, 0xee, sizeof(pos));
		rc = ei_wal_scan_position(w.b, w.len, &pos, &err);
		if (cases[i].ok) {
			tap_ok(rc == 0 && pos.term == cases[i].term &&
				       pos.index == cases[i].index && pos.commit == cases[i].commit,
			       "position: %s: term %" PRIu64 ", index %" PRIu64 ", commit %" PRIu64
			       " (got %" PRIu64 ", %" PRIu64 ", %" PRIu64 "%s%s)",
			       cases[i].name, cases[i].term, cases[i].index, cases[i].commit,
			       pos.term, pos.index, pos.commit, rc ? ": " : "", rc ? err.msg : "");
			tap_ok(pos.records == cases[i].records,
			       "position: %s: %zu records read (got %zu)", cases[i].name,
			       cases[i].records, pos.records);
		} else {
			tap_ok(rc == EI_E_PARSE &&
				       strstr(err.msg, "head (CRC and metadata records)"),
			       "position: %s is refused (%s)", cases[i].name, err.msg);
		}
	}

	/* Every prefix of a full segment scans without an over-read, and never reaches
	 * further than the whole (run under ASan to make this bite). */
	{
		static struct wb w;
		unsigned ok = 0, bad = 0, beyond = 0;

		memset(&w, 0, sizeof(w));
		p_full(&w);
		for (size_t n = 0; n <= w.len; n++) {
			unsigned char *copy = malloc(n ? n : 1);
			struct ei_wal_position pos;

			memcpy(copy, w.b, n);
			if (ei_wal_scan_position(copy, n, &pos, NULL) == 0) {
				ok++;
				beyond += pos.term > 3 || pos.index > 7 || pos.commit > 6;
			} else {
				bad++;
			}
			free(copy);
		}
		tap_ok(ok + bad == w.len + 1 && ok > 0 && bad > 0 && beyond == 0,
		       "position: every prefix scans or is refused, never beyond the whole (%u ok, "
		       "%u refused, %u beyond)",
		       ok, bad, beyond);
	}
}

int main(void)
{
	tap_init();
	test_decoder();
	test_position();
	return tap_done();
}
