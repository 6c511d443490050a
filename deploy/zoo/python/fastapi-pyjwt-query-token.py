"""FastAPI + PyJWT resource server for Better Auth JWTs -- FLAWED: also takes the token from the URL.

Same verification as fastapi-pyjwt.py (FastAPI security docs: HTTPBearer, HTTPException 401 with
`WWW-Authenticate: Bearer`; PyJWT docs: PyJWKClient + jwt.decode with algorithms, audience, issuer
and options.require), except for the one mistake: a "convenience" for links, <img>/EventSource and
WebSocket clients that cannot set headers. When there is no Authorization header, the token is read
from `?access_token=` or `?token=` (HTTPBearer(auto_error=False) + Query parameters), so valid
tokens end up in access logs, proxy logs, browser history and Referer headers (RFC 6750 §5.3).
uvicorn's access log is turned off here only so the zoo's own logs carry no tokens
(deploy/zoo/CONVENTIONS.md); any proxy in front would still log them.
Env (set by deploy/zoo/start.sh): PORT, JWKS_URL, ISSUER, AUDIENCE.
"""

import os

import jwt
import uvicorn
from fastapi import Depends, FastAPI, HTTPException, Query, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

JWKS_URL = os.environ["JWKS_URL"]
ISSUER = os.environ["ISSUER"]
AUDIENCE = os.environ["AUDIENCE"]

app = FastAPI()
security = HTTPBearer(auto_error=False)
jwks_client = jwt.PyJWKClient(JWKS_URL)


def unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=detail,
        headers={"WWW-Authenticate": "Bearer"},
    )


def current_claims(
    credentials: HTTPAuthorizationCredentials | None = Depends(security),
    access_token: str | None = Query(default=None),
    token_param: str | None = Query(default=None, alias="token"),
) -> dict:
    if credentials is not None:
        token = credentials.credentials
    else:
        # FLAW: the bearer token is accepted from the query string (?access_token= / ?token=).
        token = access_token or token_param
    if not token:
        raise unauthorized("Not authenticated")
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
    except (jwt.InvalidTokenError, jwt.PyJWKClientError):
        raise unauthorized("Could not validate credentials")


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


@app.get("/api/me")
def read_me(claims: dict = Depends(current_claims)):
    return {"sub": claims["sub"], "email": claims.get("email")}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ["PORT"]), access_log=False)
