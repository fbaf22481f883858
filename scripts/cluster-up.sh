#!/usr/bin/env bash
# Starts a local Kubernetes control plane (etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, kwok) from the testcluster binary.
#
#   bash scripts/cluster-up.sh [--dir DIR] [--no-nodes]
#
# Everything of a run lives in one directory (default: a new
# ${TMPDIR:-/tmp}/floe-cluster-XXXXXX): pki/, kubeconfig, logs/, pids/, ports, env.
# etcd's data lives on tmpfs (/dev/shm) when available. Ports are chosen free
# per run, so several clusters can run at once. On success the last lines on
# stdout are shell assignments (FLOE_CLUSTER_DIR=..., KUBECONFIG=...); the
# human-readable guide goes to stderr. Stop with: bash scripts/cluster-down.sh DIR
#
# Unless --no-nodes is given, three fake (kwok) nodes are created and waited for:
#   floe-worker-1  zone-a  pool=general  8 CPU, 32Gi, 110 pods
#   floe-worker-2  zone-b  pool=general  8 CPU, 32Gi, 110 pods
#   floe-batch-1   zone-a  pool=batch    8 CPU, 32Gi, 110 pods, taint dedicated=batch:NoSchedule
#
# Storage (there is no provisioner): a default StorageClass `standard`
# (kubernetes.io/no-provisioner, WaitForFirstConsumer) and 60 pre-created
# hostPath PersistentVolumes of 10Gi, ReadWriteOnce, class standard, reclaim
# policy Retain (a volume whose claim is deleted stays Released, not reused).
# The volume binding controller binds claims to them; nothing is ever written.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

dir=""
nodes=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --dir) dir="$2"; shift 2 ;;
    --no-nodes) nodes=0; shift ;;
    -h|--help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "cluster-up: unknown argument: $1" >&2; exit 2 ;;
  esac
done

for tool in openssl curl jq python3 setsid kubectl; do
  command -v "$tool" >/dev/null || { echo "cluster-up: '$tool' is required" >&2; exit 1; }
done

bin="$(bash "$root/scripts/cluster-build.sh")"
t0=$(date +%s.%N)

if [[ -z "$dir" ]]; then
  dir="$(mktemp -d "${TMPDIR:-/tmp}/floe-cluster-XXXXXX")"
fi
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
mkdir -p "$dir/pki" "$dir/logs" "$dir/pids" "$dir/kwok"
if [[ -d /dev/shm && -w /dev/shm ]]; then
  # etcd data of runs that were killed without cluster-down (no process uses
  # it, older than 10 min) would hold tmpfs memory forever: remove it.
  for stale in /dev/shm/floe-etcd-*; do
    [[ -d "$stale" && -n "$(find "$stale" -maxdepth 0 -mmin +10)" ]] || continue
    # (pattern from a file: grep's own command line must not contain it)
    grep -qsF -f <(printf '%s\n' "--data-dir=$stale") /proc/[0-9]*/cmdline && continue
    rm -rf "$stale"
  done
  etcd_data="$(mktemp -d /dev/shm/floe-etcd-XXXXXX)"
else
  etcd_data="$dir/etcd-data"
  mkdir -p "$etcd_data"
fi
echo "$etcd_data" >"$dir/etcd-data-dir"

fail() {
  echo "cluster-up: $*" >&2
  for f in "$dir"/logs/*.log; do
    [[ -f "$f" ]] || continue
    echo "---- last lines of $f" >&2
    tail -n 25 "$f" >&2
  done
  bash "$root/scripts/cluster-down.sh" --keep "$dir" >&2 || true
  echo "cluster-up: logs kept in $dir/logs" >&2
  exit 1
}
trap 'fail "failed (line $LINENO)"' ERR

# ---- free ports (outside the ephemeral range, so outgoing connections can't take them)
read -r p_etcd p_peer p_api p_kcm p_sched p_kwok < <(python3 - <<'EOF'
import random, socket
ports, socks = [], []
while len(ports) < 6:
    p = random.randint(20000, 32000)
    if p in ports:
        continue
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        s.close()
        continue
    socks.append(s)
    ports.append(p)
print(*ports)
EOF
)
cat >"$dir/ports" <<EOF
etcd=$p_etcd
etcd_peer=$p_peer
apiserver=$p_api
controller_manager=$p_kcm
scheduler=$p_sched
kwok=$p_kwok
EOF

# ---- PKI (ECDSA P-256: fast to generate)
pki="$dir/pki"
newkey=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
openssl req -x509 "${newkey[@]}" -keyout "$pki/ca.key" -out "$pki/ca.crt" -days 3650 \
  -subj "/CN=floe-local-ca" -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" 2>/dev/null
cert() { # name subject eku [san]
  local name="$1" subj="$2" eku="$3" san="${4:-}"
  openssl req "${newkey[@]}" -keyout "$pki/$name.key" -out "$pki/$name.csr" -subj "$subj" 2>/dev/null
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$eku"
    [[ -n "$san" ]] && echo "subjectAltName=$san"
  } >"$pki/$name.ext"
  openssl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
    -days 3650 -extfile "$pki/$name.ext" -out "$pki/$name.crt" 2>/dev/null
  rm -f "$pki/$name.csr" "$pki/$name.ext"
}
cert apiserver "/CN=kube-apiserver" serverAuth \
  "DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:127.0.0.1,IP:10.96.0.1"
cert admin "/O=system:masters/CN=floe-admin" clientAuth
cert controller-manager "/CN=system:kube-controller-manager" clientAuth
cert scheduler "/CN=system:kube-scheduler" clientAuth
cert kwok "/O=system:masters/CN=kwok-controller" clientAuth
openssl ecparam -name prime256v1 -genkey -noout -out "$pki/sa.key"
openssl ec -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null

server="https://127.0.0.1:$p_api"
kubeconfig() { # file user
  local b64="base64 -w0"
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: floe-local
  cluster:
    server: $server
    certificate-authority-data: $($b64 <"$pki/ca.crt")
users:
- name: $2
  user:
    client-certificate-data: $($b64 <"$pki/$2.crt")
    client-key-data: $($b64 <"$pki/$2.key")
contexts:
- name: floe-local
  context:
    cluster: floe-local
    user: $2
current-context: floe-local
EOF
}
kubeconfig "$dir/kubeconfig" admin
kubeconfig "$dir/controller-manager.kubeconfig" controller-manager
kubeconfig "$dir/scheduler.kubeconfig" scheduler
kubeconfig "$dir/kwok.kubeconfig" kwok

cat >"$dir/scheduler.yaml" <<EOF
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
clientConnection:
  kubeconfig: $dir/scheduler.kubeconfig
  qps: 100
  burst: 200
leaderElection:
  leaderElect: false
EOF
cp "$root/testcluster/kwok/stages.yaml" "$dir/kwok/stages.yaml"

# ---- processes
start() { # component args...
  local name="$1"
  setsid "$bin" "$@" >"$dir/logs/$name.log" 2>&1 </dev/null &
  local pid=$!
  # pid + start time (field 22 of /proc/PID/stat): down checks both, so a
  # recycled PID is never signalled.
  local stat
  stat="$(cat "/proc/$pid/stat" 2>/dev/null || true)"
  echo "$pid $(echo "${stat##*) }" | awk '{print $20}')" >"$dir/pids/$name.pid"
}
alive() { # component
  local pid
  pid="$(awk '{print $1}' "$dir/pids/$1.pid")"
  kill -0 "$pid" 2>/dev/null
}
wait_for() { # component timeout-seconds command...
  local name="$1" timeout="$2"; shift 2
  local deadline=$(( $(date +%s) + timeout ))
  until "$@" >/dev/null 2>&1; do
    alive "$name" || fail "$name exited during start-up (see $dir/logs/$name.log)"
    (( $(date +%s) < deadline )) || fail "$name not healthy after ${timeout}s"
    sleep 0.2
  done
}
admin_curl() {
  curl -sf --max-time 5 --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" "$@"
}

start etcd \
  --name=floe-etcd \
  --data-dir="$etcd_data" \
  --listen-client-urls="http://127.0.0.1:$p_etcd" \
  --advertise-client-urls="http://127.0.0.1:$p_etcd" \
  --listen-peer-urls="http://127.0.0.1:$p_peer" \
  --initial-advertise-peer-urls="http://127.0.0.1:$p_peer" \
  --initial-cluster="floe-etcd=http://127.0.0.1:$p_peer" \
  --unsafe-no-fsync=true \
  --quota-backend-bytes=8589934592 \
  --log-level=warn
wait_for etcd 60 curl -sf --max-time 2 "http://127.0.0.1:$p_etcd/health"

start kube-apiserver \
  --etcd-servers="http://127.0.0.1:$p_etcd" \
  --advertise-address=127.0.0.1 \
  --bind-address=127.0.0.1 \
  --secure-port="$p_api" \
  --tls-cert-file="$pki/apiserver.crt" \
  --tls-private-key-file="$pki/apiserver.key" \
  --client-ca-file="$pki/ca.crt" \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$pki/sa.pub" \
  --service-account-signing-key-file="$pki/sa.key" \
  --service-cluster-ip-range=10.96.0.0/16 \
  --authorization-mode=RBAC \
  --endpoint-reconciler-type=none \
  --allow-privileged=true \
  --profiling=false \
  --v=1
wait_for kube-apiserver 120 admin_curl "$server/readyz"

start kube-controller-manager \
  --kubeconfig="$dir/controller-manager.kubeconfig" \
  --authentication-kubeconfig="$dir/controller-manager.kubeconfig" \
  --authorization-kubeconfig="$dir/controller-manager.kubeconfig" \
  --bind-address=127.0.0.1 \
  --secure-port="$p_kcm" \
  --leader-elect=false \
  --use-service-account-credentials=true \
  --service-account-private-key-file="$pki/sa.key" \
  --root-ca-file="$pki/ca.crt" \
  --cluster-signing-cert-file="$pki/ca.crt" \
  --cluster-signing-key-file="$pki/ca.key" \
  --cluster-name=floe-local \
  --kube-api-qps=100 \
  --kube-api-burst=200 \
  --node-monitor-grace-period=60s \
  --profiling=false \
  --v=1
start kube-scheduler \
  --config="$dir/scheduler.yaml" \
  --authentication-kubeconfig="$dir/scheduler.kubeconfig" \
  --authorization-kubeconfig="$dir/scheduler.kubeconfig" \
  --bind-address=127.0.0.1 \
  --secure-port="$p_sched" \
  --profiling=false \
  --v=1
export KWOK_WORKDIR="$dir/kwok"
start kwok \
  --kubeconfig="$dir/kwok.kubeconfig" \
  --config="$dir/kwok/stages.yaml" \
  --manage-all-nodes=true \
  --cidr=10.64.0.0/12 \
  --node-ip=10.0.0.1 \
  --node-lease-duration-seconds=40 \
  --server-address="127.0.0.1:$p_kwok"
wait_for kube-controller-manager 60 curl -skf --max-time 2 "https://127.0.0.1:$p_kcm/healthz"
wait_for kube-scheduler 60 curl -skf --max-time 2 "https://127.0.0.1:$p_sched/healthz"
wait_for kwok 60 curl -sf --max-time 2 "http://127.0.0.1:$p_kwok/healthz"

# ---- default fake nodes
node_json() { # name zone pool [taint-key=value:Effect]
  local name="$1" zone="$2" pool="$3" taint="${4:-}"
  jq -n --arg name "$name" --arg zone "$zone" --arg pool "$pool" --arg taint "$taint" '{
    apiVersion: "v1", kind: "Node",
    metadata: {
      name: $name,
      annotations: {"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
      labels: {
        "kubernetes.io/hostname": $name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
        "type": "kwok", "topology.kubernetes.io/zone": $zone, "floe.dev/pool": $pool
      }
    },
    spec: {taints: (if $taint == "" then [] else [($taint | capture("(?<key>[^=]+)=(?<value>[^:]*):(?<effect>.+)"))] end)},
    status: {
      capacity: {cpu: "8", memory: "32Gi", pods: "110", "ephemeral-storage": "100Gi"},
      allocatable: {cpu: "8", memory: "32Gi", pods: "110", "ephemeral-storage": "100Gi"}
    }
  }'
}
if (( nodes )); then
  for spec in "floe-worker-1 zone-a general" "floe-worker-2 zone-b general" \
              "floe-batch-1 zone-a batch dedicated=batch:NoSchedule"; do
    # shellcheck disable=SC2086
    node_json $spec | admin_curl -X POST -H 'Content-Type: application/json' \
      --data-binary @- "$server/api/v1/nodes" >/dev/null
  done
  nodes_ready() {
    admin_curl "$server/api/v1/nodes" | jq -e '
      [.items[] | select(.metadata.name | startswith("floe-"))] as $n
      | ($n | length) == 3 and all($n[];
          ([.status.conditions[]? | select(.type == "Ready" and .status == "True")] | length) == 1
          and ([.spec.taints[]? | select(.key | startswith("node.kubernetes.io/"))] | length) == 0)'
  }
  wait_for kwok 90 nodes_ready
fi

# ---- storage: a default StorageClass and pre-created volumes, in one apply
pv_count=60
storage_yaml() {
  cat <<EOF
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations:
    storageclass.kubernetes.io/is-default-class: "true"
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: WaitForFirstConsumer
reclaimPolicy: Retain
EOF
  local i
  for i in $(seq -w 1 "$pv_count"); do
    cat <<EOF
---
apiVersion: v1
kind: PersistentVolume
metadata:
  name: floe-pv-$i
  labels:
    floe.dev/local-storage: "true"
spec:
  storageClassName: standard
  capacity:
    storage: 10Gi
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  hostPath:
    path: $dir/volumes/floe-pv-$i
    type: DirectoryOrCreate
EOF
  done
}
# --validate=false: these objects are fixed, and kubectl's schema check would
# take ~3.5 s of the start-up (0.4 s without it).
storage_yaml | kubectl --kubeconfig "$dir/kubeconfig" --cache-dir "$dir/kubectl-cache" \
    apply --validate=false -f - >"$dir/logs/storage.log" 2>&1 \
  || fail "creating the StorageClass and PersistentVolumes failed (see $dir/logs/storage.log)"

trap - ERR
t1=$(date +%s.%N)
startup="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')"
echo "startup_seconds=$startup" >"$dir/startup"
cat >"$dir/env" <<EOF
export FLOE_CLUSTER_DIR='$dir'
export KUBECONFIG='$dir/kubeconfig'
export FLOE_TEST_KUBECONFIG='$dir/kubeconfig'
EOF

cat >&2 <<EOF

floe local cluster is up in ${startup}s (Kubernetes $("$bin" kube-apiserver --version 2>/dev/null | awk '{print $2}'), API $server)
  run directory : $dir   (logs in logs/, PIDs in pids/, ports in ports)
  kubeconfig    : $dir/kubeconfig   (admin, system:masters)
  storage       : default StorageClass standard (no provisioner, WaitForFirstConsumer), $pv_count PersistentVolumes of 10Gi (ReadWriteOnce)

Use it:
  source $dir/env          # sets KUBECONFIG and FLOE_TEST_KUBECONFIG
  kubectl get nodes
Stop it:
  bash $root/scripts/cluster-down.sh $dir
EOF
echo "FLOE_CLUSTER_DIR=$dir"
echo "KUBECONFIG=$dir/kubeconfig"
