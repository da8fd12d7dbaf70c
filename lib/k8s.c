/* k8s.c - the StatefulSet's desired replica count from the Kubernetes API (see k8s.h).
 *
 * The API server's answers follow its conventions (api-conventions.md): a 200 carries
 * the object with kind and apiVersion; every error carries a Status object
 * ({"kind":"Status","status":"Failure","message":...,"reason":...,"code":...}) whose
 * message is the one sentence worth quoting. Authentication (401) comes before
 * authorization (403), which comes before the lookup (404). */
#include "k8s.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "file.h"
#include "identity.h"
#include "json.h"
#include "log.h"

/* http.h bounds: the API server on the cluster network answers in milliseconds; a
 * preStop hook has the pod's grace period for everything, this call included. */
/* Bounds of a StatefulSet object (ei_k8s_parse_statefulset). */
#define K8S_JSON_MAX_DEPTH 64
#define K8S_JSON_MAX_TOKENS 262144
#define K8S_CONNECT_MS 2000L
#define K8S_TOTAL_MS   5000L
/* A projected service-account token is a JWT of 1-2 KiB. */
#define K8S_TOKEN_MAX 16384
#define K8S_URL_MAX   512
#define K8S_QUOTE_MAX 200

/* One secret as the list ei_excerpt takes. */
static void clean(char *dst, size_t cap, const char *s, size_t n, const char *secret)
{
	const char *const secrets[] = { secret, NULL };

	ei_excerpt(dst, cap, s, n, secrets);
}

/* The message of a Status body, or else the start of the body as it is: what the API
 * server (or whatever answered in its place) said. "" when the body is empty. */
static void answer_text(char *dst, size_t cap, const char *body, size_t len, const char *secret)
{
	json_object *root, *v;

	dst[0] = '\0';
	if (!body || len == 0)
		return;
	if (ei_json_parse(body, len, "Status", json_type_object, &root, NULL) == 0) {
		if (ei_json_field(root, "kind", json_type_string, "a string", &v, "Status", NULL) ==
			1 &&
		    strcmp(json_object_get_string(v), "Status") == 0 &&
		    ei_json_field(root, "message", json_type_string, "a string", &v, "Status",
				  NULL) == 1) {
			clean(dst, cap, json_object_get_string(v),
			      (size_t)json_object_get_string_len(v), secret);
			json_object_put(root);
			return;
		}
		json_object_put(root);
	}
	clean(dst, cap, body, len, secret);
}

/* The user a Forbidden Status names: `... User "system:serviceaccount:ns:sa" cannot
 * get resource ...` (the RBAC authorizer's sentence). "" when there is none. */
static void forbidden_user(char *dst, size_t cap, const char *text)
{
	const char *p = strstr(text, "User \""), *end;

	dst[0] = '\0';
	if (!p)
		return;
	p += strlen("User \"");
	end = strchr(p, '"');
	if (!end || end == p || (size_t)(end - p) >= cap)
		return;
	memcpy(dst, p, (size_t)(end - p));
	dst[end - p] = '\0';
}

/* The HTTP statuses (see k8s.h). */
static int status_message(long status, const char *text, const struct ei_k8s_target *t, char *buf,
			  size_t len)
{
	const char *sa_dir = t->sa_dir ? t->sa_dir : EI_K8S_SA_DIR;
	char user[160], who[200], said[K8S_QUOTE_MAX + 4];

	/* ` "<what the server said>"`, or nothing when it said nothing. */
	said[0] = '\0';
	if (text[0])
		snprintf(said, sizeof(said), " \"%s\"", text);

	switch (status) {
	case 401:
		snprintf(buf, len,
			 "the service-account token was rejected (HTTP 401%s): %s/token is expired, revoked or from another cluster",
			 said, sa_dir);
		return EI_E_USAGE;
	case 403:
		forbidden_user(user, sizeof(user), text);
		if (user[0] && strstr(user, "system:serviceaccount:") == user)
			snprintf(who, sizeof(who), "the service account %s", user);
		else if (user[0])
			snprintf(who, sizeof(who), "%s (not a service account)", user);
		else
			snprintf(who, sizeof(who), "the pod's service account");
		snprintf(buf, len,
			 "RBAC: %s needs get on statefulsets in %s: a Role with get on statefulsets.apps and a RoleBinding to the service account (HTTP 403%s)",
			 who, t->ns, said);
		return EI_E_USAGE;
	case 404:
		snprintf(buf, len, "no StatefulSet \"%s\" in namespace \"%s\" (HTTP 404%s)", t->set,
			 t->ns, said);
		return EI_E_USAGE;
	case 429:
		snprintf(buf, len, "the API server is throttling requests (HTTP 429%s)", said);
		return EI_E_UNAVAILABLE;
	default:
		break;
	}
	if (status >= 500) {
		snprintf(buf, len, "the API server failed (HTTP %ld%s)", status, said);
		return EI_E_UNAVAILABLE;
	}
	snprintf(buf, len, "unexpected answer (HTTP %ld%s)", status, said);
	return status >= 400 && status < 500 ? EI_E_USAGE : EI_E_UNAVAILABLE;
}

int ei_k8s_failure_message(enum ei_outcome outcome, long status, const char *body, size_t body_len,
			   const char *http_detail, const struct ei_k8s_target *t,
			   const char *secret, char *buf, size_t len)
{
	const char *sa_dir = t->sa_dir ? t->sa_dir : EI_K8S_SA_DIR;
	char text[K8S_QUOTE_MAX + 1], detail[256];
	int code = EI_E_UNAVAILABLE;

	if (len == 0)
		return code;
	/* Whatever the server or libcurl said is cleaned of the secret before it is cut
	 * to size; the rest of the message is ours. */
	clean(detail, sizeof(detail), http_detail ? http_detail : "",
	      http_detail ? strlen(http_detail) : 0, secret);
	switch (outcome) {
	case EI_OUTCOME_HTTP_ERROR:
		answer_text(text, sizeof(text), body, body_len, secret);
		code = status_message(status, text, t, buf, len);
		break;
	case EI_OUTCOME_REFUSED:
		snprintf(
		    buf, len,
		    "connection refused: nothing listens there (is KUBERNETES_SERVICE_HOST/PORT the API server?)");
		break;
	case EI_OUTCOME_TIMEOUT:
		snprintf(buf, len, "timed out: %s", detail);
		break;
	case EI_OUTCOME_UNREACHABLE:
		snprintf(buf, len, "unreachable: %s", detail);
		break;
	case EI_OUTCOME_CLOSED:
		snprintf(buf, len, "the connection closed without an answer: %s", detail);
		break;
	case EI_OUTCOME_TLS:
		snprintf(buf, len,
			 "TLS failure: %s (the API server's certificate must verify against %s/ca.crt)",
			 detail, sa_dir);
		break;
	case EI_OUTCOME_MALFORMED:
		snprintf(buf, len, "not a readable HTTP answer: %s", detail);
		code = EI_E_PARSE;
		break;
	case EI_OUTCOME_VALID:
		snprintf(buf, len, "HTTP %ld, but not a usable StatefulSet", status);
		code = EI_E_PARSE;
		break;
	case EI_OUTCOME_NOT_ASKED:
	case EI_OUTCOME_NOT_PEER:
	default:
		snprintf(buf, len, "not asked: %s", detail);
		break;
	}
	return code;
}

/* What is parsed, in the messages. */
static const char sts_ctx[] = "StatefulSet";

/* ei_json_field's answer r for a field the API server always sends: absent is an error. */
static int present(int r, const char *path, struct ei_err *err)
{
	if (r == 0)
		return ei_err_set(err, EI_E_PARSE, "%s: no \"%s\"", sts_ctx, path);
	return r < 0 ? r : 0;
}

/* root's string field key is want. */
static int expect_string(json_object *root, const char *key, const char *want, struct ei_err *err)
{
	json_object *v;
	int r = present(ei_json_field(root, key, json_type_string, "a string", &v, sts_ctx, err),
			key, err);

	if (r < 0)
		return r;
	if (strcmp(json_object_get_string(v), want) != 0)
		return ei_err_set(err, EI_E_PARSE, "%s: %s is \"%.40s\", not \"%s\"", sts_ctx, key,
				  json_object_get_string(v), want);
	return 0;
}

/* The object is an apps/v1 StatefulSet named set. */
static int check_identity(json_object *root, const char *set, struct ei_err *err)
{
	json_object *meta, *v;
	int r = expect_string(root, "kind", "StatefulSet", err);

	if (r == 0)
		r = expect_string(root, "apiVersion", "apps/v1", err);
	if (r == 0)
		r = present(ei_json_field(root, "metadata", json_type_object, "an object", &meta,
					  sts_ctx, err),
			    "metadata", err);
	if (r == 0)
		r = present(ei_json_field(meta, "name", json_type_string, "a string", &v,
					  "StatefulSet.metadata", err),
			    "metadata.name", err);
	if (r < 0)
		return r;
	if ((size_t)json_object_get_string_len(v) != strlen(json_object_get_string(v)))
		return ei_err_set(err, EI_E_PARSE, "%s: metadata.name contains a NUL byte", sts_ctx);
	if (strcmp(json_object_get_string(v), set) != 0)
		return ei_err_set(err, EI_E_PARSE, "%s: metadata.name is \"%.64s\", not \"%s\"",
				  sts_ctx, json_object_get_string(v), set);
	return 0;
}

/* spec.ordinals.start (Kubernetes >= 1.27): pods are numbered from it, so
 * "ordinal >= replicas" no longer means "scaled away"; only 0 is supported. */
static int check_ordinals(json_object *spec, struct ei_err *err)
{
	json_object *ords, *start;
	int r = ei_json_field(spec, "ordinals", json_type_object, "an object", &ords,
			      "StatefulSet.spec", err);

	if (r == 1)
		r = ei_json_field(ords, "start", json_type_int, "an integer", &start,
				  "StatefulSet.spec.ordinals", err);
	if (r == 1 && json_object_get_int64(start) != 0)
		return ei_err_set(err, EI_E_PARSE, "%s: spec.ordinals.start is %" PRId64 ": pods numbered from another start than 0 are not supported by leave",
				  sts_ctx, json_object_get_int64(start));
	return r < 0 ? r : 0;
}

/* spec.replicas, a replica count; spec.ordinals checked. */
static int read_replicas(json_object *root, long *replicas, struct ei_err *err)
{
	json_object *spec, *v;
	int64_t n;
	int r = present(ei_json_field(root, "spec", json_type_object, "an object", &spec, sts_ctx,
				      err),
			"spec", err);

	if (r < 0)
		return r;
	r = ei_json_field(spec, "replicas", json_type_int, "an integer", &v, "StatefulSet.spec",
			  err);
	/* The API server returns every object defaulted, so spec.replicas is always
	 * there: an answer without it is not the API server's, and reading it as the
	 * default 1 would make every pod but etcd-0 look scaled away. */
	if (r == 0)
		return ei_err_set(err, EI_E_PARSE, "%s: no \"spec.replicas\" (the API server always sends it)",
				  sts_ctx);
	if (r < 0)
		return r;
	/* json-c clamps integers beyond int64 to its limits, which the range refuses. */
	n = json_object_get_int64(v);
	if (n < 0 || n > EI_K8S_MAX_REPLICAS)
		return ei_err_set(err, EI_E_PARSE, "%s: spec.replicas is %" PRId64 ", not a replica count (0-%ld)",
				  sts_ctx, n, EI_K8S_MAX_REPLICAS);
	r = check_ordinals(spec, err);
	if (r == 0)
		*replicas = (long)n;
	return r;
}

int ei_k8s_parse_statefulset(const char *body, size_t len, const char *set, long *replicas,
			     struct ei_err *err)
{
	json_object *root;
	int r;

	*replicas = -1;
	/* metadata.managedFields nests as deep as the fields it records (an env var from
	 * the downward API is 15 levels; a volume claim template in the pod template more),
	 * and a large pod template has thousands of values: wider bounds than a peer's
	 * answer gets, for a verified server, within the HTTP client's 1 MiB. */
	r = ei_json_parse_bounded(body, len, sts_ctx, json_type_object, K8S_JSON_MAX_DEPTH,
				  K8S_JSON_MAX_TOKENS, &root, err);
	if (r < 0)
		return r;
	r = check_identity(root, set, err);
	if (r == 0)
		r = read_replicas(root, replicas, err);
	json_object_put(root);
	return r;
}

/* KUBERNETES_SERVICE_HOST/PORT, the namespace and the name become one URL: check
 * each so that none can change its shape (no '/', '@', '?' or space sneaks in). */
static int build_url(const struct ei_k8s_target *t, char *url, size_t cap, struct ei_err *err)
{
	char host[INET6_ADDRSTRLEN + 2];
	struct in6_addr a6;
	const char *h = t->host;
	size_t hlen;
	long port = 0;
	int n;

	if (!h || !*h)
		return ei_err_set(err, EI_E_USAGE,
				  "the API server's host is empty (KUBERNETES_SERVICE_HOST, which the kubelet sets in every pod)");
	hlen = strlen(h);
	if (h[0] == '[' && hlen > 2 && h[hlen - 1] == ']') {
		h++;
		hlen -= 2;
	}
	if (memchr(h, ':', hlen)) {
		if (hlen >= sizeof(host) - 2)
			return ei_err_set(err, EI_E_USAGE,
					  "KUBERNETES_SERVICE_HOST \"%.64s\" is not an IPv6 address",
					  t->host);
		memcpy(host, h, hlen);
		host[hlen] = '\0';
		if (inet_pton(AF_INET6, host, &a6) != 1)
			return ei_err_set(err, EI_E_USAGE,
					  "KUBERNETES_SERVICE_HOST \"%.64s\" is not an IPv6 address",
					  t->host);
		/* RFC 3986 3.2.2: an IPv6 literal is bracketed in a URL. */
		snprintf(host, sizeof(host), "[%.*s]", (int)hlen, h);
	} else {
		if (hlen > EI_DOMAIN_MAX || h != t->host)
			return ei_err_set(err, EI_E_USAGE,
					  "KUBERNETES_SERVICE_HOST \"%.64s\" is not a host name or address",
					  t->host);
		for (size_t i = 0; i < hlen; i++)
			if (!(h[i] == '.' || h[i] == '-' || (h[i] >= '0' && h[i] <= '9') ||
			      (h[i] >= 'a' && h[i] <= 'z') || (h[i] >= 'A' && h[i] <= 'Z')))
				return ei_err_set(err, EI_E_USAGE,
						  "KUBERNETES_SERVICE_HOST \"%.64s\" is not a host name or address",
						  t->host);
		snprintf(host, sizeof(host), "%s", h);
	}
	/* A checked number parser, not atoi: digits only, 1-65535. */
	for (const char *p = t->port ? t->port : ""; *p && port <= 65535; p++)
		port = *p >= '0' && *p <= '9' ? port * 10 + (*p - '0') : 65536;
	if (!t->port || !*t->port || port < 1 || port > 65535)
		return ei_err_set(err, EI_E_USAGE,
				  "KUBERNETES_SERVICE_PORT \"%.16s\" is not a port (1-65535)",
				  t->port ? t->port : "");
	if (!t->ns || !ei_label_valid(t->ns))
		return ei_err_set(err, EI_E_USAGE, "namespace \"%.64s\" is not a DNS label",
				  t->ns ? t->ns : "");
	if (!t->set || !ei_domain_valid(t->set))
		return ei_err_set(err, EI_E_USAGE, "StatefulSet name \"%.64s\" is not a DNS name",
				  t->set ? t->set : "");
	n = snprintf(url, cap, "https://%s:%ld/apis/apps/v1/namespaces/%s/statefulsets/%s", host,
		     port, t->ns, t->set);
	if (n < 0 || (size_t)n >= cap)
		return ei_err_set(err, EI_E_USAGE, "the API URL is longer than %zu bytes", cap - 1);
	return 0;
}

/* <sa_dir>/token, without its trailing newline, into a malloc'ed string. Its content
 * is never quoted: a message names the file only. */
static int read_token(const char *path, char **out, struct ei_err *err)
{
	char *buf;
	size_t len = 0;
	int fd, r = 0;

	*out = NULL;
	fd = ei_file_open(path);
	if (fd < 0)
		return ei_err_set(
		    err, EI_E_USAGE,
		    "%s: %s (no service-account token: is automountServiceAccountToken false for this pod?)",
		    path, strerror(-fd));
	buf = malloc(K8S_TOKEN_MAX + 1);
	if (!buf) {
		close(fd);
		return ei_err_set(err, EI_E_NOMEM, "out of memory");
	}
	r = ei_file_read_all(fd, buf, K8S_TOKEN_MAX + 1, &len);
	if (r == -EFBIG)
		r = ei_err_set(err, EI_E_USAGE, "%s: larger than %d bytes, not a token", path,
			       K8S_TOKEN_MAX);
	else if (r < 0)
		r = ei_err_sys(err, -r, "reading %s", path);
	while (r == 0 && len &&
	       (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == ' ' ||
		buf[len - 1] == '\t'))
		len--;
	if (r == 0 && len == 0)
		r = ei_err_set(err, EI_E_USAGE, "%s is empty", path);
	/* It goes into a header line: nothing that could end or split it. */
	for (size_t i = 0; r == 0 && i < len; i++)
		if ((unsigned char)buf[i] <= 0x20 || buf[i] == 0x7f)
			r = ei_err_set(err, EI_E_USAGE,
				       "%s contains a blank or a control character, not a token",
				       path);
	if (r < 0) {
		explicit_bzero(buf, K8S_TOKEN_MAX + 1);
		free(buf);
		return r;
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}

static void forget(char *secret)
{
	if (secret) {
		explicit_bzero(secret, strlen(secret));
		free(secret);
	}
}

/* The request itself, with the token and its header line owned by the caller. */
static int ask(struct ei_loop *loop, const char *url, const char *ca, const char *auth,
	       const struct ei_k8s_target *t, const char *token, struct ei_k8s_answer *out,
	       struct ei_err *err)
{
	struct ei_http_opts ho = {
	    .ca_file = ca, .connect_timeout_ms = K8S_CONNECT_MS, .total_timeout_ms = K8S_TOTAL_MS};
	struct ei_http_req req = {.url = url};
	struct ei_http_req *reqs[] = {&req};
	struct ei_http *http = NULL;
	struct ei_err perr = {0};
	char msg[EI_ERR_MSG_MAX];
	int r;

	req.headers[0] = auth;
	req.headers[1] = "Accept: application/json";
	r = ei_http_create(&http, loop, &ho, err);
	if (r < 0)
		return r;
	ei_log_debug("asking the Kubernetes API", "url=%s", url);
	r = ei_http_run(http, reqs, 1, err);
	ei_http_destroy(http);
	if (r < 0) {
		ei_http_req_clear(&req);
		return r;
	}
	out->outcome = req.outcome;
	out->status = req.status;
	if (req.outcome == EI_OUTCOME_VALID &&
	    ei_k8s_parse_statefulset(req.resp, req.resp_len, t->set, &out->replicas, &perr) == 0) {
		ei_http_req_clear(&req);
		return 0;
	}
	if (req.outcome == EI_OUTCOME_VALID) {
		out->outcome = EI_OUTCOME_MALFORMED;
		snprintf(msg, sizeof(msg), "HTTP %ld, but not our StatefulSet: %s", req.status,
			 perr.msg);
		ei_redact(msg, sizeof(msg), token);
		r = EI_E_PARSE;
	} else {
		r = ei_k8s_failure_message(req.outcome, req.status, req.resp, req.resp_len,
					   req.detail, t, token, msg, sizeof(msg));
	}
	ei_http_req_clear(&req);
	return ei_err_set(err, r, "GET %s: %s", url, msg);
}

int ei_k8s_statefulset_replicas(struct ei_loop *loop, const struct ei_k8s_target *t,
				struct ei_k8s_answer *out, struct ei_err *err)
{
	const char *dir = t->sa_dir ? t->sa_dir : EI_K8S_SA_DIR;
	char url[K8S_URL_MAX], path[4096], ca[4096];
	char *token = NULL, *auth = NULL;
	struct ei_err local;
	int fd, r;

	/* err->msg is copied into out->detail. */
	if (!err)
		err = &local;
	memset(out, 0, sizeof(*out));
	out->replicas = -1;
	r = build_url(t, url, sizeof(url), err);
	if (r < 0)
		goto out;
	snprintf(path, sizeof(path), "%s/token", dir);
	snprintf(ca, sizeof(ca), "%s/ca.crt", dir);
	r = read_token(path, &token, err);
	if (r < 0)
		goto out;
	/* Checked here so that a missing CA reads as such, not as a TLS failure. */
	fd = ei_file_open(ca);
	if (fd < 0) {
		r = ei_err_set(err, EI_E_USAGE,
			       "%s: %s (the service account's CA, needed to verify the API server)",
			       ca, strerror(-fd));
		goto out;
	}
	close(fd);
	if (asprintf(&auth, "Authorization: Bearer %s", token) < 0) {
		auth = NULL;
		r = ei_err_set(err, EI_E_NOMEM, "out of memory");
		goto out;
	}
	r = ask(loop, url, ca, auth, t, token, out, err);
out:
	if (r < 0 && r != EI_E_SIGNAL)
		ei_redact(err->msg, sizeof(err->msg), token);
	if (r < 0) {
		out->replicas = -1;
		snprintf(out->detail, sizeof(out->detail), "%s", err->msg);
	}
	forget(auth);
	forget(token);
	return r;
}
