// The Better Auth instance of the lab, shared by server.mjs and the key tools (export-signing-key.mjs,
// rotate-key.mjs) so that all of them read the same database with the same secret and jwt() options.
//
// Everything is configured from the environment; the defaults are the loopback lab of deploy/README.md.

import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { betterAuth } from "better-auth";
import { admin, bearer, jwt } from "better-auth/plugins";

const here = dirname(fileURLToPath(import.meta.url));

/** The fixed secret of the local lab. Never use it outside 127.0.0.1: it is public in this repository. */
export const LAB_SECRET = "authprobe-lab-secret-0123456789-not-for-production-use";

/** jwks.keyPairConfig for each BA_ALG value the lab supports. */
const KEY_PAIR_CONFIGS = {
  EdDSA: { alg: "EdDSA", crv: "Ed25519" },
  ES256: { alg: "ES256" },
  RS256: { alg: "RS256", modulusLength: 2048 },
  PS256: { alg: "PS256", modulusLength: 2048 },
  ES512: { alg: "ES512" },
};

/** Reads the lab's configuration from the environment. Throws with a clear message on a bad value. */
export function loadConfig(env = process.env) {
  const port = Number(env.AUTH_PORT ?? 43100);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`AUTH_PORT must be a TCP port, got ${JSON.stringify(env.AUTH_PORT)}`);
  }
  const alg = env.BA_ALG || "EdDSA";
  const keyPairConfig = KEY_PAIR_CONFIGS[alg];
  if (!keyPairConfig) {
    throw new Error(`BA_ALG must be one of ${Object.keys(KEY_PAIR_CONFIGS).join(", ")}, got ${JSON.stringify(alg)}`);
  }
  const secret = env.BETTER_AUTH_SECRET || LAB_SECRET;
  if (secret.length < 32) {
    throw new Error("BETTER_AUTH_SECRET must be at least 32 characters");
  }
  return {
    port,
    baseURL: env.BETTER_AUTH_URL || `http://127.0.0.1:${port}`,
    secret,
    dbPath: resolve(env.AUTH_DB_PATH || resolve(here, "..", "run", "auth.db")),
    alg,
    keyPairConfig,
    frontendOrigin: env.FRONTEND_ORIGIN || "http://127.0.0.1:5173",
    // Optional `scope` claim added to every JWT (e.g. "reports:read"); unset = Better Auth's default payload.
    jwtScope: env.BA_JWT_SCOPE || "",
    // By default server.mjs acts as the reverse proxy in front of Better Auth and sets X-Forwarded-For to
    // the socket's address, so a client cannot pick its own rate-limit bucket. AUTH_PASS_CLIENT_XFF=1
    // passes the client's header through (Better Auth's bare default, spoofable).
    passClientXff: env.AUTH_PASS_CLIENT_XFF === "1",
    // BA_ADMIN_PLUGIN=1 adds Better Auth's admin() plugin (ban, session revocation by an admin). Off by
    // default: it adds role/banned/banReason/banExpires to the user, hence to every JWT's claims.
    adminPlugin: env.BA_ADMIN_PLUGIN === "1",
  };
}

/** The options given to the jwt() plugin; rotate-key.mjs needs the same ones for createJwk. */
export function jwtPluginOptions(config) {
  const options = { jwks: { keyPairConfig: config.keyPairConfig } };
  if (config.jwtScope) {
    // definePayload replaces the default payload (the session's user), so keep the user and add scope.
    options.jwt = { definePayload: (session) => ({ ...session.user, scope: config.jwtScope }) };
  }
  return options;
}

/** Opens the SQLite database and builds the Better Auth instance. */
export function createAuth(config = loadConfig()) {
  mkdirSync(dirname(config.dbPath), { recursive: true });
  const db = new Database(config.dbPath);
  const jwtOptions = jwtPluginOptions(config);
  const auth = betterAuth({
    baseURL: config.baseURL,
    secret: config.secret,
    database: db,
    emailAndPassword: { enabled: true },
    trustedOrigins: [config.frontendOrigin],
    plugins: [jwt(jwtOptions), bearer(), ...(config.adminPlugin ? [admin()] : [])],
  });
  return { auth, db, jwtOptions };
}
