//! The `differential` target: the same token through the reference validator and jsonwebtoken,
//! and the allowlist of documented differences between them, each recognised from the token.

use super::case::Case;
use super::keys::{kid_of, Keys};
use super::reader::Reader;
use super::{AUDIENCE, ISSUER};
use authprobe::algorithm::Algorithm;
use authprobe::base64url;
use authprobe::strict_json::JsonError;
use authprobe::token::{ParseError, ParseLimits, Token};
use authprobe::validate::{FixedClock, RejectionKind, Validator};
use serde_json::{Map, Value};

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
