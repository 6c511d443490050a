"""FastAPI + PyJWT resource server for Better Auth JWTs that refetches the key set for every unknown kid
(flawed).

Written from the same docs as fastapi-pyjwt (FastAPI's security docs, PyJWT's usage docs), plus the
PyJWKClient docstring: "A newly rotated key may therefore wait for the cooldown period before it is
fetched; set cooldown_duration to 0 to disable this behavior." A team that wanted rotated keys honoured
at once did exactly that.

FLAW: cooldown_duration=0: every token whose kid is not in the cached key set (anyone can make one: any
header with a made-up kid) makes the backend fetch the JWKS again, so a flood of such tokens becomes a
flood of requests to the auth server (an amplifier against the issuer, and a slow path for the backend).
Env (set by deploy/zoo/start.sh): PORT, JWKS_URL, ISSUER, AUDIENCE, JWT_ALGORITHMS (default EdDSA) and
JWKS_LIFESPAN_S (PyJWKClient's lifespan, as in fastapi-pyjwt).
"""

import os

import jwt
import uvicorn
from fastapi import Depends, FastAPI, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

JWKS_URL = os.environ["JWKS_URL"]
ISSUER = os.environ["ISSUER"]
AUDIENCE = os.environ["AUDIENCE"]
ALGORITHMS = os.environ.get("JWT_ALGORITHMS", "EdDSA").split(",")

app = FastAPI()
security = HTTPBearer()
jwks_client = jwt.PyJWKClient(
    JWKS_URL,
    lifespan=float(os.environ.get("JWKS_LIFESPAN_S", "300")),
    cooldown_duration=0,  # FLAW: no cooldown between forced refetches
)


def current_claims(credentials: HTTPAuthorizationCredentials = Depends(security)) -> dict:
    token = credentials.credentials
    try:
        signing_key = jwks_client.get_signing_key_from_jwt(token)
        return jwt.decode(
            token,
            signing_key.key,
            algorithms=ALGORITHMS,
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
    except (jwt.InvalidTokenError, jwt.PyJWKClientError):
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="Could not validate credentials",
            headers={"WWW-Authenticate": "Bearer"},
        )


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


@app.get("/api/me")
def read_me(claims: dict = Depends(current_claims)):
    return {"sub": claims["sub"], "email": claims.get("email")}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ["PORT"]))
