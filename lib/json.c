/* json.c - strict JSON reading of peer answers (see json.h). */
#include "json.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if ULLONG_MAX != UINT64_MAX
#error "strtoull must cover exactly the uint64 range"
#endif

/* The one checked parser for etcd's decimal uint64 strings (the gateway's protojson writes
 * 64-bit integers as strings; server/embed/serve.go registerGateway):
 * digits only (no sign, no space, no "0x"), the full uint64 range, nothing after. */
int ei_json_u64_dec(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || !isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE || *end)
		return -1;
	*out = v;
	return 0;
}

/* X-Etcd-Cluster-ID is types.ID.String(): hex without "0x" (client/pkg/types/id.go); surrounding
 * blanks (and a header line's CRLF) are allowed, nothing else. */
int ei_json_u64_hex(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	size_t n = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	for (; isxdigit((unsigned char)*s); s++, n++) {
		if (v >> 60)
			return -1; /* a 17th significant digit */
		v = v << 4 |
		    (uint64_t)(isdigit((unsigned char)*s) ? *s - '0'
							  : tolower((unsigned char)*s) - 'a' + 10);
	}
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	if (n == 0 || *s)
		return -1;
	*out = v;
	return 0;
}

/* json-c clamps integers above 2^64-1 to UINT64_MAX without an error (0.16 and
 * later), so an out-of-range peer "id" would read as a valid one. Scan the raw
 * text: every integer literal outside a string must fit in uint64. */
bool ei_json_integers_fit_u64(const char *json, size_t len)
{
	bool in_string = false;

	for (size_t i = 0; i < len; i++) {
		char digits[24];
		size_t start, n = 0;
		bool integer = true;
		uint64_t v;

		if (in_string) {
			if (json[i] == '\\')
				i++;
			else if (json[i] == '"')
				in_string = false;
			continue;
		}
		if (json[i] == '"') {
			in_string = true;
			continue;
		}
		if (!isdigit((unsigned char)json[i]) && json[i] != '-')
			continue;
		/* One number token; a fraction or exponent makes it a double, which
		 * the type checks reject, and a sign makes it negative (likewise). */
		start = i;
		while (i < len && json[i] && strchr("0123456789+-.eE", json[i])) {
			if (!isdigit((unsigned char)json[i]))
				integer = false;
			else if (n < sizeof(digits) - 1)
				digits[n++] = json[i];
			i++;
		}
		digits[n] = '\0';
		if (integer && (i - start >= sizeof(digits) - 1 || ei_json_u64_dec(digits, &v) < 0))
			return false;
		i--;
	}
	return true;
}

/* Parse exactly one JSON value of type want (json_type_null: any) from
 * json[0..len) into *out: empty, truncated and invalid input, trailing garbage
 * and another type are all EI_E_PARSE. */
int ei_json_parse(const char *json, size_t len, const char *what, enum json_type want,
		  json_object **out, struct ei_err *err)
{
	return ei_json_parse_bounded(json, len, what, want, EI_JSON_MAX_DEPTH, EI_JSON_MAX_TOKENS,
				     out, err);
}

int ei_json_parse_bounded(const char *json, size_t len, const char *what, enum json_type want,
			  int max_depth, size_t max_tokens, json_object **out, struct ei_err *err)
{
	json_tokener *tok;
	json_object *root;
	enum json_tokener_error jerr;
	size_t end;

	*out = NULL;
	if (!json || len == 0)
		return ei_err_set(err, EI_E_PARSE, "%s: empty body", what);
	if (len > INT_MAX)
		return ei_err_set(err, EI_E_PARSE, "%s: body too large (%zu bytes)", what, len);
	{
		size_t tokens = 0;
		bool in_string = false;

		for (size_t i = 0; i < len; i++) {
			char ch = json[i];

			if (in_string) {
				if (ch == '\\')
					i++;
				else if (ch == '"')
					in_string = false;
			} else if (ch == '"') {
				in_string = true;
			} else if (ch == '{' || ch == '[' || ch == ',') {
				if (++tokens > max_tokens)
					return ei_err_set(err, EI_E_PARSE,
							  "%s: more than %zu JSON values (not an answer we read)",
							  what, max_tokens);
			}
		}
	}
	tok = json_tokener_new_ex(max_depth);
	if (!tok)
		return ei_err_set(err, EI_E_NOMEM, "out of memory");
	root = json_tokener_parse_ex(tok, json, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	/* A top-level number or literal ("null", "12") ends only at a delimiter: json-c
	 * wants the terminating NUL to finish it (json_tokener_parse_ex(3)). */
	if (!root && jerr == json_tokener_continue && end == len) {
		root = json_tokener_parse_ex(tok, "", 1);
		if (json_tokener_get_error(tok) == json_tokener_success)
			jerr = json_tokener_success;
	}
	json_tokener_free(tok);
	if (!root && jerr == json_tokener_success)
		return ei_err_set(err, EI_E_PARSE, "%s: expected %s, got null", what,
				  json_type_to_name(want == json_type_null ? json_type_object : want));
	if (!root || jerr != json_tokener_success) {
		json_object_put(root);
		if (jerr == json_tokener_error_depth)
			return ei_err_set(err, EI_E_PARSE, "%s: JSON nested deeper than %d levels",
					  what, max_depth);
		if (jerr == json_tokener_continue)
			return ei_err_set(err, EI_E_PARSE, "%s: truncated JSON (%zu bytes)", what,
					  len);
		return ei_err_set(err, EI_E_PARSE, "%s: not JSON (%s at byte %zu)", what,
				  json_tokener_error_desc(jerr), end);
	}
	/* parse_end counts trailing whitespace, so anything left is garbage
	 * (a second value, or bytes after an embedded NUL). */
	if (end < len) {
		json_object_put(root);
		return ei_err_set(err, EI_E_PARSE,
				  "%s: unexpected data after the JSON value at byte %zu", what,
				  end);
	}
	if (want != json_type_null && !json_object_is_type(root, want)) {
		enum json_type got = json_object_get_type(root);

		json_object_put(root);
		return ei_err_set(err, EI_E_PARSE, "%s: expected %s, got %s", what,
				  json_type_to_name(want), json_type_to_name(got));
	}
	*out = root;
	return 0;
}

/* Look up an optional field: 1 with *v set when present with type t, 0 when
 * absent or null (an omitted zero value: server/embed/serve.go
 * registerGateway), EI_E_PARSE for another type. */
int ei_json_field(json_object *obj, const char *key, enum json_type t, const char *want,
		 json_object **v, const char *ctx, struct ei_err *err)
{
	if (!json_object_object_get_ex(obj, key, v) || !*v)
		return 0;
	if (!json_object_is_type(*v, t))
		return ei_err_set(err, EI_E_PARSE, "%s.%s: expected %s, got %s", ctx, key, want,
				  json_type_to_name(json_object_get_type(*v)));
	return 1;
}


void ei_json_wipe_strings(json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_string:
		/* json-c keeps the string's bytes inside the object; nothing reads them after. */
		explicit_bzero((char *)(uintptr_t)json_object_get_string(o),
			       (size_t)json_object_get_string_len(o));
		break;
	case json_type_object: {
		json_object_object_foreach(o, key, val)
		{
			(void)key;
			ei_json_wipe_strings(val);
		}
		break;
	}
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(o); i++)
			ei_json_wipe_strings(json_object_array_get_idx(o, i));
		break;
	case json_type_null:
	case json_type_boolean:
	case json_type_double:
	case json_type_int:
	default:
		break;
	}
}
