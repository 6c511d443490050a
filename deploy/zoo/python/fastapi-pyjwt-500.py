"""FastAPI + PyJWT resource server for Better Auth JWTs -- FLAWED: unknown kid -> HTTP 500.

Same code as fastapi-pyjwt.py (FastAPI security docs: HTTPBearer + HTTPException 401 with
`WWW-Authenticate: Bearer`; PyJWT docs: PyJWKClient + jwt.decode with algorithms, audience, issuer
and options.require), except for the one mistake: only `jwt.InvalidTokenError` is caught, "the base
class of every token error". PyJWKClient's errors (PyJWKClientError: no key matches the token's kid,
or the token has no kid; PyJWKClientConnectionError: JWKS unreachable) are not InvalidTokenErrors,
so anyone can make this API answer 500 Internal Server Error with a token naming an unknown kid.
Env (set by deploy/zoo/start.sh): PORT, JWKS_URL, ISSUER, AUDIENCE.
"""

import os

import jwt
import uvicorn
from fastapi import Depends, FastAPI, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

JWKS_URL = os.environ["JWKS_URL"]
ISSUER = os.environ["ISSUER"]
AUDIENCE = os.environ["AUDIENCE"]

app = FastAPI()
security = HTTPBearer()
jwks_client = jwt.PyJWKClient(JWKS_URL)


def current_claims(credentials: HTTPAuthorizationCredentials = Depends(security)) -> dict:
    token = credentials.credentials
    try:
        signing_key = jwks_client.get_signing_key_from_jwt(token)
        return jwt.decode(
            token,
            signing_key.key,
            algorithms=["EdDSA"],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
    except jwt.InvalidTokenError:  # FLAW: jwt.PyJWKClientError is not caught: it escapes as a 500
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
