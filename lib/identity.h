/* identity.h - names and URLs of a StatefulSet member (pure).
 *
 * The canonical peer host of ordinal i is <set>-<i>.<service>.<namespace>.svc.<domain>:
 * one spelling, everywhere, because etcd detects duplicate peer URLs by exact
 * string (server/etcdserver/api/membership/cluster.go ValidateConfigurationChange). */
#ifndef EI_IDENTITY_H
#define EI_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define EI_LABEL_MAX 63
#define EI_DOMAIN_MAX 253
#define EI_URL_MAX 300

struct ei_identity {
	char set[EI_LABEL_MAX + 1];       /* StatefulSet name: pod name without -<ordinal> */
	unsigned ordinal;
	char service[EI_LABEL_MAX + 1];
	char ns[EI_LABEL_MAX + 1];
	char domain[EI_DOMAIN_MAX + 1];   /* cluster domain, without trailing dot */
	char client_scheme[8];            /* "http" or "https" (tlsconf.h) */
	char peer_scheme[8];
	unsigned client_port;
	unsigned peer_port;
	/* --peer-host: the peer host of every member, "{name}" standing for the member
	 * name (docker-compose: "{name}", the service name Docker's DNS answers); "" for
	 * the StatefulSet's <name>.<service>.<ns>.svc.<domain>. */
	char peer_host[EI_DOMAIN_MAX + 1];
};

/* The placeholder of --peer-host. */
#define EI_PEER_HOST_NAME "{name}"

/* true if s is an RFC 1123 label: 1-63 of [a-z0-9-], not starting or ending with '-'. */
bool ei_label_valid(const char *s);

/* true if s is a DNS name of such labels separated by dots (<= 253 chars, no trailing dot). */
bool ei_domain_valid(const char *s);

/* Split a pod name "<set>-<ordinal>" ("etcd-0", "my-etcd-12"). The ordinal is
 * decimal without leading zeros, < 100000; the whole name a valid label.
 * Returns 0 or EI_E_USAGE with err naming the value and what is expected. */
int ei_identity_split_name(const char *name, char *set, size_t set_len, unsigned *ordinal,
			   struct ei_err *err);

/* Why a --peer-host template is not one ("" when it is): exactly one {name}, and a
 * DNS name once it is filled in with set-ordinal names. Into why. */
bool ei_identity_template_valid(const char *tmpl, const char *set, char *why, size_t why_len);

/* Member name, FQDN (the peer host: --peer-host, or the StatefulSet's), peer URL and
 * client URL of ordinal i of this set. */
void ei_identity_member_name(const struct ei_identity *id, unsigned i, char *buf, size_t len);
void ei_identity_fqdn(const struct ei_identity *id, unsigned i, char *buf, size_t len);
void ei_identity_peer_url(const struct ei_identity *id, unsigned i, char *buf, size_t len);
void ei_identity_client_url(const struct ei_identity *id, unsigned i, char *buf, size_t len);

/* The peer host of a member called name (ei_identity_fqdn's, for any text: "<name>"
 * shows the pattern). */
void ei_identity_host_of(const struct ei_identity *id, const char *name, char *buf, size_t len);

/* Scheme, host (IPv6 brackets removed) and port (0 when the URL has none) of an
 * http(s) URL, taken apart by libcurl's URL API. false for anything else. */
bool ei_url_parts(const char *url, char *scheme, size_t scheme_len, char *host, size_t host_len,
		  unsigned *port);

/* The host of an http(s) URL, as ei_url_parts. */
bool ei_url_host(const char *url, char *host, size_t len);

/* Why a textual address cannot be a peer's: "loopback", "unspecified", "link-local",
 * "multicast", "broadcast", "not an IP address"; NULL when it can. */
const char *ei_addr_not_peer(const char *addr);

/* The SRV names of the service: _etcd-server._tcp.<service>.<ns>.svc.<domain>
 * (ssl: _etcd-server-ssl._tcp...). */
void ei_identity_srv_name(const struct ei_identity *id, bool ssl, char *buf, size_t len);

/* If host names a member of this set, store its ordinal and return true: the peer
 * host of ordinal i (ei_identity_fqdn), or, for the StatefulSet's names, a short form
 * that a ClusterFirst pod's search list (<ns>.svc.<domain>, svc.<domain>, <domain>)
 * completes to it: "etcd-0.etcd", "etcd-0.etcd.ns" and "etcd-0.etcd.ns.svc" for
 * etcd-0.etcd.ns.svc.cluster.local, as the official manifest spells peer URLs. Any other
 * name (another service's, another namespace's, an IP address) is not of this set. */
bool ei_identity_set_host(const struct ei_identity *id, const char *host, unsigned *ordinal);

/* If host is the peer host of ordinal i of this set, store i and return true. */
bool ei_identity_ordinal_of_host(const struct ei_identity *id, const char *host, unsigned *ordinal);

#endif
