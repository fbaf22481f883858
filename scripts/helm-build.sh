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
source "$(dirname "$0")/lib/go-tool.sh"

version="${1:-${FLOE_HELM_VERSION:-v4.3.1}}"
[[ "$version" == v* ]] || version="v$version"

major="${version#v}"; major="${major%%.*}"
case "$major" in
  1|2) echo "helm-build: Helm $version is not supported (v3 or later)" >&2; exit 1 ;;
  *) module="helm.sh/helm/v$major" ;;
esac

# Without the version ldflag `helm version` would report only the minor
# version compiled into the source ("v4.3"), as Helm's own Makefile sets it.
ldflags="-s -w -X $module/internal/version.version=$version -X $module/internal/version.gitTreeState=clean"
go_install_tool helm "$module/cmd/helm" "$version" "$ldflags"
