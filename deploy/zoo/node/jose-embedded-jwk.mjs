// jose-embedded-jwk: node:http + jose, Better Auth's JWKS for Better Auth's tokens, and jose's
// EmbeddedJWK for tokens that carry their own public key in the `jwk` header.
//
// Docs followed:
//   - Better Auth, "JWT" plugin docs (docs/content/docs/plugins/jwt.mdx), "Example using jose with
//     remote JWKS": createRemoteJWKSet + jwtVerify(token, JWKS, { issuer, audience }).
//   - jose docs/jwk/embedded/functions/EmbeddedJWK.md ("...whenever you need to opt-in to verify
//     signatures with a public key embedded in the token's "jwk" (JSON Web Key) Header Parameter"),
//     added so that the team's device-bound clients can send tokens they sign themselves.
//   - jose docs/jwt/verify/functions/jwtVerify.md (a key-resolving function as the second argument).
//   - Node.js docs, http.createServer.
//
// Env: PORT, JWKS_URL, ISSUER, AUDIENCE (deploy/zoo/CONVENTIONS.md).

import http from "node:http";
import { jwtVerify, createRemoteJWKSet, EmbeddedJWK } from "jose";

const { PORT, JWKS_URL, ISSUER, AUDIENCE } = process.env;

const JWKS = createRemoteJWKSet(new URL(JWKS_URL));

// Tokens with a `jwk` header are checked with the key they carry; all others with Better Auth's JWKS.
function getKey(protectedHeader, token) {
  if (protectedHeader.jwk) {
    return EmbeddedJWK(protectedHeader, token); // FLAW: trusts whatever public key the token itself carries
  }
  return JWKS(protectedHeader, token);
}

async function validateToken(token) {
  const { payload } = await jwtVerify(token, getKey, { issuer: ISSUER, audience: AUDIENCE });
  return payload;
}

function sendJson(res, status, body, headers = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

function bearerToken(req) {
  const [scheme, token] = (req.headers.authorization ?? "").split(" ");
  return scheme === "Bearer" && token ? token : null;
}

const server = http.createServer(async (req, res) => {
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
      payload = await validateToken(token);
    } catch (error) {
      console.error("Token validation failed:", error.code ?? error.name);
      return sendJson(res, 401, { error: "Unauthorized" }, { "www-authenticate": 'Bearer error="invalid_token"' });
    }
    return sendJson(res, 200, { sub: payload.sub, email: payload.email, name: payload.name });
  }
  sendJson(res, 404, { error: "Not Found" });
});

server.listen(Number(PORT), "127.0.0.1", () => {
  console.log(`jose-embedded-jwk listening on http://127.0.0.1:${PORT} (JWKS ${JWKS_URL})`);
});
