/* etcd-probe - a thin CLI over lib/etcdclient for the integration tests.
 *
 *   etcd-probe [options] list URL...            member list (first answer of many)
 *   etcd-probe [options] peer-list PEERURL...   GET <peer>/members
 *   etcd-probe [options] add URL PEERURL [--learner]
 *   etcd-probe [options] remove URL ID
 *   etcd-probe [options] promote URL ID
 *   etcd-probe [options] status URL
 *   etcd-probe [options] again MS COMMAND ARGS  a command, a pause of MS, the command
 *                                               again (one client: a token that expired
 *                                               in between)
 * Options: -v (debug log), --timeout MS, --connect-timeout MS, --cacert F,
 *          --cert F, --key F (for client and peer URLs alike), --user U, --password P.
 * Prints one fact a line ("member <id> name=<n|-> learner=<0|1> peer=<urls> client=<urls|->",
 * "cluster_id <dec>", "failure <name> http=<code> message=<text>"); exits 0 on
 * success, 1 when etcd refused or nothing answered, 2 on usage, 128+n on signal n. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "etcdclient.h"
#include "log.h"
#include "loop.h"
#include "members.h"
#include "sig.h"

static void usage(FILE *out)
{
	fputs(
	    "usage: etcd-probe [-v] [--timeout MS] [--connect-timeout MS] [--cacert F] [--cert F]\n"
	    "                  [--key F] [--user U --password P] COMMAND ARGS\n"
	    "commands: list URL... | peer-list PEERURL... | add URL PEERURL [--learner] |\n"
	    "          remove URL ID | promote URL ID | status URL | again MS COMMAND ARGS\n",
	    out);
}

static int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_id(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

static void print_urls(char *const *urls, size_t n)
{
	if (n == 0)
		fputs("-", stdout);
	for (size_t i = 0; i < n; i++)
		printf("%s%s", i ? "," : "", urls[i]);
}

static void print_member(const char *tag, const struct ei_member *m)
{
	printf("%s %" PRIu64 " name=%s learner=%d peer=", tag, m->id, m->name ? m->name : "-",
	       (int)m->is_learner);
	print_urls(m->peer_urls, m->n_peer_urls);
	fputs(" client=", stdout);
	print_urls(m->client_urls, m->n_client_urls);
	putchar('\n');
}

static void print_list(const struct ei_member_list *l, const struct ei_etcd_result *res)
{
	printf("endpoint %s\n", res->endpoint);
	printf("cluster_id %" PRIu64 "\n", l->cluster_id);
	printf("responder %" PRIu64 "\n", l->responder_id);
	for (size_t i = 0; i < l->n_members; i++)
		print_member("member", &l->members[i]);
}

static int run(struct ei_etcd_client *c, const char *cmd, char **args, int nargs,
	       struct ei_etcd_result *res, struct ei_err *err)
{
	struct ei_member_list list = {0};
	struct ei_member added = {0};
	struct ei_member_status st;
	uint64_t id;
	int r;

	if ((strcmp(cmd, "list") == 0 || strcmp(cmd, "peer-list") == 0) && nargs >= 1) {
		if (cmd[0] == 'l')
			r = ei_etcd_member_list(c, (const char *const *)args, NULL, (size_t)nargs,
						&list, res, err);
		else
			r = ei_etcd_member_list_peer(c, (const char *const *)args, NULL,
						     (size_t)nargs, &list, res, err);
		if (r == 0)
			print_list(&list, res);
		ei_member_list_free(&list);
		return r;
	}
	if (strcmp(cmd, "again") == 0 && nargs >= 2) {
		long ms;
		struct ei_loop *loop;

		if (parse_long(args[0], 0, 600000, &ms) < 0)
			return ei_err_set(err, EI_E_USAGE, "again: %s is not milliseconds", args[0]);
		r = run(c, args[1], args + 2, nargs - 2, res, err);
		printf("first %s %s\n", r == 0 ? "ok" : "failure", ei_etcd_failure_name(res->failure));
		if (r == EI_E_SIGNAL || r == EI_E_USAGE)
			return r;
		r = ei_loop_create(&loop, err);
		if (r == 0)
			r = ei_loop_sleep(loop, (int)ms, err);
		ei_loop_destroy(loop);
		return r < 0 ? r : run(c, args[1], args + 2, nargs - 2, res, err);
	}
	if (strcmp(cmd, "add") == 0 && (nargs == 2 || nargs == 3)) {
		bool learner = nargs == 3 && strcmp(args[2], "--learner") == 0;

		if (nargs == 3 && !learner)
			return ei_err_set(err, EI_E_USAGE, "add: unknown argument %s", args[2]);
		r = ei_etcd_member_add(c, args[0], NULL, args[1], learner, &added, &list, res, err);
		if (r == 0) {
			print_member("added", &added);
			print_list(&list, res);
		}
		ei_member_free(&added);
		ei_member_list_free(&list);
		return r;
	}
	if ((strcmp(cmd, "remove") == 0 || strcmp(cmd, "promote") == 0) && nargs == 2) {
		if (parse_id(args[1], &id) < 0)
			return ei_err_set(err, EI_E_USAGE, "%s: %s is not a decimal member ID", cmd,
					  args[1]);
		if (cmd[0] == 'r')
			r = ei_etcd_member_remove(c, args[0], NULL, id, res, err);
		else
			r = ei_etcd_member_promote(c, args[0], NULL, id, res, err);
		if (r == 0)
			printf("ok %s %" PRIu64 "\n", cmd, id);
		return r;
	}
	if (strcmp(cmd, "status") == 0 && nargs == 1) {
		r = ei_etcd_status(c, args[0], NULL, &st, res, err);
		if (r == 0) {
			printf("cluster_id %" PRIu64 "\n", st.cluster_id);
			printf("status member_id=%" PRIu64 " leader=%" PRIu64 " raft_index=%" PRIu64
			       " raft_applied_index=%" PRIu64 " raft_term=%" PRIu64
			       " learner=%d version=%s\n",
			       st.member_id, st.leader, st.raft_index, st.raft_applied_index,
			       st.raft_term, (int)st.is_learner, st.version);
		}
		return r;
	}
	return ei_err_set(err, EI_E_USAGE, "unknown command or wrong arguments: %s", cmd);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"timeout", required_argument, NULL, 't'},
	    {"connect-timeout", required_argument, NULL, 'c'},
	    {"cacert", required_argument, NULL, 'A'},
	    {"cert", required_argument, NULL, 'C'},
	    {"key", required_argument, NULL, 'K'},
	    {"user", required_argument, NULL, 'U'},
	    {"password", required_argument, NULL, 'P'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct ei_client_opts opts = {0};
	struct ei_etcd_result res = {0};
	struct ei_etcd_client *client = NULL;
	struct ei_loop *loop = NULL;
	enum ei_log_level level = EI_LOG_WARN;
	struct ei_err err = {0};
	int opt, r;

	/* As in etcd-init itself: signals are read only through the loop's signalfd. */
	if (ei_sig_block(&err) < 0 || ei_loop_create(&loop, &err) < 0) {
		fprintf(stderr, "etcd-probe: %s\n", err.msg);
		return 1;
	}
	while ((opt = getopt_long(argc, argv, "+vht:c:", longopts, NULL)) != -1) {
		switch (opt) {
		case 't':
		case 'c':
			if (parse_long(optarg, 1, 3600000,
				       opt == 't' ? &opts.request_timeout_ms
						  : &opts.connect_timeout_ms) < 0) {
				fprintf(stderr, "etcd-probe: bad timeout %s\n", optarg);
				return 2;
			}
			break;
		case 'A':
			opts.client_tls.ca_file = opts.peer_tls.ca_file = optarg;
			break;
		case 'C':
			opts.client_tls.cert_file = opts.peer_tls.cert_file = optarg;
			break;
		case 'K':
			opts.client_tls.key_file = opts.peer_tls.key_file = optarg;
			break;
		case 'U':
			opts.user = optarg;
			break;
		case 'P':
			opts.password = optarg;
			break;
		case 'v':
			level = EI_LOG_DEBUG;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	ei_log_setup(EI_LOG_TEXT, level, NULL);
	r = ei_etcd_client_create(&client, loop, &opts, &err);
	if (r == 0)
		r = run(client, argv[optind], argv + optind + 1, argc - optind - 1, &res, &err);
	if (r < 0 && r != EI_E_SIGNAL && res.failure != EI_ETCD_FAIL_NONE)
		printf("failure %s http=%ld message=%s\n", ei_etcd_failure_name(res.failure),
		       res.http_status, res.message);
	if (r < 0)
		fprintf(stderr, "etcd-probe: %s: %s\n", ei_err_name(err.code), err.msg);
	ei_etcd_client_destroy(client);
	ei_loop_destroy(loop);
	if (r == 0)
		return 0;
	if (r == EI_E_SIGNAL)
		return ei_err_exit_code(&err);
	return r == EI_E_USAGE ? 2 : 1;
}
