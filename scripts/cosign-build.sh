#!/usr/bin/env bash
# Builds (or reuses) the real cosign CLI from its Go module and prints its path.
#
#   bash scripts/cosign-build.sh [VERSION]     (default: $FLOE_COSIGN_VERSION or v3.1.3)
#
# The binary is cached outside the work tree at
#   ${FLOE_CACHE_DIR:-$HOME/.cache/floe}/cosign/<version>/cosign
# A cold build downloads the modules from the Go module proxy (default GOPATH,
# GOFLAGS=-mod=mod) and takes several minutes on 2 cores (see
# docs/test-infrastructure-registry.md). Progress goes to stderr, the path to
# stdout.
set -euo pipefail

version="${1:-${FLOE_COSIGN_VERSION:-v3.1.3}}"
[[ "$version" == v* ]] || version="v$version"

major="${version#v}"; major="${major%%.*}"
case "$major" in
  1) module="github.com/sigstore/cosign" ;;
  *) module="github.com/sigstore/cosign/v$major" ;;
esac

cache="${FLOE_CACHE_DIR:-$HOME/.cache/floe}/cosign/$version"
bin="$cache/cosign"
if [[ -x "$bin" ]]; then
  echo "$bin"
  exit 0
fi

command -v go >/dev/null || { echo "cosign-build: 'go' is required" >&2; exit 1; }
mkdir -p "$cache"
# One build at a time per version (several test runs may start at once).
exec 9>"$cache/.lock"
flock 9
if [[ -x "$bin" ]]; then
  echo "$bin"
  exit 0
fi

echo "cosign-build: building $module/cmd/cosign@$version into $bin (cold build: several minutes)..." >&2
start=$(date +%s)
tmp="$(mktemp -d "$cache/build-XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
# -p=2 keeps peak memory low on 2 cores; CGO off: no C toolchain needed (the
# PKCS#11 / PIV key support that needs cgo is behind build tags anyway).
# The version ldflags make `cosign version` tell the truth.
ldflags="-s -w -X sigs.k8s.io/release-utils/version.gitVersion=$version -X sigs.k8s.io/release-utils/version.gitTreeState=clean"
log="$cache/build.log"
if ! (
  cd "$tmp"
  CGO_ENABLED=0 GOBIN="$tmp" GOFLAGS="-mod=mod -buildvcs=false -p=2" \
    go install -trimpath -ldflags "$ldflags" "$module/cmd/cosign@$version"
) >"$log" 2>&1; then
  grep -v '^go: downloading ' "$log" | tail -n 40 >&2
  echo "cosign-build: building cosign $version failed (full log: $log); an older one: bash $0 v2.6.5" >&2
  exit 1
fi
mv "$tmp/cosign" "$bin"
echo "cosign-build: built cosign $version in $(( $(date +%s) - start ))s" >&2
echo "$bin"
