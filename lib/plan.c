/* plan.c - the start-up decision (see plan.h and the README's "How etcd-init decides"
 * with its decision table). Pure: reads the facts, writes the plan.
 * The decision is in six modules that share planeval.h: here the entry point, the data
 * dir alone and how the plan is written; planpeer.c judges each peer's answers,
 * plantrust.c the member lists, planboot.c the set and a bootstrap, planwal.c decides
 * with a WAL and plannowal.c without one. */
#include "planeval.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *ei_action_name(enum ei_action a)
{
	switch (a) {
	case EI_ACT_RESTART: return "restart";
	case EI_ACT_REJOIN: return "rejoin";
	case EI_ACT_REFUSE: return "refuse";
	case EI_ACT_START_EXISTING: return "start-existing";
	case EI_ACT_REPLACE: return "replace";
	case EI_ACT_JOIN: return "join";
	case EI_ACT_BOOTSTRAP: return "bootstrap";
	case EI_ACT_WAIT: return "wait";
	default: return "unknown";
	}
}

void ei_plan_free(struct ei_plan *plan)
{
	free(plan->initial_cluster);
	plan->initial_cluster = NULL;
	if (plan->self_listed)
		ei_member_free(&plan->self);
	plan->self_listed = false;
}

/* The action, and its reason from fmt (a REFUSE with EI_E_REFUSE). */
static void set_action_v(struct ei_plan *out, enum ei_action action, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
static void set_action_v(struct ei_plan *out, enum ei_action action, const char *fmt, va_list ap)
{
	out->action = action;
	if (action == EI_ACT_REFUSE)
		out->refuse_code = EI_E_REFUSE;
	vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
}

/* planeval.h */
void ei_plan_set_action(struct ei_plan *out, enum ei_action action, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_action_v(out, action, fmt, ap);
	va_end(ap);
}

/* planeval.h */
int ei_plan_set_self(struct ei_plan *out, const struct ei_member *m, struct ei_err *err)
{
	if (ei_member_copy(&out->self, m, err) < 0)
		return EI_E_NOMEM;
	out->self_listed = true;
	out->promote_after_start = m->is_learner;
	return 0;
}

/* planeval.h */
int ei_plan_set_start(struct ei_plan *out, enum ei_action action, char *initial_cluster,
		      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_action_v(out, action, fmt, ap);
	va_end(ap);
	out->initial_cluster_state = action == EI_ACT_BOOTSTRAP ? "new" : "existing";
	out->initial_cluster = initial_cluster;
	return initial_cluster ? 0 : EI_E_NOMEM;
}

/* planeval.h */
void ei_plan_set_via(struct ei_plan *out, const struct view *v)
{
	if (v->via) {
		snprintf(out->via_url, sizeof(out->via_url), "%s", v->via->client_url);
		snprintf(out->via_pin, sizeof(out->via_pin), "%s", v->via->client_pin);
		out->via_id = v->via->members.responder_id;
	}
}

bool ei_plan_refuse_datadir(const struct ei_config *cfg, const struct ei_datadir_facts *d,
			    struct ei_plan *out)
{
	if (d->has_wal && d->not_a_wal) {
		ei_plan_set_action(out, EI_ACT_REFUSE, "%s is not a WAL (%s): etcd would count the member as started and then fail on it. Nothing was changed. Check the volume; if that file is garbage, move it out of %s by hand and start again (etcd-init never deletes data)",
				   d->first_wal, d->metadata_error, d->wal_dir);
	} else if (!d->has_wal && d->wal_elsewhere[0]) {
		ei_plan_set_action(out, EI_ACT_REFUSE, "there is no WAL in %s, but there are WAL files in %s: this volume has data written with another WAL dir. Nothing was changed. Pass --wal-dir=%s (or ETCD_WAL_DIR) to use it",
				   d->wal_dir, d->wal_elsewhere, d->wal_elsewhere);
	} else if (!d->has_wal && d->has_snap_db && !d->first_start_marker) {
		ei_plan_set_action(out, EI_ACT_REFUSE, "%s/member/snap/db exists but there is no WAL in %s: the volume has data whose WAL is elsewhere (pass --wal-dir) or was lost. Nothing was changed. If the data is not needed, move %s/member away by hand and start again",
				   cfg->data_dir, d->wal_dir, cfg->data_dir);
	} else {
		out->action = EI_ACT_WAIT;
		out->refuse_code = 0;
		return false;
	}
	return true;
}

int ei_plan_decide(const struct ei_config *cfg, const struct ei_facts *facts, struct ei_plan *out,
		   struct ei_err *err)
{
	struct evidence *e;
	int r = 0;

	memset(out, 0, sizeof(*out));
	if (ei_plan_refuse_datadir(cfg, &facts->datadir, out))
		return 0;
	if (facts->n_peers > EI_MAX_PEERS)
		return ei_err_set(err, EI_E_SYS, "%zu peers in the facts, at most %d", facts->n_peers,
				  EI_MAX_PEERS);
	e = calloc(1, sizeof(*e));
	if (!e)
		return ei_err_set(err, EI_E_NOMEM, "out of memory");
	e->f = facts;
	for (size_t i = 0; i < facts->n_peers; i++)
		ei_plan_judge(cfg, facts, &facts->peers[i], &e->peer[i]);
	if (facts->datadir.has_wal)
		r = ei_plan_decide_with_wal(e, out, err);
	else
		r = ei_plan_decide_without_wal(cfg, e, out, err);
	/* A refusal read from the peers' answers ends the start: a peer in the middle of a
	 * restart or a --force-new-cluster can answer for a moment what it is not. */
	if (out->action == EI_ACT_REFUSE)
		out->confirm_ms = REFUSAL_CONFIRM_MS;
	ei_plan_set_notice(cfg, e, out);
	for (size_t i = 0; i < facts->n_peers && !out->alert[0]; i++)
		if (e->peer[i].kind == PEER_FOREIGN)
			snprintf(out->alert, sizeof(out->alert), "%s: never joined, never added to. A stale DNS record, a reused pod IP or another project's etcd on this network: check what answers at that address", e->peer[i].why);
	free(e);
	if (r == EI_E_NOMEM)
		return ei_err_set(err, EI_E_NOMEM, "out of memory");
	return r;
}
