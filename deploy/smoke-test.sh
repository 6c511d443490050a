#!/usr/bin/env bash
# End-to-end check of a running lab (deploy/start.sh first):
#
#   deploy/smoke-test.sh [--authprobe PATH/TO/authprobe]
#
# 1. signs a new user up (POST /api/auth/sign-up/email) and gets a JWT from GET /api/auth/token;
# 2. exports the signing key and checks its public part is the key /api/auth/jwks publishes;
# 3. backend/http_checks.py: every error row byte for byte against contracts/errors.md, successes,
#    404/405 and CORS;
# 4. with --authprobe: backend/differential.py, ~210 crafted tokens judged by the backend and by
#    authprobe's reference validator (`authprobe validate`), which must agree.
set -euo pipefail

DEPLOY_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RUN_DIR="$DEPLOY_DIR/run"
authprobe=""
while [ $# -gt 0 ]; do
  case "$1" in
    --authprobe) authprobe="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"; shift ;;
    *) echo "usage: $0 [--authprobe PATH]" >&2; exit 2 ;;
  esac
  shift
done
[ -f "$RUN_DIR/lab.env" ] || { echo "smoke-test: no running lab (deploy/start.sh)" >&2; exit 1; }
# shellcheck disable=SC1091
. "$RUN_DIR/lab.env"
auth="http://127.0.0.1:$AUTH_PORT/api/auth"
jar="$RUN_DIR/smoke-cookies.txt"
email="smoke-$(date +%s)-$RANDOM@example.com"

echo "== sign up $email and mint a JWT"
curl -fsS -c "$jar" -H 'content-type: application/json' \
  -d "{\"name\":\"Smoke Test\",\"email\":\"$email\",\"password\":\"correct horse battery staple\"}" \
  "$auth/sign-up/email" >/dev/null
token="$(curl -fsS -b "$jar" "$auth/token" | "$DEPLOY_DIR/backend/.venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["token"])')"
rm -f "$jar"

echo "== export the signing key and compare it with the JWKS"
"$DEPLOY_DIR/export-signing-key.sh" >"$RUN_DIR/issuer-key.json"
curl -fsS "$auth/jwks" >"$RUN_DIR/jwks.json"
"$DEPLOY_DIR/backend/.venv/bin/python" - "$RUN_DIR/issuer-key.json" "$RUN_DIR/jwks.json" <<'EOF'
import json, sys
private = json.load(open(sys.argv[1]))
published = {k["kid"]: k for k in json.load(open(sys.argv[2]))["keys"]}
public_part = {m: v for m, v in private.items() if m not in ("d", "p", "q", "dp", "dq", "qi")}
assert public_part == published.get(private["kid"]), (public_part, published)
print(f"   exported key {private['kid']} ({private['alg']}) = the published public key")
EOF

export PYTHONDONTWRITEBYTECODE=1
cd "$DEPLOY_DIR/backend"
echo "== HTTP checks against errors.md and http-api.md"
.venv/bin/python http_checks.py --token "$token" --key "$RUN_DIR/issuer-key.json"
if [ -n "$authprobe" ]; then
  echo "== differential against $authprobe"
  .venv/bin/python differential.py --authprobe "$authprobe" --key "$RUN_DIR/issuer-key.json" --token "$token"
fi
