"""Proof for fastapi-joserfc-no-claims (expired-accepted, audience-not-checked, issuer-not-checked).

Three tokens signed with the issuer's own key (run/keys/<issuer>.json), each with one claim wrong:
expired two hours ago, minted for another audience, naming another issuer. A backend that validates
the claims refuses all three. Exit 0 if any is accepted (flaw present; the output says which), 1 if
all are refused, 2 if the setup fails.
"""

import time

import zoolib


def prove(backend: str, issuer: str) -> bool:
    key = zoolib.signed_control(backend, issuer)
    now = int(time.time())
    cases = {
        "expired 2 h ago (exp = now - 7200)": zoolib.valid_claims(issuer, iat=now - 7200 - 900, exp=now - 7200),
        "aud = another app": zoolib.valid_claims(issuer, aud="https://another-app.example"),
        "iss = another issuer": zoolib.valid_claims(issuer, iss="https://another-issuer.example"),
    }
    accepted = []
    for label, claims in cases.items():
        status, _, body = zoolib.me(backend, zoolib.sign(None, claims, key))
        zoolib.show(label, status, body)
        if 200 <= status < 300:
            accepted.append(label)
    if accepted:
        print(f"  accepted: {'; '.join(accepted)}")
    return bool(accepted)


if __name__ == "__main__":
    zoolib.main(prove)
