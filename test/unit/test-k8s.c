/* Unit tests for lib/k8s.c: reading a StatefulSet's spec.replicas (absent is 1; a
 * wrong kind, name, type or range, and anything not one strict JSON object, is
 * EI_E_PARSE naming what is wrong), the words and codes for every way the request can
 * fail (the token never among them, even when the server echoes it), and the checks
 * the fetch makes before it asks (target, token file, CA), plus the URL it builds for
 * an IPv6 host (asked on loopback port 1, where nothing listens). */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include "k8s.h"
#include "sig.h"
#include "tap.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A projected token's shape: header.payload.signature; the signature is the secret. */
#define TOKEN "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJzeXN0ZW0ifQ.S1gnaTure-s3cr3t_xyz"
#define TOKEN_HEAD "eyJhbGciOiJSUzI1NiIsImtpZCI6"
#define TOKEN_TAIL "S1gnaTure-s3cr3t_xyz"

/* A StatefulSet as the API server sends it, in pieces: each row changes one. */
#define STS_HEAD                                                                           \
	"{\"kind\":\"StatefulSet\",\"apiVersion\":\"apps/v1\",\"metadata\":{\"name\":\"etcd\"," \
	"\"namespace\":\"default\",\"uid\":\"0b3c8a9e-5f1d-4c2b-9a47-6e2d1f0c7a11\","        \
	"\"generation\":2},"
#define SPEC(fields)                                                                       \
	"\"spec\":{" fields "\"serviceName\":\"etcd\",\"podManagementPolicy\":\"Parallel\"}"
#define STS_TAIL                                                                           \
	",\"status\":{\"observedGeneration\":2,\"replicas\":3,\"readyReplicas\":3,"       \
	"\"currentReplicas\":3,\"updatedReplicas\":3}}"
#define STS(fields) STS_HEAD SPEC(fields) STS_TAIL
/* 20 levels of arrays, opened. */
#define B20 "[[[[[[[[[[[[[[[[[[[["
/* kubectl apply's managedFields for an env var from the downward API: 15 levels. */
#define MANAGED_FIELDS                                                                     \
	"\"managedFields\":[{\"manager\":\"kubectl\",\"fieldsV1\":{\"f:spec\":{\"f:template\":{" \
	"\"f:spec\":{\"f:containers\":{\"k:{\\\"name\\\":\\\"etcd\\\"}\":{\"f:env\":{"           \
	"\"k:{\\\"name\\\":\\\"HOSTNAME\\\"}\":{\"f:valueFrom\":{\"f:fieldRef\":{"                \
	"\"f:fieldPath\":{}}}}}}}}}}}}]"

static void test_parse(void)
{
	static const struct {
		const char *what, *json;
		long want;
	} good[] = {
		{ "replicas 5", STS("\"replicas\":5,"), 5 },
		{ "ordinals.start 0", STS("\"replicas\":3,\"ordinals\":{\"start\":0},"), 3 },
		{ "replicas 0 (scaled to zero)", STS("\"replicas\":0,"), 0 },
		{ "replicas 100000", STS("\"replicas\":100000,"), 100000 },
		{ "managedFields 15 levels deep",
		  "{\"kind\":\"StatefulSet\",\"apiVersion\":\"apps/v1\",\"metadata\":{\"name\":"
		  "\"etcd\"," MANAGED_FIELDS "}," SPEC("\"replicas\":3,") "}",
		  3 },
		{ "40 levels deep (managedFields of a big pod template)",
		  STS("\"replicas\":4,\"x\":" B20 B20 "1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],"),
		  4 },
		{ "unknown fields and whitespace", " \n" STS("\"replicas\":7,\"future\":[1,{}],") "\n",
		  7 },
	};
	static const struct {
		const char *what, *json, *msg; /* msg: a substring of err.msg */
	} bad[] = {
		{ "replicas -1", STS("\"replicas\":-1,"), "spec.replicas is -1, not a replica count" },
		{ "replicas absent (the API server always defaults it)", STS(""),
		  "no \"spec.replicas\"" },
		{ "replicas null", STS("\"replicas\":null,"), "no \"spec.replicas\"" },
		{ "ordinals.start 1", STS("\"replicas\":3,\"ordinals\":{\"start\":1},"),
		  "spec.ordinals.start is 1" },
		{ "replicas 100001", STS("\"replicas\":100001,"), "spec.replicas is 100001" },
		{ "replicas 2^64", STS("\"replicas\":18446744073709551616,"), "spec.replicas is " },
		{ "replicas as a string", STS("\"replicas\":\"5\","),
		  "StatefulSet.spec.replicas: expected an integer, got string" },
		{ "replicas as a double", STS("\"replicas\":5.0,"), "expected an integer, got double" },
		{ "replicas as a boolean", STS("\"replicas\":true,"), "got boolean" },
		{ "kind Status (a 200 with a Status)",
		  "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Success\"}",
		  "kind is \"Status\", not \"StatefulSet\"" },
		{ "kind StatefulSetList", "{\"kind\":\"StatefulSetList\",\"apiVersion\":\"apps/v1\","
		  "\"items\":[]}", "kind is \"StatefulSetList\"" },
		{ "kind Deployment", "{\"kind\":\"Deployment\",\"apiVersion\":\"apps/v1\",\"metadata\":"
		  "{\"name\":\"etcd\"},\"spec\":{\"replicas\":3}}", "kind is \"Deployment\"" },
		{ "no kind", "{\"apiVersion\":\"apps/v1\",\"metadata\":{\"name\":\"etcd\"},\"spec\":{}}",
		  "no \"kind\"" },
		{ "kind as a number", "{\"kind\":1}", "StatefulSet.kind: expected a string, got int" },
		{ "apiVersion apps/v1beta2", "{\"kind\":\"StatefulSet\",\"apiVersion\":\"apps/v1beta2\","
		  "\"metadata\":{\"name\":\"etcd\"},\"spec\":{}}", "apiVersion is \"apps/v1beta2\"" },
		{ "no apiVersion", "{\"kind\":\"StatefulSet\",\"metadata\":{\"name\":\"etcd\"},"
		  "\"spec\":{}}", "no \"apiVersion\"" },
		{ "another set's name", "{\"kind\":\"StatefulSet\",\"apiVersion\":\"apps/v1\","
		  "\"metadata\":{\"name\":\"etcd2\"}," SPEC("\"replicas\":3,") "}",
		  "metadata.name is \"etcd2\", not \"etcd\"" },
		{ "a name with a NUL", "{\"kind\":\"StatefulSet\",\"apiVersion\":\"apps/v1\","
		  "\"metadata\":{\"name\":\"etcd\\u0000x\"}," SPEC("") "}", "metadata.name contains a NUL" },
		{ "no metadata", "{\"kind\":\"StatefulSet\",\"apiVersion\":\"apps/v1\"," SPEC("") "}",
		  "no \"metadata\"" },
		{ "no name", "{\"kind\":\"StatefulSet\",\"apiVersion\":\"apps/v1\",\"metadata\":{},"
		  SPEC("") "}", "no \"metadata.name\"" },
		{ "no spec", STS_HEAD "\"status\":{}}", "no \"spec\"" },
		{ "spec as an array", STS_HEAD "\"spec\":[]}", "spec: expected an object, got array" },
		{ "not JSON", "<html><body>502 Bad Gateway</body></html>", "not JSON" },
		{ "empty", "", "empty body" },
		{ "an array", "[" STS("") "]", "expected object, got array" },
		{ "truncated", STS_HEAD SPEC("\"replicas\":3,"), "truncated" },
		{ "trailing garbage", STS("") "x", "unexpected data after" },
		{ "huge nesting (200 levels)",
		  STS_HEAD SPEC("") ",\"x\":"
		  B20 B20 B20 B20 B20 B20 B20 B20 B20 B20,
		  "nested deeper than" },
		{ "65 levels (an object, 64 arrays)",
		  "{\"kind\":\"StatefulSet\",\"x\":" B20 B20 B20 "[[[[1]]]]"
		  "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
		  "nested deeper than 64" },
	};
	struct ei_err err;
	long n;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		int r;

		memset(&err, 0, sizeof(err));
		n = -7;
		r = ei_k8s_parse_statefulset(good[i].json, strlen(good[i].json), "etcd", &n, &err);
		tap_ok(r == 0 && n == good[i].want, "parse: %s -> %ld", good[i].what, good[i].want);
		if (r < 0 || n != good[i].want)
			printf("#   got %ld: %s\n", n, err.msg);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r;

		memset(&err, 0, sizeof(err));
		n = 3;
		r = ei_k8s_parse_statefulset(bad[i].json, strlen(bad[i].json), "etcd", &n, &err);
		tap_ok(r == EI_E_PARSE && err.code == EI_E_PARSE && n == -1 &&
			       strstr(err.msg, bad[i].msg),
		       "parse refuses %s: \"%s\"", bad[i].what, bad[i].msg);
		printf("#   %s\n", err.msg);
	}
	/* The caller's length is the body: a NUL then more bytes is garbage. */
	{
		static const char doc[] = STS("\"replicas\":3,");
		char buf[sizeof(doc) + 4];

		memcpy(buf, doc, sizeof(doc));
		memcpy(buf + sizeof(doc), "{}", 3);
		tap_ok(ei_k8s_parse_statefulset(buf, sizeof(doc) + 2, "etcd", &n, NULL) == EI_E_PARSE,
		       "parse refuses bytes after a NUL inside len (and takes a NULL err)");
	}
}

#define FORBIDDEN                                                                          \
	"{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","  \
	"\"message\":\"statefulsets.apps \\\"etcd\\\" is forbidden: User "                    \
	"\\\"system:serviceaccount:default:etcd\\\" cannot get resource \\\"statefulsets\\\" " \
	"in API group \\\"apps\\\" in the namespace \\\"default\\\"\",\"reason\":\"Forbidden\"," \
	"\"details\":{\"name\":\"etcd\",\"group\":\"apps\",\"kind\":\"statefulsets\"},\"code\":403}"
#define STATUS(code, reason, msg)                                                           \
	"{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","  \
	"\"message\":\"" msg "\",\"reason\":\"" reason "\",\"code\":" #code "}"
#define X40 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"

static void test_messages(void)
{
	static const struct {
		const char *what;
		enum ei_outcome outcome;
		long status;
		const char *body, *detail, *sa_dir;
		int code;
		const char *want1, *want2; /* substrings of the message */
	} rows[] = {
		{ "401", EI_OUTCOME_HTTP_ERROR, 401, STATUS(401, "Unauthorized", "Unauthorized"),
		  "HTTP 401", NULL, EI_E_USAGE, "the service-account token was rejected",
		  "/var/run/secrets/kubernetes.io/serviceaccount/token is expired" },
		{ "401 from a proxy that echoes the token", EI_OUTCOME_HTTP_ERROR, 401,
		  "invalid header: Authorization: Bearer " TOKEN " (rejected)", NULL, "/sa",
		  EI_E_USAGE, "token was rejected (HTTP 401 \"invalid header: Authorization: Bearer "
		  "[redacted] (rejected)\")", "/sa/token" },
		{ "401 with the token at the cut", EI_OUTCOME_HTTP_ERROR, 401,
		  X40 X40 X40 X40 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" TOKEN, NULL, NULL, EI_E_USAGE,
		  "xxxx[redacted]", "token was rejected" },
		{ "403 from RBAC", EI_OUTCOME_HTTP_ERROR, 403, FORBIDDEN, NULL, NULL, EI_E_USAGE,
		  "RBAC: the service account system:serviceaccount:default:etcd needs get on "
		  "statefulsets in default: a Role with get on statefulsets.apps and a RoleBinding",
		  "(HTTP 403 \"statefulsets.apps \"etcd\" is forbidden: User" },
		{ "403 without a user", EI_OUTCOME_HTTP_ERROR, 403, "forbidden", NULL, NULL,
		  EI_E_USAGE, "RBAC: the pod's service account needs get on statefulsets in default",
		  "(HTTP 403 \"forbidden\")" },
		{ "403 for another user", EI_OUTCOME_HTTP_ERROR, 403,
		  STATUS(403, "Forbidden", "User \\\"system:anonymous\\\" cannot get"), NULL, NULL,
		  EI_E_USAGE, "RBAC: system:anonymous (not a service account) needs get", "HTTP 403" },
		{ "404", EI_OUTCOME_HTTP_ERROR, 404,
		  STATUS(404, "NotFound", "statefulsets.apps \\\"etcd\\\" not found"), NULL, NULL,
		  EI_E_USAGE, "no StatefulSet \"etcd\" in namespace \"default\"",
		  "(HTTP 404 \"statefulsets.apps \"etcd\" not found\")" },
		{ "500", EI_OUTCOME_HTTP_ERROR, 500,
		  STATUS(500, "InternalError", "Internal error occurred: etcdserver: request timed out"),
		  NULL, NULL, EI_E_UNAVAILABLE, "the API server failed (HTTP 500",
		  "etcdserver: request timed out" },
		{ "503 in plain text", EI_OUTCOME_HTTP_ERROR, 503, "upstream\r\nconnect error", NULL,
		  NULL, EI_E_UNAVAILABLE, "(HTTP 503 \"upstream  connect error\")", "failed" },
		{ "429", EI_OUTCOME_HTTP_ERROR, 429, STATUS(429, "TooManyRequests", "slow down"), NULL,
		  NULL, EI_E_UNAVAILABLE, "throttling", "slow down" },
		{ "400", EI_OUTCOME_HTTP_ERROR, 400, NULL, NULL, NULL, EI_E_USAGE,
		  "unexpected answer (HTTP 400)", "" },
		{ "302", EI_OUTCOME_HTTP_ERROR, 302, "", NULL, NULL, EI_E_UNAVAILABLE,
		  "unexpected answer (HTTP 302", "" },
		{ "TLS", EI_OUTCOME_TLS, 0, NULL,
		  "SSL certificate problem: unable to get local issuer certificate", NULL,
		  EI_E_UNAVAILABLE, "TLS failure: SSL certificate problem: unable to get local issuer",
		  "must verify against /var/run/secrets/kubernetes.io/serviceaccount/ca.crt" },
		{ "TLS, another sa dir", EI_OUTCOME_TLS, 0, NULL, "handshake failed", "/x", EI_E_UNAVAILABLE,
		  "TLS failure: handshake failed", "/x/ca.crt" },
		{ "timeout", EI_OUTCOME_TIMEOUT, 0, NULL, "no answer within 5000 ms", NULL,
		  EI_E_UNAVAILABLE, "timed out: no answer within 5000 ms", "" },
		{ "refused", EI_OUTCOME_REFUSED, 0, NULL, "Connection refused", NULL, EI_E_UNAVAILABLE,
		  "connection refused", "KUBERNETES_SERVICE_HOST" },
		{ "unreachable", EI_OUTCOME_UNREACHABLE, 0, NULL, "No route to host", NULL,
		  EI_E_UNAVAILABLE, "unreachable: No route to host", "" },
		{ "closed", EI_OUTCOME_CLOSED, 0, NULL, "Empty reply from server", NULL, EI_E_UNAVAILABLE,
		  "closed without an answer: Empty reply", "" },
		{ "malformed", EI_OUTCOME_MALFORMED, 0, NULL, "answer larger than 1048576 bytes", NULL,
		  EI_E_PARSE, "not a readable HTTP answer: answer larger", "" },
		{ "a detail with the token", EI_OUTCOME_CLOSED, 0, NULL, "reset after " TOKEN, NULL,
		  EI_E_UNAVAILABLE, "reset after [redacted]", "" },
		{ "not asked", EI_OUTCOME_NOT_ASKED, 0, NULL, NULL, NULL, EI_E_UNAVAILABLE, "not asked",
		  "" },
	};
	char buf[EI_ERR_MSG_MAX];

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct ei_k8s_target t = { .host = "10.96.0.1", .port = "443",
						 .sa_dir = rows[i].sa_dir, .ns = "default",
						 .set = "etcd" };
		int code;

		memset(buf, 'Z', sizeof(buf));
		code = ei_k8s_failure_message(rows[i].outcome, rows[i].status, rows[i].body,
					      rows[i].body ? strlen(rows[i].body) : 0,
					      rows[i].detail, &t, TOKEN, buf, sizeof(buf));
		tap_ok(code == rows[i].code && memchr(buf, '\0', sizeof(buf)) &&
			       strstr(buf, rows[i].want1) && strstr(buf, rows[i].want2),
		       "message for %s: \"%s\"", rows[i].what, rows[i].want1);
		tap_ok(!strstr(buf, TOKEN_HEAD) && !strstr(buf, TOKEN_TAIL),
		       "message for %s: no part of the token", rows[i].what);
		printf("#   %s\n", buf);
	}
	/* A small buffer: cut, terminated, and the token still gone. */
	{
		const struct ei_k8s_target t = { .ns = "default", .set = "etcd" };
		char small[24];

		memset(small, 'Z', sizeof(small));
		ei_k8s_failure_message(EI_OUTCOME_HTTP_ERROR, 401, "Bearer " TOKEN, 7 + strlen(TOKEN),
				       NULL, &t, TOKEN, small, sizeof(small));
		tap_ok(strlen(small) == sizeof(small) - 1 && !strstr(small, "eyJ"),
		       "a small buffer is cut and terminated: \"%s\"", small);
	}
}

static char dir[64];

static void put(const char *name, const char *content, mode_t mode)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0 || write(fd, content, strlen(content)) != (ssize_t)strlen(content)) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
	close(fd);
}

/* The checks before any request, then two requests to loopback port 1 (refused). */
static void test_fetch(struct ei_loop *loop)
{
	static const struct {
		const char *what, *host, *port, *ns, *set, *token, *ca;
		int code;
		const char *msg;
	} rows[] = {
		{ "no host", "", "443", "default", "etcd", TOKEN "\n", "ca", EI_E_USAGE,
		  "host is empty (KUBERNETES_SERVICE_HOST" },
		{ "a host with a path", "10.0.0.1/x", "443", "default", "etcd", TOKEN, "ca", EI_E_USAGE,
		  "\"10.0.0.1/x\" is not a host name" },
		{ "a host with a user", "u@10.0.0.1", "443", "default", "etcd", TOKEN, "ca", EI_E_USAGE,
		  "is not a host name" },
		{ "a bad IPv6 host", "fd00::1::2", "443", "default", "etcd", TOKEN, "ca", EI_E_USAGE,
		  "is not an IPv6 address" },
		{ "a bracketed name", "[api]", "443", "default", "etcd", TOKEN, "ca", EI_E_USAGE,
		  "is not a host name" },
		{ "port 0", "10.0.0.1", "0", "default", "etcd", TOKEN, "ca", EI_E_USAGE,
		  "KUBERNETES_SERVICE_PORT \"0\" is not a port" },
		{ "port 65536", "10.0.0.1", "65536", "default", "etcd", TOKEN, "ca", EI_E_USAGE,
		  "\"65536\" is not a port" },
		{ "port 443x", "10.0.0.1", "443x", "default", "etcd", TOKEN, "ca", EI_E_USAGE,
		  "\"443x\" is not a port" },
		{ "no port", "10.0.0.1", NULL, "default", "etcd", TOKEN, "ca", EI_E_USAGE,
		  "\"\" is not a port" },
		{ "a namespace with a slash", "10.0.0.1", "443", "a/b", "etcd", TOKEN, "ca", EI_E_USAGE,
		  "namespace \"a/b\" is not a DNS label" },
		{ "a set with a query", "10.0.0.1", "443", "default", "etcd?x=1", TOKEN, "ca", EI_E_USAGE,
		  "StatefulSet name \"etcd?x=1\" is not a DNS name" },
		{ "no token file", "10.0.0.1", "443", "default", "etcd", NULL, "ca", EI_E_USAGE,
		  "/token: No such file or directory (no service-account token" },
		{ "an empty token", "10.0.0.1", "443", "default", "etcd", "\n", "ca", EI_E_USAGE,
		  "/token is empty" },
		{ "a token with a line break", "10.0.0.1", "443", "default", "etcd",
		  TOKEN "\r\nX-Evil: 1", "ca", EI_E_USAGE, "contains a blank or a control character" },
		{ "no ca.crt", "10.0.0.1", "443", "default", "etcd", TOKEN, NULL, EI_E_USAGE,
		  "/ca.crt: No such file or directory (the service account's CA" },
		{ "refused", "127.0.0.1", "1", "default", "etcd", TOKEN "\n", "ca", EI_E_UNAVAILABLE,
		  "GET https://127.0.0.1:1/apis/apps/v1/namespaces/default/statefulsets/etcd: " },
		{ "IPv6", "fd00::1", "1", "default", "etcd", TOKEN, NULL, EI_E_USAGE, "/ca.crt" },
		{ "IPv6, bracketed in the URL", "::1", "1", "kube-system", "etcd.x", TOKEN, "ca",
		  EI_E_UNAVAILABLE,
		  "GET https://[::1]:1/apis/apps/v1/namespaces/kube-system/statefulsets/etcd.x: " },
		{ "IPv6 given bracketed", "[::1]", "1", "default", "etcd", TOKEN, "ca",
		  EI_E_UNAVAILABLE, "GET https://[::1]:1/apis/apps/v1/namespaces/default/" },
	};
	char path[128];

	snprintf(dir, sizeof(dir), "/tmp/ei-test-k8s.XXXXXX");
	if (!mkdtemp(dir)) {
		printf("Bail out! mkdtemp failed\n");
		exit(1);
	}
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct ei_k8s_target t = { .host = rows[i].host, .port = rows[i].port,
						 .sa_dir = dir, .ns = rows[i].ns, .set = rows[i].set };
		struct ei_k8s_answer ans;
		struct ei_err err = { 0 };
		int r;

		snprintf(path, sizeof(path), "%s/token", dir);
		unlink(path);
		if (rows[i].token)
			put("token", rows[i].token, 0600);
		snprintf(path, sizeof(path), "%s/ca.crt", dir);
		unlink(path);
		if (rows[i].ca)
			put("ca.crt", rows[i].ca, 0644);
		r = ei_k8s_statefulset_replicas(loop, &t, &ans, &err);
		tap_ok(r == rows[i].code && err.code == r && ans.replicas == -1 &&
			       strstr(err.msg, rows[i].msg) && strcmp(ans.detail, err.msg) == 0 &&
			       !strstr(err.msg, TOKEN_TAIL),
		       "fetch: %s: \"%s\"", rows[i].what, rows[i].msg);
		printf("#   %s\n", err.msg);
	}
	snprintf(path, sizeof(path), "%s/token", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/ca.crt", dir);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	struct ei_loop *loop = NULL;
	struct ei_err err = { 0 };

	tap_init();
	/* As etcd-init's main does: signals blocked and read through the loop's signalfd. */
	if (ei_sig_block(&err) < 0 || ei_loop_create(&loop, &err) < 0) {
		printf("Bail out! %s\n", err.msg);
		return 1;
	}
	test_parse();
	test_messages();
	test_fetch(loop);
	ei_loop_destroy(loop);
	return tap_done();
}
