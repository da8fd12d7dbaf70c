/* cluster.c - initial-cluster values and deterministic IDs (see cluster.h). */
#include "cluster.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "identity.h"

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

char *ei_cluster_new_initial(const struct ei_config *cfg)
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

#define MAX_ENTRIES (EI_MEMBERS_MAX + 1)

static bool name_used(char (*names)[EI_LABEL_MAX + 24], size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return true;
	return false;
}

/* true when s is all digits (the first label of an IPv4 address). */
static bool all_digits(const char *s)
{
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

char *ei_cluster_existing_initial(const struct ei_config *cfg, const struct ei_member_list *members)
{
	static char names[MAX_ENTRIES][EI_LABEL_MAX + 24];
	char self_url[EI_URL_MAX];
	struct strbuf b = { 0 };
	size_t n_names = 0, entries = 0, self_at = (size_t)-1;

	ei_identity_peer_url(&cfg->id, cfg->id.ordinal, self_url, sizeof(self_url));
	if (members->n_members > EI_MEMBERS_MAX)
		return NULL;
	/* Our own name first, so no other member can take it. */
	snprintf(names[n_names++], sizeof(names[0]), "%s", cfg->name);
	for (size_t i = 0; i < members->n_members; i++) {
		const struct ei_member *m = &members->members[i];

		for (size_t u = 0; u < m->n_peer_urls; u++)
			if (strcmp(m->peer_urls[u], self_url) == 0)
				self_at = i;
	}
	for (size_t i = 0; i < members->n_members; i++) {
		const struct ei_member *m = &members->members[i];
		char name[EI_LABEL_MAX + 24], host[EI_DOMAIN_MAX + 1];

		if (i == self_at) {
			snprintf(name, sizeof(name), "%s", cfg->name);
		} else {
			name[0] = '\0';
			if (m->name && *m->name) {
				snprintf(name, sizeof(name), "%s", m->name);
			} else if (m->n_peer_urls > 0 &&
				   ei_url_host(m->peer_urls[0], host, sizeof(host))) {
				size_t n = strcspn(host, ".");

				if (n < sizeof(name)) {
					memcpy(name, host, n);
					name[n] = '\0';
				}
				if (!ei_label_valid(name) || all_digits(name))
					name[0] = '\0';
			}
			if (!name[0])
				snprintf(name, sizeof(name), "m-%" PRIx64, m->id);
			else if (name_used(names, n_names, name))
				snprintf(name + strnlen(name, EI_LABEL_MAX), sizeof(name) - strnlen(name, EI_LABEL_MAX),
					 "-%" PRIx64, m->id);
			snprintf(names[n_names++], sizeof(names[0]), "%s", name);
		}
		/* A member with several peer URLs is listed once per URL (etcd's URLsMap). */
		for (size_t u = 0; u < m->n_peer_urls; u++)
			sb_add(&b, "%s%s=%s", entries++ ? "," : "", name, m->peer_urls[u]);
	}
	if (self_at == (size_t)-1)
		sb_add(&b, "%s%s=%s", entries ? "," : "", cfg->name, self_url);
	return sb_finish(&b);
}

static uint64_t first8_be(const unsigned char *h)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | h[i];
	return v;
}

uint64_t ei_cluster_member_id(const char *peer_url, const char *token)
{
	unsigned char h[SHA_DIGEST_LENGTH];
	size_t a = strlen(peer_url), b = strlen(token);
	unsigned char *buf = malloc(a + b + 1);

	if (!buf)
		return 0;
	memcpy(buf, peer_url, a);
	memcpy(buf + a, token, b);
	SHA1(buf, a + b, h);
	free(buf);
	return first8_be(h);
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

uint64_t ei_cluster_id(const uint64_t *member_ids, size_t n)
{
	unsigned char h[SHA_DIGEST_LENGTH];
	uint64_t *ids = malloc((n ? n : 1) * sizeof(*ids));
	unsigned char *buf = malloc((n ? n : 1) * 8);
	uint64_t r = 0;

	if (ids && buf) {
		memcpy(ids, member_ids, n * sizeof(*ids));
		qsort(ids, n, sizeof(*ids), cmp_u64);
		for (size_t i = 0; i < n; i++)
			for (int k = 0; k < 8; k++)
				buf[8 * i + (size_t)k] = (unsigned char)(ids[i] >> (56 - 8 * k));
		SHA1(buf, 8 * n, h);
		r = first8_be(h);
	}
	free(ids);
	free(buf);
	return r;
}

void ei_cluster_initial_ids(const struct ei_config *cfg, uint64_t *ids)
{
	for (unsigned i = 0; i < cfg->initial_cluster_size; i++) {
		char url[EI_URL_MAX];

		ei_identity_peer_url(&cfg->id, i, url, sizeof(url));
		ids[i] = ei_cluster_member_id(url, cfg->token);
	}
}
