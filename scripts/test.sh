#!/usr/bin/env bash
# Runs every test: formatting, lints, unit, snapshot and cluster tests.
#
# The cluster tests need a Kubernetes API server: this script builds (or
# reuses) the local control plane binary, starts one cluster for the whole run
# (scripts/cluster-up.sh), exports its kubeconfig as FLOE_TEST_KUBECONFIG (and
# KUBECONFIG, for kubectl) and stops the cluster on exit, whatever the outcome
# (after a failure its logs are kept in the run directory it prints).
# With FLOE_TEST_KUBECONFIG already set, that cluster is used instead.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo fmt --check
cargo clippy --all-targets -- -D warnings

if [[ -z "${FLOE_TEST_KUBECONFIG:-}" ]]; then
  bash scripts/cluster-build.sh >/dev/null
  cluster_dir="$(mktemp -d "${TMPDIR:-/tmp}/floe-test-cluster-XXXXXX")"
  stop_cluster() {
    local rc=$?
    if (( rc == 0 )); then
      bash scripts/cluster-down.sh "$cluster_dir" || true
    else
      bash scripts/cluster-down.sh --keep "$cluster_dir" || true
    fi
  }
  trap stop_cluster EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  bash scripts/cluster-up.sh --dir "$cluster_dir" >/dev/null
  export FLOE_CLUSTER_DIR="$cluster_dir"
  export FLOE_TEST_KUBECONFIG="$cluster_dir/kubeconfig"
  export KUBECONFIG="$cluster_dir/kubeconfig"
fi

cargo test
