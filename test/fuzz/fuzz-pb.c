/* Fuzz target: protobuf decoding, ei_pb_decode, for each message table of lib/grpc.c
 * (the request and the response of every method). The first byte picks the table:
 * method (byte / 2) % methods, its response when the byte is odd, its request when
 * even; the rest is the message.
 *
 * What decodes must encode again (ei_pb_encode takes the JSON shape ei_pb_decode
 * gives), and decode to the same JSON, but for the scalar fields at their default
 * value: the decoder keeps a 0, false or "" that was on the wire, the encoder leaves
 * them out (proto3), so they are removed before the comparison. */
#include "grpc.h"
#include "pb.h"
#include "fuzz.h"
#include "grpc-paths.h"

/* Remove o's non-repeated scalar fields at their default value, recursively. */
static void strip_defaults(const struct ei_pb_message *m, json_object *o)
{
	for (size_t i = 0; i < m->n_fields; i++) {
		const struct ei_pb_field *f = &m->fields[i];
		json_object *v;

		if (!json_object_object_get_ex(o, f->name, &v) || !v)
			continue;
		if (f->type == EI_PB_MESSAGE) {
			if (!f->repeated) {
				strip_defaults(f->message, v);
				continue;
			}
			for (size_t k = 0; k < json_object_array_length(v); k++)
				strip_defaults(f->message, json_object_array_get_idx(v, k));
			continue;
		}
		if (f->repeated)
			continue;
		if ((f->type == EI_PB_BOOL && !json_object_get_boolean(v)) ||
		    (f->type == EI_PB_STRING && json_object_get_string_len(v) == 0) ||
		    ((f->type == EI_PB_UINT64 || f->type == EI_PB_INT64) &&
		     strcmp(json_object_get_string(v), "0") == 0))
			json_object_object_del(o, f->name);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct ei_grpc_method *method;
	const struct ei_pb_message *m;
	struct ei_pb_buf buf = {0};
	struct ei_err err = {0};
	json_object *o = NULL, *again = NULL;
	int r;

	if (size < 1)
		return 0;
	method = ei_grpc_method_for(fuzz_grpc_paths[(data[0] / 2) % FUZZ_GRPC_N_PATHS]);
	if (!method)
		return 0;
	m = data[0] % 2 ? method->response : method->request;
	r = ei_pb_decode(m, data + 1, size - 1, &o, &err);
	if (r < 0) {
		FUZZ_CHECK(o == NULL && err.msg[0]);
		return 0;
	}
	FUZZ_CHECK(json_object_is_type(o, json_type_object));
	r = ei_pb_encode(m, o, &buf, &err);
	if (r < 0) {
		fprintf(stderr, "fuzz: %s: %s\nfuzz: does not encode again: %s\n", m->name,
			json_object_to_json_string(o), err.msg);
		abort();
	}
	r = ei_pb_decode(m, buf.data, buf.len, &again, &err);
	if (r < 0) {
		fprintf(stderr, "fuzz: %s: %s\nfuzz: re-encoded, does not decode: %s\n", m->name,
			json_object_to_json_string(o), err.msg);
		abort();
	}
	strip_defaults(m, o);
	if (!json_object_equal(o, again)) {
		fprintf(stderr, "fuzz: %s: %s\nfuzz: decodes again as %s\n", m->name,
			json_object_to_json_string(o), json_object_to_json_string(again));
		abort();
	}
	json_object_put(again);
	json_object_put(o);
	free(buf.data);
	return 0;
}
