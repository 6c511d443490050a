#!/usr/bin/env bash
# Installs everything the zoo runs, into git-ignored folders:
#   deploy/auth-server/node_modules  Better Auth 1.7.25 (deploy/install.sh; shared with deploy/)
#   node/node_modules                npm ci from node/package-lock.json (if there is one)
#   python/.venv                     python3 -m venv + pip install -r python/requirements.txt
#   rust/bin/<bin>                   cargo build --release --locked in rust/ (if rust/Cargo.toml exists),
#                                    every [[bin]] copied from $CARGO_TARGET_DIR (default rust/target)
# Idempotent: each part is skipped while its stamp (hash of its lockfile / requirements / sources and
# the runtime's version) matches. FORCE=1 redoes every part (deploy/install.sh too).
set -euo pipefail

ZOO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DEPLOY_DIR="$(dirname "$ZOO_DIR")"
PYTHON="${PYTHON:-python3}"
STAMP=.authprobe-install-stamp

say() { printf 'zoo install: %s\n' "$*"; }
die() { printf 'zoo install: error: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
took() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
fresh() { [ "${FORCE:-0}" != 1 ] && [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }

"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
  || die "$PYTHON is missing or older than 3.11 (zoo.py reads TOML with tomllib)"
mkdir -p "$ZOO_DIR/run"
t_all=$(now)
summary=()

# --- Better Auth (deploy/install.sh; its backend venv comes along) ----------------------------------
t=$(now)
"$DEPLOY_DIR/install.sh" | sed 's/^/  /'
summary+=("deploy/install.sh $(took "$t") s")

# --- Node backends -------------------------------------------------------------------------------------
NODE_DIR="$ZOO_DIR/node"
if [ -f "$NODE_DIR/package-lock.json" ]; then
  t=$(now)
  want="$(cat "$NODE_DIR/package.json" "$NODE_DIR/package-lock.json" | sha256sum | cut -d' ' -f1) node-$(node -v)"
  if fresh "$NODE_DIR/node_modules/$STAMP" "$want"; then
    say "node/node_modules is up to date"
  else
    say "npm ci in node/"
    (cd "$NODE_DIR" && npm ci --no-audit --no-fund)
    printf '%s\n' "$want" >"$NODE_DIR/node_modules/$STAMP"
  fi
  summary+=("node $(took "$t") s")
else
  say "no node/package-lock.json: no Node backends to install"
fi

# --- Python backends and the proofs ----------------------------------------------------------------------
PY_DIR="$ZOO_DIR/python"
if [ -f "$PY_DIR/requirements.txt" ]; then
  t=$(now)
  py_version="$("$PYTHON" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')"
  want="$(sha256sum "$PY_DIR/requirements.txt" | cut -d' ' -f1) python-$py_version"
  if fresh "$PY_DIR/.venv/$STAMP" "$want"; then
    say "python/.venv is up to date"
  else
    say "creating python/.venv with $PYTHON $py_version and installing python/requirements.txt"
    rm -rf "$PY_DIR/.venv"
    "$PYTHON" -m venv "$PY_DIR/.venv"
    "$PY_DIR/.venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$PY_DIR/requirements.txt"
    "$PY_DIR/.venv/bin/python" -c 'import fastapi, uvicorn, jwt, joserfc, requests, cryptography' \
      || die "the Python backends' packages do not import"
    printf '%s\n' "$want" >"$PY_DIR/.venv/$STAMP"
  fi
  summary+=("python $(took "$t") s")
else
  die "python/requirements.txt is missing (the proofs need its venv)"
fi

# --- Rust backends -----------------------------------------------------------------------------------------
RUST_DIR="$ZOO_DIR/rust"
if [ -f "$RUST_DIR/Cargo.toml" ]; then
  t=$(now)
  command -v cargo >/dev/null || die "cargo not found (rust/Cargo.toml needs a Rust toolchain)"
  target_dir="${CARGO_TARGET_DIR:-$RUST_DIR/target}"
  # Sources, manifests and toolchain: anything that changes the binaries changes the stamp.
  want="$(cd "$RUST_DIR" && find . -path ./target -prune -o -path ./bin -prune -o -type f \( -name '*.rs' -o -name 'Cargo.*' -o -name 'build.rs' -o -name 'rust-toolchain*' \) -print \
          | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -d' ' -f1) $(rustc -V 2>/dev/null) target=$target_dir"
  if fresh "$RUST_DIR/bin/$STAMP" "$want"; then
    say "rust/bin is up to date"
  else
    say "cargo build --release --locked in rust/ (target dir $target_dir)"
    (cd "$RUST_DIR" && CARGO_TARGET_DIR="$target_dir" cargo build --release --locked)
    bins="$(cd "$RUST_DIR" && cargo metadata --no-deps --format-version 1 --locked \
            | "$PYTHON" -c 'import json, sys; print("\n".join(t["name"] for p in json.load(sys.stdin)["packages"] for t in p["targets"] if "bin" in t["kind"]))')"
    [ -n "$bins" ] || die "rust/Cargo.toml builds no binary"
    rm -rf "$RUST_DIR/bin"
    mkdir -p "$RUST_DIR/bin"
    while IFS= read -r bin; do
      [ -x "$target_dir/release/$bin" ] || die "cargo did not produce $target_dir/release/$bin"
      cp "$target_dir/release/$bin" "$RUST_DIR/bin/$bin"
      say "  rust/bin/$bin"
    done <<<"$bins"
    printf '%s\n' "$want" >"$RUST_DIR/bin/$STAMP"
  fi
  summary+=("rust $(took "$t") s")
else
  say "no rust/Cargo.toml: no Rust backends to build"
fi

say "done in $(took "$t_all") s ($(IFS=,; echo "${summary[*]}" | sed 's/,/, /g'))"
