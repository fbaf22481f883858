#!/usr/bin/env bash
# Runs every test: formatting, lints, unit, snapshot and cluster tests.
#
# The cluster tests need Kubernetes API servers: this script builds (or reuses)
# the local control plane binary, starts two clusters for the whole run
# (scripts/cluster-up.sh; the second one for multi-cluster tests), exports
# their kubeconfigs as FLOE_TEST_KUBECONFIG (also KUBECONFIG, for kubectl) and
# FLOE_TEST_KUBECONFIG_2, and stops both on exit, whatever the outcome (after
# a failure their logs are kept in the run directories printed).
# With FLOE_TEST_KUBECONFIG already set, the clusters named there are used instead.
#
# The exported-chart tests need the real Helm CLI: the script builds (or
# reuses) it too (scripts/helm-build.sh; FLOE_TEST_HELM, used instead when set).
#
# The artifact tests need an OCI registry and cosign: the script also builds (or
# reuses) the real cosign CLI (scripts/cosign-build.sh; FLOE_TEST_COSIGN) and
# starts two local registries (scripts/registry-up.sh, Debian's docker-registry):
# a plain-HTTP one without authentication (FLOE_TEST_REGISTRY=127.0.0.1:PORT) and
# one with htpasswd basic auth over TLS (FLOE_TEST_REGISTRY_AUTH, FLOE_TEST_REGISTRY_USER,
# FLOE_TEST_REGISTRY_PASSWORD, FLOE_TEST_REGISTRY_CA), stopped on exit like the clusters. With
# FLOE_TEST_COSIGN, FLOE_TEST_REGISTRY or FLOE_TEST_REGISTRY_AUTH already set,
# those are used instead.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo fmt --check
cargo clippy --all-targets -- -D warnings

# Everything started here is stopped on exit, whatever the outcome (with
# --keep after a failure, so that logs stay).
cluster_dirs=()
registry_dirs=()
stop_all() {
  local rc=$? keep=() d
  (( rc == 0 )) || keep=(--keep)
  for d in ${registry_dirs[@]+"${registry_dirs[@]}"}; do
    bash scripts/registry-down.sh "${keep[@]}" "$d" || true
  done
  for d in ${cluster_dirs[@]+"${cluster_dirs[@]}"}; do
    bash scripts/cluster-down.sh "${keep[@]}" "$d" || true
  done
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Built before any cluster starts: a cold build takes minutes (see
# docs/test-infrastructure-registry.md) and should not compete with them.
if [[ -z "${FLOE_TEST_COSIGN:-}" ]]; then
  FLOE_TEST_COSIGN="$(bash scripts/cosign-build.sh)"
fi
export FLOE_TEST_COSIGN
if [[ -z "${FLOE_TEST_HELM:-}" ]]; then
  FLOE_TEST_HELM="$(bash scripts/helm-build.sh)"
fi
export FLOE_TEST_HELM

if [[ -z "${FLOE_TEST_KUBECONFIG:-}" ]]; then
  bash scripts/cluster-build.sh >/dev/null
  cluster_a="$(mktemp -d "${TMPDIR:-/tmp}/floe-test-cluster-XXXXXX")"
  cluster_b="$(mktemp -d "${TMPDIR:-/tmp}/floe-test-cluster2-XXXXXX")"
  cluster_dirs=("$cluster_a" "$cluster_b")
  bash scripts/cluster-up.sh --dir "$cluster_a" >/dev/null
  bash scripts/cluster-up.sh --dir "$cluster_b" >/dev/null
  export FLOE_CLUSTER_DIR="$cluster_a"
  export FLOE_TEST_KUBECONFIG="$cluster_a/kubeconfig"
  export KUBECONFIG="$cluster_a/kubeconfig"
  export FLOE_TEST_KUBECONFIG_2="$cluster_b/kubeconfig"
fi

if [[ -z "${FLOE_TEST_REGISTRY:-}" ]]; then
  registry_plain="$(mktemp -d "${TMPDIR:-/tmp}/floe-test-registry-XXXXXX")"
  registry_dirs+=("$registry_plain")
  vars="$(bash scripts/registry-up.sh --dir "$registry_plain")"
  eval "$vars"
  # The artifact tests tamper with a stored blob to prove a changed layer is refused.
  FLOE_TEST_REGISTRY_STORAGE="$registry_plain/storage"
  export FLOE_TEST_REGISTRY FLOE_TEST_REGISTRY_STORAGE
fi
if [[ -z "${FLOE_TEST_REGISTRY_AUTH:-}" ]]; then
  registry_auth="$(mktemp -d "${TMPDIR:-/tmp}/floe-test-registry-auth-XXXXXX")"
  registry_dirs+=("$registry_auth")
  # With TLS (a CA of its own), so the tests also cover floe's default: TLS on.
  vars="$(bash scripts/registry-up.sh --dir "$registry_auth" --auth --tls)"
  eval "$vars"
  export FLOE_TEST_REGISTRY_AUTH FLOE_TEST_REGISTRY_USER FLOE_TEST_REGISTRY_PASSWORD FLOE_TEST_REGISTRY_CA
fi

cargo test
