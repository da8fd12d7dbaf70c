/* status.c - the etcd-init status document (see status.h). */
#include "status.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

static void add_string(json_object *o, const char *key, const char *value)
{
	json_object_object_add(o, key, json_object_new_string(value));
}

static void add_u64(json_object *o, const char *key, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	add_string(o, key, buf);
}

char *ei_status_to_json(const struct ei_init_status *s)
{
	json_object *o = json_object_new_object();
	json_object *d = json_object_new_object();
	json_object *dec = json_object_new_object();
	char *text = NULL;

	if (!o || !d || !dec) {
		json_object_put(o);
		json_object_put(d);
		json_object_put(dec);
		return NULL;
	}
	add_string(o, "etcd_init", s->version);
	add_string(o, "name", s->name);
	add_string(o, "peer_url", s->peer_url);
	json_object_object_add(o, "initial_cluster_size",
			       json_object_new_int((int)s->initial_cluster_size));
	add_string(o, "initial_cluster_token", s->token);
	json_object_object_add(d, "has_wal", json_object_new_boolean(s->has_wal));
	if (s->has_ids) {
		add_u64(d, "member_id", s->member_id);
		add_u64(d, "cluster_id", s->cluster_id);
	}
	json_object_object_add(o, "data_dir", d);
	add_string(dec, "action", s->action);
	add_string(dec, "reason", s->reason);
	json_object_object_add(o, "decision", dec);
	text = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return text;
}

/* A required string of at most cap-1 bytes, copied into dst. */
static int get_str(json_object *o, const char *key, char *dst, size_t cap, const char *ctx,
		   struct ei_err *err)
{
	json_object *v;
	int r = ei_json_field(o, key, json_type_string, "a string", &v, ctx, err);

	if (r < 0)
		return r;
	if (r == 0)
		return ei_err_set(err, EI_E_PARSE, "%s has no \"%s\"", ctx, key);
	if ((size_t)json_object_get_string_len(v) >= cap)
		return ei_err_set(err, EI_E_PARSE, "%s.%s: longer than %zu bytes", ctx, key, cap - 1);
	memcpy(dst, json_object_get_string(v), (size_t)json_object_get_string_len(v) + 1);
	if (strlen(dst) != (size_t)json_object_get_string_len(v))
		return ei_err_set(err, EI_E_PARSE, "%s.%s: contains a NUL byte", ctx, key);
	return 0;
}

static int get_id(json_object *o, const char *key, uint64_t *out, bool *present, const char *ctx,
		  struct ei_err *err)
{
	json_object *v;
	int r = ei_json_field(o, key, json_type_string, "a decimal string", &v, ctx, err);

	*present = r == 1;
	if (r <= 0)
		return r;
	if (ei_json_u64_dec(json_object_get_string(v), out) < 0 || *out == 0)
		return ei_err_set(err, EI_E_PARSE, "%s.%s: %.40s is not a non-zero uint64 in decimal",
				  ctx, key, json_object_get_string(v));
	return 0;
}

static int parse_fields(json_object *root, struct ei_init_status *out, struct ei_err *err)
{
	static const char ctx[] = "etcd-init status";
	json_object *v, *d, *dec;
	bool has_member = false, has_cluster = false;
	int64_t size;
	int r;

	if ((r = get_str(root, "etcd_init", out->version, sizeof(out->version), ctx, err)) < 0 ||
	    (r = get_str(root, "name", out->name, sizeof(out->name), ctx, err)) < 0 ||
	    (r = get_str(root, "peer_url", out->peer_url, sizeof(out->peer_url), ctx, err)) < 0 ||
	    (r = get_str(root, "initial_cluster_token", out->token, sizeof(out->token), ctx, err)) < 0)
		return r;
	r = ei_json_field(root, "initial_cluster_size", json_type_int, "an integer", &v, ctx, err);
	if (r < 0)
		return r;
	if (r == 0)
		return ei_err_set(err, EI_E_PARSE, "%s has no \"initial_cluster_size\"", ctx);
	size = json_object_get_int64(v);
	if (size < 1 || size > 99)
		return ei_err_set(err, EI_E_PARSE, "%s.initial_cluster_size: %" PRId64
				  " is not a member count (1-99)", ctx, size);
	out->initial_cluster_size = (unsigned)size;

	r = ei_json_field(root, "data_dir", json_type_object, "an object", &d, ctx, err);
	if (r < 0)
		return r;
	if (r == 0)
		return ei_err_set(err, EI_E_PARSE, "%s has no \"data_dir\"", ctx);
	r = ei_json_field(d, "has_wal", json_type_boolean, "a boolean", &v, "data_dir", err);
	if (r < 0)
		return r;
	if (r == 0)
		return ei_err_set(err, EI_E_PARSE, "%s: data_dir has no \"has_wal\"", ctx);
	out->has_wal = json_object_get_boolean(v);
	if ((r = get_id(d, "member_id", &out->member_id, &has_member, "data_dir", err)) < 0 ||
	    (r = get_id(d, "cluster_id", &out->cluster_id, &has_cluster, "data_dir", err)) < 0)
		return r;
	if (has_member != has_cluster || (has_member && !out->has_wal))
		return ei_err_set(err, EI_E_PARSE,
				  "%s: data_dir has a member ID without a cluster ID or a WAL", ctx);
	out->has_ids = has_member;

	r = ei_json_field(root, "decision", json_type_object, "an object", &dec, ctx, err);
	if (r < 0)
		return r;
	if (r == 1) {
		json_object *a;

		if (ei_json_field(dec, "action", json_type_string, "a string", &a, "decision", NULL) ==
		    1)
			snprintf(out->action, sizeof(out->action), "%s", json_object_get_string(a));
		if (ei_json_field(dec, "reason", json_type_string, "a string", &a, "decision", NULL) ==
		    1)
			snprintf(out->reason, sizeof(out->reason), "%s", json_object_get_string(a));
	}
	return 0;
}

int ei_status_parse(const char *json, size_t len, struct ei_init_status *out, struct ei_err *err)
{
	json_object *root;
	int r;

	memset(out, 0, sizeof(*out));
	r = ei_json_parse(json, len, "etcd-init status", json_type_object, &root, err);
	if (r < 0)
		return r;
	r = parse_fields(root, out, err);
	json_object_put(root);
	if (r < 0)
		memset(out, 0, sizeof(*out));
	return r;
}
