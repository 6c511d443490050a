//! Regenerates `tests/fixtures/better-auth/`: a token shaped exactly like one Better Auth 1.7
//! mints (header `{"alg":"EdDSA","kid":…}`, the session user's fields, 900 s lifetime), signed by
//! a fixed, test-only Ed25519 key, with the key set Better Auth would publish for it.
//!
//! `cargo run --example better_auth_fixture` rewrites the files; Ed25519 is deterministic, so
//! the output is identical every time and `tests/better_auth_fixture.rs` checks that it is.

use authprobe::sign::{sign_compact, SigningKey};
use authprobe::{base64url, Algorithm};
use std::fs;

/// The sample issuer's seed: SHA-256("authprobe sample Better Auth issuer key"). Test-only.
const SEED_B64: &str = "kOcqpGAZFkAACcnwNmWGb14LAFUYQ-ICQ9lpIzmHD8E";
const KID: &str = "k7QwZp2LxR9vTmN4bYc8HsJd3FgEa6Uu";
const DIR: &str = "tests/fixtures/better-auth";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seed: [u8; 32] = base64url::decode(SEED_B64.as_bytes())?
        .try_into()
        .map_err(|_| "seed must be 32 bytes")?;
    let key = SigningKey::ed25519_from_seed(seed);
    let public = key.public_jwk(None, None);
    let x = public["x"].as_str().ok_or("no x")?;

    // Member order as Better Auth writes them (observed in better-auth-transcripts.md).
    let header = format!(r#"{{"alg":"EdDSA","kid":"{KID}"}}"#);
    let claims = concat!(
        r#"{"iat":1795690624,"name":"Alice","email":"alice@example.com","emailVerified":false,"#,
        r#""image":null,"createdAt":"2026-11-26T10:57:03.553Z","updatedAt":"2026-11-26T10:57:03.553Z","#,
        r#""id":"9URAu33PHr1A5LlE7KXJTelugMMDgpKy","sub":"9URAu33PHr1A5LlE7KXJTelugMMDgpKy","#,
        r#""exp":1795691524,"iss":"http://127.0.0.1:3000","aud":"http://127.0.0.1:3000"}"#
    );
    let token = sign_compact(header.as_bytes(), claims.as_bytes(), &key, Algorithm::EdDSA)?;
    let jwks = format!(
        r#"{{"keys":[{{"alg":"EdDSA","crv":"Ed25519","x":"{x}","kty":"OKP","kid":"{KID}"}}]}}"#
    );
    let private = format!(
        r#"{{"kty":"OKP","crv":"Ed25519","d":"{SEED_B64}","x":"{x}","kid":"{KID}","alg":"EdDSA"}}"#
    );
    fs::create_dir_all(DIR)?;
    fs::write(format!("{DIR}/token.jwt"), format!("{token}\n"))?;
    fs::write(format!("{DIR}/header.json"), format!("{header}\n"))?;
    fs::write(format!("{DIR}/claims.json"), format!("{claims}\n"))?;
    fs::write(format!("{DIR}/jwks.json"), format!("{jwks}\n"))?;
    fs::write(
        format!("{DIR}/issuer-private.jwk.json"),
        format!("{private}\n"),
    )?;
    println!("wrote {DIR}: token, header, claims, jwks, issuer-private key");
    Ok(())
}
