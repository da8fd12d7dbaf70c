/* Unit tests for lib/datadir.c: the WAL metadata decoder on synthetic WAL bytes
 * (built here by a small encoder that follows etcd's wal/encoder.go), and the
 * data dir inspection and move-aside on a scratch directory. */
#include "datadir.h"
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- a tiny WAL encoder ------------------------------------------------- */

struct wb {
	unsigned char b[16384];
	size_t len;
	uint32_t rolling; /* the chained CRC, as wal/encoder.go keeps it */
};

/* Table-driven CRC-32C, deliberately not the bitwise loop of lib/datadir.c. */
static uint32_t crc32c(uint32_t crc, const unsigned char *p, size_t n)
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

static size_t put_varint(unsigned char *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (unsigned char)v;
	return n;
}

static size_t put_tag(unsigned char *p, unsigned field, unsigned wire)
{
	return put_varint(p, (uint64_t)field << 3 | wire);
}

static size_t put_len_field(unsigned char *p, unsigned field, const void *data, size_t len)
{
	size_t n = put_tag(p, field, 2);

	n += put_varint(p + n, len);
	memcpy(p + n, data, len);
	return n + len;
}

/* etcdserverpb.Metadata{NodeID, ClusterID}, optionally with unknown fields of
 * every skippable wire type and the fields in reverse order. */
static size_t mk_metadata(unsigned char *p, uint64_t node, uint64_t cluster, bool extras,
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
static void wb_frame(struct wb *w, const unsigned char *rec, size_t len, int pad)
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
static void wb_record(struct wb *w, int64_t type, const unsigned char *data, size_t dlen,
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
static void wb_head(struct wb *w, uint64_t node, uint64_t cluster)
{
	unsigned char md[64];
	const unsigned char snap[] = {0x08, 0x00, 0x10, 0x00};

	wb_record(w, 4, NULL, 0, false);
	wb_record(w, 1, md, mk_metadata(md, node, cluster, false, false), false);
	wb_record(w, 5, snap, sizeof(snap), false);
}

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

/* ---- filesystem cases -------------------------------------------------- */

static char tmp[64];

static void mkdirs(const char *rel)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", tmp, rel);
	for (char *s = p + strlen(tmp) + 1; *s; s++) {
		if (*s == '/') {
			*s = '\0';
			mkdir(p, 0755);
			*s = '/';
		}
	}
	mkdir(p, 0755);
}

static void write_file(const char *rel, const void *data, size_t len, size_t zeros)
{
	char p[PATH_MAX];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", tmp, rel);
	f = fopen(p, "w");
	if (!f) {
		printf("# cannot create %s\n", p);
		return;
	}
	fwrite(data, 1, len, f);
	for (size_t i = 0; i < zeros; i++)
		fputc(0, f);
	fclose(f);
}

static void write_wal(const char *rel, uint64_t node, uint64_t cluster)
{
	static struct wb w;

	memset(&w, 0, sizeof(w));
	wb_head(&w, node, cluster);
	write_file(rel, w.b, w.len, 65536);
}

static const char *at(const char *rel)
{
	static char p[4][PATH_MAX];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", tmp, rel);
	return p[i];
}

static bool exists(const char *rel)
{
	struct stat st;

	return lstat(at(rel), &st) == 0;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(p) : unlink(p);
}

static void reset(void)
{
	nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	mkdir(tmp, 0755);
}

static void test_inspect(void)
{
	static const char *W0 = "0000000000000000-0000000000000000.wal";
	struct ei_datadir_facts f;
	struct ei_err err = {0};
	char p[PATH_MAX];
	int rc;

	rc = ei_datadir_inspect(at("absent"), NULL, &f, &err);
	tap_ok(rc == 0 && !f.has_wal && !f.has_snap_db, "inspect: no data dir: no WAL, no error");

	mkdirs("d1");
	rc = ei_datadir_inspect(at("d1"), NULL, &f, &err);
	tap_ok(rc == 0 && !f.has_wal, "inspect: empty data dir: no WAL");
	tap_streq(f.wal_dir, at("d1/member/wal"), "inspect: WAL dir defaults to member/wal");

	mkdirs("d1/member/wal");
	rc = ei_datadir_inspect(at("d1"), NULL, &f, &err);
	tap_ok(rc == 0 && !f.has_wal, "inspect: empty member/wal: no WAL");

	reset();
	mkdirs("d2/member/snap");
	write_file("d2/member/snap/db", "bolt", 4, 0);
	rc = ei_datadir_inspect(at("d2"), NULL, &f, &err);
	tap_ok(rc == 0 && !f.has_wal && f.has_snap_db,
	       "inspect: only member/snap/db (failed first start): not initialized");

	mkdirs("d2/member/wal.tmp");
	snprintf(p, sizeof(p), "d2/member/wal.tmp/%s", W0);
	write_wal(p, 1, 2);
	mkdirs("d2/member/wal");
	write_file("d2/member/wal/notes.wal.bak", "x", 1, 0);
	write_file("d2/member/wal/0.tmp", "x", 1, 0);
	rc = ei_datadir_inspect(at("d2"), NULL, &f, &err);
	tap_ok(rc == 0 && !f.has_wal, "inspect: a WAL in wal.tmp or non-.wal names: no WAL");

	snprintf(p, sizeof(p), "d2/member/wal/%s", W0);
	write_wal(p, 0xfedcba9876543210ULL, 0x0123456789abcdefULL);
	write_wal("d2/member/wal/0000000000000001-0000000000000009.wal", 7, 7);
	rc = ei_datadir_inspect(at("d2"), NULL, &f, &err);
	tap_ok(rc == 0 && f.has_wal && f.has_metadata && f.member_id == 0xfedcba9876543210ULL &&
		   f.cluster_id == 0x0123456789abcdefULL && f.has_snap_db,
	       "inspect: a .wal file gives the member and cluster IDs of the lowest-named one");
	tap_streq(f.first_wal, at(p), "inspect: first_wal names the lowest-named file");

	reset();
	mkdirs("d3/member/wal");
	write_file("d3/member/wal/0000000000000000-0000000000000000.wal", "", 0, 65536);
	rc = ei_datadir_inspect(at("d3"), NULL, &f, &err);
	tap_ok(rc == 0 && f.has_wal && !f.has_metadata && f.metadata_error[0],
	       "inspect: zero-filled .wal: initialized, metadata unknown");
	printf("#   %s\n", f.metadata_error);

	write_file("d3/member/wal/0000000000000000-0000000000000000.wal", "", 0, 0);
	rc = ei_datadir_inspect(at("d3"), NULL, &f, &err);
	tap_ok(rc == 0 && f.has_wal && !f.has_metadata && f.metadata_error[0],
	       "inspect: empty .wal: initialized, metadata unknown");

	reset();
	mkdirs("d4/member/wal/strange.wal");
	rc = ei_datadir_inspect(at("d4"), NULL, &f, &err);
	tap_ok(rc == 0 && f.has_wal && !f.has_metadata && f.metadata_error[0],
	       "inspect: a directory named *.wal counts as etcd's wal.Exist counts it");
	printf("#   %s\n", f.metadata_error);
	snprintf(p, sizeof(p), "d4/member/wal/%s", W0);
	mkdirs(p);
	rc = ei_datadir_inspect(at("d4"), NULL, &f, &err);
	tap_ok(rc == 0 && f.has_wal && !f.has_metadata && strstr(f.metadata_error, "regular"),
	       "inspect: a directory with a WAL file's name: initialized, metadata unknown");
	printf("#   %s\n", f.metadata_error);

	reset();
	mkdirs("d4/member/wal");
	snprintf(p, sizeof(p), "d4/member/wal/%s", W0);
	mkfifo(at(p), 0600);
	rc = ei_datadir_inspect(at("d4"), NULL, &f, &err);
	tap_ok(rc == 0 && f.has_wal && !f.has_metadata && strstr(f.metadata_error, "regular"),
	       "inspect: a FIFO with a WAL file's name does not hang, metadata unknown");

	reset();
	mkdirs("d4/member/wal");
	write_wal("d4/member/wal/foo.wal", 1, 2);
	rc = ei_datadir_inspect(at("d4"), NULL, &f, &err);
	tap_ok(rc == 0 && f.has_wal && !f.has_metadata && strstr(f.metadata_error, "named"),
	       "inspect: only a badly named foo.wal: initialized, metadata unknown");

	reset();
	mkdirs("d5/member/snap");
	mkdirs("waldir");
	snprintf(p, sizeof(p), "waldir/%s", W0);
	write_wal(p, 11, 22);
	rc = ei_datadir_inspect(at("d5"), at("waldir"), &f, &err);
	tap_ok(rc == 0 && f.has_wal && f.has_metadata && f.member_id == 11 && f.cluster_id == 22,
	       "inspect: --wal-dir elsewhere is read");
	tap_streq(f.wal_dir, at("waldir"), "inspect: wal_dir reports --wal-dir");
	rc = ei_datadir_inspect(at("d5"), NULL, &f, &err);
	tap_ok(rc == 0 && !f.has_wal, "inspect: without --wal-dir that data dir has no WAL");
	rc = ei_datadir_inspect(at("d5"), at("nowal"), &f, &err);
	tap_ok(rc == 0 && !f.has_wal, "inspect: a missing --wal-dir: no WAL");
	write_file("walfile", "x", 1, 0);
	rc = ei_datadir_inspect(at("d5"), at("walfile"), &f, &err);
	tap_ok(rc == EI_E_USAGE && strstr(err.msg, "walfile is not a directory"),
	       "inspect: a --wal-dir that is a file is a usage error naming it");
	printf("#   %s\n", err.msg);

	/* Permission denied must be an error, not "no WAL". As root, check in a
	 * child that drops to nobody. */
	reset();
	mkdirs("d6/member/wal");
	snprintf(p, sizeof(p), "d6/member/wal/%s", W0);
	write_wal(p, 1, 2);
	chmod(at(p), 0);
	chmod(at("d6/member/wal"), 0700);
	/* The data dir and member/ are usable by the child; only the WAL is not. */
	chmod(at("d6"), 0777);
	chmod(at("d6/member"), 0777);
	{
		pid_t pid = fork();
		int st = 0;

		if (pid == 0) {
			struct ei_datadir_facts cf;
			struct ei_err cerr = {0};
			int r1;

			if (geteuid() == 0 && (setgid(65534) < 0 || setuid(65534) < 0))
				_exit(99);
			r1 = ei_datadir_inspect(at("d6"), NULL, &cf, &cerr);
			_exit(r1 == EI_E_SYS && cerr.sys_errno == EACCES ? 0 : 1);
		}
		waitpid(pid, &st, 0);
		tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		       "inspect: an unreadable WAL dir is EI_E_SYS (EACCES)");
	}
	chmod(at("d6/member/wal"), 0755);
	{
		pid_t pid = fork();
		int st = 0;

		if (pid == 0) {
			struct ei_datadir_facts cf;
			struct ei_err cerr = {0};
			int r;

			if (geteuid() == 0 && (setgid(65534) < 0 || setuid(65534) < 0))
				_exit(99);
			r = ei_datadir_inspect(at("d6"), NULL, &cf, &cerr);
			_exit(r == EI_E_SYS && cerr.sys_errno == EACCES &&
				      strstr(cerr.msg, "open WAL")
				  ? 0
				  : 1);
		}
		waitpid(pid, &st, 0);
		tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		       "inspect: an unreadable WAL file is EI_E_SYS (EACCES)");
	}
}

static bool same_bytes(const char *a, const char *b)
{
	FILE *fa = fopen(a, "r"), *fb = fopen(b, "r");
	bool same = fa && fb;

	while (same) {
		int ca = fgetc(fa), cb = fgetc(fb);

		if (ca != cb)
			same = false;
		if (ca == EOF || cb == EOF)
			break;
	}
	if (fa)
		fclose(fa);
	if (fb)
		fclose(fb);
	return same;
}

static void test_move_aside(void)
{
	static const char *W0 = "0000000000000000-0000000000000000.wal";
	struct ei_datadir_facts f;
	struct ei_err err = {0};
	char p[PATH_MAX], moved[PATH_MAX];
	int rc;

	reset();
	mkdirs("d/member/wal");
	mkdirs("d/member/snap");
	mkdirs("ref");
	snprintf(p, sizeof(p), "d/member/wal/%s", W0);
	write_wal(p, 5, 6);
	snprintf(p, sizeof(p), "ref/%s", W0);
	write_wal(p, 5, 6);
	write_file("d/member/snap/db", "boltdb", 6, 0);
	rc = ei_datadir_move_aside(at("d"), NULL, "x1", moved, sizeof(moved), &err);
	tap_ok(rc == 0 && !exists("d/member") && exists("d/member.removed-x1/snap/db"),
	       "move aside: member/ renamed to member.removed-x1");
	if (rc)
		printf("#   %s\n", err.msg);
	tap_streq(moved, at("d/member.removed-x1"), "move aside: moved_to names the new path");
	snprintf(p, sizeof(p), "d/member.removed-x1/wal/%s", W0);
	tap_ok(same_bytes(at(p), at("ref/0000000000000000-0000000000000000.wal")),
	       "move aside: the WAL is whole after the move");
	rc = ei_datadir_inspect(at("d"), NULL, &f, &err);
	tap_ok(rc == 0 && !f.has_wal, "move aside: afterwards the data dir has no WAL");

	mkdirs("d/member/wal");
	snprintf(p, sizeof(p), "d/member/wal/%s", W0);
	write_wal(p, 8, 9);
	rc = ei_datadir_move_aside(at("d"), NULL, "x1", moved, sizeof(moved), &err);
	tap_ok(rc == EI_E_SYS && err.sys_errno == EEXIST && exists(p) &&
		   exists("d/member.removed-x1/snap/db"),
	       "move aside: refuses to overwrite an existing target, moves nothing");
	rc = ei_datadir_move_aside(at("d"), NULL, "a/b", moved, sizeof(moved), &err);
	tap_ok(rc == EI_E_SYS && exists(p), "move aside: a suffix with '/' is refused");

	/* --wal-dir inside member/ moves along with it. */
	snprintf(p, sizeof(p), "%s/member/wal/", at("d"));
	rc = ei_datadir_move_aside(at("d"), p, "x2", moved, sizeof(moved), &err);
	tap_ok(rc == 0 && exists("d/member.removed-x2/wal") && !exists("d/member/wal.removed-x2"),
	       "move aside: a --wal-dir under member/ moves with member/");

	/* --wal-dir elsewhere: both move, the WAL dir to <wal>.removed-<suffix>. */
	reset();
	mkdirs("e/member/snap");
	mkdirs("w/wal");
	mkdirs("ref");
	snprintf(p, sizeof(p), "w/wal/%s", W0);
	write_wal(p, 5, 6);
	snprintf(p, sizeof(p), "ref/%s", W0);
	write_wal(p, 5, 6);
	rc = ei_datadir_move_aside(at("e"), at("w/wal"), "y", moved, sizeof(moved), &err);
	snprintf(p, sizeof(p), "w/wal.removed-y/%s", W0);
	tap_ok(rc == 0 && !exists("e/member") && exists("e/member.removed-y/snap") &&
		   !exists("w/wal") &&
		   same_bytes(at(p), at("ref/0000000000000000-0000000000000000.wal")),
	       "move aside: a separate --wal-dir moves to <wal>.removed-<suffix>");
	if (rc)
		printf("#   %s\n", err.msg);

	/* Refusal when the WAL target exists: nothing moves at all. */
	mkdirs("e/member/snap");
	mkdirs("w/wal");
	mkdirs("w/wal.removed-z");
	rc = ei_datadir_move_aside(at("e"), at("w/wal"), "z", moved, sizeof(moved), &err);
	tap_ok(rc == EI_E_SYS && err.sys_errno == EEXIST && exists("e/member") && exists("w/wal") &&
		   !exists("e/member.removed-z"),
	       "move aside: an existing WAL target refuses before anything moves");

	/* Only the WAL dir left (a crash between the two renames): it still moves. */
	rc = ei_datadir_move_aside(at("e"), NULL, "q", moved, sizeof(moved), &err);
	tap_ok(rc == 0 && exists("e/member.removed-q"), "move aside: member/ alone");
	rc = ei_datadir_move_aside(at("e"), at("w/wal"), "q", moved, sizeof(moved), &err);
	tap_ok(rc == 0 && exists("w/wal.removed-q") && !exists("w/wal") &&
		   strcmp(moved, at("w/wal.removed-q")) == 0,
	       "move aside: after a crash between renames, the WAL dir still moves");

	rc = ei_datadir_move_aside(at("e"), at("w/wal"), "r", moved, sizeof(moved), &err);
	tap_ok(rc == EI_E_SYS && err.sys_errno == ENOENT, "move aside: nothing to move is ENOENT");
}

/* A child that runs as nobody (as root DAC checks pass): does inspect of rel give
 * EI_E_USAGE with want in its message? */
static bool usage_as_nobody(const char *rel, const char *want)
{
	pid_t pid = fork();
	int st = 0;

	if (pid == 0) {
		struct ei_datadir_facts cf;
		struct ei_err cerr = {0};
		int r;

		if (geteuid() == 0 && (setgid(65534) < 0 || setuid(65534) < 0))
			_exit(99);
		r = ei_datadir_inspect(at(rel), NULL, &cf, &cerr);
		printf("#   %s\n", cerr.msg);
		fflush(stdout);
		_exit(r == EI_E_USAGE && strstr(cerr.msg, want) ? 0 : 1);
	}
	waitpid(pid, &st, 0);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* The checks before any network call: a data dir that cannot be used, a .wal that is
 * not a WAL, a WAL elsewhere, and the first-start marker. */
static void test_datadir_checks(void)
{
	static const char *W0 = "0000000000000000-0000000000000000.wal";
	struct ei_datadir_facts f;
	struct ei_err err = {0};
	char p[PATH_MAX];
	int rc;

	reset();
	write_file("file", "x", 1, 0);
	rc = ei_datadir_inspect(at("file"), NULL, &f, &err);
	tap_ok(rc == EI_E_USAGE && strstr(err.msg, "the data dir") && strstr(err.msg, "/file is not a directory"),
	       "checks: a data dir that is a file is a usage error naming it");
	printf("#   %s\n", err.msg);
	mkdirs("d1");
	write_file("d1/member", "x", 1, 0);
	rc = ei_datadir_inspect(at("d1"), NULL, &f, &err);
	tap_ok(rc == EI_E_USAGE && strstr(err.msg, "the member dir"),
	       "checks: a member dir that is a file is a usage error naming it");
	mkdirs("d2");
	chmod(at("d2"), 0311);
	tap_ok(usage_as_nobody("d2", "cannot be read"), "checks: an unreadable data dir");
	mkdirs("d3");
	chmod(at("d3"), 0755);
	tap_ok(usage_as_nobody("d3", "is not writable"), "checks: a data dir not writable");
	mkdirs("d4/member");
	chmod(at("d4"), 0777);
	chmod(at("d4/member"), 0555);
	tap_ok(usage_as_nobody("d4", "the member dir"), "checks: a member dir not writable");
	rc = ei_datadir_inspect(at("absent"), NULL, &f, &err);
	tap_ok(rc == 0 && !f.has_wal, "checks: an absent data dir is fine (etcd creates it)");

	/* *.wal files that are not WALs: refused by plan.c (not_a_wal). */
	{
		static const struct {
			const char *what;
			const char *bytes;
			size_t len;
		} bad[] = {
			{ "a zero-length .wal", "", 0 },
			{ "a .wal of random bytes", "\x17\x03\x03\x00\x10random bytes here", 21 },
			{ "a .wal cut short in its first frame", "\x10\x00\x00\x00\x00\x00\x00\x00\x08", 9 },
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			reset();
			mkdirs("d/member/wal");
			snprintf(p, sizeof(p), "d/member/wal/%s", W0);
			write_file(p, bad[i].bytes, bad[i].len, 0);
			rc = ei_datadir_inspect(at("d"), NULL, &f, &err);
			tap_ok(rc == 0 && f.has_wal && f.not_a_wal && f.metadata_error[0],
			       "checks: %s is not a WAL", bad[i].what);
			printf("#   %s\n", f.metadata_error);
		}
	}
	/* A WAL head cut right after its CRC record: the metadata was cut short. */
	{
		static struct wb w;

		reset();
		memset(&w, 0, sizeof(w));
		wb_head(&w, 7, 8);
		mkdirs("d/member/wal");
		snprintf(p, sizeof(p), "d/member/wal/%s", W0);
		write_file(p, w.b, 20, 0);
		rc = ei_datadir_inspect(at("d"), NULL, &f, &err);
		tap_ok(rc == 0 && f.has_wal && f.not_a_wal, "checks: metadata cut short is not a WAL");
		printf("#   %s\n", f.metadata_error);
	}
	reset();
	mkdirs("d/member/wal");
	write_file("d/member/wal/junk.wal", "x", 1, 0);
	rc = ei_datadir_inspect(at("d"), NULL, &f, &err);
	tap_ok(rc == 0 && f.has_wal && f.not_a_wal && strstr(f.metadata_error, "named"),
	       "checks: a .wal not named as etcd names them is not a WAL etcd can read");

	/* The official manifest's layout (--wal-dir=<data-dir>/wal) seen without --wal-dir. */
	reset();
	mkdirs("d/member/snap");
	write_file("d/member/snap/db", "x", 1, 0);
	mkdirs("d/wal");
	snprintf(p, sizeof(p), "d/wal/%s", W0);
	write_wal(p, 1, 2);
	rc = ei_datadir_inspect(at("d"), NULL, &f, &err);
	tap_ok(rc == 0 && !f.has_wal && f.has_snap_db && strcmp(f.wal_elsewhere, at("d/wal")) == 0,
	       "checks: a WAL in <data-dir>/wal is found and named");
	rc = ei_datadir_inspect(at("d"), at("d/wal"), &f, &err);
	tap_ok(rc == 0 && f.has_wal && f.has_metadata && !f.wal_elsewhere[0],
	       "checks: with --wal-dir=<data-dir>/wal it is the WAL");
	/* And the other way round: --wal-dir set, the WAL in member/wal. */
	reset();
	mkdirs("d/member/wal");
	snprintf(p, sizeof(p), "d/member/wal/%s", W0);
	write_wal(p, 1, 2);
	rc = ei_datadir_inspect(at("d"), at("elsewhere"), &f, &err);
	tap_ok(rc == 0 && !f.has_wal && strcmp(f.wal_elsewhere, at("d/member/wal")) == 0,
	       "checks: a WAL in member/wal while --wal-dir points elsewhere is named");

	/* The marker of a first start. */
	reset();
	mkdirs("d");
	rc = ei_datadir_mark_first_start(at("d"), &err);
	tap_ok(rc == 0 && exists("d/member/" EI_FIRST_START_MARKER), "marker: written into member/");
	rc = ei_datadir_inspect(at("d"), NULL, &f, &err);
	tap_ok(rc == 0 && f.first_start_marker && !f.has_wal, "marker: seen by inspect");
	rc = ei_datadir_clear_first_start(at("d"), &err);
	tap_ok(rc == 0 && !exists("d/member/" EI_FIRST_START_MARKER), "marker: cleared");
	rc = ei_datadir_clear_first_start(at("d"), &err);
	tap_ok(rc == 0, "marker: clearing twice is fine");
}

int main(void)
{
	tap_init();
	test_decoder();

	snprintf(tmp, sizeof(tmp), "/tmp/ei-test-datadir.XXXXXX");
	if (!mkdtemp(tmp)) {
		tap_ok(0, "mkdtemp: %s", strerror(errno));
		return tap_done();
	}
	chmod(tmp, 0755);
	test_inspect();
	test_datadir_checks();
	test_move_aside();
	nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return tap_done();
}
