/* Unit tests for lib/status.c: the status document of the handshake. Building then
 * parsing gives back every field (with and without IDs, IDs above 2^63); parsing
 * refuses, with EI_E_PARSE, a zeroed result and a message naming the key, anything
 * that is not a complete, well-typed, in-range document; unknown keys are ignored
 * and "decision" is optional. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include "status.h"
#include "tap.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

static bool same_status(const struct ei_init_status *a, const struct ei_init_status *b)
{
	return strcmp(a->version, b->version) == 0 && strcmp(a->name, b->name) == 0 &&
	       strcmp(a->peer_url, b->peer_url) == 0 &&
	       a->initial_cluster_size == b->initial_cluster_size &&
	       strcmp(a->token, b->token) == 0 && a->has_wal == b->has_wal &&
	       a->has_ids == b->has_ids && a->member_id == b->member_id &&
	       a->cluster_id == b->cluster_id && strcmp(a->action, b->action) == 0 &&
	       strcmp(a->reason, b->reason) == 0;
}

/* A valid document in pieces (head, token, size, data_dir, tail): each row
 * leaves out or replaces only the piece it tests. */
#define DOC_HEAD                                                                           \
	"{\"etcd_init\":\"0.2.0\",\"name\":\"etcd-1\",\"peer_url\":\"http://etcd-1.e:2380\","
#define DOC_TOKEN "\"initial_cluster_token\":\"etcd-ns\","
#define DOC_SIZE "\"initial_cluster_size\":3,"
#define DOC_DD "\"data_dir\":{\"has_wal\":true,\"member_id\":\"1\",\"cluster_id\":\"2\"}"
#define DOC_TAIL "}"

int main(void)
{
	static const struct ei_init_status round[] = {
		{ .version = "0.2.0", .name = "etcd-0",
		  .peer_url = "http://etcd-0.etcd.ns.svc.cluster.local:2380",
		  .initial_cluster_size = 3, .token = "etcd-ns" },
		{ .version = "0.2.0", .name = "etcd-1",
		  .peer_url = "https://etcd-1.etcd.ns.svc.cluster.local:2380",
		  .initial_cluster_size = 5, .token = "tok", .has_wal = true },
		{ .version = "0.2.0", .name = "etcd-2", .peer_url = "http://10.0.0.2:2380",
		  .initial_cluster_size = 1, .token = "t", .has_wal = true, .has_ids = true,
		  .member_id = 0x8e9e05c52164694dull, .cluster_id = 0xcdf818194e3a8c32ull,
		  .action = "wait", .reason = "waiting for \"etcd-0\" \\ to answer\n(tab\t)" },
		{ .version = "9.9.9", .name = "etcd-99", .peer_url = "http://x:1",
		  .initial_cluster_size = 99, .token = "a/b", .has_wal = true, .has_ids = true,
		  .member_id = UINT64_MAX, .cluster_id = (1ull << 63) + 1, .action = "join",
		  .reason = "" },
		{ .version = "0.2.0", .name = "etcd-3", .peer_url = "http://e:2380",
		  .initial_cluster_size = 3, .token = "t", .has_wal = true, .has_ids = true,
		  .member_id = 1, .cluster_id = 1 },
	};
	static const struct {
		const char *what;
		const char *json;
		const char *msg; /* a substring of err.msg */
	} bad[] = {
		{ "not JSON", "etcd-init here", "not JSON" },
		{ "empty", "", "empty" },
		{ "truncated", DOC_HEAD DOC_TOKEN, "truncated" },
		{ "an array", "[1,2,3]", "expected object, got array" },
		{ "a string", "\"status\"", "expected object, got string" },
		{ "no etcd_init",
		  "{\"name\":\"etcd-1\",\"peer_url\":\"http://e:2380\"," DOC_TOKEN DOC_SIZE DOC_DD "}",
		  "no \"etcd_init\"" },
		{ "no name",
		  "{\"etcd_init\":\"0.2.0\",\"peer_url\":\"http://e:2380\"," DOC_TOKEN DOC_SIZE DOC_DD
		  "}",
		  "no \"name\"" },
		{ "no peer_url",
		  "{\"etcd_init\":\"0.2.0\",\"name\":\"etcd-1\"," DOC_TOKEN DOC_SIZE DOC_DD "}",
		  "no \"peer_url\"" },
		{ "no initial_cluster_token", DOC_HEAD DOC_SIZE DOC_DD DOC_TAIL,
		  "no \"initial_cluster_token\"" },
		{ "no initial_cluster_size", DOC_HEAD DOC_TOKEN DOC_DD DOC_TAIL,
		  "no \"initial_cluster_size\"" },
		{ "no data_dir", DOC_HEAD DOC_TOKEN "\"initial_cluster_size\":3" DOC_TAIL,
		  "no \"data_dir\"" },
		{ "no has_wal",
		  DOC_HEAD DOC_TOKEN DOC_SIZE "\"data_dir\":{\"member_id\":\"1\",\"cluster_id\":\"2\"}"
		  DOC_TAIL,
		  "no \"has_wal\"" },
		{ "name is a number", "{\"etcd_init\":\"0.2.0\",\"name\":7,\"peer_url\":\"http://e:1\","
		  DOC_TOKEN DOC_SIZE DOC_DD "}",
		  "name: expected a string, got int" },
		{ "size as a string", DOC_HEAD DOC_TOKEN "\"initial_cluster_size\":\"3\"," DOC_DD DOC_TAIL,
		  "initial_cluster_size: expected an integer, got string" },
		{ "size as a double", DOC_HEAD DOC_TOKEN "\"initial_cluster_size\":3.0," DOC_DD DOC_TAIL,
		  "initial_cluster_size: expected an integer, got double" },
		{ "size 0", DOC_HEAD DOC_TOKEN "\"initial_cluster_size\":0," DOC_DD DOC_TAIL,
		  "initial_cluster_size: 0 is not" },
		{ "size -1", DOC_HEAD DOC_TOKEN "\"initial_cluster_size\":-1," DOC_DD DOC_TAIL,
		  "initial_cluster_size: -1 is not" },
		{ "size 100", DOC_HEAD DOC_TOKEN "\"initial_cluster_size\":100," DOC_DD DOC_TAIL,
		  "initial_cluster_size: 100 is not" },
		{ "size 2^64", DOC_HEAD DOC_TOKEN "\"initial_cluster_size\":18446744073709551616,"
		  DOC_DD DOC_TAIL,
		  "initial_cluster_size" },
		{ "data_dir as a string", DOC_HEAD DOC_TOKEN DOC_SIZE "\"data_dir\":\"x\"" DOC_TAIL,
		  "data_dir: expected an object, got string" },
		{ "has_wal as a string",
		  DOC_HEAD DOC_TOKEN DOC_SIZE "\"data_dir\":{\"has_wal\":\"true\"}" DOC_TAIL,
		  "has_wal: expected a boolean, got string" },
		{ "member_id without cluster_id",
		  DOC_HEAD DOC_TOKEN DOC_SIZE "\"data_dir\":{\"has_wal\":true,\"member_id\":\"1\"}"
		  DOC_TAIL,
		  "member ID without a cluster ID" },
		{ "cluster_id without member_id",
		  DOC_HEAD DOC_TOKEN DOC_SIZE "\"data_dir\":{\"has_wal\":true,\"cluster_id\":\"1\"}"
		  DOC_TAIL,
		  "member ID without a cluster ID" },
		{ "member_id \"0\"",
		  DOC_HEAD DOC_TOKEN DOC_SIZE
		  "\"data_dir\":{\"has_wal\":true,\"member_id\":\"0\",\"cluster_id\":\"2\"}" DOC_TAIL,
		  "member_id: 0 is not" },
		{ "member_id \"0x12\"",
		  DOC_HEAD DOC_TOKEN DOC_SIZE
		  "\"data_dir\":{\"has_wal\":true,\"member_id\":\"0x12\",\"cluster_id\":\"2\"}" DOC_TAIL,
		  "member_id: 0x12 is not" },
		{ "member_id 2^64",
		  DOC_HEAD DOC_TOKEN DOC_SIZE "\"data_dir\":{\"has_wal\":true,\"member_id\":"
		  "\"18446744073709551616\",\"cluster_id\":\"2\"}" DOC_TAIL,
		  "member_id: 18446744073709551616 is not" },
		{ "member_id \"-1\"",
		  DOC_HEAD DOC_TOKEN DOC_SIZE
		  "\"data_dir\":{\"has_wal\":true,\"member_id\":\"-1\",\"cluster_id\":\"2\"}" DOC_TAIL,
		  "member_id: -1 is not" },
		{ "member_id as a number",
		  DOC_HEAD DOC_TOKEN DOC_SIZE
		  "\"data_dir\":{\"has_wal\":true,\"member_id\":1,\"cluster_id\":\"2\"}" DOC_TAIL,
		  "member_id: expected a decimal string, got int" },
		{ "cluster_id \"0\"",
		  DOC_HEAD DOC_TOKEN DOC_SIZE
		  "\"data_dir\":{\"has_wal\":true,\"member_id\":\"1\",\"cluster_id\":\"0\"}" DOC_TAIL,
		  "cluster_id: 0 is not" },
		{ "IDs with has_wal false",
		  DOC_HEAD DOC_TOKEN DOC_SIZE
		  "\"data_dir\":{\"has_wal\":false,\"member_id\":\"1\",\"cluster_id\":\"2\"}" DOC_TAIL,
		  "or a WAL" },
		{ "a NUL inside name",
		  "{\"etcd_init\":\"0.2.0\",\"name\":\"etcd\\u0000-1\",\"peer_url\":\"http://e:1\","
		  DOC_TOKEN DOC_SIZE DOC_DD "}",
		  "name: contains a NUL byte" },
		{ "name too long",
		  "{\"etcd_init\":\"0.2.0\",\"name\":\"a234567890123456789012345678901234567890123456"
		  "789012345678901234\",\"peer_url\":\"http://e:1\"," DOC_TOKEN DOC_SIZE DOC_DD "}",
		  "name: longer than 63 bytes" },
		{ "17 levels (object, 15 arrays, a number)", DOC_HEAD DOC_TOKEN DOC_SIZE DOC_DD
		  ",\"x\":[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]" DOC_TAIL,
		  "nested deeper than 16" },
		{ "trailing garbage", DOC_HEAD DOC_TOKEN DOC_SIZE DOC_DD DOC_TAIL "x",
		  "unexpected data after" },
		{ "two objects", DOC_HEAD DOC_TOKEN DOC_SIZE DOC_DD DOC_TAIL "{}",
		  "unexpected data after" },
		{ "decision as a string", DOC_HEAD DOC_TOKEN DOC_SIZE DOC_DD ",\"decision\":\"wait\""
		  DOC_TAIL,
		  "decision: expected an object, got string" },
	};
	static const struct {
		const char *what;
		const char *json;
		bool has_ids;
		const char *action;
	} good[] = {
		{ "no decision", DOC_HEAD DOC_TOKEN DOC_SIZE DOC_DD DOC_TAIL, true, "" },
		{ "decision null", DOC_HEAD DOC_TOKEN DOC_SIZE DOC_DD ",\"decision\":null" DOC_TAIL,
		  true, "" },
		{ "decision without reason",
		  DOC_HEAD DOC_TOKEN DOC_SIZE DOC_DD ",\"decision\":{\"action\":\"join\"}" DOC_TAIL,
		  true, "join" },
		{ "unknown keys everywhere",
		  "{\"future\":{\"a\":[1,2,{\"b\":null}]}," DOC_TOKEN DOC_SIZE
		  "\"etcd_init\":\"0.2.0\",\"name\":\"etcd-1\",\"peer_url\":\"http://etcd-1.e:2380\","
		  "\"data_dir\":{\"has_wal\":true,\"member_id\":\"1\",\"cluster_id\":\"2\","
		  "\"snap\":3},\"decision\":{\"action\":\"wait\",\"reason\":\"r\",\"x\":1}}",
		  true, "wait" },
		{ "16 levels (object, 14 arrays, a number)", DOC_HEAD DOC_TOKEN DOC_SIZE DOC_DD
		  ",\"x\":[[[[[[[[[[[[[[1]]]]]]]]]]]]]]" DOC_TAIL,
		  true, "" },
		{ "whitespace around", " \n" DOC_HEAD DOC_TOKEN DOC_SIZE DOC_DD DOC_TAIL "\r\n ", true,
		  "" },
		{ "IDs null, no WAL",
		  DOC_HEAD DOC_TOKEN DOC_SIZE
		  "\"data_dir\":{\"has_wal\":false,\"member_id\":null,\"cluster_id\":null}" DOC_TAIL,
		  false, "" },
	};
	struct ei_init_status got;
	struct ei_err err;

	tap_init();

	for (size_t i = 0; i < sizeof(round) / sizeof(round[0]); i++) {
		char *json = ei_status_to_json(&round[i]);
		int r;

		memset(&err, 0, sizeof(err));
		tap_ok(json != NULL, "round trip %zu: to_json", i);
		if (!json)
			continue;
		printf("#   %s\n", json);
		r = ei_status_parse(json, strlen(json), &got, &err);
		tap_ok(r == 0 && same_status(&got, &round[i]),
		       "round trip %zu (%s, ids=%d member=%" PRIu64 "): every field back", i,
		       round[i].name, round[i].has_ids, round[i].member_id);
		if (r < 0)
			printf("#   error: %s\n", err.msg);
		free(json);
	}
	/* IDs are decimal strings (etcd-facts §1.3), also above 2^63. */
	{
		char *json = ei_status_to_json(&round[3]);

		tap_ok(json && strstr(json, "\"member_id\":\"18446744073709551615\"") &&
			       strstr(json, "\"cluster_id\":\"9223372036854775809\""),
		       "IDs are written as decimal strings");
		free(json);
		json = ei_status_to_json(&round[0]);
		tap_ok(json && !strstr(json, "member_id") && !strstr(json, "cluster_id") &&
			       strstr(json, "\"has_wal\":false"),
		       "without IDs: no member_id/cluster_id keys");
		free(json);
	}

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r;

		memset(&err, 0, sizeof(err));
		memset(&got, 0xa5, sizeof(got));
		r = ei_status_parse(bad[i].json, strlen(bad[i].json), &got, &err);
		tap_ok(r == EI_E_PARSE && err.code == EI_E_PARSE && strstr(err.msg, bad[i].msg) &&
			       all_zero(&got, sizeof(got)),
		       "refuses %s: \"%s\"", bad[i].what, bad[i].msg);
		printf("#   %s\n", err.msg);
	}

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		int r;

		memset(&err, 0, sizeof(err));
		r = ei_status_parse(good[i].json, strlen(good[i].json), &got, &err);
		tap_ok(r == 0 && strcmp(got.name, "etcd-1") == 0 && got.initial_cluster_size == 3 &&
			       strcmp(got.token, "etcd-ns") == 0 && got.has_ids == good[i].has_ids &&
			       (!got.has_ids || (got.member_id == 1 && got.cluster_id == 2)) &&
			       strcmp(got.action, good[i].action) == 0,
		       "accepts %s", good[i].what);
		if (r < 0)
			printf("#   error: %s\n", err.msg);
	}

	/* The length is the caller's: bytes after an embedded NUL are garbage, and a
	 * length that stops inside the object is a truncation. */
	{
		static const char doc[] = DOC_HEAD DOC_TOKEN DOC_SIZE DOC_DD DOC_TAIL;
		char buf[sizeof(doc) + 8];

		memcpy(buf, doc, sizeof(doc));
		memcpy(buf + sizeof(doc), "{}", 3);
		memset(&err, 0, sizeof(err));
		tap_ok(ei_status_parse(buf, sizeof(doc) + 2, &got, &err) == EI_E_PARSE,
		       "a NUL then more bytes inside len is refused");
		printf("#   %s\n", err.msg);
		memset(&err, 0, sizeof(err));
		tap_ok(ei_status_parse(doc, sizeof(doc) - 2, &got, &err) == EI_E_PARSE,
		       "a len that cuts the object is refused");
		printf("#   %s\n", err.msg);
		tap_ok(ei_status_parse(doc, sizeof(doc) - 1, &got, NULL) == 0,
		       "parse with a NULL err works");
	}
	return tap_done();
}
