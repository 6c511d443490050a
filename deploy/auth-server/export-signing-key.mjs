// Prints the private JWK Better Auth currently signs with, for authprobe's white-box `--issuer-key`.
//
//   node export-signing-key.mjs [--kid <kid>]
//
// Reads the `jwks` table of the same database the server uses (AUTH_DB_PATH) and decrypts the stored
// private key with Better Auth's own `symmetricDecrypt` (better-auth/crypto: XChaCha20-Poly1305 keyed
// with SHA-256 of the secret) and the server's own secret configuration (`(await auth.$context).secretConfig`),
// so the secret must be the server's (BETTER_AUTH_SECRET, or the lab default).
//
// Without --kid it picks the key the jwt() plugin signs with: the newest live key whose alg is the
// configured one (BA_ALG), else the newest live key (plugins/jwt/sign.ts resolveSigningKey).
// Output: one JSON object on stdout, the private JWK with "kid" (the row id) and "alg" added.

import { symmetricDecrypt } from "better-auth/crypto";
import { createAuth, loadConfig } from "./auth.mjs";

function fail(message) {
  console.error(`export-signing-key: ${message}`);
  process.exit(1);
}

const args = process.argv.slice(2);
let wantedKid;
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--kid" && i + 1 < args.length) wantedKid = args[++i];
  else fail(`unknown argument ${JSON.stringify(args[i])} (usage: export-signing-key.mjs [--kid <kid>])`);
}

const config = loadConfig();
const { auth, db, jwtOptions } = createAuth(config);
const context = await auth.$context;

const hasTable = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'jwks'").get();
if (!hasTable) fail(`no jwks table in ${config.dbPath}: start the server first (deploy/start.sh)`);

// Dates are stored by Better Auth's Kysely SQLite adapter as ISO strings.
const rows = db.prepare('SELECT id, publicKey, privateKey, createdAt, expiresAt, alg, crv FROM jwks').all();
if (rows.length === 0) fail("the jwks table is empty: GET /api/auth/jwks (or any /token) creates the first key");

const now = Date.now();
const time = (v) => (v == null ? null : new Date(v).getTime());
let row;
if (wantedKid !== undefined) {
  row = rows.find((r) => r.id === wantedKid);
  if (!row) fail(`no key with kid ${JSON.stringify(wantedKid)}`);
} else {
  const configuredAlg = jwtOptions.jwks.keyPairConfig.alg;
  const live = rows
    .filter((r) => r.expiresAt == null || time(r.expiresAt) > now)
    .sort((a, b) => time(b.createdAt) - time(a.createdAt));
  row = live.find((r) => (r.alg ?? configuredAlg) === configuredAlg) ?? live[0];
  if (!row) fail("every stored key has expired; the next signature will mint a new one");
}

let privateJwkText;
try {
  // createJwk stores JSON.stringify(<hex or $ba$ envelope>), so unwrap the JSON string first.
  privateJwkText = await symmetricDecrypt({ key: context.secretConfig, data: JSON.parse(row.privateKey) });
} catch {
  fail("could not decrypt the private key: the secret differs from the one the server used");
}
const privateJwk = JSON.parse(privateJwkText);
const alg = row.alg ?? jwtOptions.jwks.keyPairConfig.alg;
db.close();
process.stdout.write(`${JSON.stringify({ ...privateJwk, kid: row.id, alg })}\n`);
