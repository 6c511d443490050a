"""Differential check: the lab backend against authprobe's reference validator, token by token.

    .venv/bin/python differential.py --authprobe PATH/TO/authprobe --key ISSUER_KEY.json [--token REAL_JWT]

For ~150 crafted tokens (structure, base64url, JSON, header rules, algorithms, kid, signatures
including strict-Ed25519 cases, claims and their boundaries) it compares three verdicts:
  * `authprobe validate --jwks <JWKS_URL> --json --now T` (the reference),
  * this backend's Validator in-process with the same fixed clock T (boundaries included),
  * GET /api/me on the running backend (clock-sensitive boundary cases are left out here).
The reference is run through the validator layer, so a credential outside the RFC 6750 b64token
grammar is expected as MALFORMED_AUTHORIZATION over HTTP (spec §4 step 0e). Exit 1 on any difference.
Needs the lab running (deploy/start.sh) and its exported key (deploy/export-signing-key.sh).
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass

import contract
from keys import ED25519_ORDER, RemoteKeySet
from mint_token import sign
from strict import b64url_decode, b64url_encode
from validator import Policy, Rejection, Validator

ISS = os.environ.get("EXPECTED_ISSUER", "http://127.0.0.1:43100")
AUD = os.environ.get("EXPECTED_AUDIENCE", ISS)
JWKS_URL = os.environ.get("JWKS_URL", "http://127.0.0.1:43100/api/auth/jwks")
BACKEND = os.environ.get("BACKEND_URL", "http://127.0.0.1:43180")


@dataclass
class Case:
    name: str
    token: str
    clock_sensitive: bool = False


def e(data: bytes | str) -> str:
    return b64url_encode(data.encode() if isinstance(data, str) else data).decode()


def j(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def build_cases(jwk: dict, now: int, real_token: str | None) -> list[Case]:
    alg, kid = jwk["alg"], jwk["kid"]
    hdr = {"alg": alg, "kid": kid}
    claims = {"sub": "user-1", "email": "a@example.com", "iss": ISS, "aud": AUD, "iat": now - 10, "exp": now + 890}
    cases: list[Case] = []

    def add(name, token, clock_sensitive=False):
        cases.append(Case(name, token, clock_sensitive))

    def signed(name, header=None, payload=None, raw_header=None, raw_payload=None, clock_sensitive=False):
        h = raw_header if raw_header is not None else j(header if header is not None else hdr)
        p = raw_payload if raw_payload is not None else j(payload if payload is not None else claims)
        add(name, sign(h, p, jwk, alg), clock_sensitive)

    good = sign(j(hdr), j(claims), jwk, alg)
    gh, gp, gs = good.split(".")
    add("good", good)
    if real_token:
        add("better-auth token", real_token)
        rh, rp, rs = real_token.split(".")
        mid = len(rs) // 2
        add("ba: signature middle char flipped", f"{rh}.{rp}.{rs[:mid]}{'A' if rs[mid] != 'A' else 'B'}{rs[mid + 1:]}")
        add("ba: payload edited", f"{rh}.{e(b64url_decode(rp.encode()).replace(b'Alice', b'Admin'))}.{rs}")

    # structure and base64url (steps 1-5)
    for name, tok in [
        ("two segments", f"{gh}.{gp}"), ("four segments", f"{good}.x"), ("trailing dot", f"{good}."),
        ("empty", ""), ("dots only", ".."), ("empty header", f".{gp}.{gs}"), ("empty payload", f"{gh}..{gs}"),
        ("empty signature", f"{gh}.{gp}."), ("padded signature", f"{good}=="), ("padded header", f"{gh}=.{gp}.{gs}"),
        ("plus in signature", f"{gh}.{gp}.{gs[:-2]}+{gs[-1]}"), ("slash in payload", f"{gh}.{gp[:-1]}/.{gs}"),
        ("length 1 mod 4 signature", good + "A" * ((1 - len(gs)) % 4 or 4)),
        ("tilde", f"{gh}~.{gp}.{gs}"), ("opaque session token", "5rozOdWxNaSCWhM9spse8pexn59HAnq7"),
        ("signed session token form", "5rozOdWxNaSCWhM9spse8pexn59HAnq7.bG9uZ3NpZ25hdHVyZQ=="),
        ("JWS JSON serialization", json.dumps({"protected": gh, "payload": gp, "signature": gs})),
        ("space inside", f"{gh}.{gp} .{gs}"), ("oversize 16385", f"{gh}.{gp}.{gs}" + "A" * (16385 - len(good))),
    ]:
        add(name, tok)
    last = gs[-1]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    twin = alphabet[alphabet.index(last) ^ 1] if len(gs) % 4 else None
    if twin:  # same bytes, non-zero trailing bits
        add("signature last char non-canonical", f"{gh}.{gp}.{gs[:-1]}{twin}")
    filler = 16384 - len(sign(j(hdr), j({**claims, "pad": ""}), jwk, alg))
    pad_len = filler * 3 // 4
    wanted = {16384: None, 16385: None}
    for extra in range(pad_len - 12, pad_len + 4):
        for hpad in range(0, 3):
            h = j({**hdr, "h": "y" * hpad}) if hpad else j(hdr)
            t = sign(h, j({**claims, "pad": "x" * extra}), jwk, alg)
            if len(t) in wanted and wanted[len(t)] is None:
                wanted[len(t)] = t
    for size, t in wanted.items():
        if t:
            add(f"size {size}", t)

    # JSON (steps 3-4)
    for name, raw in [
        ("header array", b"[1]"), ("header dup alg", b'{"alg":"none","alg":"%s","kid":"%s"}' % (alg.encode(), kid.encode())),
        ("header BOM", b"\xef\xbb\xbf" + j(hdr)), ("header trailing comma", j(hdr)[:-1] + b",}"),
        ("header comment", b"/*c*/" + j(hdr)), ("header single quotes", b"{'alg':'EdDSA'}"),
        ("header invalid utf8", j(hdr)[:-1] + b',"x":"\xc3\x28"}'),
        ("header raw utf8 ok", j(hdr)[:-1] + ',"x":"\u00e9\u4e2d"}'.encode()),
        ("header lone surrogate", j(hdr)[:-1] + b',"x":"\\ud800"}'), ("header NaN", j(hdr)[:-1] + b',"x":NaN}'),
        ("header 1e400", j(hdr)[:-1] + b',"x":1e400}'), ("header leading zero", j(hdr)[:-1] + b',"x":01}'),
        ("header trailing garbage", j(hdr) + b" x"), ("header trailing whitespace", j(hdr) + b" \n"),
        ("header control char", j(hdr)[:-1] + b',"x":"a\x01"}'), ("header escaped NUL ok", j(hdr)[:-1] + b',"x":"a\\u0000"}'),
        ("header surrogate pair ok", j(hdr)[:-1] + b',"x":"\\ud83d\\ude00"}'),
        ("header dup after unescape", j(hdr)[:-1] + b',"\\u0061lg":"x"}'),
    ]:
        signed(name, raw_header=raw)
    for name, raw in [
        ("payload array", b"[]"), ("payload string", b'"x"'), ("payload null", b"null"), ("payload number", b"1"),
        ("payload not json", b"hello"), ("payload dup sub", j(claims)[:-1] + b',"sub":"admin"}'),
        ("payload nested dup", j({**claims, "o": {"a": 1}})[:-2] + b',"a":2}}'),
        ("payload depth 16", j({**claims, "d": json.loads("[" * 15 + "]" * 15)})),
        ("payload depth 17", j({**claims, "d": json.loads("[" * 16 + "]" * 16)})),
        ("payload depth 10^4", j(claims)[:-1] + b',"d":' + b"[" * 5000 + b"]" * 5000 + b"}"),
        ("payload Infinity", j(claims)[:-1] + b',"x":Infinity}'), ("payload -Infinity", j(claims)[:-1] + b',"x":-Infinity}'),
        ("payload huge int", j(claims)[:-1] + b',"x":' + b"9" * 400 + b"}"),
        ("payload 300-digit int", j(claims)[:-1] + b',"x":' + b"9" * 300 + b"}"),
        ("payload 1e-400", j(claims)[:-1] + b',"x":1e-400}'),
        ("payload lone low surrogate", j(claims)[:-1] + b',"x":"\\udc00"}'),
        ("payload surrogate key", j(claims)[:-1] + b',"\\ud800":1}'),
        ("payload overlong utf8", j(claims)[:-1] + b',"x":"\xc0\xaf"}'),
        ("payload utf8 surrogate bytes", j(claims)[:-1] + b',"x":"\xed\xa0\x80"}'),
        ("payload BOM", b"\xef\xbb\xbf" + j(claims)),
    ]:
        signed(name, raw_payload=raw)

    # header rules (steps 6-9)
    for name, header in [
        ("no alg", {"kid": kid}), ("alg null", {"alg": None, "kid": kid}), ("alg number", {"alg": 256, "kid": kid}),
        ("alg array", {"alg": [alg], "kid": kid}), ("kid number", {"alg": alg, "kid": 1}), ("kid null", {"alg": alg, "kid": None}),
        ("jku", {**hdr, "jku": "http://127.0.0.1:9/jwks"}), ("jwk", {**hdr, "jwk": {"kty": "OKP"}}), ("x5u", {**hdr, "x5u": "x"}),
        ("x5c", {**hdr, "x5c": []}), ("x5t", {**hdr, "x5t": "x"}), ("x5t#S256", {**hdr, "x5t#S256": "x"}),
        ("b64 false", {**hdr, "b64": False}), ("zip", {**hdr, "zip": "DEF"}), ("enc", {**hdr, "enc": "A128GCM"}),
        ("crit empty", {**hdr, "crit": []}), ("crit b64", {**hdr, "crit": ["b64"], "b64": True}), ("crit custom", {**hdr, "crit": ["x"], "x": 1}),
        ("jku and alg none", {"alg": "none", "kid": kid, "jku": "x"}),
        ("typ JWT", {**hdr, "typ": "JWT"}), ("typ jwt", {**hdr, "typ": "jwt"}), ("typ application/jwt", {**hdr, "typ": "application/jwt"}),
        ("typ Application/JWT", {**hdr, "typ": "Application/JWT"}), ("typ at+jwt", {**hdr, "typ": "at+jwt"}),
        ("typ space JWT", {**hdr, "typ": " JWT"}), ("typ JWT NUL", {**hdr, "typ": "JWT\u0000"}), ("typ number", {**hdr, "typ": 1}),
        ("typ null", {**hdr, "typ": None}), ("typ application/", {**hdr, "typ": "application/"}),
        ("typ dotless-i", {**hdr, "typ": "JW\u0130"}), ("typ kelvin", {**hdr, "typ": "\u212aWT"}),
        ("typ with unknown alg", {"alg": "zzz", "kid": kid, "typ": "at+jwt"}),
        ("alg none", {"alg": "none", "kid": kid}), ("alg None", {"alg": "None", "kid": kid}), ("alg NONE", {"alg": "NONE", "kid": kid}),
        ("alg lower", {"alg": alg.lower(), "kid": kid}), ("alg space", {"alg": " " + alg, "kid": kid}),
        ("alg NUL", {"alg": alg + "\u0000", "kid": kid}), ("alg empty", {"alg": "", "kid": kid}), ("alg HS256", {"alg": "HS256", "kid": kid}),
        ("alg RS256", {"alg": "RS256", "kid": kid}), ("alg ES256", {"alg": "ES256", "kid": kid}), ("alg PS256", {"alg": "PS256", "kid": kid}),
        ("alg EdDSA", {"alg": "EdDSA", "kid": kid}), ("alg ES512", {"alg": "ES512", "kid": kid}),
        ("no kid", {"alg": alg}), ("unknown kid", {"alg": alg, "kid": "unknown-kid-123"}), ("empty kid", {"alg": alg, "kid": ""}),
        ("kid path", {"alg": alg, "kid": "../../etc/passwd"}), ("kid case", {"alg": alg, "kid": kid.swapcase()}),
        ("cty JWT ignored", {**hdr, "cty": "JWT"}), ("extra member", {**hdr, "admin": True}),
    ]:
        signed(f"header {name}", header=header)
    add("alg none unsigned", f"{e(j({'alg': 'none', 'kid': kid}))}.{gp}.")
    add("alg none keep sig", f"{e(j({'alg': 'none', 'kid': kid}))}.{gp}.{gs}")
    add("header kid changed, sig kept", f"{e(j({'alg': alg, 'kid': kid + 'x'}))}.{gp}.{gs}")
    add("header typ added, sig kept", f"{e(j({**hdr, 'typ': 'JWT'}))}.{gp}.{gs}")
    import hmac
    mac = hmac.new(b64url_decode(jwk.get("x", "AAAA").encode()), f"{e(j({'alg': 'HS256', 'kid': kid}))}.{gp}".encode(), hashlib.sha256).digest()
    add("HS256 keyed with public x", f"{e(j({'alg': 'HS256', 'kid': kid}))}.{gp}.{e(mac)}")

    # signatures (step 12)
    sig = b64url_decode(gs.encode())
    for name, s in [("zero signature", bytes(len(sig))), ("signature truncated", sig[:-1]), ("signature extended", sig + b"\x00"),
                    ("signature half", sig[: len(sig) // 2]), ("signature one byte", b"\x00"), ("signature of other payload", b64url_decode(sign(j(hdr), j({**claims, "sub": "x"}), jwk, alg).split(".")[2].encode()))]:
        add(name, f"{gh}.{gp}.{e(s)}")
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
    from jwt.algorithms import get_default_algorithms
    foreign = {"EdDSA": lambda: ed25519.Ed25519PrivateKey.generate(), "ES256": lambda: ec.generate_private_key(ec.SECP256R1()),
               "RS256": lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)}[alg]()
    algo = get_default_algorithms()[alg]
    add("foreign key, real kid", f"{gh}.{gp}.{e(algo.sign(f'{gh}.{gp}'.encode(), foreign))}")
    if alg == "EdDSA":
        s_int = int.from_bytes(sig[32:], "little")
        add("ed25519 S + l", f"{gh}.{gp}.{e(sig[:32] + (s_int + ED25519_ORDER).to_bytes(32, 'little'))}")
        seed = b64url_decode(jwk["d"].encode())
        h = hashlib.sha512(seed).digest()
        a = int.from_bytes(h[:32], "little") & ((1 << 254) - 8) | (1 << 254)
        pub = b64url_decode(jwk["x"].encode())
        msg = f"{gh}.{gp}".encode()
        r_identity = b"\x01" + bytes(31)
        k = int.from_bytes(hashlib.sha512(r_identity + pub + msg).digest(), "little") % ED25519_ORDER
        add("ed25519 small-order R (identity)", f"{gh}.{gp}.{e(r_identity + (k * a % ED25519_ORDER).to_bytes(32, 'little'))}")
        add("ed25519 R all zero", f"{gh}.{gp}.{e(bytes(32) + sig[32:])}")
    if alg == "ES256":
        from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
        r, s_ = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
        n = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
        add("ecdsa DER signature", f"{gh}.{gp}.{e(encode_dss_signature(r, s_))}")
        add("ecdsa high S (valid)", f"{gh}.{gp}.{e(sig[:32] + (n - s_).to_bytes(32, 'big'))}")
        add("ecdsa r = 0", f"{gh}.{gp}.{e(bytes(32) + sig[32:])}")
        if s_ + n < 2**256:
            add("ecdsa s + n", f"{gh}.{gp}.{e(sig[:32] + (s_ + n).to_bytes(32, 'big'))}")
        add("ecdsa r + n (33 bytes)", f"{gh}.{gp}.{e((r + n).to_bytes(33, 'big') + sig[32:])}")
    if alg == "RS256":
        signed("PS256 on an RS256-bound key", header={"alg": "PS256", "kid": kid})

    # claims (steps 13-19), judged at now
    def cl(name, payload, clock_sensitive=False):
        signed(f"claims {name}", payload=payload, clock_sensitive=clock_sensitive)

    base = dict(claims)
    for field in ("exp", "iat", "iss", "aud", "sub"):
        cl(f"no {field}", {k: v for k, v in base.items() if k != field})
    for field in ("exp", "iat", "nbf"):
        for label, value in [("string", str(now)), ("bool", True), ("null", None), ("array", [now]), ("object", {}),
                             ("negative", -1), ("2^53", 2**53), ("2^53-1", 2**53 - 1), ("2^63", 2**63), ("float", float(now + 100)), ("1e300", 1e300)]:
            cl(f"{field} {label}", {**base, field: value})
    cl("exp 0", {**base, "exp": 0})
    cl("expired 1h", {**base, "iat": now - 4000, "exp": now - 3600})
    for delta in (-31, -30, -29, 0):
        cl(f"exp now{delta:+d}", {**base, "iat": now - 1000, "exp": now + delta}, clock_sensitive=True)
    for delta in (29, 30, 31, 3600):
        cl(f"iat now+{delta}", {**base, "iat": now + delta, "exp": now + 5000}, clock_sensitive=delta in (29, 30, 31))
        cl(f"nbf now+{delta}", {**base, "nbf": now + delta}, clock_sensitive=delta in (29, 30, 31))
    cl("iat fractional", {**base, "iat": now + 30.5}, clock_sensitive=True)
    cl("exp fractional", {**base, "exp": now - 29.5}, clock_sensitive=True)
    cl("exp 1.7e9 exponent form", {**base, "iat": 1e9, "exp": 1.7e10})
    cl("lifetime 10 years", {**base, "exp": now + 10 * 365 * 86400})
    for label, value in [("trailing slash", ISS + "/"), ("api/auth", ISS + "/api/auth"), ("upper", ISS.upper()), ("prefix", ISS[:-1]),
                         ("superstring", ISS + ".evil"), ("array", [ISS]), ("number", 1), ("null", None), ("evil", "https://evil.example")]:
        cl(f"iss {label}", {**base, "iss": value})
    for label, value in [("array ours", [AUD]), ("array ours+other", ["other", AUD]), ("array other", ["other"]), ("empty array", []),
                         ("array with number", [AUD, 1]), ("nested array", [[AUD]]), ("number", 1), ("null", None), ("star", "*"), ("slash", AUD + "/")]:
        cl(f"aud {label}", {**base, "aud": value})
    for label, value in [("empty", ""), ("number", 0), ("null", None), ("array", ["admin"]), ("object", {}), ("zero string", "0")]:
        cl(f"sub {label}", {**base, "sub": value})
    cl("scope present", {**base, "scope": "reports:read"})
    return cases


def reference_code(binary: str, token: str, now: int | None, algs: list[str]) -> str:
    cmd = [binary, "validate", "--jwks", JWKS_URL, "--issuer", ISS, "--audience", AUD, "--json"]
    for a in algs:
        cmd += ["--alg", a]
    if now is not None:
        cmd += ["--now", str(now)]
    out = subprocess.run(cmd + ["-"], input=token.encode(), capture_output=True, timeout=30)
    try:
        verdict = json.loads(out.stdout)
    except ValueError:
        return f"exit {out.returncode}: {out.stderr.decode(errors='replace').strip()[:120]}"
    return "ACCEPTED" if verdict.get("verdict") == "accepted" else verdict.get("code", "?")


def http_code(token: str) -> str:
    host, port = BACKEND.split("://", 1)[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.putrequest("GET", "/api/me")
    conn.putheader("Authorization", f"Bearer {token}")
    conn.endheaders()
    response = conn.getresponse()
    body = response.read()
    conn.close()
    if response.status == 200:
        return "ACCEPTED"
    try:
        return json.loads(body)["code"]
    except (ValueError, KeyError):
        return f"HTTP {response.status}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--authprobe", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--token", help="a real Better Auth JWT to include")
    parser.add_argument("--no-http", action="store_true")
    args = parser.parse_args()
    with open(args.key, encoding="utf-8") as handle:
        jwk = json.load(handle)
    algs = [a for a in os.environ.get("BACKEND_ALGS", jwk["alg"]).split(",") if a]
    now = int(time.time())
    cases = build_cases(jwk, now, args.token)
    local = Validator(Policy(issuer=ISS, audience=AUD, algorithms=tuple(algs)), RemoteKeySet(JWKS_URL))
    failures = 0
    for case in cases:
        expected = reference_code(args.authprobe, case.token, now, algs)
        try:
            local.validate(case.token.encode("utf-8", "surrogatepass"), now=now)
            mine = "ACCEPTED"
        except Rejection as rejection:
            mine = rejection.code
        row = [case.name[:44].ljust(44), expected.ljust(26), mine.ljust(26)]
        ok = mine == expected
        if not args.no_http and not case.clock_sensitive:
            try:
                contract.bearer_token([b"Bearer " + case.token.encode()])
                expected_http = reference_code(args.authprobe, case.token, None, algs)
            except contract.BearerError as exc:
                expected_http = exc.code
            got = http_code(case.token)
            row.append(got if got == expected_http else f"{got} (want {expected_http})")
            ok = ok and got == expected_http
        failures += not ok
        print(("   " if ok else "!! ") + " ".join(row))
    print(f"{len(cases) - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
