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

use authprobe::algorithm::Algorithm;
use authprobe::base64url;
use authprobe::jwk::{Key, KeySet, PRIVATE_MEMBERS};
use authprobe::validate::{FixedClock, Policy, Validator};
use authprobe::ErrorCode;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

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
// JWS helpers
// ---------------------------------------------------------------------------------------------

/// A JWS-level policy: every algorithm authprobe implements, `kid` optional (if present it must
/// select exactly one key). Claims are not looked at by `verify_jws`.
fn jws_validator() -> Validator {
    let mut policy = Policy::better_auth("iss", "aud").with_algorithms(Algorithm::ALL);
    policy.require_kid = false;
    Validator::new(policy)
}

/// A JWK or a JWKS, as a JWKS document.
fn as_jwks(key_or_set: &Value) -> Value {
    if key_or_set.get("keys").is_some() {
        key_or_set.clone()
    } else {
        json!({ "keys": [key_or_set] })
    }
}

/// Builds the key set a Wycheproof JWS/JWK group describes: the public key (set) if there is
/// one; otherwise the private key (set), which can only be configured if it is made of `oct`
/// secrets (a secret set holds only symmetric keys, and no public set can be derived here).
fn wycheproof_keyset(group: &Value) -> Result<KeySet, String> {
    if let Some(public) = group.get("public") {
        let doc = serde_json::to_vec(&as_jwks(public)).expect("serialize JWKS");
        return KeySet::from_public_jwks(&doc).map_err(|e| format!("public key set refused: {e}"));
    }
    let private = group
        .get("private")
        .expect("a Wycheproof group has a public or a private key");
    let jwks = as_jwks(private);
    let all_oct = array_field(&jwks, "keys")
        .iter()
        .all(|k| k.get("kty").and_then(Value::as_str) == Some("oct"));
    if !all_oct {
        return Err("private-only group with asymmetric keys: not configurable as a secret set, and no public set is given".into());
    }
    let doc = serde_json::to_vec(&jwks).expect("serialize JWKS");
    KeySet::from_secret_jwks(&doc).map_err(|e| format!("secret key set refused: {e}"))
}

/// Runs `verify_jws` and turns the outcome into a verdict with an explanation.
fn judge_jws(validator: &Validator, jws: &str, keys: &KeySet) -> (Verdict, String) {
    match validator.verify_jws(jws.as_bytes(), keys) {
        Ok(v) => (Verdict::Valid, format!("accepted as {}", v.alg)),
        Err(rejection) => (Verdict::Invalid, rejection.to_string()),
    }
}

/// Runs one Wycheproof file of the JWS/JWK schema (both have groups of `jws` cases).
fn run_wycheproof_jws_file(relative: &str, exceptions: &[Exception]) -> Vec<String> {
    let doc = load(relative);
    let validator = jws_validator();
    let name = relative.rsplit('/').next().unwrap_or(relative);
    let mut tally = Tally::new(name, exceptions);
    let mut problems = Vec::new();
    for group in array_field(&doc, "testGroups") {
        let keys = wycheproof_keyset(group);
        for test in array_field(group, "tests") {
            let id = tc_id(test);
            let jws = str_field(test, "jws");
            let comment = str_field(test, "comment");
            let expected = Expected::from_result(str_field(test, "result"));
            let (got, why) = match &keys {
                Ok(keys) => judge_jws(&validator, jws, keys),
                Err(reason) => (Verdict::Invalid, reason.clone()),
            };
            // JSON serialization is out of scope and must never be accepted, whatever the file
            // or an exception says.
            if jws.trim_start().starts_with('{') && got == Verdict::Valid {
                problems.push(format!(
                    "{name}: tcId {id}: JSON serialization was accepted"
                ));
            }
            tally.record(id, comment, expected, got, &why);
        }
    }
    let count = doc.get("numberOfTests").and_then(Value::as_u64);
    assert_eq!(
        count,
        Some(tally.cases as u64),
        "{name}: numberOfTests disagrees with the cases run"
    );
    problems.extend(tally.finish());
    problems
}

// ---------------------------------------------------------------------------------------------
// 1. Wycheproof JWS
// ---------------------------------------------------------------------------------------------

/// Cases of `json_web_signature_test.json` (commit dac1dd47) whose recorded result is wrong for a
/// strict validator; see `tests/vectors/EXCEPTIONS.md`.
const JWS_EXCEPTIONS: &[Exception] = &[
    Exception {
        tc_id: 346,
        strict: Verdict::Invalid,
        reason: "RFC 7520 figure 20: header alg PS384 under a JWK that declares alg PS256; strict key/alg binding (spec step 11) refuses it",
    },
    Exception {
        tc_id: 347,
        strict: Verdict::Invalid,
        reason: "RFC 7520 figure 27: header alg ES512 under a JWK that declares alg \"ES521\" (not a registered alg); strict key/alg binding (spec step 11) refuses it",
    },
    Exception {
        tc_id: 350,
        strict: Verdict::Invalid,
        reason: "RFC 7520 figure 20 (key_ops variant): header alg PS384 under a JWK that declares alg PS256; strict key/alg binding refuses it",
    },
    Exception {
        tc_id: 351,
        strict: Verdict::Invalid,
        reason: "RFC 7520 figure 27 (key_ops variant): header alg ES512 under a JWK that declares alg \"ES521\"; strict key/alg binding refuses it",
    },
    Exception {
        tc_id: 367,
        strict: Verdict::Valid,
        reason: "recorded invalid (invalidBase64Padding) but the jws is byte-identical to tc357, a valid MAC: the padding mutation is missing",
    },
    Exception {
        tc_id: 370,
        strict: Verdict::Valid,
        reason: "recorded invalid (invalidBase64PaddingInPayload) but the jws is byte-identical to tc357, a valid MAC: the padding mutation is missing",
    },
    Exception {
        tc_id: 372,
        strict: Verdict::Invalid,
        reason: "recorded valid (InvalidCharacterInsertedInHeader) but a '?' stands inside the header segment: not base64url",
    },
    Exception {
        tc_id: 373,
        strict: Verdict::Invalid,
        reason: "recorded valid (InvalidCharacterInsertedInPayload) but a '?' stands inside the payload segment: not base64url",
    },
];

#[test]
fn wycheproof_json_web_signature() {
    let relative = "wycheproof/testvectors_v1/json_web_signature_test.json";
    let mut problems = run_wycheproof_jws_file(relative, JWS_EXCEPTIONS);

    // The binding exceptions must fail for the stated reason only: with the JWK's own `alg`
    // removed, the same token verifies under the same key (so P-521/PS384 work and the signature
    // is good), and with it present the rejection is ALGORITHM_NOT_ALLOWED.
    let doc = load(relative);
    let validator = jws_validator();
    for id in [346, 347, 350, 351] {
        let (group, test) = find_case(&doc, id);
        let jws = str_field(test, "jws");
        let keys = wycheproof_keyset(group).expect("key set of a binding exception");
        match validator.verify_jws(jws.as_bytes(), &keys) {
            Err(r) if r.code() == ErrorCode::AlgorithmNotAllowed => {}
            other => problems.push(format!(
                "tcId {id}: expected ALGORITHM_NOT_ALLOWED from the key's alg binding, got {other:?}"
            )),
        }
        let mut unbound = object(&group["public"]).clone();
        unbound.remove("alg");
        let unbound = single_key_set(&Value::Object(unbound));
        if let Err(r) = validator.verify_jws(jws.as_bytes(), &unbound) {
            problems.push(format!(
                "tcId {id}: without the JWK's alg the token should verify, got {r}"
            ));
        }
    }
    // The base64 exceptions, checked against their stated reasons.
    let reference = str_field(find_case(&doc, 357).1, "jws");
    for id in [367, 370] {
        if str_field(find_case(&doc, id).1, "jws") != reference {
            problems.push(format!(
                "tcId {id} is no longer identical to tcId 357; re-check its exception"
            ));
        }
    }
    for id in [372, 373] {
        if !str_field(find_case(&doc, id).1, "jws").contains('?') {
            problems.push(format!(
                "tcId {id} no longer contains '?'; re-check its exception"
            ));
        }
    }
    assert_no_problems("json_web_signature_test.json", &problems);
}

/// The group and the test case with this tcId.
fn find_case(doc: &Value, id: u64) -> (&Value, &Value) {
    array_field(doc, "testGroups")
        .iter()
        .find_map(|group| {
            array_field(group, "tests")
                .iter()
                .find(|test| tc_id(test) == id)
                .map(|test| (group, test))
        })
        .unwrap_or_else(|| panic!("no test case with tcId {id}"))
}

/// Clears the unused low bits of the last character of an unpadded base64url string, giving
/// the canonical encoding of the same bytes.
fn canonical_b64url(s: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let spare_bits = match s.len() % 4 {
        2 => 4,
        3 => 2,
        _ => 0,
    };
    let mut bytes = s.as_bytes().to_vec();
    if let Some(last) = bytes.last_mut() {
        let index = ALPHABET.iter().position(|c| c == last).expect("base64url");
        *last = ALPHABET[index & !((1 << spare_bits) - 1)];
    }
    String::from_utf8(bytes).expect("ASCII")
}

// ---------------------------------------------------------------------------------------------
// 2. Wycheproof JWK
// ---------------------------------------------------------------------------------------------

#[test]
fn wycheproof_json_web_key() {
    let relative = "wycheproof/testvectors_v1/json_web_key_test.json";
    let mut problems = run_wycheproof_jws_file(relative, &[]);

    // tcId 4 (rejectsDuplicateKid) is already refused because its second key's "k" is not
    // canonical base64url. Check the duplicate-kid rule itself: the token verifies under the
    // first key alone, and with both keys (the second one canonically re-encoded) the shared
    // kid makes the choice ambiguous, which is UNKNOWN_KEY_ID.
    let doc = load(relative);
    let validator = jws_validator();
    let (group, test) = find_case(&doc, 4);
    let jws = str_field(test, "jws");
    let keys = array_field(&group["private"], "keys");
    let first = serde_json::to_vec(&json!({ "keys": [keys[0]] })).unwrap();
    let first = KeySet::from_secret_jwks(&first).expect("first key of tcId 4");
    if let Err(r) = validator.verify_jws(jws.as_bytes(), &first) {
        problems.push(format!(
            "tcId 4: should verify under its first key alone, got {r}"
        ));
    }
    let mut second = keys[1].clone();
    second["k"] = Value::String(canonical_b64url(str_field(&second, "k")));
    let both = serde_json::to_vec(&json!({ "keys": [keys[0], second] })).unwrap();
    let both = KeySet::from_secret_jwks(&both).expect("both keys of tcId 4, canonical");
    match validator.verify_jws(jws.as_bytes(), &both) {
        Err(r) if r.code() == ErrorCode::UnknownKeyId => {}
        other => problems.push(format!(
            "tcId 4: a kid shared by two keys must be UNKNOWN_KEY_ID (ambiguous), got {other:?}"
        )),
    }
    assert_no_problems("json_web_key_test.json", &problems);
}

// ---------------------------------------------------------------------------------------------
// 3. Wycheproof primitives through Key::from_public_jwk + Key::verify
// ---------------------------------------------------------------------------------------------

/// Imports a public JWK through the library, or says why it cannot be used.
fn import_public(jwk: Value) -> Result<Key, String> {
    Key::from_public_jwk(object(&jwk)).map_err(|e| format!("key import failed: {e}"))
}

/// Verifies with the first of `algs` that the key is bound to and that accepts the signature.
fn judge_signature(
    key: &Result<Key, String>,
    algs: &[Algorithm],
    msg: &[u8],
    sig: &[u8],
) -> (Verdict, String) {
    let key = match key {
        Ok(key) => key,
        Err(reason) => return (Verdict::Invalid, reason.clone()),
    };
    let mut why = Vec::new();
    for &alg in algs {
        if let Err(e) = key.check_binding(alg) {
            why.push(format!("{alg}: {e}"));
        } else if key.verify(alg, msg, sig) {
            return (Verdict::Valid, format!("verified as {alg}"));
        } else {
            why.push(format!("{alg}: signature does not verify"));
        }
    }
    (Verdict::Invalid, why.join("; "))
}

/// Big-endian integer bytes with leading zero bytes removed, padded or kept at `len` bytes.
fn fixed_width(bytes: &[u8], len: usize) -> Vec<u8> {
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    let minimal = &bytes[first..];
    if minimal.len() >= len {
        return minimal.to_vec(); // too long: the import must refuse it
    }
    let mut out = vec![0; len - minimal.len()];
    out.extend_from_slice(minimal);
    out
}

/// Big-endian integer bytes without leading zero bytes (a Base64urlUInt, RFC 7518 §2).
fn minimal_uint(bytes: &[u8]) -> Vec<u8> {
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    bytes[first..].to_vec()
}

/// The JWS algorithm behind a Wycheproof hash name for a signature family.
fn hash_alg(sha: &str, family: &str) -> Option<Algorithm> {
    Some(match (family, sha) {
        ("RS", "SHA-256") => Algorithm::RS256,
        ("RS", "SHA-384") => Algorithm::RS384,
        ("RS", "SHA-512") => Algorithm::RS512,
        ("PS", "SHA-256") => Algorithm::PS256,
        ("PS", "SHA-384") => Algorithm::PS384,
        ("PS", "SHA-512") => Algorithm::PS512,
        _ => return None,
    })
}

/// Primitive-file cases where the JWS verdict legitimately differs from the rule "a group whose
/// parameters JWS cannot express is invalid throughout": (file name, exception). Kept minimal.
const PRIMITIVE_EXCEPTIONS: &[(&str, Exception)] = &[(
    "rsa_pss_2048_sha256_mgf1_0_test.json",
    Exception {
        tc_id: 69,
        strict: Verdict::Valid,
        reason: "\"s_len changed to 32\": in this salt-length-0 group the case is signed with a 32-byte salt, \
                 which is exactly what PS256 requires (RFC 7518 §3.5), so it is a valid PS256 signature; \
                 Wycheproof records it invalid only because the group fixes sLen 0",
    },
)];

fn primitive_exceptions(file: &str) -> Vec<Exception> {
    PRIMITIVE_EXCEPTIONS
        .iter()
        .filter(|(f, _)| *f == file)
        .map(|(_, e)| *e)
        .collect()
}

/// How one primitive group maps onto a key and the JWS algorithms to try, and whether the
/// group's parameters are expressible in JWS at all (if not, every case must be invalid).
struct PrimitiveGroup {
    key: Result<Key, String>,
    algs: Vec<Algorithm>,
    jws_expressible: Result<(), String>,
}

/// Runs one Wycheproof signature-verification file; `group_setup` maps a test group.
fn run_primitive_file(
    relative: &str,
    group_setup: impl Fn(&Value) -> PrimitiveGroup,
) -> Vec<String> {
    let doc = load(relative);
    let name = relative.rsplit('/').next().unwrap_or(relative);
    let exceptions = primitive_exceptions(name);
    let mut tally = Tally::new(name, &exceptions);
    for group in array_field(&doc, "testGroups") {
        let setup = group_setup(group);
        for test in array_field(group, "tests") {
            let recorded = Expected::from_result(str_field(test, "result"));
            let expected = match &setup.jws_expressible {
                Ok(()) => recorded,
                Err(_) => Expected::Invalid,
            };
            let (got, mut why) = judge_signature(
                &setup.key,
                &setup.algs,
                &hex(str_field(test, "msg")),
                &hex(str_field(test, "sig")),
            );
            if let Err(reason) = &setup.jws_expressible {
                why = format!("{why}; group not expressible in JWS: {reason}");
            }
            let flags: Vec<&str> = array_field(test, "flags")
                .iter()
                .filter_map(Value::as_str)
                .collect();
            let comment = format!("{} {flags:?}", str_field(test, "comment"));
            tally.record(tc_id(test), &comment, expected, got, &why);
        }
    }
    let count = doc.get("numberOfTests").and_then(Value::as_u64);
    assert_eq!(
        count,
        Some(tally.cases as u64),
        "{name}: numberOfTests disagrees with the cases run"
    );
    tally.finish()
}

#[test]
fn wycheproof_ed25519() {
    let problems = run_primitive_file("wycheproof/testvectors_v1/ed25519_test.json", |group| {
        let public = &group["publicKey"];
        assert_eq!(str_field(public, "curve"), "edwards25519");
        let pk = hex(str_field(public, "pk"));
        PrimitiveGroup {
            key: import_public(json!({
                "kty": "OKP",
                "crv": "Ed25519",
                "x": base64url::encode(pk),
            })),
            algs: vec![Algorithm::EdDSA],
            jws_expressible: Ok(()),
        }
    });
    assert_no_problems("Ed25519", &problems);
}

#[test]
fn wycheproof_ecdsa_p1363() {
    let files = [
        (
            "ecdsa_secp256r1_sha256_p1363_test.json",
            "secp256r1",
            "P-256",
            32,
            Algorithm::ES256,
        ),
        (
            "ecdsa_secp384r1_sha384_p1363_test.json",
            "secp384r1",
            "P-384",
            48,
            Algorithm::ES384,
        ),
        (
            "ecdsa_secp521r1_sha512_p1363_test.json",
            "secp521r1",
            "P-521",
            66,
            Algorithm::ES512,
        ),
    ];
    let mut problems = Vec::new();
    for (file, curve, crv, len, alg) in files {
        let relative = format!("wycheproof/testvectors_v1/{file}");
        problems.extend(run_primitive_file(&relative, |group| {
            let public = &group["publicKey"];
            assert_eq!(str_field(public, "curve"), curve, "{file}");
            let x = fixed_width(&hex(str_field(public, "wx")), len);
            let y = fixed_width(&hex(str_field(public, "wy")), len);
            PrimitiveGroup {
                key: import_public(json!({
                    "kty": "EC",
                    "crv": crv,
                    "x": base64url::encode(x),
                    "y": base64url::encode(y),
                })),
                algs: vec![alg],
                jws_expressible: Ok(()),
            }
        }));
    }
    assert_no_problems("ECDSA P1363", &problems);
}

/// The public RSA JWK of a Wycheproof group (`publicKey.modulus` / `publicExponent`, hex).
fn rsa_group_key(group: &Value) -> Result<Key, String> {
    let public = &group["publicKey"];
    import_public(json!({
        "kty": "RSA",
        "n": base64url::encode(minimal_uint(&hex(str_field(public, "modulus")))),
        "e": base64url::encode(minimal_uint(&hex(str_field(public, "publicExponent")))),
    }))
}

#[test]
fn wycheproof_rsa_pkcs1_v1_5() {
    let mut problems = Vec::new();
    for relative in files_with_prefix("wycheproof/testvectors_v1", "rsa_signature_") {
        problems.extend(run_primitive_file(&relative, |group| {
            let sha = str_field(group, "sha");
            let alg = hash_alg(sha, "RS").unwrap_or_else(|| panic!("{relative}: hash {sha}"));
            PrimitiveGroup {
                key: rsa_group_key(group),
                algs: vec![alg],
                jws_expressible: Ok(()),
            }
        }));
    }
    assert_no_problems("RSASSA-PKCS1-v1_5", &problems);
}

#[test]
fn wycheproof_rsa_pss() {
    let mut problems = Vec::new();
    for relative in files_with_prefix("wycheproof/testvectors_v1", "rsa_pss_") {
        problems.extend(run_primitive_file(&relative, |group| {
            let sha = str_field(group, "sha");
            let mgf = str_field(group, "mgf");
            let mgf_sha = str_field(group, "mgfSha");
            let salt_len = group["sLen"].as_u64().expect("sLen");
            // RFC 7518 §3.5: PS256/384/512 use MGF1 with the same hash, and a salt exactly as
            // long as the hash output. Anything else has no JWS algorithm.
            let alg = hash_alg(sha, "PS");
            let jws_expressible = match alg {
                None => Err(format!("{sha} is not a JWS PSS hash")),
                Some(_) if mgf != "MGF1" || mgf_sha != sha => {
                    Err(format!("{mgf} with {mgf_sha} under {sha}"))
                }
                Some(a) if salt_len != a.hash_len() as u64 => Err(format!(
                    "salt length {salt_len}, {a} needs {}",
                    a.hash_len()
                )),
                Some(_) => Ok(()),
            };
            PrimitiveGroup {
                key: rsa_group_key(group),
                // Without a JWS algorithm for the hash, no PS algorithm may accept the signature.
                algs: match alg {
                    Some(a) => vec![a],
                    None => vec![Algorithm::PS256, Algorithm::PS384, Algorithm::PS512],
                },
                jws_expressible,
            }
        }));
    }
    assert_no_problems("RSASSA-PSS", &problems);
}

// ---------------------------------------------------------------------------------------------
// 4. RFC 7515 appendix A
// ---------------------------------------------------------------------------------------------

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

#[test]
fn rfc7515_appendix_a() {
    let doc = load("rfc/rfc7515_appendix_a.json");
    let validator = jws_validator();
    let better_auth = Validator::new(Policy::better_auth("joe", "https://example.com"));
    let mut any_alg_jwt =
        Policy::better_auth("joe", "https://example.com").with_algorithms(Algorithm::ALL);
    any_alg_jwt.require_kid = false;
    let any_alg_jwt = Validator::new(any_alg_jwt);
    let clock = FixedClock(NOW);

    // (id, JWS-level outcome, code under the Better Auth profile, code under a JWT policy that
    // allows every algorithm). A.1–A.3 carry no aud/iat/sub (INVALID_CLAIM comes before the
    // expiry check); A.4's payload "Payload" is not a claims set.
    let expectations: [(&str, Result<Algorithm, ErrorCode>, ErrorCode, ErrorCode); 5] = [
        (
            "RFC7515-A.1",
            Ok(Algorithm::HS256),
            ErrorCode::AlgorithmNotAllowed,
            ErrorCode::InvalidClaim,
        ),
        (
            "RFC7515-A.2",
            Ok(Algorithm::RS256),
            ErrorCode::AlgorithmNotAllowed,
            ErrorCode::InvalidClaim,
        ),
        (
            "RFC7515-A.3",
            Ok(Algorithm::ES256),
            ErrorCode::AlgorithmNotAllowed,
            ErrorCode::InvalidClaim,
        ),
        (
            "RFC7515-A.4",
            Ok(Algorithm::ES512),
            ErrorCode::MalformedToken,
            ErrorCode::MalformedToken,
        ),
        (
            "RFC7515-A.5-unsecured",
            Err(ErrorCode::AlgorithmNotAllowed),
            ErrorCode::AlgorithmNotAllowed,
            ErrorCode::AlgorithmNotAllowed,
        ),
    ];
    let vectors = array_field(&doc, "vectors");
    assert_eq!(vectors.len(), expectations.len(), "RFC 7515 vector count");
    // A.5 has no key; any key set will do, since alg none is refused before key selection.
    let fallback_keys = single_key_set(&vectors[0]["key"]);
    let (mut valid, mut invalid) = (0, 0);
    for (vector, (id, jws_outcome, ba_code, jwt_code)) in vectors.iter().zip(expectations) {
        assert_eq!(str_field(vector, "id"), id);
        let jws = str_field(vector, "jws");
        let own_keys;
        let keys = match vector.get("key") {
            Some(key) if !key.is_null() => {
                own_keys = single_key_set(key);
                &own_keys
            }
            _ => &fallback_keys,
        };
        match (validator.verify_jws(jws.as_bytes(), keys), jws_outcome) {
            (Ok(v), Ok(alg)) => {
                assert_eq!(v.alg, alg, "{id}");
                valid += 1;
            }
            (Err(r), Err(code)) => {
                assert_eq!(r.code(), code, "{id}: {r}");
                invalid += 1;
            }
            (got, want) => panic!("{id}: expected {want:?} at the JWS level, got {got:?}"),
        }
        // As JWTs, none of them is accepted: not by the Better Auth profile, and not by a
        // policy that allows their algorithms either.
        for (policy, validator, code) in [
            ("Better Auth profile", &better_auth, ba_code),
            ("all-algorithm JWT policy", &any_alg_jwt, jwt_code),
        ] {
            match validator.validate(jws.as_bytes(), keys, &clock) {
                Ok(v) => panic!("{id}: accepted as a JWT by the {policy}: {:?}", v.claims()),
                Err(r) => assert_eq!(r.code(), code, "{id} under the {policy}: {r}"),
            }
        }
    }
    println!(
        "rfc7515_appendix_a.json: {} cases, {valid} valid, {invalid} invalid, 0 excepted",
        vectors.len()
    );
}

// ---------------------------------------------------------------------------------------------
// 5. RFC 8037 appendix A.4 (Ed25519)
// ---------------------------------------------------------------------------------------------

/// The same compact JWS with one bit of the decoded signature flipped.
fn flip_signature_bit(jws: &str, byte: usize, bit: u8) -> String {
    let (signing_input, sig_b64) = jws.rsplit_once('.').expect("compact JWS");
    let mut sig = base64url::decode(sig_b64.as_bytes()).expect("signature is base64url");
    sig[byte] ^= 1 << bit;
    format!("{signing_input}.{}", base64url::encode(sig))
}

#[test]
fn rfc8037_ed25519() {
    let doc = load("rfc/rfc8037_ed25519.json");
    let validator = jws_validator();
    let keys = single_key_set(&doc["A.2_public_jwk"]);
    let jws = str_field(&doc, "A.4_jws");

    let verified = validator
        .verify_jws(jws.as_bytes(), &keys)
        .unwrap_or_else(|r| panic!("RFC 8037 A.4 must verify: {r}"));
    assert_eq!(verified.alg, Algorithm::EdDSA);
    assert_eq!(
        verified.token.payload(),
        str_field(&doc, "A.4_payload").as_bytes()
    );

    // One flipped bit anywhere in R or S must be refused.
    let mut tampered = 0;
    for (byte, bit) in [(0, 0), (31, 7), (32, 0), (63, 3)] {
        let bad = flip_signature_bit(jws, byte, bit);
        let rejection = validator
            .verify_jws(bad.as_bytes(), &keys)
            .expect_err("a signature with one flipped bit must be rejected");
        assert_eq!(
            rejection.code(),
            ErrorCode::InvalidSignature,
            "byte {byte} bit {bit}: {rejection}"
        );
        tampered += 1;
    }
    // The private JWK is never acceptable in a public key set.
    let private = serde_json::to_vec(&json!({ "keys": [doc["A.1_private_jwk"]] })).unwrap();
    assert!(KeySet::from_public_jwks(&private).is_err());
    println!(
        "rfc8037_ed25519.json: {} cases, 1 valid, {tampered} invalid, 0 excepted",
        1 + tampered
    );
}

// ---------------------------------------------------------------------------------------------
// 6. IETF JOSE cookbook (RFC 7520) and RFC 7797
// ---------------------------------------------------------------------------------------------

/// The key set of a cookbook example: every key of `input.key` (one JWK or an array), `oct`
/// keys as configured secrets, the others as public keys with private members removed.
fn cookbook_keyset(input_key: &Value) -> KeySet {
    let jwks: Vec<&Value> = match input_key {
        Value::Array(keys) => keys.iter().collect(),
        key => vec![key],
    };
    let mut keys = Vec::new();
    for jwk in jwks {
        let mut jwk = object(jwk).clone();
        let key = if jwk.get("kty").and_then(Value::as_str) == Some("oct") {
            Key::from_secret_jwk(&jwk)
        } else {
            for member in PRIVATE_MEMBERS {
                jwk.remove(member);
            }
            Key::from_public_jwk(&jwk)
        };
        keys.push(key.unwrap_or_else(|e| panic!("cookbook key refused: {e}")));
    }
    KeySet::from_keys(keys)
}

/// The JSON serializations (`json`, `json_flat`) of an example's output, as strings.
fn json_serializations(output: &Value) -> Vec<(&'static str, String)> {
    ["json", "json_flat"]
        .into_iter()
        .filter_map(|form| {
            output
                .get(form)
                .map(|v| (form, serde_json::to_string(v).expect("serialize")))
        })
        .collect()
}

#[test]
fn jose_cookbook_jws() {
    let validator = jws_validator();
    let mut jwt_policy = Policy::better_auth("iss", "aud").with_algorithms(Algorithm::ALL);
    jwt_policy.require_kid = false;
    let jwt_validator = Validator::new(jwt_policy);
    let mut files = files_with_prefix("ietf-jose-cookbook/jws", "4_");
    files.push("ietf-jose-cookbook/curve25519/jws.json".into());
    let mut problems = Vec::new();
    for relative in &files {
        let doc = load(relative);
        let keys = cookbook_keyset(&doc["input"]["key"]);
        let output = &doc["output"];
        let (mut cases, mut valid, mut invalid) = (0, 0, 0);
        if let Some(compact) = output.get("compact").and_then(Value::as_str) {
            cases += 1;
            let detached = compact.split('.').nth(1) == Some("");
            match (validator.verify_jws(compact.as_bytes(), &keys), detached) {
                (Ok(_), false) => valid += 1,
                // Detached content (RFC 7515 appendix F): the signature covers the real payload,
                // which the compact form leaves out, so it cannot verify; and a JWT needs one.
                (Err(r), true) => {
                    invalid += 1;
                    if r.code() != ErrorCode::InvalidSignature {
                        problems.push(format!(
                            "{relative}: detached compact refused as {r}, expected INVALID_SIGNATURE"
                        ));
                    }
                    // As a JWT the empty payload is no claims set: MALFORMED_TOKEN at step 4
                    // (spec §7, "detached payload").
                    match jwt_validator.validate(compact.as_bytes(), &keys, &FixedClock(NOW)) {
                        Err(r) if r.code() == ErrorCode::MalformedToken => {}
                        other => problems.push(format!(
                            "{relative}: detached compact as a JWT: expected MALFORMED_TOKEN, got {other:?}"
                        )),
                    }
                }
                (Ok(_), true) => problems.push(format!(
                    "{relative}: compact JWS with detached (empty) payload was accepted"
                )),
                (Err(r), false) => {
                    invalid += 1;
                    problems.push(format!("{relative}: compact JWS rejected: {r}"));
                }
            }
        }
        // JSON serializations (the only form 4.6–4.8 have) are never accepted.
        for (form, text) in json_serializations(output) {
            cases += 1;
            match validator.verify_jws(text.as_bytes(), &keys) {
                Ok(_) => {
                    valid += 1;
                    problems.push(format!(
                        "{relative}: output.{form} (JSON serialization) was accepted"
                    ));
                }
                Err(r) => {
                    invalid += 1;
                    if r.code() != ErrorCode::MalformedToken {
                        problems.push(format!(
                            "{relative}: output.{form} refused as {r}, expected MALFORMED_TOKEN"
                        ));
                    }
                }
            }
        }
        let name = relative.rsplit('/').next().unwrap_or(relative);
        println!("{name}: {cases} cases, {valid} valid, {invalid} invalid, 0 excepted");
    }
    assert_no_problems("JOSE cookbook", &problems);
}

#[test]
fn rfc7797_unencoded_payload() {
    let validator = jws_validator();
    let mut problems = Vec::new();
    for relative in files_with_prefix("ietf-jose-cookbook/rfc7797", "") {
        let doc = load(&relative);
        let keys = cookbook_keyset(&doc["input"]["key"]);
        let output = &doc["output"];
        let flat = &output["json_flat"];
        let (mut cases, mut invalid) = (0, 0);
        let mut check = |what: &str, token: &str, code: ErrorCode| {
            cases += 1;
            match validator.verify_jws(token.as_bytes(), &keys) {
                Ok(_) => problems.push(format!("{relative}: {what} was accepted")),
                Err(r) => {
                    invalid += 1;
                    if r.code() != code {
                        problems.push(format!(
                            "{relative}: {what} refused as {r}, expected {code}"
                        ));
                    }
                }
            }
        };
        // The header exactly as signed, with the payload put in a base64url segment: the token
        // reaches the header rules, and `b64` is refused there (spec step 7, SEC-010).
        let protected = str_field(flat, "protected");
        let payload = str_field(flat, "payload");
        let signature = str_field(flat, "signature");
        let reencoded = format!("{protected}.{}.{signature}", base64url::encode(payload));
        check(
            "b64:false header with a base64url payload segment",
            &reencoded,
            ErrorCode::ForbiddenHeaderParameter,
        );
        // The RFC 7797 compact form puts the raw payload between the dots. This one contains
        // spaces, so it fails the structural check (step 4) before the header rules (step 7).
        if let Some(compact) = output.get("compact").and_then(Value::as_str) {
            check(
                "RFC 7797 compact form (raw payload)",
                compact,
                ErrorCode::MalformedToken,
            );
        }
        for (form, text) in json_serializations(output) {
            check(
                &format!("output.{form} (JSON serialization)"),
                &text,
                ErrorCode::MalformedToken,
            );
        }
        let name = relative.rsplit('/').next().unwrap_or(&relative);
        println!("{name}: {cases} cases, 0 valid, {invalid} invalid, 0 excepted");
    }
    assert_no_problems("RFC 7797", &problems);
}
