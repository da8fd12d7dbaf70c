/* Fuzz target: the Kubernetes API's answer for our StatefulSet. The body of a 200,
 * ei_k8s_parse_statefulset; and the same bytes as the body of an error status,
 * ei_k8s_failure_message (a Status object's message, or the text), which must never
 * quote the service-account token (k8s.h), whatever the server echoes. The status
 * and the message buffer's size come from the input's length. */
#include "k8s.h"
#include "fuzz.h"

/* Shaped like a projected token (a JWT), without a '"' or a ')' that our own text
 * around the quote could complete. */
#define SECRET "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJmdXp6In0.c2lnbmF0dXJl"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = {401, 403, 404, 429, 500, 302, 418};
	const struct ei_k8s_target t = {
	    .host = "10.96.0.1",
	    .port = "443",
	    .ns = "default",
	    .set = "etcd",
	};
	struct ei_err err = {0};
	long replicas = 0, status;
	size_t len;
	char *buf;
	int r;

	r = ei_k8s_parse_statefulset((const char *)data, size, t.set, &replicas, &err);
	if (r == 0)
		FUZZ_CHECK(replicas >= 0 && replicas <= EI_K8S_MAX_REPLICAS);
	else
		FUZZ_CHECK(r == EI_E_PARSE && replicas == -1 && err.msg[0]);

	status = statuses[size % (sizeof(statuses) / sizeof(statuses[0]))];
	/* k8s.c's buffer is 512 bytes; a small one tries the cut. */
	len = size % 3 ? 512 : 1 + size % 97;
	buf = fuzz_alloc(len);
	r = ei_k8s_failure_message(EI_OUTCOME_HTTP_ERROR, status, size ? (const char *)data : NULL,
				   size, "HTTP " SECRET, &t, SECRET, buf, len);
	FUZZ_CHECK(r == EI_E_USAGE || r == EI_E_UNAVAILABLE || r == EI_E_PARSE);
	FUZZ_CHECK(memchr(buf, '\0', len) != NULL);
	if (strstr(buf, SECRET)) {
		fprintf(stderr, "fuzz: the token is quoted: %s\n", buf);
		abort();
	}
	free(buf);
	return 0;
}
