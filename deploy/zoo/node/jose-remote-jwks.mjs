// jose-remote-jwks: node:http + jose with one remote key set for the whole process, as jose's own docs
// show it (the key set object is created once, outside the request handler, and reused).
//
// Docs followed:
//   - jose, docs/jwks/remote/functions/createRemoteJWKSet.md: "Returns a function that can be used as
//     the key input for jwtVerify... fetches the JWKS from the URL, caches it (cacheMaxAge, default
//     10 minutes), and refetches when no key matches, at most once per cooldownDuration (30 s)".
//   - jose, docs/jwt/verify/functions/jwtVerify.md (issuer and audience options).
//   - Better Auth, JWT plugin docs (keys at <baseURL>/api/auth/jwks; iss = aud = the base URL).
//   - Node.js docs, http.createServer.
//
// Env: PORT, JWKS_URL, ISSUER, AUDIENCE (deploy/zoo/CONVENTIONS.md) and JWKS_CACHE_MAX_AGE_S (jose's
// documented cacheMaxAge in seconds; unset = jose's default of 10 minutes; the jose-remote-jwks
// manifest sets 20 so that a retired key's lifetime in the cache is short enough to measure).

import http from "node:http";
import { jwtVerify, createRemoteJWKSet } from "jose";

const { PORT, JWKS_URL, ISSUER, AUDIENCE, JWKS_CACHE_MAX_AGE_S } = process.env;

const JWKS = createRemoteJWKSet(
  new URL(JWKS_URL),
  JWKS_CACHE_MAX_AGE_S ? { cacheMaxAge: Number(JWKS_CACHE_MAX_AGE_S) * 1000 } : {},
);

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
      ({ payload } = await jwtVerify(token, JWKS, { issuer: ISSUER, audience: AUDIENCE }));
    } catch (error) {
      console.error("Token validation failed:", error.code ?? error.name);
      return sendJson(res, 401, { error: "Unauthorized" }, { "www-authenticate": 'Bearer error="invalid_token"' });
    }
    return sendJson(res, 200, { sub: payload.sub, email: payload.email, name: payload.name });
  }
  sendJson(res, 404, { error: "Not Found" });
});

server.listen(Number(PORT), "127.0.0.1", () => {
  console.log(`jose-remote-jwks listening on http://127.0.0.1:${PORT} (JWKS ${JWKS_URL})`);
});
