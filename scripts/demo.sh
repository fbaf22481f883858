#!/usr/bin/env bash
# The demo: starts a local Kubernetes control plane (etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler and kwok fake nodes, built from
# their Go modules on first use) and shows how to use it.
#
#   bash scripts/demo.sh          start (or reuse) the demo cluster
#   bash scripts/demo.sh down     stop it
#
# The demo cluster's run directory is ${FLOE_DEMO_DIR:-${TMPDIR:-/tmp}/floe-demo}.
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

if [[ "${1:-}" == "down" ]]; then
  if [[ -d "$dir/pids" ]]; then bash scripts/cluster-down.sh "$dir"; else echo "no demo cluster at $dir" >&2; fi
  exit 0
fi

if running; then
  echo "demo: reusing the running cluster in $dir" >&2
else
  [[ -d "$dir/pids" ]] && bash scripts/cluster-down.sh "$dir" >/dev/null 2>&1 || true
  rm -rf "$dir"
  echo "demo: starting a local Kubernetes control plane (the first run builds it: 5-25 min)..." >&2
  bash scripts/cluster-up.sh --dir "$dir" >/dev/null
fi
export KUBECONFIG="$dir/kubeconfig"

echo
echo "== nodes of the demo cluster"
if command -v kubectl >/dev/null; then
  kubectl get nodes -L floe.dev/pool,topology.kubernetes.io/zone
else
  curl -sf --cacert "$dir/pki/ca.crt" --cert "$dir/pki/admin.crt" --key "$dir/pki/admin.key" \
    "$(sed -n 's/^ *server: //p' "$dir/kubeconfig")/api/v1/nodes" | jq -r '.items[].metadata.name'
fi

cat <<EOM

The demo cluster keeps running. Use it with:
  export KUBECONFIG=$dir/kubeconfig
  kubectl get pods -A
Stop it with:
  bash scripts/demo.sh down
EOM
