"""Proof for fastapi-pyjwt-no-cooldown (jwks-fetch-amplification).

Anyone can make a token with a made-up kid (a fresh key of the issuer's algorithm signs valid-looking
claims). Ten such tokens, one after the other; the issuer's lab control plane counts the GET /jwks
requests it served (GET /__lab/jwks-fetches) before and after. A backend with a refetch cooldown (the
library defaults: 30 s for PyJWKClient and jose) fetches at most once or twice; exit 0 if the ten
tokens caused at least eight fetches (flaw present), 1 if at most two, 2 otherwise or if the setup fails.
"""

import json
import uuid

import zoolib

TOKENS = 10


def fetches(issuer: str) -> int:
    status, _, body = zoolib.get(zoolib.ISSUERS[issuer]["url"] + "/__lab/jwks-fetches")
    if status != 200:
        raise zoolib.Setup(f"lab control plane GET /__lab/jwks-fetches: HTTP {status}")
    return int(json.loads(body)["count"])


def prove(backend: str, issuer: str) -> bool:
    alg = zoolib.ISSUERS[issuer]["alg"]
    attacker = zoolib.generate_jwk(alg)
    claims = zoolib.valid_claims(issuer)
    before = fetches(issuer)
    for _ in range(TOKENS):
        token = zoolib.sign({"alg": alg, "kid": f"zoo-unknown-{uuid.uuid4().hex}"}, claims, attacker, alg)
        status, _, body = zoolib.me(backend, token)
        if not 400 <= status < 500:
            raise zoolib.Setup(f"a token with an unknown kid gave HTTP {status} (4xx expected): {body[:200]!r}")
    caused = fetches(issuer) - before
    print(f"{TOKENS} tokens with unknown kids -> {caused} JWKS fetches at the issuer")
    if caused >= TOKENS - 2:
        return True
    if caused <= 2:
        return False
    raise zoolib.Setup(f"{caused} fetches for {TOKENS} tokens: neither bounded nor one per token")


if __name__ == "__main__":
    zoolib.main(prove)
