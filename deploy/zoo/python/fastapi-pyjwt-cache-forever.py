"""FastAPI + PyJWT resource server for Better Auth JWTs that loads the key set once (flawed).

Written from the same docs as fastapi-pyjwt (FastAPI's security docs, PyJWT's usage docs), reading
half of Better Auth's JWT plugin docs: "this key is not subject to frequent changes, it can be
cached indefinitely" — and not the next sentence ("in case a JWT with a different kid is received,
it is recommended to fetch the JWKS again").

FLAW: the JWKS is fetched once at start-up and never again: after the issuer rotates, tokens signed
with the new key are refused until a restart (every user locked out), and a key the issuer removed
(retired, or compromised) stays trusted forever.
Env (set by deploy/zoo/start.sh): PORT, JWKS_URL, ISSUER, AUDIENCE, JWT_ALGORITHMS (default EdDSA).
"""

import json
import os
import urllib.request

import jwt
import uvicorn
from fastapi import Depends, FastAPI, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

JWKS_URL = os.environ["JWKS_URL"]
ISSUER = os.environ["ISSUER"]
AUDIENCE = os.environ["AUDIENCE"]
ALGORITHMS = os.environ.get("JWT_ALGORITHMS", "EdDSA").split(",")

with urllib.request.urlopen(JWKS_URL, timeout=5) as response:  # FLAW: once, at start-up
    KEYS = {k.key_id: k for k in jwt.PyJWKSet.from_dict(json.load(response)).keys}

app = FastAPI()
security = HTTPBearer()


def unauthorized() -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail="Could not validate credentials",
        headers={"WWW-Authenticate": "Bearer"},
    )


def current_claims(credentials: HTTPAuthorizationCredentials = Depends(security)) -> dict:
    token = credentials.credentials
    try:
        kid = jwt.get_unverified_header(token).get("kid")
        key = KEYS.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise unauthorized()
        return jwt.decode(
            token,
            key.key,
            algorithms=ALGORITHMS,
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
    except jwt.InvalidTokenError:
        raise unauthorized()


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


@app.get("/api/me")
def read_me(claims: dict = Depends(current_claims)):
    return {"sub": claims["sub"], "email": claims.get("email")}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ["PORT"]))
