/* grpc.c - etcd's gateway calls over gRPC (see grpc.h).
 *
 * The messages are etcd's api/etcdserverpb/rpc.proto (the same field numbers in 3.4,
 * 3.5 and 3.6; fields a version does not have are skipped as unknown). A gRPC message
 * on the wire is a 5-byte prefix (a compressed flag, which we never ask for and refuse,
 * and a big-endian 32-bit length) and the protobuf bytes. */
#include "grpc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "json.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct ei_pb_field header_fields[] = {
	{ 1, "cluster_id", EI_PB_UINT64, 0, NULL },
	{ 2, "member_id", EI_PB_UINT64, 0, NULL },
	{ 3, "revision", EI_PB_INT64, 0, NULL },
	{ 4, "raft_term", EI_PB_UINT64, 0, NULL },
};
static const struct ei_pb_message header_msg = { "ResponseHeader", header_fields,
						 N(header_fields) };

static const struct ei_pb_field member_fields[] = {
	{ 1, "ID", EI_PB_UINT64, 0, NULL },
	{ 2, "name", EI_PB_STRING, 0, NULL },
	{ 3, "peerURLs", EI_PB_STRING, 1, NULL },
	{ 4, "clientURLs", EI_PB_STRING, 1, NULL },
	{ 5, "isLearner", EI_PB_BOOL, 0, NULL },
};
static const struct ei_pb_message member_msg = { "Member", member_fields, N(member_fields) };

static const struct ei_pb_field list_req_fields[] = {
	{ 1, "linearizable", EI_PB_BOOL, 0, NULL },
};
static const struct ei_pb_message list_req = { "MemberListRequest", list_req_fields,
					       N(list_req_fields) };

/* MemberListResponse, MemberRemoveResponse and MemberPromoteResponse. */
static const struct ei_pb_field members_resp_fields[] = {
	{ 1, "header", EI_PB_MESSAGE, 0, &header_msg },
	{ 2, "members", EI_PB_MESSAGE, 1, &member_msg },
};
static const struct ei_pb_message list_resp = { "MemberListResponse", members_resp_fields,
						N(members_resp_fields) };
static const struct ei_pb_message remove_resp = { "MemberRemoveResponse", members_resp_fields,
						  N(members_resp_fields) };
static const struct ei_pb_message promote_resp = { "MemberPromoteResponse",
						   members_resp_fields,
						   N(members_resp_fields) };

static const struct ei_pb_field add_req_fields[] = {
	{ 1, "peerURLs", EI_PB_STRING, 1, NULL },
	{ 2, "isLearner", EI_PB_BOOL, 0, NULL },
};
static const struct ei_pb_message add_req = { "MemberAddRequest", add_req_fields,
					      N(add_req_fields) };

static const struct ei_pb_field add_resp_fields[] = {
	{ 1, "header", EI_PB_MESSAGE, 0, &header_msg },
	{ 2, "member", EI_PB_MESSAGE, 0, &member_msg },
	{ 3, "members", EI_PB_MESSAGE, 1, &member_msg },
};
static const struct ei_pb_message add_resp = { "MemberAddResponse", add_resp_fields,
					       N(add_resp_fields) };

static const struct ei_pb_field id_req_fields[] = {
	{ 1, "ID", EI_PB_UINT64, 0, NULL },
};
static const struct ei_pb_message remove_req = { "MemberRemoveRequest", id_req_fields,
						 N(id_req_fields) };
static const struct ei_pb_message promote_req = { "MemberPromoteRequest", id_req_fields,
						  N(id_req_fields) };

static const struct ei_pb_message status_req = { "StatusRequest", NULL, 0 };
/* 3.6's storageVersion, dbSizeQuota and downgradeInfo are not read (skipped). */
static const struct ei_pb_field status_resp_fields[] = {
	{ 1, "header", EI_PB_MESSAGE, 0, &header_msg },
	{ 2, "version", EI_PB_STRING, 0, NULL },
	{ 3, "dbSize", EI_PB_INT64, 0, NULL },
	{ 4, "leader", EI_PB_UINT64, 0, NULL },
	{ 5, "raftIndex", EI_PB_UINT64, 0, NULL },
	{ 6, "raftTerm", EI_PB_UINT64, 0, NULL },
	{ 7, "raftAppliedIndex", EI_PB_UINT64, 0, NULL },
	{ 8, "errors", EI_PB_STRING, 1, NULL },
	{ 9, "dbSizeInUse", EI_PB_INT64, 0, NULL },
	{ 10, "isLearner", EI_PB_BOOL, 0, NULL },
};
static const struct ei_pb_message status_resp = { "StatusResponse", status_resp_fields,
						  N(status_resp_fields) };

static const struct ei_pb_field auth_req_fields[] = {
	{ 1, "name", EI_PB_STRING, 0, NULL },
	{ 2, "password", EI_PB_STRING, 0, NULL },
};
static const struct ei_pb_message auth_req = { "AuthenticateRequest", auth_req_fields,
					       N(auth_req_fields) };
static const struct ei_pb_field auth_resp_fields[] = {
	{ 1, "header", EI_PB_MESSAGE, 0, &header_msg },
	{ 2, "token", EI_PB_STRING, 0, NULL },
};
static const struct ei_pb_message auth_resp = { "AuthenticateResponse", auth_resp_fields,
						N(auth_resp_fields) };

static const struct ei_grpc_method methods[] = {
	{ "/v3/cluster/member/list", "/etcdserverpb.Cluster/MemberList", &list_req, &list_resp },
	{ "/v3/cluster/member/add", "/etcdserverpb.Cluster/MemberAdd", &add_req, &add_resp },
	{ "/v3/cluster/member/remove", "/etcdserverpb.Cluster/MemberRemove", &remove_req,
	  &remove_resp },
	{ "/v3/cluster/member/promote", "/etcdserverpb.Cluster/MemberPromote", &promote_req,
	  &promote_resp },
	{ "/v3/maintenance/status", "/etcdserverpb.Maintenance/Status", &status_req,
	  &status_resp },
	{ "/v3/auth/authenticate", "/etcdserverpb.Auth/Authenticate", &auth_req, &auth_resp },
};

const struct ei_grpc_method *ei_grpc_method_for(const char *gateway_path)
{
	for (size_t i = 0; i < N(methods); i++)
		if (strcmp(methods[i].gateway_path, gateway_path) == 0)
			return &methods[i];
	return NULL;
}

int ei_grpc_frame_request(const struct ei_grpc_method *m, const char *json,
			  struct ei_pb_buf *out, struct ei_err *err)
{
	struct ei_pb_buf msg = { 0 };
	uint8_t prefix[5] = { 0 };
	json_object *in;
	int r;

	r = ei_json_parse(json, strlen(json), m->request->name, json_type_object, &in, err);
	if (r < 0)
		return r;
	r = ei_pb_encode(m->request, in, &msg, err);
	/* An AuthenticateRequest holds the password: no copy is freed unwiped. */
	ei_json_wipe_strings(in);
	json_object_put(in);
	if (r == 0 && msg.len > 0xffffffffu)
		r = ei_err_set(err, EI_E_PARSE, "%s: too large", m->request->name);
	if (r == 0) {
		prefix[1] = (uint8_t)(msg.len >> 24);
		prefix[2] = (uint8_t)(msg.len >> 16);
		prefix[3] = (uint8_t)(msg.len >> 8);
		prefix[4] = (uint8_t)msg.len;
		r = ei_pb_buf_put(out, prefix, sizeof(prefix), err);
	}
	if (r == 0)
		r = ei_pb_buf_put(out, msg.data, msg.len, err);
	if (msg.data)
		explicit_bzero(msg.data, msg.cap);
	free(msg.data);
	return r;
}

static const char *const code_names[] = {
	"OK",		  "Canceled",	     "Unknown",		  "InvalidArgument",
	"DeadlineExceeded", "NotFound",	     "AlreadyExists",	  "PermissionDenied",
	"ResourceExhausted", "FailedPrecondition", "Aborted",	  "OutOfRange",
	"Unimplemented",	  "Internal",	     "Unavailable",	  "DataLoss",
	"Unauthenticated",
};

const char *ei_grpc_code_name(int code)
{
	return code >= 0 && (size_t)code < N(code_names) ? code_names[code] : "code beyond 16";
}

/* grpc-gateway v1 runtime.HTTPStatusFromCode, which etcd 3.4-3.6 serve. */
long ei_grpc_http_status(int code)
{
	static const long status[] = { 200, 408, 500, 400, 504, 404, 409, 403, 429,
				       400, 409, 400, 501, 500, 503, 500, 401 };

	return code >= 0 && (size_t)code < N(status) ? status[code] : 500;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void ei_grpc_percent_decode(const char *in, char *out, size_t out_len)
{
	size_t o = 0;

	if (!out_len)
		return;
	for (size_t i = 0; in[i] && o + 1 < out_len; i++) {
		int hi, lo;

		if (in[i] == '%' && (hi = hex_digit(in[i + 1])) >= 0 &&
		    (lo = hex_digit(in[i + 2])) >= 0) {
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			out[o++] = in[i];
		}
	}
	out[o] = '\0';
}

/* Replace the body with text (a copy). */
static int set_body(struct ei_http_req *r, const char *text, struct ei_err *err)
{
	char *b = strdup(text);

	if (!b)
		return ei_err_set(err, EI_E_NOMEM, "out of memory");
	free(r->resp);
	r->resp = b;
	r->resp_len = strlen(b);
	return 0;
}

static int malformed(struct ei_http_req *r, const char *why)
{
	r->outcome = EI_OUTCOME_MALFORMED;
	snprintf(r->detail, sizeof(r->detail), "gRPC answer: %s", why);
	return 0;
}

/* The error answer of a gRPC status other than OK. */
static int error_answer(struct ei_http_req *r, const char *const *secrets, struct ei_err *err)
{
	json_object *o = json_object_new_object();
	char msg[256], shown[160];
	int ret;

	ei_grpc_percent_decode(r->grpc_message, msg, sizeof(msg));
	if (!o)
		return ei_err_set(err, EI_E_NOMEM, "out of memory");
	json_object_object_add(o, "error", json_object_new_string(msg));
	json_object_object_add(o, "code", json_object_new_int(r->grpc_status));
	json_object_object_add(o, "message", json_object_new_string(msg));
	ret = set_body(r, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), err);
	json_object_put(o);
	if (ret < 0)
		return ret;
	r->outcome = EI_OUTCOME_HTTP_ERROR;
	r->status = ei_grpc_http_status(r->grpc_status);
	ei_excerpt(shown, sizeof(shown), msg, strlen(msg), secrets);
	snprintf(r->detail, sizeof(r->detail), "gRPC %s%s%s", ei_grpc_code_name(r->grpc_status),
		 shown[0] ? ": " : "", shown);
	return 0;
}

int ei_grpc_answer(const struct ei_grpc_method *m, struct ei_http_req *r,
		   const char *const *secrets, struct ei_err *err)
{
	const uint8_t *b = (const uint8_t *)r->resp;
	struct ei_err perr = { 0 };
	json_object *o;
	size_t n;
	int ret;

	if (r->outcome != EI_OUTCOME_VALID)
		return 0;
	if (r->status != 200) {
		r->outcome = EI_OUTCOME_HTTP_ERROR;
		snprintf(r->detail, sizeof(r->detail), "HTTP %ld to a gRPC call", r->status);
		return 0;
	}
	if (r->grpc_status < 0)
		return malformed(r, "no grpc-status (not a gRPC server?)");
	if (r->grpc_status > 0)
		return error_answer(r, secrets, err);
	if (r->resp_len < 5)
		return malformed(r, r->resp_len ? "a truncated message prefix" : "no message");
	if (b[0] != 0)
		return malformed(r, "a compressed message (none was asked for)");
	n = (size_t)b[1] << 24 | (size_t)b[2] << 16 | (size_t)b[3] << 8 | b[4];
	if (n != r->resp_len - 5)
		return malformed(r, n > r->resp_len - 5 ? "a truncated message"
							: "more than one message");
	if (ei_pb_decode(m->response, b + 5, n, &o, &perr) < 0) {
		if (perr.code == EI_E_NOMEM)
			return ei_err_set(err, EI_E_NOMEM, "out of memory");
		return malformed(r, perr.msg);
	}
	ret = set_body(r, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							    JSON_C_TO_STRING_NOSLASHESCAPE),
		       err);
	json_object_put(o);
	return ret;
}
