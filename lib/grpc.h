/* grpc.h - etcd's gateway calls over gRPC instead, for the one case the gateway
 * cannot serve: etcd auth with a client certificate's CommonName as the user (etcd
 * refuses such a certificate on every /v3/ gateway path, server/embed/serve.go
 * accessController.ServeHTTP, and ignores
 * its CN on what the gateway forwards).
 *
 * A call is described by its gateway path and JSON body, exactly as etcdclient.c builds
 * it; this module finds etcd's gRPC method for the path, encodes the body as the
 * protobuf request in a gRPC frame, and turns the answer back into what the gateway
 * would have answered: a 2xx with the JSON body, or an HTTP error with the gateway's
 * status for the gRPC code and {"error","code","message"}. So everything above (the
 * member list parsers, the failure classes, plan.c's evidence rules) is the same for
 * both transports. Pure but for the request struct of http.h it reads and rewrites. */
#ifndef EI_GRPC_H
#define EI_GRPC_H

#include <stddef.h>

#include "err.h"
#include "http.h"
#include "pb.h"

struct ei_grpc_method {
	const char *gateway_path; /* "/v3/cluster/member/list" */
	const char *grpc_path;    /* "/etcdserverpb.Cluster/MemberList" */
	const struct ei_pb_message *request, *response;
};

/* The method behind a gateway path, or NULL when there is none in the table
 * (cluster member list/add/remove/promote, maintenance status, auth authenticate). */
const struct ei_grpc_method *ei_grpc_method_for(const char *gateway_path);

/* The gRPC frame (uncompressed, one message) of the request JSON json as m's request,
 * into out (appended). Returns 0, EI_E_PARSE, EI_E_NOMEM. */
int ei_grpc_frame_request(const struct ei_grpc_method *m, const char *json,
			  struct ei_pb_buf *out, struct ei_err *err);

/* Rewrite a finished gRPC call (r->grpc set) into the gateway's answer:
 *  - no HTTP answer, or an HTTP status other than 200: left as it is;
 *  - 200 without grpc-status: MALFORMED (not a gRPC server);
 *  - grpc-status other than 0: HTTP_ERROR, status the gateway's for that code, body
 *    {"error":msg,"code":N,"message":msg} (msg percent-decoded), detail
 *    "gRPC <Code>: msg";
 *  - grpc-status 0: the one message, decoded, as the JSON body (VALID), or MALFORMED
 *    saying what is wrong with the frame or the message.
 * secrets (NULL-terminated, may be NULL) are never quoted in the detail. Returns 0 or
 * EI_E_NOMEM. */
int ei_grpc_answer(const struct ei_grpc_method *m, struct ei_http_req *r,
		   const char *const *secrets, struct ei_err *err);

/* "OK", "InvalidArgument", ..., "Unauthenticated"; "code N" beyond them. */
const char *ei_grpc_code_name(int code);

/* The HTTP status grpc-gateway answers for a gRPC code. */
long ei_grpc_http_status(int code);

/* grpc-message's percent-encoding undone, into out (cut to fit, NUL-terminated). */
void ei_grpc_percent_decode(const char *in, char *out, size_t out_len);

#endif
