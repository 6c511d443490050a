#!/usr/bin/env bash
# Starts the zoo on loopback: every Better Auth issuer of issuers.toml and every backend of
# backends/*.toml (or only the named backends and their issuers).
#
#   deploy/zoo/start.sh [name...]
#
# A zoo that is already running is stopped first; every start has fresh issuer databases (new users,
# new keys). Ports in use are refused up front. Each issuer is deploy/auth-server/server.mjs with
# AUTH_PORT, BA_ALG, AUTH_DB_PATH=run/issuer-<name>.db and BETTER_AUTH_URL (NODE_ENV and TEST unset);
# its JWKS is fetched once (Better Auth mints the key) and its private key exported to
# run/keys/<issuer>.json. Each backend runs its manifest's `start` argv in deploy/zoo with PORT,
# ISSUER_URL, JWKS_URL, ISSUER and AUDIENCE. Pids go to run/<name>.pid, logs to run/<name>.log.
# Waits at most START_TIMEOUT (90) seconds for /api/auth/ok and /healthz; on failure prints the
# failing logs' tails and stops everything.
set -euo pipefail

ZOO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
case "${1:-}" in -h|--help) sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
command -v python3 >/dev/null || { echo "start: error: python3 not found" >&2; exit 1; }
exec python3 "$ZOO_DIR/zoo.py" start "$@"
