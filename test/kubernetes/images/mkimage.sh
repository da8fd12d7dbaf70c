#!/usr/bin/env bash
# mkimage.sh REF ROOTFS OUT.tar ENTRYPOINT-JSON [CMD-JSON]
# Writes a one-layer OCI image layout (tar) of the directory ROOTFS, named REF, for
# `ctr images import` (no registry, no Docker). Reproducible: sorted, owner 0, mtime 0.
set -euo pipefail

(($# >= 4)) || { echo "usage: $0 REF ROOTFS OUT.tar ENTRYPOINT-JSON [CMD-JSON]" >&2; exit 2; }
ref=$1 root=$2 out=$3 entrypoint=$4 cmd=${5:-null}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/blobs/sha256"

# blob FILE: moves FILE into the blob store, prints "DIGEST SIZE".
blob()
{
	local digest size
	digest=$(sha256sum "$1" | cut -d' ' -f1)
	size=$(stat -c %s "$1")
	mv "$1" "$work/blobs/sha256/$digest"
	echo "$digest $size"
}

tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$root" -cf "$work/layer.tar" .
diff_id=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
gzip -n -1 "$work/layer.tar"
read -r layer layer_size < <(blob "$work/layer.tar.gz")
printf '{"architecture":"amd64","os":"linux","config":{"Entrypoint":%s,"Cmd":%s,"Env":["PATH=/usr/local/bin:/usr/bin:/bin"],"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
	"$entrypoint" "$cmd" "$diff_id" >"$work/config.json"
read -r config config_size < <(blob "$work/config.json")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}]}' \
	"$config" "$config_size" "$layer" "$layer_size" >"$work/manifest.json"
read -r manifest manifest_size < <(blob "$work/manifest.json")
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
	"$manifest" "$manifest_size" "$ref" "${ref##*:}" >"$work/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' >"$work/oci-layout"
tar -C "$work" -cf "$out.partial" oci-layout index.json blobs
mv -f "$out.partial" "$out"
echo "wrote $out ($ref)"
