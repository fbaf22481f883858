#!/usr/bin/env bash
# Builds (or reuses) the testcluster multi-call binary and prints its path.
#
# The binary is cached outside the work tree, keyed by a hash of the Go module's
# sources and of this script, at
#   ${FLOE_CACHE_DIR:-$HOME/.cache/floe}/testcluster/<hash>/testcluster
# A cold build downloads the modules from the Go module proxy (default GOPATH)
# and takes 10-25 minutes on 2 cores. Progress goes to stderr, the path to stdout.
set -euo pipefail
source "$(dirname "$0")/lib/go-tool.sh"
root="$(cd "$(dirname "$0")/.." && pwd)"
src="$root/testcluster"

K8S_VERSION=v1.36.3

hash="$(
  cd "$src"
  { sha256sum "$root/scripts/cluster-build.sh"; find . -maxdepth 1 -type f \( -name '*.go' -o -name go.mod -o -name go.sum \) -print0 | sort -z | xargs -0 sha256sum; } \
    | sed 's#  .*/#  #' | sha256sum | cut -c1-16
)"
cache="${FLOE_CACHE_DIR:-$HOME/.cache/floe}/testcluster/$hash"
bin="$cache/testcluster"

# One build at a time per hash (two clusters / two checkouts may start at once).
reuse_or_lock "$bin"

echo "testcluster: building $bin (cold build: 10-25 min on 2 cores)..." >&2
start=$(date +%s)
major="${K8S_VERSION#v}"; major="${major%%.*}"
minor="${K8S_VERSION#v*.}"; minor="${minor%%.*}"
ldflags="-s -w"
ldflags+=" -X k8s.io/component-base/version.gitVersion=$K8S_VERSION"
ldflags+=" -X k8s.io/component-base/version.gitMajor=$major"
ldflags+=" -X k8s.io/component-base/version.gitMinor=$minor"
ldflags+=" -X k8s.io/component-base/version.gitTreeState=clean"
ldflags+=" -X k8s.io/client-go/pkg/version.gitVersion=$K8S_VERSION"
ldflags+=" -X k8s.io/client-go/pkg/version.gitMajor=$major"
ldflags+=" -X k8s.io/client-go/pkg/version.gitMinor=$minor"
(
  cd "$src"
  # -p=2: two packages at a time keeps peak memory to a few GiB on 2 cores.
  CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false -p=2" \
    go build -trimpath -ldflags "$ldflags" -o "$bin.tmp" .
)
mv "$bin.tmp" "$bin"
echo "testcluster: built in $(( $(date +%s) - start ))s" >&2
echo "$bin"
