#!/usr/bin/env bash
# End-to-end check of the signing test infrastructure with the real tools:
# pushes a small floe artifact (OCI image manifest, artifactType
# application/vnd.floe.compiled-artifacts.v1+json) to a plain-HTTP registry with
# curl, signs it with the real cosign and a key pair (classic
# `sha256-<hex>.sig` tag, no transparency log), verifies it, and checks that a
# second key does not verify. Prints the signature manifest on stdout.
#
#   bash scripts/cosign-smoke.sh [REGISTRY]      (default: $FLOE_TEST_REGISTRY;
#                                                 without either, starts one)
# FLOE_TEST_COSIGN names the cosign binary (default: scripts/cosign-build.sh).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
for tool in curl jq sha256sum; do
  command -v "$tool" >/dev/null || { echo "cosign-smoke: '$tool' is required" >&2; exit 1; }
done

work="$(mktemp -d "${TMPDIR:-/tmp}/floe-cosign-smoke-XXXXXX")"
reg_dir=""
cleanup() {
  [[ -n "$reg_dir" ]] && bash "$root/scripts/registry-down.sh" "$reg_dir" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

reg="${1:-${FLOE_TEST_REGISTRY:-}}"
if [[ -z "$reg" ]]; then
  reg_dir="$work/registry"
  reg="$(bash "$root/scripts/registry-up.sh" --dir "$reg_dir" 2>/dev/null | sed -n 's/^FLOE_TEST_REGISTRY=//p')"
fi
cosign="${FLOE_TEST_COSIGN:-$(bash "$root/scripts/cosign-build.sh")}"
repo="floe-smoke/product-$RANDOM$RANDOM"

# ---- push: empty config, one layer, image manifest (OCI distribution API)
push_blob() { # file media-type -> descriptor JSON
  local file="$1" mt="$2" digest size location
  digest="sha256:$(sha256sum "$file" | cut -d' ' -f1)"
  size="$(stat -c %s "$file")"
  location="$(curl -sf -X POST -D - -o /dev/null "http://$reg/v2/$repo/blobs/uploads/" \
    | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')"
  [[ "$location" == http* ]] || location="http://$reg$location"
  [[ "$location" == *\?* ]] && location+="&" || location+="?"
  curl -sf -X PUT -H 'Content-Type: application/octet-stream' --data-binary "@$file" \
    "${location}digest=$digest" -o /dev/null
  jq -cn --arg mt "$mt" --arg d "$digest" --argjson s "$size" '{mediaType: $mt, digest: $d, size: $s}'
}
printf '{}' >"$work/config.json"
printf '{"version":"0.10.0","metadata":{"product_name":"smoke","product_version":"1.0.0"}}\n' >"$work/compiled_artifacts.json"
config="$(push_blob "$work/config.json" application/vnd.oci.empty.v1+json)"
layer="$(push_blob "$work/compiled_artifacts.json" application/vnd.floe.compiled-artifacts.v1+json)"
jq -cn --argjson config "$config" --argjson layer "$layer" '{
  schemaVersion: 2,
  mediaType: "application/vnd.oci.image.manifest.v1+json",
  artifactType: "application/vnd.floe.compiled-artifacts.v1+json",
  config: $config,
  layers: [$layer + {annotations: {"org.opencontainers.image.title": "compiled_artifacts.json"}}],
  annotations: {"io.floe.product.name": "smoke", "io.floe.product.version": "1.0.0", "io.floe.artifacts.version": "0.10.0"}
}' >"$work/manifest.json"
curl -sf -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
  --data-binary "@$work/manifest.json" "http://$reg/v2/$repo/manifests/1.0.0" -o /dev/null
digest="sha256:$(sha256sum "$work/manifest.json" | cut -d' ' -f1)"
echo "cosign-smoke: pushed $reg/$repo:1.0.0 = $digest" >&2

# ---- sign and verify with the real cosign (no Rekor, no network)
cd "$work"
export COSIGN_PASSWORD=floe-smoke
"$cosign" generate-key-pair >/dev/null 2>&1
mkdir other && (cd other && "$cosign" generate-key-pair >/dev/null 2>&1)
ref="$reg/$repo@$digest"
# cosign v3 defaults to the new bundle format (a referrers-tag index) and a
# signing config from TUF (network): these flags give the classic .sig tag.
sign_flags=(--tlog-upload=false --use-signing-config=false --new-bundle-format=false --allow-insecure-registry -y)
verify_flags=(--insecure-ignore-tlog --new-bundle-format=false --allow-insecure-registry)
"$cosign" sign --key cosign.key "${sign_flags[@]}" "$ref" >"$work/sign.log" 2>&1 \
  || { cat "$work/sign.log" >&2; echo "cosign-smoke: cosign sign failed" >&2; exit 1; }
"$cosign" verify --key cosign.pub "${verify_flags[@]}" "$ref" >"$work/verify.json" 2>"$work/verify.log" \
  || { cat "$work/verify.log" >&2; echo "cosign-smoke: cosign verify failed" >&2; exit 1; }
if "$cosign" verify --key other/cosign.pub "${verify_flags[@]}" "$ref" >/dev/null 2>&1; then
  echo "cosign-smoke: a signature verified with the wrong key" >&2; exit 1
fi

# ---- the classic signature: tag sha256-<hex>.sig
sig_tag="sha256-${digest#sha256:}.sig"
accept='application/vnd.oci.image.manifest.v1+json,application/vnd.docker.distribution.manifest.v2+json'
sig="$(curl -sf -H "Accept: $accept" "http://$reg/v2/$repo/manifests/$sig_tag")" \
  || { echo "cosign-smoke: no $sig_tag tag: cosign did not make a classic signature" >&2; exit 1; }
jq -e '.layers[0].mediaType == "application/vnd.dev.cosign.simplesigning.v1+json"
       and (.layers[0].annotations["dev.cosignproject.cosign/signature"] | length > 0)' <<<"$sig" >/dev/null \
  || { echo "cosign-smoke: unexpected signature manifest: $sig" >&2; exit 1; }
echo "cosign-smoke: OK ($("$cosign" version 2>/dev/null | sed -n 's/^GitVersion: *//p')): signed, verified, wrong key refused; $reg/$repo:$sig_tag:" >&2
jq . <<<"$sig"
