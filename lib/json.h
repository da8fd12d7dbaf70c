/* json.h - strict JSON reading shared by the parsers of peer answers (pure).
 *
 * A peer's answer is untrusted input: exactly one JSON value of the expected type,
 * nesting at most EI_JSON_MAX_DEPTH deep, nothing after it, and 64-bit IDs read by one
 * checked parser. Bigger bounds (size) are the HTTP client's (http.h). */
#ifndef EI_JSON_H
#define EI_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "err.h"

/* No answer we read nests deeper than 4; anything beyond this is not etcd. */
#define EI_JSON_MAX_DEPTH 16
/* Objects, arrays and elements (counted as '{', '[' and ',' outside strings) of one
 * answer: a 256-member list has about 4000. json-c spends ~100 bytes per value, so a
 * peer that sends 1 MiB of "[{},{},...]" would otherwise cost hundreds of MB before any
 * field is checked; the count is taken on the raw bytes, before the tree is built. */
#define EI_JSON_MAX_TOKENS 16384

/* Parse exactly one JSON value of type want (json_type_null: any) from json[0..len):
 * empty, truncated and invalid input, trailing garbage, too deep a nesting, more than
 * EI_JSON_MAX_TOKENS values and another type are EI_E_PARSE with err naming `what`. On success *out holds a reference
 * (json_object_put it). */
int ei_json_parse(const char *json, size_t len, const char *what, enum json_type want,
		  json_object **out, struct ei_err *err);

/* The same with other bounds, for an answer that is not a peer's: the Kubernetes API's
 * objects carry managedFields, nested as deep as the fields they manage. */
int ei_json_parse_bounded(const char *json, size_t len, const char *what, enum json_type want,
			  int max_depth, size_t max_tokens, json_object **out, struct ei_err *err);

/* etcd's decimal uint64 strings: digits only (no sign, space or "0x"), the full uint64
 * range, nothing after. Returns 0 or -1. */
int ei_json_u64_dec(const char *s, uint64_t *out);

/* X-Etcd-Cluster-ID: hex without "0x", surrounding blanks allowed. Returns 0 or -1. */
int ei_json_u64_hex(const char *s, uint64_t *out);

/* json-c clamps integers above 2^64-1 to UINT64_MAX without an error, so a bare
 * integer must be checked in the raw text: true when every integer literal outside
 * a string fits in uint64. */
bool ei_json_integers_fit_u64(const char *json, size_t len);

/* Look up an optional field: 1 with *v set when present with type t, 0 when absent or
 * null, EI_E_PARSE (err: "<ctx>.<key>: expected <want>, got <type>") for another type. */
int ei_json_field(json_object *obj, const char *key, enum json_type t, const char *want,
		  json_object **v, const char *ctx, struct ei_err *err);

/* Overwrite every string value of o, recursively, in place: for JSON that held a
 * secret, before json_object_put (json-c frees without wiping). A serialisation of o
 * (what json_object_to_json_string_ext returned) is the caller's to wipe. */
void ei_json_wipe_strings(json_object *o);

#endif
