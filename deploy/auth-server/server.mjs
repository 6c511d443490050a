// Better Auth (email + password, jwt(), bearer()) on node:http, bound to 127.0.0.1 only.
//
// Env: AUTH_PORT (43100), BETTER_AUTH_URL (http://127.0.0.1:$AUTH_PORT), BETTER_AUTH_SECRET (lab secret),
// AUTH_DB_PATH (deploy/run/auth.db), BA_ALG (EdDSA | ES256 | RS256 | PS256 | ES512), FRONTEND_ORIGIN, BA_JWT_SCOPE,
// AUTH_PASS_CLIENT_XFF, NODE_ENV (production turns Better Auth's rate limiting on).

import http from "node:http";
import { toNodeHandler } from "better-auth/node";
import { createAuth, loadConfig } from "./auth.mjs";

const config = loadConfig();
const { auth, db } = createAuth(config);

// The auth CLI needs Node 22; run the migrations in-process (creates user, session, account,
// verification and jwks on a fresh database, and does nothing on a migrated one).
const context = await auth.$context;
await context.runMigrations();

const handler = toNodeHandler(auth);
const server = http.createServer((req, res) => {
  if (!config.passClientXff) {
    // Play the trusted reverse proxy: Better Auth takes the client IP (rate-limit key, session.ipAddress)
    // only from X-Forwarded-For, so replace whatever the client sent with the real peer address.
    req.headers["x-forwarded-for"] = req.socket.remoteAddress ?? "";
  }
  handler(req, res).catch((err) => {
    console.error("unhandled error", err);
    if (!res.headersSent) res.writeHead(500);
    res.end();
  });
});

server.listen(config.port, "127.0.0.1", () => {
  console.log(
    `better-auth listening on http://127.0.0.1:${config.port} (baseURL ${config.baseURL}, alg ${config.alg}, ` +
      `NODE_ENV=${process.env.NODE_ENV ?? "(unset)"}, db ${config.dbPath})`,
  );
});

function shutdown(signal) {
  console.log(`${signal}: shutting down`);
  server.close(() => {
    db.close();
    process.exit(0);
  });
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on("SIGTERM", () => shutdown("SIGTERM"));
process.on("SIGINT", () => shutdown("SIGINT"));
