/* Fuzz target: a finished gRPC call turned into the gateway's answer, ei_grpc_answer
 * (the response frame, grpc-status and grpc-message), then the answer read as
 * etcdcall.c reads it: the member list or status parser on a 2xx, the error body
 * parser on an error.
 *
 * Input: byte 0 picks the method (byte % methods; the top bit makes the HTTP status
 * 503 instead of 200), byte 1 is grpc-status (255: none), byte 2 the length n of
 * grpc-message, the next n bytes grpc-message as sent (percent-encoded), and the rest
 * the response body, which holds the frame(s). */
#include "grpc.h"
#include "json.h"
#include "members.h"
#include "fuzz.h"
#include "grpc-paths.h"

/* What etcdcall.c passes: the password and the token, never quoted in the detail. */
#define SECRET_PASSWORD "Pa55-w0rd-of-root"
#define SECRET_TOKEN	"tok.En.oF.rOOt.12345"

static void read_answer(const char *path, const struct ei_http_req *r)
{
	struct ei_err err = {0};

	if (r->outcome == EI_OUTCOME_VALID) {
		FUZZ_CHECK(r->resp && strlen(r->resp) == r->resp_len);
		if (strcmp(path, "/v3/maintenance/status") == 0) {
			struct ei_member_status st;

			(void)ei_members_parse_status(r->resp, r->resp_len, &st, &err);
		} else if (strncmp(path, "/v3/cluster/", 12) == 0) {
			struct ei_member_list list = {0};
			struct ei_member added = {0};

			(void)ei_members_parse_gateway(r->resp, r->resp_len, &list, &added, &err);
			ei_member_free(&added);
			ei_member_list_free(&list);
		} else {
			json_object *o = NULL;

			/* The gateway's JSON of a message: an object, always. */
			FUZZ_CHECK(ei_json_parse(r->resp, r->resp_len, "answer", json_type_object,
						 &o, &err) == 0 ||
				   err.code == EI_E_PARSE);
			json_object_put(o);
		}
	} else if (r->outcome == EI_OUTCOME_HTTP_ERROR) {
		char msg[1024];

		(void)ei_members_parse_error(r->resp, r->resp_len, r->status, msg, sizeof(msg));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *const secrets[] = {SECRET_PASSWORD, SECRET_TOKEN, NULL};
	const struct ei_grpc_method *m;
	struct ei_http_req r = {0};
	struct ei_err err = {0};
	const char *path;
	size_t n;

	if (size < 3)
		return 0;
	path = fuzz_grpc_paths[(data[0] & 0x7f) % FUZZ_GRPC_N_PATHS];
	m = ei_grpc_method_for(path);
	if (!m)
		return 0;
	r.url = "http://127.0.0.1:2379";
	r.grpc = true;
	r.outcome = EI_OUTCOME_VALID;
	r.status = data[0] & 0x80 ? 503 : 200;
	r.grpc_status = data[1] == 0xff ? -1 : data[1];
	n = data[2];
	if (n > size - 3)
		n = size - 3;
	/* n <= 255: it fits grpc_message with its NUL, as http.c keeps it. */
	memcpy(r.grpc_message, data + 3, n);
	r.grpc_message[n] = '\0';
	r.resp = fuzz_str(data + 3 + n, size - 3 - n);
	r.resp_len = size - 3 - n;

	if (ei_grpc_answer(m, &r, secrets, &err) == 0) {
		FUZZ_CHECK(memchr(r.detail, '\0', sizeof(r.detail)) != NULL);
		FUZZ_CHECK(!strstr(r.detail, SECRET_PASSWORD) && !strstr(r.detail, SECRET_TOKEN));
		FUZZ_CHECK(r.outcome == EI_OUTCOME_VALID || r.outcome == EI_OUTCOME_HTTP_ERROR ||
			   r.outcome == EI_OUTCOME_MALFORMED);
		read_answer(path, &r);
	} else {
		FUZZ_CHECK(err.code == EI_E_NOMEM);
	}
	ei_http_req_clear(&r);
	return 0;
}
