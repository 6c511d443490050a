//! Builds the seed corpora of every fuzz target into `fuzz/corpus/<target>/` (stable Rust):
//!
//! ```sh
//! cargo run --manifest-path fuzz/Cargo.toml --example make_corpus [-- <vectors dir>]
//! for t in $(cargo fuzz list); do cargo +nightly fuzz cmin "$t"; done
//! ```
//!
//! Sources: every compact JWS and every JWK / JWKS in the shared test vectors (Wycheproof JSON
//! Web Signature and Key files, RFC 7515 and RFC 8037 examples, the JOSE cookbook,
//! default `tests/vectors`); every token the attack catalogue forges against EdDSA, ES256
//! and RS256 sample issuers, with the issuers' key sets; the Better Auth fixture; the scenario
//! suites (`scenarios/*.toml`, `tests/fixtures/scenarios/**`). The structure-aware targets
//! (`validate`, `differential`) get inputs that walk every choice of the case decoder one byte at
//! a time. Existing files are kept (corpus files are named by content), so running this again
//! and minimising merges instead of replacing.

use authprobe::algorithm::Algorithm;
use authprobe::dangerous::forge::sample::SampleIssuer;
use authprobe::dangerous::forge::{forge_all, AttackerKeys, ForgeInput};
use serde_json::Value;
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

const NOW: i64 = 1_795_690_700;
const ISSUER: &str = "http://127.0.0.1:3000";

#[derive(Default)]
struct Seeds {
    tokens: BTreeSet<Vec<u8>>,
    jwks: BTreeSet<Vec<u8>>,
    scenarios: BTreeSet<Vec<u8>>,
    cases: BTreeSet<Vec<u8>>,
}

fn main() {
    let fuzz_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let root = fuzz_dir.parent().expect("fuzz/ has a parent").to_owned();
    let vectors = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("tests/vectors"));
    let mut seeds = Seeds::default();

    // Shared vectors: walk every JSON document.
    let mut files = Vec::new();
    collect_files(&vectors, "json", &mut files);
    for file in &files {
        let Ok(text) = fs::read(file) else { continue };
        if let Ok(value) = serde_json::from_slice::<Value>(&text) {
            walk(&value, &mut seeds);
        }
    }
    println!("{} vector files", files.len());

    // The Better Auth fixture.
    let ba = root.join("tests/fixtures/better-auth");
    let token = fs::read_to_string(ba.join("token.jwt")).expect("fixture token");
    seeds.tokens.insert(token.trim_end().as_bytes().to_vec());
    seeds
        .jwks
        .insert(fs::read(ba.join("jwks.json")).expect("fixture jwks"));
    seeds
        .jwks
        .insert(fs::read(ba.join("issuer-private.jwk.json")).expect("fixture private jwk"));

    // The attack catalogue against sample issuers.
    let attacker = AttackerKeys::generate().expect("attacker keys");
    for alg in [Algorithm::EdDSA, Algorithm::ES256, Algorithm::RS256] {
        let issuer = SampleIssuer::generate(alg).expect("sample issuer");
        let base = issuer.token(ISSUER, NOW);
        seeds.tokens.insert(base.as_str().as_bytes().to_vec());
        let published = Value::Object(
            [(
                "keys".to_owned(),
                Value::Array(
                    issuer
                        .published
                        .iter()
                        .cloned()
                        .map(Value::Object)
                        .collect(),
                ),
            )]
            .into_iter()
            .collect(),
        );
        seeds.jwks.insert(published.to_string().into_bytes());
        let input = ForgeInput {
            base: &base,
            target_keys: &issuer.published,
            issuer_key: Some(&issuer.key),
            attacker: &attacker,
            oob_base: "http://127.0.0.1:9",
            now: NOW,
        };
        let forged = forge_all(&input);
        println!("{alg}: {} forged tokens", forged.len());
        for f in forged {
            seeds.tokens.insert(f.token.into_bytes());
        }
    }

    // Scenario suites.
    let mut tomls = Vec::new();
    collect_files(&root.join("scenarios"), "toml", &mut tomls);
    collect_files(&root.join("tests/fixtures/scenarios"), "toml", &mut tomls);
    for file in &tomls {
        seeds
            .scenarios
            .insert(fs::read(file).expect("scenario file"));
    }

    // Structure-aware inputs: all zeros is the well-formed case; then every byte position of a
    // short input takes every small value in turn, which reaches each choice of the decoder.
    seeds.cases.insert(vec![0; 96]);
    for pos in 0..48 {
        for value in 1..32u8 {
            let mut input = vec![0u8; 96];
            input[pos] = value;
            seeds.cases.insert(input);
        }
    }

    let corpus = fuzz_dir.join("corpus");
    let write = |target: &str, items: &BTreeSet<Vec<u8>>| {
        let dir = corpus.join(target);
        fs::create_dir_all(&dir).expect("corpus dir");
        for item in items {
            fs::write(dir.join(name_of(item)), item).expect("corpus file");
        }
        println!("{target}: {} seeds", items.len());
    };
    write("token_parse", &seeds.tokens);
    write("jwks_parse", &seeds.jwks);
    write("scenario_parse", &seeds.scenarios);
    write("validate", &seeds.cases);
    write("differential", &seeds.cases);
}

/// Every compact JWS string, JWK object and JWKS object anywhere in a JSON document.
fn walk(value: &Value, seeds: &mut Seeds) {
    match value {
        Value::String(s) if looks_like_jws(s) => {
            seeds.tokens.insert(s.as_bytes().to_vec());
        }
        Value::Array(items) => items.iter().for_each(|v| walk(v, seeds)),
        Value::Object(map) => {
            if map.contains_key("kty") {
                let text = value.to_string();
                seeds.jwks.insert(text.clone().into_bytes());
                seeds
                    .jwks
                    .insert(format!("{{\"keys\":[{text}]}}").into_bytes());
            }
            if map.get("keys").is_some_and(Value::is_array) {
                seeds.jwks.insert(value.to_string().into_bytes());
            }
            map.values().for_each(|v| walk(v, seeds));
        }
        _ => {}
    }
}

fn looks_like_jws(s: &str) -> bool {
    s.starts_with("eyJ")
        && s.matches('.').count() >= 2
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.=+/".contains(&b))
}

fn collect_files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect_files(&path, ext, out);
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
}

/// A content-derived file name (FNV-1a, 64 bits; `cargo fuzz cmin` renames to SHA-1 anyway).
fn name_of(bytes: &[u8]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("seed-{hash:016x}")
}
