//! The properties behind the fuzz targets, in one copy.
//!
//! The targets in `fuzz/fuzz_targets/` call these functions with libFuzzer's input, and
//! `tests/fuzz_regressions.rs` includes this very file (`#[path = "../fuzz/src/checks.rs"]`) to
//! replay every committed crash input and a sample of the corpora as ordinary tests on stable
//! Rust. Each entry point takes the raw input bytes and panics when a property fails.
//!
//! The structure-aware targets (`validate`, `differential`) decode their input with [`Reader`], a
//! small byte reader in the spirit of `arbitrary::Unstructured` (a missing byte reads as zero, so
//! every input decodes to some case). It lives here rather than behind `#[derive(Arbitrary)]` so
//! that the stable test can decode a crash input exactly as the fuzzer did without the main crate
//! depending on `arbitrary`; the fuzz crate wraps it in an `Arbitrary` impl for `cargo fuzz fmt`.
#![allow(dead_code)]

use authprobe::algorithm::{Algorithm, Curve, KeyFamily};
use authprobe::base64url;
use authprobe::jwk::{Key, KeySet, PRIVATE_MEMBERS};
use authprobe::sign::{sign_compact, SigningKey};
use authprobe::strict_json::{self, JsonError};
use authprobe::token::{ParseError, ParseLimits, Token};
use authprobe::validate::{FixedClock, Policy, RejectionKind, Validator, Verdict};
use serde_json::{Map, Value};
use std::fmt;
use std::sync::OnceLock;

/// The clock of the `validate` target (the Better Auth fixture's instant).
pub const NOW: i64 = 1_795_690_700;
/// Issuer and audience every generated token is judged against.
pub const ISSUER: &str = "http://127.0.0.1:3000";
pub const AUDIENCE: &str = "http://127.0.0.1:3000";

// ---------------------------------------------------------------------------------------------
// token_parse

/// `token_parse`: arbitrary bytes into the compact JWS parser. It never panics; a token that
/// parses prints back to the same bytes, its segments are canonical base64url of what they
/// decode to, the size cap is inclusive, and the validator's key-free checks are deterministic.
pub fn token_parse(data: &[u8]) {
    let limits = ParseLimits::default();
    match Token::parse(data) {
        Ok(token) => {
            assert_eq!(token.to_string().as_bytes(), data, "printed back differs");
            assert!(data.len() <= limits.max_token_bytes);
            assert_eq!(base64url::encode(token.header_json()), token.header_b64());
            assert_eq!(base64url::encode(token.payload()), token.payload_b64());
            assert_eq!(base64url::encode(token.signature()), token.signature_b64());
            let signing_input = format!("{}.{}", token.header_b64(), token.payload_b64());
            assert_eq!(token.signing_input(), signing_input.as_bytes());
            let again = Token::parse(token.to_string()).expect("a printed token parses again");
            assert_eq!(again, token, "parse(print(t)) != t");
            let exact = ParseLimits {
                max_token_bytes: data.len(),
                ..limits
            };
            assert!(
                Token::parse_with(data, exact).is_ok(),
                "the size cap is inclusive"
            );
            let short = ParseLimits {
                max_token_bytes: data.len() - 1,
                ..limits
            };
            assert!(matches!(
                Token::parse_with(data, short),
                Err(ParseError::TooLarge { .. })
            ));
            let header = strict_json::parse_object(token.header_json(), limits.max_json_depth)
                .expect("the header re-parses");
            assert_eq!(&header, token.header());
            let _ = token
                .unverified_claims(limits.max_json_depth)
                .map_err(|e| e.to_string());
        }
        Err(err) => {
            let _ = err.to_string();
            if data.len() > limits.max_token_bytes {
                assert!(matches!(err, ParseError::TooLarge { .. }), "{err:?}");
            }
            if let ParseError::Base64 { offset, .. } = err {
                assert!(offset <= data.len(), "offset {offset} beyond the token");
            }
        }
    }
    let validator = Validator::new(Policy::better_auth(ISSUER, AUDIENCE));
    let once = |bytes: &[u8]| {
        validator
            .checks_before_keys(bytes)
            .map(|(token, claims)| (token.to_string(), claims))
            .map_err(|r| (r.kind, r.detail))
    };
    assert_eq!(
        once(data),
        once(data),
        "key-free checks are not deterministic"
    );
}

// ---------------------------------------------------------------------------------------------
// jwks_parse

/// The Better Auth sample token: validated against every fuzzed key set.
const SAMPLE_TOKEN: &str = include_str!("../../tests/fixtures/better-auth/token.jwt");

/// `jwks_parse`: arbitrary bytes as a public JWKS, a secret JWKS and a single JWK. Never panics;
/// a document is never both a public and a secret set; a public set never keeps private or
/// symmetric material; import is deterministic; imported keys bind, select and verify without
/// panicking and never verify an all-zero signature.
pub fn jwks_parse(data: &[u8]) {
    let public = KeySet::from_public_jwks(data);
    let secret = KeySet::from_secret_jwks(data);
    assert!(
        !(public.is_ok() && secret.is_ok()),
        "a document imported both as a public and as a secret key set"
    );
    if data.len() > 256 * 1024 {
        assert!(public.is_err() && secret.is_err());
    }
    assert_eq!(
        describe_set(&public),
        describe_set(&KeySet::from_public_jwks(data)),
        "public import is not deterministic"
    );
    assert_eq!(
        describe_set(&secret),
        describe_set(&KeySet::from_secret_jwks(data))
    );
    if let Ok(set) = &public {
        assert!(!set.keys().is_empty());
        for key in set.keys() {
            assert_ne!(
                key.family(),
                KeyFamily::Hmac,
                "symmetric key in a public set"
            );
            for member in PRIVATE_MEMBERS {
                assert!(!key.jwk().contains_key(member), "private member {member}");
            }
            exercise_key(key, set);
        }
        exercise_set(set);
    }
    if let Ok(set) = &secret {
        for key in set.keys() {
            assert_eq!(key.family(), KeyFamily::Hmac);
            assert_eq!(key.jwk().get("k"), Some(&Value::from("<redacted>")));
            exercise_key(key, set);
        }
        exercise_set(set);
    }
    if let Ok(jwk) = strict_json::parse_object(data, 8) {
        let public = Key::from_public_jwk(&jwk);
        let secret = Key::from_secret_jwk(&jwk);
        assert!(
            !(public.is_ok() && secret.is_ok()),
            "a JWK both public and secret"
        );
        for key in public.iter().chain(secret.iter()) {
            let set = KeySet::default();
            exercise_key(key, &set);
        }
        let _ = public.map_err(|e| e.to_string());
        let _ = secret.map_err(|e| e.to_string());
    }
}

fn describe_set<E: fmt::Display>(set: &Result<KeySet, E>) -> String {
    match set {
        Ok(set) => {
            let keys: Vec<String> = set
                .keys()
                .iter()
                .map(|k| format!("{:?} {:?} {:?}", k.kid(), k.family(), k.jwk()))
                .collect();
            let ignored: Vec<String> = set.ignored().iter().map(|i| i.to_string()).collect();
            format!("ok {keys:?} ignored {ignored:?}")
        }
        Err(e) => format!("err {e}"),
    }
}

fn exercise_key(key: &Key, set: &KeySet) {
    let message = b"eyJhbGciOiJFZERTQSJ9.e30";
    for alg in Algorithm::ALL {
        if key.check_binding(alg).is_ok() {
            assert!(key.material().family_matches(alg));
        }
        for len in [0, 1, 32, 48, 64, 96, 132, 256, 384, 512] {
            assert!(
                !key.verify(alg, message, &vec![0u8; len]),
                "an all-zero {len}-byte signature verified under {alg}"
            );
        }
        if let Some(kid) = key.kid() {
            if let Ok(selected) = set.select(Some(kid), alg) {
                assert_eq!(selected.kid(), Some(kid));
            }
        }
    }
}

fn exercise_set(set: &KeySet) {
    let mut policy = Policy::better_auth(ISSUER, AUDIENCE).with_algorithms(Algorithm::ALL);
    let validator = Validator::new(policy.clone());
    let token = SAMPLE_TOKEN.trim_end().as_bytes();
    let first = verdict_summary(&validator.validate(token, set, &FixedClock(NOW)));
    let second = verdict_summary(&validator.validate(token, set, &FixedClock(NOW)));
    assert_eq!(first, second);
    policy.require_kid = false;
    let _ = Validator::new(policy).validate(token, set, &FixedClock(NOW));
}

// ---------------------------------------------------------------------------------------------
// scenario_parse

/// `scenario_parse`: arbitrary text into the scenario loader. It returns an error, never panics;
/// errors carry a 1-based position inside the text; loading is deterministic; a suite that loads
/// serializes to TOML that loads back to an equal suite.
pub fn scenario_parse(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let first = authprobe::scenario::load_str("fuzz.toml", &text);
    let second = authprobe::scenario::load_str("fuzz.toml", &text);
    match (&first, &second) {
        (Ok(a), Ok(b)) => assert_eq!(a, b),
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
        _ => panic!("loading the same text twice gave different outcomes"),
    }
    match first {
        Err(err) => {
            let _ = (err.to_string(), err.location(), err.message(), err.hint());
            if let Some((line, column)) = err.position() {
                let lines = text.split('\n').count();
                assert!(line >= 1 && column >= 1, "position {line}:{column}");
                assert!(
                    line <= lines,
                    "line {line} beyond the {lines} lines of the text"
                );
            }
        }
        Ok(suite) => {
            let _ = format!("{suite:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Structure-aware input

/// A byte reader: every read succeeds, reading zeros once the input is exhausted.
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Reader<'a> {
        Reader { data, pos: 0 }
    }
    pub fn byte(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }
    pub fn bool(&mut self) -> bool {
        self.byte() & 1 == 1
    }
    /// A number below `n` (`n` ≥ 1).
    pub fn below(&mut self, n: usize) -> usize {
        if n <= 256 {
            usize::from(self.byte()) % n
        } else {
            usize::from(u16::from_le_bytes([self.byte(), self.byte()])) % n
        }
    }
    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.byte(), self.byte()])
    }
    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.byte(), self.byte(), self.byte(), self.byte()])
    }
    /// Up to `max` raw bytes, length-prefixed.
    pub fn bytes(&mut self, max: usize) -> Vec<u8> {
        let len = self.below(max + 1);
        let start = self.pos.min(self.data.len());
        let end = (start + len).min(self.data.len());
        self.pos += len;
        self.data[start..end].to_vec()
    }
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

/// Short strings that matter to JOSE parsers.
const WORDS: &[&str] = &[
    "EdDSA",
    "none",
    "None",
    "NONE",
    "nOnE",
    "HS256",
    "RS256",
    "ES256",
    "JWT",
    "jwt",
    "application/jwt",
    "at+jwt",
    "JOSE",
    "",
    " ",
    "\u{0}",
    "k7QwZp2LxR9vTmN4bYc8HsJd3FgEa6Uu",
    "../../../dev/null",
    "http://127.0.0.1:3000",
    "http://127.0.0.1:3000/",
    "HTTP://127.0.0.1:3000",
    "http://127.0.0.1:3000/api/auth",
    "https://attacker.invalid/jwks.json",
    "sig",
    "verify",
    "b64",
    "exp",
    "é",
    "\u{feff}EdDSA",
    "ext",
];

/// Header parameter names: registered, forbidden and typed by jsonwebtoken.
const HEADER_NAMES: &[&str] = &[
    "crit", "jku", "jwk", "x5u", "x5c", "x5t", "x5t#S256", "b64", "zip", "enc", "cty", "url",
    "nonce", "kid", "alg", "typ", "epk", "x", "ext",
];

/// Claim names: registered (so duplicates arise) and Better Auth's.
const CLAIM_NAMES: &[&str] = &[
    "exp",
    "iat",
    "nbf",
    "iss",
    "aud",
    "sub",
    "jti",
    "scope",
    "name",
    "email",
    "emailVerified",
    "role",
    "x",
];

/// Number literals at the edges of JSON and of NumericDate.
const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1",
    "-1",
    "1.5",
    "1e3",
    "1E+2",
    "0.1e-5",
    "9007199254740991",
    "9007199254740992",
    "9007199254740993",
    "18446744073709551615",
    "18446744073709551616",
    "1e19",
    "1e308",
    "1e309",
    "-1e309",
    "1e-400",
    "4.9e-324",
    "01",
    "1.",
    "+1",
    "NaN",
    "Infinity",
];

/// Raw string literals with escapes serde_json must judge.
const RAW_STRINGS: &[&str] = &[
    r#""\ud800""#,
    r#""\udc00\ud800""#,
    r#""\ud83d\ude00""#,
    r#""\u0000""#,
    r#""\/""#,
    r#""\x41""#,
    "\"\t\"",
    r#""EdD\u0053A""#,
];

fn word(r: &mut Reader<'_>) -> String {
    if r.below(4) == 0 {
        String::from_utf8_lossy(&r.bytes(12)).into_owned()
    } else {
        r.pick(WORDS).to_owned()
    }
}

fn json_string(s: &str) -> String {
    Value::from(s).to_string()
}

/// A JSON value as raw text (sometimes not JSON at all), nested at most a few levels except for
/// the deliberate deep nesting case.
fn json_value(r: &mut Reader<'_>, depth: usize) -> String {
    match r.below(12) {
        0 => "null".into(),
        1 => if r.bool() { "true" } else { "false" }.into(),
        2 => i64::from(r.u32() as i32).to_string(),
        3 => r.pick(NUMBERS).into(),
        4 | 5 => json_string(&word(r)),
        6 => r.pick(RAW_STRINGS).into(),
        7 if depth < 3 => {
            let n = r.below(4);
            let items: Vec<String> = (0..n).map(|_| json_value(r, depth + 1)).collect();
            format!("[{}]", items.join(","))
        }
        8 if depth < 3 => {
            let n = r.below(4);
            let members: Vec<String> = (0..n)
                .map(|_| format!("{}:{}", json_string(&word(r)), json_value(r, depth + 1)))
                .collect();
            format!("{{{}}}", members.join(","))
        }
        9 => {
            let n = 1 + r.below(20);
            let (open, close) = if r.bool() {
                ("[", "]")
            } else {
                ("{\"a\":", "}")
            };
            format!("{}0{}", open.repeat(n), close.repeat(n))
        }
        10 => String::from_utf8_lossy(&r.bytes(16)).into_owned(),
        _ => "\"x\"".into(),
    }
}

/// The signing keys of a run, fixed so that inputs replay identically everywhere.
pub struct Keys {
    ed25519: SigningKey,
    p256: SigningKey,
    p384: SigningKey,
    p521: SigningKey,
    rsa: SigningKey,
    hmac: SigningKey,
    hmac_secret: Vec<u8>,
    attacker_ed25519: SigningKey,
    attacker_p256: SigningKey,
    attacker_p384: SigningKey,
    attacker_p521: SigningKey,
    attacker_rsa: SigningKey,
    attacker_hmac: SigningKey,
    /// Every key above (the issuer's), as the validator holds them.
    all: KeySet,
}

fn ec_key(curve: Curve, pkcs8: &[u8]) -> SigningKey {
    use aws_lc_rs::signature as sig;
    let alg = match curve {
        Curve::P256 => &sig::ECDSA_P256_SHA256_FIXED_SIGNING,
        Curve::P384 => &sig::ECDSA_P384_SHA384_FIXED_SIGNING,
        Curve::P521 => &sig::ECDSA_P521_SHA512_FIXED_SIGNING,
    };
    SigningKey::Ec {
        curve,
        pair: sig::EcdsaKeyPair::from_pkcs8(alg, pkcs8).expect("fixed EC key"),
    }
}

fn rsa_key(pkcs8: &[u8]) -> SigningKey {
    SigningKey::Rsa(aws_lc_rs::rsa::KeyPair::from_pkcs8(pkcs8).expect("fixed RSA key"))
}

impl Keys {
    pub fn get() -> &'static Keys {
        static KEYS: OnceLock<Keys> = OnceLock::new();
        KEYS.get_or_init(Keys::load)
    }

    fn load() -> Keys {
        let hmac_secret: Vec<u8> = (0..64u8).map(|i| i.wrapping_mul(37) ^ 0x5a).collect();
        let ed25519 = SigningKey::ed25519_from_seed([7; 32]);
        let p256 = ec_key(Curve::P256, include_bytes!("../keys/p256.pk8"));
        let p384 = ec_key(Curve::P384, include_bytes!("../keys/p384.pk8"));
        let p521 = ec_key(Curve::P521, include_bytes!("../keys/p521.pk8"));
        let rsa = rsa_key(include_bytes!("../keys/rsa2048.pk8"));
        let hmac = SigningKey::hmac(&hmac_secret);
        let mut all = KeySet::default();
        for (key, family) in [
            (&ed25519, KeyFamily::Ed25519),
            (&p256, KeyFamily::Ec(Curve::P256)),
            (&p384, KeyFamily::Ec(Curve::P384)),
            (&p521, KeyFamily::Ec(Curve::P521)),
            (&rsa, KeyFamily::Rsa),
        ] {
            let declared = (family == KeyFamily::Ed25519).then_some(Algorithm::EdDSA);
            let jwk = key.public_jwk(Some(kid_of(family)), declared);
            all.push(Key::from_public_jwk(&jwk).expect("own public key imports"));
        }
        all.push(Key::from_hmac_secret(Some(kid_of(KeyFamily::Hmac)), &hmac_secret).unwrap());
        Keys {
            ed25519,
            p256,
            p384,
            p521,
            rsa,
            hmac,
            hmac_secret,
            attacker_ed25519: SigningKey::ed25519_from_seed([0xa7; 32]),
            attacker_p256: ec_key(Curve::P256, include_bytes!("../keys/attacker-p256.pk8")),
            attacker_p384: ec_key(Curve::P384, include_bytes!("../keys/attacker-p384.pk8")),
            attacker_p521: ec_key(Curve::P521, include_bytes!("../keys/attacker-p521.pk8")),
            attacker_rsa: rsa_key(include_bytes!("../keys/attacker-rsa2048.pk8")),
            attacker_hmac: SigningKey::hmac(&[0x42; 64]),
            all,
        }
    }

    /// The issuer's key for an algorithm.
    pub fn issuer(&self, alg: Algorithm) -> &SigningKey {
        match alg.key_family() {
            KeyFamily::Ed25519 => &self.ed25519,
            KeyFamily::Ec(Curve::P256) => &self.p256,
            KeyFamily::Ec(Curve::P384) => &self.p384,
            KeyFamily::Ec(Curve::P521) => &self.p521,
            KeyFamily::Rsa => &self.rsa,
            KeyFamily::Hmac => &self.hmac,
        }
    }

    /// A key of the same family that the validator does not trust.
    pub fn attacker(&self, alg: Algorithm) -> &SigningKey {
        match alg.key_family() {
            KeyFamily::Ed25519 => &self.attacker_ed25519,
            KeyFamily::Ec(Curve::P256) => &self.attacker_p256,
            KeyFamily::Ec(Curve::P384) => &self.attacker_p384,
            KeyFamily::Ec(Curve::P521) => &self.attacker_p521,
            KeyFamily::Rsa => &self.attacker_rsa,
            KeyFamily::Hmac => &self.attacker_hmac,
        }
    }

    /// A key set holding only the issuer's key for `alg` (what a single-key deployment has).
    pub fn single(&self, alg: Algorithm) -> KeySet {
        let family = alg.key_family();
        let kid = kid_of(family);
        let key = if family == KeyFamily::Hmac {
            Key::from_hmac_secret(Some(kid), &self.hmac_secret).unwrap()
        } else {
            let declared = (family == KeyFamily::Ed25519).then_some(Algorithm::EdDSA);
            Key::from_public_jwk(&self.issuer(alg).public_jwk(Some(kid), declared)).unwrap()
        };
        KeySet::from_keys(vec![key])
    }

    /// The jsonwebtoken decoding key for the issuer's key of `alg`.
    pub fn jsonwebtoken_key(&self, alg: Algorithm) -> jsonwebtoken::DecodingKey {
        use jsonwebtoken::DecodingKey;
        let jwk = self.issuer(alg).public_jwk(None, None);
        let member = |name: &str| jwk[name].as_str().unwrap().to_owned();
        match alg.key_family() {
            KeyFamily::Ed25519 => DecodingKey::from_ed_components(&member("x")).unwrap(),
            KeyFamily::Ec(_) => {
                DecodingKey::from_ec_components(&member("x"), &member("y")).unwrap()
            }
            KeyFamily::Rsa => DecodingKey::from_rsa_components(&member("n"), &member("e")).unwrap(),
            KeyFamily::Hmac => DecodingKey::from_secret(&self.hmac_secret),
        }
    }

    /// The public JWK text of the issuer's key (HMAC-confusion secrets are made from it).
    pub fn public_jwk_text(&self, alg: Algorithm) -> String {
        Value::Object(self.issuer(alg).public_jwk(None, None)).to_string()
    }
}

/// The `kid` of the issuer's key of a family.
pub fn kid_of(family: KeyFamily) -> &'static str {
    match family {
        KeyFamily::Ed25519 => "k7QwZp2LxR9vTmN4bYc8HsJd3FgEa6Uu",
        KeyFamily::Ec(Curve::P256) => "p256",
        KeyFamily::Ec(Curve::P384) => "p384",
        KeyFamily::Ec(Curve::P521) => "p521",
        KeyFamily::Rsa => "rsa",
        KeyFamily::Hmac => "hs",
    }
}

/// A NumericDate claim as generated: relative to the judging instant so that the `differential`
/// target, whose peer reads the system clock, can build the same boundaries as `validate`.
#[derive(Debug, Clone, PartialEq)]
pub enum DateSpec {
    Missing,
    /// `now + offset`, as an integer literal.
    Rel(i64),
    /// `now + offset + frac/100`, as a decimal literal.
    Frac(i64, u8),
    /// `now + offset` in exponent form (`1.7956907e9`).
    Exp(i64),
    /// A fixed literal (huge, negative, not a number at all…).
    Raw(String),
}

const OFFSETS: &[i64] = &[
    0, 1, -1, 29, 30, 31, -29, -30, -31, 59, 60, 61, -60, 299, 300, 301, -300, 840, 899, 900, 901,
    960, 3600, -3600, 86_400, -86_400,
];

impl DateSpec {
    fn decode(r: &mut Reader<'_>, canonical: i64) -> DateSpec {
        match r.below(16) {
            0..=6 => DateSpec::Rel(canonical),
            7..=9 => DateSpec::Rel(r.pick(OFFSETS)),
            10 => DateSpec::Rel(i64::from(r.u32() as i32)),
            11 => DateSpec::Frac(r.pick(OFFSETS), r.byte() % 100),
            12 => DateSpec::Exp(r.pick(OFFSETS)),
            13 => DateSpec::Missing,
            14 => DateSpec::Raw(r.pick(NUMBERS).into()),
            _ => DateSpec::Raw(json_value(r, 2)),
        }
    }

    fn render(&self, now: i64) -> Option<String> {
        match self {
            DateSpec::Missing => None,
            DateSpec::Rel(off) => Some((now + off).to_string()),
            DateSpec::Frac(off, frac) => Some(format!("{}.{frac:02}", now + off)),
            DateSpec::Exp(off) => Some(format!("{:e}", (now + off) as f64)),
            DateSpec::Raw(text) => Some(text.clone()),
        }
    }
}

/// One generated token: header and claims as ordered lists of raw JSON members (duplicates and
/// ill-typed values allowed), how they are laid out, the policy knobs, and a mutation.
#[derive(Debug, Clone)]
pub struct Case {
    pub alg: Algorithm,
    pub header: Vec<(String, String)>,
    pub exp: DateSpec,
    pub iat: DateSpec,
    pub nbf: DateSpec,
    pub claims: Vec<(String, String)>,
    /// 0 compact, 1 spaced, 2 line breaks and tabs.
    pub layout: u8,
    pub rotate_header: usize,
    pub rotate_claims: usize,
    /// Raw bytes replacing the header or payload JSON (still signed).
    pub raw_header: Option<Vec<u8>>,
    pub raw_payload: Option<Vec<u8>>,
    pub require_kid: bool,
    pub leeway: u64,
    pub max_lifetime: Option<u64>,
    /// Extension names the policy understands in `crit`.
    pub understood_crit: Vec<String>,
    pub mutation: Mutation,
    /// Every choice was the well-formed one: the unmutated token must be accepted.
    pub canonical: bool,
}

impl Case {
    /// Decodes a case; `algs` are the algorithms the target can sign and judge.
    pub fn decode(r: &mut Reader<'_>, algs: &[Algorithm]) -> Case {
        let alg = r.pick(algs);
        let mut canonical = true;
        let mut header = Vec::new();
        // alg
        match r.below(10) {
            0..=5 => header.push(("alg".into(), json_string(alg.name()))),
            6 => {
                canonical = false;
                let other = r.pick(&Algorithm::ALL);
                header.push(("alg".into(), json_string(other.name())));
            }
            7 => {
                canonical = false;
                header.push(("alg".into(), json_string(&word(r))));
            }
            8 => {
                canonical = false;
                header.push(("alg".into(), json_value(r, 1)));
            }
            _ => canonical = false,
        }
        // kid
        match r.below(10) {
            0..=5 => header.push(("kid".into(), json_string(kid_of(alg.key_family())))),
            6 => {
                canonical = false;
                let other = r.pick(&Algorithm::ALL);
                header.push(("kid".into(), json_string(kid_of(other.key_family()))));
            }
            7 => {
                canonical = false;
                header.push(("kid".into(), json_string(&word(r))));
            }
            8 => {
                canonical = false;
                header.push(("kid".into(), json_value(r, 1)));
            }
            _ => canonical = false,
        }
        // typ
        match r.below(8) {
            0..=4 => {}
            5 => header.push(("typ".into(), json_string("JWT"))),
            6 => {
                canonical = false;
                header.push(("typ".into(), json_string(&word(r))));
            }
            _ => {
                canonical = false;
                header.push(("typ".into(), json_value(r, 1)));
            }
        }
        for _ in 0..r.below(4) {
            canonical = false;
            let name = r.pick(HEADER_NAMES).to_owned();
            header.push((name, json_value(r, 0)));
        }
        let exp = DateSpec::decode(r, 900);
        let iat = DateSpec::decode(r, -60);
        let nbf = if r.below(3) == 0 {
            DateSpec::decode(r, -60)
        } else {
            DateSpec::Missing
        };
        let date_ok = |d: &DateSpec, ok: &[i64]| matches!(d, DateSpec::Rel(o) if ok.contains(o));
        canonical &= date_ok(&exp, &[900]) && date_ok(&iat, &[-60]);
        canonical &= nbf == DateSpec::Missing || date_ok(&nbf, &[-60]);
        let mut claims = Vec::new();
        match r.below(10) {
            0..=6 => claims.push(("iss".into(), json_string(ISSUER))),
            7 => {
                canonical = false;
                claims.push(("iss".into(), format!("[{}]", json_string(ISSUER))));
            }
            8 => {
                canonical = false;
                claims.push(("iss".into(), json_string(&word(r))));
            }
            _ => {
                canonical = false;
                if r.bool() {
                    claims.push(("iss".into(), json_value(r, 1)));
                }
            }
        }
        match r.below(12) {
            0..=5 => claims.push(("aud".into(), json_string(AUDIENCE))),
            6 => claims.push((
                "aud".into(),
                format!("[{},{}]", json_string("other"), json_string(AUDIENCE)),
            )),
            7 => {
                canonical = false;
                claims.push(("aud".into(), format!("[{}]", json_string(&word(r)))));
            }
            8 => {
                canonical = false;
                claims.push(("aud".into(), "[]".into()));
            }
            9 => {
                canonical = false;
                claims.push(("aud".into(), format!("[{},1]", json_string(AUDIENCE))));
            }
            10 => {
                canonical = false;
                claims.push(("aud".into(), json_string(&word(r))));
            }
            _ => {
                canonical = false;
                if r.bool() {
                    claims.push(("aud".into(), json_value(r, 1)));
                }
            }
        }
        match r.below(10) {
            0..=6 => claims.push((
                "sub".into(),
                json_string("9URAu33PHr1A5LlE7KXJTelugMMDgpKy"),
            )),
            7 => {
                canonical = false;
                claims.push(("sub".into(), json_string("")));
            }
            8 => {
                canonical = false;
                claims.push(("sub".into(), json_value(r, 1)));
            }
            _ => canonical = false,
        }
        for _ in 0..r.below(4) {
            canonical = false;
            let name = r.pick(CLAIM_NAMES).to_owned();
            claims.push((name, json_value(r, 0)));
        }
        let layout = r.byte() % 3;
        let rotate_header = r.below(8);
        let rotate_claims = r.below(8);
        let raw_header = (r.below(32) == 31).then(|| r.bytes(64));
        let raw_payload = (r.below(32) == 31).then(|| r.bytes(128));
        canonical &= raw_header.is_none() && raw_payload.is_none();
        let require_kid = r.below(4) != 3;
        let leeway = r.pick(&[30, 30, 30, 0, 60, 300]);
        let max_lifetime = r.pick(&[None, None, None, Some(960), Some(900), Some(60)]);
        canonical &= max_lifetime.is_none_or(|cap| cap >= 960);
        let mutation = Mutation::decode(r);
        // Read last, so that shorter inputs decode as before: now and then a long claim that
        // puts the token just under or over the 16 KiB cap (base64 makes 12 KiB of JSON ~16 KiB).
        if r.below(64) == 63 {
            canonical = false;
            let len = 11_800 + r.below(800);
            claims.push(("pad".into(), json_string(&"a".repeat(len))));
        }
        // A deployment that understands the `ext` extension, so that `crit` can be honoured.
        let understood_crit = match r.below(8) {
            7 => vec!["ext".to_owned()],
            6 => vec!["ext".to_owned(), "b64".to_owned(), "exp".to_owned()],
            _ => Vec::new(),
        };
        if r.below(16) == 15 {
            let name = if r.bool() { "ext".to_owned() } else { word(r) };
            header.push(("ext".into(), json_string("on")));
            header.push(("crit".into(), format!("[{}]", json_string(&name))));
            canonical &= name == "ext" && understood_crit.iter().any(|u| u == "ext");
        }
        Case {
            alg,
            header,
            exp,
            iat,
            nbf,
            claims,
            layout,
            rotate_header,
            rotate_claims,
            raw_header,
            raw_payload,
            require_kid,
            leeway,
            max_lifetime,
            understood_crit,
            mutation,
            canonical,
        }
    }

    /// The well-formed case for `alg` (what an all-zero input decodes to): tests edit it.
    pub fn well_formed(alg: Algorithm) -> Case {
        Case::decode(&mut Reader::new(&[0; 96]), &[alg])
    }

    fn object(&self, members: &[(String, String)], rotate: usize) -> Vec<u8> {
        let mut members = members.to_vec();
        if !members.is_empty() {
            let k = rotate % members.len();
            members.rotate_left(k);
        }
        let (open, colon, comma, close) = match self.layout {
            0 => ("{", ":", ",", "}"),
            1 => ("{ ", ": ", ", ", " }"),
            _ => ("{\n\t", " :", " ,\r\n", "\n}"),
        };
        let body: Vec<String> = members
            .iter()
            .map(|(name, value)| format!("{}{colon}{value}", json_string(name)))
            .collect();
        format!("{open}{}{close}", body.join(comma)).into_bytes()
    }

    /// The header JSON bytes.
    pub fn header_json(&self) -> Vec<u8> {
        match &self.raw_header {
            Some(raw) => raw.clone(),
            None => self.object(&self.header, self.rotate_header),
        }
    }

    /// The claims JSON bytes at `now`.
    pub fn claims_json(&self, now: i64) -> Vec<u8> {
        if let Some(raw) = &self.raw_payload {
            return raw.clone();
        }
        let mut members = Vec::new();
        for (name, date) in [("iat", &self.iat), ("nbf", &self.nbf), ("exp", &self.exp)] {
            if let Some(text) = date.render(now) {
                members.push((name.to_owned(), text));
            }
        }
        members.extend(self.claims.iter().cloned());
        self.object(&members, self.rotate_claims)
    }

    /// The token the issuer signs (before any mutation).
    pub fn signed(&self, keys: &Keys, now: i64) -> String {
        sign_compact(
            &self.header_json(),
            &self.claims_json(now),
            keys.issuer(self.alg),
            self.alg,
        )
        .expect("the issuer's key signs its algorithm")
    }

    fn policy(&self, algorithms: &[Algorithm]) -> Policy {
        let mut policy = Policy::better_auth(ISSUER, AUDIENCE)
            .with_algorithms(algorithms.iter().copied())
            .with_leeway(self.leeway);
        policy.require_kid = self.require_kid;
        policy.max_lifetime_secs = self.max_lifetime;
        policy.understood_crit = self.understood_crit.clone();
        policy
    }
}

/// What is done to a signed token before it is validated.
#[derive(Debug, Clone, PartialEq)]
pub enum Mutation {
    None,
    FlipBit {
        at: usize,
        bit: u8,
    },
    SetByte {
        at: usize,
        byte: u8,
    },
    Insert {
        at: usize,
        bytes: Vec<u8>,
    },
    Remove {
        at: usize,
        len: usize,
    },
    Truncate {
        keep: usize,
    },
    /// `=` padding appended to a segment.
    Pad {
        segment: u8,
        count: u8,
    },
    /// `-`/`_` swapped for `+`/`/`.
    StandardAlphabet,
    /// The last character of a segment replaced by one with the same value bits and non-zero
    /// unused bits (or the reverse).
    TrailingBits {
        segment: u8,
        delta: u8,
    },
    /// The signature re-made by a key of the same family that the validator does not trust.
    AttackerSignature,
    /// The header's `alg` rewritten (the signature kept).
    AlgSwap {
        to: usize,
    },
    /// `alg: none` with an empty signature.
    AlgNone {
        name: u8,
    },
    /// Algorithm confusion: HS256/384/512 over the same payload, keyed with the public key.
    HmacWithPublicKey {
        hash: u8,
        key_form: u8,
    },
    /// ECDSA `s` replaced by `n − s`: the other valid signature ECDSA always has.
    EcdsaMalleate,
    /// Ed25519 `S` replaced by `S + L` (non-canonical).
    Ed25519AddL,
    /// The signature segment emptied.
    DropSignature,
    /// A fourth segment appended.
    ExtraSegment(Vec<u8>),
    /// The header or payload segment of the token replaced by the other.
    SwapSegments,
}

impl Mutation {
    fn decode(r: &mut Reader<'_>) -> Mutation {
        match r.below(20) {
            0 | 1 => Mutation::None,
            2 => Mutation::FlipBit {
                at: usize::from(r.u16()),
                bit: r.byte() % 8,
            },
            3 => Mutation::SetByte {
                at: usize::from(r.u16()),
                byte: r.byte(),
            },
            4 => Mutation::Insert {
                at: usize::from(r.u16()),
                bytes: r.bytes(8),
            },
            5 => Mutation::Remove {
                at: usize::from(r.u16()),
                len: 1 + r.below(8),
            },
            6 => Mutation::Truncate {
                keep: usize::from(r.u16()),
            },
            7 => Mutation::Pad {
                segment: r.byte() % 3,
                count: 1 + r.byte() % 3,
            },
            8 => Mutation::StandardAlphabet,
            9 => Mutation::TrailingBits {
                segment: r.byte() % 3,
                delta: 1 + r.byte() % 15,
            },
            10 => Mutation::AttackerSignature,
            11 => Mutation::AlgSwap {
                to: r.below(Algorithm::ALL.len()),
            },
            12 => Mutation::AlgNone { name: r.byte() },
            13 => Mutation::HmacWithPublicKey {
                hash: r.byte() % 3,
                key_form: r.byte() % 3,
            },
            14 => Mutation::EcdsaMalleate,
            15 => Mutation::Ed25519AddL,
            16 => Mutation::DropSignature,
            17 => Mutation::ExtraSegment(r.bytes(8)),
            18 => Mutation::SwapSegments,
            _ => Mutation::None,
        }
    }

    /// Applies the mutation. `case` and `keys` are needed by the re-signing mutations.
    pub fn apply(&self, token: &str, case: &Case, keys: &Keys) -> Vec<u8> {
        let mut bytes = token.as_bytes().to_vec();
        let parts: Vec<&str> = token.split('.').collect();
        let (h, p, s) = (parts[0], parts[1], parts[2]);
        let at = |i: usize, len: usize| if len == 0 { 0 } else { i % len };
        match self {
            Mutation::None => {}
            Mutation::FlipBit { at: i, bit } => {
                let i = at(*i, bytes.len());
                bytes[i] ^= 1 << bit;
            }
            Mutation::SetByte { at: i, byte } => {
                let i = at(*i, bytes.len());
                bytes[i] = *byte;
            }
            Mutation::Insert {
                at: i,
                bytes: extra,
            } => {
                let i = at(*i, bytes.len() + 1);
                bytes.splice(i..i, extra.iter().copied());
            }
            Mutation::Remove { at: i, len } => {
                let i = at(*i, bytes.len());
                let end = (i + len).min(bytes.len());
                bytes.drain(i..end);
            }
            Mutation::Truncate { keep } => bytes.truncate(at(*keep, bytes.len())),
            Mutation::Pad { segment, count } => {
                let pad = "=".repeat(usize::from(*count));
                bytes = match segment {
                    0 => format!("{h}{pad}.{p}.{s}"),
                    1 => format!("{h}.{p}{pad}.{s}"),
                    _ => format!("{h}.{p}.{s}{pad}"),
                }
                .into_bytes();
            }
            Mutation::StandardAlphabet => {
                for b in &mut bytes {
                    *b = match *b {
                        b'-' => b'+',
                        b'_' => b'/',
                        other => other,
                    };
                }
            }
            Mutation::TrailingBits { segment, delta } => {
                let mut segs = [h.to_owned(), p.to_owned(), s.to_owned()];
                let seg = &mut segs[usize::from(*segment)];
                if let Some(last) = seg.pop() {
                    seg.push(change_unused_bits(last, seg.len() + 1, *delta));
                }
                bytes = segs.join(".").into_bytes();
            }
            Mutation::AttackerSignature => {
                let input = format!("{h}.{p}");
                let sig = keys
                    .attacker(case.alg)
                    .sign(case.alg, input.as_bytes())
                    .expect("attacker key signs");
                bytes = format!("{input}.{}", base64url::encode(sig)).into_bytes();
            }
            Mutation::AlgSwap { to } => {
                let to = Algorithm::ALL[*to];
                let mut header = case.header.clone();
                header.retain(|(name, _)| name != "alg");
                header.insert(0, ("alg".into(), json_string(to.name())));
                let h = base64url::encode(case.object(&header, case.rotate_header));
                bytes = format!("{h}.{p}.{s}").into_bytes();
            }
            Mutation::AlgNone { name } => {
                let name = ["none", "None", "NONE", "nOnE"][usize::from(*name % 4)];
                let mut header = case.header.clone();
                header.retain(|(n, _)| n != "alg");
                header.insert(0, ("alg".into(), json_string(name)));
                let h = base64url::encode(case.object(&header, case.rotate_header));
                bytes = format!("{h}.{p}.").into_bytes();
            }
            Mutation::HmacWithPublicKey { hash, key_form } => {
                let hs = [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512][usize::from(*hash)];
                let mut header = case.header.clone();
                header.retain(|(n, _)| n != "alg");
                header.insert(0, ("alg".into(), json_string(hs.name())));
                let h = base64url::encode(case.object(&header, case.rotate_header));
                let jwk = keys.public_jwk_text(case.alg);
                let secret = match key_form {
                    0 => jwk.into_bytes(),
                    1 => kid_of(case.alg.key_family()).as_bytes().to_vec(),
                    _ => {
                        let parsed: Value = serde_json::from_str(&jwk).unwrap();
                        // The public part only: for an HMAC case there is none, and the
                        // secret itself would make a genuinely valid token.
                        let field = ["x", "n"]
                            .iter()
                            .find_map(|f| parsed.get(*f).and_then(Value::as_str))
                            .unwrap_or("");
                        base64url::decode(field.as_bytes()).unwrap_or_default()
                    }
                };
                let input = format!("{h}.{p}");
                let sig = SigningKey::hmac(&secret)
                    .sign(hs, input.as_bytes())
                    .expect("HMAC signs");
                bytes = format!("{input}.{}", base64url::encode(sig)).into_bytes();
            }
            Mutation::EcdsaMalleate => {
                if let (KeyFamily::Ec(curve), Ok(mut sig)) =
                    (case.alg.key_family(), base64url::decode(s.as_bytes()))
                {
                    let n = curve_order(curve);
                    if sig.len() == 2 * n.len() {
                        let neg = sub_be(&n, &sig[n.len()..]);
                        sig[n.len()..].copy_from_slice(&neg);
                        bytes = format!("{h}.{p}.{}", base64url::encode(sig)).into_bytes();
                    }
                }
            }
            Mutation::Ed25519AddL => {
                if let Ok(mut sig) = base64url::decode(s.as_bytes()) {
                    if sig.len() == 64 {
                        add_le(&mut sig[32..], &ED25519_L);
                        bytes = format!("{h}.{p}.{}", base64url::encode(sig)).into_bytes();
                    }
                }
            }
            Mutation::DropSignature => bytes = format!("{h}.{p}.").into_bytes(),
            Mutation::ExtraSegment(extra) => {
                bytes.push(b'.');
                bytes.extend_from_slice(extra);
            }
            Mutation::SwapSegments => bytes = format!("{p}.{h}.{s}").into_bytes(),
        }
        bytes
    }
}

/// The base64url character with the same value bits in the positions a segment of `len`
/// characters uses, changed in the unused low bits by `delta`.
fn change_unused_bits(last: char, len: usize, delta: u8) -> char {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let Some(value) = ALPHABET.iter().position(|c| char::from(*c) == last) else {
        return last;
    };
    let unused_bits = match len % 4 {
        2 => 4,
        3 => 2,
        _ => return last,
    };
    let mask = (1u8 << unused_bits) - 1;
    let value = value as u8;
    let changed = (value & !mask) | ((value + delta) & mask);
    char::from(ALPHABET[usize::from(changed)])
}

/// The orders of the NIST curves, big-endian, as long as a signature's `r` or `s`.
fn curve_order(curve: Curve) -> Vec<u8> {
    let hex = match curve {
        Curve::P256 => "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551",
        Curve::P384 => concat!(
            "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf",
            "581a0db248b0a77aecec196accc52973"
        ),
        Curve::P521 => concat!(
            "01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
            "fffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409"
        ),
    };
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

/// a − b for big-endian numbers of equal length (a ≥ b).
fn sub_be(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; a.len()];
    let mut borrow = 0i16;
    for i in (0..a.len()).rev() {
        let mut d = i16::from(a[i]) - i16::from(b[i]) - borrow;
        borrow = 0;
        if d < 0 {
            d += 256;
            borrow = 1;
        }
        out[i] = d as u8;
    }
    out
}

/// The Ed25519 group order L, little-endian.
const ED25519_L: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// a += b for little-endian numbers (S < L, so S + L < 2^254 never overflows 32 bytes).
fn add_le(a: &mut [u8], b: &[u8]) {
    let mut carry = 0u16;
    for (x, y) in a.iter_mut().zip(b) {
        let sum = u16::from(*x) + u16::from(*y) + carry;
        *x = sum as u8;
        carry = sum >> 8;
    }
}

fn verdict_summary(verdict: &Verdict) -> Result<String, (RejectionKind, String)> {
    verdict
        .as_ref()
        .map(|v| format!("{} {:?} {:?} {:?}", v.alg, v.kid, v.header(), v.claims()))
        .map_err(|r| (r.kind, r.detail.clone()))
}

// ---------------------------------------------------------------------------------------------
// validate

/// `validate`: a generated token signed by the issuer, then mutated. The reference validator
/// gives the same verdict twice, accepts the unmutated token whenever every choice was the
/// well-formed one, and never accepts a token whose bytes the mutation changed, except an
/// ECDSA signature with `s` replaced by `n − s` (ECDSA's inherent malleability: the catalogue
/// reports it as informational, RFC 7518 does not forbid it).
pub fn validate(data: &[u8]) {
    validate_case(&Case::decode(&mut Reader::new(data), &Algorithm::ALL));
}

/// [`validate`] on a decoded case.
pub fn validate_case(case: &Case) {
    let keys = Keys::get();
    let validator = Validator::new(case.policy(&Algorithm::ALL));
    let clock = FixedClock(NOW);
    let token = case.signed(keys, NOW);
    let first = verdict_summary(&validator.validate(token.as_bytes(), &keys.all, &clock));
    let second = verdict_summary(&validator.validate(token.as_bytes(), &keys.all, &clock));
    assert_eq!(first, second, "two verdicts on the same token differ");
    if case.canonical {
        assert!(
            first.is_ok(),
            "a well-formed token was rejected: {first:?}\ntoken: {token}"
        );
    }
    let mutated = case.mutation.apply(&token, case, keys);
    if mutated == token.as_bytes() {
        return;
    }
    let verdict = verdict_summary(&validator.validate(&mutated, &keys.all, &clock));
    let again = verdict_summary(&validator.validate(&mutated, &keys.all, &clock));
    assert_eq!(
        verdict, again,
        "two verdicts on the same mutated token differ"
    );
    if case.mutation == Mutation::EcdsaMalleate {
        return;
    }
    assert!(
        verdict.is_err(),
        "a mutated token was accepted\nmutation: {:?}\noriginal: {token}\nmutated: {}",
        case.mutation,
        String::from_utf8_lossy(&mutated)
    );
}

// ---------------------------------------------------------------------------------------------
// differential

/// The algorithms both authprobe and jsonwebtoken implement (jsonwebtoken has no ES512).
pub const DIFFERENTIAL_ALGS: [Algorithm; 12] = [
    Algorithm::EdDSA,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::HS256,
    Algorithm::HS384,
    Algorithm::HS512,
];

/// The documented differences between authprobe and jsonwebtoken (fuzz/README.md, "The
/// differential allowlist"). Each entry is recognised from the token itself, never from either
/// verdict's wording, so an unexpected reason for the same code is still a crash.
///
/// | id | direction | difference | why authprobe is right (or why it does not matter) |
/// |---|---|---|---|
/// | `size-cap` | jwt accepts | token over 16 KiB | DoS bound, spec §4 step 1; jsonwebtoken has none |
/// | `duplicate-member` | jwt accepts | duplicate JSON member names (unknown header members, any claim it does not read) | RFC 7515 §4 / RFC 8725 §3.2: parsers must not disagree; jsonwebtoken keeps the last |
/// | `json-depth` | jwt accepts | JSON nesting deeper than 16 | spec §4 step 3; serde_json's own limit is 128 |
/// | `forbidden-header` | jwt accepts | `crit`, `jku`, `jwk`, `x5u`, `x5c`, `x5t`, `x5t#S256`, `b64`, `zip`, `enc` present | RFC 8725 §3.10, RFC 7515 §4.1.11 (an unknown `crit` MUST reject), RFC 7797; jsonwebtoken ignores them |
/// | `typ` | jwt accepts | `typ` present and not `JWT` (incl. `null`) | spec §4 step 8 (RFC 8725 §3.11 explicit typing); jsonwebtoken never checks `typ` |
/// | `kid` | jwt accepts | `kid` absent, `null`, or not the key's | the caller picks jsonwebtoken's key; authprobe requires and matches `kid` (spec §4 step 10) |
/// | `iat` | jwt accepts | `iat` missing, ill-typed, out of range, or in the future beyond the leeway | jsonwebtoken does not read `iat` at all (required_spec_claims ignores it) |
/// | `numeric-date-range` | jwt accepts | a NumericDate above 2^53 − 1 | spec §4 step 13; jsonwebtoken reads any u64 |
/// | `empty-sub` | jwt accepts | `sub` is `""` | spec §4 step 13; jsonwebtoken only needs a string |
/// | `iss-array` | jwt accepts | `iss` is an array containing the issuer | RFC 7519 §4.1.1: `iss` is a StringOrURI, never an array |
/// | `fraction-rounding` | jwt accepts | fractional `exp`/`nbf` within 1 s of a boundary | jsonwebtoken rounds to the nearest second; authprobe compares exactly (RFC 7519 §2) |
/// | `exp-boundary` | jwt accepts | `exp` + leeway == now | RFC 7519 §4.1.4: now MUST be before exp; jsonwebtoken accepts equality |
/// | `lifetime-cap` | jwt accepts | `exp − iat` above the policy's cap | a policy jsonwebtoken cannot express |
/// | `typed-header` | authprobe accepts | `cty`, `url` or `nonce` present, not a string and not null | spec §3: `cty` is ignored; jsonwebtoken's `Header` types them as strings |
/// | `alg-object` | jwt accepts | `alg` is a one-member object `{"EdDSA":null}` | RFC 7515 §4.1.1: `alg` is a string; jsonwebtoken's derived `Algorithm` enum also reads serde's externally-tagged form (found by this target) |
pub const ALLOWLIST: [&str; 15] = [
    "size-cap",
    "duplicate-member",
    "json-depth",
    "forbidden-header",
    "typ",
    "kid",
    "iat",
    "numeric-date-range",
    "empty-sub",
    "iss-array",
    "fraction-rounding",
    "exp-boundary",
    "lifetime-cap",
    "typed-header",
    "alg-object",
];

/// How a `differential` run ended (for tests and statistics).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiffOutcome {
    Agree {
        accepted: bool,
    },
    Allowed(&'static str),
    /// The system clock ticked during the comparison: nothing was compared.
    ClockTicked,
}

/// `differential`: the same token through the reference validator and jsonwebtoken, configured
/// as strictly as it allows; a disagreement outside [`ALLOWLIST`] panics.
pub fn differential(data: &[u8]) -> DiffOutcome {
    differential_case(&Case::decode(&mut Reader::new(data), &DIFFERENTIAL_ALGS))
}

/// [`differential`] on a decoded case.
pub fn differential_case(case: &Case) -> DiffOutcome {
    let keys = Keys::get();
    let now = jsonwebtoken::get_current_timestamp();
    let token = case.signed(keys, now as i64);
    let token = case.mutation.apply(&token, case, keys);

    let validator = Validator::new(case.policy(&[case.alg]));
    let ours = validator.validate(&token, &keys.single(case.alg), &FixedClock(now as i64));
    let theirs = jsonwebtoken::decode::<Map<String, Value>>(
        &token,
        &keys.jsonwebtoken_key(case.alg),
        &jsonwebtoken_validation(case.alg, case.leeway),
    );
    if jsonwebtoken::get_current_timestamp() != now {
        return DiffOutcome::ClockTicked;
    }
    match (&ours, &theirs) {
        (Ok(_), Ok(_)) => DiffOutcome::Agree { accepted: true },
        (Err(_), Err(_)) => DiffOutcome::Agree { accepted: false },
        (Err(rejection), Ok(_)) => match explain_jwt_only(&token, rejection, case, now as i64) {
            Some(id) => DiffOutcome::Allowed(id),
            None => panic!(
                "jsonwebtoken accepts, authprobe rejects with {:?} ({}), not allowlisted\ncase: {case:?}\ntoken: {}",
                rejection.kind,
                rejection.detail,
                String::from_utf8_lossy(&token)
            ),
        },
        (Ok(_), Err(error)) => match explain_authprobe_only(&token) {
            Some(id) => DiffOutcome::Allowed(id),
            None => panic!(
                "authprobe accepts, jsonwebtoken rejects with {error:?}, not allowlisted\ncase: {case:?}\ntoken: {}",
                String::from_utf8_lossy(&token)
            ),
        },
    }
}

/// jsonwebtoken as strict as it goes: one algorithm, every spec claim it knows required, `nbf`
/// checked, exact issuer and audience, the same leeway.
pub fn jsonwebtoken_validation(alg: Algorithm, leeway: u64) -> jsonwebtoken::Validation {
    let alg = match alg {
        Algorithm::EdDSA => jsonwebtoken::Algorithm::EdDSA,
        Algorithm::ES256 => jsonwebtoken::Algorithm::ES256,
        Algorithm::ES384 => jsonwebtoken::Algorithm::ES384,
        Algorithm::RS256 => jsonwebtoken::Algorithm::RS256,
        Algorithm::RS384 => jsonwebtoken::Algorithm::RS384,
        Algorithm::RS512 => jsonwebtoken::Algorithm::RS512,
        Algorithm::PS256 => jsonwebtoken::Algorithm::PS256,
        Algorithm::PS384 => jsonwebtoken::Algorithm::PS384,
        Algorithm::PS512 => jsonwebtoken::Algorithm::PS512,
        Algorithm::HS256 => jsonwebtoken::Algorithm::HS256,
        Algorithm::HS384 => jsonwebtoken::Algorithm::HS384,
        Algorithm::HS512 => jsonwebtoken::Algorithm::HS512,
        Algorithm::ES512 => unreachable!("jsonwebtoken has no ES512"),
    };
    let mut validation = jsonwebtoken::Validation::new(alg);
    validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
    validation.leeway = leeway;
    validation.validate_exp = true;
    validation.validate_nbf = true;
    validation.validate_aud = true;
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[AUDIENCE]);
    validation
}

/// The token's header and claims read leniently (serde_json: last duplicate wins, depth 128).
fn lenient_parts(token: &[u8]) -> (Map<String, Value>, Map<String, Value>) {
    let text = String::from_utf8_lossy(token);
    let mut segments = text.split('.');
    let mut part = || -> Map<String, Value> {
        segments
            .next()
            .and_then(|s| base64url::decode(s.as_bytes()).ok())
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    };
    let header = part();
    let claims = part();
    (header, claims)
}

fn json_error_is(token: &[u8], matches: fn(&JsonError) -> bool) -> bool {
    let parsed = Token::parse_with(
        token,
        ParseLimits {
            max_token_bytes: usize::MAX,
            ..ParseLimits::default()
        },
    );
    match parsed {
        Err(ParseError::Json { source, .. }) => matches(&source),
        Err(_) => false,
        Ok(t) => match t.unverified_claims(ParseLimits::default().max_json_depth) {
            Err(ParseError::Json { source, .. }) => matches(&source),
            _ => false,
        },
    }
}

const MAX_NUMERIC_DATE: f64 = 9_007_199_254_740_991.0;

/// Why jsonwebtoken may accept a token authprobe rejects, if the token shows an allowlisted
/// reason for the rejection's kind.
fn explain_jwt_only(
    token: &[u8],
    rejection: &authprobe::Rejection,
    case: &Case,
    now: i64,
) -> Option<&'static str> {
    let (header, claims) = lenient_parts(token);
    let date = |name: &str| claims.get(name).and_then(Value::as_f64);
    let leeway = case.leeway as f64;
    let now = now as f64;
    match rejection.kind {
        RejectionKind::MalformedToken => {
            if token.len() > ParseLimits::default().max_token_bytes {
                Some("size-cap")
            } else if json_error_is(token, |e| matches!(e, JsonError::DuplicateMember { .. })) {
                Some("duplicate-member")
            } else if json_error_is(token, |e| matches!(e, JsonError::TooDeep { .. })) {
                Some("json-depth")
            } else if header.get("kid").is_some_and(|k| !k.is_string()) {
                Some("kid")
            } else if header
                .get("alg")
                .and_then(Value::as_object)
                .is_some_and(|alg| alg.len() == 1 && alg.values().all(Value::is_null))
            {
                Some("alg-object")
            } else {
                None
            }
        }
        RejectionKind::ForbiddenHeaderParameter => authprobe::validate::FORBIDDEN_HEADER_PARAMETERS
            .iter()
            .chain(&["crit"])
            .any(|name| header.contains_key(*name))
            .then_some("forbidden-header"),
        RejectionKind::InvalidTokenType => header.contains_key("typ").then_some("typ"),
        RejectionKind::UnknownKeyId => (header.get("kid").and_then(Value::as_str)
            != Some(kid_of(case.alg.key_family())))
        .then_some("kid"),
        RejectionKind::InvalidClaim => {
            let in_range = |v: &Value| {
                v.as_f64()
                    .is_some_and(|d| (0.0..=MAX_NUMERIC_DATE).contains(&d))
            };
            if !claims.get("iat").is_some_and(in_range) {
                Some("iat")
            } else if ["exp", "nbf"].iter().any(|n| {
                claims
                    .get(*n)
                    .and_then(Value::as_f64)
                    .is_some_and(|d| d > MAX_NUMERIC_DATE)
            }) {
                Some("numeric-date-range")
            } else if claims.get("sub") == Some(&Value::from("")) {
                Some("empty-sub")
            } else if claims.get("iss").is_some_and(Value::is_array) {
                Some("iss-array")
            } else {
                None
            }
        }
        RejectionKind::TokenIssuedInFuture => Some("iat"),
        RejectionKind::TokenNotYetValid => date("nbf")
            .is_some_and(|nbf| nbf.fract() != 0.0 && (nbf - (now + leeway)).abs() < 1.0)
            .then_some("fraction-rounding"),
        RejectionKind::TokenExpired => match date("exp") {
            Some(exp) if exp.fract() != 0.0 && (exp + leeway - now).abs() < 1.0 => {
                Some("fraction-rounding")
            }
            Some(exp) if exp + leeway == now => Some("exp-boundary"),
            _ => None,
        },
        RejectionKind::TokenLifetimeExceeded => case.max_lifetime.map(|_| "lifetime-cap"),
        _ => None,
    }
}

/// Why authprobe may accept a token jsonwebtoken rejects.
fn explain_authprobe_only(token: &[u8]) -> Option<&'static str> {
    let (header, _) = lenient_parts(token);
    ["cty", "url", "nonce"]
        .iter()
        .any(|name| {
            header
                .get(*name)
                .is_some_and(|v| !v.is_string() && !v.is_null())
        })
        .then_some("typed-header")
}
