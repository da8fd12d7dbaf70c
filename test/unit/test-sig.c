/* Unit tests for lib/sig.c and lib/loop.c: the blocked set, termination ends a wait,
 * SIGCHLD reaps, and the state handed to etcd is clean. Each case runs in a child so
 * the test's own signal state stays untouched. */
#include "loop.h"
#include "sig.h"
#include "tap.h"

#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/* Run fn in a child; returns its exit status. */
static int in_child(int (*fn)(void))
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn());
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The value of a "Name:\t<hex>" line of /proc/self/status. */
static unsigned long long status_mask(const char *name)
{
	char line[256];
	unsigned long long v = ~0ull;
	FILE *f = fopen("/proc/self/status", "r");
	size_t n = strlen(name);

	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, name, n) == 0 && line[n] == ':')
			v = strtoull(line + n + 1, NULL, 16);
	}
	if (f)
		fclose(f);
	return v;
}

static int term_ends_wait(void)
{
	struct ei_loop *loop;
	struct ei_err err = { 0 };
	uint64_t t0;
	int r;

	if (ei_sig_block(&err) < 0 || ei_loop_create(&loop, &err) < 0)
		return 10;
	kill(getpid(), SIGTERM);
	t0 = ei_clock_ms();
	r = ei_loop_sleep(loop, 5000, &err);
	if (r != EI_E_SIGNAL || err.signo != SIGTERM || ei_clock_ms() - t0 > 1000)
		return 11;
	/* Every later wait ends at once too. */
	if (ei_loop_sleep(loop, 5000, &err) != EI_E_SIGNAL)
		return 12;
	return ei_err_exit_code(&err) == 143 ? 0 : 13;
}

static int chld_reaps_and_waits_on(void)
{
	struct ei_loop *loop;
	struct ei_err err = { 0 };
	uint64_t t0;
	pid_t pid;

	if (ei_sig_block(&err) < 0 || ei_loop_create(&loop, &err) < 0)
		return 10;
	pid = fork();
	if (pid == 0)
		_exit(0);
	t0 = ei_clock_ms();
	if (ei_loop_sleep(loop, 300, &err) != 0)
		return 11;
	if (ei_clock_ms() - t0 < 250)
		return 12; /* SIGCHLD must not cut the wait short */
	if (waitpid(pid, NULL, WNOHANG) != -1)
		return 13; /* already reaped by the loop */
	return 0;
}

static int prepare_exec_is_clean(void)
{
	struct ei_err err = { 0 };
	struct sigaction sa = { .sa_handler = SIG_IGN };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (ei_sig_block(&err) < 0)
		return 10;
	kill(getpid(), SIGUSR1); /* pending, not a termination signal: drained */
	if (ei_sig_prepare_exec(&err) != 0)
		return 11;
	if (status_mask("SigBlk") != 0)
		return 12;
	if (status_mask("SigIgn") != 0)
		return 13;
	if (status_mask("SigPnd") != 0 || status_mask("ShdPnd") != 0)
		return 14;
	return 0;
}

static int pending_term_stops_exec(void)
{
	struct ei_err err = { 0 };

	if (ei_sig_block(&err) < 0)
		return 10;
	kill(getpid(), SIGTERM);
	if (ei_sig_prepare_exec(&err) != EI_E_SIGNAL || err.signo != SIGTERM)
		return 11;
	return 0;
}

static int pipe_readiness(void)
{
	struct ei_loop *loop;
	struct ei_err err = { 0 };
	struct pollfd pfd;
	int fds[2];

	if (ei_sig_block(&err) < 0 || ei_loop_create(&loop, &err) < 0 || pipe(fds) < 0)
		return 10;
	if (write(fds[1], "x", 1) != 1)
		return 11;
	pfd = (struct pollfd){ .fd = fds[0], .events = POLLIN };
	if (ei_loop_poll(loop, &pfd, 1, 1000, &err) != 1 || !(pfd.revents & POLLIN))
		return 12;
	ei_loop_destroy(loop);
	return 0;
}

int main(void)
{
	sigset_t set;

	tap_init();
	ei_sig_blocked_set(&set);
	tap_ok(sigismember(&set, SIGTERM) && sigismember(&set, SIGCHLD) &&
		       sigismember(&set, SIGINT) && sigismember(&set, SIGHUP),
	       "termination signals and SIGCHLD are blocked");
	tap_ok(!sigismember(&set, SIGSEGV) && !sigismember(&set, SIGBUS) &&
		       !sigismember(&set, SIGFPE) && !sigismember(&set, SIGILL) &&
		       !sigismember(&set, SIGABRT),
	       "synchronous faults are not");
	tap_ok(ei_sig_is_termination(SIGTERM) && ei_sig_is_termination(SIGINT) &&
		       ei_sig_is_termination(SIGQUIT) && ei_sig_is_termination(SIGHUP) &&
		       !ei_sig_is_termination(SIGCHLD) && !ei_sig_is_termination(SIGUSR1),
	       "termination signals");
	tap_ok(ei_deadline_left_ms(0) == -1, "no deadline: -1");
	tap_ok(ei_deadline_left_ms(1) == 0, "a past deadline: 0");
	tap_ok(ei_deadline_left_ms(ei_clock_ms() + 10000) > 9000, "a future deadline");
	tap_ok(in_child(term_ends_wait) == 0, "SIGTERM ends a wait at once (EI_E_SIGNAL, 143)");
	tap_ok(in_child(chld_reaps_and_waits_on) == 0, "SIGCHLD reaps and the wait goes on");
	tap_ok(in_child(pipe_readiness) == 0, "a ready fd ends the wait");
	tap_ok(in_child(prepare_exec_is_clean) == 0,
	       "before exec: empty mask, nothing ignored, nothing pending");
	tap_ok(in_child(pending_term_stops_exec) == 0, "a pending SIGTERM stops the exec");
	return tap_done();
}
