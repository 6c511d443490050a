"""Proof for fastapi-pyjwt-query-token (token-in-url).

A valid JWT from the issuer's /api/auth/token, sent with no Authorization header but in the query
string as `?access_token=` (RFC 6750 §2.3) and as `?token=`. Exit 0 if either request is answered
2xx (flaw present), 1 if both are refused, 2 if the setup fails.
"""

import urllib.parse

import zoolib


def prove(backend: str, issuer: str) -> bool:
    token = zoolib.session_jwt(issuer)
    accepted = False
    for param in ("access_token", "token"):
        status, _, body = zoolib.me(backend, None, query=urllib.parse.urlencode({param: token}))
        zoolib.show(f"no Authorization header, ?{param}=<valid JWT>", status, body)
        accepted = accepted or 200 <= status < 300
    return accepted


if __name__ == "__main__":
    zoolib.main(prove)
