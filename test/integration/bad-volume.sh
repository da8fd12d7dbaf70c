#!/usr/bin/env bash
# A volume etcd-init cannot use is refused before any network call, with a message that
# names the path and what to do, and is left byte-for-byte as it was; the member list
# does not change. Unusable (exit 2): the data dir is a regular file, its member dir is
# a regular file, the data dir is unreadable, the data dir is on a read-only mount.
# Refused (exit 5): a *.wal that is no WAL (zero bytes, random bytes, cut short inside
# its metadata, not named <16 hex>-<16 hex>.wal), in copies of member 2's real volume;
# member/snap/db without a WAL; WAL files in <data-dir>/wal while --wal-dir is not set,
# on the real volume (a copy that ran as member 2 could not be swapped back): with
# --wal-dir member 2 restarts, then the WAL goes back to member/wal and it restarts
# normally. Last, member/snap/db without a WAL in a copy of the volume as etcd-init left
# it: its first-start marker was removed once etcd had written the WAL, so the volume is
# not taken for a failed first start (an etcd-init that did would replace member 2, so
# nothing comes after this check).
# shellcheck source-path=SCRIPTDIR disable=SC2119 # ei_env_setup: the version from the environment
set -u
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/scenario-lib.sh"
ei_env_setup

cold_start3
ok "a key is written" put_key k v 0
id2=$(member_id 2)
ok "etcd-2's first-start marker is removed once etcd has written its WAL" \
	wait_for 10 log_has 2 'first-start marker removed'
pod_stop 2
members() { member_list_json 0 | jq -c '[.members[] | {ID, name, learner: (.isLearner == true)}] | sort_by(.ID)'; }
members_before=$(members)
like "$members_before" "^\\[(\\{[^}]*\"learner\":false\\},?){3}\\]$" "member list recorded: 3 voters"
like "$members_before" "\\{\"ID\":\"$id2\",\"name\":\"etcd-2\",\"learner\":false\\}" \
	"member list recorded: member 2 ($id2) is one of them"

# ERE that matches the string literally.
re() { sed 's/[][\.*^$+?(){}|/]/\\&/g' <<<"$1"; }

real=$(pod_data 2)
real_before=$(volume_manifest "$real")
wal_real=$(find "$real/member/wal" -name '*.wal' | sort | head -n 1)
like "$wal_real" '/member/wal/[0-9a-f]{16}-[0-9a-f]{16}\.wal$' "member 2 has a WAL file ($(basename "$wal_real"))"

# scratch NAME: a fresh copy of pod 2's real volume; prints its path.
scratch()
{
	local d
	d=$(pod_dir 2)/$1
	rm -rf -- "$d"
	cp -a -- "$real" "$d" && echo "$d"
}

wrap=() # a command prefix for etcd-init (setpriv)
# check WHAT WANT TARGET PATH_RE FIX_RE ETCD-INIT-ARGS...: runs etcd-init as PID 1 of pod 2
# (stopped) and checks its exit status, that its output matches PATH_RE and FIX_RE,
# that it made no DNS query (no network call), that the member list and TARGET are
# unchanged. A run still going after 30 s is stopped (with everything it started).
check()
{
	local what=$1 want=$2 target=$3 path_re=$4 fix_re=$5 before q out st mark log
	shift 5
	log=$(pod_dir 2)/log
	before=$(volume_manifest "$target")
	q=$(dns_queries_from 2)
	mark=$(wc -l <"$log")
	pod_start 2 "${wrap[@]}" "$ETCD_INIT" --etcd "$ETCD_BIN" --wait-timeout 20s "$@"
	if ! st=$(pod_wait_exit 2 30); then
		pod_stop 2
		st="$st (stopped)"
	fi
	out=$(tail -n "+$((mark + 1))" "$log" | grep "^ts=") # etcd-init's lines, not etcd's
	is "$st" "$want" "$what: exit $want"
	like "$out" "$path_re" "$what: the message names the path"
	like "$out" "$fix_re" "$what: the message says what to do"
	diag "$what: $(tail -n 1 <<<"$out" | cut -c 1-700)"
	sleep 0.5 # unbound's log
	is "$(dns_queries_from 2)" "$q" "$what: no DNS query (nothing done before the check)"
	is "$(members)" "$members_before" "$what: member list unchanged"
	is "$(volume_manifest "$target")" "$before" "$what: volume byte-for-byte unchanged"
}

# (1) --data-dir is a regular file.
f=$(pod_dir 2)/data-file
printf 'not a directory\n' >"$f"
check "data dir is a regular file" 2 "$f" "the data dir $(re "$f") is not a directory" \
	'check the volume mount' --data-dir "$f"

# (2) <data-dir>/member is a regular file.
d=$(pod_dir 2)/member-file
mkdir -m 700 "$d" && printf 'not a directory\n' >"$d/member"
check "member dir is a regular file" 2 "$d" "the member dir $(re "$d/member") is not a directory" \
	'expected a directory' --data-dir "$d"

# (3) the data dir is unreadable: mode 000, and etcd-init without CAP_DAC_OVERRIDE and
# CAP_DAC_READ_SEARCH (as root it would read anything).
wrap=(setpriv '--bounding-set=-dac_override,-dac_read_search' --inh-caps=-all)
ok "without DAC capabilities the volume (0700) is readable" pod_exec 2 "${wrap[@]}" ls "$real"
chmod 000 "$real"
EI_TEARDOWN_HOOKS+=("chmod 700 '$real'")
nok "without DAC capabilities the volume (000) is unreadable" pod_exec 2 "${wrap[@]}" ls "$real"
check "unreadable data dir" 2 "$real" "the data dir $(re "$real") cannot be read" \
	'fix the ownership or mode' --data-dir "$real"
chmod 700 "$real"
wrap=()

# (4) the data dir is on a read-only mount (a bind mount on the host, made before the
# pod starts: its mount namespace is a copy of the host's; pod_exec of a stopped pod
# runs in the host's).
EI_TEARDOWN_HOOKS+=("mountpoint -q '$real' && umount '$real'")
mount --bind "$real" "$real" && mount -o remount,ro,bind "$real"
nok "the read-only mount is read-only in pod 2" pod_exec 2 mkdir "$real/.rw-probe"
rmdir "$real/.rw-probe" 2>/dev/null
check "read-only data dir" 2 "$real" "the data dir $(re "$real") is not writable" \
	'read-only mount' --data-dir "$real"
umount "$real"
nok "the read-only mount is gone" mountpoint -q "$real"

# (5)-(8): a *.wal that is not a WAL, in a copy of the real volume whose WAL files are
# moved away.
# not_a_wal NAME WHAT SETUP...: the copy's WAL dir holds only what SETUP (run in it) makes.
not_a_wal()
{
	local name=$1 what=$2 d
	shift 2
	d=$(scratch "$name") || return 1
	if ! { mkdir "$d.moved" && mv "$d"/member/wal/*.wal "$d.moved/" &&
		(cd "$d/member/wal" && "$@"); }; then
		tap_ok 1 "$what: prepared"
		return 1
	fi
	local wal
	wal=$(find "$d/member/wal" -name '*.wal')
	check "$what" 5 "$d" "$(re "$wal") is not a WAL" \
		"move it out of $(re "$d/member/wal") by hand" --data-dir "$d"
}
walname=0000000000000000-0000000000000000.wal
not_a_wal wal-empty "zero-byte WAL" touch "$walname"
not_a_wal wal-random "random-bytes WAL" sh -c "head -c 4096 /dev/urandom >$walname"
not_a_wal wal-cut "WAL cut short inside its metadata" \
	sh -c "head -c 20 '$wal_real' >$walname"
not_a_wal wal-junk "WAL named junk.wal" cp "$wal_real" junk.wal

# (10) member/snap/db present, no WAL anywhere, without etcd-init's first-start marker
# (a volume restarted at least once through etcd-init).
d=$(scratch no-wal-no-marker)
rm -rf -- "$d/member/wal" "$d/member/.etcd-init-first-start"
ok "no-WAL copy has member/snap/db" test -f "$d/member/snap/db"
check "member/snap/db without a WAL (no marker)" 5 "$d" \
	"$(re "$d/member/snap/db") exists but there is no WAL" '--wal-dir' --data-dir "$d"
# The same as this volume is (etcd-init's first-start marker was removed as soon as
# etcd wrote its WAL). Copied now, checked last (below).
d10=$(scratch no-wal)
rm -rf -- "$d10/member/wal"

is "$(volume_manifest "$real")" "$real_before" "the real volume is byte-for-byte unchanged so far"

# (9) the official manifest's layout, on the real volume (a copy that ran as member 2
# could not be swapped back: the member's raft log would go back in time and etcd
# panics, "tocommit(N) is out of range"): the WAL in <data-dir>/wal, member/snap/db in
# place, no --wal-dir: refused.
mv "$real/member/wal" "$real/wal"
check "WAL in <data-dir>/wal without --wal-dir" 5 "$real" "WAL files in $(re "$real/wal")" \
	"--wal-dir=$(re "$real/wal")" --data-dir "$real"
# ... and with --wal-dir it restarts member 2 (positive control).
q=$(dns_queries_from 2)
pod_start 2 "$ETCD_INIT" --etcd "$ETCD_BIN" --data-dir "$real" --wal-dir "$real/wal" --wait-timeout 60s
ok "with --wal-dir: 3 members healthy" wait_healthy "0 1 2" 60
ok "with --wal-dir: decided restart" log_has 2 'msg="?decision"? action=restart'
is_id "$(member_id 2)" "$id2" "with --wal-dir: pod 2 is member $id2"
is "$(get_key k 2)" v "with --wal-dir: the key is there"
is "$(members)" "$members_before" "with --wal-dir: member list unchanged"
isnt "$(dns_queries_from 2)" "$q" "with --wal-dir: pod 2 asked DNS (the query check can fail)"
pod_stop 2

# The real volume back in its own layout: the member restarts.
mv "$real/wal" "$real/member/wal"
launch 2
ok "real volume back: 3 members healthy" wait_healthy "0 1 2" 60
is "$(get_key k 2)" v "real volume back: the key is there"
is_id "$(member_id 2)" "$id2" "real volume back: pod 2 is member $id2"
is "$(members)" "$members_before" "real volume back: the same 3 members"
pod_stop 2

# (10, last: an etcd-init that takes this volume for a failed first start replaces
# member 2) member/snap/db, no WAL, as etcd-init left member 2's volume.
ok "no-WAL copy has member/snap/db" test -f "$d10/member/snap/db"
nok "the first-start marker is gone: etcd wrote its WAL" test -e "$d10/member/.etcd-init-first-start"
check "member/snap/db without a WAL (a volume etcd-init started)" 5 "$d10" \
	"$(re "$d10/member/snap/db") exists but there is no WAL" '--wal-dir' --data-dir "$d10"
done_testing
