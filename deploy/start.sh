#!/usr/bin/env bash
# Starts the lab on loopback: Better Auth (auth-server/server.mjs) and the backend (backend/app.py).
#
#   deploy/start.sh [--production] [--alg EdDSA|ES256|RS256|PS256|ES512] [--keep-db]
#
#   --production   NODE_ENV=production for Better Auth (its rate limiting is on: sign-in 3 per 10 s)
#   --alg ALG      the jwt() plugin's key pair (BA_ALG) and the backend's allowlist (BACKEND_ALGS)
#   --keep-db      keep deploy/run/auth.db (users, sessions, keys); by default every start is fresh
#
# Ports and other settings come from the environment (see deploy/README.md). A lab that is already
# running is stopped first. Pids go to deploy/run/*.pid, logs to deploy/run/*.log, and the settings
# used to deploy/run/lab.env. Waits at most START_TIMEOUT (60) seconds for both servers to answer.
set -euo pipefail

DEPLOY_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RUN_DIR="$DEPLOY_DIR/run"

die() { printf 'start: error: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

production=0
alg="${BA_ALG:-EdDSA}"
keep_db=0
while [ $# -gt 0 ]; do
  case "$1" in
    --production) production=1 ;;
    --alg) [ $# -ge 2 ] || die "--alg needs a value"; alg="$2"; shift ;;
    --alg=*) alg="${1#--alg=}" ;;
    --keep-db) keep_db=1 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
  shift
done
case "$alg" in EdDSA|ES256|RS256|PS256|ES512) ;; *) die "--alg must be EdDSA, ES256, RS256, PS256 or ES512 (got $alg)" ;; esac

[ -f "$DEPLOY_DIR/auth-server/node_modules/.authprobe-install-stamp" ] \
  || die "auth-server is not installed: run deploy/install.sh first"
[ -x "$DEPLOY_DIR/backend/.venv/bin/python" ] || die "backend is not installed: run deploy/install.sh first"

if ls "$RUN_DIR"/*.pid >/dev/null 2>&1; then
  echo "start: a lab is running (or left pid files); stopping it first"
  "$DEPLOY_DIR/stop.sh"
fi
mkdir -p "$RUN_DIR"

export AUTH_PORT="${AUTH_PORT:-43100}"
export BACKEND_PORT="${BACKEND_PORT:-43180}"
export BETTER_AUTH_URL="${BETTER_AUTH_URL:-http://127.0.0.1:$AUTH_PORT}"
export AUTH_DB_PATH="${AUTH_DB_PATH:-$RUN_DIR/auth.db}"
export BA_ALG="$alg"
# The lab control plane of auth-server/server.mjs (/__lab/*: rotate and retire keys, count JWKS
# fetches, take the key set down), for authprobe's key-lifecycle measurements.
export AUTH_LAB_CONTROL="${AUTH_LAB_CONTROL:-1}"
export JWKS_URL="${JWKS_URL:-http://127.0.0.1:$AUTH_PORT/api/auth/jwks}"
export EXPECTED_ISSUER="${EXPECTED_ISSUER:-$BETTER_AUTH_URL}"
export EXPECTED_AUDIENCE="${EXPECTED_AUDIENCE:-$BETTER_AUTH_URL}"
export BACKEND_ALGS="${BACKEND_ALGS:-$alg}"
export FRONTEND_ORIGIN="${FRONTEND_ORIGIN:-http://127.0.0.1:5173}"
# The audit profile caps token lifetime at 24 h (Better Auth's default lifetime is 15 min).
export BACKEND_MAX_LIFETIME="${BACKEND_MAX_LIFETIME:-86400}"
# Two extra backend instances for the contract rows one instance cannot show: one whose key set
# URL is dead (KEY_SET_UNAVAILABLE) and one with a low per-client rate limit (RATE_LIMITED).
KEYSET_DOWN_PORT="${KEYSET_DOWN_PORT:-$((BACKEND_PORT + 1))}"
RATE_LIMITED_PORT="${RATE_LIMITED_PORT:-$((BACKEND_PORT + 2))}"
if [ "$production" = 1 ]; then export NODE_ENV=production; else unset NODE_ENV; fi
unset TEST  # Better Auth treats TEST (like NODE_ENV=test) as "skip the origin/CSRF checks"

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port_busy "$AUTH_PORT" && die "127.0.0.1:$AUTH_PORT is already in use (AUTH_PORT)"
port_busy "$BACKEND_PORT" && die "127.0.0.1:$BACKEND_PORT is already in use (BACKEND_PORT)"
port_busy "$KEYSET_DOWN_PORT" && die "127.0.0.1:$KEYSET_DOWN_PORT is already in use (KEYSET_DOWN_PORT)"
port_busy "$RATE_LIMITED_PORT" && die "127.0.0.1:$RATE_LIMITED_PORT is already in use (RATE_LIMITED_PORT)"

if [ "$keep_db" = 0 ]; then rm -f "$AUTH_DB_PATH" "$AUTH_DB_PATH-wal" "$AUTH_DB_PATH-shm" "$AUTH_DB_PATH-journal"; fi

{
  echo "# written by deploy/start.sh $(date -u +%Y-%m-%dT%H:%M:%SZ); the secret is not recorded"
  for v in AUTH_PORT BACKEND_PORT BETTER_AUTH_URL AUTH_DB_PATH BA_ALG JWKS_URL EXPECTED_ISSUER \
           EXPECTED_AUDIENCE BACKEND_ALGS FRONTEND_ORIGIN NODE_ENV BA_JWT_SCOPE BACKEND_RATE_LIMIT \
           BACKEND_LEEWAY BACKEND_MAX_LIFETIME BACKEND_REALM AUTH_PASS_CLIENT_XFF AUTH_LAB_CONTROL \
           BACKEND_JWKS_TTL BACKEND_JWKS_REFETCH_INTERVAL BA_ADMIN_PLUGIN; do
    if [ -n "${!v+x}" ]; then printf 'export %s=%q\n' "$v" "${!v}"; fi
  done
} >"$RUN_DIR/lab.env"

# Each server gets its own session (setsid), so it outlives this script and the caller's process
# group; setsid execs the server in place, so $! is the server's own pid.
( cd "$DEPLOY_DIR/auth-server" && exec setsid node server.mjs ) >"$RUN_DIR/auth-server.log" 2>&1 </dev/null &
echo $! >"$RUN_DIR/auth-server.pid"
( cd "$DEPLOY_DIR/backend" && PYTHONDONTWRITEBYTECODE=1 exec setsid .venv/bin/python app.py ) >"$RUN_DIR/backend.log" 2>&1 </dev/null &
echo $! >"$RUN_DIR/backend.pid"
# Port 9 (discard) on loopback: nothing listens, so the key set is unreachable.
( cd "$DEPLOY_DIR/backend" && BACKEND_PORT="$KEYSET_DOWN_PORT" JWKS_URL="http://127.0.0.1:9/api/auth/jwks" \
    PYTHONDONTWRITEBYTECODE=1 exec setsid .venv/bin/python app.py ) >"$RUN_DIR/backend-keyset-down.log" 2>&1 </dev/null &
echo $! >"$RUN_DIR/backend-keyset-down.pid"
( cd "$DEPLOY_DIR/backend" && BACKEND_PORT="$RATE_LIMITED_PORT" BACKEND_RATE_LIMIT="5/10" \
    PYTHONDONTWRITEBYTECODE=1 exec setsid .venv/bin/python app.py ) >"$RUN_DIR/backend-rate-limited.log" 2>&1 </dev/null &
echo $! >"$RUN_DIR/backend-rate-limited.pid"

alive() { kill -0 "$(cat "$RUN_DIR/$1.pid")" 2>/dev/null; }
answers() { curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null; }
fail_start() {
  printf 'start: error: %s\n' "$1" >&2
  for name in auth-server backend backend-keyset-down backend-rate-limited; do
    printf '\n--- tail of deploy/run/%s.log ---\n' "$name" >&2
    tail -n 25 "$RUN_DIR/$name.log" >&2 || true
  done
  "$DEPLOY_DIR/stop.sh" >&2 || true
  exit 1
}

auth_url="http://127.0.0.1:$AUTH_PORT"
backend_url="http://127.0.0.1:$BACKEND_PORT"
deadline=$((SECONDS + ${START_TIMEOUT:-60}))
auth_up=0 backend_up=0 extra_up=0
started=$SECONDS
while :; do
  alive auth-server || fail_start "the auth server exited during start-up"
  alive backend || fail_start "the backend exited during start-up"
  alive backend-keyset-down || fail_start "the key-set-down backend exited during start-up"
  alive backend-rate-limited || fail_start "the rate-limited backend exited during start-up"
  [ "$auth_up" = 1 ] || { answers "$auth_url/api/auth/ok" && auth_up=1; }
  [ "$backend_up" = 1 ] || { answers "$backend_url/healthz" && backend_up=1; }
  [ "$extra_up" = 1 ] || { answers "http://127.0.0.1:$KEYSET_DOWN_PORT/healthz" && answers "http://127.0.0.1:$RATE_LIMITED_PORT/healthz" && extra_up=1; }
  [ "$auth_up" = 1 ] && [ "$backend_up" = 1 ] && [ "$extra_up" = 1 ] && break
  [ $SECONDS -lt $deadline ] || fail_start "not up after ${START_TIMEOUT:-60} s (auth=$auth_up backend=$backend_up)"
  sleep 0.2
done

mode=development; [ "$production" = 1 ] && mode="production (rate limiting on)"
cat <<EOF
start: lab up in $((SECONDS - started)) s ($mode, alg $alg)
  Better Auth  $auth_url/api/auth   (baseURL $BETTER_AUTH_URL, pid $(cat "$RUN_DIR/auth-server.pid"))
  JWKS         $JWKS_URL
  backend      $backend_url   (/healthz, /api/me, /api/reports; pid $(cat "$RUN_DIR/backend.pid"))
  issuer = audience = $EXPECTED_ISSUER; CORS origin $FRONTEND_ORIGIN
  extra        http://127.0.0.1:$KEYSET_DOWN_PORT (key set down), http://127.0.0.1:$RATE_LIMITED_PORT (rate limit 5/10 s)
  logs         $RUN_DIR/*.log
EOF
