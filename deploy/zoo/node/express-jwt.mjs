// express-jwt: Express 5 + express-jwt + jwks-rsa, verifying Better Auth RS256 JWTs as their READMEs show.
//
// Docs followed:
//   - express-jwt README (github.com/auth0/express-jwt): expressjwt({ secret, algorithms, audience,
//     issuer }), "Error handling" (UnauthorizedError -> 401 "invalid token...").
//   - jwks-rsa README and EXAMPLES.md (github.com/auth0/node-jwks-rsa): secret: expressJwtSecret({ jwksUri,
//     cache: true }) with the client's defaults otherwise. Not `rateLimit: true`, which the express-demo
//     adds: its JwksRateLimitError is no UnauthorizedError, so the README's error handler turns it into
//     a 500 (see express-jwt-rate-limit-500).
//   - Better Auth, "JWT" plugin docs: JWKS at /api/auth/jwks, iss = aud = the base URL.
// jsonwebtoken (under express-jwt) has no EdDSA, so this backend sits behind the RS256 issuer.
//
// Env: PORT, JWKS_URL, ISSUER, AUDIENCE (deploy/zoo/CONVENTIONS.md).

import express from "express";
import { expressjwt } from "express-jwt";
import jwksRsa from "jwks-rsa";

const { PORT, JWKS_URL, ISSUER, AUDIENCE } = process.env;

const app = express();

app.get("/healthz", (req, res) => {
  res.json({ ok: true });
});

const checkJwt = expressjwt({
  secret: jwksRsa.expressJwtSecret({
    jwksUri: JWKS_URL,
    cache: true,
  }),
  audience: AUDIENCE,
  issuer: ISSUER,
  algorithms: ["RS256"],
});

app.get("/api/me", checkJwt, (req, res) => {
  res.json({ sub: req.auth.sub, email: req.auth.email, name: req.auth.name });
});

app.use(function (err, req, res, next) {
  if (err.name === "UnauthorizedError") {
    res.status(401).send("invalid token...");
  } else {
    next(err);
  }
});

app.listen(Number(PORT), "127.0.0.1", () => {
  console.log(`express-jwt listening on http://127.0.0.1:${PORT} (JWKS ${JWKS_URL})`);
});
