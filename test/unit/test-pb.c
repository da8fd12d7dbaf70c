/* Unit tests for lib/pb.c: the protobuf wire format from and to gateway JSON, on a small
 * schema of its own; untrusted bytes refused with a reason (etcd's own messages are
 * test-grpc's). */
#include "pb.h"
#include "hex.h"
#include "tap.h"

#include <stdlib.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct ei_pb_field inner_fields[] = {
	{ 1, "n", EI_PB_UINT64, 0, NULL },
	{ 2, "s", EI_PB_STRING, 0, NULL },
};
static const struct ei_pb_message inner = { "Inner", inner_fields, N(inner_fields) };
static const struct ei_pb_field outer_fields[] = {
	{ 1, "u", EI_PB_UINT64, 0, NULL },   { 2, "i", EI_PB_INT64, 0, NULL },
	{ 3, "b", EI_PB_BOOL, 0, NULL },     { 4, "s", EI_PB_STRING, 0, NULL },
	{ 5, "ss", EI_PB_STRING, 1, NULL },  { 6, "m", EI_PB_MESSAGE, 0, &inner },
	{ 7, "ms", EI_PB_MESSAGE, 1, &inner },
};
static const struct ei_pb_message outer = { "Outer", outer_fields, N(outer_fields) };
/* A message that holds itself, to reach the depth bound. */
static const struct ei_pb_message self_msg;
static const struct ei_pb_field self_fields[] = { { 1, "m", EI_PB_MESSAGE, 0, &self_msg } };
static const struct ei_pb_message self_msg = { "Self", self_fields, 1 };

int main(void)
{
	static const struct {
		const char *json, *hex; /* hex NULL: refused with error */
		const char *error;
	} enc[] = {
		{ "{}", "", NULL },
		{ "{\"u\":\"300\"}", "08ac02", NULL },
		{ "{\"u\":300}", "08ac02", NULL },
		{ "{\"u\":\"0\",\"b\":false,\"s\":\"\"}", "", NULL }, /* defaults are not sent */
		{ "{\"i\":\"-1\"}", "10ffffffffffffffffff01", NULL },
		{ "{\"b\":true,\"s\":\"hi\"}", "18012202" "6869", NULL },
		{ "{\"ss\":[\"a\",\"\"]}", "2a01612a00", NULL },
		{ "{\"m\":{\"n\":\"1\"}}", "32020801", NULL },
		{ "{\"u\":\"18446744073709551615\"}", "08ffffffffffffffffff01", NULL },
		{ "{\"x\":1}", NULL, "Outer has no field \"x\"" },
		{ "{\"u\":\"18446744073709551616\"}", NULL, "u: expected a 64-bit integer" },
		{ "{\"u\":-1}", NULL, "u: expected a 64-bit integer" },
		{ "{\"i\":\"9223372036854775808\"}", NULL, "i: expected a 64-bit integer" },
		{ "{\"b\":1}", NULL, "b: expected true or false" },
		{ "{\"ss\":\"a\"}", NULL, "ss: expected an array" },
		{ "{\"m\":[]}", NULL, "m: expected an object" },
	};
	static const struct {
		const char *hex, *json; /* json NULL: refused with error */
		const char *error;
	} dec[] = {
		{ "", "{ }", NULL },
		{ "08ac02", "{ \"u\": \"300\" }", NULL },
		{ "10ffffffffffffffffff01", "{ \"i\": \"-1\" }", NULL },
		{ "1801", "{ \"b\": true }", NULL },
		{ "2a01612a0162", "{ \"ss\": [ \"a\", \"b\" ] }", NULL },
		{ "3a0208013a021001", NULL, "Inner.s: wire type 0, expected 2" },
		{ "3a0208013a021201", NULL, "s: 1 bytes announced, 0 left" },
		{ "3a0208013a0208020801", "{ \"ms\": [ { \"n\": \"1\" }, { \"n\": \"2\" } ], \"u\": \"1\" }", NULL },
		{ "0801" "0802", "{ \"u\": \"2\" }", NULL }, /* the last value wins */
		/* Unknown fields of every wire type are skipped. */
		{ "4801" "510102030405060708" "5a03616263" "6501020304" "0807", "{ \"u\": \"7\" }", NULL },
		{ "08", NULL, "truncated varint" },
		{ "08ffffffffffffffffff02", NULL, "varint over 64 bits" },
		{ "08ffffffffffffffffffff01", NULL, "varint over 64 bits" },
		{ "2205616263", NULL, "5 bytes announced, 3 left" },
		{ "220161" "00", NULL, "field number 0" },
		{ "2203610062", NULL, "a string holding NUL" },
		{ "0a0161", NULL, "Outer.u: wire type 2, expected 0" },
		{ "5b", NULL, "wire type 3" },
		{ "51010203", NULL, "truncated fixed value" },
	};

	tap_init();
	for (size_t i = 0; i < N(enc); i++) {
		json_object *in = json_tokener_parse(enc[i].json);
		struct ei_pb_buf out = { 0 };
		struct ei_err err = { 0 };
		char got[128];
		int r = ei_pb_encode(&outer, in, &out, &err);

		if (enc[i].hex) {
			tohex(out.data, out.len, got);
			tap_ok(r == 0, "encode %s: ok (%s)", enc[i].json, err.msg);
			tap_streq(got, enc[i].hex, "encode %s: bytes", enc[i].json);
		} else {
			tap_ok(r == EI_E_PARSE && strstr(err.msg, enc[i].error),
			       "encode %s refused: %s", enc[i].json, err.msg);
		}
		free(out.data);
		json_object_put(in);
	}
	for (size_t i = 0; i < N(dec); i++) {
		uint8_t b[64];
		size_t n = unhex(dec[i].hex, b);
		struct ei_err err = { 0 };
		json_object *o = NULL;
		int r = ei_pb_decode(&outer, b, n, &o, &err);

		if (dec[i].json) {
			tap_ok(r == 0, "decode %s: ok (%s)", dec[i].hex, err.msg);
			tap_streq(o ? json_object_to_json_string(o) : NULL, dec[i].json,
				  "decode %s: JSON", dec[i].hex);
		} else {
			tap_ok(r == EI_E_PARSE && strstr(err.msg, dec[i].error) && !o,
			       "decode %s refused: %s", dec[i].hex, err.msg);
		}
		json_object_put(o);
	}
	{
		/* Nesting: EI_PB_MAX_DEPTH levels of Self, then one more. */
		uint8_t b[64];
		size_t n = 0;
		struct ei_err err = { 0 };
		json_object *o = NULL;

		for (int d = 0; d <= EI_PB_MAX_DEPTH + 1; d++) {
			/* Wrap the bytes so far: 0a <len> <bytes>. */
			memmove(b + 2, b, n);
			b[0] = 0x0a;
			b[1] = (uint8_t)n;
			n += 2;
		}
		tap_ok(ei_pb_decode(&self_msg, b, n, &o, &err) == EI_E_PARSE &&
			       strstr(err.msg, "nested too deep"),
		       "nesting deeper than %d refused: %s", EI_PB_MAX_DEPTH, err.msg);
		json_object_put(o);
	}
	{
		/* EI_PB_MAX_VALUES + 1 values. */
		size_t count = EI_PB_MAX_VALUES + 1;
		uint8_t *b = malloc(2 * count);
		struct ei_err err = { 0 };
		json_object *o = NULL;

		for (size_t i = 0; i < count; i++) {
			b[2 * i] = 0x08;
			b[2 * i + 1] = 0x01;
		}
		tap_ok(ei_pb_decode(&outer, b, 2 * count, &o, &err) == EI_E_PARSE &&
			       strstr(err.msg, "more than"),
		       "more than %d values refused: %s", EI_PB_MAX_VALUES, err.msg);
		free(b);
		json_object_put(o);
	}
	return tap_done();
}
