#!/usr/bin/env bash
# Benchmark: `floe plan` against `kubectl diff --server-side` on a product of
# about 1,000 objects. Not a test: it prints figures and a Markdown
# table for docs/benchmarks.md.
#
#   bash bench/plan-vs-kubectl-diff.sh [--workloads N] [--runs N] [--concurrency N]
#                                      [--markdown FILE] [--keep]
#
# What it does, in one run:
#   1. builds floe (cargo build --release);
#   2. generates a product in a temp dir: floe.yaml, manifest.yaml and a
#      floe-deploy.yaml with N (default 141) Deployments, each with a port
#      (-> Service), config (-> ConfigMap), HPA, PDB and ingress (-> Ingress +
#      NetworkPolicy), in its own namespace `floe-bench-<random>`, quota raised;
#   3. starts its own local control plane (scripts/cluster-up.sh), unless
#      KUBECONFIG is set, in which case that cluster is used (only the bench
#      namespace is written, and it is deleted at the end);
#   4. applies the product once the way floe does
#      (kubectl apply --server-side --field-manager=floe) and waits for the
#      Deployments to be available;
#   5. makes a small change (one workload's image) and measures, in N
#      interleaved rounds after one warm-up round (median of each; a plain
#      `date +%s.%N` loop rather than hyperfine, so that load from elsewhere
#      on the machine hits the three commands alike):
#        floe-plan-change    floe plan DIR --env dev           (1 object changes)
#        kubectl-diff        kubectl diff --server-side --field-manager=floe -f rendered.yaml
#        floe-plan-nochange  floe plan of the unchanged product (0 changes)
#      and the peak memory (maximum RSS, /usr/bin/time -v) of each;
#   6. prints the figures, the ratio kubectl/floe, and stops what it started.
#
# Needs: cargo, kubectl, jq, GNU time (apt-get install time).
# The figures are only as quiet as the machine: the API server and floe share
# its CPUs, so run it with nothing else busy (the load average is reported).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

workloads=141
runs=7
concurrency=""
markdown=""
keep=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --workloads) workloads="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --concurrency) concurrency="$2"; shift 2 ;;
    --markdown) markdown="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,34p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench: unknown argument: $1" >&2; exit 2 ;;
  esac
done

for tool in cargo kubectl jq; do
  command -v "$tool" >/dev/null || { echo "bench: '$tool' is required (see --help)" >&2; exit 1; }
done
[[ -x /usr/bin/time ]] || { echo "bench: GNU time is required: apt-get install time" >&2; exit 1; }

log() { echo "bench: $*" >&2; }

work="$(mktemp -d "${TMPDIR:-/tmp}/floe-bench-XXXXXX")"
cluster_dir=""
namespace="floe-bench-$(od -An -N4 -tx4 /dev/urandom | tr -d ' \n')"
cleanup() {
  local rc=$?
  if [[ -n "$cluster_dir" ]]; then
    if (( keep )); then
      log "cluster kept: KUBECONFIG=$cluster_dir/kubeconfig (stop: bash scripts/cluster-down.sh $cluster_dir)"
    else
      bash "$root/scripts/cluster-down.sh" "$cluster_dir" >/dev/null 2>&1 || true
    fi
  elif [[ -n "${KUBECONFIG:-}" ]] && (( ! keep )); then
    kubectl delete namespace "$namespace" --wait=false >/dev/null 2>&1 || true
  fi
  if (( keep )); then log "work dir kept: $work"; else rm -rf "$work"; fi
  exit "$rc"
}
trap cleanup EXIT

# ---- 1. build
log "building floe (release)"
(cd "$root" && cargo build --release --quiet --bin floe)
floe="$root/target/release/floe"

# ---- 2. the product
gen_product() { # dir
  local dir="$1"
  mkdir -p "$dir"
  cat >"$dir/floe.yaml" <<'EOF'
apiVersion: floe.dev/v1
kind: FloeSpec
metadata:
  name: floe-bench
  version: "1.0.0"
  owner: bench@example.com
platform:
  manifest: ./manifest.yaml
transforms:
  - name: stg_customers
  - name: fct_orders
    dependsOn: [stg_customers]
schedule:
  cron: "0 6 * * *"
EOF
  cat >"$dir/manifest.yaml" <<'EOF'
apiVersion: floe.dev/v1
kind: Manifest
metadata:
  name: bench-platform
  version: "1.0.0"
plugins:
  compute:
    type: duckdb
  orchestrator:
    type: dagster
resource_presets:
  small:
    cpu_request: 100m
    cpu_limit: 500m
    memory_request: 256Mi
    memory_limit: 512Mi
EOF
  {
    cat <<EOF
image: registry.example.com/bench/service:1.0.0
namespace:
  name: $namespace
  networkPolicies: true
  quota:
    cpu: "64"
    memory: 128Gi
    limitsCpu: "256"
    limitsMemory: 512Gi
    pods: $(( workloads * 2 + 20 ))
workloads:
EOF
    for i in $(seq -f '%03g' 1 "$workloads"); do
      cat <<EOF
  svc-$i:
    kind: Deployment
    resources:
      requests: {cpu: 10m, memory: 32Mi}
      limits: {cpu: 100m, memory: 64Mi}
    ports:
      - {name: http, containerPort: 8080}
    env: {LOG_LEVEL: info}
    config: {SERVICE_INDEX: "$i", CACHE_TTL_SECONDS: "300"}
    hpa: {minReplicas: 1, maxReplicas: 2, targetCpuUtilization: 70}
    pdb: {minAvailable: 1}
    ingress: {host: svc-$i.bench.example.com, className: nginx}
EOF
    done
  } >"$dir/floe-deploy.yaml"
}
base="$work/product"
changed="$work/product-changed"
gen_product "$base"
gen_product "$changed"
# The small change: one workload's image.
python3 - "$changed/floe-deploy.yaml" <<'EOF'
import sys
p = sys.argv[1]
s = open(p).read()
s = s.replace("  svc-001:\n    kind: Deployment\n",
              "  svc-001:\n    kind: Deployment\n    image: registry.example.com/bench/service:1.0.1\n", 1)
open(p, "w").write(s)
EOF
grep -q 'service:1.0.1' "$changed/floe-deploy.yaml" || { log "could not make the change"; exit 1; }

"$floe" render "$base" --env dev >"$work/rendered.yaml"
"$floe" render "$changed" --env dev >"$work/rendered-changed.yaml"
objects="$("$floe" render "$base" --env dev -o json | jq '.items | length')"
log "product: $workloads Deployments, $objects objects, namespace $namespace"

# ---- 3. the cluster
if [[ -n "${KUBECONFIG:-}" ]]; then
  log "using the cluster of KUBECONFIG=$KUBECONFIG"
else
  cluster_dir="$work/cluster"
  log "starting a local control plane in $cluster_dir"
  bash "$root/scripts/cluster-up.sh" --dir "$cluster_dir" >/dev/null 2>"$work/cluster-up.log" \
    || { cat "$work/cluster-up.log" >&2; exit 1; }
  export KUBECONFIG="$cluster_dir/kubeconfig"
fi
kubeconfig="$KUBECONFIG"

# ---- 4. apply once, as floe would
log "applying $objects objects (kubectl apply --server-side --field-manager=floe)"
t0=$(date +%s.%N)
kubectl apply --server-side --field-manager=floe -f "$work/rendered.yaml" >/dev/null
t1=$(date +%s.%N)
apply_s="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')"
log "applied in ${apply_s}s; waiting for the Deployments to be available"
kubectl -n "$namespace" wait --for=condition=Available deployment --all --timeout=600s >/dev/null
# Let the controllers (HPA, quota, kwok) finish reacting to 141 new workloads.
sleep 20

plan_args=(--env dev --kubeconfig "$kubeconfig")
[[ -n "$concurrency" ]] && plan_args+=(--concurrency "$concurrency")

# Sanity: nothing to change right after the apply, exactly one update after the change.
set +e
"$floe" plan "$base" "${plan_args[@]}" --detailed-exitcode >"$work/plan-nochange.txt" 2>"$work/plan-nochange.err"
rc_nochange=$?
"$floe" plan "$changed" "${plan_args[@]}" --detailed-exitcode >"$work/plan-change.txt" 2>"$work/plan-change.err"
rc_change=$?
set -e
summary_nochange="$(grep -m1 '^Plan:\|^No changes' "$work/plan-nochange.txt" || true)"
summary_change="$(grep -m1 '^Plan:\|^No changes' "$work/plan-change.txt" || true)"
log "no-change plan: exit $rc_nochange: $summary_nochange"
log "change plan:    exit $rc_change: $summary_change"
if [[ $rc_nochange -ne 0 || $rc_change -ne 2 ]]; then
  log "unexpected plan result (want 0 and 2); stderr:"
  cat "$work/plan-nochange.err" "$work/plan-change.err" >&2
  head -50 "$work/plan-nochange.txt" >&2
  exit 1
fi

# ---- 5. measure
# Rounds interleave the three commands, so a burst of load elsewhere on the
# machine hits all three alike; each figure is the median of its runs.
cmd_floe_change=("$floe" plan "$changed" "${plan_args[@]}")
cmd_floe_nochange=("$floe" plan "$base" "${plan_args[@]}")
cmd_kubectl=(kubectl diff --server-side --field-manager=floe -f "$work/rendered-changed.yaml")
elapsed() { # command... -> seconds (kubectl diff exits 1 when it found differences)
  local t0 t1 rc=0
  t0=$(date +%s.%N)
  "$@" >/dev/null 2>"$work/last.err" || rc=$?
  t1=$(date +%s.%N)
  if (( rc > 1 )) || { (( rc == 1 )) && [[ "$1" != kubectl ]]; }; then
    log "failed (exit $rc): $*"; cat "$work/last.err" >&2; exit 1
  fi
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
log "timing: 1 warm-up round, then $runs rounds of the three commands (load average $load_before)"
for round in $(seq 0 "$runs"); do
  a="$(elapsed "${cmd_floe_change[@]}")"
  b="$(elapsed "${cmd_kubectl[@]}")"
  c="$(elapsed "${cmd_floe_nochange[@]}")"
  if (( round > 0 )); then
    echo "$a" >>"$work/t-floe-change"; echo "$b" >>"$work/t-kubectl"; echo "$c" >>"$work/t-floe-nochange"
    log "round $round: floe plan (change) ${a}s, kubectl diff ${b}s, floe plan (no change) ${c}s"
  fi
done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
range() { sort -n "$1" | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.2f–%.2f", lo, hi }'; }
m_floe="$(median "$work/t-floe-change")"
m_kubectl="$(median "$work/t-kubectl")"
m_nochange="$(median "$work/t-floe-nochange")"

maxrss() { # command... -> max RSS in MiB
  local out="$work/time.txt"
  /usr/bin/time -v -o "$out" "$@" >/dev/null 2>&1 || true
  awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$out"
}
log "peak memory (one run each)"
rss_floe="$(maxrss "${cmd_floe_change[@]}")"
rss_nochange="$(maxrss "${cmd_floe_nochange[@]}")"
rss_kubectl="$(maxrss "${cmd_kubectl[@]}")"

ratio="$(awk -v k="$m_kubectl" -v f="$m_floe" 'BEGIN { printf "%.1f", k / f }')"
fmt() { awk -v x="$1" 'BEGIN { printf "%.2f", x }'; }

# ---- 6. report
server_version="$(kubectl version -o json 2>/dev/null | jq -r '.serverVersion.gitVersion // "?"')"
client_version="$(kubectl version --client -o json 2>/dev/null | jq -r '.clientVersion.gitVersion // "?"')"
cpu="$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
mem="$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
rev="$(cd "$root" && git rev-parse --short HEAD 2>/dev/null || echo '?')"
conc="${concurrency:-default}"
nochange_ok="$(awk -v x="$m_nochange" 'BEGIN { print (x < 2 ? "yes" : "NO") }')"
ratio_ok="$(awk -v r="$ratio" 'BEGIN { print (r >= 5 ? "yes" : "NO") }')"

report="$(cat <<EOF
| | median (s) | min–max (s) | peak RSS (MiB) |
|---|---:|---:|---:|
| \`floe plan\`, 1 change | $(fmt "$m_floe") | $(range "$work/t-floe-change") | $rss_floe |
| \`kubectl diff --server-side\`, same change | $(fmt "$m_kubectl") | $(range "$work/t-kubectl") | $rss_kubectl |
| \`floe plan\`, no change | $(fmt "$m_nochange") | $(range "$work/t-floe-nochange") | $rss_nochange |

- objects: $objects ($workloads Deployments with Service, ConfigMap, HPA, PDB, Ingress, NetworkPolicy)
- kubectl / floe (1 change): **${ratio}×** (target ≥ 5×: $ratio_ok); no-change plan < 2 s: $nochange_ok
- runs: $runs interleaved rounds after 1 warm-up round, median; floe --concurrency: $conc; load average before/after: $load_before / $load_after
- machine: $(nproc) CPU ($cpu), $mem, $(uname -sr); Kubernetes $server_version (local control plane, kwok nodes, same machine); kubectl $client_version
- floe: $rev (release build); date: $(date -u '+%Y-%m-%d %H:%M UTC'); initial apply of the product: ${apply_s}s
EOF
)"
echo "$report"
if [[ -n "$markdown" ]]; then
  echo "$report" >"$markdown"
  log "wrote $markdown"
fi
