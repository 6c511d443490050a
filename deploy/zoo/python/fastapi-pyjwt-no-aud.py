"""FastAPI + PyJWT resource server for Better Auth JWTs -- FLAWED: the audience is never checked.

Same code as fastapi-pyjwt.py (FastAPI security docs: HTTPBearer + HTTPException 401 with
`WWW-Authenticate: Bearer`; PyJWT docs: PyJWKClient + jwt.decode), except for the one mistake:
jwt.decode raised InvalidAudienceError ("Invalid audience") because no `audience=` was passed, and
the "fix" found on the web was `options={"verify_aud": False}`. A token the issuer minted for any
other audience (another API or app sharing this Better Auth) is accepted here.
Env (set by deploy/zoo/start.sh): PORT, JWKS_URL, ISSUER, AUDIENCE (unused: that is the flaw).
"""

import os

import jwt
import uvicorn
from fastapi import Depends, FastAPI, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

JWKS_URL = os.environ["JWKS_URL"]
ISSUER = os.environ["ISSUER"]

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
            issuer=ISSUER,
            # FLAW: "verify_aud": False silences InvalidAudienceError: any audience is accepted.
            options={"verify_aud": False, "require": ["exp", "iat", "iss", "sub"]},
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
