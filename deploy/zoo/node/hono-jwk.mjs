// hono-jwk: Hono + @hono/node-server with Hono's built-in JWK Auth Middleware (hono/jwk).
//
// Docs followed:
//   - Hono docs, "JWK Auth Middleware" (hono.dev/docs/middleware/builtin/jwk): jwk({ jwks_uri, alg })
//     and the `verification` option ("iss: validates issuer when provided", "aud: validates audience
//     when provided"); the payload from c.get('jwtPayload').
//   - Hono docs, "Node.js" getting started (serve({ fetch: app.fetch, port, hostname })).
//   - Better Auth "JWT" plugin docs: JWKS at /api/auth/jwks, iss = aud = the base URL.
//
// Env: PORT, JWKS_URL, ISSUER, AUDIENCE (deploy/zoo/CONVENTIONS.md).

import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { jwk } from "hono/jwk";

const { PORT, JWKS_URL, ISSUER, AUDIENCE } = process.env;

const app = new Hono();

app.get("/healthz", (c) => c.json({ ok: true }));

app.use(
  "/api/*",
  jwk({
    jwks_uri: JWKS_URL,
    alg: ["ES256"],
    verification: {
      iss: ISSUER,
      aud: AUDIENCE,
    },
  }),
);

app.get("/api/me", (c) => {
  const payload = c.get("jwtPayload");
  return c.json({ sub: payload.sub, email: payload.email, name: payload.name });
});

serve({ fetch: app.fetch, port: Number(PORT), hostname: "127.0.0.1" }, (info) => {
  console.log(`hono-jwk listening on http://127.0.0.1:${info.port} (JWKS ${JWKS_URL})`);
});
