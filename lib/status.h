/* status.h - the etcd-init status document of the handshake (pure: build and parse).
 *
 * While etcd-init waits, it answers GET /etcd-init/v1/status on its peer port
 * (server.h) with one JSON object, so its peers can decide on what it says rather
 * than on its silence (README, "How etcd-init decides"):
 *
 *   {"etcd_init":"0.2.0","name":"etcd-1",
 *    "peer_url":"http://etcd-1.etcd.ns.svc.cluster.local:2380",
 *    "initial_cluster_size":3,"initial_cluster_token":"etcd-ns",
 *    "data_dir":{"has_wal":true,"member_id":"<decimal>","cluster_id":"<decimal>"},
 *    "decision":{"action":"wait","reason":"..."}}
 *
 * IDs are decimal strings, as etcd's gateway writes them (server/embed/serve.go
 * registerGateway); they are
 * present only when the WAL's metadata was read. Unknown keys are ignored when parsing
 * (a newer etcd-init may add some); every key above except "decision" is required. */
#ifndef EI_STATUS_H
#define EI_STATUS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "identity.h"

#define EI_STATUS_PATH "/etcd-init/v1/status"

struct ei_init_status {
	char version[32];
	char name[EI_LABEL_MAX + 1];
	char peer_url[EI_URL_MAX];
	unsigned initial_cluster_size;
	char token[256];
	bool has_wal;
	bool has_ids; /* member_id and cluster_id are known */
	uint64_t member_id;
	uint64_t cluster_id;
	char action[24];  /* "" when not given */
	char reason[640];
};

/* What an etcd-init that asks for a status says of itself: the query of its GET
 * (?name=&peer_url=&initial_cluster_size=&initial_cluster_token=&has_wal=true|false),
 * as the status server took it: from which address, and how long ago. A pod whose
 * etcd-init asks and then execs etcd is never asked itself, and this is how its peers
 * still hear, from it, what its volume held. */
struct ei_status_claim {
	char addr[INET6_ADDRSTRLEN]; /* where the request came from */
	char name[EI_LABEL_MAX + 1];
	char peer_url[EI_URL_MAX];
	unsigned initial_cluster_size;
	char token[256];
	bool has_wal;
	unsigned age_ms;
};

/* The JSON text (malloc'd, NUL-terminated), or NULL when out of memory. */
char *ei_status_to_json(const struct ei_init_status *s);

/* Parse a status answer. Returns 0, or EI_E_PARSE with err saying what is wrong
 * (not JSON, a missing or mistyped key, an out-of-range value); out is zeroed then. */
int ei_status_parse(const char *json, size_t len, struct ei_init_status *out, struct ei_err *err);

#endif
