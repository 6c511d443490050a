"""Shared helpers of the zoo's proof scripts (deploy/zoo/CONVENTIONS.md, "Proof scripts").

Standard library + `cryptography` only: tokens are built by hand (JSON -> base64url -> signature),
requests are plain urllib (no proxies, no redirects). Never authprobe, never a JWT library.

A proof script is

    import zoolib

    def prove(backend: str, issuer: str) -> bool:   # True = the flaw is present
        ...

    if __name__ == "__main__":
        zoolib.main(prove)

run as `python/.venv/bin/python prove/<name>.py --backend http://127.0.0.1:PORT --issuer <issuer>`
with cwd deploy/zoo. Exit 0 = flaw present, 1 = not present, 2 = could not tell (Setup).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import sys
import time
import tomllib
import traceback
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Callable

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

ZOO_DIR = Path(__file__).resolve().parent.parent
RUN_DIR = ZOO_DIR / "run"
KEYS_DIR = RUN_DIR / "keys"


class Setup(Exception):
    """The proof cannot tell (issuer or backend down, no valid token accepted, ...): exit 2."""


# --- issuers -------------------------------------------------------------------------------------


def _load_issuers() -> dict[str, dict]:
    with open(ZOO_DIR / "issuers.toml", "rb") as handle:
        table = tomllib.load(handle)
    issuers = {}
    for name, entry in table.items():
        url = f"http://127.0.0.1:{entry['port']}"
        issuers[name] = {**entry, "url": url, "jwks_url": f"{url}/api/auth/jwks"}
    return issuers


ISSUERS: dict[str, dict] = _load_issuers()


def _issuer(name: str) -> dict:
    try:
        return ISSUERS[name]
    except KeyError:
        raise Setup(f"unknown issuer {name!r} (issuers.toml has {', '.join(ISSUERS)})") from None


# --- base64url and JSON ----------------------------------------------------------------------------


def b64u(data: bytes) -> str:
    """Unpadded base64url."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64u_decode(text: str) -> bytes:
    """base64url, padded or not."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _json_bytes(value: dict | bytes | str) -> bytes:
    """A dict is serialized compactly; bytes/str are taken as the exact JSON text (odd forms survive)."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    return json.dumps(value, separators=(",", ":")).encode("utf-8")


def decode_unverified(token: str) -> tuple[dict, dict]:
    """(header, payload) of a compact JWS, without any verification."""
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError(f"not a compact JWS: {len(parts)} segments")
    return json.loads(b64u_decode(parts[0])), json.loads(b64u_decode(parts[1]))


# --- signing -----------------------------------------------------------------------------------------

_HASHES = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}
_EC_CURVES = {"P-256": (ec.SECP256R1, 32), "P-384": (ec.SECP384R1, 48), "P-521": (ec.SECP521R1, 66)}
_EC_ALG_CRV = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}


def _int(jwk: dict, member: str) -> int:
    return int.from_bytes(b64u_decode(jwk[member]), "big")


def _rsa_private(jwk: dict) -> rsa.RSAPrivateKey:
    n, e, d = _int(jwk, "n"), _int(jwk, "e"), _int(jwk, "d")
    if all(m in jwk for m in ("p", "q", "dp", "dq", "qi")):
        p, q, dp, dq, qi = (_int(jwk, m) for m in ("p", "q", "dp", "dq", "qi"))
    else:
        p, q = rsa.rsa_recover_prime_factors(n, e, d)
        dp, dq, qi = rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q), rsa.rsa_crt_iqmp(p, q)
    return rsa.RSAPrivateNumbers(p, q, d, dp, dq, qi, rsa.RSAPublicNumbers(e, n)).private_key()


def _signature(signing_input: bytes, jwk: dict, alg: str) -> bytes:
    kty = jwk.get("kty")
    if alg == "none":
        return b""
    if alg in ("EdDSA", "Ed25519", "Ed448"):
        crv = jwk.get("crv", "Ed25519")
        if kty != "OKP" or crv not in ("Ed25519", "Ed448") or (alg != "EdDSA" and alg != crv):
            raise ValueError(f"{alg} needs an OKP Ed25519/Ed448 key, got kty={kty} crv={crv}")
        cls = ed25519.Ed25519PrivateKey if crv == "Ed25519" else ed448.Ed448PrivateKey
        return cls.from_private_bytes(b64u_decode(jwk["d"])).sign(signing_input)
    if alg in _EC_ALG_CRV:
        crv = jwk.get("crv")
        if kty != "EC" or crv != _EC_ALG_CRV[alg]:
            raise ValueError(f"{alg} needs an EC {_EC_ALG_CRV[alg]} key, got kty={kty} crv={crv}")
        curve, size = _EC_CURVES[crv]
        key = ec.derive_private_key(_int(jwk, "d"), curve())
        r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(_HASHES[alg[2:]]())))
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")  # JWS: raw r || s, fixed length
    if alg[:2] in ("RS", "PS") and alg[2:] in _HASHES:
        if kty != "RSA":
            raise ValueError(f"{alg} needs an RSA key, got kty={kty}")
        digest = _HASHES[alg[2:]]()
        if alg.startswith("RS"):
            pad = padding.PKCS1v15()
        else:  # RFC 7518 §3.5: MGF1 with the same hash, salt as long as the hash
            pad = padding.PSS(mgf=padding.MGF1(_HASHES[alg[2:]]()), salt_length=digest.digest_size)
        return _rsa_private(jwk).sign(signing_input, pad, digest)
    if alg[:2] == "HS" and alg[2:] in _HASHES:
        if kty != "oct":
            raise ValueError(f"{alg} needs an oct key, got kty={kty}")
        return hmac.new(b64u_decode(jwk["k"]), signing_input, getattr(hashlib, "sha" + alg[2:])).digest()
    raise ValueError(f"unsupported alg {alg!r}")


def sign(header: dict | bytes | str | None, payload: dict | bytes | str, jwk: dict, alg: str | None = None) -> str:
    """Compact JWS by hand. alg defaults to jwk["alg"]; header None = {"alg": alg, "kid": jwk["kid"]}.

    header/payload dicts are serialized compactly; bytes or str are signed as the exact JSON text.
    Supported: EdDSA (Ed25519/Ed448), ES256/ES384/ES512 (raw r||s), RS256/384/512 (PKCS#1 v1.5),
    PS256/384/512 (salt = hash length), HS256/384/512 (jwk {"kty":"oct","k":...}), and "none"
    (empty signature). The header's own "alg" is not checked against alg (so lies are possible).
    """
    alg = alg or jwk.get("alg")
    if not alg:
        raise ValueError("no alg given and the JWK has none")
    if header is None:
        header = {"alg": alg, "kid": jwk["kid"]} if "kid" in jwk else {"alg": alg}
    signing_input = (b64u(_json_bytes(header)) + "." + b64u(_json_bytes(payload))).encode("ascii")
    return signing_input.decode("ascii") + "." + b64u(_signature(signing_input, jwk, alg))


def sign_hmac(header: dict | bytes | str, payload: dict | bytes | str, secret: bytes, alg: str = "HS256") -> str:
    """HS256/384/512 keyed with the given bytes (e.g. public_pem(jwk) for a key-confusion token)."""
    return sign(header, payload, {"kty": "oct", "k": b64u(secret)}, alg)


def public_jwk(jwk: dict) -> dict:
    """The public members of a (private) JWK."""
    private = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}
    return {m: v for m, v in jwk.items() if m not in private}


def generate_jwk(alg: str, kid: str | None = None) -> dict:
    """A fresh private JWK (an attacker's own key) for alg: EdDSA, ES256/384/512, RS*/PS* (2048 bits)."""
    if alg == "EdDSA":
        key = ed25519.Ed25519PrivateKey.generate()
        raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                serialization.NoEncryption())
        pub = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64u(pub), "d": b64u(raw)}
    elif alg in _EC_ALG_CRV:
        crv = _EC_ALG_CRV[alg]
        curve, size = _EC_CURVES[crv]
        numbers = ec.generate_private_key(curve()).private_numbers()
        enc = lambda v: b64u(v.to_bytes(size, "big"))  # noqa: E731
        jwk = {"kty": "EC", "crv": crv, "x": enc(numbers.public_numbers.x), "y": enc(numbers.public_numbers.y),
               "d": enc(numbers.private_value)}
    elif alg[:2] in ("RS", "PS"):
        n = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_numbers()
        enc = lambda v: b64u(v.to_bytes((v.bit_length() + 7) // 8, "big"))  # noqa: E731
        jwk = {"kty": "RSA", "n": enc(n.public_numbers.n), "e": enc(n.public_numbers.e), "d": enc(n.d),
               "p": enc(n.p), "q": enc(n.q), "dp": enc(n.dmp1), "dq": enc(n.dmq1), "qi": enc(n.iqmp)}
    else:
        raise ValueError(f"cannot generate a key for {alg!r}")
    jwk["alg"] = alg
    if kid is not None:
        jwk["kid"] = kid
    return jwk


def public_pem(jwk: dict) -> bytes:
    """SPKI PEM of a public (or private) JWK, as Node's crypto / cryptography print it."""
    kty = jwk.get("kty")
    if kty == "OKP":
        cls = {"Ed25519": ed25519.Ed25519PublicKey, "Ed448": ed448.Ed448PublicKey}[jwk["crv"]]
        key = cls.from_public_bytes(b64u_decode(jwk["x"]))
    elif kty == "EC":
        curve = _EC_CURVES[jwk["crv"]][0]()
        key = ec.EllipticCurvePublicNumbers(_int(jwk, "x"), _int(jwk, "y"), curve).public_key()
    elif kty == "RSA":
        key = rsa.RSAPublicNumbers(_int(jwk, "e"), _int(jwk, "n")).public_key()
    else:
        raise ValueError(f"no public key form for kty {kty!r}")
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


# --- HTTP ------------------------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D102 - urllib hook
        return None  # a 3xx comes back as an HTTPError, i.e. as the answer


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


def request(method: str, url: str, headers: dict | None = None, body: bytes | None = None,
            timeout: float = 5) -> tuple[int, dict, bytes]:
    """(status, headers with lower-case names, body). Raises Setup when there is no HTTP answer at all."""
    req = urllib.request.Request(url, data=body, method=method, headers=dict(headers or {}))
    try:
        with _OPENER.open(req, timeout=timeout) as resp:
            status, raw_headers, data = resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        status, raw_headers, data = err.code, err.headers, err.read()
    except (urllib.error.URLError, OSError) as err:
        raise Setup(f"{method} {url}: no answer ({getattr(err, 'reason', err)})") from None
    merged: dict[str, str] = {}
    for name, value in raw_headers.items():
        name = name.lower()
        merged[name] = f"{merged[name]}, {value}" if name in merged else value
    return status, merged, data


def get(url: str, headers: dict | None = None, timeout: float = 5) -> tuple[int, dict, bytes]:
    """Plain GET (urllib, no proxies, no redirects)."""
    return request("GET", url, headers, timeout=timeout)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def me(backend: str, token: str | None = None, query: str = "", headers: dict | None = None) -> tuple[int, dict, bytes]:
    """GET <backend>/api/me[?query] with the token as Bearer credential (if given)."""
    all_headers = {**(bearer(token) if token is not None else {}), **(headers or {})}
    return get(backend.rstrip("/") + "/api/me" + (f"?{query}" if query else ""), all_headers)


def show(label: str, status: int, body: bytes, limit: int = 160) -> None:
    """Prints one exchange: what was sent (label) and what came back."""
    text = body.decode("utf-8", "replace").replace("\n", " ")
    print(f"  {label}: HTTP {status} {text[:limit]}{'…' if len(text) > limit else ''}")


# --- the issuer's tokens and keys ---------------------------------------------------------------------------


def session_jwt(issuer: str) -> str:
    """Signs up a fresh user at the issuer and returns a valid JWT from /api/auth/token."""
    base = _issuer(issuer)["url"] + "/api/auth"
    email = f"zoo-{uuid.uuid4().hex[:16]}@example.com"
    body = json.dumps({"name": "Zoo Proof", "email": email, "password": "correct horse battery staple"}).encode()
    status, headers, data = request("POST", f"{base}/sign-up/email", {"Content-Type": "application/json"}, body)
    if status != 200:
        raise Setup(f"sign-up at {issuer} gave HTTP {status}: {data[:200]!r}")
    session = headers.get("set-auth-token") or json.loads(data).get("token")
    if not session:
        raise Setup(f"sign-up at {issuer} returned no session token")
    status, _, data = get(f"{base}/token", bearer(session))
    if status != 200:
        raise Setup(f"/api/auth/token at {issuer} gave HTTP {status}: {data[:200]!r}")
    return json.loads(data)["token"]


def issuer_key(issuer: str) -> dict:
    """The issuer's private signing JWK (with kid and alg), exported by start.sh to run/keys/<issuer>.json."""
    _issuer(issuer)
    path = KEYS_DIR / f"{issuer}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise Setup(f"{path} is missing: start the zoo with deploy/zoo/start.sh") from None


def jwks(issuer: str) -> dict:
    """GET the issuer's JWKS."""
    status, _, data = get(_issuer(issuer)["jwks_url"])
    if status != 200:
        raise Setup(f"JWKS of {issuer} gave HTTP {status}")
    return json.loads(data)


def valid_claims(issuer: str, **overrides) -> dict:
    """Claims a compliant backend behind this issuer accepts (as Better Auth mints them); overrides win.

    An override of None removes that claim."""
    now = int(time.time())
    url = _issuer(issuer)["url"]
    claims = {"sub": "zoo-proof-user", "email": "proof@example.com", "iat": now, "exp": now + 900,
              "iss": url, "aud": url}
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def signed_control(backend: str, issuer: str) -> dict:
    """Signs valid_claims(issuer) by hand with the issuer's key and requires the backend to accept it
    (else Setup: hand-made tokens would prove nothing). Returns the issuer's private JWK."""
    key = issuer_key(issuer)
    status, _, body = me(backend, sign(None, valid_claims(issuer), key))
    show("control: hand-made token, valid claims, issuer key", status, body)
    if not 200 <= status < 300:
        raise Setup(f"a hand-made valid token signed with {issuer}'s key was refused (HTTP {status})")
    return key


def tamper(token: str) -> str:
    """The token with one character in the middle of its signature changed (not the last one, whose
    padding bits some decoders ignore)."""
    head, _, sig = token.rpartition(".")
    i = len(sig) // 2
    return f"{head}.{sig[:i]}{'A' if sig[i] != 'A' else 'B'}{sig[i + 1:]}"


def check_baseline(backend: str, issuer: str, tampered: bool = True) -> None:
    """valid JWT -> 2xx with its sub, no token -> 4xx, tampered signature -> 4xx; raises Setup on failure.

    tampered=False skips the third check (main() does, so that a proof of a backend that verifies no
    signature can still run; prove.sh also skips it for backends whose must_report has
    signature-not-verified)."""
    status, _, _ = get(backend.rstrip("/") + "/healthz")
    if status != 200:
        raise Setup(f"{backend}/healthz gave HTTP {status}")
    token = session_jwt(issuer)
    status, _, body = me(backend, token)
    if not 200 <= status < 300:
        raise Setup(f"a valid JWT from {issuer} was refused: HTTP {status} {body[:200]!r}")
    sub = decode_unverified(token)[1]["sub"]
    try:
        got = json.loads(body).get("sub")
    except (ValueError, AttributeError):
        got = None
    if got != sub:
        raise Setup(f"a valid JWT was accepted but the body does not carry its sub: {body[:200]!r}")
    status, _, body = me(backend)
    if not 400 <= status < 500:
        raise Setup(f"a request without a token gave HTTP {status} (4xx expected): {body[:200]!r}")
    if tampered:
        status, _, body = me(backend, tamper(token))
        if not 400 <= status < 500:
            raise Setup(f"a token with a tampered signature gave HTTP {status} (4xx expected): {body[:200]!r}")


def main(prove: Callable[[str, str], bool]) -> None:
    """Parses --backend/--issuer, runs check_baseline (without the tampered check), then the proof.

    Exit 0 = flaw present (prove returned True), 1 = not present, 2 = could not tell."""
    parser = argparse.ArgumentParser(description=(sys.modules["__main__"].__doc__ or "").strip() or None)
    parser.add_argument("--backend", required=True, help="e.g. http://127.0.0.1:31310")
    parser.add_argument("--issuer", required=True, choices=sorted(ISSUERS))
    args = parser.parse_args()
    backend = args.backend.rstrip("/")
    try:
        check_baseline(backend, args.issuer, tampered=False)
        print(f"baseline ok: {backend} accepts a valid {args.issuer} JWT and refuses a request without one")
        present = bool(prove(backend, args.issuer))
    except Setup as err:
        print(f"could not tell: {err}")
        sys.exit(2)
    except Exception:  # a bug or an unexpected answer: not a verdict
        traceback.print_exc()
        print("could not tell: the proof raised")
        sys.exit(2)
    print("FLAW PRESENT" if present else "flaw not present")
    sys.exit(0 if present else 1)
