#!/usr/bin/env bash
# Prints the private JWK the lab's Better Auth signs with (JSON, with kid and alg), for authprobe's
# white-box `--issuer-key`:
#
#   deploy/export-signing-key.sh [--kid <kid>] > issuer-key.json
#
# Uses the settings of the running lab (deploy/run/lab.env) and the same BETTER_AUTH_SECRET as the
# server (the lab default unless you exported one). If the key table is still empty and the server
# is up, one GET of /api/auth/jwks makes Better Auth mint its first key, as it would for any client.
set -euo pipefail

DEPLOY_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck disable=SC1091
[ -f "$DEPLOY_DIR/run/lab.env" ] && . "$DEPLOY_DIR/run/lab.env"
[ -f "$DEPLOY_DIR/auth-server/node_modules/.authprobe-install-stamp" ] \
  || { echo "export-signing-key: run deploy/install.sh first" >&2; exit 1; }

curl -fsS -o /dev/null --max-time 5 "http://127.0.0.1:${AUTH_PORT:-43100}/api/auth/jwks" 2>/dev/null || true
cd "$DEPLOY_DIR/auth-server"
exec node export-signing-key.mjs "$@"
