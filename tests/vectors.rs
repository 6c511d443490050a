//! Runs the third-party test vectors in `tests/vectors/` (copied with provenance: see its README)
//! through authprobe's public API.
//!
//! * Project Wycheproof `json_web_signature_test.json` and `json_web_key_test.json` go through
//!   [`Validator::verify_jws`] with key sets built by [`KeySet::from_public_jwks`] /
//!   [`KeySet::from_secret_jwks`], exactly as a deployment would build them.
//! * The Wycheproof primitive files (Ed25519, ECDSA P1363, RSA PKCS#1 v1.5, RSA-PSS) go through
//!   [`Key::from_public_jwk`] and [`Key::verify`], the same key import and verify path.
//! * RFC 7515 appendix A, RFC 8037 appendix A and the IETF JOSE cookbook (RFC 7520, RFC 7797) check
//!   that the standards' own examples verify, and that what the profile refuses is refused.
//!
//! Every Wycheproof case is compared with its recorded `result` ("acceptable" allows either
//! verdict). Disagreements are collected and reported all at once. The few cases where the
//! recorded result is wrong for a strict validator are listed in explicit exception tables with
//! their reasons (see `tests/vectors/EXCEPTIONS.md`); each exception must name an existing
//! case and must match what the validator does, so the tables cannot go stale.
//!
//! Layout: `tests/vectors/` holds only the vectors (data, with provenance and licences). This file
//! is the binary's root and its harness (loading, verdicts, exception tables and tallies, the
//! shared validator and key sets); the suites are module files of `tests/vector_suites/`:
//! `wycheproof_jws`, `wycheproof_primitives`, `rfc` and `jose_cookbook`.

use authprobe::algorithm::Algorithm;
use authprobe::jwk::{KeySet, PRIVATE_MEMBERS};
use authprobe::validate::{Policy, Validator};
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

#[path = "vector_suites/jose_cookbook.rs"]
mod jose_cookbook;
#[path = "vector_suites/rfc.rs"]
mod rfc;
#[path = "vector_suites/wycheproof_jws.rs"]
mod wycheproof_jws;
#[path = "vector_suites/wycheproof_primitives.rs"]
mod wycheproof_primitives;

// ---------------------------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------------------------

/// The vector directory, `tests/vectors/` (copied into the repository with provenance).
fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

/// Reads one vector file (path relative to the vector directory) as JSON.
fn load(relative: &str) -> Value {
    let path = vectors_dir().join(relative);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// The files in a vector sub-directory whose names start with `prefix`, sorted.
fn files_with_prefix(subdir: &str, prefix: &str) -> Vec<String> {
    let dir = vectors_dir().join(subdir);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").file_name())
        .filter_map(|name| name.into_string().ok())
        .filter(|name| name.starts_with(prefix) && name.ends_with(".json"))
        .map(|name| format!("{subdir}/{name}"))
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no {prefix}* files in {}", dir.display());
    names
}

/// Lower- or upper-case hex to bytes.
fn hex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2), "odd-length hex string {s:?}");
    let nibble = |c: u8| match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => panic!("not a hex digit: {:?} in {s:?}", c as char),
    };
    s.as_bytes()
        .chunks(2)
        .map(|pair| nibble(pair[0]) << 4 | nibble(pair[1]))
        .collect()
}

fn str_field<'a>(v: &'a Value, name: &str) -> &'a str {
    v.get(name)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("vector has no string member {name:?}: {v}"))
}

fn array_field<'a>(v: &'a Value, name: &str) -> &'a [Value] {
    v.get(name)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_else(|| panic!("vector has no array member {name:?}"))
}

fn object(v: &Value) -> &Map<String, Value> {
    v.as_object()
        .unwrap_or_else(|| panic!("expected a JSON object, found {v}"))
}

fn tc_id(test: &Value) -> u64 {
    test.get("tcId")
        .and_then(Value::as_u64)
        .unwrap_or_else(|| panic!("test case without tcId: {test}"))
}

// ---------------------------------------------------------------------------------------------
// Verdicts, exceptions and tallies
// ---------------------------------------------------------------------------------------------

/// What the validator did with a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Valid,
    Invalid,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Valid => "valid",
            Verdict::Invalid => "invalid",
        })
    }
}

/// What a vector expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expected {
    Valid,
    Invalid,
    /// Wycheproof "acceptable": either verdict is fine.
    Either,
}

impl Expected {
    fn from_result(result: &str) -> Expected {
        match result {
            "valid" => Expected::Valid,
            "invalid" => Expected::Invalid,
            "acceptable" => Expected::Either,
            other => panic!("unknown Wycheproof result {other:?}"),
        }
    }

    fn allows(self, got: Verdict) -> bool {
        match self {
            Expected::Valid => got == Verdict::Valid,
            Expected::Invalid => got == Verdict::Invalid,
            Expected::Either => true,
        }
    }
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Expected::Valid => "valid",
            Expected::Invalid => "invalid",
            Expected::Either => "acceptable",
        })
    }
}

/// A case whose recorded Wycheproof result is wrong for a strict validator.
#[derive(Clone, Copy)]
struct Exception {
    tc_id: u64,
    /// The verdict a strict validator must reach (and authprobe's validator does).
    strict: Verdict,
    reason: &'static str,
}

/// Set `AUTHPROBE_VECTORS_VERBOSE=1` to print every case with the validator's reason.
fn verbose() -> bool {
    std::env::var_os("AUTHPROBE_VECTORS_VERBOSE").is_some_and(|v| !v.is_empty() && v != "0")
}

/// Counts and disagreements for one vector file.
struct Tally<'e> {
    file: String,
    exceptions: &'e [Exception],
    cases: usize,
    valid: usize,
    invalid: usize,
    excepted: usize,
    seen: BTreeSet<u64>,
    disagreements: Vec<String>,
}

impl<'e> Tally<'e> {
    fn new(file: &str, exceptions: &'e [Exception]) -> Tally<'e> {
        Tally {
            file: file.to_owned(),
            exceptions,
            cases: 0,
            valid: 0,
            invalid: 0,
            excepted: 0,
            seen: BTreeSet::new(),
            disagreements: Vec::new(),
        }
    }

    /// Records one case. `why` explains the verdict (the rejection, or the key-import failure).
    fn record(&mut self, id: u64, comment: &str, expected: Expected, got: Verdict, why: &str) {
        self.cases += 1;
        self.seen.insert(id);
        if verbose() {
            println!(
                "  {} tcId {id}: expected {expected}, got {got} ({comment}) [{why}]",
                self.file
            );
        }
        match got {
            Verdict::Valid => self.valid += 1,
            Verdict::Invalid => self.invalid += 1,
        }
        if let Some(exception) = self.exceptions.iter().find(|e| e.tc_id == id) {
            self.excepted += 1;
            if got != exception.strict {
                self.disagreements.push(format!(
                    "tcId {id} ({comment:?}): excepted as strictly {} ({}), but the validator says {got} [{why}]",
                    exception.strict, exception.reason
                ));
            }
        } else if !expected.allows(got) {
            self.disagreements.push(format!(
                "tcId {id} ({comment:?}): expected {expected}, got {got} [{why}]"
            ));
        }
    }

    /// Prints the counts and returns the problems found (disagreements and stale exceptions).
    fn finish(mut self) -> Vec<String> {
        for exception in self.exceptions {
            if !self.seen.contains(&exception.tc_id) {
                self.disagreements.push(format!(
                    "exception for tcId {} ({}) names no case of this file",
                    exception.tc_id, exception.reason
                ));
            }
        }
        println!(
            "{}: {} cases, {} valid, {} invalid, {} excepted",
            self.file, self.cases, self.valid, self.invalid, self.excepted
        );
        assert!(self.cases > 0, "{} has no test cases", self.file);
        self.disagreements
            .into_iter()
            .map(|d| format!("{}: {d}", self.file))
            .collect()
    }
}

/// Fails with every problem listed, if there are any.
fn assert_no_problems(what: &str, problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{what}: {} disagreement(s) with the vectors:\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}

// ---------------------------------------------------------------------------------------------
// Validators and key sets shared by the suites
// ---------------------------------------------------------------------------------------------

/// A JWS-level policy: every algorithm authprobe implements, `kid` optional (if present it must
/// select exactly one key). Claims are not looked at by `verify_jws`.
fn jws_validator() -> Validator {
    let mut policy = Policy::better_auth("iss", "aud").with_algorithms(Algorithm::ALL);
    policy.require_kid = false;
    Validator::new(policy)
}

/// A key set holding one JWK: a secret set for `oct`, otherwise a public set of the JWK with
/// its private members removed.
fn single_key_set(jwk: &Value) -> KeySet {
    let mut jwk = object(jwk).clone();
    let secret = jwk.get("kty").and_then(Value::as_str) == Some("oct");
    if !secret {
        for member in PRIVATE_MEMBERS {
            jwk.remove(member);
        }
    }
    let doc = json!({ "keys": [jwk] });
    let bytes = serde_json::to_vec(&doc).expect("serialize JWKS");
    let set = if secret {
        KeySet::from_secret_jwks(&bytes)
    } else {
        KeySet::from_public_jwks(&bytes)
    };
    set.unwrap_or_else(|e| panic!("key set {doc} refused: {e}"))
}

/// 2026-01-01T00:00:00Z: long after the RFC examples' `exp` of 2011.
const NOW: i64 = 1_767_225_600;
