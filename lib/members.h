/* members.h - etcd's member lists and error bodies, parsed from JSON (pure; no I/O).
 *
 * Shapes (the gateway's JSON: server/embed/serve.go registerGateway, grpc-gateway's
 * runtime/errors.go for error bodies; /health: server/etcdserver/api/etcdhttp/health.go):
 *  - gateway  POST /v3/cluster/member/{list,add,remove,promote}: {"header":{"cluster_id":"<dec>",
 *    "member_id":"<dec>",...},"members":[{"ID":"<dec>","name":..,"peerURLs":[..],
 *    "clientURLs":[..],"isLearner":true}]}; IDs are decimal strings; zero values are
 *    omitted (an unstarted member has no name and no clientURLs; isLearner only when true);
 *    member/add also has "member":{"ID":..,"peerURLs":[..],"isLearner":..}.
 *  - peer     GET <peerURL>/members: a JSON array [{"id":<uint64 number>,"name":..,
 *    "peerURLs":[..],"clientURLs":[..],"isLearner":..}] and the header X-Etcd-Cluster-ID (hex).
 *  - status   POST /v3/maintenance/status: header + "version","leader","raftIndex",
 *    "raftAppliedIndex","isLearner" (64-bit values as decimal strings).
 *  - errors   3.4/3.5 {"error":"..","code":14,"message":".."}; 3.6 {"code":14,"message":".."}.
 * Ownership: every parse function fills a caller-provided struct that owns its strings;
 * free it with the matching *_free function (also after a failed parse). */
#ifndef EI_MEMBERS_H
#define EI_MEMBERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* More members than this is a malformed answer: etcd clusters have a handful (the
 * docs recommend 3, 5 or 7), and a peer that sends thousands is not one to act on. */
#define EI_MEMBERS_MAX 256

struct ei_member {
	uint64_t id;
	char *name;          /* NULL when the member never started */
	char **peer_urls;    /* n_peer_urls strings */
	size_t n_peer_urls;
	char **client_urls;  /* n_client_urls strings; none when unstarted */
	size_t n_client_urls;
	bool is_learner;
};

struct ei_member_list {
	uint64_t cluster_id;      /* 0 when the answer did not say */
	uint64_t responder_id;    /* header.member_id: the member that answered, 0 if unknown */
	uint64_t raft_term;       /* header.raft_term of a gateway answer, 0 if unknown */
	struct ei_member *members;
	size_t n_members;
};

struct ei_member_status {
	uint64_t cluster_id;
	uint64_t member_id;
	uint64_t leader;
	uint64_t raft_index;
	uint64_t raft_applied_index;
	uint64_t raft_term;
	bool is_learner;
	char version[32];
};

/* What an etcd error means for us; from the message text (api/v3rpc/rpctypes/error.go). */
enum ei_etcd_failure {
	EI_ETCD_FAIL_NONE = 0,
	EI_ETCD_FAIL_UNREACHABLE,      /* no HTTP answer: connect/timeout/TLS */
	EI_ETCD_FAIL_TOO_MANY_LEARNERS,/* "too many learner members in cluster": back off, retry */
	EI_ETCD_FAIL_UNHEALTHY,        /* "unhealthy cluster", "not enough started members",
				        * "request timed out", "no leader": retry later */
	EI_ETCD_FAIL_NOT_IN_SYNC,      /* "can only promote a learner member which is in sync" */
	EI_ETCD_FAIL_NOT_LEARNER,      /* "can only promote a learner member": already a voter */
	EI_ETCD_FAIL_PEER_EXISTS,      /* "Peer URLs already exists" */
	EI_ETCD_FAIL_NOT_FOUND,        /* "member not found" (also a removed ID) */
	EI_ETCD_FAIL_LEARNER_RPC,      /* "rpc not supported for learner": ask a voter */
	EI_ETCD_FAIL_AUTH,             /* 401/403, token or permission */
	EI_ETCD_FAIL_NO_CREDENTIALS,   /* "user name is empty": auth is on, none were sent */
	EI_ETCD_FAIL_CN_REFUSED,       /* the gateway refuses a client certificate with a
				        * CommonName (auth on; gRPC takes it; server/embed/serve.go
				        * accessController.ServeHTTP) */
	EI_ETCD_FAIL_BAD_ANSWER,       /* unparsable body */
	EI_ETCD_FAIL_OTHER,
};

void ei_member_list_free(struct ei_member_list *list);
void ei_member_free(struct ei_member *m);

/* Deep copy of one member into dst (dst is overwritten, not freed). */
int ei_member_copy(struct ei_member *dst, const struct ei_member *src, struct ei_err *err);

/* Parse a gateway answer with a "members" array (list/add/remove/promote). When
 * added is not NULL and the body has "member" (member/add), it is filled too. */
int ei_members_parse_gateway(const char *json, size_t len, struct ei_member_list *out,
			     struct ei_member *added, struct ei_err *err);

/* Parse a peer-port GET /members array; cluster_id_hex is the X-Etcd-Cluster-ID
 * header value or NULL. */
int ei_members_parse_peer(const char *json, size_t len, const char *cluster_id_hex,
			  struct ei_member_list *out, struct ei_err *err);

/* Parse a /v3/maintenance/status answer. */
int ei_members_parse_status(const char *json, size_t len, struct ei_member_status *out,
			    struct ei_err *err);

/* Read an error body (any version) into msg; returns the classified failure.
 * http_status is the HTTP code; a body that is not JSON is kept as text. */
enum ei_etcd_failure ei_members_parse_error(const char *body, size_t len, long http_status,
					     char *msg, size_t msg_len);

/* Classify an etcd error message (and HTTP status) as above. */
enum ei_etcd_failure ei_etcd_classify(long http_status, const char *message);

/* Whether a failure is about credentials (AUTH, NO_CREDENTIALS, CN_REFUSED). */
bool ei_etcd_failure_is_auth(enum ei_etcd_failure f);

/* Short name for logs and JSON, e.g. "too-many-learners". */
const char *ei_etcd_failure_name(enum ei_etcd_failure f);

/* Lookups (NULL when absent). peer URL comparison is exact string equality:
 * etcd detects duplicate peer URLs by string (server/etcdserver/api/membership/cluster.go
 * ValidateConfigurationChange). */
const struct ei_member *ei_member_list_find_peer_url(const struct ei_member_list *l,
						     const char *peer_url);
const struct ei_member *ei_member_list_find_name(const struct ei_member_list *l, const char *name);
const struct ei_member *ei_member_list_find_id(const struct ei_member_list *l, uint64_t id);

/* A member is started once it has published its name (etcd Member.IsStarted). */
bool ei_member_is_started(const struct ei_member *m);

#endif
