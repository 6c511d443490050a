"""Steps 1-19 of spec 002 §4, in order, with the Better Auth profile of §5.

The first failing step decides the code and no later step runs, exactly as authprobe's reference
validator (src/validate/, src/token.rs) does: structure, header rules, algorithm, key selection and
binding, signature (PyJWT), and only then the claims, checked here rather than by PyJWT because
PyJWT's claim checks differ from the spec (leeway on iat, types, bools as numbers, aud/iss forms).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from jwt.api_jws import PyJWS
from jwt.exceptions import InvalidSignatureError

from keys import ALGORITHMS, KeyError_, KeySetUnavailable, RemoteKeySet, ed25519_signature_is_strict
from strict import StrictError, b64url_decode, parse_object

log = logging.getLogger("backend.validator")

FORBIDDEN_HEADER_PARAMETERS = ("jku", "jwk", "x5u", "x5c", "x5t", "x5t#S256", "b64", "zip", "enc")
MAX_NUMERIC_DATE = 9_007_199_254_740_991.0  # 2^53 - 1
USABLE_ALGORITHMS = tuple(a for a in ALGORITHMS if not a.startswith("HS"))  # no HMAC secret is configured


@dataclass
class Policy:
    issuer: str
    audience: str
    algorithms: tuple[str, ...] = ("EdDSA",)
    leeway: int = 30
    max_lifetime: int | None = None
    max_token_bytes: int = 16384
    max_json_depth: int = 16
    accepted_types: tuple[str, ...] = field(default=("JWT",))

    def __post_init__(self) -> None:
        for alg in self.algorithms:
            if alg not in USABLE_ALGORITHMS:
                raise ValueError(
                    f"algorithm {alg!r} cannot be allowed (choose from {', '.join(USABLE_ALGORITHMS)})"
                )
        if not 0 <= self.leeway <= 300:
            raise ValueError("leeway must be 0 ... 300 s")

    def accepts_type(self, typ: str) -> bool:
        """Media-type comparison: optional application/ prefix, ASCII case-insensitive, no trimming."""
        bare = _strip_application(typ)
        return any(_ascii_ieq(_strip_application(t), bare) for t in self.accepted_types)


def _ascii_lower(text: str) -> str:
    return "".join(c.lower() if "A" <= c <= "Z" else c for c in text)


def _ascii_ieq(a: str, b: str) -> bool:
    return _ascii_lower(a) == _ascii_lower(b)


def _strip_application(media_type: str) -> str:
    return media_type[12:] if _ascii_ieq(media_type[:12], "application/") else media_type


class Rejection(Exception):
    """A refused token: the contract code, and a detail for logs only (never sent)."""

    def __init__(self, code: str, detail: str):
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


@dataclass
class Verified:
    alg: str
    kid: str
    header: dict[str, Any]
    claims: dict[str, Any]


class _Step:
    """Maps an unexpected exception inside one step to that step's code (never a 5xx), and logs it."""

    def __init__(self, code: str):
        self.code = code

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc is None or isinstance(exc, Rejection):
            return False
        log.exception("unexpected %s while checking a token; answering %s", exc_type.__name__, self.code)
        raise Rejection(self.code, f"unexpected {exc_type.__name__}") from None


_JWS = PyJWS()


class Validator:
    def __init__(self, policy: Policy, keys: RemoteKeySet):
        self.policy = policy
        self.keys = keys

    # steps 1-5
    def parse(self, token: bytes) -> tuple[dict[str, Any], dict[str, Any], bytes]:
        with _Step("MALFORMED_TOKEN"):
            if len(token) > self.policy.max_token_bytes:
                raise Rejection("MALFORMED_TOKEN", f"token is {len(token)} bytes, over {self.policy.max_token_bytes}")
            if token.count(b".") != 2:
                raise Rejection("MALFORMED_TOKEN", f"token has {token.count(b'.') + 1} segments")
            header_b64, payload_b64, signature_b64 = token.split(b".")
            if not header_b64:
                raise Rejection("MALFORMED_TOKEN", "header segment is empty")
            try:
                header_json = b64url_decode(header_b64)
                payload_json = b64url_decode(payload_b64)
                signature = b64url_decode(signature_b64)
                header = parse_object(header_json, self.policy.max_json_depth)
                claims = parse_object(payload_json, self.policy.max_json_depth)
            except StrictError as exc:
                raise Rejection("MALFORMED_TOKEN", str(exc)) from None
            return header, claims, signature

    # steps 6-9
    def check_header(self, header: dict[str, Any]) -> str:
        with _Step("MALFORMED_TOKEN"):
            alg = header.get("alg")
            if "alg" not in header:
                raise Rejection("MALFORMED_TOKEN", "header has no alg")
            if not isinstance(alg, str):
                raise Rejection("MALFORMED_TOKEN", "alg is not a string")
            if "kid" in header and not isinstance(header["kid"], str):
                raise Rejection("MALFORMED_TOKEN", "kid is not a string")
            for name in FORBIDDEN_HEADER_PARAMETERS:
                if name in header:
                    raise Rejection("FORBIDDEN_HEADER_PARAMETER", f"header parameter {name!r} is not allowed")
            if "crit" in header:  # no extension is understood by this deployment
                raise Rejection("FORBIDDEN_HEADER_PARAMETER", "crit is present and no extension is understood")
            if "typ" in header:
                typ = header["typ"]
                if not isinstance(typ, str) or not self.policy.accepts_type(typ):
                    raise Rejection("INVALID_TOKEN_TYPE", f"typ {typ!r} is not accepted")
            if alg not in self.policy.algorithms:
                raise Rejection("ALGORITHM_NOT_ALLOWED", f"alg {alg!r} is not on the allowlist")
            return alg

    def validate(self, token: bytes, now: int | None = None) -> Verified:
        header, claims, signature = self.parse(token)
        alg = self.check_header(header)
        kid = header.get("kid")
        if kid is None:
            raise Rejection("UNKNOWN_KEY_ID", "the token has no kid and the policy requires one")
        with _Step("UNKNOWN_KEY_ID"):
            try:
                key_set = self.keys.current()
                if not key_set.contains_kid(kid):
                    key_set = self.keys.refresh_for_unknown_kid()
            except KeySetUnavailable as exc:
                raise Rejection("KEY_SET_UNAVAILABLE", str(exc)) from None
            try:
                key = key_set.select(kid)
            except KeyError_ as exc:
                raise Rejection("UNKNOWN_KEY_ID", str(exc)) from None
        with _Step("ALGORITHM_NOT_ALLOWED"):
            problem = key.binding_error(alg)
            if problem:
                raise Rejection("ALGORITHM_NOT_ALLOWED", problem)
        with _Step("INVALID_SIGNATURE"):
            if not self._signature_verifies(token, key, alg, signature):
                raise Rejection("INVALID_SIGNATURE", f"{alg} signature does not verify")
        with _Step("INVALID_CLAIM"):
            self._check_claims(claims, int(time.time()) if now is None else now)
        return Verified(alg, kid, header, claims)

    # step 12: PyJWT verifies; the strict Ed25519 and RSA length rules of the reference come first.
    @staticmethod
    def _signature_verifies(token: bytes, key, alg: str, signature: bytes) -> bool:
        if key.family == "Ed25519" and not ed25519_signature_is_strict(signature):
            return False
        if key.family == "RSA" and len(signature) != key.modulus_len:
            return False
        try:
            _JWS.decode_complete(token, key=key.pyjwk(alg), algorithms=[alg])
        except InvalidSignatureError:
            return False
        return True

    # steps 13-19
    def _check_claims(self, claims: dict[str, Any], now: int) -> None:
        exp = _numeric_date(claims, "exp")
        if exp is None:
            raise Rejection("INVALID_CLAIM", "required claim exp is missing")
        iat = _numeric_date(claims, "iat")
        if iat is None:
            raise Rejection("INVALID_CLAIM", "required claim iat is missing")
        nbf = _numeric_date(claims, "nbf")
        if "iss" not in claims:
            raise Rejection("INVALID_CLAIM", "required claim iss is missing")
        iss = claims["iss"]
        if not isinstance(iss, str):
            raise Rejection("INVALID_CLAIM", "claim iss must be a string")
        audiences = _audiences(claims)
        if "sub" not in claims:
            raise Rejection("INVALID_CLAIM", "required claim sub is missing")
        sub = claims["sub"]
        if not isinstance(sub, str) or sub == "":
            raise Rejection("INVALID_CLAIM", "claim sub must be a non-empty string")

        # The same IEEE-754 double arithmetic as the reference (i64 clock and leeway as f64).
        now_f = float(now)
        leeway = float(self.policy.leeway)
        if now_f + leeway < iat:
            raise Rejection("TOKEN_ISSUED_IN_FUTURE", f"iat {iat} is after now {now} + leeway {leeway}")
        if nbf is not None and now_f + leeway < nbf:
            raise Rejection("TOKEN_NOT_YET_VALID", f"nbf {nbf} is after now {now} + leeway {leeway}")
        if now_f >= exp + leeway:
            raise Rejection("TOKEN_EXPIRED", f"exp {exp} + leeway {leeway} is not after now {now}")
        if self.policy.max_lifetime is not None and exp - iat > float(self.policy.max_lifetime):
            raise Rejection("TOKEN_LIFETIME_EXCEEDED", f"exp - iat = {exp - iat} s exceeds {self.policy.max_lifetime} s")
        if iss != self.policy.issuer:
            raise Rejection("INVALID_ISSUER", f"iss {iss!r} is not {self.policy.issuer!r}")
        if self.policy.audience not in audiences:
            raise Rejection("INVALID_AUDIENCE", f"aud {audiences!r} does not contain {self.policy.audience!r}")


def _numeric_date(claims: dict[str, Any], name: str) -> float | None:
    if name not in claims:
        return None
    value = claims[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Rejection("INVALID_CLAIM", f"claim {name} must be a number")
    number = float(value)
    if not 0.0 <= number <= MAX_NUMERIC_DATE:
        raise Rejection("INVALID_CLAIM", f"claim {name} must be a number from 0 to 2^53 - 1")
    return number


def _audiences(claims: dict[str, Any]) -> list[str]:
    if "aud" not in claims:
        raise Rejection("INVALID_CLAIM", "required claim aud is missing")
    aud = claims["aud"]
    if isinstance(aud, str):
        return [aud]
    if isinstance(aud, list) and aud and all(isinstance(item, str) for item in aud):
        return aud
    raise Rejection("INVALID_CLAIM", "claim aud must be a string or a non-empty array of strings")
