// Better Auth (email + password, jwt(), bearer()) on node:http, bound to 127.0.0.1 only.
//
// Env: AUTH_PORT (43100), BETTER_AUTH_URL (http://127.0.0.1:$AUTH_PORT), BETTER_AUTH_SECRET (lab secret),
// AUTH_DB_PATH (deploy/run/auth.db), BA_ALG (EdDSA | ES256 | RS256 | PS256 | ES512), FRONTEND_ORIGIN, BA_JWT_SCOPE,
// AUTH_PASS_CLIENT_XFF, NODE_ENV (production turns Better Auth's rate limiting on),
// AUTH_LAB_CONTROL=1 (the lab's control plane below, for key-lifecycle measurements).
//
// The lab control plane (only with AUTH_LAB_CONTROL=1; loopback only, like everything here) plays the
// operator and the issuer's access log, so that authprobe can measure how a backend follows the key set:
//   POST /__lab/rotate             mint a new signing key with Better Auth's own createJwk (as rotation
//                                  does); prints {"kid","alg","previous"}
//   POST /__lab/retire?kid=<kid>   remove a key from the key set (what Better Auth does once a rotated
//                                  key's grace period is over): it leaves /api/auth/jwks at once
//   GET  /__lab/jwks-fetches       {"count": n}: GET /api/auth/jwks requests served so far (the access log)
//   POST /__lab/jwks?mode=up|down|slow   the key set endpoint answers normally, 503, or after 6 s
//   POST /__lab/make-admin?email=<email>  give a user the admin role (needs BA_ADMIN_PLUGIN=1): the
//                                  lab's stand-in for the operator who appoints admins; the ban itself
//                                  then goes through Better Auth's own POST /api/auth/admin/ban-user

import http from "node:http";
import { toNodeHandler } from "better-auth/node";
import { createJwk } from "better-auth/plugins/jwt";
import { createAuth, loadConfig } from "./auth.mjs";

const config = loadConfig();
const { auth, db, jwtOptions } = createAuth(config);
const labControl = process.env.AUTH_LAB_CONTROL === "1";
const jwksPath = "/api/auth/jwks";
let jwksFetches = 0;
let jwksMode = "up";

// The auth CLI needs Node 22; run the migrations in-process (creates user, session, account,
// verification and jwks on a fresh database, and does nothing on a migrated one).
const context = await auth.$context;
await context.runMigrations();

const handler = toNodeHandler(auth);

function json(res, status, body) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

/** The lab control plane; true when it answered the request. */
async function labRoute(req, res, url) {
  if (!url.pathname.startsWith("/__lab/")) return false;
  if (!labControl) {
    json(res, 404, { error: "the lab control plane is off (AUTH_LAB_CONTROL=1)" });
    return true;
  }
  if (req.method === "POST" && url.pathname === "/__lab/rotate") {
    const previous = db.prepare("SELECT id FROM jwks ORDER BY createdAt DESC LIMIT 1").get()?.id ?? null;
    const key = await createJwk({ context }, jwtOptions);
    json(res, 200, { kid: key.id, alg: key.alg, previous });
  } else if (req.method === "POST" && url.pathname === "/__lab/retire") {
    const kid = url.searchParams.get("kid") ?? "";
    const removed = db.prepare("DELETE FROM jwks WHERE id = ?").run(kid).changes;
    json(res, removed ? 200 : 404, { kid, removed });
  } else if (req.method === "GET" && url.pathname === "/__lab/jwks-fetches") {
    json(res, 200, { count: jwksFetches });
  } else if (req.method === "POST" && url.pathname === "/__lab/jwks") {
    const mode = url.searchParams.get("mode") ?? "";
    if (!["up", "down", "slow"].includes(mode)) {
      json(res, 400, { error: "mode must be up, down or slow" });
    } else {
      jwksMode = mode;
      json(res, 200, { mode });
    }
  } else if (req.method === "POST" && url.pathname === "/__lab/make-admin") {
    if (!config.adminPlugin) {
      json(res, 409, { error: "the admin plugin is off (BA_ADMIN_PLUGIN=1)" });
      return true;
    }
    const email = (url.searchParams.get("email") ?? "").toLowerCase();
    const changed = db.prepare("UPDATE user SET role = 'admin' WHERE email = ?").run(email).changes;
    json(res, changed ? 200 : 404, { email, admin: changed > 0 });
  } else {
    json(res, 404, { error: "unknown lab route" });
  }
  return true;
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url ?? "/", "http://lab");
  try {
    if (await labRoute(req, res, url)) return;
  } catch (err) {
    console.error("lab control plane:", err);
    if (!res.headersSent) json(res, 500, { error: String(err) });
    return;
  }
  if (url.pathname === jwksPath && req.method === "GET") {
    jwksFetches += 1;
    if (jwksMode === "down") {
      json(res, 503, { error: "key set down (lab control plane)" });
      return;
    }
    if (jwksMode === "slow") await new Promise((resolve) => setTimeout(resolve, 6000));
  }
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
