#!/bin/bash -eu
# ClusterFuzzLite (and OSS-Fuzz) build for authprobe: every cargo-fuzz target in fuzz/, built
# with the image's nightly toolchain and sanitizer flags, installed in $OUT with
#   <target>                    the fuzzer binary
#   <target>_seed_corpus.zip    the committed, minimised corpus fuzz/corpus/<target>/
#   <target>.dict               fuzz/jwt.dict
#   <target>.options            libFuzzer options (input size cap)
# Locally (no Docker) the same steps run with the clone reachable as $SRC/authprobe:
#   mkdir -p /tmp/cflite-src && ln -sfn "$PWD" /tmp/cflite-src/authprobe
#   RUSTUP_TOOLCHAIN=nightly SRC=/tmp/cflite-src OUT=/tmp/cflite-out bash .clusterfuzzlite/build.sh
set -euo pipefail
cd "$SRC/authprobe/fuzz"

cargo fuzz build -O --debug-assertions

out_dir=target/x86_64-unknown-linux-gnu/release
mkdir -p "$OUT"
for target in $(cargo fuzz list); do
  cp "$out_dir/$target" "$OUT/$target"
  rm -f "$OUT/${target}_seed_corpus.zip"
  (cd "corpus/$target" && zip -q -r "$OUT/${target}_seed_corpus.zip" .)
  cp jwt.dict "$OUT/$target.dict"
  case "$target" in
    token_parse) max_len=20000 ;; # above the 16 KiB token cap, so the cap itself is fuzzed
    *) max_len=8192 ;;
  esac
  printf '[libfuzzer]\nmax_len = %s\n' "$max_len" > "$OUT/$target.options"
done
