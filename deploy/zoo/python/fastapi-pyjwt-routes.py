"""FastAPI + PyJWT resource server for Better Auth JWTs with several protected routes (FLAWED: one route).

Written from the same docs as fastapi-pyjwt.py:
  - FastAPI's security docs (https://fastapi.tiangolo.com/tutorial/security/ : HTTPException 401 with
    `WWW-Authenticate: Bearer`; https://fastapi.tiangolo.com/reference/security/ : HTTPBearer as the
    dependency that extracts the credentials), its path-parameter docs
    (https://fastapi.tiangolo.com/tutorial/path-params-numeric-validations/ : `Path(...)` with
    `examples`, shown in the generated OpenAPI document) and its request-body docs (a Pydantic model);
  - PyJWT's usage docs ("Retrieve RSA signing keys from a JWKS endpoint": PyJWKClient +
    get_signing_key_from_jwt, then jwt.decode with algorithms, audience, issuer and options.require);
  - Better Auth's JWT plugin docs (keys at <baseURL>/api/auth/jwks; iss = aud = the base URL).

Routes: GET /healthz (public); GET /api/me, GET /api/projects/{project_id} and POST /api/projects
verify the token through the shared `current_claims` dependency, exactly as fastapi-pyjwt.py does.

FLAW (one route): GET /api/export, a "quick" route added later that only needs the caller's `sub` to
name the export, reads it with PyJWT's documented snippet for reading a token's claims *without*
validation ("Reading the Claimset without Validation": `jwt.decode(token, options={"verify_signature":
False})`) instead of depending on `current_claims`. It still takes the token through the same
HTTPBearer dependency, so it answers 401/403 without a bearer token and FastAPI's /openapi.json (and
Swagger UI's padlock) list it as bearer-protected like the others, which is why it passes a glance in
review: HTTPBearer only extracts the header, it verifies nothing. On this route the signature, exp,
iss and aud are never checked; any token whose payload is a JSON object is accepted (a forged `sub`,
another key's signature, alg none). Undecodable tokens are refused with 401 (InvalidTokenError caught).

Env (set by deploy/zoo/start.sh): PORT, JWKS_URL, ISSUER, AUDIENCE, and JWT_ALGORITHMS (default EdDSA)
and JWKS_LIFESPAN_S (PyJWKClient's `lifespan`, default 300) as in fastapi-pyjwt.py.
"""

import os

import jwt
import uvicorn
from fastapi import Depends, FastAPI, HTTPException, Path, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

JWKS_URL = os.environ["JWKS_URL"]
ISSUER = os.environ["ISSUER"]
AUDIENCE = os.environ["AUDIENCE"]
ALGORITHMS = os.environ.get("JWT_ALGORITHMS", "EdDSA").split(",")

app = FastAPI()
security = HTTPBearer()
jwks_client = jwt.PyJWKClient(JWKS_URL, lifespan=float(os.environ.get("JWKS_LIFESPAN_S", "300")))


def unauthorized() -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail="Could not validate credentials",
        headers={"WWW-Authenticate": "Bearer"},
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
        raise unauthorized()


class ProjectIn(BaseModel):
    name: str


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


@app.get("/api/me")
def read_me(claims: dict = Depends(current_claims)):
    return {"sub": claims["sub"], "email": claims.get("email")}


@app.get("/api/projects/{project_id}")
def read_project(project_id: int = Path(examples=[42]), claims: dict = Depends(current_claims)):
    return {"id": project_id, "name": f"project {project_id}", "owner": claims["sub"]}


@app.post("/api/projects", status_code=status.HTTP_201_CREATED)
def create_project(project: ProjectIn, claims: dict = Depends(current_claims)):
    return {"id": 43, "name": project.name, "owner": claims["sub"]}


@app.get("/api/export")
def export(credentials: HTTPAuthorizationCredentials = Depends(security)):
    try:
        # FLAW: PyJWT's "read the claims without validation" snippet instead of Depends(current_claims):
        # no signature, exp, iss or aud check on this route.
        claims = jwt.decode(credentials.credentials, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        raise unauthorized()
    sub = claims.get("sub")
    return {"sub": sub, "filename": f"export-{sub}.json", "projects": []}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ["PORT"]))
