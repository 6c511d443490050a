"""The lab's backend API: FastAPI + PyJWT, validating Better Auth JWTs by spec 002 §4 and answering
every failure with its row of contracts/errors.md. Endpoints and CORS: contracts/http-api.md §2.

Run:  python app.py        (uvicorn on 127.0.0.1:$BACKEND_PORT, h11, 64 KiB header block)

Environment (defaults in brackets):
  JWKS_URL            [http://127.0.0.1:43100/api/auth/jwks]
  EXPECTED_ISSUER     [http://127.0.0.1:43100]
  EXPECTED_AUDIENCE   [http://127.0.0.1:43100]
  BACKEND_PORT        [43180]
  BACKEND_REALM       [api]
  BACKEND_ALGS        [EdDSA]  comma-separated allowlist, e.g. ES256 or RS256 for those key variants
  BACKEND_LEEWAY      [30]     seconds, 0 ... 300
  BACKEND_MAX_LIFETIME [unset] seconds; caps exp - iat (TOKEN_LIFETIME_EXCEEDED)
  BACKEND_RATE_LIMIT  [off]    max/window_seconds per client address, e.g. 100/10 (RATE_LIMITED, 429)
  FRONTEND_ORIGIN     [http://127.0.0.1:5173]  the one CORS origin
  BACKEND_JSON_FLOATS [serde]  how JSON decimals are rounded: serde = like the authprobe binary
                      (serde_json without float_roundtrip), roundtrip = correctly rounded
  BACKEND_LOG_LEVEL   [info]
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

import contract
import strict
from keys import RemoteKeySet
from validator import Policy, Rejection, Validator

log = logging.getLogger("backend")


def _env_int(name: str, default: int | None) -> int | None:
    raw = os.environ.get(name, "")
    if raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        sys.exit(f"{name} must be an integer, got {raw!r}")


class RateLimiter:
    """A fixed window per client, as authprobe's gate.rs RateLimiter."""

    def __init__(self, max_requests: int, window: float):
        self.max_requests = max_requests
        self.window = window
        self._windows: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def check(self, client: str) -> int | None:
        """Counts one request; the seconds to wait once the client is over the limit, else None."""
        now = time.monotonic()
        with self._lock:
            entry = self._windows.setdefault(client, [now, 0])
            if now - entry[0] >= self.window:
                entry[0], entry[1] = now, 0
            if entry[1] >= self.max_requests:
                return max(1, int(self.window - (now - entry[0])))
            entry[1] += 1
            return None


def _rate_limiter_from_env() -> RateLimiter | None:
    raw = os.environ.get("BACKEND_RATE_LIMIT", "").strip()
    if raw in ("", "off"):
        return None
    try:
        max_requests, window = (int(part) for part in raw.split("/"))
        if max_requests < 1 or window < 1:
            raise ValueError
    except ValueError:
        sys.exit(f"BACKEND_RATE_LIMIT must be max/window_seconds (e.g. 100/10) or off, got {raw!r}")
    return RateLimiter(max_requests, window)


ISSUER = os.environ.get("EXPECTED_ISSUER", "http://127.0.0.1:43100")
AUDIENCE = os.environ.get("EXPECTED_AUDIENCE", "http://127.0.0.1:43100")
JWKS_URL = os.environ.get("JWKS_URL", "http://127.0.0.1:43100/api/auth/jwks")
REALM = os.environ.get("BACKEND_REALM", "api")
FRONTEND_ORIGIN = os.environ.get("FRONTEND_ORIGIN", "http://127.0.0.1:5173")
try:
    strict.set_float_mode(os.environ.get("BACKEND_JSON_FLOATS", "serde"))
    POLICY = Policy(
        issuer=ISSUER,
        audience=AUDIENCE,
        algorithms=tuple(a for a in os.environ.get("BACKEND_ALGS", "EdDSA").split(",") if a),
        leeway=_env_int("BACKEND_LEEWAY", 30),
        max_lifetime=_env_int("BACKEND_MAX_LIFETIME", None),
    )
    VALIDATOR = Validator(
        POLICY,
        RemoteKeySet(
            JWKS_URL,
            cache_ttl=float(os.environ.get("BACKEND_JWKS_TTL", "300")),
            min_refetch_interval=float(os.environ.get("BACKEND_JWKS_REFETCH_INTERVAL", "10")),
        ),
    )
except Exception as exc:  # noqa: BLE001 - a configuration error: say it and stop
    sys.exit(f"backend configuration error: {exc}")
RATE_LIMITER = _rate_limiter_from_env()

app = FastAPI(title="authprobe lab backend", docs_url=None, redoc_url=None, openapi_url=None)


# --- responses --------------------------------------------------------------------------------


def _json(status: int, payload: Any) -> Response:
    return Response(
        content=json.dumps(payload, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8"),
        status_code=status,
        media_type="application/json",
        headers={"cache-control": "no-store"},
    )


def _error(code: str, extra_headers: dict[str, str] | None = None) -> Response:
    headers = contract.error_headers(code, REALM)
    headers.update(extra_headers or {})
    return Response(
        content=contract.body(code),
        status_code=contract.ROWS[code][0],
        media_type="application/json",
        headers=headers,
    )


@app.exception_handler(StarletteHTTPException)
async def _empty_http_error(_request: Request, exc: StarletteHTTPException) -> Response:
    # 404 for other paths, 405 for other methods: empty bodies, outside the error contract.
    return Response(status_code=exc.status_code, headers=exc.headers)


# --- authentication: spec 002 §4 steps 0-20 ---------------------------------------------------


def _authenticate(request: Request, path: str, required_scope: str | None) -> dict[str, Any] | Response:
    client = request.client.host if request.client else "unknown"
    if RATE_LIMITER is not None:
        retry_after = RATE_LIMITER.check(client)
        if retry_after is not None:
            log.info("reject %s client=%s path=%s detail=over the rate limit", "RATE_LIMITED", client, path)
            return _error("RATE_LIMITED", {"retry-after": str(retry_after)})
    authorization = [value for name, value in request.scope["headers"] if name == b"authorization"]
    try:
        token = contract.bearer_token(authorization)
        verified = VALIDATOR.validate(token)
    except contract.BearerError as exc:
        log.info("reject %s client=%s path=%s", exc.code, client, path)
        return _error(exc.code)
    except Rejection as exc:
        log.info("reject %s client=%s path=%s detail=%r", exc.code, client, path, exc.detail[:300])
        return _error(exc.code)
    except Exception:  # noqa: BLE001 - never a 5xx for a token
        log.exception("unexpected error while validating a token; answering MALFORMED_TOKEN")
        return _error("MALFORMED_TOKEN")
    if required_scope is not None and not contract.has_scope(verified.claims, required_scope):
        log.info("reject INSUFFICIENT_SCOPE client=%s path=%s detail=scope %r required", client, path, required_scope)
        return _error("INSUFFICIENT_SCOPE")
    log.info("accept client=%s path=%s sub=%r kid=%r", client, path, verified.claims.get("sub"), verified.kid)
    return verified.claims


@app.get("/healthz")
def healthz() -> Response:
    return _json(200, {"ok": True})


@app.get("/api/me")
def me(request: Request) -> Response:
    claims = _authenticate(request, "/api/me", None)
    if isinstance(claims, Response):
        return claims
    email = claims.get("email")
    return _json(200, {"sub": claims["sub"], "email": email if isinstance(email, str) else None, "claims": claims})


@app.get("/api/reports")
def reports(request: Request) -> Response:
    claims = _authenticate(request, "/api/reports", "reports:read")
    if isinstance(claims, Response):
        return claims
    return _json(200, {"reports": []})


# --- CORS (http-api.md §2.4), outermost --------------------------------------------------------

KNOWN_PATHS = frozenset({"/healthz", "/api/me", "/api/reports"})


class CorsMiddleware:
    """One exact origin: ACAO + Vary on its responses, preflights answered 204 before any
    authentication, never `*` and never Access-Control-Allow-Credentials; other origins (and `null`)
    get only `Vary: Origin`."""

    def __init__(self, inner, allowed_origin: str):
        self.inner = inner
        self.allowed = allowed_origin.encode("latin-1")

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.inner(scope, receive, send)
        origins = [value for name, value in scope["headers"] if name == b"origin"]
        allowed = len(origins) == 1 and origins[0] == self.allowed
        cors_headers = [(b"vary", b"Origin")]
        if allowed:
            cors_headers.insert(0, (b"access-control-allow-origin", self.allowed))

        if scope["method"] == "OPTIONS" and scope["path"] in KNOWN_PATHS:
            headers = list(cors_headers)
            if allowed:
                headers += [
                    (b"access-control-allow-methods", b"GET, POST"),
                    (b"access-control-allow-headers", b"authorization, content-type"),
                    (b"access-control-max-age", b"600"),
                ]
            await send({"type": "http.response.start", "status": 204, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_with_cors(message):
            if message["type"] == "http.response.start":
                message = dict(message)
                message["headers"] = [
                    (k, v) for k, v in message.get("headers", []) if not k.lower().startswith(b"access-control-")
                    and k.lower() != b"vary"
                ] + cors_headers
            await send(message)

        await self.inner(scope, receive, send_with_cors)


application = CorsMiddleware(app, FRONTEND_ORIGIN)


def main() -> None:
    import uvicorn

    logging.basicConfig(
        level=os.environ.get("BACKEND_LOG_LEVEL", "info").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    port = _env_int("BACKEND_PORT", 43180)
    log.info(
        "backend on http://127.0.0.1:%s issuer=%s audience=%s jwks=%s algs=%s leeway=%s rate_limit=%s cors=%s",
        port, ISSUER, AUDIENCE, JWKS_URL, ",".join(POLICY.algorithms), POLICY.leeway,
        os.environ.get("BACKEND_RATE_LIMIT", "off") or "off", FRONTEND_ORIGIN,
    )
    uvicorn.run(
        application,
        host="127.0.0.1",
        port=port,
        http="h11",
        # h11's default 16 KiB limit on the header block would refuse tokens the contract must
        # answer itself (http-api.md §2.1: at least 32 KiB of Authorization).
        h11_max_incomplete_event_size=64 * 1024,
        server_header=False,
        log_config=None,
        # uvicorn's access log would print query strings (a token sent there, for example); the
        # backend logs each decision itself, without the token.
        access_log=False,
    )


if __name__ == "__main__":
    main()
