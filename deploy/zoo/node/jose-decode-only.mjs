// jose-decode-only: node:http + jose, reading the claims of the Bearer token without verifying it.
//
// Docs followed:
//   - jose docs/util/decode_jwt/functions/decodeJwt.md ("Decodes a signed JSON Web Token payload.
//     This does not validate the JWT Claims Set types or values. This does not validate the JWS
//     Signature."), read as "the gateway already checked the token, the service only needs the sub".
//   - Better Auth, "JWT" plugin docs, for where the token comes from (/api/auth/token).
//   - Node.js docs, http.createServer.
//
// Env: PORT, JWKS_URL, ISSUER, AUDIENCE (deploy/zoo/CONVENTIONS.md); JWKS_URL, ISSUER and AUDIENCE
// are unused, which is the mistake.

import http from "node:http";
import { decodeJwt } from "jose";

const { PORT } = process.env;

function sendJson(res, status, body, headers = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

function bearerToken(req) {
  const [scheme, token] = (req.headers.authorization ?? "").split(" ");
  return scheme === "Bearer" && token ? token : null;
}

const server = http.createServer((req, res) => {
  const path = req.url.split("?")[0];
  if (req.method === "GET" && path === "/healthz") {
    return sendJson(res, 200, { ok: true });
  }
  if (req.method === "GET" && path === "/api/me") {
    const token = bearerToken(req);
    if (!token) {
      return sendJson(res, 401, { error: "Unauthorized" }, { "www-authenticate": "Bearer" });
    }
    let payload;
    try {
      payload = decodeJwt(token); // FLAW: decodes the claims only; no signature, iss, aud or exp check
    } catch {
      return sendJson(res, 401, { error: "Unauthorized" }, { "www-authenticate": 'Bearer error="invalid_token"' });
    }
    return sendJson(res, 200, { sub: payload.sub, email: payload.email, name: payload.name });
  }
  sendJson(res, 404, { error: "Not Found" });
});

server.listen(Number(PORT), "127.0.0.1", () => {
  console.log(`jose-decode-only listening on http://127.0.0.1:${PORT}`);
});
