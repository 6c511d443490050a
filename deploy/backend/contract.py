"""The error contract of specs/002-auth-security-integration/contracts/errors.md, and RFC 6750
bearer parsing exactly as `bearer_token` in authprobe's src/contract.rs."""

from __future__ import annotations

import json

# code -> (status, error, error_description); the table's rows, in its order.
ROWS: dict[str, tuple[int, str, str]] = {
    "MISSING_TOKEN": (401, "unauthorized", "bearer token required"),
    "MALFORMED_AUTHORIZATION": (400, "invalid_request", "malformed bearer credentials"),
    "MALFORMED_TOKEN": (401, "invalid_token", "malformed token"),
    "INVALID_SIGNATURE": (401, "invalid_token", "signature verification failed"),
    "ALGORITHM_NOT_ALLOWED": (401, "invalid_token", "algorithm not allowed"),
    "UNKNOWN_KEY_ID": (401, "invalid_token", "unknown signing key"),
    "FORBIDDEN_HEADER_PARAMETER": (401, "invalid_token", "forbidden header parameter"),
    "INVALID_TOKEN_TYPE": (401, "invalid_token", "invalid token type"),
    "TOKEN_EXPIRED": (401, "invalid_token", "token expired"),
    "TOKEN_NOT_YET_VALID": (401, "invalid_token", "token not yet valid"),
    "TOKEN_ISSUED_IN_FUTURE": (401, "invalid_token", "token issued in the future"),
    "TOKEN_LIFETIME_EXCEEDED": (401, "invalid_token", "token lifetime exceeded"),
    "INVALID_ISSUER": (401, "invalid_token", "invalid issuer"),
    "INVALID_AUDIENCE": (401, "invalid_token", "invalid audience"),
    "INVALID_CLAIM": (401, "invalid_token", "missing or invalid claim"),
    "KEY_SET_UNAVAILABLE": (503, "temporarily_unavailable", "key set unavailable"),
    "INSUFFICIENT_SCOPE": (403, "insufficient_scope", "insufficient scope"),
    "RATE_LIMITED": (429, "rate_limited", "too many requests"),
}

_NO_CHALLENGE = ("KEY_SET_UNAVAILABLE", "RATE_LIMITED")


def quote(text: str) -> str:
    """An RFC 7230 quoted-string: quotes and backslashes escaped."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def www_authenticate(code: str, realm: str) -> str | None:
    if code in _NO_CHALLENGE:
        return None
    if code == "MISSING_TOKEN":
        return f"Bearer realm={quote(realm)}"
    _, error, description = ROWS[code]
    return f'Bearer realm={quote(realm)}, error="{error}", error_description="{description}"'


def body(code: str) -> bytes:
    """Exactly error, error_description and code, compact, in that order."""
    _, error, description = ROWS[code]
    return json.dumps(
        {"error": error, "error_description": description, "code": code}, separators=(",", ":")
    ).encode("ascii")


def error_headers(code: str, realm: str) -> dict[str, str]:
    headers = {"cache-control": "no-store"}
    challenge = www_authenticate(code, realm)
    if challenge is not None:
        headers["www-authenticate"] = challenge
    return headers


class BearerError(Exception):
    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def _trim_ows(value: bytes) -> bytes:
    return value.strip(b" \t")


_B64TOKEN_BODY = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/")


def _is_b64token(value: bytes) -> bool:
    body_end = len(value.rstrip(b"="))
    return body_end > 0 and all(b in _B64TOKEN_BODY for b in value[:body_end])


def bearer_token(authorization: list[bytes]) -> bytes:
    """The credential of the one Authorization: Bearer header (RFC 6750 §2.1), or BearerError:
    no header / another scheme -> MISSING_TOKEN; several headers, empty or several credentials,
    bytes outside b64token -> MALFORMED_AUTHORIZATION."""
    if not authorization:
        raise BearerError("MISSING_TOKEN")
    if len(authorization) > 1:
        raise BearerError("MALFORMED_AUTHORIZATION")
    value = _trim_ows(authorization[0])
    space = value.find(b" ")
    scheme, rest = (value, b"") if space < 0 else (value[:space], value[space:])
    if scheme.lower() != b"bearer":  # bytes.lower() is ASCII-only
        raise BearerError("MISSING_TOKEN")
    credentials = _trim_ows(rest)
    if not credentials or not _is_b64token(credentials):
        raise BearerError("MALFORMED_AUTHORIZATION")
    return credentials


def has_scope(claims: dict, required: str) -> bool:
    scope = claims.get("scope")
    return isinstance(scope, str) and required in scope.split(" ")
