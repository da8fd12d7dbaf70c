# shellcheck shell=bash
# Shared steps of the etcd-init scenarios (sourced after lib.sh).

# launch N [etcd-init args...]: start etcd-init as PID 1 of pod N. When EI_LAUNCH_ENV
# names a function, its output lines (K=V, for pod N) are added to the environment.
launch()
{
	local n=$1
	shift
	local -a pre=()
	if [[ -n ${EI_LAUNCH_ENV:-} ]]; then
		mapfile -t pre < <("$EI_LAUNCH_ENV" "$n")
		pre=(env "${pre[@]}")
	fi
	pod_start "$n" "${pre[@]}" "$ETCD_INIT" --etcd "$ETCD_BIN" --data-dir "$(pod_data "$n")" \
		--wait-timeout "${EI_WAIT_TIMEOUT:-120s}" "$@"
}

# cold_start3: three pods started at once, DNS records published late and one by one.
cold_start3()
{
	local n
	for n in 0 1 2; do pod_create "$n"; done
	for n in 0 1 2; do launch "$n"; done
	sleep 1
	for n in 2 0 1; do
		dns_publish "$n"
		sleep 0.7
	done
	ok "cold start: 3 members healthy" wait_healthy "0 1 2" 90
	is "$(voter_count)" 3 "cold start: 3 voters"
	formed_one_cluster "cold start" 0 1 2
}

# formed_one_cluster WHAT N...: pods N... formed one cluster from empty volumes: each
# started etcd to bootstrap or as its listed member (start-existing: the others'
# bootstrap named it already), at least one bootstrapped, and every pod's etcd reports
# the cluster ID of the first pod's.
formed_one_cluster()
{
	local what=$1 first=$2 n action cid boots=0
	shift
	for n in "$@"; do
		action=$(start_action "$n")
		like "$action" '^(bootstrap|start-existing)$' "$what: member $n decided bootstrap or start-existing ($action)"
		[[ $action != bootstrap ]] || boots=$((boots + 1))
	done
	ok "$what: at least one member bootstrapped ($boots)" test "$boots" -ge 1
	cid=$(cluster_id "$first")
	for n in "${@:2}"; do
		is_id "$(cluster_id "$n")" "$cid" "$what: one cluster ID ($first, $n)"
	done
}

# log_has N PATTERN: pod N's log has a line matching the extended regex.
log_has()
{
	pod_log "$1" | grep -Eq "$2"
}

# wait_voters COUNT TIMEOUT_S: until the member list has COUNT voters and no learner.
wait_voters()
{
	local want=$1 deadline=$((SECONDS + $2))
	while ((SECONDS < deadline)); do
		[[ $(voter_count 2>/dev/null) == "$want" && $(learner_count 2>/dev/null) == 0 ]] && return 0
		sleep 1
	done
	return 1
}

# peer_member_ids N: the member IDs (decimal, sorted, space-separated) that pod N's etcd
# serves on its peer API (GET /members), which a member without quorum still answers.
peer_member_ids()
{
	curl -s --max-time 5 "http://$(pod_ip "$1"):2380/members" |
		sed -E 's/"id":([0-9]+)/"id":"\1"/g' | jq -r '[.[].id] | sort | join(" ")'
}

# log_mark N: remember where pod N's log ends now; log_new N: what came after the mark
# (a pod's log is appended across starts).
log_mark()
{
	eval "_ei_log_mark_$1=$(pod_log "$1" | wc -l)"
}
log_new()
{
	local v="_ei_log_mark_$1"
	pod_log "$1" | tail -n +$((${!v:-0} + 1))
}
# new_log_has N PATTERN: the part of pod N's log after log_mark N matches the regex.
new_log_has()
{
	log_new "$1" | grep -Eq "$2"
}

# is_id GOT WANT DESC: WANT is an ID (decimal, as cluster_id and member_id print it) and
# GOT is the same: two IDs that could not be read are not "the same".
is_id()
{
	if [[ $2 =~ ^[0-9]+$ ]]; then
		is "$1" "$2" "$3"
	else
		like "$2" '^[0-9]+$' "$3"
	fi
}

# isnt_id GOT OLD DESC: GOT and OLD are both IDs (decimal) and GOT is another: an ID that
# could not be read is no new one.
isnt_id()
{
	if [[ $1 =~ ^[0-9]+$ && $2 =~ ^[0-9]+$ ]]; then
		isnt "$1" "$2" "$3"
	else
		like "$1 $2" '^[0-9]+ [0-9]+$' "$3"
	fi
}

# start_action N: the final decision of pod N's last start (since log_mark N, if any):
# the action= of its last msg="starting etcd" line, the action etcd-init exec'd etcd
# for; nothing when it started no etcd. Decision lines before it may be held ones
# (action=wait reason="bootstrap if a look in 3000 ms says the same: ..."), no bootstrap.
start_action()
{
	log_new "$1" | sed -nE 's/^.* msg="starting etcd" action=([^ ]*).*$/\1/p' | tail -n 1
}
# log_new_file N: writes log_new N to $EI_RUN/log-N.new and prints that path (ok and nok
# run their command with stdin from /dev/null: grep a file).
log_new_file()
{
	log_new "$1" >"$EI_RUN/log-$1.new" && echo "$EI_RUN/log-$1.new"
}

# members_of N: the member list through pod N as "id name peerURLs learner" lines, sorted.
members_of()
{
	member_list_json "$1" |
		jq -r '.members[] | "\(.ID) \(.name) \(.peerURLs | join(",")) \(.isLearner == true)"' | sort
}

# volume_manifest DIR: every entry's path (relative to DIR), type, size, mode and mtime,
# and the sha256 of every file: equal manifests mean a byte-for-byte unchanged volume.
volume_manifest()
{
	(cd "$1" && find . -printf '%p %y %s %m %T@\n' | sort && find . -type f -print0 | sort -z | xargs -0 -r sha256sum)
}

# volume_empty N: pod N's data dir exists and has nothing in it.
# shellcheck disable=SC2317 # called through ok
volume_empty()
{
	local d
	d=$(pod_data "$1")
	[[ -d $d && -z $(find "$d" -mindepth 1 -print -quit) ]]
}

# dns_queries_from N: how many queries unbound logged from pod N's IP.
dns_queries_from()
{
	grep -cF " $(pod_ip "$1") " "$EI_RUN/unbound.log"
}

# k8s_api_start: the Kubernetes API's HTTPS stand-in (test/tools/k8s-api, $K8S_API) on the
# bridge address, with its own CA and a service account in $k8s/sa (token, ca.crt,
# namespace); sets k8s (its dir), token (the service account's) and api_port. Its state
# is set with state LINE...; it starts with "replicas 3".
k8s_api_start()
{
	[[ -x ${K8S_API:-} ]] || bail_out "K8S_API is not an executable"
	k8s=$EI_RUN/k8s
	mkdir -p "$k8s/sa"
	{
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
			-subj "/CN=cluster-ca" -keyout "$k8s/ca.key" -out "$k8s/ca.crt" &&
			openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
				-subj "/CN=kube-apiserver" -keyout "$k8s/server.key" -out "$k8s/server.csr" &&
			printf '%s\n' "subjectAltName=IP:$EI_BRIDGE_IP,DNS:kubernetes.default.svc" \
				"extendedKeyUsage=serverAuth" "keyUsage=critical,digitalSignature" >"$k8s/server.ext" &&
			openssl x509 -req -in "$k8s/server.csr" -CA "$k8s/ca.crt" -CAkey "$k8s/ca.key" \
				-CAcreateserial -days 2 -extfile "$k8s/server.ext" -out "$k8s/server.crt"
	} 2>>"$k8s/openssl.log" || bail_out "openssl failed: $(tail -3 "$k8s/openssl.log")"
	local api_pid
	token=k8s-test-token-$(openssl rand -hex 24)
	printf '%s\n' "$token" >"$k8s/api-token"
	printf '%s' "$token" >"$k8s/sa/token"
	cp "$k8s/ca.crt" "$k8s/sa/ca.crt"
	printf '%s' "$EI_NAMESPACE" >"$k8s/sa/namespace"
	state "replicas 3" "mode ok"
	: >"$k8s/count"
	"$K8S_API" --listen "$EI_BRIDGE_IP:0" --cert "$k8s/server.crt" --key "$k8s/server.key" \
		--token-file "$k8s/api-token" --state-file "$k8s/state" --count-file "$k8s/count" \
		--ready-file "$k8s/ready" >>"$k8s/api.out" 2>>"$k8s/api.log" &
	api_pid=$!
	EI_TEARDOWN_HOOKS+=("kill $api_pid 2>/dev/null; wait $api_pid 2>/dev/null")
	wait_for 10 test -s "$k8s/ready" || bail_out "k8s-api did not start: $(tail -5 "$k8s/api.log")"
	api_port=$(<"$k8s/ready")
	diag "k8s-api on $EI_BRIDGE_IP:$api_port"
}

# state LINE...: the API stand-in's state (k8s_api_start).
state()
{
	printf '%s\n' "$@" "name $EI_SET" "namespace $EI_NAMESPACE" >"$k8s/state.tmp" &&
		mv "$k8s/state.tmp" "$k8s/state"
}

# scaled_from_one: a set bootstrapped by etcd-0 alone (--initial-cluster-size 1) and
# scaled to 3 (etcd-1 and etcd-2 join), holding the key k=v.
scaled_from_one()
{
	local n
	pod_create 0
	dns_publish 0
	launch 0 --initial-cluster-size 1
	ok "etcd-0 bootstraps a one-member cluster" wait_healthy "0" 60
	for n in 1 2; do
		pod_create "$n"
		dns_publish "$n"
		launch "$n" --initial-cluster-size 1
	done
	ok "scaled to 3 voters" wait_voters 3 240 # once over 120 s on 3.5 under CI load
	ok "a key is written" put_key k v 0
}

# The docker-compose mode in the harness (--peer-host): every member's host is
# "<name>.compose.test" (docker-compose itself uses "{name}"), A records only.
# shellcheck disable=SC2034 # used by the scripts that source this file
compose_tmpl='{name}.compose.test'
compose_host() { printf '%s-%s.compose.test\n' "$EI_SET" "$1"; }
# compose_publish N: pod N's A record under the template's name only (no SRV, no
# cluster.local).
compose_publish() { dns_add "$(compose_host "$1"). 5 IN A $(pod_ip "$1")"; }

# is_etcd_init N: pod N's PID 1 is still etcd-init (etcd was never exec'd).
is_etcd_init() { [[ $(readlink "/proc/$(pod_pid1 "$1")/exe") == "$(readlink -f "$ETCD_INIT")" ]]; }
