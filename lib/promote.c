/* promote.c - the learner promoter (see promote.h). */
#include "promote.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "etcdclient.h"
#include "log.h"

/* The promoter's life: runs in the forked child, never returns. */
static void promoter_main(struct ei_loop *loop, uint64_t id, char **endpoints, char **pins,
			  size_t n)
{
	struct ei_client_opts opts = { .connect_timeout_ms = 1500, .request_timeout_ms = 5000 };
	struct ei_etcd_client *client = NULL;
	struct ei_err err = { 0 };
	int delay_ms = 1000;
	unsigned attempt = 0;
	int code = 0;

	if (ei_etcd_client_create(&client, loop, &opts, &err) < 0) {
		ei_log_error("promoter: cannot start", "error=%s", err.msg);
		_exit(1);
	}
	ei_log_info("promoter: waiting for our learner to catch up, then promoting it",
		    "member=%" PRIx64, id);
	for (;;) {
		struct ei_member_list list = { 0 };
		struct ei_etcd_result res = { 0 };
		const struct ei_member *self;
		char via[sizeof(res.endpoint)];
		const char *via_pin = NULL;
		int r;

		if (ei_loop_sleep(loop, delay_ms, &err) < 0)
			break;
		attempt++;
		r = ei_etcd_member_list(client, (const char *const *)endpoints,
					(const char *const *)pins, n, &list, &res, &err);
		if (r == EI_E_SIGNAL)
			break;
		if (r < 0) {
			ei_log_debug("promoter: no member answered", "attempt=%u error=%s", attempt,
				     res.message);
			goto next;
		}
		self = ei_member_list_find_id(&list, id);
		if (!self) {
			ei_log_warn("promoter: our member is no longer listed, stopping",
				    "member=%" PRIx64, id);
			ei_member_list_free(&list);
			break;
		}
		if (!self->is_learner) {
			ei_log_info("promoter: member is a voter, done", "member=%" PRIx64, id);
			ei_member_list_free(&list);
			break;
		}
		/* The result struct is rewritten by the call: keep the endpoint apart. */
		snprintf(via, sizeof(via), "%s", res.endpoint);
		for (size_t i = 0; i < n; i++)
			if (strcmp(endpoints[i], via) == 0)
				via_pin = pins[i];
		r = ei_etcd_member_promote(client, via, via_pin, id, &res, &err);
		if (r == 0) {
			ei_log_info("promoter: learner promoted to voter", "member=%" PRIx64
				    " via=%s attempts=%u", id, via, attempt);
			ei_member_list_free(&list);
			break;
		}
		if (r == EI_E_SIGNAL) {
			ei_member_list_free(&list);
			break;
		}
		if (res.failure == EI_ETCD_FAIL_NOT_LEARNER) {
			ei_member_list_free(&list);
			break;
		}
		/* Not in sync yet is the normal answer while the learner catches up. */
		ei_log(res.failure == EI_ETCD_FAIL_NOT_IN_SYNC ? EI_LOG_DEBUG : EI_LOG_WARN,
		       "promoter: not promoted yet", "member=%" PRIx64 " reason=%s message=%s",
		       id, ei_etcd_failure_name(res.failure), res.message);
next:
		ei_member_list_free(&list);
		if (delay_ms < 5000)
			delay_ms += 500;
	}
	if (err.code == EI_E_SIGNAL)
		code = 128 + err.signo;
	ei_etcd_client_destroy(client);
	_exit(code);
}

int ei_promote_spawn(const struct ei_config *cfg, struct ei_loop *loop, uint64_t id,
		     char **endpoints, char **pins, size_t n_endpoints, struct ei_err *err)
{
	pid_t pid;

	(void)cfg;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return ei_err_sys(err, errno, "fork (learner promoter)");
	if (pid == 0)
		promoter_main(loop, id, endpoints, pins, n_endpoints);
	return (int)pid;
}
