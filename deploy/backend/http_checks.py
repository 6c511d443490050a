"""HTTP-level checks of the running backend against contracts/errors.md and http-api.md, byte for byte.

    .venv/bin/python http_checks.py --token REAL_JWT --key ISSUER_KEY.json [--errors-md PATH]

Reads the error table from errors.md (so the expectations are the contract's, not this backend's),
sends raw HTTP/1.1 requests (to control repeated headers, tabs and sizes exactly) and checks status,
WWW-Authenticate, Cache-Control, Content-Type and the exact body of each rejection, the success
shapes, 404/405, and CORS. Prints one line per check and "N passed, N failed"; exit 1 on failure.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import sys

from mint_token import sign

HERE = os.path.dirname(os.path.abspath(__file__))
BACKEND_PORT = int(os.environ.get("BACKEND_PORT", "43180"))
REALM = os.environ.get("BACKEND_REALM", "api")
ORIGIN = os.environ.get("FRONTEND_ORIGIN", "http://127.0.0.1:5173")
ISS = os.environ.get("EXPECTED_ISSUER", "http://127.0.0.1:43100")


def contract_rows(path: str) -> dict[str, dict]:
    rows = {}
    for line in open(path, encoding="utf-8"):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 6 and re.fullmatch(r"[A-Z_]+", cells[0]) and cells[1].isdigit():
            challenge = cells[2].strip("`")
            rows[cells[0]] = {
                "status": int(cells[1]),
                "www-authenticate": None if challenge == "—" else challenge.replace("{realm}", f'"{REALM}"'),
                "body": json.dumps({"error": cells[3], "error_description": cells[4], "code": cells[0]},
                                   separators=(",", ":")).encode(),
            }
    return rows


def request(method: str, path: str, headers: list[tuple[str, str]] = ()) -> tuple[int, dict[str, list[str]], bytes]:
    raw = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{BACKEND_PORT}\r\nConnection: close\r\n"
    raw += "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
    with socket.create_connection(("127.0.0.1", BACKEND_PORT), timeout=30) as sock:
        sock.sendall(raw.encode("latin-1"))
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    parsed: dict[str, list[str]] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        parsed.setdefault(name.strip().lower(), []).append(value.strip())
    return status, parsed, body


results: list[bool] = []


def check(name: str, ok: bool, detail: str = "") -> None:
    results.append(ok)
    print(("   " if ok else "!! ") + name + ("" if ok else f"  -- {detail}"))


def expect_row(name: str, rows, code: str, headers, path: str = "/api/me", origin_allowed: bool = False) -> None:
    status, got, body = request("GET", path, headers)
    row = rows[code]
    problems = []
    if status != row["status"]:
        problems.append(f"status {status} != {row['status']}")
    if got.get("www-authenticate") != ([row["www-authenticate"]] if row["www-authenticate"] else None):
        problems.append(f"www-authenticate {got.get('www-authenticate')!r}")
    if got.get("cache-control") != ["no-store"]:
        problems.append(f"cache-control {got.get('cache-control')!r}")
    if got.get("content-type") != ["application/json"]:
        problems.append(f"content-type {got.get('content-type')!r}")
    if body != row["body"]:
        problems.append(f"body {body!r}")
    if got.get("vary") != ["Origin"]:
        problems.append(f"vary {got.get('vary')!r}")
    want_acao = [ORIGIN] if origin_allowed else None
    if got.get("access-control-allow-origin") != want_acao or "access-control-allow-credentials" in got:
        problems.append(f"CORS headers {got.get('access-control-allow-origin')!r}")
    if code == "RATE_LIMITED" and not got.get("retry-after", [""])[0].isdigit():
        problems.append("no Retry-After")
    check(f"{code:<27} {name}", not problems, "; ".join(problems))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--token", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--errors-md", default=os.path.join(HERE, "..", "..", "specs", "002-auth-security-integration",
                                                            "contracts", "errors.md"))
    args = parser.parse_args()
    rows = contract_rows(args.errors_md)
    assert len(rows) == 18, f"expected 18 rows in errors.md, found {len(rows)}"
    jwk = json.load(open(args.key, encoding="utf-8"))
    token = args.token
    h, p, s = token.split(".")
    hdr = json.dumps({"alg": jwk["alg"], "kid": jwk["kid"]}, separators=(",", ":")).encode()

    def mint(claims: dict, header: bytes = hdr) -> str:
        return sign(header, json.dumps(claims, separators=(",", ":")).encode(), jwk)

    import time
    now = int(time.time())
    base = {"sub": "user-1", "iss": ISS, "aud": ISS, "iat": now - 10, "exp": now + 600}
    auth = lambda value: [("Authorization", value)]  # noqa: E731

    # step 0: the request layer
    expect_row("no Authorization header", rows, "MISSING_TOKEN", [])
    expect_row("Basic scheme", rows, "MISSING_TOKEN", auth("Basic YWxpY2U6cHc="))
    expect_row("Bearer<TAB>token (no space: another scheme)", rows, "MISSING_TOKEN", auth(f"Bearer\t{token}"))
    expect_row("token only in the query", rows, "MISSING_TOKEN", [], path=f"/api/me?access_token={token}")
    expect_row("token only in a cookie", rows, "MISSING_TOKEN", [("Cookie", f"token={token}; better-auth.session_token=x")])
    expect_row("Bearer without credentials", rows, "MALFORMED_AUTHORIZATION", auth("Bearer"))
    expect_row("Bearer a b", rows, "MALFORMED_AUTHORIZATION", auth("Bearer a b"))
    expect_row("Bearer a,b", rows, "MALFORMED_AUTHORIZATION", auth("Bearer a,b"))
    expect_row("Bearer =", rows, "MALFORMED_AUTHORIZATION", auth("Bearer ="))
    expect_row("two Authorization headers", rows, "MALFORMED_AUTHORIZATION", auth(f"Bearer {token}") + auth(f"Bearer {token}"))
    expect_row("quoted credentials", rows, "MALFORMED_AUTHORIZATION", auth(f'Bearer "{token}"'))
    expect_row("non-ASCII byte in credentials", rows, "MALFORMED_AUTHORIZATION", auth(f"Bearer {token}\u00e9"))
    # steps 1-19
    expect_row("bearer abc.def (lower-case scheme, 2 segments)", rows, "MALFORMED_TOKEN", auth("bearer abc.def"))
    expect_row("BEARER  x== (b64token padding)", rows, "MALFORMED_TOKEN", auth("BEARER  x=="))
    expect_row("20 000-byte credential", rows, "MALFORMED_TOKEN", auth("Bearer " + "A" * 20000))
    expect_row("32 KiB credential (http-api.md §2.1)", rows, "MALFORMED_TOKEN", auth("Bearer " + "A" * 32768))
    expect_row("tampered signature", rows, "INVALID_SIGNATURE", auth(f"Bearer {h}.{p}.{s[:40]}{'A' if s[40] != 'A' else 'B'}{s[41:]}"))
    none_header = json.dumps({"alg": "none", "kid": jwk["kid"]}, separators=(",", ":")).encode()
    import base64
    b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()  # noqa: E731
    expect_row("alg none", rows, "ALGORITHM_NOT_ALLOWED", auth(f"Bearer {b64(none_header)}.{p}."))
    expect_row("unknown kid", rows, "UNKNOWN_KEY_ID", auth("Bearer " + mint(base, json.dumps({"alg": jwk["alg"], "kid": "nope"}).encode())))
    expect_row("jku header", rows, "FORBIDDEN_HEADER_PARAMETER",
               auth("Bearer " + mint(base, json.dumps({"alg": jwk["alg"], "kid": jwk["kid"], "jku": "http://127.0.0.1:9/"}).encode())))
    expect_row("typ at+jwt", rows, "INVALID_TOKEN_TYPE",
               auth("Bearer " + mint(base, json.dumps({"alg": jwk["alg"], "kid": jwk["kid"], "typ": "at+jwt"}).encode())))
    expect_row("expired 2 minutes ago", rows, "TOKEN_EXPIRED", auth("Bearer " + mint({**base, "iat": now - 1000, "exp": now - 120})))
    expect_row("nbf in an hour", rows, "TOKEN_NOT_YET_VALID", auth("Bearer " + mint({**base, "nbf": now + 3600})))
    expect_row("iat in an hour", rows, "TOKEN_ISSUED_IN_FUTURE", auth("Bearer " + mint({**base, "iat": now + 3600, "exp": now + 7200})))
    expect_row("iss with /api/auth", rows, "INVALID_ISSUER", auth("Bearer " + mint({**base, "iss": ISS + "/api/auth"})))
    expect_row("aud of another service", rows, "INVALID_AUDIENCE", auth("Bearer " + mint({**base, "aud": "http://other"})))
    expect_row("exp as a string", rows, "INVALID_CLAIM", auth("Bearer " + mint({**base, "exp": str(now + 600)})))
    expect_row("expired AND bad signature", rows, "INVALID_SIGNATURE",
               auth("Bearer " + mint({**base, "exp": now - 3600})[:-10] + "AAAAAAAAAA"))
    # step 20
    expect_row("Better Auth token on /api/reports", rows, "INSUFFICIENT_SCOPE", auth(f"Bearer {token}"), path="/api/reports")
    expect_row("scope reports:write only", rows, "INSUFFICIENT_SCOPE", auth("Bearer " + mint({**base, "scope": "reports:write reports:readx"})),
               path="/api/reports")
    expect_row("error from the allowed origin carries ACAO", rows, "MISSING_TOKEN", [("Origin", ORIGIN)], origin_allowed=True)

    # successes
    status, got, body = request("GET", "/api/me", auth(f"Bearer {token}"))
    claims = json.loads(body) if status == 200 else {}
    check("200 /api/me with the Better Auth token: sub, email, claims; no-store",
          status == 200 and set(claims) == {"sub", "email", "claims"} and claims["sub"] == claims["claims"]["sub"]
          and got.get("cache-control") == ["no-store"] and got.get("content-type") == ["application/json"], f"{status} {body[:200]!r}")
    status, got, body = request("GET", "/api/me", auth(f"bearer  \t {token} \t"))
    check("200 with lower-case scheme and extra spaces/tabs around the token", status == 200, f"{status} {body!r}")
    status, got, body = request("GET", "/api/reports", auth("Bearer " + mint({**base, "scope": "openid reports:read"})))
    check("200 /api/reports with scope reports:read", status == 200 and body == b'{"reports":[]}', f"{status} {body!r}")
    status, got, body = request("GET", "/healthz", auth("Bearer a b"))
    check("200 /healthz ignores a malformed Authorization", status == 200 and body == b'{"ok":true}', f"{status} {body!r}")
    status, got, body = request("GET", "/api/me", auth("Bearer " + "A" * 70000))
    check("a 70 KiB header is refused by the HTTP server, not with a 5xx", 400 <= status < 500, f"{status}")

    # 404 / 405
    status, got, body = request("GET", "/nope", auth("Bearer a b"))
    check("404 empty body for another path", status == 404 and body == b"", f"{status} {body!r}")
    status, got, body = request("GET", "/docs")
    check("404 for /docs (no OpenAPI UI)", status == 404 and body == b"", f"{status}")
    status, got, body = request("POST", "/api/me", auth("Bearer a b"))
    check("405 empty body for POST /api/me", status == 405 and body == b"", f"{status} {body!r}")

    # CORS
    preflight = [("Origin", ORIGIN), ("Access-Control-Request-Method", "GET"), ("Access-Control-Request-Headers", "authorization")]
    status, got, body = request("OPTIONS", "/api/me", preflight)
    check("preflight from the allowed origin: 204 and the exact headers",
          status == 204 and got.get("access-control-allow-origin") == [ORIGIN]
          and got.get("access-control-allow-methods") == ["GET, POST"]
          and got.get("access-control-allow-headers") == ["authorization, content-type"]
          and got.get("access-control-max-age") == ["600"] and got.get("vary") == ["Origin"]
          and "access-control-allow-credentials" not in got and "www-authenticate" not in got, f"{status} {got}")
    for label, origin in [("foreign", "http://evil.example"), ("null", "null"), ("other port", ORIGIN[:-1] + "4"),
                          ("trailing slash", ORIGIN + "/"), ("upper case", ORIGIN.upper())]:
        status, got, _ = request("OPTIONS", "/api/me", [("Origin", origin), ("Access-Control-Request-Method", "GET")])
        check(f"preflight from a {label} origin: 204, Vary only",
              status == 204 and got.get("vary") == ["Origin"] and not any(k.startswith("access-control-") for k in got), f"{status} {got}")
        status, got, _ = request("GET", "/api/me", [("Origin", origin)] + auth(f"Bearer {token}"))
        check(f"GET from a {label} origin: processed, no Access-Control-*",
              status == 200 and got.get("vary") == ["Origin"] and not any(k.startswith("access-control-") for k in got), f"{status} {got}")
    status, got, _ = request("GET", "/api/me", [("Origin", ORIGIN)] + auth(f"Bearer {token}"))
    check("GET from the allowed origin: ACAO exact, Vary, no credentials",
          status == 200 and got.get("access-control-allow-origin") == [ORIGIN] and got.get("vary") == ["Origin"]
          and "access-control-allow-credentials" not in got, f"{got}")

    failed = results.count(False)
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
