#!/usr/bin/env bash
# Starts a local OCI registry (Debian's docker-registry package, distribution
# 2.8) for the artifact tests.
#
#   bash scripts/registry-up.sh [--dir DIR] [--auth [--user U] [--password P]] [--tls]
#
#   (no flag)  plain HTTP, no authentication; stdout:
#                FLOE_TEST_REGISTRY_DIR=DIR
#                FLOE_TEST_REGISTRY=127.0.0.1:PORT
#   --auth     htpasswd basic authentication (bcrypt; user floe-test and a random
#              password unless given); stdout:
#                FLOE_TEST_REGISTRY_AUTH_DIR=DIR
#                FLOE_TEST_REGISTRY_AUTH=127.0.0.1:PORT
#                FLOE_TEST_REGISTRY_USER=...
#                FLOE_TEST_REGISTRY_PASSWORD=...
#   --tls      HTTPS with a certificate for 127.0.0.1/localhost signed by a CA made
#              for this run; also prints FLOE_TEST_REGISTRY_CA=DIR/pki/ca.crt
#
# The lines are safe to `eval` (values contain no spaces or quotes); DIR/env
# has the same as `export` lines, for `source`. Everything of a run lives in DIR
# (default: a new ${TMPDIR:-/tmp}/floe-registry-XXXXXX): config.yml, storage/,
# htpasswd, pki/, registry.log, registry.pid (PID and start time), port.
# The port is a free one chosen per run, on 127.0.0.1 only, so several
# registries can run at once. Returns when /v2/ answers 200 (with the
# credentials, under --auth). Stop with: bash scripts/registry-down.sh DIR
#
# When /usr/bin/docker-registry is missing it is installed (apt-get, as root or
# with sudo), or else extracted from the .deb (apt-get download + dpkg -x) into
# ${FLOE_CACHE_DIR:-$HOME/.cache/floe}/registry. FLOE_DOCKER_REGISTRY names
# another binary.
set -euo pipefail

dir=""
auth=0
tls=0
user="floe-test"
password=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --dir) dir="$2"; shift 2 ;;
    --auth) auth=1; shift ;;
    --tls) tls=1; shift ;;
    --user) user="$2"; shift 2 ;;
    --password) password="$2"; shift 2 ;;
    -h|--help) sed -n '2,31p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "registry-up: unknown argument: $1" >&2; exit 2 ;;
  esac
done
[[ "$user" =~ ^[A-Za-z0-9._-]+$ ]] || { echo "registry-up: --user: letters, digits, . _ - only" >&2; exit 2; }
[[ -z "$password" || "$password" =~ ^[A-Za-z0-9._~+-]+$ ]] \
  || { echo "registry-up: --password: letters, digits and . _ ~ + - only (printed for eval)" >&2; exit 2; }

for tool in curl python3 setsid flock; do
  command -v "$tool" >/dev/null || { echo "registry-up: '$tool' is required" >&2; exit 1; }
done
(( tls )) && { command -v openssl >/dev/null || { echo "registry-up: 'openssl' is required for --tls" >&2; exit 1; }; }

cache="${FLOE_CACHE_DIR:-$HOME/.cache/floe}/registry"

as_root() { # command... : as root, or with sudo; fails when neither
  if [[ "$(id -u)" == 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo -n "$@"
  else
    return 1
  fi
}

apt_install() { # package : apt-get install, with one `apt-get update` when the lists lack it
  local pkg="$1"
  local apt=(env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$pkg")
  as_root "${apt[@]}" >&2 && return 0
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 || return 1
  as_root "${apt[@]}" >&2
}

extract_deb() { # package dest : apt-get download + dpkg -x, no root needed
  local pkg="$1" dest="$2" tmp
  tmp="$(mktemp -d "$cache/deb-XXXXXX")"
  if (cd "$tmp" && apt-get download "$pkg" >&2) && dpkg -x "$tmp"/"${pkg}"_*.deb "$tmp/root"; then
    rm -rf "$dest"
    mv "$tmp/root" "$dest"
    rm -rf "$tmp"
  else
    rm -rf "$tmp"
    return 1
  fi
}

find_registry() {
  if [[ -n "${FLOE_DOCKER_REGISTRY:-}" ]]; then
    echo "$FLOE_DOCKER_REGISTRY"; return
  fi
  local sys=/usr/bin/docker-registry local="$cache/deb/usr/bin/docker-registry"
  [[ -x "$sys" ]] && { echo "$sys"; return; }
  [[ -x "$local" ]] && { echo "$local"; return; }
  mkdir -p "$cache"
  # One installer at a time (two registries are started together).
  exec 8>"$cache/.install.lock"
  flock 8
  [[ -x "$sys" ]] && { echo "$sys"; return; }
  [[ -x "$local" ]] && { echo "$local"; return; }
  echo "registry-up: /usr/bin/docker-registry is missing; installing Debian's docker-registry..." >&2
  # The package's postinst starts a system-wide registry (:5000) through
  # invoke-rc.d unless policy-rc.d forbids it; the tests never use that one.
  if apt_install docker-registry && [[ -x "$sys" ]]; then
    echo "$sys"; return
  fi
  echo "registry-up: no root (or apt-get install failed): extracting the .deb into $cache/deb" >&2
  extract_deb docker-registry "$cache/deb" && [[ -x "$local" ]] \
    || { echo "registry-up: could not get docker-registry (apt-get download failed)" >&2; exit 1; }
  echo "$local"
}

bcrypt_hash() { # password : a bcrypt hash on stdout (for htpasswd)
  local pw="$1"
  if command -v htpasswd >/dev/null; then
    htpasswd -nbB -C 5 x "$pw" | head -n1 | cut -d: -f2-
    return
  fi
  # Python's crypt module (up to 3.12, glibc/libxcrypt) or the bcrypt package.
  local py='
import sys
pw = sys.argv[1]
try:
    import bcrypt
    print(bcrypt.hashpw(pw.encode(), bcrypt.gensalt(rounds=5)).decode())
except ImportError:
    import warnings; warnings.simplefilter("ignore")
    import crypt
    h = crypt.crypt(pw, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=32))
    assert h and h.startswith("$2"), "no bcrypt in crypt(3)"
    print(h)
'
  if PYTHONPATH="$cache/py${PYTHONPATH:+:$PYTHONPATH}" python3 -c "$py" "$pw" 2>/dev/null; then
    return
  fi
  echo "registry-up: no htpasswd and no bcrypt for python3: installing one..." >&2
  if apt_install apache2-utils && command -v htpasswd >/dev/null; then
    htpasswd -nbB -C 5 x "$pw" | head -n1 | cut -d: -f2-
    return
  fi
  python3 -m pip install -q --target "$cache/py" bcrypt >&2 \
    || { echo "registry-up: could not install apache2-utils nor the bcrypt package" >&2; exit 1; }
  PYTHONPATH="$cache/py" python3 -c "$py" "$pw"
}

bin="$(find_registry)"
t0=$(date +%s.%N)

if [[ -z "$dir" ]]; then
  dir="$(mktemp -d "${TMPDIR:-/tmp}/floe-registry-XXXXXX")"
fi
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
[[ ! -f "$dir/registry.pid" ]] || { echo "registry-up: $dir already has a registry (registry.pid); stop it first" >&2; exit 1; }
mkdir -p "$dir/storage"

scheme=http
if (( tls )); then
  scheme=https
  pki="$dir/pki"
  mkdir -p "$pki"
  newkey=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
  openssl req -x509 "${newkey[@]}" -keyout "$pki/ca.key" -out "$pki/ca.crt" -days 3650 \
    -subj "/CN=floe-test-registry-ca" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" 2>/dev/null
  openssl req "${newkey[@]}" -keyout "$pki/server.key" -out "$pki/server.csr" -subj "/CN=127.0.0.1" 2>/dev/null
  printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
    "extendedKeyUsage=serverAuth" "subjectAltName=IP:127.0.0.1,DNS:localhost" >"$pki/server.ext"
  openssl x509 -req -in "$pki/server.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
    -days 3650 -extfile "$pki/server.ext" -out "$pki/server.crt" 2>/dev/null
  rm -f "$pki/server.csr" "$pki/server.ext"
fi

if (( auth )); then
  if [[ -z "$password" ]]; then
    password="$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')"
  fi
  echo "$user:$(bcrypt_hash "$password")" >"$dir/htpasswd"
  printf '%s\n' "$password" >"$dir/password"
  chmod 600 "$dir/htpasswd" "$dir/password"
fi

free_port() {
  python3 - <<'EOF'
import random, socket
# outside the ephemeral range, so outgoing connections can't take it
while True:
    p = random.randint(20000, 32000)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        s.close()
    print(p)
    break
EOF
}

write_config() { # port
  {
    cat <<EOF
version: 0.1
log:
  level: info
  formatter: text
  fields:
    service: floe-test-registry
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:$1
  secret: $(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
  headers:
    X-Content-Type-Options: [nosniff]
EOF
    if (( tls )); then
      cat <<EOF
  tls:
    certificate: $dir/pki/server.crt
    key: $dir/pki/server.key
EOF
    fi
    if (( auth )); then
      cat <<EOF
auth:
  htpasswd:
    realm: floe-test-registry
    path: $dir/htpasswd
EOF
    fi
  } >"$dir/config.yml"
}

# shellcheck source=lib/process.sh
source "$(dirname "$0")/lib/process.sh"

v2_status() { # port
  local args=(-s -o /dev/null -w '%{http_code}' --max-time 2)
  (( tls )) && args+=(--cacert "$dir/pki/ca.crt")
  (( auth )) && args+=(-u "$user:$password")
  curl "${args[@]}" "$scheme://127.0.0.1:$1/v2/" || true
}

fail() {
  echo "registry-up: $*" >&2
  if [[ -f "$dir/registry.log" ]]; then
    echo "---- last lines of $dir/registry.log" >&2
    tail -n 25 "$dir/registry.log" >&2
  fi
  bash "$(dirname "$0")/registry-down.sh" --keep "$dir" >&2 || true
  echo "registry-up: files kept in $dir" >&2
  exit 1
}

# The port is free when chosen but could be taken before the registry binds
# it: then try another one.
started=0
for attempt in 1 2 3; do
  port="$(free_port)"
  write_config "$port"
  setsid "$bin" serve "$dir/config.yml" >"$dir/registry.log" 2>&1 </dev/null &
  pid=$!
  stat="$(cat "/proc/$pid/stat" 2>/dev/null || true)"
  start_time="$(echo "${stat##*) }" | awk '{print $20}')"
  echo "$pid $start_time" >"$dir/registry.pid"
  deadline=$(( $(date +%s) + 30 ))
  while :; do
    code="$(v2_status "$port")"
    if [[ "$code" == 200 ]]; then
      started=1
      break
    fi
    if ! ours "$pid" "$start_time"; then
      grep -q 'address already in use' "$dir/registry.log" && break
      fail "docker-registry exited during start-up (attempt $attempt)"
    fi
    [[ "$code" == 401 ]] && fail "/v2/ refused the credentials (401)"
    (( $(date +%s) < deadline )) || fail "/v2/ did not answer 200 within 30s (last: ${code:-none})"
    sleep 0.1
  done
  (( started )) && break
  echo "registry-up: port $port was taken, trying another" >&2
  rm -f "$dir/registry.pid"
done
(( started )) || fail "no free port after 3 attempts"
echo "$port" >"$dir/port"

t1=$(date +%s.%N)
startup="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')"

addr="127.0.0.1:$port"
{
  if (( auth )); then
    echo "FLOE_TEST_REGISTRY_AUTH_DIR=$dir"
    echo "FLOE_TEST_REGISTRY_AUTH=$addr"
    echo "FLOE_TEST_REGISTRY_USER=$user"
    echo "FLOE_TEST_REGISTRY_PASSWORD=$password"
  else
    echo "FLOE_TEST_REGISTRY_DIR=$dir"
    echo "FLOE_TEST_REGISTRY=$addr"
  fi
  (( tls )) && echo "FLOE_TEST_REGISTRY_CA=$dir/pki/ca.crt"
} >"$dir/vars"
sed 's/^/export /' "$dir/vars" >"$dir/env"

{
  echo
  echo "floe test registry is up in ${startup}s: $scheme://$addr ($("$bin" --version 2>/dev/null | awk '{print $NF}'))"
  echo "  dir   : $dir   (config.yml, storage/, registry.log, registry.pid)"
  (( auth )) && echo "  auth  : htpasswd, user $user, password in $dir/password"
  (( tls )) && echo "  CA    : $dir/pki/ca.crt"
  echo "  use   : source $dir/env"
  echo "  stop  : bash $(cd "$(dirname "$0")" && pwd)/registry-down.sh $dir"
} >&2
cat "$dir/vars"
