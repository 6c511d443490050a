#!/usr/bin/env bash
# Stops the zoo started by deploy/zoo/start.sh: TERM to the process group of each pid in
# deploy/zoo/run/*.pid, KILL after STOP_GRACE (10) seconds, then removes the pid files. A pid is
# signalled only if /proc/<pid>/cmdline still contains what start.sh launched (guards against a
# reused pid).
set -euo pipefail

ZOO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
command -v python3 >/dev/null || { echo "stop: error: python3 not found" >&2; exit 1; }
exec python3 "$ZOO_DIR/zoo.py" stop "$@"
