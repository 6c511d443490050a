"""Proof for fastapi-pyjwt-no-aud (audience-not-checked).

A token signed with the issuer's own key (run/keys/<issuer>.json), with valid exp/iat/iss/sub but an
`aud` naming another application, must be refused by a backend that checks its audience. Exit 0 if
it is accepted (flaw present), 1 if refused, 2 if the setup fails (see zoolib.main).
"""

import zoolib

FOREIGN_AUDIENCE = "https://another-app.example"


def prove(backend: str, issuer: str) -> bool:
    key = zoolib.signed_control(backend, issuer)
    token = zoolib.sign(None, zoolib.valid_claims(issuer, aud=FOREIGN_AUDIENCE), key)
    status, _, body = zoolib.me(backend, token)
    zoolib.show(f"aud={FOREIGN_AUDIENCE!r}, issuer key, otherwise valid", status, body)
    return 200 <= status < 300


if __name__ == "__main__":
    zoolib.main(prove)
