# Shared by the scripts that build a Go tool once and cache it outside the
# work tree (sourced, not run). Progress goes to stderr, the path to stdout.

# reuse_or_lock BIN: print BIN and exit when it is built; otherwise take a
# lock beside it (several test runs may start at once) and return, unless
# whoever held the lock built it meanwhile.
reuse_or_lock() {
  local bin="$1"
  if [[ -x "$bin" ]]; then echo "$bin"; exit 0; fi
  mkdir -p "$(dirname "$bin")"
  exec 9>"$(dirname "$bin")/.lock"
  flock 9
  if [[ -x "$bin" ]]; then echo "$bin"; exit 0; fi
}

# go_install_tool NAME PACKAGE VERSION LDFLAGS [HINT]: `go install
# PACKAGE@VERSION` into ${FLOE_CACHE_DIR:-~/.cache/floe}/NAME/VERSION/NAME
# (or reuse it) and print its path. -p=2 keeps peak memory low on 2 cores;
# CGO off: no C toolchain needed. HINT is added to a failure's message.
go_install_tool() {
  local name="$1" package="$2" version="$3" ldflags="$4" hint="${5:-}"
  local cache="${FLOE_CACHE_DIR:-$HOME/.cache/floe}/$name/$version"
  local bin="$cache/$name"
  reuse_or_lock "$bin"
  command -v go >/dev/null || { echo "$name-build: 'go' is required" >&2; exit 1; }
  echo "$name-build: building $package@$version into $bin (cold build: several minutes)..." >&2
  local start tmp log="$cache/build.log"
  start=$(date +%s)
  tmp="$(mktemp -d "$cache/build-XXXXXX")"
  # shellcheck disable=SC2064 # the path is fixed now, on purpose
  trap "rm -rf '$tmp'" EXIT
  if ! (
    cd "$tmp"
    CGO_ENABLED=0 GOBIN="$tmp" GOFLAGS="-mod=mod -buildvcs=false -p=2" \
      go install -trimpath -ldflags "$ldflags" "$package@$version"
  ) >"$log" 2>&1; then
    grep -v '^go: downloading ' "$log" | tail -n 40 >&2
    echo "$name-build: building $name $version failed (full log: $log)${hint:+; $hint}" >&2
    exit 1
  fi
  mv "$tmp/$name" "$bin"
  echo "$name-build: built $name $version in $(( $(date +%s) - start ))s" >&2
  echo "$bin"
}
