// express-jsonwebtoken8-none: Express 5 + jsonwebtoken 8.5.1 with a jwks-rsa getKey callback and
// no `algorithms` option.
//
// Docs followed:
//   - jsonwebtoken 8.5.1 README, "Verify using getKey callback" (jwks-rsa as the key source) and
//     jwt.verify(token, secretOrPublicKey, [options, callback]) with audience and issuer.
//   - jwks-rsa README / EXAMPLES.md: jwksClient({ jwksUri, cache: true }), getSigningKey(kid, cb).
//   - Express 5 docs (routing, app.listen); Better Auth "JWT" plugin docs (JWKS, iss = aud = base URL).
// The README's getKey reads key.publicKey unconditionally, which throws (and kills the process) when
// the kid is unknown; like many teams, this one made it return no key instead, expecting jwt.verify
// to refuse a token it has no key for. The library is the vulnerable jsonwebtoken 8.5.1 (npm alias
// jsonwebtoken-8), see CVE-2022-23540 / GHSA-qwph-4952-7xr6.
//
// Env: PORT, JWKS_URL, ISSUER, AUDIENCE (deploy/zoo/CONVENTIONS.md).

import express from "express";
import jwt from "jsonwebtoken-8";
import jwksClient from "jwks-rsa";

const { PORT, JWKS_URL, ISSUER, AUDIENCE } = process.env;

const client = jwksClient({ jwksUri: JWKS_URL, cache: true });

function getKey(header, callback) {
  client.getSigningKey(header.kid, function (err, key) {
    const signingKey = key?.publicKey || key?.rsaPublicKey; // undefined for an unknown kid
    callback(null, signingKey);
  });
}

const app = express();

app.get("/healthz", (req, res) => {
  res.json({ ok: true });
});

app.get("/api/me", (req, res) => {
  const [scheme, token] = (req.headers.authorization ?? "").split(" ");
  if (scheme !== "Bearer" || !token) {
    return res.status(401).json({ error: "missing bearer token" });
  }
  // FLAW: no `algorithms` option: jsonwebtoken 8 then allows "none" for a token without signature when getKey gives no key
  jwt.verify(token, getKey, { issuer: ISSUER, audience: AUDIENCE }, (err, payload) => {
    if (err) {
      console.error("jwt verification failed:", err.name);
      return res.status(401).json({ error: "invalid token" });
    }
    res.json({ sub: payload.sub, email: payload.email, name: payload.name });
  });
});

app.listen(Number(PORT), "127.0.0.1", () => {
  console.log(`express-jsonwebtoken8-none listening on http://127.0.0.1:${PORT} (JWKS ${JWKS_URL})`);
});
