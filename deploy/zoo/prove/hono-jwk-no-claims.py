"""Proof for hono-jwk-no-claims: Hono's jwk() middleware without `verification`, so neither `iss`
nor `aud` is checked.

Takes a real JWT's claims and signs, with the issuer's own private key (run/keys/<issuer>.json,
exported by start.sh), one token whose `aud` names another service and one whose `iss` names another
issuer (both with a forged sub, kid kept). A backend that pins its issuer and audience refuses both;
hono-jwk-no-claims accepts both (must_report: audience-not-checked, issuer-not-checked). The flaw is
reported when either is accepted; the output says which.
"""

import zoolib


def prove(backend: str, issuer: str) -> bool:
    key = zoolib.issuer_key(issuer)
    real = zoolib.session_jwt(issuer)
    real_header, claims = zoolib.decode_unverified(real)
    if real_header.get("kid") != key.get("kid"):
        raise zoolib.Setup(f"the issuer signs with kid {real_header.get('kid')!r}, run/keys has {key.get('kid')!r}")
    forged_sub = "forged-" + claims["sub"]
    cases = [
        ("aud of another service", dict(claims, sub=forged_sub, aud="https://other-service.example")),
        ("iss of another issuer", dict(claims, sub=forged_sub, iss="https://evil-issuer.example")),
    ]
    accepted = []
    for label, forged in cases:
        token = zoolib.sign(dict(real_header), forged, key, real_header["alg"])
        print(f"sent: {real_header['alg']} token signed with the issuer's key, {label}, sub {forged_sub!r}")
        status, _, body = zoolib.me(backend, token)
        zoolib.show(label, status, body)
        if 200 <= status < 300 and forged_sub.encode() in body:
            accepted.append(label)
    print(f"accepted: {', '.join(accepted) or 'none'}")
    return bool(accepted)


if __name__ == "__main__":
    zoolib.main(prove)
