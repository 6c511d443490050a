// Mints a new signing key in the running lab's database, the way the jwt() plugin itself does.
//
//   node rotate-key.mjs
//
// Calls `createJwk` (exported by better-auth/plugins/jwt; the function /jwks and the signer use to mint
// keys) with the plugin's own options and the server's auth context, so the new row is generated,
// encrypted and stored exactly like one Better Auth mints. The running server reads the jwks table
// on every request: from now on /token and get-session sign with the new key (the newest live key of
// the configured alg), and /api/auth/jwks publishes old and new keys (the old one never expires,
// since jwks.rotationInterval is unset). Prints {"kid","alg","previous"} as JSON.

import { createJwk } from "better-auth/plugins/jwt";
import { createAuth, loadConfig } from "./auth.mjs";

const config = loadConfig();
const { auth, db, jwtOptions } = createAuth(config);
const context = await auth.$context;

const hasTable = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'jwks'").get();
if (!hasTable) {
  console.error(`rotate-key: no jwks table in ${config.dbPath}: start the server first (deploy/start.sh)`);
  process.exit(1);
}
const previous = db.prepare("SELECT id FROM jwks ORDER BY createdAt DESC LIMIT 1").get()?.id ?? null;
// createJwk(ctx, options) only reads ctx.context (adapter, secretConfig), as inside an endpoint.
const key = await createJwk({ context }, jwtOptions);
db.close();
process.stdout.write(`${JSON.stringify({ kid: key.id, alg: key.alg, previous })}\n`);
