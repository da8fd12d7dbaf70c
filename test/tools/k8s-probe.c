/* k8s-probe - a thin CLI over lib/k8s for the integration tests.
 *
 *   k8s-probe [-v] [--host H] [--port P] [--sa-dir D] --namespace NS --set NAME
 *
 * --host/--port fall back to KUBERNETES_SERVICE_HOST/PORT, as in a pod. Prints
 * "replicas <n>" and exits 0, or "error=<name> outcome=<outcome> status=<http> <message>"
 * and exits 1; 2 on usage, 128+n on signal n. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "err.h"
#include "k8s.h"
#include "log.h"
#include "loop.h"
#include "sig.h"

static void usage(FILE *out)
{
	fputs(
	    "usage: k8s-probe [-v] [--host H] [--port P] [--sa-dir D] --namespace NS --set NAME\n",
	    out);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"host", required_argument, NULL, 'H'},   {"port", required_argument, NULL, 'P'},
	    {"sa-dir", required_argument, NULL, 'S'}, {"namespace", required_argument, NULL, 'n'},
	    {"set", required_argument, NULL, 's'},    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},	      {NULL, 0, NULL, 0},
	};
	struct ei_k8s_target t = {.host = getenv("KUBERNETES_SERVICE_HOST"),
				  .port = getenv("KUBERNETES_SERVICE_PORT")};
	enum ei_log_level level = EI_LOG_WARN;
	struct ei_k8s_answer ans;
	struct ei_loop *loop = NULL;
	struct ei_err err = {0};
	int opt, r;

	/* As in etcd-init itself: signals are read only through the loop's signalfd. */
	if (ei_sig_block(&err) < 0 || ei_loop_create(&loop, &err) < 0) {
		fprintf(stderr, "k8s-probe: %s\n", err.msg);
		return 1;
	}
	while ((opt = getopt_long(argc, argv, "+vh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'H':
			t.host = optarg;
			break;
		case 'P':
			t.port = optarg;
			break;
		case 'S':
			t.sa_dir = optarg;
			break;
		case 'n':
			t.ns = optarg;
			break;
		case 's':
			t.set = optarg;
			break;
		case 'v':
			level = EI_LOG_DEBUG;
			break;
		case 'h':
			usage(stdout);
			ei_loop_destroy(loop);
			return 0;
		default:
			usage(stderr);
			ei_loop_destroy(loop);
			return 2;
		}
	}
	if (optind != argc || !t.ns || !t.set) {
		usage(stderr);
		ei_loop_destroy(loop);
		return 2;
	}
	ei_log_setup(EI_LOG_TEXT, level, NULL);
	r = ei_k8s_statefulset_replicas(loop, &t, &ans, &err);
	ei_loop_destroy(loop);
	if (r == 0) {
		printf("replicas %ld\n", ans.replicas);
		return 0;
	}
	printf("error=%s outcome=%s status=%ld %s\n", ei_err_name(err.code),
	       ei_outcome_name(ans.outcome), ans.status, err.msg);
	if (r == EI_E_SIGNAL)
		return ei_err_exit_code(&err);
	return 1;
}
