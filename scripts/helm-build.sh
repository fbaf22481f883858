#!/usr/bin/env bash
# Builds (or reuses) the real Helm CLI from its Go module and prints its path.
#
#   bash scripts/helm-build.sh [VERSION]     (default: $FLOE_HELM_VERSION or v4.3.1)
#
# The binary is cached outside the work tree at
#   ${FLOE_CACHE_DIR:-$HOME/.cache/floe}/helm/<version>/helm
# The exported-chart tests (tests/helm_export.rs) run it as FLOE_TEST_HELM. A
# cold build downloads the modules from the Go module proxy (default GOPATH,
# GOFLAGS=-mod=mod) and takes minutes on 2 cores. Progress goes to stderr, the
# path to stdout.
set -euo pipefail

version="${1:-${FLOE_HELM_VERSION:-v4.3.1}}"
[[ "$version" == v* ]] || version="v$version"

major="${version#v}"; major="${major%%.*}"
case "$major" in
  1|2) echo "helm-build: Helm $version is not supported (v3 or later)" >&2; exit 1 ;;
  *) module="helm.sh/helm/v$major" ;;
esac

cache="${FLOE_CACHE_DIR:-$HOME/.cache/floe}/helm/$version"
bin="$cache/helm"
if [[ -x "$bin" ]]; then
  echo "$bin"
  exit 0
fi

command -v go >/dev/null || { echo "helm-build: 'go' is required" >&2; exit 1; }
mkdir -p "$cache"
# One build at a time per version (several test runs may start at once).
exec 9>"$cache/.lock"
flock 9
if [[ -x "$bin" ]]; then
  echo "$bin"
  exit 0
fi

echo "helm-build: building $module/cmd/helm@$version into $bin (cold build: several minutes)..." >&2
start=$(date +%s)
tmp="$(mktemp -d "$cache/build-XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
# -p=2 keeps peak memory low on 2 cores; CGO off: no C toolchain needed.
# Without the version ldflag `helm version` would report only the minor
# version compiled into the source ("v4.3"), as Helm's own Makefile sets it.
ldflags="-s -w -X $module/internal/version.version=$version -X $module/internal/version.gitTreeState=clean"
log="$cache/build.log"
if ! (
  cd "$tmp"
  CGO_ENABLED=0 GOBIN="$tmp" GOFLAGS="-mod=mod -buildvcs=false -p=2" \
    go install -trimpath -ldflags "$ldflags" "$module/cmd/helm@$version"
) >"$log" 2>&1; then
  grep -v '^go: downloading ' "$log" | tail -n 40 >&2
  echo "helm-build: building helm $version failed (full log: $log)" >&2
  exit 1
fi
mv "$tmp/helm" "$bin"
echo "helm-build: built helm $version in $(( $(date +%s) - start ))s" >&2
echo "$bin"
