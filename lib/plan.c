/* plan.c - the start-up decision (see plan.h and PRODUCT.md's decision table). */
#include "plan.h"

#include <inttypes.h>
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

/* A small growable string for comma-joined lists. */
struct strbuf {
	char *s;
	size_t len, cap;
	bool oom;
};

static void sb_add(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_add(struct strbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = (b->cap + (size_t)n + 1) * 2;
		char *s = realloc(b->s, cap);

		if (!s) {
			b->oom = true;
			return;
		}
		b->s = s;
		b->cap = cap;
	}
}

static char *sb_finish(struct strbuf *b)
{
	if (b->oom) {
		free(b->s);
		return NULL;
	}
	if (!b->s)
		return strdup("");
	return b->s;
}

char *ei_plan_new_initial_cluster(const struct ei_config *cfg)
{
	struct strbuf b = { 0 };

	for (unsigned i = 0; i < cfg->initial_cluster_size; i++) {
		char name[EI_LABEL_MAX + 8], url[EI_URL_MAX];

		ei_identity_member_name(&cfg->id, i, name, sizeof(name));
		ei_identity_peer_url(&cfg->id, i, url, sizeof(url));
		sb_add(&b, "%s%s=%s", i ? "," : "", name, url);
	}
	return sb_finish(&b);
}

/* The name an unnamed (unstarted) member gets in --initial-cluster: etcd ignores the
 * names of other members when joining (etcd-facts §2.3), but they must be unique. */
static void name_for_unnamed(const struct ei_member *m, char *buf, size_t len)
{
	char host[EI_DOMAIN_MAX + 1];

	if (m->n_peer_urls > 0 && ei_url_host(m->peer_urls[0], host, sizeof(host))) {
		size_t n = strcspn(host, ".");

		if (n > 0 && n < len && host[n] == '.') {
			memcpy(buf, host, n);
			buf[n] = '\0';
			return;
		}
	}
	snprintf(buf, len, "m-%" PRIx64, m->id);
}

char *ei_plan_existing_initial_cluster(const struct ei_config *cfg,
				       const struct ei_member_list *members)
{
	char self_url[EI_URL_MAX];
	struct strbuf b = { 0 };
	bool self_seen = false;
	size_t entries = 0;

	ei_identity_peer_url(&cfg->id, cfg->id.ordinal, self_url, sizeof(self_url));
	for (size_t i = 0; i < members->n_members; i++) {
		const struct ei_member *m = &members->members[i];
		char name[EI_LABEL_MAX + 32];
		bool is_self = false;

		for (size_t u = 0; u < m->n_peer_urls; u++)
			is_self |= strcmp(m->peer_urls[u], self_url) == 0;
		if (is_self) {
			snprintf(name, sizeof(name), "%s", cfg->name);
			self_seen = true;
		} else if (m->name && *m->name) {
			snprintf(name, sizeof(name), "%s", m->name);
		} else {
			name_for_unnamed(m, name, sizeof(name));
		}
		/* A member with several peer URLs is listed once per URL (etcd's URLsMap). */
		for (size_t u = 0; u < m->n_peer_urls; u++)
			sb_add(&b, "%s%s=%s", entries++ ? "," : "", name, m->peer_urls[u]);
	}
	if (!self_seen)
		sb_add(&b, "%s%s=%s", entries ? "," : "", cfg->name, self_url);
	return sb_finish(&b);
}

/* true when the listed members are exactly the initial members of this set, none
 * of which has published client URLs: a cluster that is still being bootstrapped
 * (an initial member's name is set at bootstrap, its client URLs only once it ran). */
static bool is_bootstrapping_initial_cluster(const struct ei_config *cfg,
					     const struct ei_member_list *l)
{
	if (l->n_members != cfg->initial_cluster_size)
		return false;
	for (unsigned i = 0; i < cfg->initial_cluster_size; i++) {
		char url[EI_URL_MAX];
		const struct ei_member *m;

		ei_identity_peer_url(&cfg->id, i, url, sizeof(url));
		m = ei_member_list_find_peer_url(l, url);
		if (!m || m->n_peer_urls != 1 || m->n_client_urls > 0 || m->is_learner)
			return false;
	}
	return true;
}

static int set_self(struct ei_plan *out, const struct ei_member *m, struct ei_err *err)
{
	if (ei_member_copy(&out->self, m, err) < 0)
		return EI_E_NOMEM;
	out->self_listed = true;
	out->promote_after_start = m->is_learner;
	return 0;
}

/* A starting action with its --initial-cluster ("new" for a bootstrap, "existing"
 * otherwise). initial_cluster is NULL only when it could not be allocated. */
static int set_start(struct ei_plan *out, enum ei_action action, char *initial_cluster)
{
	out->action = action;
	out->initial_cluster_state = action == EI_ACT_BOOTSTRAP ? "new" : "existing";
	out->initial_cluster = initial_cluster;
	return initial_cluster ? 0 : EI_E_NOMEM;
}

static int decide_with_wal(const struct ei_facts *f,
			   struct ei_plan *out, struct ei_err *err)
{
	const struct ei_datadir_facts *d = &f->datadir;
	const struct ei_member *self;

	if (!f->cluster_answered) {
		out->action = EI_ACT_RESTART;
		snprintf(out->reason, sizeof(out->reason),
			 "the data dir has a WAL and no member answered: it is our data, etcd "
			 "finds its peers itself");
		return 0;
	}
	if (!d->has_metadata) {
		out->action = EI_ACT_RESTART;
		snprintf(out->reason, sizeof(out->reason),
			 "the data dir has a WAL whose member ID could not be read (%s): not "
			 "guessing, etcd checks its membership itself",
			 d->metadata_error[0] ? d->metadata_error : "unknown");
		return 0;
	}
	if (f->members.cluster_id && f->members.cluster_id != d->cluster_id) {
		out->action = EI_ACT_REFUSE;
		snprintf(out->reason, sizeof(out->reason),
			 "the WAL in %s belongs to cluster %" PRIx64 " (member %" PRIx64
			 ") but the cluster that answered (%s) is %" PRIx64
			 ": this volume belongs to another cluster; nothing was changed. Move the "
			 "data dir away by hand if it is stale",
			 d->wal_dir, d->cluster_id, d->member_id, f->answered_by,
			 f->members.cluster_id);
		return 0;
	}
	self = ei_member_list_find_id(&f->members, d->member_id);
	if (self) {
		out->action = EI_ACT_RESTART;
		snprintf(out->reason, sizeof(out->reason),
			 "the data dir has a WAL of member %" PRIx64
			 ", which is in the member list%s",
			 d->member_id, self->is_learner ? " as a learner: promote it once caught up" : "");
		return set_self(out, self, err);
	}
	out->action = EI_ACT_REJOIN;
	snprintf(out->reason, sizeof(out->reason),
		 "the WAL is of member %" PRIx64 " of this cluster (%" PRIx64
		 "), which is no longer in the member list: it was removed. Moving the old "
		 "data aside (never deleting it) and joining again",
		 d->member_id, d->cluster_id);
	return 0;
}

static int decide_join(const struct ei_config *cfg, const struct ei_facts *f, struct ei_plan *out)
{
	out->add_as_learner = !cfg->no_learner;
	out->promote_after_start = out->add_as_learner;
	snprintf(out->reason, sizeof(out->reason),
		 "no WAL and we are not in the member list of cluster %" PRIx64
		 " (%zu members, from %s): adding ourselves as a %s",
		 f->members.cluster_id, f->members.n_members, f->answered_by,
		 out->add_as_learner ? "learner, promoted once caught up" : "voter");
	return set_start(out, EI_ACT_JOIN, ei_plan_existing_initial_cluster(cfg, &f->members));
}

static int decide_without_wal(const struct ei_config *cfg, const struct ei_facts *f,
			      struct ei_plan *out, struct ei_err *err)
{
	char self_url[EI_URL_MAX];
	const struct ei_member *by_url, *by_name;
	int r;

	ei_identity_peer_url(&cfg->id, cfg->id.ordinal, self_url, sizeof(self_url));
	if (!f->cluster_answered) {
		if (cfg->id.ordinal >= cfg->initial_cluster_size) {
			out->action = EI_ACT_WAIT;
			snprintf(out->reason, sizeof(out->reason),
				 "no WAL and no member answered; ordinal %u is not below the initial "
				 "cluster size %u, so this member never bootstraps: waiting for the "
				 "cluster to answer",
				 cfg->id.ordinal, cfg->initial_cluster_size);
		} else if (!f->initial_peers_resolve) {
			out->action = EI_ACT_WAIT;
			snprintf(out->reason, sizeof(out->reason),
				 "no WAL and no member answered; waiting until every initial member's "
				 "name resolves before concluding that there is no cluster (%s does "
				 "not resolve yet)",
				 f->unresolved_peer[0] ? f->unresolved_peer : "one");
		} else if (f->quiet_rounds < EI_BOOTSTRAP_QUIET_ROUNDS ||
			   f->quiet_ms < EI_BOOTSTRAP_QUIET_MS) {
			out->action = EI_ACT_WAIT;
			snprintf(out->reason, sizeof(out->reason),
				 "no WAL, every initial member resolves and none answered (round %u, "
				 "%" PRIu64 " ms; bootstrapping needs %u rounds over %u ms): asking "
				 "again",
				 f->quiet_rounds, f->quiet_ms, EI_BOOTSTRAP_QUIET_ROUNDS,
				 EI_BOOTSTRAP_QUIET_MS);
		} else {
			snprintf(out->reason, sizeof(out->reason),
				 "no WAL, ordinal %u is below the initial cluster size %u, every "
				 "initial member resolves and none of them answered as a cluster in "
				 "%u rounds over %" PRIu64 " ms: no cluster exists, bootstrapping a new one",
				 cfg->id.ordinal, cfg->initial_cluster_size, f->quiet_rounds,
				 f->quiet_ms);
			return set_start(out, EI_ACT_BOOTSTRAP, ei_plan_new_initial_cluster(cfg));
		}
		return 0;
	}

	by_url = ei_member_list_find_peer_url(&f->members, self_url);
	if (by_url && by_url->n_client_urls == 0 && cfg->id.ordinal < cfg->initial_cluster_size &&
	    is_bootstrapping_initial_cluster(cfg, &f->members)) {
		/* The peers are bootstrapping this very cluster: start as they did. */
		snprintf(out->reason, sizeof(out->reason),
			 "no WAL; %s answered with the initial members of a cluster that is being "
			 "bootstrapped (no member has published client URLs yet): joining the "
			 "bootstrap",
			 f->answered_by);
		if ((r = set_self(out, by_url, err)) < 0)
			return r;
		return set_start(out, EI_ACT_BOOTSTRAP, ei_plan_new_initial_cluster(cfg));
	}
	if (by_url && by_url->n_client_urls == 0) {
		snprintf(out->reason, sizeof(out->reason),
			 "no WAL and the member list has our peer URL as member %" PRIx64
			 ", which never started%s: starting as it, no member add",
			 by_url->id, by_url->is_learner ? " (a learner, promoted once caught up)" : "");
		if ((r = set_self(out, by_url, err)) < 0)
			return r;
		return set_start(out, EI_ACT_START_EXISTING,
				 ei_plan_existing_initial_cluster(cfg, &f->members));
	}
	by_name = by_url ? by_url : ei_member_list_find_name(&f->members, cfg->name);
	if (by_name) {
		out->action = EI_ACT_REPLACE;
		out->remove_id = by_name->id;
		snprintf(out->reason, sizeof(out->reason),
			 "no WAL but member %" PRIx64 " (%s) is ours and has run: our data is lost. "
			 "Removing it, then adding ourselves again (a member may not come back "
			 "with an empty log under its old ID)",
			 by_name->id, by_url ? "same peer URL" : "same name");
		return set_self(out, by_name, err);
	}
	return decide_join(cfg, f, out);
}

int ei_plan_decide(const struct ei_config *cfg, const struct ei_facts *facts, struct ei_plan *out,
		   struct ei_err *err)
{
	int r;

	memset(out, 0, sizeof(*out));
	if (facts->datadir.has_wal)
		r = decide_with_wal(facts, out, err);
	else
		r = decide_without_wal(cfg, facts, out, err);
	if (r == EI_E_NOMEM)
		return ei_err_set(err, EI_E_NOMEM, "out of memory");
	return r;
}
