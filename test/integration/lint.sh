#!/usr/bin/env bash
# The files around the code: every shell script through shellcheck (warnings and
# errors), the YAML through yamllint (test/yamllint.yaml), compose.yaml through
# docker-compose's own parser, the Dockerfile through the checks below (hadolint is not
# packaged in Debian 12), and the Kubernetes manifests rendered with kustomize and
# decoded strictly into the Kubernetes API's types (test/k8s-validate, EI_K8S_VALIDATE).
# shellcheck source-path=SCRIPTDIR
set -u
source "$(dirname "$0")/lib.sh"

repo=$(cd "$(dirname "$0")/../.." && pwd)
EI_RUN=$(mktemp -d /tmp/ei-lint.XXXXXX)
trap 'rm -rf "$EI_RUN"' EXIT
cd "$repo" || bail_out "no repository at $repo"

if [[ -d .git ]]; then
	mapfile -t scripts < <(git ls-files '*.sh' .ci/run)
else
	mapfile -t scripts < <(find . -name '*.sh' -not -path './build*' | sort; echo .ci/run)
fi
((${#scripts[@]} > 20)) || bail_out "found only ${#scripts[@]} shell scripts"
for f in "${scripts[@]}"; do
	ok "shellcheck $f" shellcheck -x -P SCRIPTDIR -S warning "$f"
done

mapfile -t yamls < <(find docker test -name '*.yaml' -not -path '*/build*' | sort)
ok "yamllint (${#yamls[@]} files)" yamllint -s -c test/yamllint.yaml "${yamls[@]}"

if docker compose version >/dev/null 2>&1; then
	ok "compose.yaml: docker compose config" docker compose -f docker/compose.yaml config -q
else
	ok "compose.yaml: docker-compose config" docker-compose -f docker/compose.yaml config -q
fi

# The Dockerfile, as hadolint would look at it (its rules DL3006, DL3007, DL3020,
# DL3025, DL3008's spirit, and a digest-free default that is a version, not latest).
df=docker/Dockerfile
froms=$(grep -E '^FROM ' "$df")
ok "Dockerfile: every FROM is an ARG, scratch or an earlier stage" bash -c '
	stages=" "; while read -r _ img _ name; do
		case $img in scratch|\$\{*\}) ;; *) [[ $stages == *" $img "* ]] || { echo "FROM $img"; exit 1; } ;; esac
		stages+="$name "
	done <<<"$1"' _ "$froms"
unlike "$(grep -E '^ARG [A-Z_]*IMAGE=' "$df")" ':latest|=[^:]*$' "Dockerfile: base image defaults name a version"
unlike "$(grep -E '^(ENTRYPOINT|CMD) ' "$df")" '^(ENTRYPOINT|CMD) [^[]' "Dockerfile: ENTRYPOINT and CMD in exec form"
unlike "$(cat "$df")" '(^|\n)ADD ' "Dockerfile: COPY, never ADD"
like "$(grep -c 'no-install-recommends' docker/build-static.sh)" '^[1-9]' \
	"the builder's apt-get install uses --no-install-recommends"
ok ".dockerignore lets in only what the build needs" grep -qx '\*' .dockerignore

# The Kubernetes manifests.
kv=${EI_K8S_VALIDATE:-}
if [[ -x $kv ]]; then
	out=$("$kv" docker/kubernetes docker/kubernetes/tls 2>&1)
	st=$?
	printf '%s\n' "$out" | sed 's/^/# /'
	is "$st" 0 "k8s-validate: $(grep -c '^ok' <<<"$out") checks passed, $(grep -c '^not ok' <<<"$out") failed"
else
	tap_ok 1 "k8s-validate: EI_K8S_VALIDATE (test/setup.sh builds it) is not set"
fi
done_testing
