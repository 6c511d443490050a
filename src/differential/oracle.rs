//! The backend's verdict read from its answer and how it compares with the reference verdict
//! ([`crate::judge::reference`]) of the exact bytes it received; then the rest of the answer's envelope: the
//! `WWW-Authenticate` challenge of a refusal against the contract's row ([`challenge`]) and the
//! CORS headers against the contract's CORS rules ([`cors`]).

use super::mutate::Rendered;
use crate::contract::challenge::{self as challenges, Strictness};
use crate::contract::cors::{self as cors_rules, CorsRequest};
use crate::contract::ErrorCode;
use crate::deployment::http::Incoming;
use crate::deployment::profile::ContractSection;
pub use crate::judge::reference::{Oracle, Prepared, Reference};
use crate::judge::Cause;
use serde_json::Value;
use std::collections::BTreeSet;

/// What the backend said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Accepted(u16),
    /// Refused, with the body's `code` translated into ours through the profile's code table.
    Refused {
        status: u16,
        code: Option<String>,
    },
}

/// Reads the backend's verdict from its answer.
pub fn classify(response: &Incoming, contract: &ContractSection) -> Answer {
    if (200..300).contains(&response.status) {
        return Answer::Accepted(response.status);
    }
    let code = serde_json::from_slice::<Value>(&response.body)
        .ok()
        .and_then(|v| v.get("code").and_then(Value::as_str).map(str::to_owned))
        .map(|theirs| {
            contract
                .codes
                .iter()
                .find(|(_, t)| **t == theirs)
                .map(|(ours, _)| ours.clone())
                .unwrap_or(theirs)
        });
    Answer::Refused {
        status: response.status,
        code,
    }
}

/// The kind of a disagreement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Class {
    /// The backend accepted what the reference rejects.
    Accepts,
    /// The backend refused what the reference accepts.
    RefusesValid,
    /// A 5xx for a token.
    ServerError,
    /// Both refuse, with different codes (or statuses, in status-only mode).
    Contract,
    /// The error body echoes the token, a secret or internals.
    Leak,
    /// The backend fetched a harness URL named in the token.
    OobFetch,
    /// A refusal whose `WWW-Authenticate` challenge is missing or not the contract's.
    Challenge,
    /// A foreign origin (or `null`) may read the backend's answers.
    CorsGrant,
    /// Other CORS deviations: the front-end origin not granted, `*`, credentials, headers for
    /// foreign origins, refused preflights.
    Cors,
}

impl Class {
    /// The grading cause of a disagreement of this class before the grader looks at the token
    /// (acceptances and server errors are refined by who could have made the request).
    pub fn cause(self) -> Cause {
        match self {
            Class::Accepts => Cause::ForgedSignatureAccepted,
            Class::RefusesValid => Cause::ValidTokenRefused,
            Class::ServerError => Cause::ServerError,
            Class::Contract => Cause::ContractDeviation,
            Class::Leak => Cause::SecretInErrorBody,
            Class::OobFetch => Cause::AttackerUrlFetched,
            Class::Challenge => Cause::ChallengeDeviation,
            Class::CorsGrant => Cause::CorsGrant,
            Class::Cors => Cause::CorsDeviation,
        }
    }

    pub fn slug(self) -> &'static str {
        match self {
            Class::Accepts => "ACCEPTS",
            Class::RefusesValid => "REFUSES-VALID",
            Class::ServerError => "SERVER-ERROR",
            Class::Contract => "CODE",
            Class::Leak => "LEAK",
            Class::OobFetch => "OOB-FETCH",
            Class::Challenge => "CHALLENGE",
            Class::CorsGrant | Class::Cors => "CORS",
        }
    }

    /// The finding's rule id for a disagreement of this class.
    pub fn rule_id(self, head: &Head) -> String {
        match self {
            Class::Accepts
            | Class::Contract
            | Class::ServerError
            | Class::CorsGrant
            | Class::Cors => {
                format!("AP-DIFF-{}-{}", self.slug(), head.reference)
            }
            other => format!("AP-DIFF-{}", other.slug()),
        }
    }
}

/// The class of a disagreement and what each side said: equal heads are the same disagreement.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Head {
    pub class: Class,
    /// Why it matters (findings.md §3): its grade. Part of the identity, so an acceptance
    /// anyone can produce is never merged with one only the issuer can.
    pub cause: Cause,
    /// The reference verdict ("accepted" or the code), empty where it does not matter.
    pub reference: String,
    /// The backend verdict ("accepted", the code, "HTTP 500", what leaked).
    pub backend: String,
}

/// The result of comparing one answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Comparison {
    Agree,
    /// Not a verdict about the token (rate limit, key set trouble on the target's side).
    Inconclusive(&'static str),
    Disagree(Head),
}

fn reference_label(r: Reference) -> String {
    match r {
        Reference::Accepted => "accepted".into(),
        Reference::Rejected(c) => c.as_str().into(),
        Reference::Preflight => "preflight".into(),
    }
}

/// A refusal the HTTP layer may have made before the application saw the request (a token this
/// large, no code): neither a verdict nor an envelope of the application's.
fn http_layer_refusal(token_len: usize, status: u16, code: Option<&str>) -> bool {
    token_len > 8 * 1024 && code.is_none() && matches!(status, 400 | 413 | 431)
}

fn answer_label(status: u16, code: Option<&str>) -> String {
    match code {
        Some(c) => format!("{c} (HTTP {status})"),
        None => format!("HTTP {status} without a code"),
    }
}

/// Compares the reference verdict with the backend's answer.
pub fn compare(
    reference: Reference,
    answer: &Answer,
    token_len: usize,
    contract: &ContractSection,
) -> Comparison {
    let head = |class, backend: String| {
        Comparison::Disagree(Head {
            class,
            cause: class.cause(),
            reference: reference_label(reference),
            backend,
        })
    };
    let (status, code) = match (reference, answer) {
        (Reference::Preflight, _) => return Comparison::Agree,
        (Reference::Accepted, Answer::Accepted(_)) => return Comparison::Agree,
        (Reference::Rejected(_), Answer::Accepted(_)) => {
            return head(Class::Accepts, "accepted".into())
        }
        (_, Answer::Refused { status, code }) => (*status, code.as_deref()),
    };
    let ours = |c: ErrorCode| code == Some(c.as_str());
    if status == 429 || ours(ErrorCode::RateLimited) {
        return Comparison::Inconclusive("the backend rate-limited the request");
    }
    if reference != Reference::Rejected(ErrorCode::KeySetUnavailable)
        && (ours(ErrorCode::KeySetUnavailable) || (status == 503 && code.is_none()))
    {
        return Comparison::Inconclusive("the backend's key set was unavailable");
    }
    if status >= 500 && reference != Reference::Rejected(ErrorCode::KeySetUnavailable) {
        return head(Class::ServerError, format!("HTTP {status}"));
    }
    let Reference::Rejected(expected) = reference else {
        return head(Class::RefusesValid, answer_label(status, code));
    };
    // A token this large may be refused by the HTTP layer before the application sees it.
    if http_layer_refusal(token_len, status, code) {
        return Comparison::Agree;
    }
    if contract.status_only() {
        if status == expected.status() {
            return Comparison::Agree;
        }
        // A target with its own error vocabulary refusing with another 4xx: its style.
        let own_style = (400..500).contains(&status) && (400..500).contains(&expected.status());
        return Comparison::Disagree(Head {
            class: Class::Contract,
            cause: if own_style {
                Cause::RefusalStatusDiffers
            } else {
                Cause::ContractDeviation
            },
            reference: reference_label(reference),
            backend: format!("HTTP {status}"),
        });
    }
    if ours(expected) && status == expected.status() {
        Comparison::Agree
    } else {
        head(Class::Contract, answer_label(status, code))
    }
}

/// The `WWW-Authenticate` challenge of a refusal the comparison agreed with, judged against the
/// contract's row for the reference's code (realm: the profile's, if it names one). In
/// status-only mode only RFC 6750's parts are compared (scheme, realm, `error`), not the
/// contract's own descriptions. A missing challenge, another scheme or a missing realm is one
/// disagreement whatever the code; a wrong value of the row's `error` or `error_description`
/// is one per code.
pub fn challenge(
    reference: Reference,
    response: &Incoming,
    answer: &Answer,
    token_len: usize,
    contract: &ContractSection,
) -> Option<Head> {
    let (Reference::Rejected(expected), Answer::Refused { status, code }) = (reference, answer)
    else {
        return None;
    };
    if http_layer_refusal(token_len, *status, code.as_deref()) {
        return None;
    }
    let values: Vec<&str> = response.header_all("www-authenticate").collect();
    let strictness = Strictness {
        contract_texts: !contract.status_only(),
    };
    let problem =
        challenges::check(expected, &values, contract.realm.as_deref(), strictness).err()?;
    let backend = match &problem {
        // The details (a byte offset) differ with the value; the report shows the header.
        challenges::Problem::Syntax(_) => {
            "WWW-Authenticate is not an RFC 7235 challenge list".to_owned()
        }
        p => p.to_string(),
    };
    Some(Head {
        class: Class::Challenge,
        cause: Cause::ChallengeDeviation,
        reference: if problem.code_specific() {
            expected.as_str().to_owned()
        } else {
            String::new()
        },
        backend,
    })
}

/// The CORS headers of an answer against the contract's CORS rules, for the `Origin` the
/// request carried (none, the front end's, a look-alike, a foreign one, `null`) and whether it
/// was a preflight. `frontend` is the origin the target's CORS allows, if the profile names it.
pub fn cors(
    rendered: &Rendered,
    response: &Incoming,
    answer: &Answer,
    frontend: Option<&str>,
    credentials_in_cookie: bool,
) -> Vec<Head> {
    let request = CorsRequest {
        origin: rendered.origin.as_deref(),
        preflight: rendered.preflight,
    };
    let from_application = match answer {
        Answer::Refused { status, code } => {
            !http_layer_refusal(rendered.token.len(), *status, code.as_deref())
        }
        Answer::Accepted(_) => true,
    };
    cors_rules::check(
        request,
        frontend,
        response.status,
        &response.headers,
        from_application,
    )
    .into_iter()
    .map(|p| {
        let class = if p.security() {
            Class::CorsGrant
        } else {
            Class::Cors
        };
        Head {
            class,
            // A foreign origin that may read answers gets the user's data only when the browser
            // sends the credential by itself: a cookie.
            cause: match class {
                Class::CorsGrant if credentials_in_cookie => Cause::CorsGrantWithCookie,
                _ => class.cause(),
            },
            reference: p.rule().to_owned(),
            backend: p.to_string(),
        }
    })
    .collect()
}

/// What a refusal's body leaks: "the token or a secret" (the token sent, the session's token,
/// key material) and "internals" (exception names, stack traces).
pub fn leaks(body: &[u8], sent: &str, secrets: &[String]) -> Vec<&'static str> {
    let body = String::from_utf8_lossy(body);
    let mut found = Vec::new();
    let signature = sent.rsplit('.').next().filter(|s| s.len() >= 16);
    let token = (sent.len() >= 16 && body.contains(sent))
        || signature.is_some_and(|s| body.contains(s))
        || secrets
            .iter()
            .filter(|s| s.len() >= 16)
            .any(|s| body.contains(s.as_str()));
    if token {
        found.push("the token or a secret");
    }
    if crate::run::judge::INTERNALS
        .iter()
        .any(|m| body.contains(m))
    {
        found.push("internals");
    }
    found
}

/// Whether a new answer shows the disagreement being shrunk: an acceptance of a rejected token
/// stays one whatever check the reference now fails first (so incidental edits that only move
/// the reference's first failing check are dropped too); the others must stay exactly the same.
pub fn reproduces(target: &Head, heads: &[Head]) -> Option<Head> {
    heads
        .iter()
        .find(|h| match target.class {
            Class::Accepts | Class::RefusesValid => {
                h.class == target.class && h.cause == target.cause
            }
            _ => *h == target,
        })
        .cloned()
}

/// The operator kinds that belong to a disagreement's cause. The reference code already names
/// the check for most codes (an expired token is expired however it was built); where one code
/// covers several checks, the kinds that tell them apart are kept: which claim for
/// INVALID_CLAIM, which header parameter for FORBIDDEN_HEADER_PARAMETER, which signer
/// for ALGORITHM_NOT_ALLOWED (none vs key confusion), which malformation for MALFORMED_*.
pub fn cause_kinds(head: &Head, kinds: &BTreeSet<String>) -> BTreeSet<String> {
    let member = |k: &str| -> Option<(String, String)> {
        let (verb, name) = k.split_once(':')?;
        let part = verb.split('-').next()?;
        matches!(part, "header" | "claim").then(|| (part.to_owned(), name.to_owned()))
    };
    let signer = |k: &&String| k.starts_with("sign:");
    match head.class {
        // Properties of the answer's envelope: the head names the whole cause.
        Class::ServerError | Class::Leak | Class::Challenge | Class::CorsGrant | Class::Cors => {
            return BTreeSet::new()
        }
        Class::OobFetch => {
            return kinds
                .iter()
                .filter_map(|k| member(k))
                .filter(|(part, name)| {
                    part == "header" && ["jku", "x5u", "other"].contains(&name.as_str())
                })
                .map(|(part, name)| format!("{part}:{name}"))
                .collect()
        }
        Class::RefusesValid => return kinds.clone(),
        Class::Accepts | Class::Contract => {}
    }
    match head.reference.as_str() {
        "INVALID_SIGNATURE"
        | "UNKNOWN_KEY_ID"
        | "INVALID_TOKEN_TYPE"
        | "TOKEN_EXPIRED"
        | "TOKEN_NOT_YET_VALID"
        | "TOKEN_ISSUED_IN_FUTURE"
        | "TOKEN_LIFETIME_EXCEEDED"
        | "INVALID_ISSUER"
        | "INVALID_AUDIENCE"
        | "MISSING_TOKEN" => BTreeSet::new(),
        "INVALID_CLAIM" => kinds
            .iter()
            .filter_map(|k| member(k))
            .filter(|(part, _)| part == "claim")
            .map(|(part, name)| format!("{part}:{name}"))
            .collect(),
        "ALGORITHM_NOT_ALLOWED" => kinds.iter().filter(signer).cloned().collect(),
        "FORBIDDEN_HEADER_PARAMETER" => kinds
            .iter()
            .filter_map(|k| {
                let (part, name) = member(k)?;
                let forbidden = crate::validate::FORBIDDEN_HEADER_PARAMETERS
                    .contains(&name.as_str())
                    || name == "crit";
                (part == "header" && forbidden).then(|| format!("header:{name}"))
            })
            .collect(),
        "MALFORMED_TOKEN" | "MALFORMED_AUTHORIZATION" => kinds
            .iter()
            .filter(|k| !k.starts_with("sign:") && !k.starts_with("sig:"))
            .map(|k| {
                let verb = k.split(':').next().unwrap_or_default();
                if verb.ends_with("-dup") || verb.ends_with("-first") {
                    "duplicate-member".to_owned()
                } else if verb == "header" || verb == "claim" || verb.ends_with("-remove") {
                    format!("{}-member", verb.split('-').next().unwrap_or_default())
                } else {
                    k.clone()
                }
            })
            .collect(),
        _ => kinds.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(status: u16, code: &str) -> Answer {
        Answer::Refused {
            status,
            code: Some(code.into()),
        }
    }

    #[test]
    fn comparisons() {
        let c = ContractSection::default();
        let expired = Reference::Rejected(ErrorCode::TokenExpired);
        assert_eq!(
            compare(expired, &refused(401, "TOKEN_EXPIRED"), 100, &c),
            Comparison::Agree
        );
        let Comparison::Disagree(h) = compare(expired, &Answer::Accepted(200), 100, &c) else {
            panic!()
        };
        assert_eq!(
            (h.class, h.reference.as_str()),
            (Class::Accepts, "TOKEN_EXPIRED")
        );
        let Comparison::Disagree(h) = compare(expired, &refused(401, "INVALID_CLAIM"), 100, &c)
        else {
            panic!()
        };
        assert_eq!(h.class, Class::Contract);
        assert!(matches!(
            compare(
                expired,
                &Answer::Refused {
                    status: 500,
                    code: None
                },
                100,
                &c
            ),
            Comparison::Disagree(Head {
                class: Class::ServerError,
                ..
            })
        ));
        assert!(matches!(
            compare(expired, &refused(429, "RATE_LIMITED"), 100, &c),
            Comparison::Inconclusive(_)
        ));
        assert_eq!(
            compare(
                expired,
                &Answer::Refused {
                    status: 431,
                    code: None
                },
                20_000,
                &c
            ),
            Comparison::Agree
        );
        let status_only = ContractSection {
            mode: "status-only".into(),
            ..ContractSection::default()
        };
        assert_eq!(
            compare(expired, &refused(401, "whatever"), 100, &status_only),
            Comparison::Agree
        );
        assert!(leaks(
            b"{\"token\":\"abcdefghijklmnopq.r.s\"}",
            "abcdefghijklmnopq.r.s",
            &[]
        )
        .contains(&"the token or a secret"));
    }
    fn incoming(status: u16, headers: &[(&str, &str)]) -> Incoming {
        Incoming {
            status,
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
            body: Vec::new(),
            elapsed: std::time::Duration::ZERO,
        }
    }

    fn rendered(token_len: usize, origin: Option<&str>, preflight: bool) -> Rendered {
        Rendered {
            token: "x".repeat(token_len),
            values: vec![],
            oob_paths: vec![],
            randomized: false,
            origin: origin.map(str::to_owned),
            preflight,
        }
    }

    #[test]
    fn challenges_are_judged_by_meaning_and_deduplicated_by_cause() {
        let c = ContractSection {
            realm: Some("api".into()),
            ..ContractSection::default()
        };
        let judge = |code: ErrorCode, headers: &[(&str, &str)]| {
            let r = incoming(code.status(), headers);
            let answer = refused(code.status(), code.as_str());
            challenge(Reference::Rejected(code), &r, &answer, 100, &c)
        };
        let expired = ErrorCode::TokenExpired;
        // The contract's own form and RFC 7235 variations of it: no disagreement.
        for v in [
            r#"Bearer realm="api", error="invalid_token", error_description="token expired""#,
            r#"bearer error_description="token expired",REALM=api , error=invalid_token"#,
            r#"Bearer realm="api",, error="invalid_\token", error_description = "token expired""#,
        ] {
            assert_eq!(judge(expired, &[("www-authenticate", v)]), None, "{v}");
        }
        assert_eq!(
            judge(
                expired,
                &[
                    ("www-authenticate", r#"Basic realm="api""#),
                    (
                        "WWW-Authenticate",
                        r#"Bearer realm="api", error="invalid_token", error_description="token expired""#
                    )
                ]
            ),
            None
        );
        // A missing challenge is one disagreement whatever the code.
        let missing = judge(expired, &[]).unwrap();
        assert_eq!(missing.class, Class::Challenge);
        assert_eq!(missing, judge(ErrorCode::MissingToken, &[]).unwrap());
        assert_eq!(
            missing,
            judge(ErrorCode::MalformedAuthorization, &[]).unwrap()
        );
        assert_eq!(Class::Challenge.rule_id(&missing), "AP-DIFF-CHALLENGE");
        assert_eq!(missing.cause, Cause::ChallengeDeviation);
        assert_eq!(missing.cause.severity(), crate::judge::Severity::Low);
        // A wrong realm too; a wrong description is the code's own.
        let realm = judge(
            expired,
            &[(
                "www-authenticate",
                r#"Bearer realm="other", error="invalid_token", error_description="token expired""#,
            )],
        )
        .unwrap();
        assert_eq!(realm.reference, "");
        let wrong = judge(
            expired,
            &[(
                "www-authenticate",
                r#"Bearer realm="api", error="invalid_token", error_description="expired""#,
            )],
        )
        .unwrap();
        assert_eq!(wrong.reference, "TOKEN_EXPIRED");
        // Status-only targets: RFC 6750's parts only.
        let status_only = ContractSection {
            mode: "status-only".into(),
            ..ContractSection::default()
        };
        let r = incoming(
            401,
            &[(
                "www-authenticate",
                r#"Bearer realm="x", error="invalid_token", error_description="jwt expired""#,
            )],
        );
        let answer = Answer::Refused {
            status: 401,
            code: None,
        };
        assert_eq!(
            challenge(Reference::Rejected(expired), &r, &answer, 100, &status_only),
            None
        );
        // Not judged: acceptances, and refusals by the HTTP layer of an oversized token.
        assert_eq!(
            challenge(
                Reference::Accepted,
                &incoming(200, &[]),
                &Answer::Accepted(200),
                100,
                &c
            ),
            None
        );
        let layer = Answer::Refused {
            status: 431,
            code: None,
        };
        assert_eq!(
            challenge(
                Reference::Rejected(ErrorCode::MalformedToken),
                &incoming(431, &[]),
                &layer,
                20_000,
                &c
            ),
            None
        );
    }

    #[test]
    fn cors_answers_are_judged_against_the_contract() {
        let front = Some("http://127.0.0.1:5173");
        let ok = incoming(
            401,
            &[
                ("vary", "Origin"),
                ("access-control-allow-origin", "http://127.0.0.1:5173"),
            ],
        );
        let refused401 = refused(401, "TOKEN_EXPIRED");
        assert!(cors(&rendered(100, front, false), &ok, &refused401, front, false).is_empty());
        let plain = incoming(401, &[("Vary", "origin")]);
        for origin in [
            None,
            Some("null"),
            Some("http://evil.example"),
            Some("https://127.0.0.1:5173"),
        ] {
            assert!(cors(
                &rendered(100, origin, false),
                &plain,
                &refused401,
                front,
                false
            )
            .is_empty());
        }
        let reflected = incoming(
            200,
            &[
                ("access-control-allow-origin", "http://evil.example"),
                ("access-control-allow-credentials", "true"),
            ],
        );
        let heads = cors(
            &rendered(100, Some("http://evil.example"), false),
            &reflected,
            &Answer::Accepted(200),
            front,
            false,
        );
        assert_eq!(heads.len(), 1);
        assert_eq!(heads[0].class, Class::CorsGrant);
        assert_eq!(
            Class::CorsGrant.rule_id(&heads[0]),
            "AP-DIFF-CORS-REFLECTED-ORIGIN"
        );
        // A bearer-header API: a foreign origin that may read answers still needs the token.
        assert_eq!(heads[0].cause, Cause::CorsGrant);
        assert_eq!(heads[0].cause.severity(), crate::judge::Severity::Medium);
        let cookie = cors(
            &rendered(100, Some("http://evil.example"), false),
            &reflected,
            &Answer::Accepted(200),
            front,
            true,
        );
        assert_eq!(cookie[0].cause, Cause::CorsGrantWithCookie);
        assert_eq!(cookie[0].cause.severity(), crate::judge::Severity::High);
        // The front end is not granted: only where the application answered.
        let missing = cors(
            &rendered(100, front, false),
            &plain,
            &refused401,
            front,
            false,
        );
        assert_eq!(missing[0].class, Class::Cors);
        assert_eq!(missing[0].reference, "ALLOWED-ORIGIN");
        let layer = Answer::Refused {
            status: 431,
            code: None,
        };
        assert!(cors(
            &rendered(20_000, front, false),
            &incoming(431, &[]),
            &layer,
            front,
            false
        )
        .is_empty());
    }
}
