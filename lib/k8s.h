/* k8s.h - the one Kubernetes API call of etcd-init: the desired replica count of our
 * StatefulSet (for `leave`, the preStop hook on scale-down), over the bounded HTTP
 * client of http.h (one event loop; SIGTERM ends the wait at once with EI_E_SIGNAL).
 *
 *   GET https://<host>:<port>/apis/apps/v1/namespaces/<ns>/statefulsets/<set>
 *   Authorization: Bearer <token>
 *
 * with the token and the CA of the pod's service account (EI_K8S_SA_DIR). TLS is
 * always verified against that ca.crt; there is no way to skip it. The token is a
 * credential: it goes into the header line and nowhere else (no message, no log).
 *
 * The request says what happened (outcome, HTTP status); ei_k8s_failure_message says
 * what that means for the operator, and the caller decides what to do. */
#ifndef EI_K8S_H
#define EI_K8S_H

#include <stddef.h>

#include "err.h"
#include "http.h"
#include "loop.h"

/* Where the kubelet mounts the service account (token, ca.crt, namespace). */
#define EI_K8S_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"
/* No StatefulSet we could lead has more; anything above is not a replica count. */
#define EI_K8S_MAX_REPLICAS 100000L

struct ei_k8s_target {
	const char *host;   /* $KUBERNETES_SERVICE_HOST: a name, IPv4 or IPv6 (bare or [..]) */
	const char *port;   /* $KUBERNETES_SERVICE_PORT: 1-65535 */
	const char *sa_dir; /* holds "token" and "ca.crt"; NULL: EI_K8S_SA_DIR */
	const char *ns;	    /* the StatefulSet's namespace (a DNS label) */
	const char *set;    /* the StatefulSet's name (a DNS subdomain) */
};

struct ei_k8s_answer {
	enum ei_outcome outcome; /* VALID with replicas set; otherwise what happened */
	long status;		 /* the HTTP status, 0 when there was none */
	long replicas;		 /* spec.replicas on success, -1 otherwise */
	char detail[512];	 /* on failure: the same message as err->msg */
};

/* Read the desired replica count from a StatefulSet object (the body of a 200): one
 * JSON object (json.h's strict reading) with kind "StatefulSet", apiVersion "apps/v1",
 * metadata.name equal to set, and spec.replicas an integer 0..EI_K8S_MAX_REPLICAS,
 * absent or null meaning 1 (the API's default). Anything else is EI_E_PARSE with err
 * naming what is wrong. Pure. */
int ei_k8s_parse_statefulset(const char *body, size_t len, const char *set, long *replicas,
			     struct ei_err *err);

/* What a request that brought no replica count means, in words, into buf (always
 * NUL-terminated): refused, timeout, unreachable, closed, TLS (with http_detail), 401
 * (the token was rejected), 403 (the RBAC rule that is missing, with the API server's
 * Status message quoted), 404 (no such StatefulSet), 429/5xx, another status, or a
 * malformed answer. body/body_len: the answer's body (NULL when none), read as a
 * Kubernetes Status when it is one; http_detail: http.h's detail (may be NULL). What
 * the server and libcurl said is quoted with every occurrence of secret (when not NULL
 * or "") replaced by "[redacted]", so a server that echoes the token cannot put it in
 * a log. Returns the code for the caller's err: EI_E_USAGE for what configuration
 * must fix (401, 403, 404, other 4xx), EI_E_PARSE for a malformed answer,
 * EI_E_UNAVAILABLE otherwise (no answer, TLS, 429, 5xx). Pure. */
int ei_k8s_failure_message(enum ei_outcome outcome, long status, const char *body, size_t body_len,
			   const char *http_detail, const struct ei_k8s_target *t,
			   const char *secret, char *buf, size_t len);

/* Ask the API server for t->set's spec.replicas: read <sa_dir>/token and check
 * <sa_dir>/ca.crt, build the URL (an IPv6 host bracketed), and run one GET (connect
 * 2 s, total 5 s, no redirects). Blocks until the answer, the timeout, or a
 * termination signal. Returns 0 with out->replicas set; otherwise out (outcome,
 * status, detail) and err say what happened, err->msg naming the URL:
 * EI_E_USAGE (a bad target, no token or CA, 401/403/404), EI_E_UNAVAILABLE (no
 * answer, TLS failure, 5xx), EI_E_PARSE (not a StatefulSet), EI_E_SIGNAL (SIGTERM;
 * out->outcome NOT_ASKED), EI_E_NOMEM, EI_E_SYS. */
int ei_k8s_statefulset_replicas(struct ei_loop *loop, const struct ei_k8s_target *t,
				struct ei_k8s_answer *out, struct ei_err *err);

#endif
