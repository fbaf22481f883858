# Shared by the scripts that start and stop local servers (sourced, not run).
# A process is recorded as "PID STARTTIME" (field 22 of /proc/PID/stat), so a
# recycled PID is never mistaken for ours.

# ours PID STARTTIME: is our process still running (and not a zombie)?
ours() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  [[ "$(echo "${stat##*) }" | awk '{print $1}')" == Z ]] && return 1
  [[ "$(echo "${stat##*) }" | awk '{print $20}')" == "$2" ]]
}

# stop_recorded PIDFILE NAME LOG_PREFIX: SIGTERM the process recorded in
# PIDFILE, SIGKILL it after 10 s, and remove PIDFILE.
stop_recorded() {
  local f="$1" name="$2" prefix="$3" pid start
  [[ -f "$f" ]] || return 0
  read -r pid start <"$f" || true
  if [[ -n "${pid:-}" ]] && ours "$pid" "${start:-}"; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
      ours "$pid" "$start" || break
      sleep 0.1
    done
    if ours "$pid" "$start"; then
      echo "$prefix: $name ($pid) ignored SIGTERM for 10s, killing" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$f"
}
