#!/usr/bin/env bash
# Proves the running zoo (deploy/zoo/start.sh first) against its manifests:
#
#   deploy/zoo/prove.sh [name...]
#
# 1. every running backend: prove/zoolib.py check_baseline (a valid JWT is accepted with its sub, no
#    token is refused, a token with a tampered signature is refused; the last is skipped for a
#    backend whose flaw is signature-not-verified);
# 2. every running flawed backend: its proof script against it (must exit 0: flaw present) and
#    against every running compliant backend behind the same issuer (must exit 1: not present).
# Prints a table (backend, proof, expected, got, time) and exits 1 on any mismatch. The proofs'
# outputs are written to run/prove.log; those of mismatches are printed.
set -euo pipefail

ZOO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
case "${1:-}" in -h|--help) sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
[ -x "$ZOO_DIR/python/.venv/bin/python" ] || { echo "prove: error: run deploy/zoo/install.sh first" >&2; exit 1; }
started=$(date +%s.%N)
status=0
PYTHONDONTWRITEBYTECODE=1 "$ZOO_DIR/python/.venv/bin/python" "$ZOO_DIR/zoo.py" prove "$@" || status=$?
awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "prove: wall time %.1f s\n", b - a }'
exit "$status"
