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
set -euo pipefail
cd "$(dirname "$0")/.."
cargo fmt --check
cargo clippy --all-targets -- -D warnings

if [[ -z "${FLOE_TEST_KUBECONFIG:-}" ]]; then
  bash scripts/cluster-build.sh >/dev/null
  cluster_a="$(mktemp -d "${TMPDIR:-/tmp}/floe-test-cluster-XXXXXX")"
  cluster_b="$(mktemp -d "${TMPDIR:-/tmp}/floe-test-cluster2-XXXXXX")"
  stop_clusters() {
    local rc=$? keep=()
    (( rc == 0 )) || keep=(--keep)
    bash scripts/cluster-down.sh "${keep[@]}" "$cluster_a" || true
    bash scripts/cluster-down.sh "${keep[@]}" "$cluster_b" || true
  }
  trap stop_clusters EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  bash scripts/cluster-up.sh --dir "$cluster_a" >/dev/null
  bash scripts/cluster-up.sh --dir "$cluster_b" >/dev/null
  export FLOE_CLUSTER_DIR="$cluster_a"
  export FLOE_TEST_KUBECONFIG="$cluster_a/kubeconfig"
  export KUBECONFIG="$cluster_a/kubeconfig"
  export FLOE_TEST_KUBECONFIG_2="$cluster_b/kubeconfig"
fi

cargo test
