#!/usr/bin/env python3
"""Prints criterion's last measurements (<criterion home>/**/new) as the markdown tables of
docs/PERFORMANCE.md, with the ratios. Usage: python3 benches/summarize.py [criterion-home]
(default: $CRITERION_HOME, else target/criterion). Values are criterion's median estimates."""
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
        rows[full_id] = json.load(f)["median"]["point_estimate"]


def fmt(ns):
    if ns is None:
        return "–"
    if ns >= 1e9:
        return f"{ns / 1e9:.3f} s"
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.0f} ns"


def get(name):
    return rows.get(name)


print("| alg | raw primitive | Key::verify | authprobe validate | authprobe validate + all claims | "
      "jsonwebtoken (struct) | jsonwebtoken (Value) | authprobe / jwt struct | "
      "authprobe + claims / jwt Value | validate − Key::verify |")
print("|---|---|---|---|---|---|---|---|---|---|")
for alg in ["EdDSA", "ES256", "RS256", "PS256", "HS256"]:
    g = lambda n: get(f"validate/{alg}/{n}")
    raw, kv, ours, with_claims, typed, value = g("raw"), g("key_verify"), g("authprobe"), \
        g("authprobe_with_claims"), g("jsonwebtoken_typed"), g("jsonwebtoken_value")
    if None in (raw, kv, ours, with_claims, typed, value):
        continue
    extra = ""
    if g("raw_dalek_verify_strict"):
        extra = (f" (dalek verify_strict: {fmt(g('raw_dalek_verify_strict'))}, aws-lc unparsed "
                 f"{fmt(g('raw_aws_lc_ed25519_unparsed'))})")
    if g("raw_key_per_call"):
        extra = f" (key schedule per call: {fmt(g('raw_key_per_call'))})"
    print(f"| {alg} | {fmt(raw)}{extra} | {fmt(kv)} | {fmt(ours)} | {fmt(with_claims)} | "
          f"{fmt(typed)} | {fmt(value)} | **{ours / typed:.2f}** | {with_claims / value:.2f} | "
          f"{fmt(ours - kv)} |")

print()
print("| step (sample fixture, EdDSA, 607 bytes) | median |")
print("|---|---|")
for step in ["parse_token", "parse_jwt(token+claims)", "scan_claims", "check_header",
             "select+binding", "check_claims", "all_but_signature", "key_verify", "validate"]:
    print(f"| {step} | {fmt(get(f'steps/EdDSA-fixture/{step}'))} |")
v, kv = get("steps/EdDSA-fixture/validate"), get("steps/EdDSA-fixture/key_verify")
if v and kv:
    print(f"| validate − key_verify | {fmt(v - kv)} |")

o, okv = get("overhead/fixture-claims-HS256/validate"), \
    get("overhead/fixture-claims-HS256/key_verify")
if o and okv:
    print()
    print("| overhead (fixture claims re-signed with HS256) | median |")
    print("|---|---|")
    print(f"| Key::verify | {fmt(okv)} |")
    print(f"| validate | {fmt(o)} |")
    print(f"| **validate − Key::verify** | **{fmt(o - okv)}** |")

print()
print("| parse (sample fixture) | median |")
print("|---|---|")
for k in sorted(k for k in rows if k.startswith("parse/")):
    print(f"| {k.removeprefix('parse/')} | {fmt(rows[k])} |")

print()
print("| key set | authprobe parse | authprobe select + binding | jsonwebtoken parse + find + key |")
print("|---|---|---|---|")
for name in ["fixture", "rotation-3xEd25519", "mixed-Ed25519+P256+RSA2048"]:
    print(f"| {name} | {fmt(get(f'jwks/parse/{name}'))} | {fmt(get(f'jwks/select/{name}'))} | "
          f"{fmt(get(f'jwks/jsonwebtoken/parse+find+key/{name}'))} |")

a = get("audit/mock/builtin-suites")
if a:
    print()
    print(f"mock audit (all built-in suites, start to finish): {fmt(a)}")
