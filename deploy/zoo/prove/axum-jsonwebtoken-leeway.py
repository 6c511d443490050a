"""Proof for axum-jsonwebtoken-leeway: tokens expired hours ago are still accepted.

Signs by hand, with the issuer's own private key (run/keys/<issuer>.json), a token whose claims are
valid in every way except that it expired two hours ago (exp = now - 2 h, iat = exp - 15 min, as
Better Auth mints them). A backend with a sane clock-skew tolerance (jsonwebtoken's default is
60 s, the zoo's bound is 5 min) refuses it; axum-jsonwebtoken-leeway (leeway = 86400 s) answers 200
with its sub (must_report: expired-accepted). A fresh hand-made token is sent first as a control,
so a refusal cannot come from the hand-made signature.
"""

import time
import uuid

import zoolib

EXPIRED_BY = 2 * 3600  # far beyond any clock-skew tolerance


def prove(backend: str, issuer: str) -> bool:
    key = zoolib.signed_control(backend, issuer)
    now = int(time.time())
    sub = f"expired-{uuid.uuid4().hex[:12]}"
    claims = zoolib.valid_claims(issuer, sub=sub, iat=now - EXPIRED_BY - 900, exp=now - EXPIRED_BY)
    token = zoolib.sign(None, claims, key)
    print(f"sent: a token signed with {issuer}'s key, sub {sub!r}, exp = now - {EXPIRED_BY} s")
    status, _, body = zoolib.me(backend, token)
    zoolib.show("expired 2 h ago", status, body)
    return 200 <= status < 300 and sub.encode() in body


if __name__ == "__main__":
    zoolib.main(prove)
