// express-jwt-rate-limit-500: Express 5 + express-jwt + jwks-rsa with jwks-rsa's JWKS rate limit on,
// verifying Better Auth RS256 JWTs as the READMEs and the jwks-rsa express demo show.
//
// Docs followed:
//   - express-jwt README (github.com/auth0/express-jwt): expressjwt({ secret, algorithms, audience,
//     issuer }), "Error handling" (UnauthorizedError -> 401 "invalid token...").
//   - jwks-rsa EXAMPLES.md ("Rate Limiting": "To prevent attackers to send many random `kid`s you can
//     also configure rate limiting") and examples/express-demo/server.js (github.com/auth0/node-jwks-rsa):
//     secret: expressJwtSecret({ cache: true, rateLimit: true, jwksUri }).
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
    cache: true,
    rateLimit: true, // FLAW: past 10 unknown kids a minute jwks-rsa rejects with JwksRateLimitError, which the error handler below passes on as a 500
    jwksUri: JWKS_URL,
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
  console.log(`express-jwt-rate-limit-500 listening on http://127.0.0.1:${PORT} (JWKS ${JWKS_URL})`);
});
