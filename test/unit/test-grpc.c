/* Unit tests for lib/grpc.c: etcd's requests encoded as etcd's own Go code encodes them
 * (the bytes below are proto.Marshal of etcdserverpb messages, v3.6.16), its answers read
 * back as the gateway's JSON, and gRPC errors and bad frames turned into the answers
 * etcdclient.c already understands. */
#include "grpc.h"
#include "hex.h"
#include "tap.h"

#include <stdlib.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* A finished gRPC call: HTTP status, grpc-status, grpc-message, body (hex, framed here
 * when frame is set). */
static void answer(struct ei_http_req *r, long http, int grpc_status, const char *grpc_msg,
		   const char *hex, int frame)
{
	uint8_t *b = malloc(4096);
	size_t n = unhex(hex, b + 5);

	memset(r, 0, sizeof(*r));
	r->grpc = true;
	r->outcome = http >= 200 && http < 300 ? EI_OUTCOME_VALID : EI_OUTCOME_HTTP_ERROR;
	r->status = http;
	r->grpc_status = grpc_status;
	snprintf(r->grpc_message, sizeof(r->grpc_message), "%s", grpc_msg);
	if (frame) {
		b[0] = 0;
		b[1] = (uint8_t)(n >> 24);
		b[2] = (uint8_t)(n >> 16);
		b[3] = (uint8_t)(n >> 8);
		b[4] = (uint8_t)n;
		n += 5;
	} else {
		memmove(b, b + 5, n);
	}
	b[n] = 0;
	r->resp = (char *)b;
	r->resp_len = n;
}

static const char list_resp[] =
	"0a180887d5edba8fd59dc10410c0c0caafc1ba96892e18072002123f08c0c0caafc1ba96892e1206657463"
	"642d301a0d687474703a2f2f613a32333830220d687474703a2f2f613a32333739220d687474703a2f2f"
	"623a32333739121b088280a7b2eed3f9da4e1a0d687474703a2f2f633a323338302801";
static const char status_resp[] =
	"0a0f0801100218fbffffffffffffffff011206332e362e31361880a0012002280b3002380b42074e4f5350"
	"4143454880800150015a05332e362e30608080808008";

int main(void)
{
	static const struct {
		const char *path, *json, *hex;
	} reqs[] = {
		{ "/v3/cluster/member/list", "{\"linearizable\":true}", "0000000002" "0801" },
		{ "/v3/cluster/member/list", "{}", "0000000000" },
		{ "/v3/cluster/member/add",
		  "{\"peerURLs\":[\"https://etcd-3.etcd:2380\"],\"isLearner\":true}",
		  "000000001c" "0a1868747470733a2f2f657463642d332e657463643a323338301001" },
		{ "/v3/cluster/member/remove", "{\"ID\":\"9364709238914904435\"}",
		  "000000000b" "08f3e2ddd2fbad88fb8101" },
		{ "/v3/cluster/member/promote", "{\"ID\":\"9364709238914904435\"}",
		  "000000000b" "08f3e2ddd2fbad88fb8101" },
		{ "/v3/maintenance/status", "{}", "0000000000" },
		{ "/v3/auth/authenticate", "{\"name\":\"root\",\"password\":\"pw\"}",
		  "000000000a" "0a04726f6f7412027077" },
	};
	static const struct {
		const char *path, *hex, *json;
	} resps[] = {
		{ "/v3/cluster/member/list", list_resp,
		  "{\"header\":{\"cluster_id\":\"324952591200643719\",\"member_id\":\"3319814642761637952\","
		  "\"revision\":\"7\",\"raft_term\":\"2\"},\"members\":[{\"ID\":\"3319814642761637952\","
		  "\"name\":\"etcd-0\",\"peerURLs\":[\"http://a:2380\"],\"clientURLs\":[\"http://a:2379\","
		  "\"http://b:2379\"]},{\"ID\":\"5671692875885821954\",\"peerURLs\":[\"http://c:2380\"],"
		  "\"isLearner\":true}]}" },
		/* 3.6's storageVersion (11) and dbSizeQuota (12) are skipped. */
		{ "/v3/maintenance/status", status_resp,
		  "{\"header\":{\"cluster_id\":\"1\",\"member_id\":\"2\",\"revision\":\"-5\"},"
		  "\"version\":\"3.6.16\",\"dbSize\":\"20480\",\"leader\":\"2\",\"raftIndex\":\"11\","
		  "\"raftTerm\":\"2\",\"raftAppliedIndex\":\"11\",\"errors\":[\"NOSPACE\"],"
		  "\"dbSizeInUse\":\"16384\",\"isLearner\":true}" },
		{ "/v3/auth/authenticate", "0a00" "1205" "746f6b2e31", "{\"header\":{},\"token\":\"tok.1\"}" },
	};
	static const struct {
		long http;
		int grpc_status;
		const char *msg, *hex;
		int frame;
		enum ei_outcome outcome;
		long status;
		const char *detail, *body;
	} odd[] = {
		{ 200, 9, "etcdserver: user name not found", "", 0, EI_OUTCOME_HTTP_ERROR, 400,
		  "gRPC FailedPrecondition: etcdserver: user name not found",
		  "{\"error\":\"etcdserver: user name not found\",\"code\":9,"
		  "\"message\":\"etcdserver: user name not found\"}" },
		{ 200, 14, "etcdserver: request timed out%2C possibly", "", 0, EI_OUTCOME_HTTP_ERROR,
		  503, "gRPC Unavailable: etcdserver: request timed out, possibly", NULL },
		{ 200, 7, "s3cret in the echo", "", 0, EI_OUTCOME_HTTP_ERROR, 403,
		  "gRPC PermissionDenied: [redacted] in the echo", NULL },
		{ 200, 42, "?", "", 0, EI_OUTCOME_HTTP_ERROR, 500, "gRPC code beyond 16: ?", NULL },
		{ 200, -1, "", "0801", 1, EI_OUTCOME_MALFORMED, 200,
		  "gRPC answer: no grpc-status (not a gRPC server?)", NULL },
		{ 200, 0, "", "", 0, EI_OUTCOME_MALFORMED, 200, "gRPC answer: no message", NULL },
		{ 200, 0, "", "000000", 0, EI_OUTCOME_MALFORMED, 200,
		  "gRPC answer: a truncated message prefix", NULL },
		{ 200, 0, "", "0100000000", 0, EI_OUTCOME_MALFORMED, 200,
		  "gRPC answer: a compressed message (none was asked for)", NULL },
		{ 200, 0, "", "00000000050801", 0, EI_OUTCOME_MALFORMED, 200,
		  "gRPC answer: a truncated message", NULL },
		{ 200, 0, "", "0000000001080000", 0, EI_OUTCOME_MALFORMED, 200,
		  "gRPC answer: more than one message", NULL },
		{ 200, 0, "", "12020a01", 1, EI_OUTCOME_MALFORMED, 200,
		  "gRPC answer: Member.ID: wire type 2, expected 0", NULL },
		{ 204, -1, "", "", 0, EI_OUTCOME_HTTP_ERROR, 204, "HTTP 204 to a gRPC call", NULL },
		/* No gRPC answer at all: left as http.c classified it. */
		{ 404, -1, "", "", 0, EI_OUTCOME_HTTP_ERROR, 404, "", NULL },
	};
	static const char *const secrets[] = { "s3cret", NULL };

	tap_init();
	tap_ok(ei_grpc_method_for("/v3/kv/range") == NULL, "no method for a path it does not know");
	for (size_t i = 0; i < N(reqs); i++) {
		const struct ei_grpc_method *m = ei_grpc_method_for(reqs[i].path);
		struct ei_pb_buf out = { 0 };
		struct ei_err err = { 0 };
		char got[256] = "";

		tap_ok(m && ei_grpc_frame_request(m, reqs[i].json, &out, &err) == 0,
		       "%s %s: framed (%s)", reqs[i].path, reqs[i].json, err.msg);
		if (out.data)
			tohex(out.data, out.len, got);
		tap_streq(got, reqs[i].hex, "%s %s: the bytes etcd's Go client sends", reqs[i].path,
			  reqs[i].json);
		free(out.data);
	}
	for (size_t i = 0; i < N(resps); i++) {
		const struct ei_grpc_method *m = ei_grpc_method_for(resps[i].path);
		struct ei_http_req r;
		struct ei_err err = { 0 };

		answer(&r, 200, 0, "", resps[i].hex, 1);
		tap_ok(ei_grpc_answer(m, &r, NULL, &err) == 0 && r.outcome == EI_OUTCOME_VALID,
		       "%s answer: valid (%s)", resps[i].path, r.detail);
		tap_streq(r.resp, resps[i].json, "%s answer: the gateway's JSON", resps[i].path);
		tap_ok(r.resp_len == strlen(resps[i].json), "%s answer: its length", resps[i].path);
		free(r.resp);
	}
	for (size_t i = 0; i < N(odd); i++) {
		const struct ei_grpc_method *m = ei_grpc_method_for("/v3/cluster/member/list");
		struct ei_http_req r;
		struct ei_err err = { 0 };

		answer(&r, odd[i].http, odd[i].grpc_status, odd[i].msg, odd[i].hex, odd[i].frame);
		tap_ok(ei_grpc_answer(m, &r, secrets, &err) == 0, "odd %zu: handled", i);
		tap_ok(r.outcome == odd[i].outcome && r.status == odd[i].status,
		       "odd %zu: outcome %s, status %ld", i, ei_outcome_name(r.outcome), r.status);
		tap_ok(strncmp(r.detail, odd[i].detail, strlen(odd[i].detail)) == 0,
		       "odd %zu: detail \"%s\"", i, r.detail);
		if (odd[i].body)
			tap_streq(r.resp, odd[i].body, "odd %zu: the gateway's error body", i);
		free(r.resp);
	}
	{
		char out[16];

		ei_grpc_percent_decode("a%20b%zz%4", out, sizeof(out));
		tap_streq(out, "a b%zz%4", "percent-decoding leaves what is no escape");
		ei_grpc_percent_decode("0123456789abcdefghij", out, sizeof(out));
		tap_streq(out, "0123456789abcde", "percent-decoding cuts to fit");
	}
	return tap_done();
}
