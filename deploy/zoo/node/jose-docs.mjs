// jose-docs: node:http + jose, verifying Better Auth JWTs exactly as Better Auth's JWT plugin docs show.
//
// Docs followed:
//   - Better Auth, "JWT" plugin (docs/content/docs/plugins/jwt.mdx), "Example using jose with remote JWKS":
//     validateToken() below is that example, with the URLs taken from the environment.
//   - jose README / docs/jwks/remote/functions/createRemoteJWKSet.md and docs/jwt/verify/functions/jwtVerify.md.
//   - Node.js docs, http.createServer.
//
// Env: PORT, JWKS_URL, ISSUER, AUDIENCE (deploy/zoo/CONVENTIONS.md). Also run, unchanged, by the
// jose-docs-ps256 and jose-docs-es512 manifests.

import http from "node:http";
import { jwtVerify, createRemoteJWKSet } from "jose";

const { PORT, JWKS_URL, ISSUER, AUDIENCE } = process.env;

async function validateToken(token) {
  try {
    const JWKS = createRemoteJWKSet(new URL(JWKS_URL));
    const { payload } = await jwtVerify(token, JWKS, {
      issuer: ISSUER, // Should match your JWT issuer, which is the BASE_URL
      audience: AUDIENCE, // Should match your JWT audience, which is the BASE_URL by default
    });
    return payload;
  } catch (error) {
    // The docs log the whole error; jose's claim errors carry the claims (PII), so log the code only.
    console.error("Token validation failed:", error.code ?? error.name);
    throw error;
  }
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
    } catch {
      return sendJson(res, 401, { error: "Unauthorized" }, { "www-authenticate": 'Bearer error="invalid_token"' });
    }
    return sendJson(res, 200, { sub: payload.sub, email: payload.email, name: payload.name });
  }
  sendJson(res, 404, { error: "Not Found" });
});

server.listen(Number(PORT), "127.0.0.1", () => {
  console.log(`jose-docs listening on http://127.0.0.1:${PORT} (JWKS ${JWKS_URL})`);
});
