"""Signs test tokens with the lab's exported issuer key (deploy/export-signing-key.sh).

    .venv/bin/python mint_token.py KEY.json HEADER CLAIMS

HEADER and CLAIMS are JSON texts signed byte for byte as given (so duplicate names, odd numbers or
odd spacing survive); HEADER `-` means {"alg": <key alg>, "kid": <key kid>}. Prints the compact JWS.
Placeholders in CLAIMS: {now}, {now_plus_N}, {now_minus_N} (Unix seconds) and {iss} (EXPECTED_ISSUER,
default http://127.0.0.1:43100), e.g.
    '{"sub":"u1","iss":"{iss}","aud":"{iss}","iat":{now_minus_1000},"exp":{now_minus_100}}'
"""

from __future__ import annotations

import json
import os
import re
import sys
import time

from jwt.algorithms import get_default_algorithms

from strict import b64url_encode


def load_key(path: str) -> dict:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def sign(header: bytes, claims: bytes, jwk: dict, alg: str | None = None) -> str:
    """Compact JWS over the exact header and claims bytes, signed with the private JWK."""
    algorithm = get_default_algorithms()[alg or jwk["alg"]]
    private_key = algorithm.from_jwk(json.dumps(jwk))
    signing_input = b64url_encode(header) + b"." + b64url_encode(claims)
    signature = algorithm.sign(signing_input, private_key)
    return (signing_input + b"." + b64url_encode(signature)).decode("ascii")


def expand(text: str) -> str:
    now = int(time.time())
    iss = os.environ.get("EXPECTED_ISSUER", "http://127.0.0.1:43100")
    text = re.sub(r"\{now_plus_(\d+)\}", lambda m: str(now + int(m.group(1))), text)
    text = re.sub(r"\{now_minus_(\d+)\}", lambda m: str(now - int(m.group(1))), text)
    return text.replace("{now}", str(now)).replace("{iss}", iss)


def main(argv: list[str]) -> int:
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    jwk = load_key(argv[1])
    header = argv[2]
    if header == "-":
        header = json.dumps({"alg": jwk["alg"], "kid": jwk["kid"]}, separators=(",", ":"))
    print(sign(header.encode("utf-8"), expand(argv[3]).encode("utf-8"), jwk))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
