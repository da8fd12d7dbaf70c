/* diagtable.c - the rows of `etcd-init diagnose` (see diagtable.h). */
#include "diagtable.h"

#include <inttypes.h>

#include <stdlib.h>
#include <string.h>

#include "identity.h"

/* A zeroed row at the end of the table (grown as needed); NULL when out of memory. */
static struct ei_diag_row *new_row(struct ei_diag_table *t, size_t *cap)
{
	struct ei_diag_row *r;

	if (t->n == *cap) {
		size_t ncap = *cap ? 2 * *cap : 8;
		struct ei_diag_row *n = realloc(t->rows, ncap * sizeof(*n));

		if (!n)
			return NULL;
		t->rows = n;
		*cap = ncap;
	}
	r = &t->rows[t->n++];
	memset(r, 0, sizeof(*r));
	r->ordinal = -1;
	return r;
}

/* One outcome for the row: VALID when any of the four questions got a 2xx answer
 * (an etcd, or a waiting etcd-init), else what the first question asked got. */
static enum ei_outcome summary(const struct ei_peer *p)
{
	const struct ei_answer *a[] = { &p->list, &p->peer_list, &p->version, &p->status };

	if (p->not_peer[0])
		return EI_OUTCOME_NOT_PEER;
	for (size_t i = 0; i < 4; i++)
		if (a[i]->outcome == EI_OUTCOME_VALID)
			return EI_OUTCOME_VALID;
	for (size_t i = 0; i < 4; i++)
		if (a[i]->outcome != EI_OUTCOME_NOT_ASKED)
			return a[i]->outcome;
	return EI_OUTCOME_NOT_ASKED;
}

/* A row for a peer that was asked: its DNS and answers are the peer's own. */
static void asked_row(struct ei_diag_row *r, const struct ei_peer *p,
		      const struct ei_diag_status *st, bool self)
{
	snprintf(r->host, sizeof(r->host), "%s", p->host);
	r->ordinal = p->ordinal;
	r->self = self;
	r->initial = p->initial;
	r->in_srv = p->in_srv;
	r->from_list = p->from_list;
	r->peer = p;
	r->status = st;
	r->dns = p->dns;
	r->n_addrs = p->n_addrs;
	r->addrs = p->addrs;
	r->outcome = summary(p);
}

enum by { BY_ID, BY_PEER_URL, BY_NAME };

/* The first member matching in the valid lists of the asked rows (the first n): the
 * gateway lists first (a started member's own view, linearizable where it could be),
 * then the peer API's (GET /members of a member that has not caught up, a learner
 * included, is the cluster as it was when that member started). */
static const struct ei_member *lookup(const struct ei_diag_table *t, size_t n, enum by how,
				      uint64_t id, const char *s)
{
	for (size_t k = 0; k < 2; k++) {
		for (size_t i = 0; i < n; i++) {
			const struct ei_peer *p = t->rows[i].peer;
			const struct ei_member_list *l = NULL;
			const struct ei_member *m;

			if (k == 0 && p->list.outcome == EI_OUTCOME_VALID)
				l = &p->members;
			else if (k == 1 && p->peer_list.outcome == EI_OUTCOME_VALID)
				l = &p->peer_members;
			if (!l)
				continue;
			if (how == BY_ID)
				m = ei_member_list_find_id(l, id);
			else if (how == BY_PEER_URL)
				m = ei_member_list_find_peer_url(l, s);
			else
				m = ei_member_list_find_name(l, s);
			if (m)
				return m;
		}
	}
	return NULL;
}

/* What a member list says of the row's member. */
static void take_member(struct ei_diag_row *r, const struct ei_member *m)
{
	r->member_known = true;
	r->member_id = m->id;
	snprintf(r->name, sizeof(r->name), "%s", m->name ? m->name : "");
	r->state = ei_member_is_started(m) ? EI_DIAG_STARTED : EI_DIAG_UNSTARTED;
	r->learner = m->is_learner;
}

/* The member an asked row stands for, and its health. */
static void find_member(const struct ei_diag_facts *in, const struct ei_diag_table *t,
			size_t n_asked, struct ei_diag_row *r)
{
	const struct ei_peer *p = r->peer;
	const struct ei_member_status *st = r->status->answered ? &r->status->st : NULL;
	const struct ei_member *m = NULL;
	uint64_t id = 0;

	if (st && st->member_id)
		id = st->member_id;
	else if (p->status.outcome == EI_OUTCOME_VALID && p->init.has_ids &&
		 strcmp(p->init.peer_url, p->peer_url) == 0)
		id = p->init.member_id;
	if (id)
		m = lookup(t, n_asked, BY_ID, id, NULL);
	if (!m && !id)
		m = lookup(t, n_asked, BY_PEER_URL, 0, p->peer_url);
	if (!m && !id && r->ordinal >= 0) {
		char name[EI_LABEL_MAX + 1];

		ei_identity_member_name(&in->cfg->id, (unsigned)r->ordinal, name, sizeof(name));
		m = lookup(t, n_asked, BY_NAME, 0, name);
	}
	if (m) {
		take_member(r, m);
	} else if (id) {
		/* A member that answers (or whose WAL says) but no list we have names it. */
		r->member_known = true;
		r->member_id = id;
		r->state = st ? EI_DIAG_STARTED : EI_DIAG_UNKNOWN;
	}
	if (st)
		r->learner |= st->is_learner;
	/* Health, as etcdctl endpoint health sees it in spirit: the member answered its
	 * status and knows a leader (leader 0: no quorum, or an election under way). */
	r->healthy = st && st->leader != 0;
}

/* What went wrong with an asked row, for the notes. */
static void asked_note(const struct ei_diag_facts *in, struct ei_diag_row *r)
{
	const struct ei_peer *p = r->peer;
	const struct ei_diag_status *s = r->status;
	char says[640];

	ei_plan_describe_peer(in->cfg, in->facts, p, says, sizeof(says));
	if (strncmp(says, "unknown: ", 9) == 0)
		ei_msg_add(r->note, sizeof(r->note), "; ", "%s", says + 9);
	if (r->self && !in->own_ok && p->dns == EI_DNS_FOUND)
		ei_msg_add(r->note, sizeof(r->note), "; ",
			   "own name resolves to %s, not to one of this pod's addresses (%s)",
			   p->addrs[0], in->pod_addrs && in->pod_addrs[0] ? in->pod_addrs : "none");
	if (p->status.outcome == EI_OUTCOME_VALID && p->init.action[0])
		ei_msg_add(r->note, sizeof(r->note), "; ", "etcd-init %s: %s", p->init.action,
			   p->init.reason[0] ? p->init.reason : "(no reason given)");
	if (s->asked && !s->answered)
		ei_msg_add(r->note, sizeof(r->note), "; ", "maintenance status: %s", s->error);
	if (s->answered && !s->st.leader)
		ei_msg_add(r->note, sizeof(r->note), "; ",
			   "answers without a leader (no quorum, or an election under way)");
}

/* The raft index of the leader of cluster, as the leader itself answers: the member
 * named (0: any that says it leads). */
static bool leader_index(const struct ei_diag_table *t, uint64_t cluster, uint64_t named,
			 uint64_t *index)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct ei_diag_status *ls = t->rows[i].status;

		if (!ls || !ls->answered || ls->st.cluster_id != cluster || !ls->st.leader ||
		    ls->st.leader != ls->st.member_id || (named && ls->st.member_id != named))
			continue;
		*index = ls->st.raft_index;
		return true;
	}
	return false;
}

/* A learner's progress: its applied index, or for this pod while its etcd does not
 * answer (a learner serves nothing before it has caught up), its WAL's last index;
 * against the leader's raft index. */
static void learner_progress(const struct ei_diag_facts *in, const struct ei_diag_table *t,
			     struct ei_diag_row *r)
{
	const struct ei_datadir_facts *d = &in->facts->datadir;
	const struct ei_member_status *st = &r->status->st;
	const char *what = "applied";
	uint64_t lead = 0;

	if (!r->learner)
		return;
	if (r->status->answered) {
		r->applied = st->raft_applied_index;
		r->progress_known = leader_index(t, st->cluster_id, st->leader, &lead);
	} else if (r->self && d->has_metadata && d->has_position && d->member_id == r->member_id) {
		what = "its WAL reaches (its etcd does not answer)";
		r->applied = d->position.index;
		r->progress_known = leader_index(t, d->cluster_id, 0, &lead);
	} else {
		return;
	}
	r->behind = lead > r->applied ? lead - r->applied : 0;
	if (r->self && in->own_learner_member && in->own_learner_member == r->member_id &&
	    in->own_learner_since_s <= in->now_s) {
		r->learner_for_known = true;
		r->learner_for_s = in->now_s - in->own_learner_since_s;
	}
	if (r->progress_known)
		ei_msg_add(r->note, sizeof(r->note), "; ",
			   "a learner: %s %" PRIu64 ", %" PRIu64 " behind the leader (etcd promotes it from 90%% of the leader's index)",
			   what, r->applied, r->behind);
	else
		ei_msg_add(r->note, sizeof(r->note), "; ",
			   "a learner: %s %" PRIu64 "; its leader did not answer", what, r->applied);
	if (r->learner_for_known)
		ei_msg_add(r->note, sizeof(r->note), "; ",
			   "a learner for %" PRIu64 " s (its learner record)", r->learner_for_s);
	else if (!r->self)
		ei_msg_add(r->note, sizeof(r->note), "; ",
			   "how long it has been a learner: etcd-init diagnose in its pod, or its log");
}

/* Rows for the members that a valid list names and no asked row stands for. */
static int listed_rows(const struct ei_diag_facts *in, struct ei_diag_table *t, size_t *cap,
		       size_t n_asked, struct ei_err *err)
{
	for (size_t i = 0; i < n_asked; i++) {
		const struct ei_peer *p = t->rows[i].peer;
		const struct ei_member_list *l = NULL;

		if (p->list.outcome == EI_OUTCOME_VALID)
			l = &p->members;
		else if (p->peer_list.outcome == EI_OUTCOME_VALID)
			l = &p->peer_members;

		for (size_t m = 0; l && m < l->n_members; m++) {
			const struct ei_member *mem = &l->members[m];
			const struct ei_host *h;
			struct ei_diag_row *r;
			const char *why;
			bool known = false;
			unsigned ordinal;

			for (size_t k = 0; k < t->n && !known; k++)
				known = t->rows[k].member_known && t->rows[k].member_id == mem->id;
			if (known)
				continue;
			if (!(r = new_row(t, cap)))
				return ei_err_set(err, EI_E_NOMEM, "out of memory");
			if (!mem->n_peer_urls ||
			    !ei_url_host(mem->peer_urls[0], r->host, sizeof(r->host)))
				snprintf(r->host, sizeof(r->host), "-");
			if (ei_identity_ordinal_of_host(&in->cfg->id, r->host, &ordinal)) {
				r->ordinal = (int)ordinal;
				r->initial = ordinal < in->cfg->initial_cluster_size;
			}
			r->from_list = true;
			if ((h = ei_facts_host(in->facts, r->host))) {
				r->dns = h->status;
				r->n_addrs = h->n_addrs;
				r->addrs = h->addrs;
			}
			take_member(r, mem);
			why = "";
			if (!mem->n_client_urls)
				why = ": never started (no client URL)";
			else if (h && h->status != EI_DNS_FOUND)
				why = ": its host does not resolve";
			ei_msg_add(r->note, sizeof(r->note), "; ",
				   "named in the member list of %s, not asked%s", p->host, why);
		}
	}
	return 0;
}

/* Sort key: this set's pods by ordinal, every other host after them. */
static int row_rank(const struct ei_diag_row *r)
{
	return r->ordinal >= 0 ? r->ordinal : 1 << 30;
}

int ei_diag_table_build(const struct ei_diag_facts *in, struct ei_diag_table *out,
			struct ei_err *err)
{
	const struct ei_facts *f = in->facts;
	size_t cap = 0, n_asked;
	struct ei_diag_row *r;

	memset(out, 0, sizeof(*out));
	if (!(r = new_row(out, &cap)))
		return ei_err_set(err, EI_E_NOMEM, "out of memory");
	asked_row(r, in->self, &in->status[f->n_peers], true);
	for (size_t i = 0; i < f->n_peers; i++) {
		if (!(r = new_row(out, &cap)))
			return ei_err_set(err, EI_E_NOMEM, "out of memory");
		asked_row(r, &f->peers[i], &in->status[i], false);
	}
	n_asked = out->n;
	for (size_t i = 0; i < n_asked; i++) {
		find_member(in, out, n_asked, &out->rows[i]);
		asked_note(in, &out->rows[i]);
	}
	for (size_t i = 0; i < n_asked; i++)
		learner_progress(in, out, &out->rows[i]);
	if (listed_rows(in, out, &cap, n_asked, err) < 0)
		return err ? err->code : EI_E_NOMEM;
	/* This set's rows first, by ordinal; the others in the order found (stable). */
	for (size_t i = 1; i < out->n; i++) {
		struct ei_diag_row tmp = out->rows[i];
		size_t k = i;

		for (; k > 0 && row_rank(&out->rows[k - 1]) > row_rank(&tmp); k--)
			out->rows[k] = out->rows[k - 1];
		out->rows[k] = tmp;
	}
	return 0;
}

void ei_diag_table_free(struct ei_diag_table *t)
{
	free(t->rows);
	memset(t, 0, sizeof(*t));
}
