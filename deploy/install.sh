#!/usr/bin/env bash
# Installs the lab's dependencies into ignored folders inside deploy/:
#   auth-server/node_modules  (npm ci from the committed package-lock.json; better-sqlite3 compiles, ~100 s)
#   backend/.venv             (python3 -m venv + pip install -r requirements.txt)
# Idempotent: each part is skipped while its stamp (hash of the lockfile / requirements and the
# runtime version) matches. FORCE=1 reinstalls both.
set -euo pipefail

DEPLOY_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
AUTH_DIR="$DEPLOY_DIR/auth-server"
BACKEND_DIR="$DEPLOY_DIR/backend"
PYTHON="${PYTHON:-python3}"

say() { printf 'install: %s\n' "$*"; }
die() { printf 'install: error: %s\n' "$*" >&2; exit 1; }

command -v node >/dev/null || die "node not found (Node.js >= 20 is needed)"
command -v npm >/dev/null || die "npm not found"
command -v "$PYTHON" >/dev/null || die "$PYTHON not found (Python >= 3.10 is needed)"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" -ge 20 ] || die "Node.js $(node -v) is too old; better-auth 1.7 needs >= 20"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' || die "$PYTHON is older than 3.10"

mkdir -p "$DEPLOY_DIR/run"

# --- auth server -------------------------------------------------------------------------------
node_stamp_want="$(cat "$AUTH_DIR/package.json" "$AUTH_DIR/package-lock.json" | sha256sum | cut -d' ' -f1) node-$(node -v)"
node_stamp_file="$AUTH_DIR/node_modules/.authprobe-install-stamp"
if [ "${FORCE:-0}" != 1 ] && [ -f "$node_stamp_file" ] && [ "$(cat "$node_stamp_file")" = "$node_stamp_want" ]; then
  say "auth-server/node_modules is up to date"
else
  say "npm ci in auth-server/ (better-sqlite3 is compiled from source: about 100 s)"
  start=$SECONDS
  (cd "$AUTH_DIR" && npm ci --no-audit --no-fund)
  (cd "$AUTH_DIR" && node -e 'new (require("better-sqlite3"))(":memory:").close()') \
    || die "better-sqlite3 does not load; see the npm output above (it needs g++, make and python3)"
  printf '%s\n' "$node_stamp_want" >"$node_stamp_file"
  say "auth-server installed in $((SECONDS - start)) s"
fi

# --- backend -----------------------------------------------------------------------------------
py_version="$("$PYTHON" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')"
py_stamp_want="$(sha256sum "$BACKEND_DIR/requirements.txt" | cut -d' ' -f1) python-$py_version"
py_stamp_file="$BACKEND_DIR/.venv/.authprobe-install-stamp"
if [ "${FORCE:-0}" != 1 ] && [ -f "$py_stamp_file" ] && [ "$(cat "$py_stamp_file")" = "$py_stamp_want" ]; then
  say "backend/.venv is up to date"
else
  say "creating backend/.venv with $PYTHON $py_version and installing requirements.txt"
  start=$SECONDS
  rm -rf "$BACKEND_DIR/.venv"
  "$PYTHON" -m venv "$BACKEND_DIR/.venv"
  "$BACKEND_DIR/.venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$BACKEND_DIR/requirements.txt"
  "$BACKEND_DIR/.venv/bin/python" -c 'import fastapi, uvicorn, jwt, cryptography' \
    || die "the backend's packages do not import"
  printf '%s\n' "$py_stamp_want" >"$py_stamp_file"
  say "backend installed in $((SECONDS - start)) s"
fi

say "done"
