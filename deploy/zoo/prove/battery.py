"""Hand checks of one running zoo backend: ~95 requests, one line each (case, expectation, status, body).

    python/.venv/bin/python prove/battery.py http://127.0.0.1:31210 eddsa      (cwd deploy/zoo)

Not a proof and not run by prove.sh: the battery the Python backends were checked with before being
declared compliant (valid token 200; no token, garbage, tampered, alg none, HS256 keyed with the
public key, expired, wrong aud/iss, unknown kid, huge header, empty Bearer -> 4xx, never 5xx) and the
source of their manifests' [library_behaviour] entries (the cases marked "?" have no fixed
expectation: they show how the library reads padding, duplicates, typ, crit, time boundaries...).
Flags ("<-- !!") a 5xx, and a 2xx/4xx where the other is required.
"""
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import zoolib as z
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

backend, issuer = sys.argv[1], sys.argv[2]
I = z.ISSUERS[issuer]; alg = I["alg"]; key = z.issuer_key(issuer); kid = key["kid"]
pub = z.public_jwk(key)
now = int(time.time())
H = {"alg": alg, "kid": kid}
def claims(**o): return z.valid_claims(issuer, **o)
def tok(header=None, payload=None, k=None, a=None):
    return z.sign(H if header is None else header, claims() if payload is None else payload, k or key, a or alg)
attacker = z.generate_jwk(alg)
session = z.session_jwt(issuer)
h64, p64, s64 = session.split(".")
cases = []
def case(name, expect, headers=None, token=None, query=""):
    if callable(token):
        cases.append((name, expect, token, query))
    else:
        cases.append((name, expect, headers if headers is not None else ({"Authorization": f"Bearer {token}"} if token is not None else {}), query))

case("valid session JWT", "2xx", token=session)
case("valid hand-made", "2xx", token=tok())
case("lower-case scheme 'bearer'", "?", headers={"Authorization": f"bearer {session}"})
case("no Authorization", "4xx", headers={})
case("Authorization: Bearer (empty)", "4xx", headers={"Authorization": "Bearer "})
case("Authorization: Bearer", "4xx", headers={"Authorization": "Bearer"})
case("Basic scheme", "4xx", headers={"Authorization": "Basic dXNlcjpwYXNz"})
case("garbage 'abc'", "4xx", token="abc")
case("garbage (non-base64 characters)", "4xx", token="!!!.@@@.###")
case("two segments", "4xx", token=f"{h64}.{p64}")
case("four segments", "4xx", token=f"{session}.x")
case("five segments (JWE shape)", "4xx", token=f"{h64}.a.b.c.d")
case("tampered signature (middle)", "4xx", token=z.tamper(session))
case("tampered payload", "4xx", token=f"{h64}.{z.b64u(json.dumps({**z.decode_unverified(session)[1], 'sub': 'admin'}).encode())}.{s64}")
case("empty signature", "4xx", token=f"{h64}.{p64}.")
case("alg none, real kid", "4xx", token=z.sign({"alg": "none", "kid": kid}, claims(), {}, "none"))
case("alg None, real kid", "4xx", token=z.sign({"alg": "None", "kid": kid}, claims(), {}, "none"))
for label, secret in [("PEM", z.public_pem(pub)), ("JWK JSON", json.dumps(pub).encode()), ("x/n bytes", z.b64u_decode(pub.get("x") or pub.get("n")))]:
    case(f"HS256 keyed with public {label}", "4xx", token=z.sign_hmac({"alg": "HS256", "kid": kid}, claims(), secret))
case("attacker key, real kid", "4xx", token=tok(k=attacker))
case("attacker key, unknown kid", "4xx", token=tok(header={"alg": alg, "kid": "zoo-unknown"}, k=attacker))
case("attacker key, no kid", "4xx", token=tok(header={"alg": alg}, k=attacker))
case("attacker key, embedded jwk, real kid", "4xx", token=tok(header={"alg": alg, "kid": kid, "jwk": z.public_jwk(attacker)}, k=attacker))
case("attacker key, embedded jwk, no kid", "4xx", token=tok(header={"alg": alg, "jwk": z.public_jwk(attacker)}, k=attacker))
case("issuer key, no kid", "?", token=tok(header={"alg": alg}))
case("issuer key, kid 123 (number)", "4xx", token=tok(header={"alg": alg, "kid": 123}))
case("issuer key, kid object", "4xx", token=tok(header={"alg": alg, "kid": {"a": 1}}))
case("issuer key, kid list", "4xx", token=tok(header={"alg": alg, "kid": [kid]}))
case("no alg, real kid", "4xx", token=tok(header={"kid": kid}))
case("alg 123", "4xx", token=tok(header={"alg": 123, "kid": kid}))
case("alg list", "4xx", token=tok(header={"alg": [alg], "kid": kid}))
case("alg null", "4xx", token=tok(header={"alg": None, "kid": kid}))
case("header is a JSON array", "4xx", token=z.b64u(b"[1]") + "." + p64 + "." + s64)
case("header is a JSON string", "4xx", token=z.b64u(b'"x"') + "." + p64 + "." + s64)
case("header not JSON", "4xx", token=z.b64u(b"{nope") + "." + p64 + "." + s64)
case("header not UTF-8", "4xx", token=z.b64u(b"\xff\xfe{") + "." + p64 + "." + s64)
case("payload is a JSON array (issuer key)", "4xx", token=tok(payload=b"[1]"))
case("payload not JSON (issuer key)", "4xx", token=tok(payload=b"nope"))
case("other alg, real kid (ES256/EdDSA swap)", "4xx", token=z.sign({"alg": "ES256" if alg != "ES256" else "EdDSA", "kid": kid}, claims(), z.generate_jwk("ES256" if alg != "ES256" else "EdDSA")))
case("expired 60 s ago", "4xx", token=tok(payload=claims(iat=now - 960, exp=now - 60)))
case("expired 2 h ago", "4xx", token=tok(payload=claims(iat=now - 8000, exp=now - 7200)))
def at(**delta):
    return lambda: tok(payload=claims(**{k: int(time.time()) + v for k, v in delta.items()}))
case("exp = now (boundary)", "?", token=at(iat=-900, exp=0))
case("exp = now + 1", "?", token=at(iat=-899, exp=1))
case("exp = now + 2", "?", token=at(iat=-899, exp=2))
case("exp = now - 1", "?", token=at(iat=-901, exp=-1))
case("iat = now + 1", "?", token=at(iat=1))
case("nbf = now", "?", token=at(nbf=0))
case("nbf = now + 1", "?", token=at(nbf=1))
case("no exp", "?", token=tok(payload=claims(exp=None)))
case("exp as string", "?", token=tok(payload=claims(exp=str(now + 900))))
case("exp float", "?", token=tok(payload=claims(exp=now + 900.5)))
case("exp 1e400 (inf)", "?", token=tok(payload=json.dumps(claims(exp="@EXP@")).replace('"@EXP@"', "1e400")))
case("exp bool true", "?", token=tok(payload=claims(exp=True)))
case("nbf now + 1 h", "?", token=tok(payload=claims(nbf=now + 3600)))
case("nbf now + 10 s", "?", token=tok(payload=claims(nbf=now + 10)))
case("iat now + 1 h", "?", token=tok(payload=claims(iat=now + 3600)))
case("iat now + 10 s", "?", token=tok(payload=claims(iat=now + 10)))
case("no iat", "?", token=tok(payload=claims(iat=None)))
case("no sub", "?", token=tok(payload=claims(sub=None)))
case("sub number", "?", token=tok(payload=claims(sub=12345)))
case("wrong aud", "4xx", token=tok(payload=claims(aud="https://another-app.example")))
case("aud list with ours", "?", token=tok(payload=claims(aud=["https://other.example", I["url"]])))
case("aud list without ours", "4xx", token=tok(payload=claims(aud=["https://other.example"])))
case("aud with trailing slash", "?", token=tok(payload=claims(aud=I["url"] + "/")))
case("no aud", "?", token=tok(payload=claims(aud=None)))
case("wrong iss", "4xx", token=tok(payload=claims(iss="https://another-issuer.example")))
case("iss with trailing slash", "?", token=tok(payload=claims(iss=I["url"] + "/")))
case("no iss", "?", token=tok(payload=claims(iss=None)))
case("typ JWT", "?", token=tok(header={**H, "typ": "JWT"}))
case("typ at+jwt", "?", token=tok(header={**H, "typ": "at+jwt"}))
case("typ garbage", "?", token=tok(header={**H, "typ": "foo/bar"}))
case("crit [unknown] + member", "?", token=tok(header={**H, "crit": ["zoo-ext"], "zoo-ext": 1}))
case("crit [unknown] without member", "?", token=tok(header={**H, "crit": ["zoo-ext"]}))
case("crit [exp] (registered name)", "?", token=tok(header={**H, "crit": ["exp"]}))
case("crit empty list", "?", token=tok(header={**H, "crit": []}))
case("crit b64 false (RFC 7797)", "?", token=tok(header={**H, "b64": False, "crit": ["b64"]}))
for label, extra in [("jwk (attacker's public key)", {"jwk": z.public_jwk(attacker)}), ("jku", {"jku": "http://127.0.0.1:9/jwks"}),
                     ("x5u", {"x5u": "http://127.0.0.1:9/x"}), ("x5c", {"x5c": ["MIIB"]}), ("zip DEF", {"zip": "DEF"}),
                     ("enc", {"enc": "A128GCM"}), ("b64 false without crit", {"b64": False}), ("cty JWT", {"cty": "JWT"})]:
    case(f"issuer key + header {label}", "?", token=tok(header={**H, **extra}))
case("duplicate sub in payload (last=admin)", "?", token=tok(payload=json.dumps(claims())[:-1] + ',"sub":"admin"}'))
case("duplicate alg in header (first none)", "?", token=tok(header='{"alg":"none","kid":"%s","alg":"%s"}' % (kid, alg)))
case("duplicate kid in header", "?", token=tok(header='{"alg":"%s","kid":"nope","kid":"%s"}' % (alg, kid)))
ht = tok()
hh, pp, ss = ht.split(".")
pad = lambda s: s + "=" * (-len(s) % 4)
case("'=' padding on all segments", "?", token=f"{pad(hh)}.{pad(pp)}.{pad(ss)}")
case("'=' padding on signature", "?", token=f"{hh}.{pp}.{pad(ss)}")
while "-" not in ss and "_" not in ss:
    ht = tok(payload=claims(jti=str(time.time()))); hh, pp, ss = ht.split(".")
case("standard base64 (+/) in signature", "?", token=f"{hh}.{pp}.{ss.replace('-', '+').replace('_', '/')}")
last = ss[-1]; alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
sig = z.b64u_decode(ss)
unused = (6 - (len(sig) * 8) % 6) % 6
if unused:
    i = alphabet.index(last); alt = alphabet[i ^ 1]
    case(f"last signature char, padding bit changed ({unused} unused bits)", "?", token=f"{hh}.{pp}.{ss[:-1]}{alt}")
if alg.startswith("ES"):
    n = {"ES256": 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
         "ES512": 0x1fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409}[alg]
    size = len(sig) // 2
    r, s = int.from_bytes(sig[:size], "big"), int.from_bytes(sig[size:], "big")
    case("ECDSA (r, n - s) malleated signature", "?", token=f"{hh}.{pp}.{z.b64u(r.to_bytes(size, 'big') + (n - s).to_bytes(size, 'big'))}")
    case("ECDSA signature in DER form", "4xx", token=f"{hh}.{pp}.{z.b64u(encode_dss_signature(r, s))}")
case("whitespace in token (space before sig)", "4xx", headers={"Authorization": f"Bearer {hh}.{pp}. {ss}"})
case("token with trailing space", "?", headers={"Authorization": f"Bearer {ht} "})
case("double space after Bearer", "?", headers={"Authorization": f"Bearer  {ht}"})
case("two Authorization values", "?", headers={"Authorization": f"Bearer {ht}, Bearer {ht}"})
big = "A" * 20000
case("huge header (20 KB token)", "4xx", token=big)
case("huge kid (12 KB) in a token", "4xx", token=tok(header={"alg": alg, "kid": "k" * 12000}, k=attacker))
case("valid JWT in ?access_token=", "4xx", headers={}, query="access_token=" + session)
case("deeply nested header", "4xx", token=z.b64u(b'{"alg":"' + alg.encode() + b'","x":' + b"[" * 5000 + b"]" * 5000 + b"}") + "." + p64 + "." + s64)

fmt = "{:<52} {:<6} {:<5} {}"
bad = 0
for name, expect, headers, query in cases:
    if callable(headers):
        headers = {"Authorization": f"Bearer {headers()}"}
    status, h, body = z.get(backend + "/api/me" + (f"?{query}" if query else ""), headers, timeout=10)
    cls = f"{status // 100}xx"
    flag = ""
    if status >= 500 or (expect != "?" and cls != expect):
        flag = "  <-- !!"; bad += 1
    print(fmt.format(name, expect, status, (body[:70].decode("utf-8", "replace") + " " + h.get("www-authenticate", "")).strip()) + flag)
print(f"{len(cases)} cases, {bad} unexpected")
