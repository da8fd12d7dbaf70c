/* identity.c - names and URLs of a StatefulSet member (see identity.h). */
#include "identity.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool label_valid_n(const char *s, size_t n)
{
	if (n == 0 || n > EI_LABEL_MAX)
		return false;
	if (!is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!is_lower_alnum(s[i]) && s[i] != '-')
			return false;
	}
	return true;
}

bool ei_label_valid(const char *s)
{
	return label_valid_n(s, strlen(s));
}

bool ei_domain_valid(const char *s)
{
	size_t len = strlen(s);
	const char *p = s;

	if (len == 0 || len > EI_DOMAIN_MAX)
		return false;
	for (;;) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);

		if (!label_valid_n(p, n))
			return false;
		if (!dot)
			return true;
		p = dot + 1;
	}
}

/* digits[0..n) as a StatefulSet ordinal: 1 to 5 decimal digits, no leading zero. */
static bool ordinal_digits(const char *digits, size_t n, unsigned long *v)
{
	if (n == 0 || n > 5 || (n > 1 && digits[0] == '0'))
		return false;
	*v = 0;
	for (size_t i = 0; i < n; i++) {
		if (digits[i] < '0' || digits[i] > '9')
			return false;
		*v = *v * 10 + (unsigned long)(digits[i] - '0');
	}
	return true;
}

int ei_identity_split_name(const char *name, char *set, size_t set_len, unsigned *ordinal,
			   struct ei_err *err)
{
	const char *dash = strrchr(name, '-');
	unsigned long v = 0;

	if (!ei_label_valid(name))
		return ei_err_set(err, EI_E_USAGE,
				  "--name/HOSTNAME: \"%s\" is not a valid pod name (expected a DNS label of lowercase letters, digits and '-', at most 63 characters, like etcd-0)",
				  name);
	if (!dash || dash == name || !dash[1])
		goto bad_ordinal;
	if (!ordinal_digits(dash + 1, strlen(dash + 1), &v) || (size_t)(dash - name) >= set_len)
		goto bad_ordinal;
	memcpy(set, name, (size_t)(dash - name));
	set[dash - name] = '\0';
	/* "etcd--1" splits into "etcd-" and 1: the set name must be a label too, since
	 * every peer name is built from it. */
	if (!ei_label_valid(set))
		return ei_err_set(err, EI_E_USAGE,
				  "--name/HOSTNAME: \"%s\" gives the set name \"%s\", which is not a DNS label (it must not end in '-'; expected a StatefulSet pod name such as etcd-0)",
				  name, set);
	*ordinal = (unsigned)v;
	return 0;

bad_ordinal:
	return ei_err_set(err, EI_E_USAGE,
			  "--name/HOSTNAME: \"%s\" does not end in -<ordinal> (expected a StatefulSet pod name such as etcd-0 or etcd-12)",
			  name);
}

void ei_identity_member_name(const struct ei_identity *id, unsigned i, char *buf, size_t len)
{
	snprintf(buf, len, "%s-%u", id->set, i);
}

/* The text around the member name in a peer host: the template's, or the
 * StatefulSet's "" and ".<service>.<ns>.svc.<domain>". */
static void host_affixes(const struct ei_identity *id, char *prefix, size_t prefix_len,
			 char *suffix, size_t suffix_len)
{
	const char *at = id->peer_host[0] ? strstr(id->peer_host, EI_PEER_HOST_NAME) : NULL;

	if (at) {
		snprintf(prefix, prefix_len, "%.*s", (int)(at - id->peer_host), id->peer_host);
		snprintf(suffix, suffix_len, "%s", at + strlen(EI_PEER_HOST_NAME));
	} else {
		prefix[0] = '\0';
		snprintf(suffix, suffix_len, ".%s.%s.svc.%s", id->service, id->ns, id->domain);
	}
}

bool ei_identity_template_valid(const char *tmpl, const char *set, char *why, size_t why_len)
{
	const char *at = strstr(tmpl, EI_PEER_HOST_NAME);
	char host[2 * EI_DOMAIN_MAX];

	if (!at || strstr(at + 1, EI_PEER_HOST_NAME)) {
		snprintf(why, why_len, "expected exactly one %s, e.g. %s or %s.etcd.example",
			 EI_PEER_HOST_NAME, EI_PEER_HOST_NAME, EI_PEER_HOST_NAME);
		return false;
	}
	/* The longest member name (5-digit ordinal) must still make a DNS name. */
	snprintf(host, sizeof(host), "%.*s%s-99999%s", (int)(at - tmpl), tmpl, set,
		 at + strlen(EI_PEER_HOST_NAME));
	if (!ei_domain_valid(host)) {
		snprintf(why, why_len,
			 "%s is not a DNS name (expected lowercase labels of letters, digits and '-', dot-separated, at most 253 characters)",
			 host);
		return false;
	}
	why[0] = '\0';
	return true;
}

void ei_identity_host_of(const struct ei_identity *id, const char *name, char *buf, size_t len)
{
	char prefix[EI_DOMAIN_MAX + 1], suffix[EI_DOMAIN_MAX + 2];

	host_affixes(id, prefix, sizeof(prefix), suffix, sizeof(suffix));
	snprintf(buf, len, "%s%s%s", prefix, name, suffix);
}

void ei_identity_fqdn(const struct ei_identity *id, unsigned i, char *buf, size_t len)
{
	char name[EI_LABEL_MAX + 1];

	ei_identity_member_name(id, i, name, sizeof(name));
	ei_identity_host_of(id, name, buf, len);
}

static void identity_url(const struct ei_identity *id, unsigned i, const char *scheme,
			 unsigned port, char *buf, size_t len)
{
	char host[EI_DOMAIN_MAX + 1];

	ei_identity_fqdn(id, i, host, sizeof(host));
	snprintf(buf, len, "%s://%s:%u", scheme, host, port);
}

void ei_identity_peer_url(const struct ei_identity *id, unsigned i, char *buf, size_t len)
{
	identity_url(id, i, id->peer_scheme, id->peer_port, buf, len);
}

void ei_identity_client_url(const struct ei_identity *id, unsigned i, char *buf, size_t len)
{
	identity_url(id, i, id->client_scheme, id->client_port, buf, len);
}

bool ei_url_parts(const char *url, char *scheme, size_t scheme_len, char *host, size_t host_len,
		  unsigned *port)
{
	CURLU *u = curl_url();
	char *sch = NULL, *h = NULL, *p = NULL;
	bool ok = false;

	if (!u)
		return false;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &sch, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK)
		goto out;
	if (strcmp(sch, "http") != 0 && strcmp(sch, "https") != 0)
		goto out;
	{
		const char *hs = h;
		size_t n = strlen(h);

		/* libcurl keeps the brackets of an IPv6 literal. */
		if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
			hs++;
			n -= 2;
		}
		if (n == 0 || n >= host_len || strlen(sch) >= scheme_len)
			goto out;
		memcpy(host, hs, n);
		host[n] = '\0';
		strcpy(scheme, sch);
	}
	*port = 0;
	if (curl_url_get(u, CURLUPART_PORT, &p, 0) == CURLUE_OK && p) {
		char *end;
		unsigned long v = strtoul(p, &end, 10);

		if (*end || v == 0 || v > 65535)
			goto out;
		*port = (unsigned)v;
	}
	ok = true;
out:
	curl_free(sch);
	curl_free(h);
	curl_free(p);
	curl_url_cleanup(u);
	return ok;
}

bool ei_url_host(const char *url, char *host, size_t len)
{
	char scheme[8];
	unsigned port;

	return ei_url_parts(url, scheme, sizeof(scheme), host, len, &port);
}

const char *ei_addr_not_peer(const char *addr)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (inet_pton(AF_INET, addr, &a4) == 1) {
		uint32_t a = ntohl(a4.s_addr);

		if ((a >> 24) == 127)
			return "loopback";
		if (a == 0)
			return "unspecified";
		if ((a >> 16) == 0xa9fe) /* 169.254/16 */
			return "link-local";
		if ((a >> 28) == 0xe)
			return "multicast";
		if (a == 0xffffffffu)
			return "broadcast";
		return NULL;
	}
	if (inet_pton(AF_INET6, addr, &a6) == 1) {
		if (IN6_IS_ADDR_LOOPBACK(&a6))
			return "loopback";
		if (IN6_IS_ADDR_UNSPECIFIED(&a6))
			return "unspecified";
		if (IN6_IS_ADDR_LINKLOCAL(&a6))
			return "link-local";
		if (IN6_IS_ADDR_MULTICAST(&a6))
			return "multicast";
		if (IN6_IS_ADDR_V4MAPPED(&a6)) {
			char v4[INET_ADDRSTRLEN];

			inet_ntop(AF_INET, &a6.s6_addr[12], v4, sizeof(v4));
			return ei_addr_not_peer(v4);
		}
		return NULL;
	}
	return "not an IP address";
}

void ei_identity_srv_name(const struct ei_identity *id, bool ssl, char *buf, size_t len)
{
	snprintf(buf, len, "_etcd-server%s._tcp.%s.%s.svc.%s", ssl ? "-ssl" : "", id->service,
		 id->ns, id->domain);
}

bool ei_identity_ordinal_of_host(const struct ei_identity *id, const char *host, unsigned *ordinal)
{
	char prefix[EI_DOMAIN_MAX + 1], want_suffix[EI_DOMAIN_MAX + 2];
	size_t set_len = strlen(id->set);
	size_t host_len = strlen(host);
	size_t prefix_len, suffix_len;
	unsigned long v = 0;

	host_affixes(id, prefix, sizeof(prefix), want_suffix, sizeof(want_suffix));
	prefix_len = strlen(prefix);
	suffix_len = strlen(want_suffix);
	if (host_len > 0 && host[host_len - 1] == '.')
		host_len--;
	if (host_len <= prefix_len + set_len + 1 + suffix_len ||
	    strncmp(host, prefix, prefix_len) != 0)
		return false;
	host += prefix_len;
	host_len -= prefix_len;
	if (strncmp(host, id->set, set_len) != 0 || host[set_len] != '-' ||
	    strncmp(host + host_len - suffix_len, want_suffix, suffix_len) != 0)
		return false;
	if (!ordinal_digits(host + set_len + 1, host_len - suffix_len - set_len - 1, &v))
		return false;
	*ordinal = (unsigned)v;
	return true;
}

bool ei_identity_set_host(const struct ei_identity *id, const char *host, unsigned *ordinal)
{
	char fqdn[EI_DOMAIN_MAX + 1], search[3][EI_DOMAIN_MAX + 1];
	size_t set_len = strlen(id->set), host_len = strlen(host);
	unsigned long v = 0;

	if (ei_identity_ordinal_of_host(id, host, ordinal))
		return true;
	/* Short forms exist only for the StatefulSet's names, and an absolute name is
	 * never completed. */
	if (id->peer_host[0] || (host_len > 0 && host[host_len - 1] == '.'))
		return false;
	if (strncmp(host, id->set, set_len) != 0 || host[set_len] != '-')
		return false;
	if (!ordinal_digits(host + set_len + 1, strspn(host + set_len + 1, "0123456789"), &v))
		return false;
	ei_identity_fqdn(id, (unsigned)v, fqdn, sizeof(fqdn));
	/* The search list of a ClusterFirst pod (Kubernetes pkg/kubelet/network/dns/dns.go
	 * generateSearchesForDNSClusterFirst): host + "." + one of these
	 * must be the peer host. */
	snprintf(search[0], sizeof(search[0]), "%s.svc.%s", id->ns, id->domain);
	snprintf(search[1], sizeof(search[1]), "svc.%s", id->domain);
	snprintf(search[2], sizeof(search[2]), "%s", id->domain);
	for (int i = 0; i < 3; i++) {
		size_t sl = strlen(search[i]);

		if (host_len + 1 + sl == strlen(fqdn) && strncmp(fqdn, host, host_len) == 0 &&
		    fqdn[host_len] == '.' && strcmp(fqdn + host_len + 1, search[i]) == 0) {
			*ordinal = (unsigned)v;
			return true;
		}
	}
	return false;
}
