#!/usr/bin/env bash
# The demo: builds floe, starts a local Kubernetes control plane (etcd,
# kube-apiserver, kube-controller-manager, kube-scheduler and kwok fake nodes,
# built from their Go modules on first use), deploys the example product
# examples/full to the environment dev, then shows `floe status` and
# `floe history`. The cluster keeps running afterwards.
#
#   bash scripts/demo.sh          build, start (or reuse) the demo cluster, deploy
#   bash scripts/demo.sh down     stop the demo cluster
#
# The demo cluster's run directory is ${FLOE_DEMO_DIR:-${TMPDIR:-/tmp}/floe-demo}.
# Exits non-zero when the build, the cluster start, the deploy or the status
# check (every object ready) fails.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${FLOE_DEMO_DIR:-${TMPDIR:-/tmp}/floe-demo}"

running() {
  [[ -f "$dir/kubeconfig" && -f "$dir/ports" ]] || return 1
  local port
  port="$(sed -n 's/^apiserver=//p' "$dir/ports")"
  curl -sf --max-time 3 --cacert "$dir/pki/ca.crt" --cert "$dir/pki/admin.crt" \
    --key "$dir/pki/admin.key" "https://127.0.0.1:$port/readyz" >/dev/null
}

case "${1:-}" in
  "") ;;
  down)
    if [[ -d "$dir/pids" ]]; then bash scripts/cluster-down.sh "$dir"; else echo "no demo cluster at $dir" >&2; fi
    exit 0 ;;
  -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "demo: unknown argument: $1 (usage: bash scripts/demo.sh [down])" >&2; exit 2 ;;
esac

t0=$(date +%s)

# ---- floe itself (incremental: fast when target/ already has a release build)
echo "demo: building floe (cargo build --release; a cold build takes ~20 min on 2 cores)..." >&2
cargo build --release
target_dir="$(cargo metadata --format-version 1 --no-deps | jq -r .target_directory)"
bin="$target_dir/release/floe"
[[ -x "$bin" ]] || { echo "demo: $bin was not built" >&2; exit 1; }
# The path to show in the hints: relative when the target dir is in the repo.
shown_bin="${bin#"$PWD"/}"

# ---- the cluster
if running; then
  echo "demo: reusing the running cluster in $dir" >&2
else
  if [[ -d "$dir/pids" ]]; then bash scripts/cluster-down.sh "$dir" >/dev/null 2>&1 || true; fi
  rm -rf "$dir"
  echo "demo: starting a local Kubernetes control plane (the first run builds it: 5-25 min)..." >&2
  bash scripts/cluster-up.sh --dir "$dir" >/dev/null
fi
# floe reads --kubeconfig, then FLOE_KUBECONFIG, then KUBECONFIG: make sure
# the demo talks to the demo cluster only.
unset FLOE_KUBECONFIG FLOE_ENV
export KUBECONFIG="$dir/kubeconfig"

run() { # prints the command as a user would type it, then runs it
  echo
  echo "\$ floe $*"
  "$bin" "$@"
}

# ---- deploy, status, history
run deploy examples/full --env dev --auto-approve || {
  rc=$?
  cat >&2 <<EOM

demo: the deploy failed. The cluster keeps running for a look:
  export KUBECONFIG=$dir/kubeconfig
  $shown_bin status examples/full --env dev
  kubectl get events -n orders-dev --sort-by=.lastTimestamp
  (control-plane logs in $dir/logs/; stop it with: bash scripts/demo.sh down)
EOM
  exit "$rc"
}
run status examples/full --env dev
run history examples/full --env dev

echo
echo "\$ kubectl get pods -n orders-dev -o wide; kubectl get pvc -n orders-dev"
kubectl get pods -n orders-dev -o wide
kubectl get pvc -n orders-dev

echo
echo "Demo done in $(( $(date +%s) - t0 ))s. The demo cluster keeps running. Use it with:"
hint() { printf '  %-56s # %s\n' "$1" "$2"; }
hint "export KUBECONFIG=$dir/kubeconfig" "floe and kubectl use it"
hint "kubectl get all -n orders-dev" "the deployed objects"
hint "$shown_bin plan examples/full --env dev" "what a deploy would change now"
hint "$shown_bin deploy examples/full --env dev" "plan, ask, apply"
hint "$shown_bin --help" "every command"
echo "Stop it with:"
echo "  bash scripts/demo.sh down"
