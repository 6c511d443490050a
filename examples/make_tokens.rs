//! Writes N distinct Better Auth-shaped EdDSA tokens, one per line, signed with the sample
//! fixture's issuer key (tests/fixtures/better-auth/), for measuring `validate --batch`:
//!
//! ```sh
//! cargo run --release --example make_tokens -- 100000 /tmp/tokens.txt
//! target/release/authprobe validate --batch --jwks tests/fixtures/better-auth/jwks.json \
//!   --issuer http://127.0.0.1:3000 --audience http://127.0.0.1:3000 --now 1795690700 \
//!   /tmp/tokens.txt > /dev/null
//! ```
//!
//! Each token has the fixture's header and claims with its own user id (`id` = `sub`), so every
//! token is about 600 bytes and all are valid at `--now 1795690700`. Writes to standard output
//! when no path is given.

use authprobe::sign::{sign_compact, SigningKey};
use authprobe::Algorithm;
use serde_json::{Map, Value};
use std::io::Write as _;
use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let count: usize = args.next().as_deref().unwrap_or("100000").parse()?;
    let out_path = args.next();

    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/better-auth");
    let private: Map<String, Value> =
        serde_json::from_slice(&std::fs::read(dir.join("issuer-private.jwk.json"))?)?;
    let key = SigningKey::from_private_jwk(&private)?;
    let header = std::fs::read_to_string(dir.join("header.json"))?;
    let claims = std::fs::read_to_string(dir.join("claims.json"))?;
    let (header, claims) = (header.trim_end(), claims.trim_end());
    let base_id = "9URAu33PHr1A5LlE7KXJTelugMMDgpKy";

    let mut out: Box<dyn std::io::Write> = match &out_path {
        Some(path) => Box::new(std::io::BufWriter::new(std::fs::File::create(path)?)),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    for i in 0..count {
        // Same length as the fixture's id: its first 24 characters, then 8 digits.
        let id = format!("{}{i:08}", &base_id[..24]);
        let claims = claims.replace(base_id, &id);
        let token = sign_compact(header.as_bytes(), claims.as_bytes(), &key, Algorithm::EdDSA)?;
        writeln!(out, "{token}")?;
    }
    out.flush()?;
    if let Some(path) = out_path {
        eprintln!("wrote {count} tokens to {path}");
    }
    Ok(())
}
