/* pb.c - protocol buffers wire format <-> gateway JSON (see pb.h).
 *
 * Wire format (protobuf.dev/programming-guides/encoding): a message is a sequence of
 * (key, value) with key = field_number << 3 | wire_type; wire type 0 is a varint, 1 a
 * fixed 64-bit value, 2 a length-delimited value (varint length, then the bytes), 5 a
 * fixed 32-bit value; 3 and 4 (groups) are obsolete and no etcd message has them. */
#include "pb.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

enum { WIRE_VARINT = 0, WIRE_FIXED64 = 1, WIRE_LEN = 2, WIRE_FIXED32 = 5 };

static int wire_type_of(enum ei_pb_type t)
{
	return t == EI_PB_STRING || t == EI_PB_MESSAGE ? WIRE_LEN : WIRE_VARINT;
}

/* ---- encoding ---- */

int ei_pb_buf_put(struct ei_pb_buf *b, const void *p, size_t n, struct ei_err *err)
{
	if (n > b->cap - b->len) {
		size_t cap = b->cap ? b->cap : 64;
		uint8_t *d;

		while (cap - b->len < n)
			cap *= 2;
		d = realloc(b->data, cap);
		if (!d)
			return ei_err_set(err, EI_E_NOMEM, "out of memory");
		b->data = d;
		b->cap = cap;
	}
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

static int put_varint(struct ei_pb_buf *b, uint64_t v, struct ei_err *err)
{
	uint8_t tmp[10];
	size_t n = 0;

	do {
		tmp[n] = (uint8_t)(v & 0x7f);
		v >>= 7;
		if (v)
			tmp[n] |= 0x80;
		n++;
	} while (v);
	return ei_pb_buf_put(b, tmp, n, err);
}

static int put_key(struct ei_pb_buf *b, unsigned number, int wire, struct ei_err *err)
{
	return put_varint(b, (uint64_t)number << 3 | (unsigned)wire, err);
}

/* A JSON integer or decimal string as 64 bits (int64: a leading '-' allowed). */
static int json_u64(json_object *v, bool is_signed, uint64_t *out)
{
	if (json_object_is_type(v, json_type_int)) {
		if (is_signed) {
			*out = (uint64_t)json_object_get_int64(v);
			return 0;
		}
		if (json_object_get_int64(v) < 0)
			return -1;
		*out = json_object_get_uint64(v);
		return 0;
	}
	if (json_object_is_type(v, json_type_string)) {
		const char *s = json_object_get_string(v);
		uint64_t u;

		if (is_signed && s[0] == '-') {
			if (ei_json_u64_dec(s + 1, &u) < 0 || u > (uint64_t)INT64_MAX + 1)
				return -1;
			*out = (uint64_t)0 - u;
			return 0;
		}
		if (ei_json_u64_dec(s, &u) < 0 || (is_signed && u > (uint64_t)INT64_MAX))
			return -1;
		*out = u;
		return 0;
	}
	return -1;
}

static int encode_message(const struct ei_pb_message *m, json_object *in, struct ei_pb_buf *out,
			  int depth, struct ei_err *err);

static int encode_value(const struct ei_pb_field *f, json_object *v, struct ei_pb_buf *out,
			int depth, struct ei_err *err)
{
	uint64_t u;
	int r;

	switch (f->type) {
	case EI_PB_UINT64:
	case EI_PB_INT64:
		if (json_u64(v, f->type == EI_PB_INT64, &u) < 0)
			return ei_err_set(err, EI_E_PARSE, "%s: expected a 64-bit integer", f->name);
		if (u == 0 && !f->repeated)
			return 0;
		return (r = put_key(out, f->number, WIRE_VARINT, err)) < 0 ? r
									    : put_varint(out, u, err);
	case EI_PB_BOOL:
		if (!json_object_is_type(v, json_type_boolean))
			return ei_err_set(err, EI_E_PARSE, "%s: expected true or false", f->name);
		if (!json_object_get_boolean(v) && !f->repeated)
			return 0;
		return (r = put_key(out, f->number, WIRE_VARINT, err)) < 0
			       ? r
			       : put_varint(out, json_object_get_boolean(v) ? 1 : 0, err);
	case EI_PB_STRING: {
		size_t n;

		if (!json_object_is_type(v, json_type_string))
			return ei_err_set(err, EI_E_PARSE, "%s: expected a string", f->name);
		n = (size_t)json_object_get_string_len(v);
		if (n == 0 && !f->repeated)
			return 0;
		if ((r = put_key(out, f->number, WIRE_LEN, err)) < 0 ||
		    (r = put_varint(out, n, err)) < 0)
			return r;
		return ei_pb_buf_put(out, json_object_get_string(v), n, err);
	}
	case EI_PB_MESSAGE: {
		struct ei_pb_buf sub = { 0 };

		if (!json_object_is_type(v, json_type_object))
			return ei_err_set(err, EI_E_PARSE, "%s: expected an object", f->name);
		r = encode_message(f->message, v, &sub, depth + 1, err);
		if (r == 0 && (r = put_key(out, f->number, WIRE_LEN, err)) == 0 &&
		    (r = put_varint(out, sub.len, err)) == 0)
			r = ei_pb_buf_put(out, sub.data, sub.len, err);
		free(sub.data);
		return r;
	}
	default:
		return ei_err_set(err, EI_E_PARSE, "%s: a type pb.c cannot encode", f->name);
	}
}

static const struct ei_pb_field *field_named(const struct ei_pb_message *m, const char *name)
{
	for (size_t i = 0; i < m->n_fields; i++)
		if (strcmp(m->fields[i].name, name) == 0)
			return &m->fields[i];
	return NULL;
}

static int encode_message(const struct ei_pb_message *m, json_object *in, struct ei_pb_buf *out,
			  int depth, struct ei_err *err)
{
	if (depth > EI_PB_MAX_DEPTH)
		return ei_err_set(err, EI_E_PARSE, "%s: nested too deep", m->name);
	json_object_object_foreach(in, key, val)
	{
		const struct ei_pb_field *f = field_named(m, key);
		int r = 0;

		if (!f)
			return ei_err_set(err, EI_E_PARSE, "%s has no field \"%s\"", m->name, key);
		if (!val)
			continue;
		if (!f->repeated) {
			r = encode_value(f, val, out, depth, err);
		} else if (!json_object_is_type(val, json_type_array)) {
			r = ei_err_set(err, EI_E_PARSE, "%s: expected an array", f->name);
		} else {
			for (size_t i = 0; r == 0 && i < json_object_array_length(val); i++)
				r = encode_value(f, json_object_array_get_idx(val, i), out, depth, err);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

int ei_pb_encode(const struct ei_pb_message *m, json_object *in, struct ei_pb_buf *out,
		 struct ei_err *err)
{
	if (!json_object_is_type(in, json_type_object))
		return ei_err_set(err, EI_E_PARSE, "%s: expected a JSON object", m->name);
	return encode_message(m, in, out, 0, err);
}

/* ---- decoding ---- */

struct reader {
	const uint8_t *data;
	size_t len, pos;
	size_t values; /* decoded so far, against EI_PB_MAX_VALUES */
};

static int get_varint(struct reader *rd, uint64_t *out, const char *what, struct ei_err *err)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < 10; i++) {
		uint8_t b;

		if (rd->pos >= rd->len)
			return ei_err_set(err, EI_E_PARSE, "%s: truncated varint at byte %zu", what,
					  rd->pos);
		b = rd->data[rd->pos++];
		/* The tenth byte holds bit 63 alone. */
		if (i == 9 && b > 1)
			return ei_err_set(err, EI_E_PARSE, "%s: varint over 64 bits at byte %zu",
					  what, rd->pos);
		v |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80)) {
			*out = v;
			return 0;
		}
	}
	return ei_err_set(err, EI_E_PARSE, "%s: varint longer than 10 bytes at byte %zu", what,
			  rd->pos);
}

/* A length-delimited value: its bytes stay in the buffer. */
static int get_len(struct reader *rd, const uint8_t **p, size_t *n, const char *what,
		   struct ei_err *err)
{
	uint64_t l;
	int r = get_varint(rd, &l, what, err);

	if (r < 0)
		return r;
	if (l > rd->len - rd->pos)
		return ei_err_set(err, EI_E_PARSE, "%s: %" PRIu64 " bytes announced, %zu left",
				  what, l, rd->len - rd->pos);
	*p = rd->data + rd->pos;
	*n = (size_t)l;
	rd->pos += (size_t)l;
	return 0;
}

static int skip_value(struct reader *rd, int wire, const char *what, struct ei_err *err)
{
	const uint8_t *p = NULL;
	uint64_t v;
	size_t n = 0;

	switch (wire) {
	case WIRE_VARINT:
		return get_varint(rd, &v, what, err);
	case WIRE_LEN:
		return get_len(rd, &p, &n, what, err);
	case WIRE_FIXED64:
	case WIRE_FIXED32:
		n = wire == WIRE_FIXED64 ? 8 : 4;
		if (n > rd->len - rd->pos)
			return ei_err_set(err, EI_E_PARSE, "%s: truncated fixed value", what);
		rd->pos += n;
		return 0;
	default:
		return ei_err_set(err, EI_E_PARSE, "%s: wire type %d at byte %zu", what, wire,
				  rd->pos);
	}
}

static int decode_message(const struct ei_pb_message *m, struct reader *rd, json_object *obj,
			  int depth, struct ei_err *err);

static const struct ei_pb_field *field_numbered(const struct ei_pb_message *m, uint64_t number)
{
	for (size_t i = 0; i < m->n_fields; i++)
		if (m->fields[i].number == number)
			return &m->fields[i];
	return NULL;
}

/* One value of field f (its key already read) as a new JSON value in *out. */
static int decode_value(const struct ei_pb_field *f, struct reader *rd, json_object **out,
			int depth, struct ei_err *err)
{
	const uint8_t *p = NULL; /* set by get_len (-O3 cannot tell) */
	char num[24];
	uint64_t v;
	size_t n = 0;
	int r;

	*out = NULL;
	switch (f->type) {
	case EI_PB_UINT64:
	case EI_PB_INT64:
		if ((r = get_varint(rd, &v, f->name, err)) < 0)
			return r;
		if (f->type == EI_PB_INT64)
			snprintf(num, sizeof(num), "%" PRId64, (int64_t)v);
		else
			snprintf(num, sizeof(num), "%" PRIu64, v);
		*out = json_object_new_string(num);
		break;
	case EI_PB_BOOL:
		if ((r = get_varint(rd, &v, f->name, err)) < 0)
			return r;
		*out = json_object_new_boolean(v != 0);
		break;
	case EI_PB_STRING:
		if ((r = get_len(rd, &p, &n, f->name, err)) < 0)
			return r;
		if (memchr(p, '\0', n))
			return ei_err_set(err, EI_E_PARSE, "%s: a string holding NUL", f->name);
		*out = json_object_new_string_len((const char *)p, (int)n);
		break;
	case EI_PB_MESSAGE: {
		struct reader sub;

		if ((r = get_len(rd, &p, &n, f->name, err)) < 0)
			return r;
		sub = (struct reader){ .data = p, .len = n, .values = rd->values };
		*out = json_object_new_object();
		if (*out && (r = decode_message(f->message, &sub, *out, depth + 1, err)) < 0) {
			json_object_put(*out);
			*out = NULL;
			return r;
		}
		rd->values = sub.values;
		break;
	}
	default:
		return ei_err_set(err, EI_E_PARSE, "%s: a type pb.c cannot decode", f->name);
	}
	return *out ? 0 : ei_err_set(err, EI_E_NOMEM, "out of memory");
}

static int decode_message(const struct ei_pb_message *m, struct reader *rd, json_object *obj,
			  int depth, struct ei_err *err)
{
	if (depth > EI_PB_MAX_DEPTH)
		return ei_err_set(err, EI_E_PARSE, "%s: nested too deep", m->name);
	while (rd->pos < rd->len) {
		const struct ei_pb_field *f;
		json_object *v, *arr;
		uint64_t key;
		int r, wire;

		if ((r = get_varint(rd, &key, m->name, err)) < 0)
			return r;
		wire = (int)(key & 7);
		if (key >> 3 == 0)
			return ei_err_set(err, EI_E_PARSE, "%s: field number 0 at byte %zu", m->name,
					  rd->pos);
		if (++rd->values > EI_PB_MAX_VALUES)
			return ei_err_set(err, EI_E_PARSE, "%s: more than %d values", m->name,
					  EI_PB_MAX_VALUES);
		f = field_numbered(m, key >> 3);
		if (!f) {
			if ((r = skip_value(rd, wire, m->name, err)) < 0)
				return r;
			continue;
		}
		if (wire != wire_type_of(f->type))
			return ei_err_set(err, EI_E_PARSE, "%s.%s: wire type %d, expected %d",
					  m->name, f->name, wire, wire_type_of(f->type));
		if ((r = decode_value(f, rd, &v, depth, err)) < 0)
			return r;
		if (!f->repeated) {
			/* proto3: the last value of a field wins. */
			json_object_object_add(obj, f->name, v);
			continue;
		}
		if (!json_object_object_get_ex(obj, f->name, &arr)) {
			arr = json_object_new_array();
			if (!arr || json_object_object_add(obj, f->name, arr) < 0) {
				json_object_put(arr);
				json_object_put(v);
				return ei_err_set(err, EI_E_NOMEM, "out of memory");
			}
		}
		if (json_object_array_add(arr, v) < 0) {
			json_object_put(v);
			return ei_err_set(err, EI_E_NOMEM, "out of memory");
		}
	}
	return 0;
}

int ei_pb_decode(const struct ei_pb_message *m, const uint8_t *data, size_t len,
		 json_object **out, struct ei_err *err)
{
	struct reader rd = { .data = data, .len = len };
	int r;

	*out = json_object_new_object();
	if (!*out)
		return ei_err_set(err, EI_E_NOMEM, "out of memory");
	r = decode_message(m, &rd, *out, 0, err);
	if (r < 0) {
		json_object_put(*out);
		*out = NULL;
	}
	return r;
}
