#!/usr/bin/env bash
# Stops a cluster started by cluster-up.sh: exactly the processes recorded in
# DIR/pids (each checked by PID and start time, so a recycled PID is never
# signalled), then removes etcd's tmpfs data and, unless --keep, the run dir.
#
#   bash scripts/cluster-down.sh [--keep] DIR
set -euo pipefail
keep=0
dir=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) dir="$1"; shift ;;
  esac
done
dir="${dir:-${FLOE_CLUSTER_DIR:-}}"
[[ -n "$dir" && -d "$dir" ]] || { echo "usage: cluster-down.sh [--keep] DIR (a run dir from cluster-up.sh)" >&2; exit 2; }
[[ -d "$dir/pids" ]] || { echo "cluster-down: $dir is not a cluster run dir (no pids/)" >&2; exit 2; }

# shellcheck source=lib/process.sh
source "$(dirname "$0")/lib/process.sh"

# Reverse start order: clients first, etcd last.
for name in kwok kube-scheduler kube-controller-manager kube-apiserver etcd; do
  stop_recorded "$dir/pids/$name.pid" "$name" cluster-down
done

if [[ -f "$dir/etcd-data-dir" ]]; then
  data="$(cat "$dir/etcd-data-dir")"
  case "$data" in
    /dev/shm/floe-etcd-*|"$dir"/etcd-data) rm -rf "$data" ;;
  esac
fi
if (( keep )); then
  echo "cluster-down: stopped; run dir kept: $dir" >&2
else
  rm -rf "$dir"
  echo "cluster-down: stopped and removed $dir" >&2
fi
