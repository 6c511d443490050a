"""FastAPI + PyJWT resource server for Better Auth JWTs (compliant).

Written from:
  - FastAPI's security docs (https://fastapi.tiangolo.com/tutorial/security/ : HTTPException 401 with
    `WWW-Authenticate: Bearer`; https://fastapi.tiangolo.com/reference/security/ : HTTPBearer as the
    dependency that extracts the credentials);
  - PyJWT's usage docs ("Retrieve RSA signing keys from a JWKS endpoint": PyJWKClient +
    get_signing_key_from_jwt, then jwt.decode with algorithms, audience, issuer and options.require);
  - Better Auth's JWT plugin docs (keys at <baseURL>/api/auth/jwks; iss = aud = the base URL).
Env (set by deploy/zoo/start.sh): PORT, JWKS_URL, ISSUER, AUDIENCE, and JWT_ALGORITHMS (the issuer's
jwks.keyPairConfig algorithm, default EdDSA; the manifest sets it for the PS256 and ES512 issuers) and
JWKS_LIFESPAN_S (PyJWKClient's documented `lifespan`, how long the key set is cached; default 300, the
library's own default; the fastapi-pyjwt-lifecycle manifest sets 20 for a short key-retirement bound).
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
jwks_client = jwt.PyJWKClient(JWKS_URL, lifespan=float(os.environ.get("JWKS_LIFESPAN_S", "300")))


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
