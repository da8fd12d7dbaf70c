/* Unit tests for lib/json.c: one value of the expected type, bounded depth and size of
 * the tree, IDs read by one checked parser. */
#include "json.h"
#include "tap.h"

#include <stdlib.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* "[{},{},...]" with n elements. */
static char *many(size_t n)
{
	char *s = malloc(3 * n + 3), *p = s;

	*p++ = '[';
	for (size_t i = 0; i < n; i++) {
		if (i)
			*p++ = ',';
		*p++ = '{';
		*p++ = '}';
	}
	*p++ = ']';
	*p = '\0';
	return s;
}

int main(void)
{
	static const struct {
		const char *json;
		enum json_type want;
		const char *error; /* NULL: parses */
	} cases[] = {
		{ "{\"a\":1}", json_type_object, NULL },
		{ "  [1, 2]  \n", json_type_array, NULL },
		{ "[]", json_type_object, "expected object, got array" },
		{ "null", json_type_object, "expected object, got null" },
		{ "", json_type_object, "empty body" },
		{ "{\"a\":", json_type_object, "truncated" },
		{ "{a}", json_type_object, "not JSON" },
		{ "{} {}", json_type_object, "unexpected data after" },
		{ "[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]", json_type_array, "nested deeper" },
		{ "[\"a,b,{c[\"]", json_type_array, NULL }, /* commas in strings do not count */
	};
	static const struct {
		const char *s;
		int ok;
		uint64_t v;
	} dec[] = {
		{ "0", 1, 0 }, { "18446744073709551615", 1, UINT64_MAX }, { "18446744073709551616", 0, 0 },
		{ "-1", 0, 0 }, { " 1", 0, 0 }, { "0x10", 0, 0 }, { "12a", 0, 0 }, { "", 0, 0 },
	};
	static const struct {
		const char *s;
		int ok;
		uint64_t v;
	} hex[] = {
		{ "81f6216fba577173", 1, 0x81f6216fba577173ULL }, { " abc\r\n", 1, 0xabc },
		{ "10000000000000000", 0, 0 }, { "xyz", 0, 0 }, { "", 0, 0 },
	};
	struct ei_err err;
	json_object *o;
	char *big;

	tap_init();
	for (size_t i = 0; i < N(cases); i++) {
		int r;

		memset(&err, 0, sizeof(err));
		r = ei_json_parse(cases[i].json, strlen(cases[i].json), "answer", cases[i].want, &o, &err);
		if (!cases[i].error)
			tap_ok(r == 0 && o, "parse case %zu", i);
		else
			tap_ok(r == EI_E_PARSE && !o && strstr(err.msg, cases[i].error) &&
				       strncmp(err.msg, "answer: ", 8) == 0,
			       "refuse %s: %s", cases[i].json, err.msg);
		json_object_put(o);
	}
	/* The size of the tree is bounded before it is built. */
	big = many(EI_JSON_MAX_TOKENS / 2 - 1);
	tap_ok(ei_json_parse(big, strlen(big), "list", json_type_array, &o, &err) == 0,
	       "a tree under the bound parses");
	json_object_put(o);
	free(big);
	big = many(EI_JSON_MAX_TOKENS);
	tap_ok(ei_json_parse(big, strlen(big), "list", json_type_array, &o, &err) == EI_E_PARSE &&
		       strstr(err.msg, "more than 16384 JSON values") && !o,
	       "a tree over the bound is refused unparsed: %s", err.msg);
	free(big);

	for (size_t i = 0; i < N(dec); i++) {
		uint64_t v = 7;
		int r = ei_json_u64_dec(dec[i].s, &v);

		tap_ok(dec[i].ok ? r == 0 && v == dec[i].v : r < 0, "decimal \"%s\": %s", dec[i].s,
		       dec[i].ok ? "read" : "refused");
	}
	for (size_t i = 0; i < N(hex); i++) {
		uint64_t v = 7;
		int r = ei_json_u64_hex(hex[i].s, &v);

		tap_ok(hex[i].ok ? r == 0 && v == hex[i].v : r < 0, "hex case %zu: %s", i,
		       hex[i].ok ? "read" : "refused");
	}
	tap_ok(ei_json_integers_fit_u64("[1, 18446744073709551615]", 25), "integers up to 2^64-1 fit");
	tap_ok(!ei_json_integers_fit_u64("[18446744073709551616]", 22), "2^64 does not fit");
	tap_ok(ei_json_integers_fit_u64("[\"18446744073709551616\"]", 24), "digits in a string are not an integer");
	{
		/* A secret in JSON is overwritten in place, nested ones too. */
		json_object *secret = json_tokener_parse(
			"{\"name\":\"root\",\"password\":\"s3cret\",\"a\":[\"x\",{\"b\":\"yz\"}],\"n\":1}");
		json_object *pw, *arr, *b;
		const char *p;
		int zero = 1;

		ei_json_wipe_strings(secret);
		json_object_object_get_ex(secret, "password", &pw);
		p = json_object_get_string(pw);
		for (int i = 0; i < json_object_get_string_len(pw); i++)
			zero &= p[i] == '\0';
		tap_ok(zero && json_object_get_string_len(pw) == 6, "wipe: the password's bytes are zero");
		json_object_object_get_ex(secret, "a", &arr);
		json_object_object_get_ex(json_object_array_get_idx(arr, 1), "b", &b);
		tap_ok(json_object_get_string(b)[0] == '\0' && json_object_get_string(b)[1] == '\0',
		       "wipe: strings nested in arrays and objects too");
		json_object_put(secret);
	}
	return tap_done();
}
