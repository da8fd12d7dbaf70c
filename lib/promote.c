/* promote.c - the aftercare process: learner promotion and the first-start marker
 * (see promote.h). */
#include "promote.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "datadir.h"
#include "etcdclient.h"
#include "exec.h"
#include "gather.h"
#include "log.h"

#define TICK_MS 100

/* etcd auth settings in the environment, which only the promoter's client needs. */
static const char *const credential_vars[] = { "ETCDCTL_PASSWORD", "ETCDCTL_USER", NULL };
/* A first start that has not written its WAL within this time has failed; etcd has
 * exited and the pod is gone long before (this only bounds the process). */
#define MARKER_WATCH_MS (60u * 60u * 1000u)

/* The promotion goes to the leader when we can tell which member it is: a follower
 * forwards MemberPromote to the leader over the peer API without the caller's auth
 * token, and with auth enabled etcd 3.4 then retries until its request timeout (the
 * leader refuses a promotion without a user) instead of answering. Returns the pin of
 * the endpoint now in via (unchanged when the leader is unknown or not an endpoint). */
static const char *to_leader(struct ei_etcd_client *client, const struct ei_aftercare *w,
			     const struct ei_member_list *list, char *via, size_t via_len,
			     const char *via_pin)
{
	struct ei_member_status st;
	struct ei_etcd_result res;
	struct ei_err err = { 0 };
	const struct ei_member *leader;

	if (ei_etcd_status(client, via, via_pin, &st, &res, &err) < 0 || !st.leader ||
	    !(leader = ei_member_list_find_id(list, st.leader)))
		return via_pin;
	for (size_t u = 0; u < leader->n_client_urls; u++)
		for (size_t i = 0; i < w->n_endpoints; i++)
			if (strcmp(w->endpoints[i], leader->client_urls[u]) == 0) {
				snprintf(via, via_len, "%s", w->endpoints[i]);
				return w->pins[i];
			}
	return via_pin;
}

/* One promotion attempt. Returns true when the promoter's work is done. */
static bool try_promote(struct ei_etcd_client *client, const struct ei_aftercare *w,
			unsigned attempt, struct ei_err *err)
{
	struct ei_member_list list = { 0 };
	struct ei_etcd_result res = { 0 };
	const struct ei_member *self;
	char via[sizeof(res.endpoint)];
	const char *via_pin = NULL;
	bool done = false;
	int r;

	r = ei_etcd_member_list(client, (const char *const *)w->endpoints,
				(const char *const *)w->pins, w->n_endpoints, &list, &res, err);
	if (r == EI_E_SIGNAL)
		return true;
	if (r < 0) {
		/* Silence is expected while etcd starts; a refusal of our credentials is not. */
		ei_log(res.failure == EI_ETCD_FAIL_AUTH ? EI_LOG_WARN : EI_LOG_DEBUG,
		       "promoter: no member list", "attempt=%u error=%s", attempt, err->msg);
		return false;
	}
	self = ei_member_list_find_id(&list, w->promote_id);
	if (!self) {
		ei_log_warn("promoter: our member is no longer listed, stopping",
			    "member=%" PRIx64, w->promote_id);
		done = true;
	} else if (!self->is_learner) {
		ei_log_info("promoter: member is a voter, done", "member=%" PRIx64, w->promote_id);
		done = true;
	}
	if (done) {
		ei_member_list_free(&list);
		return true;
	}
	/* The result struct is rewritten by the call: keep the endpoint apart. */
	snprintf(via, sizeof(via), "%s", res.endpoint);
	for (size_t i = 0; i < w->n_endpoints; i++)
		if (strcmp(w->endpoints[i], via) == 0)
			via_pin = w->pins[i];
	via_pin = to_leader(client, w, &list, via, sizeof(via), via_pin);
	ei_member_list_free(&list);
	r = ei_etcd_member_promote(client, via, via_pin, w->promote_id, &res, err);
	if (r == 0) {
		ei_log_info("promoter: learner promoted to voter",
			    "member=%" PRIx64 " via=%s attempts=%u", w->promote_id, via, attempt);
		return true;
	}
	if (r == EI_E_SIGNAL || res.failure == EI_ETCD_FAIL_NOT_LEARNER)
		return true;
	/* Not in sync yet is the normal answer while the learner catches up. */
	ei_log(res.failure == EI_ETCD_FAIL_NOT_IN_SYNC ? EI_LOG_DEBUG : EI_LOG_WARN,
	       "promoter: not promoted yet", "member=%" PRIx64 " reason=%s message=%s",
	       w->promote_id, ei_etcd_failure_name(res.failure), res.message);
	return false;
}

/* Whether etcd has written its WAL yet; on it, the marker goes. Returns true when the
 * marker's work is done. */
static bool check_marker(const struct ei_config *cfg)
{
	struct ei_datadir_facts d;
	struct ei_err err = { 0 };

	if (ei_datadir_inspect(cfg->data_dir, cfg->wal_dir[0] ? cfg->wal_dir : NULL, &d, &err) < 0 ||
	    !d.has_wal)
		return false;
	if (ei_datadir_clear_first_start(cfg->data_dir, &err) < 0) {
		ei_log_warn("aftercare: cannot remove the first-start marker", "error=%s", err.msg);
		return true;
	}
	ei_log_info("aftercare: etcd wrote its WAL; first-start marker removed", "wal_dir=%s",
		    d.wal_dir);
	return true;
}

/* The aftercare's life: runs in the forked child, never returns. */
static void aftercare_main(const struct ei_config *cfg, struct ei_loop *loop,
			   const struct ei_aftercare *w)
{
	struct ei_etcd_client *client = NULL;
	struct ei_err err = { 0 };
	bool promote = w->promote_id != 0, marker = w->clear_marker;
	unsigned attempt = 0, promote_in_ms = 1000, promote_every_ms = 1000, waited_ms = 0;
	int code = 0;

	if (promote && ei_gather_client(cfg, loop, 1500, 5000, &client, &err) < 0) {
		ei_log_error("promoter: cannot start", "error=%s", err.msg);
		promote = false;
	}
	/* The client holds its own copy of the credentials now (it authenticates again with
	 * it when its token expires); nothing else here needs them. This process outlives
	 * the exec as etcd's child, and a fork inherits the environment block that
	 * /proc/<pid>/environ shows (proc(5)): ETCDCTL_PASSWORD and ETCDCTL_USER go, wiped
	 * in place (cfg->auth_password pointed into it and reads "" from here on). */
	ei_exec_scrub_env(credential_vars);
	if (promote)
		ei_log_info("promoter: waiting for our learner to catch up, then promoting it",
			    "member=%" PRIx64, w->promote_id);
	while (promote || marker) {
		if (ei_loop_sleep(loop, TICK_MS, &err) < 0)
			break;
		waited_ms += TICK_MS;
		if (marker)
			marker = !check_marker(cfg) && waited_ms < MARKER_WATCH_MS;
		if (!promote)
			continue;
		promote_in_ms = promote_in_ms > TICK_MS ? promote_in_ms - TICK_MS : 0;
		if (promote_in_ms)
			continue;
		attempt++;
		promote = !try_promote(client, w, attempt, &err);
		if (promote_every_ms < 5000)
			promote_every_ms += 500;
		promote_in_ms = promote_every_ms;
	}
	ei_etcd_client_destroy(client);
	/* Done, but not gone: this process is etcd's child since the exec, and etcd (PID 1
	 * in the pod) reaps no child it did not start, so an exit would leave a zombie
	 * under etcd for the pod's life. It stays, idle, holding nothing (no socket, no
	 * credential, its memory given back), until etcd exits: the kernel then ends it with
	 * the PID namespace, or PR_SET_PDEATHSIG (set at the fork) outside one; SIGTERM or
	 * SIGINT sent to it alone ends it too. */
	if (err.code != EI_E_SIGNAL) {
		ei_log_debug("aftercare: done; idle until etcd exits (etcd reaps no child)", NULL);
#ifdef __GLIBC__
		malloc_trim(0);
#endif
		while (ei_loop_sleep(loop, 3600 * 1000, &err) == 0)
			;
	}
	if (err.code == EI_E_SIGNAL)
		code = 128 + err.signo;
	_exit(code);
}

int ei_aftercare_spawn(const struct ei_config *cfg, struct ei_loop *loop,
		       const struct ei_aftercare *work, struct ei_err *err)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return ei_err_sys(err, errno, "fork (aftercare: learner promotion, first-start marker)");
	if (pid == 0) {
		/* Ends with etcd when etcd is not PID 1 of a namespace (then nothing else would):
		 * the parent thread is ours, which becomes etcd's main thread at the exec. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
			ei_log_debug("aftercare: no PR_SET_PDEATHSIG", "error=%s", strerror(errno));
		aftercare_main(cfg, loop, work);
	}
	return (int)pid;
}
