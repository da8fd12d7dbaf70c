/* diagprint.c - the text and JSON of `etcd-init diagnose` (see diagprint.h). */
#include "diagprint.h"

#include <inttypes.h>
#include <string.h>

#include <json-c/json.h>

#include "identity.h"
#include "report.h"

/* ---------------------------------------------------------------- cells */

/* The table's columns, in order (headers[] names them). */
enum col {
	COL_PEER,
	COL_DNS,
	COL_SRV,
	COL_ASKED,
	COL_INIT,
	COL_ID,
	COL_NAME,
	COL_STATE,
	COL_HEALTH,
	COL_VERSION,
	COL_LEADER,
	COL_INDEX,
	N_COLS
};

static const char *const headers[N_COLS] = { "PEER",	 "DNS",	   "SRV",     "ASKED",
					     "ETCD-INIT", "MEMBER-ID", "NAME",    "STATE",
					     "HEALTH",	 "VERSION", "LEADER", "RAFT-INDEX" };

#define CELL_MAX (EI_DNS_NAME_MAX + 16)

/* The short name of a row: the pod name for this set's canonical host. */
static void peer_cell(const struct ei_diag_facts *in, const struct ei_diag_row *r, char *buf,
		      size_t len)
{
	char fqdn[EI_DNS_NAME_MAX], name[EI_LABEL_MAX + 1];

	snprintf(buf, len, "%s", r->host);
	if (r->ordinal >= 0) {
		ei_identity_fqdn(&in->cfg->id, (unsigned)r->ordinal, fqdn, sizeof(fqdn));
		ei_identity_member_name(&in->cfg->id, (unsigned)r->ordinal, name, sizeof(name));
		if (strcmp(fqdn, r->host) == 0)
			snprintf(buf, len, "%s", name);
	}
	if (r->self)
		snprintf(buf + strlen(buf), len - strlen(buf), " (self)");
}

/* STATE: a learner is a started member that does not vote yet; NULL when unknown. */
static const char *state_name(const struct ei_diag_row *r)
{
	if (r->state == EI_DIAG_STARTED)
		return r->learner ? "learner" : "started";
	if (r->state == EI_DIAG_UNSTARTED)
		return r->learner ? "unstarted-learner" : "unstarted";
	return NULL;
}

/* "yes", "no" (it follows a member of the table), the leader's ID it names, "none". */
static void leader_cell(const struct ei_diag_table *t, const struct ei_diag_row *r, char *buf,
			size_t len)
{
	const struct ei_member_status *st = &r->status->st;

	if (!st->leader) {
		snprintf(buf, len, "none");
		return;
	}
	if (st->leader == st->member_id) {
		snprintf(buf, len, "yes");
		return;
	}
	for (size_t i = 0; i < t->n; i++) {
		if (t->rows[i].member_known && t->rows[i].member_id == st->leader) {
			snprintf(buf, len, "no");
			return;
		}
	}
	snprintf(buf, len, "%" PRIx64, st->leader);
}

/* Every cell of a row as text, "-" where unknown: computed once to size the columns and
 * once to print them, so that no row is stored twice. */
static void cells(const struct ei_diag_facts *in, const struct ei_diag_table *t,
		  const struct ei_diag_row *r, char (*c)[CELL_MAX])
{
	const struct ei_peer *p = r->peer;
	bool answered = r->status && r->status->answered;

	for (size_t i = 0; i < N_COLS; i++)
		strcpy(c[i], "-");
	peer_cell(in, r, c[COL_PEER], CELL_MAX);
	if (r->dns == EI_DNS_FOUND) {
		size_t used = 0;

		for (size_t a = 0; a < r->n_addrs && used < CELL_MAX; a++)
			used += (size_t)snprintf(c[COL_DNS] + used, CELL_MAX - used, "%s%s",
						 a ? "," : "", r->addrs[a]);
	} else if (r->dns != EI_DNS_PENDING) {
		snprintf(c[COL_DNS], CELL_MAX, "%s", ei_dns_status_name(r->dns));
	}
	if (p || r->dns != EI_DNS_PENDING)
		snprintf(c[COL_SRV], CELL_MAX, "%s", r->in_srv ? "yes" : "no");
	snprintf(c[COL_ASKED], CELL_MAX, "%s", ei_outcome_name(r->outcome));
	if (p && p->status.outcome == EI_OUTCOME_VALID)
		snprintf(c[COL_INIT], CELL_MAX, "%s",
			 p->init.action[0] ? p->init.action : "waiting");
	if (r->member_known)
		snprintf(c[COL_ID], CELL_MAX, "%" PRIx64, r->member_id);
	if (r->name[0])
		snprintf(c[COL_NAME], CELL_MAX, "%s", r->name);
	if (state_name(r))
		snprintf(c[COL_STATE], CELL_MAX, "%s", state_name(r));
	if (answered)
		snprintf(c[COL_HEALTH], CELL_MAX, "%s", r->healthy ? "healthy" : "no-leader");
	if (answered && r->status->st.version[0])
		snprintf(c[COL_VERSION], CELL_MAX, "%s", r->status->st.version);
	else if (p && p->server_version[0])
		snprintf(c[COL_VERSION], CELL_MAX, "%s", p->server_version);
	if (answered) {
		leader_cell(t, r, c[COL_LEADER], CELL_MAX);
		snprintf(c[COL_INDEX], CELL_MAX, "%" PRIu64, r->status->st.raft_index);
	}
	if (r->progress_known)
		snprintf(c[COL_INDEX], CELL_MAX, "%" PRIu64 " (%" PRIu64 " behind)", r->applied,
			 r->behind);
}

/* ---------------------------------------------------------------- text */

/* The data dir line, as `plan` says it, plus what only diagnose shows (the marker,
 * *.wal files in another place). */
static void print_datadir(FILE *out, const struct ei_config *cfg,
			  const struct ei_datadir_facts *d)
{
	fprintf(out, "data dir: %s: ", cfg->data_dir);
	if (!d->has_wal)
		fprintf(out, "no WAL in %s%s", d->wal_dir,
			d->has_snap_db ? " (member/snap/db exists)" : "");
	else if (d->has_metadata)
		fprintf(out, "WAL of member %" PRIx64 " in cluster %" PRIx64 " (%s)", d->member_id,
			d->cluster_id, d->wal_dir);
	else
		fprintf(out, "WAL in %s, metadata unreadable (%s)", d->wal_dir, d->metadata_error);
	if (d->has_position)
		fprintf(out, "; raft term %" PRIu64 ", commit index %" PRIu64, d->position.term,
			d->position.commit);
	if (d->force_request)
		fprintf(out, "; a force-new-cluster request waits for the next start");
	if (d->first_start_marker)
		fprintf(out, "; first-start marker %s present", EI_FIRST_START_MARKER);
	if (d->wal_elsewhere[0])
		fprintf(out, "; *.wal files also in %s", d->wal_elsewhere);
	fputc('\n', out);
}

/* Columns padded to their widest cell; the last one unpadded. */
static void print_cell(FILE *out, const char *cell, size_t width, bool last)
{
	if (last)
		fprintf(out, "%s\n", cell);
	else
		fprintf(out, "%-*s  ", (int)width, cell);
}

/* For people: the table is for scanning, the notes under it carry the long details. */
static void print_text(FILE *out, const struct ei_diag_facts *in, const struct ei_diag_table *t)
{
	const struct ei_config *cfg = in->cfg;
	const struct ei_facts *f = in->facts;
	char c[N_COLS][CELL_MAX];
	size_t width[N_COLS];
	char pods[EI_DOMAIN_MAX + 8], size[700];
	bool notes = false;

	ei_identity_host_of(&cfg->id, "<name>", pods, sizeof(pods));
	fprintf(out, "etcd-init diagnose: %s, ordinal %u of set %s (initial cluster size %u); pods are %s\n",
		cfg->name, cfg->id.ordinal, cfg->id.set, cfg->initial_cluster_size,
		pods);
	ei_report_set_size(cfg, f, size, sizeof(size));
	fprintf(out, "set size: %s\n", size);
	if (cfg->id.peer_host[0])
		fprintf(out, "SRV not asked (--peer-host)\n\n");
	else
		fprintf(out, "SRV %s: %s, %zu targets%s%s\n\n", in->srv_name ? in->srv_name : "-",
			ei_dns_status_name(f->srv_status), f->n_srv_targets,
			f->n_srv_strangers ? "; not of this set, never asked: " : "", f->srv_strangers);
	for (size_t k = 0; k < N_COLS; k++)
		width[k] = strlen(headers[k]);
	for (size_t i = 0; i < t->n; i++) {
		cells(in, t, &t->rows[i], c);
		for (size_t k = 0; k < N_COLS; k++)
			if (strlen(c[k]) > width[k])
				width[k] = strlen(c[k]);
	}
	for (size_t k = 0; k < N_COLS; k++)
		print_cell(out, headers[k], width[k], k + 1 == N_COLS);
	for (size_t i = 0; i < t->n; i++) {
		cells(in, t, &t->rows[i], c);
		for (size_t k = 0; k < N_COLS; k++)
			print_cell(out, c[k], width[k], k + 1 == N_COLS);
	}
	for (size_t i = 0; i < t->n; i++) {
		if (!t->rows[i].note[0])
			continue;
		if (!notes)
			fputs("\nnotes:\n", out);
		notes = true;
		peer_cell(in, &t->rows[i], c[0], CELL_MAX);
		fprintf(out, "  %s: %s\n", c[0], t->rows[i].note);
	}
	fputc('\n', out);
	print_datadir(out, cfg, &f->datadir);
	if (!in->tls || !in->tls->n)
		fputs("certificates: none configured\n", out);
	else
		fprintf(out, "certificates: %zu checks, worst %s\n", in->tls->n,
			ei_tls_level_name(ei_tls_report_worst(in->tls)));
	for (size_t i = 0; in->tls && i < in->tls->n; i++) {
		const struct ei_tls_finding *x = &in->tls->findings[i];

		fprintf(out, "  %-4s %-5s %s\n", ei_tls_level_name(x->level), x->check, x->message);
	}
	fprintf(out, "decision: %s: %s\n", ei_action_name(in->plan->action), in->plan->reason);
	if (in->plan->alert[0])
		fprintf(out, "alert: %s\n", in->plan->alert);
	if (in->plan->notice[0])
		fprintf(out, "notice: %s\n", in->plan->notice);
}

/* ---------------------------------------------------------------- JSON */

/* A JSON string; NULL becomes "". */
static json_object *jstr(const char *s)
{
	return json_object_new_string(s ? s : "");
}

/* IDs in hex, as etcdctl and our logs print them. */
static json_object *jhex(uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIx64, v);
	return json_object_new_string(buf);
}

/* The four questions of the round and the status call. */
static json_object *answers_json(const struct ei_diag_row *r)
{
	const struct ei_peer *p = r->peer;
	json_object *ans = json_object_new_object();

	json_object_object_add(ans, "member_list", ei_report_answer_json(&p->list));
	json_object_object_add(ans, "peer_member_list", ei_report_answer_json(&p->peer_list));
	json_object_object_add(ans, "version", ei_report_answer_json(&p->version));
	json_object_object_add(ans, "etcd_init_status", ei_report_answer_json(&p->status));
	if (r->status->asked) {
		json_object *s = json_object_new_object();

		json_object_object_add(s, "outcome",
				       jstr(r->status->answered ? "valid" : "failed"));
		if (!r->status->answered)
			json_object_object_add(s, "detail", jstr(r->status->error));
		json_object_object_add(ans, "maintenance_status", s);
	}
	return ans;
}

/* One row with typed values (null where the text has "-"). */
static json_object *row_json(const struct ei_diag_row *r)
{
	const struct ei_peer *p = r->peer;
	const struct ei_member_status *st = NULL;
	json_object *o = json_object_new_object();
	json_object *dns = json_object_new_object();
	json_object *addrs = json_object_new_array();
	const char *version = NULL;

	if (r->status && r->status->answered)
		st = &r->status->st;

	json_object_object_add(o, "host", jstr(r->host));
	json_object_object_add(o, "ordinal", json_object_new_int(r->ordinal));
	json_object_object_add(o, "self", json_object_new_boolean(r->self));
	json_object_object_add(o, "initial", json_object_new_boolean(r->initial));
	json_object_object_add(o, "srv", json_object_new_boolean(r->in_srv));
	json_object_object_add(o, "from_member_list", json_object_new_boolean(r->from_list));
	json_object_object_add(dns, "status", jstr(ei_dns_status_name(r->dns)));
	for (size_t a = 0; a < r->n_addrs; a++)
		json_object_array_add(addrs, jstr(r->addrs[a]));
	json_object_object_add(dns, "addresses", addrs);
	if (p && p->dns_error[0])
		json_object_object_add(dns, "error", jstr(p->dns_error));
	json_object_object_add(o, "dns", dns);
	json_object_object_add(o, "asked", json_object_new_boolean(p != NULL));
	json_object_object_add(o, "reachable",
			       json_object_new_boolean(r->outcome == EI_OUTCOME_VALID));
	json_object_object_add(o, "outcome", jstr(ei_outcome_name(r->outcome)));
	if (p)
		json_object_object_add(o, "answers", answers_json(r));
	if (p && p->status.outcome == EI_OUTCOME_VALID) {
		json_object *ei = json_object_new_object();

		json_object_object_add(ei, "action", jstr(p->init.action));
		json_object_object_add(ei, "reason", jstr(p->init.reason));
		json_object_object_add(ei, "has_wal", json_object_new_boolean(p->init.has_wal));
		json_object_object_add(o, "etcd_init", ei);
	} else {
		json_object_object_add(o, "etcd_init", NULL);
	}
	json_object_object_add(o, "member_id", r->member_known ? jhex(r->member_id) : NULL);
	json_object_object_add(o, "name", r->name[0] ? jstr(r->name) : NULL);
	json_object_object_add(o, "state", r->state == EI_DIAG_STARTED	    ? jstr("started")
					   : r->state == EI_DIAG_UNSTARTED ? jstr("unstarted")
									   : NULL);
	json_object_object_add(o, "learner", json_object_new_boolean(r->learner));
	json_object_object_add(o, "healthy", json_object_new_boolean(r->healthy));
	if (st && st->version[0])
		version = st->version;
	else if (p && p->server_version[0])
		version = p->server_version;
	json_object_object_add(o, "version", version ? jstr(version) : NULL);
	if (st) {
		bool leads = st->leader && st->leader == st->member_id;

		json_object_object_add(o, "leader", json_object_new_boolean(leads));
		json_object_object_add(o, "leader_id", st->leader ? jhex(st->leader) : NULL);
		json_object_object_add(o, "raft_index", json_object_new_uint64(st->raft_index));
	} else {
		json_object_object_add(o, "leader", NULL);
		json_object_object_add(o, "leader_id", NULL);
		json_object_object_add(o, "raft_index", NULL);
	}
	json_object_object_add(o, "learner_index",
			       r->learner && (st || r->progress_known) ? json_object_new_uint64(r->applied) : NULL);
	json_object_object_add(o, "learner_behind",
			       r->progress_known ? json_object_new_uint64(r->behind) : NULL);
	json_object_object_add(o, "learner_for_s",
			       r->learner_for_known ? json_object_new_uint64(r->learner_for_s) : NULL);
	json_object_object_add(o, "note", r->note[0] ? jstr(r->note) : NULL);
	return o;
}

/* The data dir with its IDs in hex (null without a readable WAL). */
static json_object *datadir_json(const struct ei_config *cfg, const struct ei_datadir_facts *d)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "path", jstr(cfg->data_dir));
	json_object_object_add(o, "wal_dir", jstr(d->wal_dir));
	json_object_object_add(o, "has_wal", json_object_new_boolean(d->has_wal));
	json_object_object_add(o, "member_id", d->has_metadata ? jhex(d->member_id) : NULL);
	json_object_object_add(o, "cluster_id", d->has_metadata ? jhex(d->cluster_id) : NULL);
	if (d->has_wal && !d->has_metadata)
		json_object_object_add(o, "metadata_error", jstr(d->metadata_error));
	json_object_object_add(o, "has_snap_db", json_object_new_boolean(d->has_snap_db));
	json_object_object_add(o, "first_start_marker",
			       json_object_new_boolean(d->first_start_marker));
	if (d->wal_elsewhere[0])
		json_object_object_add(o, "wal_elsewhere", jstr(d->wal_elsewhere));
	return o;
}

/* One object, for tooling:
 *   peers[]       one per row: host, ordinal (-1: not of this set), self, initial, srv,
 *                 from_member_list, dns {status, addresses[], error?}, asked (false: only
 *                 a member list names it), reachable (a 2xx answer to any question),
 *                 outcome (ei_outcome_name), answers {member_list, peer_member_list,
 *                 version, etcd_init_status: {outcome, url, detail}, maintenance_status?:
 *                 {outcome, detail?}}, etcd_init ({action, reason, has_wal} of a waiting
 *                 etcd-init, or null), member_id (hex), name, state ("started",
 *                 "unstarted"), learner, healthy, version, leader (bool), leader_id
 *                 (hex), raft_index, learner_index (its applied index, or for this
 *                 pod while its etcd does not answer, its WAL's last index),
 *                 learner_behind (against the leader's raft index), learner_for_s
 *                 (this pod's learner record), note;
 *                 null where unknown;
 *   data_dir      path, wal_dir, has_wal, member_id, cluster_id, metadata_error?,
 *                 has_snap_db, first_start_marker, wal_elsewhere?;
 *   certificates[] level ("ok", "warn", "fail"), check, file, setting, message;
 *   decision      action, reason, alert?. */
static void print_json(FILE *out, const struct ei_diag_facts *in, const struct ei_diag_table *t)
{
	json_object *o = json_object_new_object();
	json_object *peers = json_object_new_array();
	json_object *certs = json_object_new_array();
	json_object *dec = json_object_new_object();

	for (size_t i = 0; i < t->n; i++)
		json_object_array_add(peers, row_json(&t->rows[i]));
	json_object_object_add(o, "peers", peers);
	json_object_object_add(o, "data_dir", datadir_json(in->cfg, &in->facts->datadir));
	for (size_t i = 0; in->tls && i < in->tls->n; i++) {
		const struct ei_tls_finding *x = &in->tls->findings[i];
		json_object *c = json_object_new_object();

		json_object_object_add(c, "level", jstr(ei_tls_level_name(x->level)));
		json_object_object_add(c, "check", jstr(x->check));
		json_object_object_add(c, "file", jstr(x->file));
		json_object_object_add(c, "setting", jstr(x->setting));
		json_object_object_add(c, "message", jstr(x->message));
		json_object_array_add(certs, c);
	}
	json_object_object_add(o, "certificates", certs);
	json_object_object_add(dec, "action", jstr(ei_action_name(in->plan->action)));
	json_object_object_add(dec, "reason", jstr(in->plan->reason));
	if (in->plan->alert[0])
		json_object_object_add(dec, "alert", jstr(in->plan->alert));
	json_object_object_add(o, "decision", dec);
	fprintf(out, "%s\n",
		json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							  JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

void ei_diag_print(FILE *out, const struct ei_diag_facts *in, const struct ei_diag_table *t)
{
	if (in->cfg->output == EI_OUTPUT_JSON)
		print_json(out, in, t);
	else
		print_text(out, in, t);
}
