/* dns-probe - a thin CLI over lib/dns for test/integration/dns.sh.
 *
 *   dns-probe [-t TRY_MS] [-d DEADLINE_MS] host NAME...
 *       one line per name: "NAME found ADDR[,ADDR..]", "NAME not-found",
 *       or "NAME failed ERROR"
 *   dns-probe [-t TRY_MS] [-d DEADLINE_MS] srv NAME
 *       "srv found" and then "TARGET PORT PRIORITY WEIGHT" lines,
 *       or "srv not-found" / "srv failed"
 *   dns-probe [-t TRY_MS] [-d DEADLINE_MS] [-i INTERVAL_MS] wait NAME
 *       asks again every INTERVAL_MS (default 100) with one resolver, printing
 *       "NAME STATUS attempt=N" per miss, until found:
 *       "NAME found ADDR[,ADDR..] attempts=N"; gives up after DEADLINE_MS
 *       (default 10000)
 *
 * -t is c-ares' per-try timeout (default 1000), -d the deadline of each lookup
 * (host, srv) or of the whole wait (default: none / 10000).
 * Exit status: 0 when every name was found, 1 otherwise, 2 on usage errors,
 * 128+n on signal n (143 for SIGTERM). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "err.h"
#include "log.h"
#include "loop.h"
#include "sig.h"

struct opts {
	int try_ms;
	int deadline_ms; /* -1: not given */
	int interval_ms;
};

static void usage(void)
{
	fprintf(stderr, "usage: dns-probe [-t TRY_MS] [-d DEADLINE_MS] [-i INTERVAL_MS] "
			"host NAME... | srv NAME | wait NAME\n");
}

/* The one checked integer parser of this tool: decimal, 0..INT_MAX. */
static int parse_ms(const char *s, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > INT_MAX)
		return -1;
	*out = (int)v;
	return 0;
}

static void print_host(const struct ei_dns_host *h, const char *suffix)
{
	size_t i;

	printf("%s %s", h->name, ei_dns_status_name(h->status));
	if (h->status == EI_DNS_FOUND) {
		for (i = 0; i < h->n_addrs; i++)
			printf("%c%s", i ? ',' : ' ', h->addrs[i]);
	} else if (h->status == EI_DNS_FAILED) {
		printf(" %s", h->error);
	}
	printf("%s\n", suffix);
}

static uint64_t deadline_of(int ms)
{
	return ms < 0 ? 0 : ei_clock_ms() + (uint64_t)ms;
}

static int cmd_host(struct ei_dns *dns, const struct opts *o, char **names, int n,
		    struct ei_err *err)
{
	struct ei_dns_host *hosts = calloc((size_t)n, sizeof(*hosts));
	int i, r, all = 1;

	if (!hosts)
		return ei_err_set(err, EI_E_NOMEM, "out of memory");
	for (i = 0; i < n; i++)
		snprintf(hosts[i].name, sizeof(hosts[i].name), "%s", names[i]);
	r = ei_dns_resolve(dns, hosts, (size_t)n, deadline_of(o->deadline_ms), err);
	for (i = 0; r == 0 && i < n; i++) {
		print_host(&hosts[i], "");
		all &= hosts[i].status == EI_DNS_FOUND;
	}
	free(hosts);
	return r < 0 ? r : !all;
}

static int cmd_srv(struct ei_dns *dns, const struct opts *o, const char *name, struct ei_err *err)
{
	struct ei_dns_srv_target *t;
	enum ei_dns_status st;
	size_t i, n;
	int r;

	r = ei_dns_srv(dns, name, deadline_of(o->deadline_ms), &st, &t, &n, err);
	if (r < 0)
		return r;
	printf("srv %s\n", ei_dns_status_name(st));
	for (i = 0; i < n; i++)
		printf("%s %u %u %u\n", t[i].host, t[i].port, t[i].priority, t[i].weight);
	free(t);
	return st != EI_DNS_FOUND;
}

static int cmd_wait(struct ei_dns *dns, struct ei_loop *loop, const struct opts *o,
		    const char *name, struct ei_err *err)
{
	uint64_t deadline = ei_clock_ms() + (uint64_t)(o->deadline_ms < 0 ? 10000 : o->deadline_ms);
	struct ei_dns_host h;
	char suffix[32];
	unsigned attempt;
	int r;

	for (attempt = 1;; attempt++) {
		memset(&h, 0, sizeof(h));
		snprintf(h.name, sizeof(h.name), "%s", name);
		r = ei_dns_resolve(dns, &h, 1, deadline, err);
		if (r < 0)
			return r;
		if (h.status == EI_DNS_FOUND) {
			snprintf(suffix, sizeof(suffix), " attempts=%u", attempt);
			print_host(&h, suffix);
			return 0;
		}
		snprintf(suffix, sizeof(suffix), " attempt=%u", attempt);
		print_host(&h, suffix);
		if (ei_deadline_left_ms(deadline) <= o->interval_ms)
			return 1;
		r = ei_loop_sleep(loop, o->interval_ms, err);
		if (r < 0)
			return r;
	}
}

int main(int argc, char **argv)
{
	struct opts o = {.try_ms = 1000, .deadline_ms = -1, .interval_ms = 100};
	struct ei_err err = {0};
	struct ei_loop *loop = NULL;
	struct ei_dns *dns = NULL;
	const char *cmd;
	int c, r;

	if (ei_sig_block(&err) < 0 || ei_loop_create(&loop, &err) < 0) {
		fprintf(stderr, "dns-probe: %s\n", err.msg);
		return ei_err_exit_code(&err);
	}
	ei_log_setup(EI_LOG_TEXT, EI_LOG_INFO, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt(argc, argv, "+t:d:i:")) != -1) {
		int *dst = c == 't' ? &o.try_ms : c == 'd' ? &o.deadline_ms : &o.interval_ms;

		if ((c != 't' && c != 'd' && c != 'i') || parse_ms(optarg, dst) < 0) {
			usage();
			ei_loop_destroy(loop);
			return EI_EXIT_USAGE;
		}
	}
	cmd = optind < argc ? argv[optind++] : "";
	if ((strcmp(cmd, "host") && strcmp(cmd, "srv") && strcmp(cmd, "wait")) || optind >= argc ||
	    (strcmp(cmd, "host") && argc - optind != 1)) {
		usage();
		ei_loop_destroy(loop);
		return EI_EXIT_USAGE;
	}
	r = ei_dns_create(&dns, loop, o.try_ms, &err);
	if (r == 0) {
		if (!strcmp(cmd, "host"))
			r = cmd_host(dns, &o, argv + optind, argc - optind, &err);
		else if (!strcmp(cmd, "srv"))
			r = cmd_srv(dns, &o, argv[optind], &err);
		else
			r = cmd_wait(dns, loop, &o, argv[optind], &err);
	}
	ei_dns_destroy(dns);
	ei_loop_destroy(loop);
	if (r < 0) {
		fprintf(stderr, "dns-probe: %s\n", err.msg);
		return ei_err_exit_code(&err);
	}
	return r;
}
