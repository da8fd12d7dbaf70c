/* etcd-init: the container entrypoint of an etcd pod. main() wires lib/ together:
 * signals first, then configuration, then the launcher; it alone picks the exit code. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <ares.h>
#include <curl/curl.h>

#include "config.h"
#include "diagnose.h"
#include "ei-version.h"
#include "err.h"
#include "exec.h"
#include "forcereq.h"
#include "leave.h"
#include "log.h"
#include "loop.h"
#include "run.h"
#include "sig.h"

extern char **environ;

/* Read a small file into buf; returns buf, or NULL when it cannot be read. */
static const char *read_small_file(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static int print_usage(void)
{
	ei_config_usage(stdout);
	return EI_EXIT_OK;
}

static int print_version(void)
{
	printf("etcd-init %s (c-ares %s, %s)\n", EI_VERSION, ares_version(NULL), curl_version());
	return EI_EXIT_OK;
}

static int force_new_cluster(const struct ei_config *cfg, struct ei_loop *loop, char **envp,
			     struct ei_err *err)
{
	(void)loop;
	(void)envp;
	return ei_forcereq_command(cfg, stdout, err);
}

/* What each command does, indexed by it (lib/config.c has the command words and
 * their help; lib/ cannot call into cmd/). `print`: print and exit, before any
 * logging; `run`: with the loop; `execs_etcd`: says it starts and finds etcd first. */
static const struct command_handler {
	int (*print)(void);
	int (*run)(const struct ei_config *cfg, struct ei_loop *loop, char **envp,
		   struct ei_err *err);
	bool execs_etcd;
} commands[] = {
	[EI_CMD_RUN] = { .run = ei_run, .execs_etcd = true },
	[EI_CMD_PLAN] = { .run = ei_run_plan },
	[EI_CMD_LEAVE] = { .run = ei_leave },
	[EI_CMD_DIAGNOSE] = { .run = ei_diagnose },
	[EI_CMD_FORCE_NEW_CLUSTER] = { .run = force_new_cluster },
	[EI_CMD_HELP] = { .print = print_usage },
	[EI_CMD_VERSION] = { .print = print_version },
};

static int fail(const struct ei_err *err)
{
	int code = ei_err_exit_code(err);

	if (err->code == EI_E_SIGNAL)
		ei_log_info("stopped before starting etcd", "signal=SIG%s exit_code=%d",
			    sigabbrev_np(err->signo), code);
	else
		ei_log_error(err->msg, "error=%s exit_code=%d", ei_err_name(err->code), code);
	return code;
}

int main(int argc, char **argv)
{
	static char resolv_conf[16384], sa_namespace[256];
	struct ei_config_input in = { .argc = argc, .argv = argv, .envp = environ };
	struct ei_config cfg;
	const struct command_handler *cmd;
	struct ei_loop *loop = NULL;
	struct ei_err err = { 0 };
	char hostname[256];
	int rc, dumpable_errno = 0;

	/* pid_namespaces(7): as PID 1 only handled signals are delivered; block them
	 * before anything else (and before any thread exists), read them via signalfd. */
	if (ei_sig_block(&err) < 0)
		return fail(&err);
	/* No core dump while a secret is in memory, which is from the first instruction on
	 * (ETCDCTL_PASSWORD in the environment; later the password file, etcd's auth token,
	 * the service-account token): a core (core(5)) goes to the node's disk or to the
	 * node's core_pattern pipe, which a container shares with the host. prctl(2)
	 * PR_SET_DUMPABLE 0 stops every core dump whatever RLIMIT_CORE and core_pattern say
	 * (and makes /proc/<pid>/environ, mem... root's, proc(5)). fork keeps it (the
	 * aftercare process holds the password too); execve(2) sets it back to 1 for etcd,
	 * unless etcd is set-user-ID, set-group-ID or has file capabilities (then it is
	 * /proc/sys/fs/suid_dumpable), so nothing is restored before the exec, and
	 * RLIMIT_CORE is never changed: etcd gets the pod's limit as it was. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		dumpable_errno = errno;
	setvbuf(stderr, NULL, _IOLBF, 0);

	if (gethostname(hostname, sizeof(hostname)) == 0)
		in.hostname = hostname;
	in.resolv_conf = read_small_file("/etc/resolv.conf", resolv_conf, sizeof(resolv_conf));
	in.sa_namespace = read_small_file("/var/run/secrets/kubernetes.io/serviceaccount/namespace",
					  sa_namespace, sizeof(sa_namespace));
	if (ei_config_parse(&cfg, &in, &err) < 0) {
		fprintf(stderr, "etcd-init: %s\n", err.msg);
		return EI_EXIT_USAGE;
	}
	cmd = &commands[cfg.command];
	if (cmd->print)
		return cmd->print();
	ei_log_setup(cfg.log_format, cfg.log_level, NULL);
	if (dumpable_errno)
		ei_log_warn("cannot turn core dumps off (a crash could write secrets to a core file)", "error=%s", strerror(dumpable_errno));

	/* libcurl's and c-ares' global state is taken and released with each client and
	 * resolver (lib/etcdclient.c, lib/dns.c), after the signal mask is set and before
	 * any thread exists (curl_global_init(3): not thread-safe), and is gone before exec. */
	if (ei_loop_create(&loop, &err) < 0)
		return fail(&err);
	if (cmd->execs_etcd)
		ei_log_info("etcd-init starting", "version=%s name=%s pid=%d", EI_VERSION, cfg.name,
			    (int)getpid());
	/* Fail fast: a missing etcd is found now, not after the wait for DNS and peers;
	 * plan only shows what run would do, with the path it would use. */
	if (cmd->execs_etcd && ei_exec_check_etcd(cfg.etcd_bin, environ, &err) < 0) {
		ei_loop_destroy(loop);
		return fail(&err);
	}

	rc = cmd->run(&cfg, loop, environ, &err);
	ei_loop_destroy(loop);
	if (rc < 0)
		return fail(&err);
	return EI_EXIT_OK;
}
