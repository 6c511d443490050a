#!/usr/bin/env python3
"""Prints criterion's last measurements (<criterion home>/**/new) as a table, and the ratios that
docs/PERFORMANCE.md reports. Usage: python3 benches/summarize.py [criterion-home]
(default: $CRITERION_HOME, else target/criterion)."""
import json, os, sys

root = (sys.argv[1] if len(sys.argv) > 1
        else os.environ.get("CRITERION_HOME", os.path.join("target", "criterion")))
rows = {}
for dirpath, _, files in os.walk(root):
    if os.path.basename(dirpath) != "new" or "estimates.json" not in files:
        continue
    with open(os.path.join(dirpath, "benchmark.json")) as f:
        full_id = json.load(f)["full_id"]
    with open(os.path.join(dirpath, "estimates.json")) as f:
        est = json.load(f)
    rows[full_id] = (est["median"]["point_estimate"], est["mean"]["point_estimate"],
                     est["median"]["confidence_interval"]["lower_bound"],
                     est["median"]["confidence_interval"]["upper_bound"])

def fmt(ns):
    if ns >= 1e9: return f"{ns/1e9:.3f} s"
    if ns >= 1e6: return f"{ns/1e6:.2f} ms"
    if ns >= 1e3: return f"{ns/1e3:.2f} µs"
    return f"{ns:.0f} ns"

print(f"{'benchmark':60} {'median':>10} {'mean':>10}  95% CI of median")
for k in sorted(rows):
    med, mean, lo, hi = rows[k]
    print(f"{k:60} {fmt(med):>10} {fmt(mean):>10}  [{fmt(lo)} … {fmt(hi)}]")

print()
print("ratios (medians):")
for alg in ["EdDSA", "ES256", "RS256", "PS256", "HS256"]:
    g = lambda n: rows.get(f"validate/{alg}/{n}", (None,))[0]
    ours, typed, value, kv, raw = g("authprobe"), g("jsonwebtoken_typed"), g("jsonwebtoken_value"), g("key_verify"), g("raw")
    if None in (ours, typed, value, kv, raw):
        continue
    print(f"  {alg:6} authprobe/jsonwebtoken_typed = {ours/typed:.3f}  authprobe/jsonwebtoken_value = {ours/value:.3f}"
          f"  overhead above key_verify = {fmt(ours-kv)}  above raw = {fmt(ours-raw)}")
s = lambda n: rows.get(f"steps/EdDSA-fixture/{n}", (None,))[0]
if s("validate") and s("key_verify"):
    print(f"  fixture: validate − key_verify = {fmt(s('validate') - s('key_verify'))}; all_but_signature = {fmt(s('all_but_signature'))}")
