//! Helpers shared by the integration tests: the Better Auth sample fixture, re-signing with its
//! issuer key, the shared vectors folder, temporary folders of a test's own, and the `authprobe`
//! binary as a user runs it.
#![allow(dead_code)]

use authprobe::jwk::KeySet;
use authprobe::sign::{sign_compact, SigningKey};
use authprobe::validate::FixedClock;
use authprobe::{Algorithm, Policy, Validator};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
#[cfg(feature = "cli")]
use std::process::{Command, Output, Stdio};

/// The sample issuer's origin (iss = aud for Better Auth).
pub const ISSUER: &str = "http://127.0.0.1:3000";
/// An instant inside the sample token's lifetime (iat 1795690624, exp 1795691524).
pub const NOW: i64 = 1_795_690_700;

/// A file under `tests/fixtures/`.
pub fn fixture_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// The contents of a fixture file, without its trailing newline.
pub fn fixture(rel: &str) -> String {
    let text =
        std::fs::read_to_string(fixture_path(rel)).unwrap_or_else(|e| panic!("fixture {rel}: {e}"));
    text.strip_suffix('\n').unwrap_or(&text).to_owned()
}

/// The Better Auth sample: its issuer key, published key set, header and claims.
pub struct Sample {
    pub key: SigningKey,
    pub keys: KeySet,
    pub jwks: String,
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
    pub token: String,
}

impl Sample {
    pub fn load() -> Sample {
        let private: Map<String, Value> =
            serde_json::from_str(&fixture("better-auth/issuer-private.jwk.json")).unwrap();
        let jwks = fixture("better-auth/jwks.json");
        Sample {
            key: SigningKey::from_private_jwk(&private).unwrap(),
            keys: KeySet::from_public_jwks(jwks.as_bytes()).unwrap(),
            jwks,
            header: serde_json::from_str(&fixture("better-auth/header.json")).unwrap(),
            claims: serde_json::from_str(&fixture("better-auth/claims.json")).unwrap(),
            token: fixture("better-auth/token.jwt"),
        }
    }

    /// The Better Auth profile for the sample issuer.
    pub fn policy(&self) -> Policy {
        Policy::better_auth(ISSUER, ISSUER)
    }

    pub fn validator(&self) -> Validator {
        Validator::new(self.policy())
    }

    pub fn clock(&self) -> FixedClock {
        FixedClock(NOW)
    }

    /// A token with the sample's header and claims after `edit`, signed by the real issuer key.
    pub fn signed_with(
        &self,
        edit: impl FnOnce(&mut Map<String, Value>, &mut Map<String, Value>),
    ) -> String {
        let (mut header, mut claims) = (self.header.clone(), self.claims.clone());
        edit(&mut header, &mut claims);
        self.sign_raw(
            serde_json::to_string(&header).unwrap().as_bytes(),
            serde_json::to_string(&claims).unwrap().as_bytes(),
        )
    }

    /// Signs raw header and payload bytes with the issuer key under EdDSA.
    pub fn sign_raw(&self, header: &[u8], payload: &[u8]) -> String {
        sign_compact(header, payload, &self.key, Algorithm::EdDSA).unwrap()
    }
}

/// A path of the calling test's own under the system's temporary folder, with nothing there:
/// `authprobe-<name>-<process>-<thread>` (the tests of one binary run on threads of their own),
/// removed if an earlier run left it.
pub fn fresh_path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "authprobe-{name}-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// A fresh, empty folder of the calling test's own (see [`fresh_path`]).
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = fresh_path(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the `authprobe` binary with `args`, and `stdin` (or nothing) on its standard input.
#[cfg(feature = "cli")]
pub fn authprobe(args: &[&str], stdin: Option<&str>) -> Output {
    use std::io::Write as _;
    let mut child = Command::new(env!("CARGO_BIN_EXE_authprobe"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the authprobe binary runs");
    let mut pipe = child.stdin.take().unwrap();
    // The binary may exit before reading (bad arguments, an unusable key set): ignore EPIPE.
    let _ = pipe.write_all(stdin.unwrap_or("").as_bytes());
    drop(pipe);
    child.wait_with_output().unwrap()
}

/// Runs the `authprobe` binary with `args` and nothing on its standard input: its exit code and
/// everything it printed (standard output, then standard error).
#[cfg(feature = "cli")]
pub fn authprobe_code_and_text(args: &[&str]) -> (Option<i32>, String) {
    let out = authprobe(args, None);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}
