/* cluster.h - what etcd derives from a member set (pure): the --initial-cluster values
 * etcd-init hands it, and the member and cluster IDs a bootstrap computes.
 *
 * IDs (etcd server/etcdserver/api/membership, identical in 3.4, 3.5 and 3.6): a member
 * bootstrapped from --initial-cluster gets the first 8 bytes (big-endian) of
 * sha1(its sorted peer URLs joined + the cluster token) (computeMemberID, no time);
 * the cluster ID is the first 8 bytes of sha1 of the sorted member IDs, each 8 bytes
 * big-endian (RaftCluster.genID). So a peer's answer shows whether it bootstraps the
 * very cluster we would, with the same token. */
#ifndef EI_CLUSTER_H
#define EI_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "members.h"

/* --initial-cluster for a new cluster: ordinals 0 .. initial size-1. malloc'd; NULL
 * on ENOMEM. */
char *ei_cluster_new_initial(const struct ei_config *cfg);

/* --initial-cluster for starting as an existing member: every member of the list
 * (learners and unstarted ones included: server/etcdserver/api/membership/cluster.go
 * ValidateClusterAndAssignIDs counts them), once per peer URL, with
 * our own entry named cfg->name; self_peer_url is appended when it is not listed (a
 * join made with the list from before the add). etcd keys the value by name, so every
 * name is unique: a member without a name (never started) is named after the first
 * label of its peer host when that is a label no other entry uses (not an IP
 * address), else "m-<hex id>"; a name used twice gets "-<hex id>". malloc'd; NULL on
 * ENOMEM. */
char *ei_cluster_existing_initial(const struct ei_config *cfg, const struct ei_member_list *members);

/* The ID etcd gives the bootstrap member with this peer URL and token. */
uint64_t ei_cluster_member_id(const char *peer_url, const char *token);

/* The cluster ID of these member IDs (any order). */
uint64_t ei_cluster_id(const uint64_t *member_ids, size_t n);

/* The IDs of this set's initial cluster (cfg: set, size, token): ids[0..size). */
void ei_cluster_initial_ids(const struct ei_config *cfg, uint64_t *ids);

#endif
