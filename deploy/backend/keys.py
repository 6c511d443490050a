"""JWK import, key selection and the remote key set, with the reference validator's rules.

Mirrors src/jwk/{mod,material,remote,roca}.rs of authprobe:

* a public key set carrying private or symmetric members is refused whole; an entry that cannot be
  used (unsupported kty/crv, wrong member types or lengths, point off the curve, small-order
  Ed25519 key, RSA under 2048 bits / even modulus / bad exponent / ROCA) is skipped;
* selection by kid takes exactly one usable entry, never a fallback;
* the remote set is fetched through PyJWKClient's machinery (http(s) only, no redirects, timeout,
  PyJWKClientConnectionError / PyJWKClientError), is fresh for 300 s, serves a stale copy for
  600 s more while refreshes fail, and an unknown kid refetches at most once per 10 s; one lock
  makes every fetch single-flight.

PyJWT itself verifies the signature (validator.py); the extra Ed25519 checks of ed25519-dalek's
verify_strict (canonical S, no small-order R) are here because OpenSSL does not make all of them.
"""

from __future__ import annotations

import concurrent.futures
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from jwt.api_jwk import PyJWK
from jwt.exceptions import PyJWKClientConnectionError, PyJWKClientError, PyJWTError
from jwt.jwks_client import PyJWKClient, _NoRedirectHandler

from strict import StrictError, b64url_decode, parse_object

PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "oth", "k")

# alg -> (family, curve); HS* are known names (so a key declaring one is checked) but never usable here.
ALGORITHMS: dict[str, tuple[str, str | None]] = {
    "EdDSA": ("Ed25519", None),
    "ES256": ("EC", "P-256"),
    "ES384": ("EC", "P-384"),
    "ES512": ("EC", "P-521"),
    "RS256": ("RSA", None),
    "RS384": ("RSA", None),
    "RS512": ("RSA", None),
    "PS256": ("RSA", None),
    "PS384": ("RSA", None),
    "PS512": ("RSA", None),
    "HS256": ("HMAC", None),
    "HS384": ("HMAC", None),
    "HS512": ("HMAC", None),
}

_CURVES = {
    "P-256": (ec.SECP256R1(), 32),
    "P-384": (ec.SECP384R1(), 48),
    "P-521": (ec.SECP521R1(), 66),
}


class KeyError_(ValueError):
    """One JWK cannot be used (it is skipped)."""


class KeySetError(ValueError):
    """A key set document cannot be used at all."""


# --- Ed25519 point arithmetic (only for the checks, never for verification) -------------------

_P = 2**255 - 19
_D = (-121665 * pow(121666, _P - 2, _P)) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)
ED25519_ORDER = 2**252 + 27742317777372353535851937790883648493


def _ed_decompress(encoded: bytes) -> tuple[int, int] | None:
    """Decompresses like curve25519-dalek (y taken mod p, x = 0 with the sign bit allowed)."""
    y = (int.from_bytes(encoded, "little") & ((1 << 255) - 1)) % _P
    u = (y * y - 1) % _P
    v = (_D * y * y + 1) % _P
    x2 = u * pow(v, _P - 2, _P) % _P
    if x2 == 0:
        return (0, y)
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P != 0:
        x = x * _SQRT_M1 % _P
    if (x * x - x2) % _P != 0:
        return None
    if encoded[31] >> 7:
        x = (-x) % _P
    return (x, y)


def _ed_add(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    (x1, y1), (x2, y2) = a, b
    t = _D * x1 * x2 * y1 * y2 % _P
    x3 = (x1 * y2 + y1 * x2) * pow(1 + t, _P - 2, _P) % _P
    y3 = (y1 * y2 + x1 * x2) * pow(1 - t, _P - 2, _P) % _P
    return (x3, y3)


def ed25519_is_small_order(point: tuple[int, int]) -> bool:
    for _ in range(3):
        point = _ed_add(point, point)
    return point == (0, 1)


def ed25519_signature_is_strict(signature: bytes) -> bool:
    """ed25519-dalek verify_strict's checks beyond the verification equation: 64 bytes, S < l,
    R a valid point that is not of small order."""
    if len(signature) != 64:
        return False
    if int.from_bytes(signature[32:], "little") >= ED25519_ORDER:
        return False
    r = _ed_decompress(signature[:32])
    return r is not None and not ed25519_is_small_order(r)


# --- ROCA (CVE-2017-15361), as src/jwk/roca.rs ---------------------------------------------------

_ROCA_PRIMES = (3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83,
                89, 97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167)


def has_roca_fingerprint(n: int) -> bool:
    for p in _ROCA_PRIMES:
        residue, generator, element = n % p, 65537 % p, 1
        subgroup = set()
        while element not in subgroup:
            subgroup.add(element)
            element = element * generator % p
        if residue not in subgroup:
            return False
    return True


# --- JWK import -------------------------------------------------------------------------------


def _string_member(jwk: dict, name: str) -> str | None:
    if name not in jwk:
        return None
    value = jwk[name]
    if not isinstance(value, str):
        raise KeyError_(f"member {name!r} has the wrong JSON type")
    return value


def _bytes_member(jwk: dict, name: str) -> bytes:
    text = _string_member(jwk, name)
    if text is None:
        raise KeyError_(f"missing member {name!r}")
    try:
        return b64url_decode(text.encode("utf-8"))
    except StrictError as exc:
        raise KeyError_(f"member {name!r} is not strict base64url: {exc}") from None


def _fixed_bytes(jwk: dict, name: str, length: int) -> bytes:
    data = _bytes_member(jwk, name)
    if len(data) != length:
        raise KeyError_(f"member {name!r} is {len(data)} bytes; {length} required")
    return data


def _uint_bytes(jwk: dict, name: str) -> bytes:
    data = _bytes_member(jwk, name)
    if not data:
        raise KeyError_(f"member {name!r} is empty")
    if data[0] == 0:
        raise KeyError_(f"member {name!r} has a leading zero byte")
    return data


@dataclass
class Key:
    """One usable public key of a set."""

    jwk: dict[str, Any]
    kid: str | None
    alg: str | None
    use: str | None
    key_ops: list[str] | None
    family: str  # Ed25519 | EC | RSA
    curve: str | None
    modulus_len: int = 0
    _pyjwk: dict[str, PyJWK] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def is_for_verification(self) -> bool:
        return (self.use is None or self.use == "sig") and (
            self.key_ops is None or "verify" in self.key_ops
        )

    def fits(self, alg: str) -> bool:
        family, curve = ALGORITHMS[alg]
        return family == self.family and (curve is None or curve == self.curve)

    def binding_error(self, alg: str) -> str | None:
        if not self.fits(alg):
            return f"{alg} does not fit a {self.family} {self.curve or ''} key"
        if self.alg is not None and self.alg != alg:
            return f"the key is bound to alg {self.alg!r}, the token says {alg}"
        return None

    def pyjwk(self, alg: str) -> PyJWK:
        """The PyJWT key object for verifying `alg` with this key (built once per alg)."""
        with self._lock:
            if alg not in self._pyjwk:
                self._pyjwk[alg] = PyJWK(self.jwk, algorithm=alg)
            return self._pyjwk[alg]


def import_public_jwk(jwk: dict[str, Any]) -> Key:
    """Imports one public JWK (OKP Ed25519, EC P-256/384/521, RSA) or raises KeyError_."""
    key_ops = jwk.get("key_ops")
    if "key_ops" in jwk:
        if not isinstance(key_ops, list) or not all(isinstance(op, str) for op in key_ops):
            raise KeyError_("key_ops has the wrong JSON type")
        if len(set(key_ops)) != len(key_ops):
            raise KeyError_("key_ops has duplicate entries")
    kid = _string_member(jwk, "kid")
    alg = _string_member(jwk, "alg")
    use = _string_member(jwk, "use")
    kty = _string_member(jwk, "kty")
    if kty is None:
        raise KeyError_("missing member 'kty'")
    modulus_len = 0
    if kty == "OKP":
        crv = _string_member(jwk, "crv")
        if crv is None:
            raise KeyError_("missing member 'crv'")
        if crv != "Ed25519":
            raise KeyError_(f"unsupported curve {crv!r}")
        point = _ed_decompress(_fixed_bytes(jwk, "x", 32))
        if point is None:
            raise KeyError_("the point is not a valid public key on the curve")
        if ed25519_is_small_order(point):
            raise KeyError_("Ed25519 public key of small order (weak key)")
        family, curve = "Ed25519", None
    elif kty == "EC":
        crv = _string_member(jwk, "crv")
        if crv is None:
            raise KeyError_("missing member 'crv'")
        if crv not in _CURVES:
            raise KeyError_(f"unsupported curve {crv!r}")
        ec_curve, length = _CURVES[crv]
        x = int.from_bytes(_fixed_bytes(jwk, "x", length), "big")
        y = int.from_bytes(_fixed_bytes(jwk, "y", length), "big")
        try:
            ec.EllipticCurvePublicNumbers(x, y, ec_curve).public_key()
        except ValueError:
            raise KeyError_("the point is not a valid public key on the curve") from None
        family, curve = "EC", crv
    elif kty == "RSA":
        n_bytes = _uint_bytes(jwk, "n")
        e_bytes = _uint_bytes(jwk, "e")
        n = int.from_bytes(n_bytes, "big")
        bits = n.bit_length()
        if bits < 2048:
            raise KeyError_(f"RSA modulus of {bits} bits; at least 2048 required")
        if bits > 8192:
            raise KeyError_(f"RSA modulus of {bits} bits; at most 8192 accepted")
        if n % 2 == 0:
            raise KeyError_("RSA modulus is even")
        e = int.from_bytes(e_bytes, "big")
        if len(e_bytes) > 4 or e % 2 == 0 or e < 3:
            raise KeyError_("RSA public exponent must be odd, at least 3 and at most 32 bits")
        if has_roca_fingerprint(n):
            raise KeyError_("RSA modulus carries the ROCA fingerprint (CVE-2017-15361)")
        family, curve, modulus_len = "RSA", None, len(n_bytes)
    else:
        raise KeyError_(f"unsupported key type {kty!r}")
    key = Key(dict(jwk), kid, alg, use, key_ops, family, curve, modulus_len)
    # A key that declares a registered alg it cannot serve is broken, not merely unusual.
    if alg in ALGORITHMS and not key.fits(alg):
        raise KeyError_(f"the key declares alg {alg!r}, which cannot be used with this key")
    return key


@dataclass
class KeySet:
    keys: list[Key]
    ignored: list[str]

    def contains_kid(self, kid: str) -> bool:
        return any(k.kid == kid for k in self.keys)

    def select(self, kid: str) -> Key:
        """Exactly one usable key with this kid, for verification; else KeyError_ (UNKNOWN_KEY_ID)."""
        matches = [k for k in self.keys if k.kid == kid]
        if not matches:
            raise KeyError_(f"no key with kid {kid!r}")
        if len(matches) > 1:
            raise KeyError_(f"{len(matches)} keys share kid {kid!r}")
        if not matches[0].is_for_verification():
            raise KeyError_(f"key {kid!r} is not for signature verification (use/key_ops)")
        return matches[0]


def parse_public_jwks(data: bytes, max_bytes: int = 256 * 1024, max_keys: int = 64) -> KeySet:
    """A public JWKS document, as KeySet::from_public_jwks; raises KeySetError."""
    if len(data) > max_bytes:
        raise KeySetError(f"key set is {len(data)} bytes, over the limit of {max_bytes}")
    try:
        doc = parse_object(data, 8)
    except StrictError as exc:
        raise KeySetError(f"key set is not acceptable JSON: {exc}") from None
    entries = doc.get("keys")
    if not isinstance(entries, list):
        raise KeySetError('key set has no "keys" array')
    if len(entries) > max_keys:
        raise KeySetError(f"key set has {len(entries)} keys, over the limit of {max_keys}")
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise KeySetError(f"keys[{index}] is not a JSON object")
    keys: list[Key] = []
    ignored: list[str] = []
    for index, entry in enumerate(entries):
        if any(member in entry for member in PRIVATE_MEMBERS) or entry.get("kty") == "oct":
            raise KeySetError(f"keys[{index}] carries private or symmetric key material")
        try:
            keys.append(import_public_jwk(entry))
        except KeyError_ as exc:
            ignored.append(f"keys[{index}]: {exc}")
    if not keys:
        raise KeySetError(f"no usable key in the set ({'; '.join(ignored) or 'it is empty'})")
    return KeySet(keys, ignored)


# --- The remote key set -----------------------------------------------------------------------


class StrictJWKClient(PyJWKClient):
    """PyJWKClient whose fetch also enforces a total deadline, status 200, a body cap and the strict
    document rules. Failures raise PyJWKClientConnectionError (transport) or PyJWKClientError
    (document), exactly the classes BETTER-AUTH.md §8.1 says a backend must catch."""

    def __init__(self, uri: str, timeout: float = 5.0, max_bytes: int = 256 * 1024, max_keys: int = 64):
        super().__init__(
            uri,
            cache_jwk_set=True,
            lifespan=300,
            timeout=timeout,
            headers={"accept": "application/json", "user-agent": "authprobe-lab-backend"},
        )
        self.max_bytes = max_bytes
        self.max_keys = max_keys
        # Fetches are single-flight (RemoteKeySet's lock); a second worker only covers a fetch that was
        # abandoned at its deadline and is still winding down (it stops at its next read).
        self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="jwks")

    def _download(self, deadline: float) -> bytes:
        request = urllib.request.Request(url=self.uri, headers=self.headers)
        opener = urllib.request.build_opener(_NoRedirectHandler())
        with opener.open(request, timeout=self.timeout) as response:
            if response.status != 200:
                raise PyJWKClientConnectionError(f"key set endpoint answered HTTP {response.status}")
            length = response.headers.get("content-length")
            if length is not None and length.isdigit() and int(length) > self.max_bytes:
                raise PyJWKClientError(f"key set response is over {self.max_bytes} bytes")
            body = b""
            while True:
                if time.monotonic() > deadline:
                    raise TimeoutError("key set fetch exceeded its deadline")
                chunk = response.read1(65536) if hasattr(response, "read1") else response.read(65536)
                if not chunk:
                    return body
                body += chunk
                if len(body) > self.max_bytes:
                    raise PyJWKClientError(f"key set response is over {self.max_bytes} bytes")

    def fetch_key_set(self) -> KeySet:
        """One fetch: a KeySet, or PyJWKClientConnectionError / PyJWKClientError."""
        deadline = time.monotonic() + self.timeout
        future = self._executor.submit(self._download, deadline)
        try:
            body = future.result(timeout=self.timeout)
        except concurrent.futures.TimeoutError:
            raise PyJWKClientConnectionError("key set fetch timed out") from None
        except PyJWTError:
            raise
        except Exception as exc:  # URLError, HTTPError (3xx/4xx/5xx), TimeoutError, OSError, HTTPException
            if hasattr(exc, "close"):
                try:
                    exc.close()
                except Exception:  # noqa: BLE001
                    pass
            raise PyJWKClientConnectionError(f"key set could not be fetched: {type(exc).__name__}: {exc}") from None
        try:
            key_set = parse_public_jwks(body, self.max_bytes, self.max_keys)
        except KeySetError as exc:
            raise PyJWKClientError(f"key set document is not usable: {exc}") from None
        self._last_successful_fetch = time.monotonic()
        return key_set

    def fetch_data(self) -> Any:  # the PyJWKClient entry point, kept consistent with the strict path
        key_set = self.fetch_key_set()
        data = {"keys": [k.jwk for k in key_set.keys]}
        if self.jwk_set_cache is not None:
            self.jwk_set_cache.put(data)
        return data


class KeySetUnavailable(Exception):
    """No usable key set: fail closed (KEY_SET_UNAVAILABLE, 503)."""


class RemoteKeySet:
    """The JWKS URL with the reference validator's cache rules (src/jwk/remote.rs)."""

    def __init__(self, url: str, timeout: float = 5.0, cache_ttl: float = 300.0, max_stale: float = 600.0,
                 min_refetch_interval: float = 10.0):
        self.client = StrictJWKClient(url, timeout=timeout)
        self.url = url
        self.cache_ttl = cache_ttl
        self.max_stale = max_stale
        self.min_refetch_interval = min_refetch_interval
        self._lock = threading.Lock()  # held across a fetch: concurrent callers share it
        self._cached: KeySet | None = None
        self._fetched_at = 0.0
        self._last_attempt: float | None = None
        self.fetches = 0

    def _fetch(self) -> KeySet:
        self._last_attempt = time.monotonic()
        self.fetches += 1
        key_set = self.client.fetch_key_set()
        self._cached = key_set
        self._fetched_at = time.monotonic()
        return key_set

    def current(self) -> KeySet:
        """The cached set while fresh; else a fetch, falling back to the cached set within max_stale."""
        with self._lock:
            now = time.monotonic()
            if self._cached is not None and now - self._fetched_at < self.cache_ttl:
                return self._cached
            try:
                return self._fetch()
            except (PyJWKClientConnectionError, PyJWKClientError) as exc:
                if self._cached is not None and now - self._fetched_at < self.cache_ttl + self.max_stale:
                    return self._cached
                raise KeySetUnavailable(str(exc)) from None

    def refresh_for_unknown_kid(self) -> KeySet:
        """A refetch for a kid the current set lacks, unless one was attempted in the last 10 s."""
        with self._lock:
            recently = self._last_attempt is not None and time.monotonic() - self._last_attempt < self.min_refetch_interval
            if recently and self._cached is not None:
                return self._cached
            try:
                return self._fetch()
            except (PyJWKClientConnectionError, PyJWKClientError) as exc:
                if self._cached is not None:
                    return self._cached
                raise KeySetUnavailable(str(exc)) from None
