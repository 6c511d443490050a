"""Proof for fastapi-pyjwt-cache-forever (key-adoption, key-retirement).

The issuer rotates its signing key (the lab control plane's POST /__lab/rotate mints a key with Better
Auth's own createJwk, as its rotation does; the new key is published in /jwks at once and signs every
new token). A backend that follows Better Auth's docs refetches the key set for the unknown kid and
accepts the new tokens within its refetch cooldown (30 s for PyJWKClient and jose). Exit 0 if a token
signed with the new key is still refused 45 s after the rotation (the backend never refetches: flaw
present), 1 if it is accepted, 2 if the setup fails. The new key is removed again afterwards
(POST /__lab/retire), so the issuer signs with its previous key and the backend works as before.
"""

import json
import time

import zoolib

WAIT_S = 45


def lab(issuer: str, method: str, path: str) -> dict:
    status, _, body = zoolib.request(method, zoolib.ISSUERS[issuer]["url"] + "/__lab/" + path)
    if status != 200:
        raise zoolib.Setup(f"lab control plane {method} /__lab/{path}: HTTP {status} {body[:200]!r}")
    return json.loads(body)


def prove(backend: str, issuer: str) -> bool:
    rotated = lab(issuer, "POST", "rotate")
    kid = rotated["kid"]
    print(f"rotated: new kid {kid} (previous {rotated['previous']})")
    try:
        token = zoolib.session_jwt(issuer)
        if zoolib.decode_unverified(token)[0].get("kid") != kid:
            raise zoolib.Setup("the issuer's new token is not signed with the new key")
        start = time.monotonic()
        while True:
            status, _, body = zoolib.me(backend, token)
            waited = time.monotonic() - start
            if 200 <= status < 300:
                zoolib.show(f"token signed with the new key, {waited:.1f} s after the rotation", status, body)
                return False
            if not 400 <= status < 500:
                raise zoolib.Setup(f"the new key's token gave HTTP {status}, neither accepted nor refused")
            if waited >= WAIT_S:
                zoolib.show(f"token signed with the new key, {waited:.1f} s after the rotation", status, body)
                return True
            time.sleep(2)
    finally:
        lab(issuer, "POST", f"retire?kid={kid}")
        print(f"retired the new kid {kid} again: the issuer signs with its previous key")


if __name__ == "__main__":
    zoolib.main(prove)
