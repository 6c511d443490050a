"""Proof for fastapi-pyjwt-500 (server-error).

Anyone can make a token: a fresh key of the issuer's algorithm signs otherwise valid claims, once
with a `kid` the issuer never published and once with no `kid` at all. A backend must refuse both
with a 4xx; exit 0 if either gets a 5xx (flaw present), 1 if both are refused with 4xx, 2 if the
setup fails or the answer is something else.
"""

import uuid

import zoolib


def prove(backend: str, issuer: str) -> bool:
    alg = zoolib.ISSUERS[issuer]["alg"]
    attacker = zoolib.generate_jwk(alg)
    claims = zoolib.valid_claims(issuer)
    server_error = False
    for label, header in (
        ("unknown kid", {"alg": alg, "kid": f"zoo-unknown-{uuid.uuid4().hex}"}),
        ("no kid", {"alg": alg}),
    ):
        status, _, body = zoolib.me(backend, zoolib.sign(header, claims, attacker, alg))
        zoolib.show(f"{label}, attacker's {alg} key", status, body)
        if status >= 500:
            server_error = True
        elif not 400 <= status < 500:
            raise zoolib.Setup(f"{label}: HTTP {status}, neither a refusal (4xx) nor a server error")
    return server_error


if __name__ == "__main__":
    zoolib.main(prove)
