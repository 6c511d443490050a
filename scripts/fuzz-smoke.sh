#!/usr/bin/env bash
# Fuzz smoke run: builds every cargo-fuzz target of fuzz/ with nightly Rust, replays every
# committed crash input (tests/fixtures/fuzz/<target>/) under AddressSanitizer, then fuzzes each
# target for a bounded time from its committed corpus. Fails if anything crashes, leaks, times
# out or runs out of memory. Installs cargo-fuzz first when `cargo fuzz` is missing.
#
#   scripts/fuzz-smoke.sh [seconds per target]      (default 25; or FUZZ_SMOKE_SECS)
#
# Environment: FUZZ_TOOLCHAIN (default nightly); FUZZ_TARGET_DIR (default
# $CARGO_TARGET_DIR/fuzz when CARGO_TARGET_DIR is set, so CI keeps the build between runs,
# else fuzz/target). The committed corpus is never modified: each run fuzzes a scratch copy.
# A crash leaves its input in fuzz/artifacts/<target>/ (see fuzz/README.md for what next).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

secs="${1:-${FUZZ_SMOKE_SECS:-25}}"
toolchain="${FUZZ_TOOLCHAIN:-nightly}"
if [ -n "${FUZZ_TARGET_DIR:-}" ]; then
  target_dir=$FUZZ_TARGET_DIR
elif [ -n "${CARGO_TARGET_DIR:-}" ]; then
  target_dir=$CARGO_TARGET_DIR/fuzz
else
  target_dir=$root/fuzz/target
fi
mkdir -p "$target_dir"
target_dir=$(cd "$target_dir" && pwd)

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== installing cargo-fuzz =="
  cargo install cargo-fuzz --locked
fi
if ! rustup run "$toolchain" rustc --version >/dev/null 2>&1; then
  echo "fuzz-smoke: the $toolchain toolchain is missing (rustup toolchain install $toolchain)" >&2
  exit 1
fi

build_flags=(--debug-assertions --target-dir "$target_dir")
cd fuzz
echo "== building the fuzz targets ($(rustup run "$toolchain" rustc --version)) =="
cargo +"$toolchain" fuzz build "${build_flags[@]}"
mapfile -t targets < <(cargo fuzz list)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=()
summary=()

max_len_for() {
  case "$1" in
    token_parse) echo 20000 ;; # above the 16 KiB token cap, so the cap itself is fuzzed
    *) echo 8192 ;;
  esac
}

for target in "${targets[@]}"; do
  artifacts="$work/artifacts/$target"
  mkdir -p "$artifacts" "$work/corpus/$target"
  common=(-rss_limit_mb=2048 -timeout=5 "-artifact_prefix=$artifacts/")

  crashes="$root/tests/fixtures/fuzz/$target"
  if [ -d "$crashes" ] && [ -n "$(ls -A "$crashes")" ]; then
    # -runs=0: run every input of the folder once, mutate nothing, write nothing.
    echo "== $target: replaying $(ls -A "$crashes" | wc -l) committed crash inputs =="
    if ! cargo +"$toolchain" fuzz run "${build_flags[@]}" "$target" "$crashes" -- "${common[@]}" \
      -runs=0 >"$work/$target.replay.log" 2>&1; then
      tail -n 40 "$work/$target.replay.log"
      failed+=("$target (committed crash input)")
    fi
  fi

  echo "== $target: fuzzing for $secs s =="
  cp -R "corpus/$target/." "$work/corpus/$target/"
  log="$work/$target.log"
  if cargo +"$toolchain" fuzz run "${build_flags[@]}" "$target" "$work/corpus/$target" -- \
    "${common[@]}" -max_total_time="$secs" -dict=jwt.dict -max_len="$(max_len_for "$target")" \
    -print_final_stats=1 >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    summary+=("$(printf '%-16s %10s runs %8s exec/s' "$target" "${runs:-?}" "${rate:-?}")")
  else
    tail -n 60 "$log"
    mkdir -p "$root/fuzz/artifacts/$target"
    cp "$artifacts"/* "$root/fuzz/artifacts/$target/" 2>/dev/null || true
    failed+=("$target")
  fi
done

echo
echo "== fuzz smoke summary ($secs s per target) =="
printf '%s\n' "${summary[@]}"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "FAILED: ${failed[*]} (inputs kept in fuzz/artifacts/; see fuzz/README.md)" >&2
  exit 1
fi
echo "fuzz smoke passed"
