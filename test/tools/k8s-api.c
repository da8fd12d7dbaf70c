/* k8s-api - a stand-in for the Kubernetes API server, for the integration tests of
 * lib/k8s (STYLE.md 16: the one thing that cannot run here, so it speaks real HTTPS).
 *
 *   k8s-api --listen ADDR:PORT --cert F --key F --token-file F --state-file F
 *           [--count-file F] [--ready-file F]
 *
 * Serves GET /apis/apps/v1/namespaces/<ns>/statefulsets/<name> the way the API server
 * does: authentication first ("Authorization: Bearer <token>", else a 401 Status),
 * then authorization (mode 403: the RBAC authorizer's Forbidden Status), then the
 * lookup (another set: a 404 NotFound Status). The state file is read again for every
 * request, so a test changes the answer at run time; lines "key value", '#' comments:
 *   replicas N|-      spec.replicas (-: omitted, which the API defaults to 1)
 *   mode ok|403|500|hang|notjson
 *   name etcd         namespace default     serviceaccount etcd     generation 1
 * ADDR is IPv4 or [IPv6]; PORT 0 takes a free port. Once listening it prints
 * "ready ADDR:PORT" and writes PORT to the ready file. One line a request on stderr
 * (never the token), and one line a request appended to the count file.
 * SIGTERM/SIGINT stop it (exit 0). Test tool: threads, exit() and all. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <microhttpd.h>

#if MHD_VERSION < 0x00097002
typedef int MHD_RESULT;
#else
typedef enum MHD_Result MHD_RESULT;
#endif

struct state {
	long replicas; /* -1: omitted */
	long generation;
	char mode[16];
	char name[254];
	char ns[64];
	char sa[254];
};

static const char *state_file, *count_file;
static char *bearer; /* "Bearer <token>" */
static atomic_bool stopping;
static atomic_ulong requests;
static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;

__attribute__((format(printf, 1, 2), noreturn)) static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("k8s-api: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf;
	long n;

	if (!f)
		die("cannot open %s", path);
	if (fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0)
		die("cannot read %s", path);
	buf = calloc(1, (size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
		die("cannot read %s", path);
	fclose(f);
	return buf;
}

/* The state file, read now; false with why set when it cannot be read. */
static bool read_state(struct state *s, char *why, size_t len)
{
	FILE *f = fopen(state_file, "re");
	char line[512], key[32], val[256];

	*s = (struct state){.replicas = 1,
			    .generation = 1,
			    .mode = "ok",
			    .name = "etcd",
			    .ns = "default",
			    .sa = "etcd"};
	if (!f) {
		snprintf(why, len, "state file %s: %s", state_file, strerror(errno));
		return false;
	}
	while (fgets(line, sizeof(line), f)) {
		char *end;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "%31s %255s", key, val) != 2) {
			snprintf(why, len, "state file: bad line %.60s", line);
			fclose(f);
			return false;
		}
		if (strcmp(key, "replicas") == 0) {
			s->replicas = strcmp(val, "-") == 0 ? -1 : strtol(val, &end, 10);
			if (s->replicas < -1 || (strcmp(val, "-") != 0 && *end))
				goto bad;
		} else if (strcmp(key, "generation") == 0) {
			s->generation = strtol(val, &end, 10);
			if (*end)
				goto bad;
		} else if (strcmp(key, "mode") == 0) {
			snprintf(s->mode, sizeof(s->mode), "%s", val);
		} else if (strcmp(key, "name") == 0) {
			snprintf(s->name, sizeof(s->name), "%s", val);
		} else if (strcmp(key, "namespace") == 0) {
			snprintf(s->ns, sizeof(s->ns), "%s", val);
		} else if (strcmp(key, "serviceaccount") == 0) {
			snprintf(s->sa, sizeof(s->sa), "%s", val);
		} else {
			goto bad;
		}
	}
	fclose(f);
	return true;
bad:
	snprintf(why, len, "state file: bad value in %.60s", line);
	fclose(f);
	return false;
}

static void count(unsigned long id, const char *method, const char *url)
{
	FILE *f;

	if (!count_file)
		return;
	pthread_mutex_lock(&count_lock);
	f = fopen(count_file, "ae");
	if (f) {
		fprintf(f, "%lu %s %s\n", id, method, url);
		fclose(f);
	}
	pthread_mutex_unlock(&count_lock);
}

static MHD_RESULT send_json(struct MHD_Connection *c, unsigned code, json_object *o)
{
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
	MHD_RESULT r;

	json_object_put(o);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", "application/json");
	MHD_add_response_header(resp, "Cache-Control", "no-cache, private");
	r = MHD_queue_response(c, code, resp);
	MHD_destroy_response(resp);
	return r;
}

static json_object *str(const char *s)
{
	return json_object_new_string(s);
}

/* A metav1.Status of a failure, as the API server writes it. details may be NULL. */
static MHD_RESULT send_status(struct MHD_Connection *c, unsigned code, const char *reason,
			      const char *message, json_object *details)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "kind", str("Status"));
	json_object_object_add(o, "apiVersion", str("v1"));
	json_object_object_add(o, "metadata", json_object_new_object());
	json_object_object_add(o, "status", str("Failure"));
	json_object_object_add(o, "message", str(message));
	json_object_object_add(o, "reason", str(reason));
	if (details)
		json_object_object_add(o, "details", details);
	json_object_object_add(o, "code", json_object_new_int((int)code));
	return send_json(c, code, o);
}

static json_object *sts_details(const char *name)
{
	json_object *d = json_object_new_object();

	json_object_object_add(d, "name", str(name));
	json_object_object_add(d, "group", str("apps"));
	json_object_object_add(d, "kind", str("statefulsets"));
	return d;
}

/* What kubectl apply records for a container with an env var from the downward API:
 * the deepest nesting of a usual StatefulSet object (15 levels). */
static const char managed_fields[] =
    "[{\"manager\":\"kubectl-client-side-apply\",\"operation\":\"Update\","
    "\"apiVersion\":\"apps/v1\",\"time\":\"2024-05-01T10:00:00Z\",\"fieldsType\":\"FieldsV1\","
    "\"fieldsV1\":{\"f:spec\":{\"f:replicas\":{},\"f:serviceName\":{},\"f:template\":{"
    "\"f:spec\":{\"f:containers\":{\"k:{\\\"name\\\":\\\"etcd\\\"}\":{\".\":{},\"f:env\":{"
    "\"k:{\\\"name\\\":\\\"HOSTNAME\\\"}\":{\".\":{},\"f:name\":{},\"f:valueFrom\":{\".\":{},"
    "\"f:fieldRef\":{\".\":{},\"f:fieldPath\":{}}}}}}}}}}}}]";

static MHD_RESULT send_statefulset(struct MHD_Connection *c, const struct state *s)
{
	char tmpl[1024];
	json_object *o = json_object_new_object(), *m = json_object_new_object();
	json_object *spec = json_object_new_object(), *st = json_object_new_object();
	json_object *labels = json_object_new_object();
	long n = s->replicas < 0 ? 1 : s->replicas;

	json_object_object_add(o, "kind", str("StatefulSet"));
	json_object_object_add(o, "apiVersion", str("apps/v1"));
	json_object_object_add(m, "name", str(s->name));
	json_object_object_add(m, "namespace", str(s->ns));
	json_object_object_add(m, "uid", str("0b3c8a9e-5f1d-4c2b-9a47-6e2d1f0c7a11"));
	json_object_object_add(m, "resourceVersion", str("48213"));
	json_object_object_add(m, "generation", json_object_new_int64(s->generation));
	json_object_object_add(m, "creationTimestamp", str("2024-05-01T10:00:00Z"));
	json_object_object_add(labels, "app.kubernetes.io/name", str("etcd"));
	json_object_object_add(m, "labels", labels);
	json_object_object_add(m, "managedFields", json_tokener_parse(managed_fields));
	json_object_object_add(o, "metadata", m);
	if (s->replicas >= 0)
		json_object_object_add(spec, "replicas", json_object_new_int64(s->replicas));
	snprintf(tmpl, sizeof(tmpl), "{\"matchLabels\":{\"app.kubernetes.io/name\":\"etcd\"}}");
	json_object_object_add(spec, "selector", json_tokener_parse(tmpl));
	snprintf(
	    tmpl, sizeof(tmpl),
	    "{\"metadata\":{\"labels\":{\"app.kubernetes.io/name\":\"etcd\"}},\"spec\":{"
	    "\"containers\":[{\"name\":\"etcd\",\"image\":\"etcd-init:latest\",\"env\":[{"
	    "\"name\":\"HOSTNAME\",\"valueFrom\":{\"fieldRef\":{\"apiVersion\":\"v1\","
	    "\"fieldPath\":\"metadata.name\"}}}],\"ports\":[{\"name\":\"client\","
	    "\"containerPort\":2379,\"protocol\":\"TCP\"},{\"name\":\"peer\",\"containerPort\":"
	    "2380,\"protocol\":\"TCP\"}]}],\"serviceAccountName\":\"%s\","
	    "\"terminationGracePeriodSeconds\":30}}",
	    s->sa);
	json_object_object_add(spec, "template", json_tokener_parse(tmpl));
	json_object_object_add(spec, "serviceName", str(s->name));
	json_object_object_add(spec, "podManagementPolicy", str("Parallel"));
	json_object_object_add(spec, "updateStrategy",
			       json_tokener_parse("{\"type\":\"RollingUpdate\","
						  "\"rollingUpdate\":{\"partition\":0}}"));
	json_object_object_add(spec, "revisionHistoryLimit", json_object_new_int(10));
	json_object_object_add(o, "spec", spec);
	json_object_object_add(st, "observedGeneration", json_object_new_int64(s->generation));
	json_object_object_add(st, "replicas", json_object_new_int64(n));
	json_object_object_add(st, "readyReplicas", json_object_new_int64(n));
	json_object_object_add(st, "currentReplicas", json_object_new_int64(n));
	json_object_object_add(st, "updatedReplicas", json_object_new_int64(n));
	json_object_object_add(st, "availableReplicas", json_object_new_int64(n));
	json_object_object_add(st, "currentRevision", str("etcd-7c9b5d8f6d"));
	json_object_object_add(st, "updateRevision", str("etcd-7c9b5d8f6d"));
	json_object_object_add(st, "collisionCount", json_object_new_int(0));
	json_object_object_add(o, "status", st);
	return send_json(c, MHD_HTTP_OK, o);
}

/* "/apis/apps/v1/namespaces/<ns>/statefulsets/<name>" into ns and name. */
static bool parse_path(const char *url, char *ns, size_t ns_len, char *name, size_t name_len)
{
	static const char pre[] = "/apis/apps/v1/namespaces/", mid[] = "/statefulsets/";
	const char *p = url + strlen(pre), *slash;

	if (strncmp(url, pre, strlen(pre)) != 0 || !(slash = strchr(p, '/')) || slash == p ||
	    (size_t)(slash - p) >= ns_len || strncmp(slash, mid, strlen(mid)) != 0)
		return false;
	snprintf(ns, ns_len, "%.*s", (int)(slash - p), p);
	p = slash + strlen(mid);
	if (!*p || strchr(p, '/') || strlen(p) >= name_len)
		return false;
	snprintf(name, name_len, "%s", p);
	return true;
}

static MHD_RESULT answer(struct MHD_Connection *c, unsigned long id, const char *url,
			 const char *method, const char **what)
{
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	char ns[64], name[254], msg[1024], why[256];
	struct state s;

	if (!auth || strcmp(auth, bearer) != 0) {
		*what = auth ? "401 (wrong token)" : "401 (no Authorization)";
		return send_status(c, 401, "Unauthorized", "Unauthorized", NULL);
	}
	if (!read_state(&s, why, sizeof(why))) {
		*what = "500 (bad state file)";
		fprintf(stderr, "k8s-api: %s\n", why);
		return send_status(c, 500, "InternalError", why, NULL);
	}
	if (strcmp(method, "GET") != 0) {
		*what = "405";
		return send_status(
		    c, 405, "MethodNotAllowed",
		    "the server does not allow this method on the requested resource", NULL);
	}
	if (!parse_path(url, ns, sizeof(ns), name, sizeof(name))) {
		*what = "404 (path)";
		return send_status(c, 404, "NotFound",
				   "the server could not find the requested "
				   "resource",
				   json_object_new_object());
	}
	if (strcmp(s.mode, "403") == 0) {
		*what = "403";
		snprintf(
		    msg, sizeof(msg),
		    "statefulsets.apps \"%s\" is forbidden: User \"system:serviceaccount:%s:%s\" "
		    "cannot get resource \"statefulsets\" in API group \"apps\" in the "
		    "namespace \"%s\"",
		    name, s.ns, s.sa, ns);
		return send_status(c, 403, "Forbidden", msg, sts_details(name));
	}
	if (strcmp(s.mode, "500") == 0) {
		json_object *d = json_object_new_object(), *causes = json_object_new_array();
		json_object *cause = json_object_new_object();

		*what = "500";
		json_object_object_add(cause, "message", str("etcdserver: request timed out"));
		json_object_array_add(causes, cause);
		json_object_object_add(d, "causes", causes);
		return send_status(c, 500, "InternalError",
				   "Internal error occurred: etcdserver: request timed out", d);
	}
	if (strcmp(s.mode, "hang") == 0) {
		struct timespec tick = {.tv_nsec = 100 * 1000 * 1000};

		/* Never answer: this connection's thread waits until we stop. */
		fprintf(stderr, "k8s-api: request %lu: %s %s -> hangs\n", id, method, url);
		while (!atomic_load(&stopping))
			nanosleep(&tick, NULL);
		*what = "hung up";
		return MHD_NO;
	}
	if (strcmp(s.mode, "notjson") == 0) {
		static const char page[] = "<html><body>502 Bad Gateway</body></html>";
		struct MHD_Response *resp = MHD_create_response_from_buffer(
		    sizeof(page) - 1, (void *)page, MHD_RESPMEM_PERSISTENT);
		MHD_RESULT r;

		*what = "200 (not JSON)";
		if (!resp)
			return MHD_NO;
		r = MHD_queue_response(c, MHD_HTTP_OK, resp);
		MHD_destroy_response(resp);
		return r;
	}
	if (strcmp(s.mode, "ok") != 0) {
		*what = "500 (unknown mode)";
		return send_status(c, 500, "InternalError",
				   "k8s-api: unknown mode in the state file", NULL);
	}
	if (strcmp(ns, s.ns) != 0 || strcmp(name, s.name) != 0) {
		*what = "404";
		snprintf(msg, sizeof(msg), "statefulsets.apps \"%s\" not found", name);
		return send_status(c, 404, "NotFound", msg, sts_details(name));
	}
	*what = "200";
	return send_statefulset(c, &s);
}

static MHD_RESULT on_request(void *cls, struct MHD_Connection *c, const char *url,
			     const char *method, const char *version, const char *upload_data,
			     size_t *upload_data_size, void **con_cls)
{
	static int first;
	const char *what = "?";
	unsigned long id;
	MHD_RESULT r;

	(void)cls;
	(void)version;
	(void)upload_data;
	/* The first call has only the headers; answer on the second. */
	if (!*con_cls) {
		*con_cls = &first;
		return MHD_YES;
	}
	if (*upload_data_size) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	id = atomic_fetch_add(&requests, 1) + 1;
	count(id, method, url);
	r = answer(c, id, url, method, &what);
	fprintf(stderr, "k8s-api: request %lu: %s %s -> %s\n", id, method, url, what);
	return r;
}

/* "127.0.0.1:8443" or "[::1]:8443". */
static socklen_t parse_listen(const char *s, struct sockaddr_storage *ss)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	char host[64];
	const char *colon = strrchr(s, ':');
	char *end;
	long port;

	memset(ss, 0, sizeof(*ss));
	if (!colon || (size_t)(colon - s) >= sizeof(host))
		die("bad --listen %s", s);
	port = strtol(colon + 1, &end, 10);
	if (!colon[1] || *end || port < 0 || port > 65535)
		die("bad port in --listen %s", s);
	if (s[0] == '[') {
		if (colon[-1] != ']')
			die("bad --listen %s", s);
		snprintf(host, sizeof(host), "%.*s", (int)(colon - s - 2), s + 1);
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1)
			die("bad address in --listen %s", s);
		return sizeof(*a6);
	}
	snprintf(host, sizeof(host), "%.*s", (int)(colon - s), s);
	a4->sin_family = AF_INET;
	a4->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
		die("bad address in --listen %s", s);
	return sizeof(*a4);
}

/* libmicrohttpd's own messages (TLS handshakes that a client aborted...), marked. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];
	size_t n;

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n && line[n - 1] == '\n')
		line[--n] = '\0';
	fprintf(stderr, "k8s-api: libmicrohttpd: %s\n", line);
}

static void usage(FILE *out)
{
	fputs("usage: k8s-api --listen ADDR:PORT --cert F --key F --token-file F --state-file F\n"
	      "               [--count-file F] [--ready-file F]\n",
	      out);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"listen", required_argument, NULL, 'l'},
	    {"cert", required_argument, NULL, 'c'},
	    {"key", required_argument, NULL, 'k'},
	    {"token-file", required_argument, NULL, 't'},
	    {"state-file", required_argument, NULL, 's'},
	    {"count-file", required_argument, NULL, 'n'},
	    {"ready-file", required_argument, NULL, 'r'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *listen = NULL, *cert = NULL, *key = NULL, *token_file = NULL;
	const char *ready_file = NULL;
	char *cert_pem, *key_pem, *tok;
	struct sockaddr_storage ss;
	const union MHD_DaemonInfo *info;
	struct MHD_Daemon *d;
	sigset_t set;
	int opt, sig;
	unsigned flags;
	size_t n;

	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'l':
			listen = optarg;
			break;
		case 'c':
			cert = optarg;
			break;
		case 'k':
			key = optarg;
			break;
		case 't':
			token_file = optarg;
			break;
		case 's':
			state_file = optarg;
			break;
		case 'n':
			count_file = optarg;
			break;
		case 'r':
			ready_file = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || !listen || !cert || !key || !token_file || !state_file) {
		usage(stderr);
		return 2;
	}
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
		die("libmicrohttpd was built without TLS");
	cert_pem = read_file(cert);
	key_pem = read_file(key);
	tok = read_file(token_file);
	for (n = strlen(tok); n && (tok[n - 1] == '\n' || tok[n - 1] == '\r'); n--)
		tok[n - 1] = '\0';
	if (asprintf(&bearer, "Bearer %s", tok) < 0)
		die("out of memory");

	/* Every thread MHD starts inherits the mask: the signals come to sigwait only. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	flags = MHD_USE_TLS | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
		MHD_USE_ERROR_LOG;
	if (parse_listen(listen, &ss) == sizeof(struct sockaddr_in6))
		flags |= MHD_USE_IPv6;
	d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, NULL, MHD_OPTION_EXTERNAL_LOGGER,
			     mhd_log, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
			     MHD_OPTION_HTTPS_MEM_CERT, cert_pem, MHD_OPTION_HTTPS_MEM_KEY, key_pem,
			     MHD_OPTION_END);
	if (!d)
		die("cannot listen on %s (or bad certificate/key)", listen);
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	if (!info || !info->port)
		die("cannot read the bound port");
	printf("ready %.*s:%u\n", (int)(strrchr(listen, ':') - listen), listen,
	       (unsigned)info->port);
	fflush(stdout);
	if (ready_file) {
		char tmp[4096];
		FILE *f;

		/* Written whole, then renamed: a script polling for it never reads half. */
		snprintf(tmp, sizeof(tmp), "%s.tmp", ready_file);
		f = fopen(tmp, "we");
		if (!f || fprintf(f, "%u\n", (unsigned)info->port) < 0 || fclose(f) != 0 ||
		    rename(tmp, ready_file) < 0)
			die("cannot write %s", ready_file);
	}
	fprintf(stderr, "k8s-api: listening on %s port %u\n", listen, (unsigned)info->port);
	while (sigwait(&set, &sig) != 0)
		;
	atomic_store(&stopping, true);
	MHD_stop_daemon(d);
	fprintf(stderr, "k8s-api: stopped by signal %d after %lu requests\n", sig,
		atomic_load(&requests));
	free(bearer);
	free(tok);
	free(cert_pem);
	free(key_pem);
	return 0;
}
