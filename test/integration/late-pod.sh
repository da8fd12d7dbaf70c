#!/usr/bin/env bash
# One pod started long after the other two formed the cluster: it starts as its
# (never started) initial member, with no member add.
set -u
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/scenario-lib.sh"
ei_env_setup

for n in 0 1 2; do pod_create "$n"; dns_publish "$n"; done
launch 0
launch 1
ok "two members form the cluster (quorum 2 of 3)" wait_healthy "0 1" 90
ok "a key is written" put_key early v0 0
sleep 5
launch 2
ok "the late pod joins" wait_healthy "0 1 2" 60
ok "it started as its listed member" log_has 2 'action=(start-existing|bootstrap)'
is "$(member_count)" 3 "3 members, no extra add"
is "$(voter_count)" 3 "3 voters"
is "$(get_key early 2)" v0 "the late member serves the key"
done_testing
