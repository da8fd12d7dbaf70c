/* pb.h - protocol buffers wire format to and from the JSON shape of etcd's gateway,
 * driven by a small schema table (pure).
 *
 * etcd-init reads and writes etcd's JSON everywhere (members.c, etcdclient.c). Where
 * the JSON gateway cannot be used (a client certificate's CN as the etcd user, which
 * the gateway refuses, server/embed/serve.go accessController.ServeHTTP), the same requests go over gRPC: their JSON body
 * is encoded here into the protobuf message, and the answer decoded back into the JSON
 * the gateway would have sent (grpc-gateway's rules: the .proto field names, 64-bit
 * integers as decimal strings, fields at their default value left out), so the
 * parsers and the evidence rules stay the same for both transports.
 *
 * Only what etcd's messages need: uint64, int64, bool, string, nested messages, and
 * repeated strings and messages. Decoding treats the bytes as untrusted: unknown fields
 * are skipped by their wire type, a known field with another wire type, a truncated
 * value, a varint over 10 bytes, a string holding NUL, group wire types, nesting deeper
 * than EI_PB_MAX_DEPTH or more than EI_PB_MAX_VALUES values are EI_E_PARSE. */
#ifndef EI_PB_H
#define EI_PB_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "err.h"

#define EI_PB_MAX_DEPTH 8
/* The same budget as a JSON answer (json.h EI_JSON_MAX_TOKENS). */
#define EI_PB_MAX_VALUES 16384

enum ei_pb_type {
	EI_PB_UINT64,  /* varint; JSON: decimal string */
	EI_PB_INT64,   /* varint, two's complement; JSON: decimal string */
	EI_PB_BOOL,    /* varint; JSON: true (false is left out) */
	EI_PB_STRING,  /* length-delimited; JSON: string */
	EI_PB_MESSAGE, /* length-delimited; JSON: object */
};

struct ei_pb_message;

struct ei_pb_field {
	unsigned number;
	const char *name; /* the .proto name, which is the gateway's JSON name */
	enum ei_pb_type type;
	int repeated;                        /* JSON: an array */
	const struct ei_pb_message *message; /* for EI_PB_MESSAGE */
};

struct ei_pb_message {
	const char *name; /* for messages: "MemberListResponse" */
	const struct ei_pb_field *fields;
	size_t n_fields;
};

/* A growing byte buffer; free data with free(). */
struct ei_pb_buf {
	uint8_t *data;
	size_t len, cap;
};

/* Append n bytes. Returns 0 or EI_E_NOMEM. */
int ei_pb_buf_put(struct ei_pb_buf *b, const void *p, size_t n, struct ei_err *err);

/* Encode the JSON object in (fields by .proto name; unknown names are an error, so a
 * typo in a request cannot vanish) as message m, appending to out. 64-bit integers may
 * be JSON integers or decimal strings. Returns 0, EI_E_PARSE (err names the field) or
 * EI_E_NOMEM. */
int ei_pb_encode(const struct ei_pb_message *m, json_object *in, struct ei_pb_buf *out,
		 struct ei_err *err);

/* Decode data[0..len) as message m into a new JSON object (*out; json_object_put it).
 * Returns 0, EI_E_PARSE (err says what and at which byte) or EI_E_NOMEM. */
int ei_pb_decode(const struct ei_pb_message *m, const uint8_t *data, size_t len,
		 json_object **out, struct ei_err *err);

#endif
