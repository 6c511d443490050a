#!/usr/bin/env bash
# Mints a new signing key in the running lab with Better Auth's own createJwk (see
# auth-server/rotate-key.mjs). Prints {"kid","alg","previous"}. New tokens are signed with the new
# key at once; /api/auth/jwks publishes both keys. The backend picks the new kid up with its first
# unknown-kid refetch (at most one fetch per 10 s).
set -euo pipefail

DEPLOY_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck disable=SC1091
[ -f "$DEPLOY_DIR/run/lab.env" ] && . "$DEPLOY_DIR/run/lab.env"
[ -f "$DEPLOY_DIR/auth-server/node_modules/.authprobe-install-stamp" ] \
  || { echo "rotate-key: run deploy/install.sh first" >&2; exit 1; }
cd "$DEPLOY_DIR/auth-server"
exec node rotate-key.mjs "$@"
