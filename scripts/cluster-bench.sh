#!/usr/bin/env bash
# Measures the local control plane: warm start-up time, memory (idle and peak
# while the cluster tests run) and, with --cold, a cold build of the binary
# (empty Go build cache and module cache: every module is downloaded again).
#
#   bash scripts/cluster-bench.sh [--cold]
#
# Prints key=value lines; used for the numbers in README.md's Development section.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

if [[ "${1:-}" == "--cold" ]]; then
  cold="$(mktemp -d "${TMPDIR:-/tmp}/floe-cold-build-XXXXXX")"
  start=$(date +%s.%N)
  if [[ -x /usr/bin/time ]]; then
    GOCACHE="$cold/gocache" GOMODCACHE="$cold/gomodcache" FLOE_CACHE_DIR="$cold/floe" \
      /usr/bin/time -f "%M" -o "$cold/maxrss" bash scripts/cluster-build.sh >/dev/null
    echo "cold_build_peak_rss_mb=$(( $(cat "$cold/maxrss") / 1024 ))"
  else
    GOCACHE="$cold/gocache" GOMODCACHE="$cold/gomodcache" FLOE_CACHE_DIR="$cold/floe" \
      bash scripts/cluster-build.sh >/dev/null
  fi
  echo "cold_build_seconds=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')"
  chmod -R u+w "$cold" 2>/dev/null || true
  rm -rf "$cold"
fi

bash scripts/cluster-build.sh >/dev/null # warm: cached binary
dir="$(mktemp -d "${TMPDIR:-/tmp}/floe-bench-XXXXXX")"
trap 'bash scripts/cluster-down.sh "$dir" >/dev/null 2>&1 || true' EXIT
start=$(date +%s.%N)
bash scripts/cluster-up.sh --dir "$dir" >/dev/null 2>&1
echo "warm_startup_seconds=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')"

rss_mb() { # summed RSS of the cluster's processes, in MiB
  local total=0 pid
  for f in "$dir"/pids/*.pid; do
    read -r pid _ <"$f"
    total=$(( total + $(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0) ))
  done
  echo $(( total / 1024 ))
}
sleep 5
echo "idle_rss_mb=$(rss_mb)"

peak=0
(
  while sleep 0.5; do rss_mb; done
) >"$dir/rss.samples" &
sampler=$!
export FLOE_CLUSTER_DIR="$dir" FLOE_TEST_KUBECONFIG="$dir/kubeconfig"
cargo test -q --test 'cluster_*' >"$dir/test.log" 2>&1 || echo "cluster tests failed (see $dir/test.log)" >&2
kill "$sampler" 2>/dev/null || true
wait "$sampler" 2>/dev/null || true
peak="$(sort -n "$dir/rss.samples" | tail -n 1)"
echo "peak_rss_mb_during_cluster_tests=${peak:-0}"
