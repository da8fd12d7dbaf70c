/* Unit tests for lib/members.c: the JSON shapes of etcd 3.4, 3.5 and 3.6
 * (etcd-facts §1.3, §1.4, §1.7), error classification, garbage, and lookups.
 * Parsed lists are rendered to one line and compared, so a failure shows both. */
#include "members.h"
#include "tap.h"

#include <inttypes.h>
#include <stdlib.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void render_urls(char *buf, size_t len, char *const *urls, size_t n)
{
	size_t off = strlen(buf);

	if (n == 0)
		snprintf(buf + off, len - off, "-");
	for (size_t i = 0; i < n; i++) {
		off = strlen(buf);
		snprintf(buf + off, len - off, "%s%s", i ? "," : "", urls[i]);
	}
}

/* "<id> <name|-> <L|V> <peers> <clients>" */
static void render_member(char *buf, size_t len, const struct ei_member *m)
{
	size_t off = strlen(buf);

	snprintf(buf + off, len - off, "%" PRIu64 " %s %s ", m->id, m->name ? m->name : "-",
		 m->is_learner ? "L" : "V");
	render_urls(buf, len, m->peer_urls, m->n_peer_urls);
	off = strlen(buf);
	snprintf(buf + off, len - off, " ");
	render_urls(buf, len, m->client_urls, m->n_client_urls);
}

/* "cluster=<id> responder=<id> [member] [member]..." */
static const char *render_list(const struct ei_member_list *l)
{
	static char buf[2048];

	snprintf(buf, sizeof(buf), "cluster=%" PRIu64 " responder=%" PRIu64, l->cluster_id,
		 l->responder_id);
	for (size_t i = 0; i < l->n_members; i++) {
		size_t off = strlen(buf);

		snprintf(buf + off, sizeof(buf) - off, " [");
		render_member(buf, sizeof(buf), &l->members[i]);
		off = strlen(buf);
		snprintf(buf + off, sizeof(buf) - off, "]");
	}
	return buf;
}

/* Observed from etcd 3.4.23 (keys in proto order, no spaces). */
#define LIST_34                                                                                    \
	"{\"header\":{\"cluster_id\":\"6001611773266757492\",\"member_id\":"                       \
	"\"13049071153751544597\","                                                                \
	"\"raft_term\":\"2\"},\"members\":[{\"ID\":\"13049071153751544597\",\"name\":\"n0\","      \
	"\"peerURLs\":[\"http://127.0.0.1:24380\"],\"clientURLs\":[\"http://127.0.0.1:24379\"]},"  \
	"{\"ID\":\"17581851415639641150\",\"peerURLs\":[\"http://127.0.0.1:24390\"],"              \
	"\"isLearner\":true}]}"
#define LIST_34_WANT                                                                               \
	"cluster=6001611773266757492 responder=13049071153751544597 "                              \
	"[13049071153751544597 n0 V http://127.0.0.1:24380 http://127.0.0.1:24379] "               \
	"[17581851415639641150 - L http://127.0.0.1:24390 -]"

static void test_gateway_lists(void)
{
	static const struct {
		const char *name;
		const char *json;
		const char *want; /* rendered list, NULL: EI_E_PARSE expected */
	} cases[] = {
	    {"3.4 list", LIST_34, LIST_34_WANT},
	    /* etcd-facts §1.3 example: upstream 3.5, unstarted learner last. */
	    {"3.5 list",
	     "{\"header\":{\"cluster_id\":\"14841639068965178418\",\"member_id\":"
	     "\"10276657743932975437\",\"raft_term\":\"2\"},\n \"members\":[{\"ID\":"
	     "\"10276657743932975437\",\"name\":\"etcd-0\",\"peerURLs\":[\"http://"
	     "etcd-0.etcd:2380\"],"
	     "\"clientURLs\":[\"http://etcd-0.etcd:2379\"]},\n {\"ID\":\"3297823984702835721\","
	     "\"peerURLs\":[\"http://etcd-1.etcd:2380\"],\"isLearner\":true}]}",
	     "cluster=14841639068965178418 responder=10276657743932975437 "
	     "[10276657743932975437 etcd-0 V http://etcd-0.etcd:2380 http://etcd-0.etcd:2379] "
	     "[3297823984702835721 - L http://etcd-1.etcd:2380 -]"},
	    /* 3.6 protojson (and Debian's 3.5.16, built with gateway v2): random
	     * spaces after commas. */
	    {"3.6 list with spaces after commas",
	     "{\"header\":{\"cluster_id\":\"6001611773266757492\", \"member_id\":"
	     "\"13049071153751544597\", \"raft_term\":\"2\"}, \"members\":[{\"ID\":"
	     "\"13049071153751544597\", \"name\":\"n0\", "
	     "\"peerURLs\":[\"http://127.0.0.1:24380\"], "
	     "\"clientURLs\":[\"http://127.0.0.1:24379\"]},{\"ID\":\"17581851415639641150\","
	     " \"peerURLs\":[\"http://127.0.0.1:24390\"], \"isLearner\":true}]}",
	     LIST_34_WANT},
	    {"unstarted voter, empty name, explicit isLearner false",
	     "{\"members\":[{\"ID\":\"5\",\"name\":\"\",\"peerURLs\":[\"http://a:2380\"],"
	     "\"isLearner\":false}]}",
	     "cluster=0 responder=0 [5 - V http://a:2380 -]"},
	    {"several URLs, no header",
	     "{\"members\":[{\"ID\":\"7\",\"name\":\"x\",\"peerURLs\":[\"http://a:2380\","
	     "\"https://b:2380\"],\"clientURLs\":[\"http://a:2379\",\"https://a:2379\"]}]}",
	     "cluster=0 responder=0 [7 x V http://a:2380,https://b:2380 "
	     "http://a:2379,https://a:2379]"},
	    {"IDs near 2^64 and 2^63",
	     "{\"header\":{\"cluster_id\":\"18446744073709551615\"},\"members\":["
	     "{\"ID\":\"18446744073709551615\"},{\"ID\":\"18446744073709551614\"},"
	     "{\"ID\":\"9223372036854775808\"},{\"ID\":\"1\"}]}",
	     "cluster=18446744073709551615 responder=0 [18446744073709551615 - V - -] "
	     "[18446744073709551614 - V - -] [9223372036854775808 - V - -] [1 - V - -]"},
	    {"empty members array", "{\"members\":[]}", "cluster=0 responder=0"},
	    {"null peerURLs", "{\"members\":[{\"ID\":\"3\",\"peerURLs\":null}]}",
	     "cluster=0 responder=0 [3 - V - -]"},
	    {"trailing whitespace", "{\"members\":[{\"ID\":\"3\"}]} \r\n",
	     "cluster=0 responder=0 [3 - V - -]"},
	    /* Garbage. */
	    {"empty", "", NULL},
	    {"not JSON", "<html>502 Bad Gateway</html>", NULL},
	    {"JSON null", "null", NULL},
	    {"top-level array", "[]", NULL},
	    {"missing members", "{\"header\":{}}", NULL},
	    {"members not an array", "{\"members\":{}}", NULL},
	    {"member not an object", "{\"members\":[1]}", NULL},
	    {"ID as a number", "{\"members\":[{\"ID\":123}]}", NULL},
	    {"ID missing", "{\"members\":[{\"name\":\"a\"}]}", NULL},
	    {"ID zero", "{\"members\":[{\"ID\":\"0\"}]}", NULL},
	    {"ID empty string", "{\"members\":[{\"ID\":\"\"}]}", NULL},
	    {"ID not decimal", "{\"members\":[{\"ID\":\"abc\"}]}", NULL},
	    {"ID in hex", "{\"members\":[{\"ID\":\"0x10\"}]}", NULL},
	    {"ID negative", "{\"members\":[{\"ID\":\"-1\"}]}", NULL},
	    {"ID with a leading space", "{\"members\":[{\"ID\":\" 1\"}]}", NULL},
	    {"ID with a plus", "{\"members\":[{\"ID\":\"+1\"}]}", NULL},
	    {"ID 2^64", "{\"members\":[{\"ID\":\"18446744073709551616\"}]}", NULL},
	    {"ID huge", "{\"members\":[{\"ID\":\"99999999999999999999999999\"}]}", NULL},
	    {"name not a string", "{\"members\":[{\"ID\":\"1\",\"name\":5}]}", NULL},
	    {"peerURLs a string", "{\"members\":[{\"ID\":\"1\",\"peerURLs\":\"http://a\"}]}", NULL},
	    {"peerURLs with a number", "{\"members\":[{\"ID\":\"1\",\"peerURLs\":[\"a\",2]}]}",
	     NULL},
	    {"isLearner a string", "{\"members\":[{\"ID\":\"1\",\"isLearner\":\"true\"}]}", NULL},
	    {"header an array", "{\"header\":[],\"members\":[]}", NULL},
	    {"cluster_id not decimal", "{\"header\":{\"cluster_id\":\"x\"},\"members\":[]}", NULL},
	    {"truncated", "{\"members\":[{\"ID\":\"1\"", NULL},
	    {"truncated 3.4 list", "{\"header\":{\"cluster_id\":\"6001611773266757492\",\"member_",
	     NULL},
	    {"trailing garbage", "{\"members\":[]} x", NULL},
	    {"two values", "{\"members\":[]}{\"members\":[]}", NULL},
	    {"second member bad", "{\"members\":[{\"ID\":\"1\"},{\"ID\":true}]}", NULL},
	};

	for (size_t i = 0; i < N(cases); i++) {
		struct ei_member_list l = {0};
		struct ei_err err = {0};
		int r =
		    ei_members_parse_gateway(cases[i].json, strlen(cases[i].json), &l, NULL, &err);

		if (cases[i].want) {
			tap_ok(r == 0, "gateway: %s parses (%s)", cases[i].name,
			       r ? err.msg : "ok");
			tap_streq(render_list(&l), cases[i].want, "gateway: %s: members",
				  cases[i].name);
		} else {
			tap_ok(r == EI_E_PARSE && err.code == EI_E_PARSE && err.msg[0] &&
				   l.n_members == 0 && !l.members,
			       "gateway: %s is rejected (%s)", cases[i].name, err.msg);
		}
		ei_member_list_free(&l);
		ei_member_list_free(&l); /* free is idempotent, also after a failure */
	}

	/* Embedded NUL: json-c stops there; the rest must not be ignored. */
	{
		static const char nul[] = "{\"members\":[]}\0{\"x\":1}";
		struct ei_member_list l = {0};
		struct ei_err err = {0};

		tap_ok(ei_members_parse_gateway(nul, sizeof(nul) - 1, &l, NULL, &err) == EI_E_PARSE,
		       "gateway: data after an embedded NUL is rejected (%s)", err.msg);
		ei_member_list_free(&l);
	}
	/* json-c's depth limit (32) holds: 64 nested arrays are refused, not recursed into. */
	{
		char deep[160] = "{\"members\":";
		struct ei_member_list l = {0};
		struct ei_err err = {0};
		size_t off = strlen(deep);

		for (int i = 0; i < 64; i++)
			deep[off++] = '[';
		for (int i = 0; i < 64; i++)
			deep[off++] = ']';
		deep[off++] = '}';
		tap_ok(ei_members_parse_gateway(deep, off, &l, NULL, &err) == EI_E_PARSE,
		       "gateway: deep nesting is rejected (%s)", err.msg);
	}
	/* A NULL err is allowed. */
	{
		struct ei_member_list l = {0};

		tap_ok(ei_members_parse_gateway("{", 1, &l, NULL, NULL) == EI_E_PARSE,
		       "gateway: a NULL err is allowed");
	}
}

static void test_member_add(void)
{
	/* Observed from Debian's etcd 3.5.16 (gateway v2 spacing). */
	static const char add[] =
	    "{\"header\":{\"cluster_id\":\"6001611773266757492\", \"member_id\":"
	    "\"13049071153751544597\", \"raft_term\":\"2\"}, \"member\":{\"ID\":"
	    "\"15258715980610068150\", \"peerURLs\":[\"http://127.0.0.1:24390\"], "
	    "\"isLearner\":true},"
	    " \"members\":[{\"ID\":\"13049071153751544597\", \"name\":\"n0\", \"peerURLs\":"
	    "[\"http://127.0.0.1:24380\"], \"clientURLs\":[\"http://127.0.0.1:24379\"]}, {\"ID\":"
	    "\"15258715980610068150\", \"peerURLs\":[\"http://127.0.0.1:24390\"], "
	    "\"isLearner\":true}]}";
	static const char bad_member[] = "{\"member\":{\"ID\":\"x\"},\"members\":[{\"ID\":\"1\"}]}";
	struct ei_member_list l = {0};
	struct ei_member added = {0};
	struct ei_err err = {0};
	char buf[256] = "";

	tap_ok(ei_members_parse_gateway(add, strlen(add), &l, &added, &err) == 0,
	       "member add answer parses (%s)", err.msg);
	render_member(buf, sizeof(buf), &added);
	tap_streq(buf, "15258715980610068150 - L http://127.0.0.1:24390 -",
		  "member add: the new member (unstarted learner)");
	tap_ok(l.n_members == 2 && ei_member_list_find_id(&l, added.id) &&
		   !ei_member_is_started(ei_member_list_find_id(&l, added.id)),
	       "member add: the new member is in the list, unstarted");
	ei_member_free(&added);
	ei_member_list_free(&l);

	tap_ok(ei_members_parse_gateway(LIST_34, strlen(LIST_34), &l, &added, &err) == 0 &&
		   added.id == 0 && !added.peer_urls,
	       "an answer without \"member\" leaves added empty");
	ei_member_list_free(&l);

	tap_ok(ei_members_parse_gateway(bad_member, strlen(bad_member), &l, &added, &err) ==
		       EI_E_PARSE &&
		   l.n_members == 0 && added.id == 0,
	       "a bad \"member\" fails the parse and frees the list (%s)", err.msg);
	ei_member_free(&added);
	ei_member_list_free(&l);
}

/* Observed from etcd 3.4.23: GET <peer>/members, ids as bare numbers above 2^63. */
#define PEER_34                                                                                    \
	"[{\"id\":13049071153751544597,\"peerURLs\":[\"http://127.0.0.1:24380\"],\"name\":\"n0\"," \
	"\"clientURLs\":[\"http://127.0.0.1:24379\"]},{\"id\":17581851415639641150,\"peerURLs\":"  \
	"[\"http://127.0.0.1:24390\"],\"isLearner\":true}]"

static void test_peer_lists(void)
{
	static const struct {
		const char *name;
		const char *json;
		const char *cluster_hex;
		const char *want;
	} cases[] = {
	    {"3.4 peer members", PEER_34, "534a021c215e0774",
	     "cluster=6001611773266757492 responder=0 "
	     "[13049071153751544597 n0 V http://127.0.0.1:24380 http://127.0.0.1:24379] "
	     "[17581851415639641150 - L http://127.0.0.1:24390 -]"},
	    {"no cluster header", "[{\"id\":1,\"peerURLs\":[\"http://a:2380\"]}]", NULL,
	     "cluster=0 responder=0 [1 - V http://a:2380 -]"},
	    {"upper-case hex, trailing CRLF", "[{\"id\":2}]", "FFFFFFFFFFFFFFFF\r\n",
	     "cluster=18446744073709551615 responder=0 [2 - V - -]"},
	    {"id 2^64-1", "[{\"id\":18446744073709551615}]", "1",
	     "cluster=1 responder=0 [18446744073709551615 - V - -]"},
	    {"id 2^63", "[{\"id\":9223372036854775808}]", "1",
	     "cluster=1 responder=0 [9223372036854775808 - V - -]"},
	    {"null peerURLs and empty name", "[{\"id\":3,\"name\":\"\",\"peerURLs\":null}]", NULL,
	     "cluster=0 responder=0 [3 - V - -]"},
	    {"big digits inside strings are fine",
	     "[{\"id\":4,\"name\":\"a\\\"99999999999999999999999\",\"peerURLs\":[\"http://x:1\"]}]",
	     NULL, "cluster=0 responder=0 [4 a\"99999999999999999999999 V http://x:1 -]"},
	    {"empty array", "[]", NULL, "cluster=0 responder=0"},
	    {"cluster header with leading zeros", "[]", "000000000000000000001",
	     "cluster=1 responder=0"},
	    {"id 2^64", "[{\"id\":18446744073709551616}]", NULL, NULL},
	    {"id huge", "[{\"id\":123456789012345678901234567890}]", NULL, NULL},
	    {"id negative", "[{\"id\":-1}]", NULL, NULL},
	    {"id huge negative", "[{\"id\":-99999999999999999999}]", NULL, NULL},
	    {"id a double", "[{\"id\":1.5}]", NULL, NULL},
	    {"id with exponent", "[{\"id\":1e3}]", NULL, NULL},
	    {"id a string", "[{\"id\":\"123\"}]", NULL, NULL},
	    {"id missing", "[{\"name\":\"a\"}]", NULL, NULL},
	    {"an object, not an array", "{\"members\":[]}", NULL, NULL},
	    {"bad cluster header", "[]", "xyz", NULL},
	    {"cluster header too big", "[]", "1ffffffffffffffff", NULL},
	    {"cluster header 0x", "[]", "0x12", NULL},
	    {"cluster header with a sign", "[]", "-1", NULL},

	    {"truncated", "[{\"id\":1", NULL, NULL},
	    {"empty", "", NULL, NULL},
	    {"text", "404 page not found\n", NULL, NULL},
	};

	for (size_t i = 0; i < N(cases); i++) {
		struct ei_member_list l = {0};
		struct ei_err err = {0};
		int r = ei_members_parse_peer(cases[i].json, strlen(cases[i].json),
					      cases[i].cluster_hex, &l, &err);

		if (cases[i].want) {
			tap_ok(r == 0, "peer: %s parses (%s)", cases[i].name, r ? err.msg : "ok");
			tap_streq(render_list(&l), cases[i].want, "peer: %s: members",
				  cases[i].name);
		} else {
			tap_ok(r == EI_E_PARSE && err.msg[0] && l.n_members == 0,
			       "peer: %s is rejected (%s)", cases[i].name, err.msg);
		}
		ei_member_list_free(&l);
	}
}

static void test_status(void)
{
	static const struct {
		const char *name;
		const char *json;
		const char *want; /* rendered status, NULL: EI_E_PARSE */
	} cases[] = {
	    {"3.4 status",
	     "{\"header\":{\"cluster_id\":\"6001611773266757492\",\"member_id\":"
	     "\"13049071153751544597\",\"revision\":\"1\",\"raft_term\":\"2\"},\"version\":"
	     "\"3.4.23\",\"dbSize\":\"20480\",\"leader\":\"13049071153751544597\",\"raftIndex\":"
	     "\"4\",\"raftTerm\":\"2\",\"raftAppliedIndex\":\"4\",\"dbSizeInUse\":\"20480\"}",
	     "6001611773266757492 13049071153751544597 13049071153751544597 4 4 2 V 3.4.23"},
	    {"3.6 learner status with spaces",
	     "{\"header\":{\"cluster_id\":\"1\", \"member_id\":\"18446744073709551615\", "
	     "\"revision\":\"9\", \"raft_term\":\"3\"}, \"version\":\"3.6.4\", \"dbSize\":\"1\", "
	     "\"leader\":\"2\", \"raftIndex\":\"10\", \"raftTerm\":\"3\", "
	     "\"raftAppliedIndex\":\"9\","
	     " \"isLearner\":true, \"storageVersion\":\"3.6.0\", \"dbSizeQuota\":\"2147483648\"}",
	     "1 18446744073709551615 2 10 9 3 L 3.6.4"},
	    {"no leader, raftTerm from the header",
	     "{\"header\":{\"raft_term\":\"7\"},\"version\":\"3.5.16\",\"errors\":[\"x\"]}",
	     "0 0 0 0 0 7 V 3.5.16"},
	    {"missing version", "{\"header\":{},\"leader\":\"1\"}", NULL},
	    {"leader a number", "{\"version\":\"3.5.0\",\"leader\":1}", NULL},
	    {"raftIndex negative", "{\"version\":\"3.5.0\",\"raftIndex\":\"-4\"}", NULL},
	    {"isLearner a number", "{\"version\":\"3.5.0\",\"isLearner\":1}", NULL},
	    {"an array", "[]", NULL},
	    {"an error body", "{\"code\":14,\"message\":\"etcdserver: no leader\"}", NULL},
	    {"garbage", "\x01\x02\x03", NULL},
	};

	for (size_t i = 0; i < N(cases); i++) {
		struct ei_member_status st;
		struct ei_err err = {0};
		char buf[256];
		int r = ei_members_parse_status(cases[i].json, strlen(cases[i].json), &st, &err);

		snprintf(
		    buf, sizeof(buf),
		    "%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %s %s",
		    st.cluster_id, st.member_id, st.leader, st.raft_index, st.raft_applied_index,
		    st.raft_term, st.is_learner ? "L" : "V", st.version);
		if (cases[i].want) {
			tap_ok(r == 0, "status: %s parses (%s)", cases[i].name, r ? err.msg : "ok");
			tap_streq(buf, cases[i].want, "status: %s: fields", cases[i].name);
		} else {
			tap_ok(r == EI_E_PARSE && st.version[0] == '\0',
			       "status: %s is rejected (%s)", cases[i].name, err.msg);
		}
	}
}

static void test_error_bodies(void)
{
	static const struct {
		const char *name;
		const char *body;
		long status;
		const char *msg;
		enum ei_etcd_failure want;
	} cases[] = {
	    /* Observed from 3.4.23: FailedPrecondition is 412 with gateway v1. */
	    {"3.4 too many learners",
	     "{\"error\":\"etcdserver: too many learner members in cluster\",\"message\":"
	     "\"etcdserver: too many learner members in cluster\",\"code\":9}",
	     412, "etcdserver: too many learner members in cluster",
	     EI_ETCD_FAIL_TOO_MANY_LEARNERS},
	    /* Upstream 3.5 (gateway v1.16): error, code, message. */
	    {"3.5 leader field",
	     "{\"error\":\"\\\"leader\\\" field must be provided\",\"code\":2,\"message\":"
	     "\"\\\"leader\\\" field must be provided\"}",
	     500, "\"leader\" field must be provided", EI_ETCD_FAIL_OTHER},
	    {"3.5 not enough started members",
	     "{\"error\":\"etcdserver: re-configuration failed due to not enough started "
	     "members\",\"code\":2,\"message\":\"etcdserver: re-configuration failed due to not "
	     "enough started members\"}",
	     500, "etcdserver: re-configuration failed due to not enough started members",
	     EI_ETCD_FAIL_UNHEALTHY},
	    /* 3.6 (and Debian 3.5.16): google.rpc.Status, no "error". */
	    {"3.6 too many learners",
	     "{\"code\":9, \"message\":\"etcdserver: too many learner members in cluster\"}", 400,
	     "etcdserver: too many learner members in cluster", EI_ETCD_FAIL_TOO_MANY_LEARNERS},
	    {"3.6 learner rpc",
	     "{\"code\":9,\"message\":\"etcdserver: rpc not supported for learner\"}", 400,
	     "etcdserver: rpc not supported for learner", EI_ETCD_FAIL_LEARNER_RPC},
	    {"3.6 method not allowed", "{\"code\":12, \"message\":\"Method Not Allowed\"}", 501,
	     "Method Not Allowed", EI_ETCD_FAIL_OTHER},
	    {"deadline", "{\"code\":4, \"message\":\"context deadline exceeded\"}", 504,
	     "context deadline exceeded", EI_ETCD_FAIL_UNHEALTHY},
	    {"only error", "{\"error\":\"etcdserver: member not found\",\"code\":5}", 404,
	     "etcdserver: member not found", EI_ETCD_FAIL_NOT_FOUND},
	    {"empty message falls back to error",
	     "{\"error\":\"etcdserver: no leader\",\"message\":\"\",\"code\":14}", 503,
	     "etcdserver: no leader", EI_ETCD_FAIL_UNHEALTHY},
	    {"401 token", "{\"code\":16,\"message\":\"etcdserver: invalid auth token\"}", 401,
	     "etcdserver: invalid auth token", EI_ETCD_FAIL_AUTH},
	    {"403 permission", "{\"code\":7,\"message\":\"etcdserver: permission denied\"}", 403,
	     "etcdserver: permission denied", EI_ETCD_FAIL_AUTH},
	    /* Not JSON: kept as text, trimmed, control characters blanked. */
	    {"3.4 405 text", "Method Not Allowed\n", 405, "Method Not Allowed", EI_ETCD_FAIL_OTHER},
	    {"health 503 text", "{\"health\":\"false\",\"reason\":\"RAFT NO LEADER\"}\n", 503,
	     "{\"health\":\"false\",\"reason\":\"RAFT NO LEADER\"}", EI_ETCD_FAIL_UNHEALTHY},
	    {"html", "<html>\r\n<b>bad\tgateway</b></html>", 502,
	     "<html>  <b>bad gateway</b></html>", EI_ETCD_FAIL_OTHER},
	    {"JSON array", "[1,2]", 500, "[1,2]", EI_ETCD_FAIL_OTHER},
	    {"message not a string", "{\"message\":5,\"code\":2}", 500,
	     "{\"message\":5,\"code\":2}", EI_ETCD_FAIL_OTHER},
	    {"truncated JSON", "{\"code\":14,\"message\":\"etcdserver: unhea", 503,
	     "{\"code\":14,\"message\":\"etcdserver: unhea", EI_ETCD_FAIL_UNHEALTHY},
	    {"empty 503", "", 503, "HTTP 503 with an empty body", EI_ETCD_FAIL_UNHEALTHY},
	    {"empty 401", "", 401, "HTTP 401 with an empty body", EI_ETCD_FAIL_AUTH},
	    {"empty 404", "", 404, "HTTP 404 with an empty body", EI_ETCD_FAIL_OTHER},
	};

	for (size_t i = 0; i < N(cases); i++) {
		char msg[256] = "unset";
		enum ei_etcd_failure f = ei_members_parse_error(
		    cases[i].body, strlen(cases[i].body), cases[i].status, msg, sizeof(msg));

		tap_streq(msg, cases[i].msg, "error body: %s: message", cases[i].name);
		tap_ok(f == cases[i].want, "error body: %s is %s (got %s)", cases[i].name,
		       ei_etcd_failure_name(cases[i].want), ei_etcd_failure_name(f));
	}
	{
		char small[8];

		static const char body[] = "{\"message\":\"etcdserver: no leader\"}";

		ei_members_parse_error(body, strlen(body), 503, small, sizeof(small));
		tap_streq(small, "etcdser", "error body: the message is truncated to the buffer");
		tap_ok(ei_members_parse_error(NULL, 0, 503, NULL, 0) == EI_ETCD_FAIL_UNHEALTHY,
		       "error body: NULL body and buffer are allowed");
	}
}

static void test_classify(void)
{
	/* Every message of etcd-facts §1.4 (and §1.5/§1.6), with the status seen. */
	static const struct {
		long status;
		const char *message;
		enum ei_etcd_failure want;
	} cases[] = {
	    {412, "etcdserver: Peer URLs already exists", EI_ETCD_FAIL_PEER_EXISTS},
	    {400, "etcdserver: Peer URLs already exists", EI_ETCD_FAIL_PEER_EXISTS},
	    {400, "etcdserver: member ID already exist", EI_ETCD_FAIL_PEER_EXISTS},
	    {400, "etcdserver: too many learner members in cluster",
	     EI_ETCD_FAIL_TOO_MANY_LEARNERS},
	    {412, "etcdserver: can only promote a learner member which is in sync with leader",
	     EI_ETCD_FAIL_NOT_IN_SYNC},
	    {400, "etcdserver: can only promote a learner member", EI_ETCD_FAIL_NOT_LEARNER},
	    {404, "etcdserver: member not found", EI_ETCD_FAIL_NOT_FOUND},
	    {503, "etcdserver: unhealthy cluster", EI_ETCD_FAIL_UNHEALTHY},
	    {500, "etcdserver: re-configuration failed due to not enough started members",
	     EI_ETCD_FAIL_UNHEALTHY},
	    {400, "etcdserver: given member URLs are invalid", EI_ETCD_FAIL_OTHER},
	    {503, "etcdserver: request timed out", EI_ETCD_FAIL_UNHEALTHY},
	    {503, "etcdserver: request timed out, possibly due to previous leader failure",
	     EI_ETCD_FAIL_UNHEALTHY},
	    {503, "etcdserver: request timed out, possibly due to connection lost",
	     EI_ETCD_FAIL_UNHEALTHY},
	    {503, "etcdserver: no leader", EI_ETCD_FAIL_UNHEALTHY},
	    {503, "etcdserver: leader changed", EI_ETCD_FAIL_UNHEALTHY},
	    {503, "etcdserver: rpc not supported for learner", EI_ETCD_FAIL_LEARNER_RPC},
	    {400, "etcdserver: rpc not supported for learner", EI_ETCD_FAIL_LEARNER_RPC},
	    {400, "etcdserver: user name is empty", EI_ETCD_FAIL_NO_CREDENTIALS},
	    {401, "etcdserver: invalid auth token", EI_ETCD_FAIL_AUTH},
	    {403, "etcdserver: permission denied", EI_ETCD_FAIL_AUTH},
	    {400, "etcdserver: authentication failed, invalid user ID or password",
	     EI_ETCD_FAIL_AUTH},
	    {400,
	     "CommonName of client sending a request against gateway will be ignored and not used "
	     "as expected",
	     EI_ETCD_FAIL_CN_REFUSED},
	    {504, "context deadline exceeded", EI_ETCD_FAIL_UNHEALTHY},
	    {401, "something else", EI_ETCD_FAIL_AUTH},
	    {403, NULL, EI_ETCD_FAIL_AUTH},
	    {503, "something else", EI_ETCD_FAIL_UNHEALTHY},
	    {500, "something else", EI_ETCD_FAIL_OTHER},
	    {404, NULL, EI_ETCD_FAIL_OTHER},
	    {200, NULL, EI_ETCD_FAIL_NONE},
	    {0, "ETCDSERVER: NO LEADER", EI_ETCD_FAIL_UNHEALTHY},
	};

	for (size_t i = 0; i < N(cases); i++) {
		enum ei_etcd_failure f = ei_etcd_classify(cases[i].status, cases[i].message);

		tap_ok(f == cases[i].want, "classify %ld \"%s\" is %s (got %s)", cases[i].status,
		       cases[i].message ? cases[i].message : "(null)",
		       ei_etcd_failure_name(cases[i].want), ei_etcd_failure_name(f));
	}

	/* Names are distinct: logs and JSON output tell them apart. */
	{
		bool distinct = true;

		for (int a = EI_ETCD_FAIL_NONE; a <= EI_ETCD_FAIL_OTHER; a++)
			for (int b = a + 1; b <= EI_ETCD_FAIL_OTHER; b++)
				if (strcmp(ei_etcd_failure_name((enum ei_etcd_failure)a),
					   ei_etcd_failure_name((enum ei_etcd_failure)b)) == 0)
					distinct = false;
		tap_ok(distinct, "failure names are distinct");
		tap_streq(ei_etcd_failure_name(EI_ETCD_FAIL_TOO_MANY_LEARNERS), "too-many-learners",
			  "failure name of too many learners");
	}
}

static void test_lookups(void)
{
	static const char json[] =
	    "{\"members\":[{\"ID\":\"1\",\"name\":\"etcd-0\",\"peerURLs\":[\"http://"
	    "etcd-0.etcd:2380\","
	    "\"http://10.0.0.1:2380\"],\"clientURLs\":[\"http://etcd-0.etcd:2379\"]},"
	    "{\"ID\":\"18446744073709551615\",\"peerURLs\":[\"http://etcd-1.etcd.ns.svc:2380\"],"
	    "\"isLearner\":true}]}";
	struct ei_member_list l = {0};
	struct ei_member copy;
	struct ei_err err = {0};
	const struct ei_member *m;
	char buf[256] = "";

	tap_ok(ei_members_parse_gateway(json, strlen(json), &l, NULL, &err) == 0,
	       "lookup fixture parses (%s)", err.msg);
	m = ei_member_list_find_peer_url(&l, "http://10.0.0.1:2380");
	tap_ok(m && m->id == 1, "find_peer_url matches a member's second peer URL");
	tap_ok(ei_member_list_find_peer_url(&l, "http://etcd-1.etcd:2380") == NULL,
	       "find_peer_url is an exact match: another spelling of the host is not found");
	tap_ok(ei_member_list_find_peer_url(&l, "http://etcd-1.etcd.ns.svc:2380") == &l.members[1],
	       "find_peer_url finds the unstarted learner");
	tap_ok(ei_member_list_find_name(&l, "etcd-0") == &l.members[0], "find_name finds etcd-0");
	tap_ok(ei_member_list_find_name(&l, "") == NULL &&
		   ei_member_list_find_name(&l, "etcd-1") == NULL,
	       "find_name never matches an unstarted member");
	tap_ok(ei_member_list_find_id(&l, UINT64_MAX) == &l.members[1], "find_id finds 2^64-1");
	tap_ok(ei_member_list_find_id(&l, 2) == NULL, "find_id: absent ID gives NULL");
	tap_ok(ei_member_is_started(&l.members[0]) && !ei_member_is_started(&l.members[1]) &&
		   !ei_member_is_started(NULL),
	       "is_started follows the name");
	tap_ok(!ei_member_list_find_peer_url(NULL, "x") && !ei_member_list_find_name(&l, NULL) &&
		   !ei_member_list_find_id(NULL, 1),
	       "lookups accept NULL");

	tap_ok(ei_member_copy(&copy, &l.members[0], &err) == 0, "member_copy succeeds");
	ei_member_list_free(&l);
	render_member(buf, sizeof(buf), &copy);
	tap_streq(buf,
		  "1 etcd-0 V http://etcd-0.etcd:2380,http://10.0.0.1:2380 http://etcd-0.etcd:2379",
		  "member_copy is deep: it outlives the list");
	ei_member_free(&copy);
	tap_ok(copy.name == NULL && copy.n_peer_urls == 0, "member_free zeroes the member");
}

/* An accepted list as the parsers promise it: every member has an ID (etcd never
 * assigns 0) and every URL it lists is there. */
static bool list_well_formed(const struct ei_member_list *l)
{
	for (size_t i = 0; i < l->n_members; i++) {
		const struct ei_member *m = &l->members[i];

		if (m->id == 0)
			return false;
		for (size_t k = 0; k < m->n_peer_urls; k++)
			if (!m->peer_urls[k])
				return false;
		for (size_t k = 0; k < m->n_client_urls; k++)
			if (!m->client_urls[k])
				return false;
	}
	return true;
}

/* Every truncation is rejected, and mutated bytes never crash (run under ASan): each is
 * a well-formed list or refused as malformed, with nothing left in the list. */
static void test_truncations_and_mutations(void)
{
	static const char *const fixtures[] = {LIST_34, PEER_34};
	static const char mutations[] = {'{', '}', '[', ']', '"', '\\', ',', ':',
					 '0', '9', '-', 'e', '.', '\0', ' ', 'a'};
	char buf[1024];

	for (size_t f = 0; f < N(fixtures); f++) {
		size_t len = strlen(fixtures[f]);
		size_t rejected = 0, ok = 0, wrong = 0;

		for (size_t cut = 0; cut < len; cut++) {
			struct ei_member_list l = {0};
			int r = f == 0 ? ei_members_parse_gateway(fixtures[f], cut, &l, NULL, NULL)
				       : ei_members_parse_peer(fixtures[f], cut, NULL, &l, NULL);

			rejected += r == EI_E_PARSE;
			ei_member_list_free(&l);
		}
		tap_ok(rejected == len, "%s: all %zu truncations are rejected (%zu)",
		       f == 0 ? "gateway" : "peer", len, rejected);

		srand(1);
		for (int i = 0; i < 2000; i++) {
			struct ei_member_list l = {0};
			int r;

			memcpy(buf, fixtures[f], len);
			for (int k = 0; k < 3; k++)
				buf[(size_t)rand() % len] =
				    mutations[(size_t)rand() % N(mutations)];
			r = f == 0 ? ei_members_parse_gateway(buf, len, &l, NULL, NULL)
				   : ei_members_parse_peer(buf, len, "1", &l, NULL);
			if (r == 0) {
				ok++;
				wrong += !list_well_formed(&l);
			} else {
				wrong += r != EI_E_PARSE || l.members || l.n_members;
			}
			ei_member_list_free(&l);
		}
		tap_ok(wrong == 0,
		       "%s: 2000 mutated answers are a well-formed list or malformed with an empty list (%zu accepted, %zu not)",
		       f == 0 ? "gateway" : "peer", ok, wrong);
	}
}

/* Lists etcd never serves: two members with one ID, name or peer URL, and text that
 * would inject or hide entries in --initial-cluster ("name=url,..."): a ',', a '=' or a
 * NUL (json-c keeps "\u0000"). Each is malformed, with a message naming the problem;
 * the clean neighbours parse. */
#define GW_M(id, name, peer)                                                                       \
	"{\"ID\":\"" id "\",\"name\":\"" name "\",\"peerURLs\":[\"" peer "\"]}"
#define PEER_M(id, name, peer) "{\"id\":" id ",\"name\":\"" name "\",\"peerURLs\":[\"" peer "\"]}"
#define GW_LIST(...) "{\"members\":[" __VA_ARGS__ "]}"

static void test_malformed_lists(void)
{
	static const struct {
		const char *name;
		bool peer;      /* the peer API's shape */
		const char *json;
		const char *msg; /* NULL: parses */
	} cases[] = {
	    {"two members, all distinct", false,
	     GW_LIST(GW_M("17", "a", "http://a:2380") "," GW_M("18", "b", "http://b:2380")),
	     NULL},
	    {"duplicate ID", false,
	     GW_LIST(GW_M("17", "a", "http://a:2380") "," GW_M("17", "b", "http://b:2380")),
	     "member list: members[0] and members[1] have the same ID 11"},
	    {"duplicate name", false,
	     GW_LIST(GW_M("17", "a", "http://a:2380") "," GW_M("18", "a", "http://b:2380")),
	     "member list: members[0] and members[1] have the same name a"},
	    {"duplicate peer URL", false,
	     GW_LIST(GW_M("17", "a", "http://a:2380") "," GW_M("18", "b", "http://a:2380")),
	     "member list: members[0] and members[1] have the same peer URL http://a:2380"},
	    {"duplicate peer URL as a second URL, third member", false,
	     GW_LIST(GW_M("17", "a", "http://a:2380") "," GW_M("18", "b", "http://b:2380") ","
		     "{\"ID\":\"19\",\"name\":\"c\","
		     "\"peerURLs\":[\"http://c:2380\",\"http://b:2380\"]}"),
	     "members[1] and members[2] have the same peer URL http://b:2380"},
	    {"two unstarted members (no names) are not namesakes", false,
	     "{\"members\":[{\"ID\":\"17\",\"peerURLs\":[\"http://a:2380\"]},{\"ID\":\"18\","
	     "\"name\":\"\",\"peerURLs\":[\"http://b:2380\"]}]}",
	     NULL},
	    {"a name with a ','", false, GW_LIST(GW_M("17", "a,b", "http://a:2380")),
	     "member list: members[0].name holds a ',' or '='"},
	    {"a name with a '='", false, GW_LIST(GW_M("17", "a=b", "http://a:2380")),
	     "members[0].name holds a ',' or '='"},
	    {"a peer URL injecting an entry", false,
	     GW_LIST(GW_M("17", "a", "http://a:2380,evil=http://evil:2380")),
	     "members[0].peerURLs[0] holds a ',' or '='"},
	    {"a client URL with a '='", false,
	     "{\"members\":[{\"ID\":\"17\",\"peerURLs\":[\"http://a:2380\"],\"clientURLs\":"
	     "[\"http://a:2379\",\"http://a:2379/?x=y\"]}]}",
	     "members[0].clientURLs[1] holds a ',' or '='"},
	    {"a name that is a NUL", false,
	     GW_LIST(GW_M("17", "\\u0000", "http://a:2380")),
	     "member list: members[0].name holds a NUL character"},
	    {"a name with a NUL inside", false,
	     GW_LIST(GW_M("17", "etcd-0\\u0000etcd-9", "http://a:2380")),
	     "members[0].name holds a NUL character"},
	    {"a peer URL with a NUL inside", false,
	     GW_LIST(GW_M("17", "a", "http://a:2380\\u0000,b=http://b:2380")),
	     "members[0].peerURLs[0] holds a NUL character"},
	    {"a second member's name with a NUL", false,
	     GW_LIST(GW_M("17", "a", "http://a:2380") "," GW_M("18", "b\\u0000", "http://b:2380")),
	     "members[1].name holds a NUL character"},
	    /* The peer API's shape goes through the same checks. */
	    {"peer: two members, all distinct", true,
	     "[" PEER_M("17", "a", "http://a:2380") "," PEER_M("18", "b", "http://b:2380") "]",
	     NULL},
	    {"peer: duplicate ID", true,
	     "[" PEER_M("17", "a", "http://a:2380") "," PEER_M("17", "b", "http://b:2380") "]",
	     "peer member list: members[0] and members[1] have the same ID 11"},
	    {"peer: duplicate name", true,
	     "[" PEER_M("17", "a", "http://a:2380") "," PEER_M("18", "a", "http://b:2380") "]",
	     "peer member list: members[0] and members[1] have the same name a"},
	    {"peer: duplicate peer URL", true,
	     "[" PEER_M("17", "a", "http://a:2380") "," PEER_M("18", "b", "http://a:2380") "]",
	     "have the same peer URL http://a:2380"},
	    {"peer: a name with a ','", true, "[" PEER_M("17", "a,b", "http://a:2380") "]",
	     "peer member list: members[0].name holds a ',' or '='"},
	    {"peer: a peer URL with a '='", true, "[" PEER_M("17", "a", "http://a=b:2380") "]",
	     "members[0].peerURLs[0] holds a ',' or '='"},
	    {"peer: a name that is a NUL", true, "[" PEER_M("17", "\\u0000", "http://a:2380") "]",
	     "peer member list: members[0].name holds a NUL character"},
	};

	for (size_t i = 0; i < N(cases); i++) {
		struct ei_member_list l = {0};
		struct ei_err err = {0};
		size_t len = strlen(cases[i].json);
		int r = cases[i].peer ? ei_members_parse_peer(cases[i].json, len, "c1", &l, &err)
				      : ei_members_parse_gateway(cases[i].json, len, &l, NULL,
								 &err);

		if (!cases[i].msg) {
			tap_ok(r == 0 && l.n_members >= 1, "malformed: %s parses (%s)",
			       cases[i].name, r ? err.msg : "ok");
		} else {
			tap_ok(r == EI_E_PARSE && err.code == EI_E_PARSE && l.n_members == 0 &&
				       !l.members,
			       "malformed: %s is rejected", cases[i].name);
			tap_ok(strstr(err.msg, cases[i].msg) != NULL, "malformed: %s: \"%s\" (%s)",
			       cases[i].name, cases[i].msg, err.msg);
		}
		ei_member_list_free(&l);
	}
}

/* The header's raft_term of a gateway list (how far the answering cluster's term is:
 * plan.c compares it with our WAL's). */
static void test_raft_term(void)
{
	static const struct {
		const char *name;
		const char *json;
		int ok;
		uint64_t term;
	} cases[] = {
	    {"3.4 list, term 2", LIST_34, 1, 2},
	    {"term 2^64-1",
	     "{\"header\":{\"cluster_id\":\"1\",\"member_id\":\"5\",\"raft_term\":"
	     "\"18446744073709551615\"},\"members\":[{\"ID\":\"5\"}]}",
	     1, UINT64_MAX},
	    {"a header without raft_term",
	     "{\"header\":{\"cluster_id\":\"1\"},\"members\":[{\"ID\":\"5\"}]}", 1, 0},
	    {"no header", "{\"members\":[{\"ID\":\"5\"}]}", 1, 0},
	    {"raft_term not decimal",
	     "{\"header\":{\"cluster_id\":\"1\",\"raft_term\":\"x2\"},"
	     "\"members\":[{\"ID\":\"5\"}]}",
	     0, 0},
	};

	for (size_t i = 0; i < N(cases); i++) {
		struct ei_member_list l = {0};
		struct ei_err err = {0};
		int r = ei_members_parse_gateway(cases[i].json, strlen(cases[i].json), &l, NULL,
						 &err);

		if (cases[i].ok)
			tap_ok(r == 0 && l.raft_term == cases[i].term,
			       "raft_term: %s: %" PRIu64 " (got %" PRIu64 ", %s)", cases[i].name,
			       cases[i].term, l.raft_term, r ? err.msg : "ok");
		else
			tap_ok(r == EI_E_PARSE && strstr(err.msg, "raft_term") && l.raft_term == 0,
			       "raft_term: %s is rejected (%s)", cases[i].name, err.msg);
		ei_member_list_free(&l);
	}
}

int main(void)
{
	tap_init();
	test_gateway_lists();
	test_member_add();
	test_peer_lists();
	test_status();
	test_error_bodies();
	test_classify();
	test_lookups();
	test_truncations_and_mutations();
	test_malformed_lists();
	test_raft_term();
	return tap_done();
}
