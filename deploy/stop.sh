#!/usr/bin/env bash
# Stops the lab started by deploy/start.sh: TERM to each pid in deploy/run/*.pid, KILL after
# STOP_GRACE (10) seconds, then removes the pid files. Only those pids are signalled, and only if
# the process is still the server that start.sh launched (guards against a reused pid).
set -euo pipefail

DEPLOY_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RUN_DIR="$DEPLOY_DIR/run"
grace="${STOP_GRACE:-10}"

is_ours() {  # pid, name: the process exists and runs the expected program
  local cmdline
  [ -r "/proc/$1/cmdline" ] || return 1
  cmdline="$(tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline")" || return 1
  case "$2" in
    auth-server) [[ "$cmdline" == *server.mjs* ]] ;;
    backend*) [[ "$cmdline" == *app.py* ]] ;;
    *) return 1 ;;
  esac
}

stopped_any=0
for pidfile in "$RUN_DIR"/*.pid; do
  [ -e "$pidfile" ] || continue
  name="$(basename "$pidfile" .pid)"
  pid="$(cat "$pidfile")"
  if [[ "$pid" =~ ^[0-9]+$ ]] && is_ours "$pid" "$name"; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 $((grace * 10))); do
      is_ours "$pid" "$name" || break
      sleep 0.1
    done
    if is_ours "$pid" "$name"; then
      echo "stop: $name (pid $pid) ignored TERM for ${grace} s; sending KILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.2
    fi
    echo "stop: $name (pid $pid) stopped"
    stopped_any=1
  else
    echo "stop: $name (pid $pid) was not running"
  fi
  rm -f "$pidfile"
done
[ "$stopped_any" = 1 ] || echo "stop: nothing to stop"
