// express-jsonwebtoken8-alg-from-header: Express 5 + jsonwebtoken 8.5.1 + jwks-rsa, verifying with
// the key jwks-rsa returns for the token's kid and "whatever algorithm the issuer signs with".
//
// Docs followed:
//   - jsonwebtoken 8.5.1 README: jwt.decode(token, { complete: true }) for the header, and
//     jwt.verify(token, secretOrPublicKey, { algorithms, audience, issuer }) ("secretOrPublicKey is a
//     string or buffer containing either the secret for HMAC algorithms, or the PEM encoded public key").
//   - jwks-rsa README ("Retrieve a key"): client.getSigningKey(kid) then key.getPublicKey() (SPKI PEM).
//   - Express 5 docs (routing, app.listen); Better Auth "JWT" plugin docs (JWKS, iss = aud = base URL).
// The library is the vulnerable jsonwebtoken 8.5.1 (npm alias jsonwebtoken-8), see CVE-2022-23541 /
// GHSA-hjrf-2m68-5959: the same key string is used as an RSA public key or as an HMAC secret,
// depending on the algorithm allowed.
//
// Env: PORT, JWKS_URL, ISSUER, AUDIENCE (deploy/zoo/CONVENTIONS.md).

import express from "express";
import jwt from "jsonwebtoken-8";
import jwksClient from "jwks-rsa";

const { PORT, JWKS_URL, ISSUER, AUDIENCE } = process.env;

const client = jwksClient({ jwksUri: JWKS_URL, cache: true });

const app = express();

app.get("/healthz", (req, res) => {
  res.json({ ok: true });
});

app.get("/api/me", async (req, res) => {
  const [scheme, token] = (req.headers.authorization ?? "").split(" ");
  if (scheme !== "Bearer" || !token) {
    return res.status(401).json({ error: "missing bearer token" });
  }
  const decoded = jwt.decode(token, { complete: true });
  if (!decoded) {
    return res.status(401).json({ error: "invalid token" });
  }
  try {
    const key = await client.getSigningKey(decoded.header.kid);
    const payload = jwt.verify(token, key.getPublicKey(), {
      algorithms: [decoded.header.alg], // FLAW: the allowed algorithm is the one the token names (RS256 -> HS256 keyed with the PEM)
      issuer: ISSUER,
      audience: AUDIENCE,
    });
    res.json({ sub: payload.sub, email: payload.email, name: payload.name });
  } catch (err) {
    console.error("jwt verification failed:", err.name);
    res.status(401).json({ error: "invalid token" });
  }
});

app.listen(Number(PORT), "127.0.0.1", () => {
  console.log(`express-jsonwebtoken8-alg-from-header listening on http://127.0.0.1:${PORT} (JWKS ${JWKS_URL})`);
});
