/* diagtable.h - the rows of `etcd-init diagnose` (pure: no I/O). diagnose.c gathers
 * the facts; this module makes one row per peer out of them, and diagprint.h prints
 * them with this member's data dir, the certificate checks and the decision.
 *
 * Rows: this pod (asked at its own client URL), every peer of the round (initial
 * members, SRV targets, members found in lists and asked), then every member that a
 * valid member list names and no row stands for (not asked: unstarted, or a host that
 * does not resolve). Rows of this set come first, by ordinal.
 *
 * A row's member (ID, name, started, learner) is found in the valid member lists of
 * every row: by the member ID its status answer or etcd-init status gives, else by
 * peer URL (exact string, as etcd compares them), else by name. */
#ifndef EI_DIAGTABLE_H
#define EI_DIAGTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "err.h"
#include "facts.h"
#include "members.h"
#include "plan.h"
#include "tlscheck.h"

/* POST /v3/maintenance/status on one row's client URL. */
struct ei_diag_status {
	bool asked;    /* asked only where the client URL answered the round */
	bool answered; /* st is valid */
	struct ei_member_status st;
	char error[256]; /* asked and not answered: why */
};

/* Everything diagnose shows; borrowed by the table for as long as it lives. */
struct ei_diag_facts {
	const struct ei_config *cfg;
	const struct ei_facts *facts;        /* the round: every peer but this pod */
	const struct ei_peer *self;          /* this pod, asked at its own client URL */
	bool own_ok;                         /* own name resolves to this pod's addresses */
	const char *pod_addrs;               /* this pod's addresses, comma-separated */
	const char *srv_name;                /* the SRV name asked */
	const struct ei_diag_status *status; /* facts->n_peers + 1: the peers, then self */
	const struct ei_tls_report *tls;     /* the certificate checks (empty without TLS) */
	const struct ei_plan *plan;          /* what `run` would decide on these facts */
	/* This pod's learner record (learner.h): the member it is for (0: none) and since
	 * when (unix seconds), and the time now, for how long it has been a learner. */
	uint64_t own_learner_member;
	uint64_t own_learner_since_s;
	uint64_t now_s;
};

enum ei_diag_state { EI_DIAG_UNKNOWN, EI_DIAG_STARTED, EI_DIAG_UNSTARTED };

struct ei_diag_row {
	char host[EI_DNS_NAME_MAX];
	int ordinal;                         /* of this set, else -1 */
	bool self, initial, in_srv, from_list;
	/* The answers (NULL for a member that only a list names, never asked). */
	const struct ei_peer *peer;
	const struct ei_diag_status *status;
	enum ei_dns_status dns;
	size_t n_addrs;
	const char (*addrs)[INET6_ADDRSTRLEN];
	enum ei_outcome outcome;             /* VALID when any question got a 2xx answer */
	bool member_known;
	uint64_t member_id;
	char name[128];                      /* "" when unknown or unstarted */
	enum ei_diag_state state;
	bool learner;
	bool healthy;                        /* the status call answered with a leader */
	/* A learner's progress: its applied index against the raft index of the leader
	 * it names (when that leader answered too), and for this pod, how long it has been a
	 * learner (its learner record). */
	bool progress_known;
	uint64_t applied, behind;
	bool learner_for_known;
	uint64_t learner_for_s;
	char note[1024];                     /* what went wrong, "" when nothing */
};

struct ei_diag_table {
	struct ei_diag_row *rows;
	size_t n;
};

/* Build the rows. Returns 0 (free with ei_diag_table_free, also on error) or
 * EI_E_NOMEM. */
int ei_diag_table_build(const struct ei_diag_facts *in, struct ei_diag_table *out,
			struct ei_err *err);
void ei_diag_table_free(struct ei_diag_table *t);

#endif
