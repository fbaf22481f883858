#!/usr/bin/env bash
# Stops a registry started by registry-up.sh: exactly the process recorded in
# DIR/registry.pid (checked by PID and start time, so a recycled PID is never
# signalled), then removes DIR unless --keep.
#
#   bash scripts/registry-down.sh [--keep] DIR
set -euo pipefail
keep=0
dir=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) dir="$1"; shift ;;
  esac
done
[[ -n "$dir" && -d "$dir" ]] || { echo "usage: registry-down.sh [--keep] DIR (a run dir from registry-up.sh)" >&2; exit 2; }
[[ -f "$dir/config.yml" ]] || { echo "registry-down: $dir is not a registry run dir (no config.yml)" >&2; exit 2; }

# shellcheck source=lib/process.sh
source "$(dirname "$0")/lib/process.sh"

stop_recorded "$dir/registry.pid" docker-registry registry-down

if (( keep )); then
  echo "registry-down: stopped; run dir kept: $dir" >&2
else
  rm -rf "$dir"
  echo "registry-down: stopped and removed $dir" >&2
fi
