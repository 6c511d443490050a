"""FastAPI + joserfc resource server for Better Auth JWTs -- FLAWED: the claims are never validated.

Same code as fastapi-joserfc.py except for the one mistake: the JWTClaimsRegistry is built but its
validate() is never called, in the belief that jwt.decode "validates the JWT" (joserfc's guide says
it verifies only the signature and the payload's JSON). Any token the issuer ever signed is accepted:
expired ones, ones minted for another audience, ones naming another issuer.

Written from:
  - FastAPI's security docs (https://fastapi.tiangolo.com/tutorial/security/ : HTTPException 401 with
    `WWW-Authenticate: Bearer`; https://fastapi.tiangolo.com/reference/security/ : HTTPBearer as the
    dependency that extracts the credentials);
  - joserfc's JWT guide (https://jose.authlib.org/en/guide/jwt/): "Use key set" (the key set fetched
    from the public URL with requests, KeySet.import_key_set), "Callable key", jwt.decode with
    `algorithms`, and "Validate claims" (jwt.decode verifies only the signature; the claims are
    checked with JWTClaimsRegistry(...).validate(token.claims));
  - Better Auth's JWT plugin docs (keys at <baseURL>/api/auth/jwks, cacheable; "in case a JWT with a
    different kid is received, it is recommended to fetch the JWKS again"; iss = aud = base URL).
Env (set by deploy/zoo/start.sh): PORT, JWKS_URL, ISSUER, AUDIENCE.
"""

import os
import threading
import time

import requests
import uvicorn
from fastapi import Depends, FastAPI, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import GuestProtocol, KeySet

JWKS_URL = os.environ["JWKS_URL"]
ISSUER = os.environ["ISSUER"]
AUDIENCE = os.environ["AUDIENCE"]
REFETCH_COOLDOWN = 30  # seconds between refetches triggered by an unknown kid

app = FastAPI()
security = HTTPBearer()
claims_registry = jwt.JWTClaimsRegistry(
    iss={"essential": True, "value": ISSUER},
    aud={"essential": True, "value": AUDIENCE},
    sub={"essential": True},
    exp={"essential": True},
    iat={"essential": True},
)

_lock = threading.Lock()
_key_set: KeySet | None = None
_fetched_at = 0.0


def fetch_key_set() -> KeySet:
    resp = requests.get(JWKS_URL, timeout=5)
    resp.raise_for_status()
    return KeySet.import_key_set(resp.json())


def load_key(obj: GuestProtocol) -> KeySet:
    """The cached key set; fetched again (at most every 30 s) when the token's kid is not in it."""
    global _key_set, _fetched_at
    kid = obj.headers().get("kid")
    with _lock:
        known = _key_set is not None and any(key.kid == kid for key in _key_set)
        if _key_set is None or (not known and time.monotonic() - _fetched_at > REFETCH_COOLDOWN):
            _key_set = fetch_key_set()
            _fetched_at = time.monotonic()
        return _key_set


def current_claims(credentials: HTTPAuthorizationCredentials = Depends(security)) -> dict:
    try:
        token = jwt.decode(credentials.credentials, load_key, algorithms=["ES256"])
        # FLAW: claims_registry.validate(token.claims) is missing: exp, aud and iss are never checked.
    except JoseError:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="Could not validate credentials",
            headers={"WWW-Authenticate": "Bearer"},
        )
    except requests.RequestException:
        raise HTTPException(status_code=status.HTTP_503_SERVICE_UNAVAILABLE, detail="Key set unavailable")
    return token.claims


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


@app.get("/api/me")
def read_me(claims: dict = Depends(current_claims)):
    return {"sub": claims["sub"], "email": claims.get("email")}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ["PORT"]))
