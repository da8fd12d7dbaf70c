/* members.c - etcd's member lists, status and error bodies, parsed from JSON (see members.h).
 *
 * Pure: no I/O, no logging. Every parse either fills its output completely or
 * leaves it zeroed and returns EI_E_PARSE with a message naming the field; all
 * json-c objects are released on every path. */
#include "members.h"

#include "json.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#if ULLONG_MAX != UINT64_MAX
#error "strtoull must cover exactly the uint64 range"
#endif

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void ei_member_free(struct ei_member *m)
{
	if (!m)
		return;
	free(m->name);
	strv_free(m->peer_urls, m->n_peer_urls);
	strv_free(m->client_urls, m->n_client_urls);
	memset(m, 0, sizeof(*m));
}

void ei_member_list_free(struct ei_member_list *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->n_members; i++)
		ei_member_free(&list->members[i]);
	free(list->members);
	memset(list, 0, sizeof(*list));
}

static int strv_copy(char ***dst, size_t *n_dst, char *const *src, size_t n)
{
	*dst = NULL;
	*n_dst = 0;
	if (n == 0)
		return 0;
	*dst = calloc(n, sizeof(**dst));
	if (!*dst)
		return -1;
	for (size_t i = 0; i < n; i++) {
		(*dst)[i] = strdup(src[i]);
		if (!(*dst)[i])
			return -1;
		(*n_dst)++;
	}
	return 0;
}

int ei_member_copy(struct ei_member *dst, const struct ei_member *src, struct ei_err *err)
{
	memset(dst, 0, sizeof(*dst));
	dst->id = src->id;
	dst->is_learner = src->is_learner;
	if ((src->name && !(dst->name = strdup(src->name))) ||
	    strv_copy(&dst->peer_urls, &dst->n_peer_urls, src->peer_urls, src->n_peer_urls) < 0 ||
	    strv_copy(&dst->client_urls, &dst->n_client_urls, src->client_urls,
		      src->n_client_urls) < 0) {
		ei_member_free(dst);
		return ei_err_set(err, EI_E_NOMEM, "out of memory");
	}
	return 0;
}

/* A gateway uint64: a decimal string; absent means zero. */
static int get_u64_string(json_object *obj, const char *key, uint64_t *out, const char *ctx,
			  struct ei_err *err)
{
	json_object *v;
	int r = ei_json_field(obj, key, json_type_string, "a decimal string", &v, ctx, err);

	*out = 0;
	if (r == 1 && ei_json_u64_dec(json_object_get_string(v), out) < 0)
		return ei_err_set(err, EI_E_PARSE, "%s.%s: %.40s is not a uint64 in decimal", ctx,
				  key, json_object_get_string(v));
	return r < 0 ? r : 0;
}

/* A peer-API uint64: a bare non-negative integer (types.ID marshals as a number).
 * The text was checked by integers_fit_u64, so the json-c value is exact. */
static int get_u64_number(json_object *obj, const char *key, uint64_t *out, const char *ctx,
			  struct ei_err *err)
{
	json_object *v;
	int r = ei_json_field(obj, key, json_type_int, "an integer", &v, ctx, err);

	*out = 0;
	if (r == 0)
		return ei_err_set(err, EI_E_PARSE, "%s has no \"%s\"", ctx, key);
	if (r < 0)
		return r;
	if (json_object_get_int64(v) < 0)
		return ei_err_set(err, EI_E_PARSE, "%s.%s: negative ID %" PRId64, ctx, key,
				  json_object_get_int64(v));
	*out = json_object_get_uint64(v);
	return 0;
}

static int get_bool(json_object *obj, const char *key, bool *out, const char *ctx,
		    struct ei_err *err)
{
	json_object *v;
	int r = ei_json_field(obj, key, json_type_boolean, "a boolean", &v, ctx, err);

	*out = r == 1 && json_object_get_boolean(v);
	return r < 0 ? r : 0;
}

/* A member's name or URL becomes part of etcd's --initial-cluster "name=url,...": a NUL
 * (json-c keeps "\u0000", strdup would cut there), a ',' or a '=' would inject or hide
 * entries, so an answer holding one is malformed. */
static int check_text(const char *s, size_t len, const char *ctx, const char *key,
		      struct ei_err *err)
{
	if (strlen(s) != len)
		return ei_err_set(err, EI_E_PARSE, "%s.%s holds a NUL character", ctx, key);
	if (strpbrk(s, ",="))
		return ei_err_set(err, EI_E_PARSE, "%s.%s holds a ',' or '=' (member names and URLs become --initial-cluster's name=url,... entries): %.80s", ctx, key, s);
	return 0;
}

/* An optional string; "" and absent both give NULL (an unstarted member,
 * server/etcdserver/api/membership/member.go IsStarted). */
static int get_string(json_object *obj, const char *key, char **out, const char *ctx,
		      struct ei_err *err)
{
	json_object *v;
	int r = ei_json_field(obj, key, json_type_string, "a string", &v, ctx, err);

	*out = NULL;
	if (r <= 0 || json_object_get_string_len(v) == 0)
		return r < 0 ? r : 0;
	r = check_text(json_object_get_string(v), (size_t)json_object_get_string_len(v), ctx, key,
		       err);
	if (r < 0)
		return r;
	*out = strdup(json_object_get_string(v));
	return *out ? 0 : ei_err_set(err, EI_E_NOMEM, "out of memory");
}

/* An optional array of strings; absent or null (a nil Go slice) is empty. */
static int get_strv(json_object *obj, const char *key, char ***out, size_t *n_out, const char *ctx,
		    struct ei_err *err)
{
	json_object *v;
	int r = ei_json_field(obj, key, json_type_array, "an array", &v, ctx, err);
	size_t n;

	*out = NULL;
	*n_out = 0;
	if (r <= 0)
		return r;
	n = json_object_array_length(v);
	if (n == 0)
		return 0;
	*out = calloc(n, sizeof(**out));
	if (!*out)
		return ei_err_set(err, EI_E_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		json_object *s = json_object_array_get_idx(v, i);

		if (!json_object_is_type(s, json_type_string))
			return ei_err_set(err, EI_E_PARSE, "%s.%s[%zu]: expected a string, got %s",
					  ctx, key, i, json_type_to_name(json_object_get_type(s)));
		{
			char item[80];
			int c;

			snprintf(item, sizeof(item), "%s[%zu]", key, i);
			c = check_text(json_object_get_string(s),
				       (size_t)json_object_get_string_len(s), ctx, item, err);
			if (c < 0)
				return c;
		}
		(*out)[i] = strdup(json_object_get_string(s));
		if (!(*out)[i])
			return ei_err_set(err, EI_E_NOMEM, "out of memory");
		(*n_out)++;
	}
	return 0;
}

/* One member: gateway {"ID":"<dec>",...} or peer {"id":<number>,...}; same other keys. */
static int parse_member(json_object *o, bool peer, const char *ctx, struct ei_member *m,
			struct ei_err *err)
{
	int r;

	memset(m, 0, sizeof(*m));
	if (!json_object_is_type(o, json_type_object))
		return ei_err_set(err, EI_E_PARSE, "%s: expected an object, got %s", ctx,
				  json_type_to_name(json_object_get_type(o)));
	if (peer) {
		r = get_u64_number(o, "id", &m->id, ctx, err);
	} else {
		r = get_u64_string(o, "ID", &m->id, ctx, err);
		/* etcd never assigns ID 0 (raft.None); a missing ID is a broken answer. */
		if (r == 0 && m->id == 0)
			r = ei_err_set(err, EI_E_PARSE, "%s has no \"ID\"", ctx);
	}
	if (r == 0)
		r = get_string(o, "name", &m->name, ctx, err);
	if (r == 0)
		r = get_strv(o, "peerURLs", &m->peer_urls, &m->n_peer_urls, ctx, err);
	if (r == 0)
		r = get_strv(o, "clientURLs", &m->client_urls, &m->n_client_urls, ctx, err);
	if (r == 0)
		r = get_bool(o, "isLearner", &m->is_learner, ctx, err);
	if (r < 0)
		ei_member_free(m);
	return r;
}

/* Two members with one ID, one name or one peer URL: etcd never lists such a cluster
 * (its membership store is keyed by ID and refuses a duplicate peer URL), and either
 * would make --initial-cluster ambiguous. */
static int check_duplicates(const struct ei_member_list *l, const char *what, struct ei_err *err)
{
	for (size_t i = 0; i < l->n_members; i++) {
		const struct ei_member *a = &l->members[i];

		for (size_t k = 0; k < i; k++) {
			const struct ei_member *b = &l->members[k];

			if (a->id == b->id)
				return ei_err_set(err, EI_E_PARSE, "%s: members[%zu] and members[%zu] have the same ID %" PRIx64, what, k, i, a->id);
			if (a->name && b->name && strcmp(a->name, b->name) == 0)
				return ei_err_set(err, EI_E_PARSE, "%s: members[%zu] and members[%zu] have the same name %.80s", what, k, i, a->name);
			for (size_t u = 0; u < a->n_peer_urls; u++)
				for (size_t v = 0; v < b->n_peer_urls; v++)
					if (strcmp(a->peer_urls[u], b->peer_urls[v]) == 0)
						return ei_err_set(err, EI_E_PARSE, "%s: members[%zu] and members[%zu] have the same peer URL %.120s", what, k, i, a->peer_urls[u]);
		}
	}
	return 0;
}

static int parse_members_array(json_object *arr, bool peer, const char *what,
			       struct ei_member_list *out, struct ei_err *err)
{
	size_t n = json_object_array_length(arr);

	if (n == 0)
		return 0;
	if (n > EI_MEMBERS_MAX)
		return ei_err_set(err, EI_E_PARSE, "%s: %zu members (more than %d: not an etcd cluster this launcher will act on)",
				  what, n, EI_MEMBERS_MAX);
	out->members = calloc(n, sizeof(*out->members));
	if (!out->members)
		return ei_err_set(err, EI_E_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		char ctx[64];
		int r;

		snprintf(ctx, sizeof(ctx), "%s: members[%zu]", what, i);
		r = parse_member(json_object_array_get_idx(arr, i), peer, ctx, &out->members[i],
				 err);
		if (r < 0)
			return r;
		out->n_members++;
	}
	return check_duplicates(out, what, err);
}

/* The ResponseHeader: cluster_id and member_id (absent means unknown: the
 * gateway leaves zero values out, server/embed/serve.go registerGateway). */
static int parse_header(json_object *root, const char *what, uint64_t *cluster_id,
			uint64_t *member_id, uint64_t *raft_term, struct ei_err *err)
{
	json_object *h;
	char ctx[48];
	int r;

	*cluster_id = *member_id = *raft_term = 0;
	r = ei_json_field(root, "header", json_type_object, "an object", &h, what, err);
	if (r <= 0)
		return r;
	snprintf(ctx, sizeof(ctx), "%s: header", what);
	r = get_u64_string(h, "cluster_id", cluster_id, ctx, err);
	if (r == 0)
		r = get_u64_string(h, "member_id", member_id, ctx, err);
	if (r == 0)
		r = get_u64_string(h, "raft_term", raft_term, ctx, err);
	return r;
}

int ei_members_parse_gateway(const char *json, size_t len, struct ei_member_list *out,
			     struct ei_member *added, struct ei_err *err)
{
	static const char what[] = "member list";
	json_object *root, *arr, *m;
	int r;

	memset(out, 0, sizeof(*out));
	if (added)
		memset(added, 0, sizeof(*added));
	r = ei_json_parse(json, len, what, json_type_object, &root, err);
	if (r < 0)
		return r;
	r = parse_header(root, what, &out->cluster_id, &out->responder_id, &out->raft_term, err);
	if (r < 0)
		goto out;
	/* A cluster always has a member, so "members" is never omitted as empty. */
	r = ei_json_field(root, "members", json_type_array, "an array", &arr, what, err);
	if (r == 0)
		r = ei_err_set(err, EI_E_PARSE, "%s: no \"members\" in the answer", what);
	if (r < 0 || (r = parse_members_array(arr, false, what, out, err)) < 0)
		goto out;
	if (added && json_object_object_get_ex(root, "member", &m) && m)
		r = parse_member(m, false, "member add: member", added, err);
out:
	json_object_put(root);
	if (r < 0)
		ei_member_list_free(out);
	return r;
}

int ei_members_parse_peer(const char *json, size_t len, const char *cluster_id_hex,
			  struct ei_member_list *out, struct ei_err *err)
{
	static const char what[] = "peer member list";
	json_object *root;
	int r;

	memset(out, 0, sizeof(*out));
	if (cluster_id_hex && *cluster_id_hex &&
	    ei_json_u64_hex(cluster_id_hex, &out->cluster_id) < 0)
		return ei_err_set(err, EI_E_PARSE,
				  "%s: X-Etcd-Cluster-ID %.40s is not a hex uint64", what,
				  cluster_id_hex);
	r = ei_json_parse(json, len, what, json_type_array, &root, err);
	if (r < 0)
		return r;
	if (!ei_json_integers_fit_u64(json, len)) {
		r = ei_err_set(err, EI_E_PARSE, "%s: an integer does not fit in uint64", what);
		goto out;
	}
	r = parse_members_array(root, true, what, out, err);
out:
	json_object_put(root);
	if (r < 0)
		ei_member_list_free(out);
	return r;
}

int ei_members_parse_status(const char *json, size_t len, struct ei_member_status *out,
			    struct ei_err *err)
{
	static const char what[] = "status";
	json_object *root, *v;
	uint64_t header_term;
	int r;

	memset(out, 0, sizeof(*out));
	r = ei_json_parse(json, len, what, json_type_object, &root, err);
	if (r < 0)
		return r;
	r = parse_header(root, what, &out->cluster_id, &out->member_id, &header_term, err);
	if (r == 0)
		r = get_u64_string(root, "leader", &out->leader, what, err);
	if (r == 0)
		r = get_u64_string(root, "raftIndex", &out->raft_index, what, err);
	if (r == 0)
		r = get_u64_string(root, "raftAppliedIndex", &out->raft_applied_index, what, err);
	if (r == 0)
		r = get_u64_string(root, "raftTerm", &out->raft_term, what, err);
	if (r == 0)
		r = get_bool(root, "isLearner", &out->is_learner, what, err);
	if (r < 0)
		goto out;
	if (out->raft_term == 0)
		out->raft_term = header_term;
	/* Every server reports its version; without it this is not a StatusResponse. */
	if (!json_object_object_get_ex(root, "version", &v) ||
	    !json_object_is_type(v, json_type_string)) {
		r = ei_err_set(err, EI_E_PARSE, "%s: no \"version\" string in the answer", what);
		goto out;
	}
	snprintf(out->version, sizeof(out->version), "%s", json_object_get_string(v));
out:
	json_object_put(root);
	if (r < 0)
		memset(out, 0, sizeof(*out));
	return r;
}

/* Copy text into msg for a log line: control characters become spaces, and
 * leading and trailing space is trimmed (http.Error adds a newline,
 * server/etcdserver/api/etcdhttp/health.go NewHealthHandler). */
static void copy_text(char *msg, size_t msg_len, const char *text, size_t len)
{
	size_t n = 0;

	while (len && isspace((unsigned char)*text)) {
		text++;
		len--;
	}
	while (len && isspace((unsigned char)text[len - 1]))
		len--;
	for (size_t i = 0; i < len && n + 1 < msg_len; i++) {
		unsigned char ch = (unsigned char)text[i];

		msg[n++] = (ch < 0x20 || ch == 0x7f) ? ' ' : (char)ch;
	}
	if (msg_len)
		msg[n] = '\0';
}

enum ei_etcd_failure ei_members_parse_error(const char *body, size_t len, long http_status,
					    char *msg, size_t msg_len)
{
	static const char *const keys[] = {"message", "error"};
	json_object *root = NULL;
	char buf[512];

	buf[0] = '\0';
	/* An error body is often JSON but need not be: 405 is plain text in 3.4/3.5
	 * and a proxy may answer with HTML. Parse quietly, keep the text otherwise. */
	if (body && len)
		ei_json_parse(body, len, "error", json_type_object, &root, NULL);
	if (root) {
		/* 3.6 has only "message"; 3.4/3.5 have both (grpc-gateway's runtime/errors.go
		 * DefaultHTTPError in v1, a google.rpc.Status in v2). */
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]) && !buf[0]; i++) {
			json_object *v;

			if (json_object_object_get_ex(root, keys[i], &v) &&
			    json_object_is_type(v, json_type_string))
				copy_text(buf, sizeof(buf), json_object_get_string(v),
					  (size_t)json_object_get_string_len(v));
		}
	}
	json_object_put(root);
	if (!buf[0] && body && len)
		copy_text(buf, sizeof(buf), body, len);
	if (!buf[0])
		snprintf(buf, sizeof(buf), "HTTP %ld with an empty body", http_status);
	if (msg && msg_len)
		snprintf(msg, msg_len, "%s", buf);
	return ei_etcd_classify(http_status, buf);
}

/* etcd's messages (api/v3rpc/rpctypes/error.go; the gateway's body carries them, as
 * grpc-gateway's runtime/errors.go DefaultHTTPError writes it). Order matters:
 * the "in sync" promote message contains the shorter not-a-learner one. */
static const struct {
	const char *needle;
	enum ei_etcd_failure failure;
} message_table[] = {
    {"too many learner members in cluster", EI_ETCD_FAIL_TOO_MANY_LEARNERS},
    {"can only promote a learner member which is in sync", EI_ETCD_FAIL_NOT_IN_SYNC},
    {"can only promote a learner member", EI_ETCD_FAIL_NOT_LEARNER},
    {"peer urls already exists", EI_ETCD_FAIL_PEER_EXISTS},
    /* The ID is sha1(peer URLs + time in seconds) and is checked before the
     * URLs: re-adding the same peer URL within a second says this instead
     * (seen on 3.5.16). */
    {"member id already exist", EI_ETCD_FAIL_PEER_EXISTS},
    {"member not found", EI_ETCD_FAIL_NOT_FOUND},
    {"rpc not supported for learner", EI_ETCD_FAIL_LEARNER_RPC},
    {"unhealthy cluster", EI_ETCD_FAIL_UNHEALTHY},
    {"not enough started members", EI_ETCD_FAIL_UNHEALTHY},
    /* Also "..., possibly due to previous leader failure / connection lost". */
    {"request timed out", EI_ETCD_FAIL_UNHEALTHY},
    {"no leader", EI_ETCD_FAIL_UNHEALTHY},
    {"leader changed", EI_ETCD_FAIL_UNHEALTHY},
    /* A Grpc-Timeout that expired (DeadlineExceeded, 504), e.g. a linearizable
     * read without quorum (server/etcdserver/v3_server.go linearizableReadNotify). */
    {"context deadline exceeded", EI_ETCD_FAIL_UNHEALTHY},
    /* Auth: no token (400), bad token (401), not root (403), and the gateway's
     * refusal of a client certificate with a CN when auth is on (400,
     * server/embed/serve.go accessController.ServeHTTP). */
    {"user name is empty", EI_ETCD_FAIL_NO_CREDENTIALS},
    /* Over gRPC, a client certificate whose CN is no etcd user. */
    {"user name not found", EI_ETCD_FAIL_AUTH},
    {"invalid auth token", EI_ETCD_FAIL_AUTH},
    {"permission denied", EI_ETCD_FAIL_AUTH},
    {"authentication failed", EI_ETCD_FAIL_AUTH},
    {"commonname of client sending a request against gateway", EI_ETCD_FAIL_CN_REFUSED},
};

enum ei_etcd_failure ei_etcd_classify(long http_status, const char *message)
{
	if (http_status == 401 || http_status == 403)
		return EI_ETCD_FAIL_AUTH;
	if (message) {
		for (size_t i = 0; i < sizeof(message_table) / sizeof(message_table[0]); i++)
			if (strcasestr(message, message_table[i].needle))
				return message_table[i].failure;
	}
	/* Unavailable and DeadlineExceeded with a message we do not know: gRPC calls
	 * both retryable, so treat them as a cluster that is not ready yet. */
	if (http_status == 503 || http_status == 504)
		return EI_ETCD_FAIL_UNHEALTHY;
	if (http_status >= 200 && http_status < 300)
		return EI_ETCD_FAIL_NONE;
	return EI_ETCD_FAIL_OTHER;
}

bool ei_etcd_failure_is_auth(enum ei_etcd_failure f)
{
	return f == EI_ETCD_FAIL_AUTH || f == EI_ETCD_FAIL_NO_CREDENTIALS ||
	       f == EI_ETCD_FAIL_CN_REFUSED;
}

const char *ei_etcd_failure_name(enum ei_etcd_failure f)
{
	static const char *const names[] = {
	    [EI_ETCD_FAIL_NONE] = "none",
	    [EI_ETCD_FAIL_UNREACHABLE] = "unreachable",
	    [EI_ETCD_FAIL_TOO_MANY_LEARNERS] = "too-many-learners",
	    [EI_ETCD_FAIL_UNHEALTHY] = "unhealthy",
	    [EI_ETCD_FAIL_NOT_IN_SYNC] = "not-in-sync",
	    [EI_ETCD_FAIL_NOT_LEARNER] = "not-learner",
	    [EI_ETCD_FAIL_PEER_EXISTS] = "peer-exists",
	    [EI_ETCD_FAIL_NOT_FOUND] = "not-found",
	    [EI_ETCD_FAIL_LEARNER_RPC] = "learner-rpc",
	    [EI_ETCD_FAIL_AUTH] = "auth",
	    [EI_ETCD_FAIL_NO_CREDENTIALS] = "no-credentials",
	    [EI_ETCD_FAIL_CN_REFUSED] = "cn-refused",
	    [EI_ETCD_FAIL_BAD_ANSWER] = "bad-answer",
	    [EI_ETCD_FAIL_OTHER] = "other",
	};

	if ((unsigned)f < sizeof(names) / sizeof(names[0]) && names[f])
		return names[f];
	return "other";
}

const struct ei_member *ei_member_list_find_peer_url(const struct ei_member_list *l,
						     const char *peer_url)
{
	if (!l || !peer_url)
		return NULL;
	for (size_t i = 0; i < l->n_members; i++)
		for (size_t j = 0; j < l->members[i].n_peer_urls; j++)
			if (strcmp(l->members[i].peer_urls[j], peer_url) == 0)
				return &l->members[i];
	return NULL;
}

const struct ei_member *ei_member_list_find_name(const struct ei_member_list *l, const char *name)
{
	if (!l || !name)
		return NULL;
	for (size_t i = 0; i < l->n_members; i++)
		if (l->members[i].name && strcmp(l->members[i].name, name) == 0)
			return &l->members[i];
	return NULL;
}

const struct ei_member *ei_member_list_find_id(const struct ei_member_list *l, uint64_t id)
{
	if (!l)
		return NULL;
	for (size_t i = 0; i < l->n_members; i++)
		if (l->members[i].id == id)
			return &l->members[i];
	return NULL;
}

bool ei_member_is_started(const struct ei_member *m)
{
	return m && m->name && m->name[0];
}
