#!/usr/bin/env bash
# `kubectl exec` into a member of a running set (test/kubernetes/overlay, image
# localhost/etcd-init:${EI_K8S_TAG:-3.6}): the 3.6 image has no shell (checked: `sh`
# cannot be executed in it), the 3.5 one is Debian-based; the same commands work in
# both, run directly by kubectl without a shell:
# - `etcd-init plan` exits 0, decides restart (etcd-0 has a WAL), names etcd-0's member
#   ID in the data dir line and prints the etcd command line, whose every argument is in
#   the command the pod started etcd with (its log); `plan --output json` parses (action
#   restart, etcd_args);
# - `etcd-init diagnose` exits 0; its table has a row for etcd-0 (self), etcd-1 and
#   etcd-2, each with its member ID (as `etcdctl member list` says), started, healthy;
#   the decision restart; `diagnose --output json` parses, with the same three peers;
# - `etcdctl member list` with no --endpoints (its default 127.0.0.1:2379 is the pod's
#   etcd) and with --endpoints=http://127.0.0.1:2379 (the manifest sets no
#   ETCDCTL_ENDPOINTS, which etcdctl 3.6 would refuse the flag beside): the same 3 members.
# shellcheck source-path=SCRIPTDIR/..
set -u -o pipefail
source "$(dirname "$0")/../lib.sh"

tag=${EI_K8S_TAG:-3.6}
ns_create "exec-${tag//./-}"
diag "namespace $EI_NS, image localhost/etcd-init:$tag"

t0=$(now_s)
ok "the overlay applied" overlay_apply "$tag" || bail_out "cannot apply the overlay"
ok "3 pods Ready within 180 s" wait_ready 3 180 || bail_out "the set did not come up"
diag "cold start: $(($(now_s) - t0)) s"

# kx ARGS...: the command run directly in etcd-0's container (no shell), by its name on
# the image's PATH.
kx() { k exec etcd-0 -c etcd -- "$@"; }

# The image: no shell in 3.6, one in 3.5 (Debian).
if [[ $tag == 3.6 ]]; then
	ok "the $tag image has no shell (sh cannot be executed)" eval '! kx sh -c true'
else
	ok "the $tag image has a shell (Debian-based)" kx sh -c true
fi

# etcdctl, both ways. Its simple output: ID, status, name, peer URLs, client URLs, learner.
members=$(kx etcdctl --command-timeout=10s member list 2>&1)
rc=$?
is "$rc" 0 "etcdctl member list (no --endpoints) exits 0"
is "$(grep -c ', started, etcd-[012], ' <<<"$members")" 3 "it lists 3 started members etcd-0..2"
members_ep=$(kx etcdctl --command-timeout=10s --endpoints=http://127.0.0.1:2379 member list 2>&1)
rc=$?
is "$rc" 0 "etcdctl --endpoints=http://127.0.0.1:2379 member list exits 0 (no ETCDCTL_ENDPOINTS to conflict with)"
is "$members_ep" "$members" "the same members with --endpoints"
diag "$members"
declare -A id
for i in 0 1 2; do
	id[$i]=$(awk -F', ' -v n="etcd-$i" '$3 == n { print $1 }' <<<"$members")
	like "${id[$i]}" '^[0-9a-f]{1,16}$' "etcd-$i's member ID (${id[$i]})"
done

# plan, text.
plan=$(kx etcd-init plan 2>&1)
rc=$?
is "$rc" 0 "etcd-init plan exits 0"
like "$(grep -E '^decision ' <<<"$plan")" '^decision +restart$' "plan decides restart"
like "$(grep -E '^data dir ' <<<"$plan")" "WAL of member ${id[0]} " "plan's data dir line names etcd-0's member ${id[0]}"
plan_etcd=$(sed -nE 's/^etcd +//p' <<<"$plan")
like "$plan_etcd" "^/usr/local/bin/etcd .*--name=etcd-0( |$)" "plan prints the etcd command line (--name=etcd-0)"
like "$plan_etcd" "--initial-advertise-peer-urls=http://etcd-0\.etcd\.$EI_NS\.svc\.cluster\.local:2380( |$)" \
	"its peer URL is etcd-0's canonical name"
# Every argument of the plan is in the command etcd-0 was started with (a bootstrap's
# adds the --initial-cluster flags a restart leaves out).
started=$(k logs etcd-0 -c etcd 2>&1 | grep 'msg="starting etcd"' | tail -n 1 | sed -E 's/.* command="([^"]*)".*/\1/')
missing=
for a in $plan_etcd; do
	[[ " $started " == *" $a "* ]] || missing+=" $a"
done
is "$missing" "" "every argument of plan's etcd command line is in the one etcd-0 started with"
[[ -z $missing ]] || diag "started: $started"

# plan, JSON.
pjson=$(kx etcd-init plan --output json 2>/dev/null)
rc=$?
is "$rc" 0 "etcd-init plan --output json exits 0"
# ok runs its command with stdin from /dev/null: jq reads the text here.
is "$(jq -r type <<<"$pjson" 2>&1)" object "plan --output json parses"
is "$(jq -r .action <<<"$pjson" 2>&1)" restart "its action is restart"
is "$(jq -r '.etcd_args | join(" ")' <<<"$pjson" 2>&1)" "$plan_etcd" "its etcd_args are the text plan's command line"

# diagnose, text.
diagnose=$(kx etcd-init diagnose 2>&1)
rc=$?
is "$rc" 0 "etcd-init diagnose exits 0"
for i in 0 1 2; do
	self=
	((i == 0)) && self=' \(self\)'
	row=$(grep -E "^etcd-$i( |$)" <<<"$diagnose")
	like "$row" "^etcd-$i$self .* ${id[$i]} +etcd-$i +started +healthy " \
		"diagnose's row of etcd-$i: member ${id[$i]}, started, healthy"
done
like "$(grep -E '^decision:' <<<"$diagnose")" '^decision: restart:' "diagnose's decision: restart"
diag "$diagnose"

# diagnose, JSON.
djson=$(kx etcd-init diagnose --output json 2>/dev/null)
rc=$?
is "$rc" 0 "etcd-init diagnose --output json exits 0"
is "$(jq -r type <<<"$djson" 2>&1)" object "diagnose --output json parses"
is "$(jq -r '[.peers[] | "\(.name)=\(.member_id)=\(.state)=\(.healthy)=\(.self)"] | sort | join(" ")' <<<"$djson" 2>&1)" \
	"etcd-0=${id[0]}=started=true=true etcd-1=${id[1]}=started=true=false etcd-2=${id[2]}=started=true=false" \
	"its peers: etcd-0 (self), etcd-1, etcd-2 with their member IDs, started, healthy"
is "$(jq -r .decision.action <<<"$djson" 2>&1)" restart "its decision: restart"

done_testing
