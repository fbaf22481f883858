#!/usr/bin/env bash
# Benchmark: `floe deploy` against `kubectl apply --server-side` followed by
# `kubectl rollout status` on a product of 200 Deployments. Not a
# test: it prints figures and a Markdown table for docs/benchmarks.md.
#
#   bash bench/apply-vs-kubectl.sh [--workloads N] [--rounds N] [--parallel N]
#                                  [--markdown FILE] [--keep]
#
# What it does, in one run:
#   1. builds floe (cargo build --release);
#   2. generates a product with N (default 200) Deployments: 1 replica each,
#      a port but no Service (service.enabled: false), tiny requests, the
#      built-in default workloads (code-location, dbt-run, scheduled-run)
#      turned off, the namespace quota (pods included) raised to fit;
#   3. starts its own local control plane (scripts/cluster-up.sh), unless
#      KUBECONFIG is set, in which case that cluster is used (only the bench
#      namespaces `floe-bench-<random>-*` are written; each is deleted);
#   4. measures, in R (default 3) interleaved rounds, each run into a fresh
#      namespace (deleted, and its pods gone, before the next run starts):
#        floe              floe deploy DIR --env dev -y          (until all Ready)
#        kubectl-seq       kubectl apply --server-side --field-manager=kubectl-bench
#                            -f rendered.yaml, then
#                          kubectl rollout status deployment/<name> -n NS --timeout=300s
#                            for each Deployment, one after the other
#        kubectl-par       the same, the rollout statuses run by `xargs -P 8`
#      (rendered.yaml is `floe render DIR --env dev` of the same product, so
#      both sides create exactly the same objects); the wall time of each
#      (median over the rounds) and floe's peak memory (max RSS, /usr/bin/time -v);
#   5. prints the figures, the ratios kubectl/floe, and stops what it started.
#
# Needs: cargo, kubectl, jq, GNU time (apt-get install time).
# The API server, the controllers and the clients share the machine's CPUs:
# run it with nothing else busy (the load average is reported).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

workloads=200
rounds=3
parallel=8
markdown=""
keep=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --workloads) workloads="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --parallel) parallel="$2"; shift 2 ;;
    --markdown) markdown="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,33p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench: unknown argument: $1" >&2; exit 2 ;;
  esac
done
[[ "$workloads" =~ ^[1-9][0-9]*$ && "$rounds" =~ ^[1-9][0-9]*$ && "$parallel" =~ ^[1-9][0-9]*$ ]] \
  || { echo "bench: --workloads, --rounds and --parallel take positive integers" >&2; exit 2; }

for tool in cargo kubectl jq xargs; do
  command -v "$tool" >/dev/null || { echo "bench: '$tool' is required (see --help)" >&2; exit 1; }
done
[[ -x /usr/bin/time ]] || { echo "bench: GNU time is required: apt-get install time" >&2; exit 1; }

log() { echo "bench: $(date -u +%H:%M:%S) $*" >&2; }

work="$(mktemp -d "${TMPDIR:-/tmp}/floe-apply-bench-XXXXXX")"
cluster_dir=""
prefix="floe-bench-$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')"
namespaces=() # every namespace this run created (or may have), for cleanup
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n "$cluster_dir" ]]; then
    if (( keep )); then
      log "cluster kept: KUBECONFIG=$cluster_dir/kubeconfig (stop: bash scripts/cluster-down.sh $cluster_dir)"
    else
      bash "$root/scripts/cluster-down.sh" "$cluster_dir" >/dev/null 2>&1 || true
    fi
  elif [[ -n "${KUBECONFIG:-}" ]] && (( ! keep )) && (( ${#namespaces[@]} > 0 )); then
    kubectl delete namespace "${namespaces[@]}" --ignore-not-found --wait=false >/dev/null 2>&1 || true
  fi
  if (( keep )); then log "work dir kept: $work"; else rm -rf "$work"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- 1. build
log "building floe (release)"
(cd "$root" && cargo build --release --quiet --bin floe)
floe="$root/target/release/floe"

# ---- 2. the product (one directory per namespace: the namespace is in floe-deploy.yaml)
gen_product() { # dir namespace
  local dir="$1" ns="$2"
  mkdir -p "$dir"
  cat >"$dir/floe.yaml" <<'EOF'
apiVersion: floe.dev/v1
kind: FloeSpec
metadata:
  name: floe-apply-bench
  version: "1.0.0"
  owner: bench@example.com
platform:
  manifest: ./manifest.yaml
transforms:
  - name: stg_customers
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
EOF
  {
    cat <<EOF
image: registry.example.com/bench/service:1.0.0
namespace:
  name: $ns
  quota:
    cpu: "64"
    memory: 128Gi
    limitsCpu: "256"
    limitsMemory: 512Gi
    pods: $(( workloads * 2 + 20 ))
workloads:
  code-location: {enabled: false}
  dbt-run: {enabled: false}
  scheduled-run: {enabled: false}
EOF
    for i in $(seq -f '%03g' 1 "$workloads"); do
      cat <<EOF
  svc-$i:
    kind: Deployment
    replicas: 1
    resources:
      requests: {cpu: 5m, memory: 16Mi}
      limits: {cpu: 50m, memory: 32Mi}
    ports:
      - {name: http, containerPort: 8080}
    service: {enabled: false}
EOF
    done
  } >"$dir/floe-deploy.yaml"
}

run_id=0
ns=""
new_namespace() { # variant -> sets $ns to a fresh namespace, product generated in $work/p-$ns
  # (sets a global rather than printing: a $(...) subshell would lose
  # run_id and namespaces)
  run_id=$(( run_id + 1 ))
  ns="$prefix-$1-$run_id"
  namespaces+=("$ns")
  gen_product "$work/p-$ns" "$ns"
}

# Sanity check of the product (no cluster needed).
probe_ns="$prefix-probe-0"
gen_product "$work/probe" "$probe_ns"
"$floe" render "$work/probe" --env dev -o json >"$work/probe.json" \
  || { log "floe render refused the generated product"; exit 1; }
objects="$(jq '.items | length' "$work/probe.json")"
deployments="$(jq '[.items[] | select(.kind == "Deployment")] | length' "$work/probe.json")"
kinds="$(jq -r '[.items[].kind] | group_by(.) | map("\(length) \(.[0])") | join(", ")' "$work/probe.json")"
[[ "$deployments" == "$workloads" ]] || { log "expected $workloads Deployments, rendered $deployments ($kinds)"; exit 1; }
log "product: $objects objects ($kinds)"

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

# ---- 4. measure
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f\n", b - a }'; }

# Deletes a namespace and waits until it (and so its pods) is gone, so the
# next run starts on an idle control plane with free node capacity.
drop_namespace() { # ns
  kubectl delete namespace "$1" --ignore-not-found --wait=true --timeout=600s >/dev/null \
    || { log "namespace $1 not deleted within 600s"; exit 1; }
}

# All Deployments of the namespace available with their one replica?
check_ready() { # ns
  local n
  n="$(kubectl get deployments -n "$1" -o json \
    | jq '[.items[] | select((.status.availableReplicas // 0) >= 1 and (.status.updatedReplicas // 0) >= 1)] | length')"
  [[ "$n" == "$workloads" ]] || { log "only $n of $workloads Deployments available in $1"; exit 1; }
}

run_floe() { # round
  local dir t0 t1
  new_namespace floe; dir="$work/p-$ns"
  t0=$(now)
  /usr/bin/time -v -o "$work/time-floe-$1.txt" \
    "$floe" deploy "$dir" --env dev -y --kubeconfig "$kubeconfig" >"$work/floe-$1.out" 2>&1 \
    || { log "floe deploy failed:"; tail -40 "$work/floe-$1.out" >&2; exit 1; }
  t1=$(now)
  check_ready "$ns"
  secs "$t0" "$t1" >>"$work/t-floe"
  awk -F': ' '/Maximum resident set size/ { printf "%.1f\n", $2 / 1024 }' "$work/time-floe-$1.txt" >>"$work/rss-floe"
  log "round $1: floe deploy $(tail -1 "$work/t-floe")s, max RSS $(tail -1 "$work/rss-floe") MiB"
  drop_namespace "$ns"
}

run_kubectl() { # round seq|par
  local dir t0 t1 t2
  new_namespace "kubectl-$2"; dir="$work/p-$ns"
  "$floe" render "$dir" --env dev >"$dir/rendered.yaml"
  "$floe" render "$dir" --env dev -o json \
    | jq -r '.items[] | select(.kind == "Deployment") | .metadata.name' >"$dir/deployments.txt"
  t0=$(now)
  kubectl apply --server-side --field-manager=kubectl-bench -f "$dir/rendered.yaml" >"$work/kubectl-$2-$1.out" 2>&1 \
    || { log "kubectl apply failed:"; tail -40 "$work/kubectl-$2-$1.out" >&2; exit 1; }
  t1=$(now)
  if [[ "$2" == seq ]]; then
    while read -r name; do
      kubectl rollout status "deployment/$name" -n "$ns" --timeout=300s >/dev/null
    done <"$dir/deployments.txt"
  else
    xargs -P "$parallel" -I{} kubectl rollout status "deployment/{}" -n "$ns" --timeout=300s \
      <"$dir/deployments.txt" >/dev/null
  fi
  t2=$(now)
  check_ready "$ns"
  secs "$t0" "$t2" >>"$work/t-kubectl-$2"
  secs "$t0" "$t1" >>"$work/t-kubectl-$2-apply"
  log "round $1: kubectl apply + rollout status ($2) $(tail -1 "$work/t-kubectl-$2")s (apply alone $(tail -1 "$work/t-kubectl-$2-apply")s)"
  drop_namespace "$ns"
}

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
log "timing: $rounds interleaved rounds of floe / kubectl (sequential) / kubectl (xargs -P $parallel), load average $load_before"
for round in $(seq 1 "$rounds"); do
  run_floe "$round"
  run_kubectl "$round" seq
  run_kubectl "$round" par
done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
range() { sort -n "$1" | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.1f–%.1f", lo, hi }'; }
fmt() { awk -v x="$1" 'BEGIN { printf "%.1f", x }'; }
ratio() { awk -v k="$1" -v f="$2" 'BEGIN { printf "%.2f", k / f }'; }
m_floe="$(median "$work/t-floe")"
m_seq="$(median "$work/t-kubectl-seq")"
m_par="$(median "$work/t-kubectl-par")"
m_seq_apply="$(median "$work/t-kubectl-seq-apply")"
m_par_apply="$(median "$work/t-kubectl-par-apply")"
rss="$(median "$work/rss-floe")"
r_seq="$(ratio "$m_seq" "$m_floe")"
r_par="$(ratio "$m_par" "$m_floe")"
faster="$(awk -v a="$r_seq" -v b="$r_par" 'BEGIN { print (a > 1 && b > 1) ? "yes" : "NO" }')"

# ---- 5. report
server_version="$(kubectl version -o json 2>/dev/null | jq -r '.serverVersion.gitVersion // "?"')"
client_version="$(kubectl version --client -o json 2>/dev/null | jq -r '.clientVersion.gitVersion // "?"')"
cpu="$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
mem="$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
rev="$(cd "$root" && git rev-parse --short HEAD 2>/dev/null || echo '?')"

report="$(cat <<EOF
| | median (s) | min–max (s) | kubectl / floe |
|---|---:|---:|---:|
| \`floe deploy DIR --env dev -y\` (to all Ready) | $(fmt "$m_floe") | $(range "$work/t-floe") | 1 |
| \`kubectl apply --server-side\` + \`kubectl rollout status\` × $workloads, sequential | $(fmt "$m_seq") | $(range "$work/t-kubectl-seq") | $r_seq |
| \`kubectl apply --server-side\` + \`kubectl rollout status\` × $workloads, \`xargs -P $parallel\` | $(fmt "$m_par") | $(range "$work/t-kubectl-par") | $r_par |

- objects: $objects ($kinds), 1 replica each, no Services, default workloads off; each run into a fresh namespace
- \`kubectl apply\` alone (median): $(fmt "$m_seq_apply") s / $(fmt "$m_par_apply") s (sequential / parallel runs)
- floe peak RSS (max RSS, \`/usr/bin/time -v\`, median): $rss MiB
- floe faster than both kubectl variants: **$faster**
- rounds: $rounds interleaved, median; load average before/after: $load_before / $load_after
- machine: $(nproc) CPU ($cpu), $mem, $(uname -sr); Kubernetes $server_version (local control plane, kwok nodes, same machine); kubectl $client_version
- floe: $rev (release build); date: $(date -u '+%Y-%m-%d %H:%M UTC')
- command: \`bash bench/apply-vs-kubectl.sh --workloads $workloads --rounds $rounds --parallel $parallel\`
EOF
)"
echo "$report"
if [[ -n "$markdown" ]]; then
  echo "$report" >"$markdown"
  log "wrote $markdown"
fi
