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
source "$(dirname "$0")/lib/go-tool.sh"

version="${1:-${FLOE_COSIGN_VERSION:-v3.1.3}}"
[[ "$version" == v* ]] || version="v$version"

major="${version#v}"; major="${major%%.*}"
case "$major" in
  1) module="github.com/sigstore/cosign" ;;
  *) module="github.com/sigstore/cosign/v$major" ;;
esac

# The version ldflags make `cosign version` tell the truth (the PKCS#11 / PIV
# key support that would need cgo is behind build tags anyway).
ldflags="-s -w -X sigs.k8s.io/release-utils/version.gitVersion=$version -X sigs.k8s.io/release-utils/version.gitTreeState=clean"
go_install_tool cosign "$module/cmd/cosign" "$version" "$ldflags" "an older one: bash $0 v2.6.5"
