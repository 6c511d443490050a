//! What a finding looks like: shrunk (to the edits, or the envelope, that trigger it),
//! de-duplicated, reported redacted and reproducible.

use crate::common;
use crate::{finding_case, fuzz_mock, SEED};
use authprobe::deployment::mock::Flaw;
use authprobe::differential::{Budget, Class, Edit, FuzzConfig, Reference};
use authprobe::judge::Cause;
use authprobe::report::{self, Outcome};
use authprobe::token::Token;
use authprobe::ErrorCode;
use std::collections::BTreeSet;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn findings_are_shrunk_deduplicated_and_reported_redacted() {
    let config = FuzzConfig {
        budget: Budget::Requests(4_000),
        seed: SEED,
        ..FuzzConfig::default()
    };
    let outcome = fuzz_mock(Some(Flaw::IgnoresExp), config).await;
    // One disagreement: the backend skips the exp check (and, the mock's gate returning early,
    // the checks after it). Graded by what the accepted token shows: well past exp (high),
    // within skew or an exp no real token has (info), another audience or issuer (high); each
    // cause once.
    let rules: BTreeSet<&str> = outcome
        .findings
        .iter()
        .map(|f| f.rule_id.as_str())
        .collect();
    assert_eq!(
        rules,
        BTreeSet::from(["AP-DIFF-ACCEPTS-TOKEN_EXPIRED"]),
        "{rules:?}"
    );
    let causes: Vec<Cause> = outcome
        .findings
        .iter()
        .map(|f| f.cause.head.cause)
        .collect();

    let unique: BTreeSet<&Cause> = causes.iter().collect();
    assert_eq!(
        unique.len(),
        causes.len(),
        "one finding per cause: {causes:?}"
    );
    assert!(
        causes
            .iter()
            .all(|c| c.class() != authprobe::judge::FlawClass::SignatureNotVerified),
        "{causes:?}"
    );
    let f = outcome
        .findings
        .iter()
        .find(|f| f.cause.head.cause == Cause::ExpiredTokenAccepted)
        .expect("the expired token accepted, graded high");
    assert_eq!(f.severity, authprobe::judge::Severity::High);
    assert_eq!(f.cause.head.class, Class::Accepts);
    assert_eq!(f.reference, Reference::Rejected(ErrorCode::TokenExpired));
    assert!(f.occurrences >= 2, "{}", f.occurrences);
    // Minimal: an exp in the past, and the issuer's signature over it (which disagreeing token
    // is shrunk first depends on timing, so the exact edits may vary a little).
    let kinds = f.draft.kinds();
    assert!(
        kinds.contains("sign:issuer") && f.draft.edits.len() <= 3,
        "{kinds:?}: {:?}",
        f.draft.describe()
    );
    assert!(f.draft.edits.len() < f.edits_before || f.edits_before <= 3);
    assert!((200..300).contains(&f.response.status));
    // The minimal token still disagrees: the reference rejects it as expired.
    let token = Token::parse(&f.rendered.token).unwrap();
    let exp = token.unverified_claims(16).unwrap()["exp"]
        .as_f64()
        .unwrap();
    assert!(exp < (time_now() - 30) as f64);

    let case = outcome
        .report
        .suites
        .iter()
        .flat_map(|s| &s.cases)
        .find(|c| {
            c.rule_id == "AP-DIFF-ACCEPTS-TOKEN_EXPIRED"
                && c.findings[0].cause == Some(Cause::ExpiredTokenAccepted)
        })
        .unwrap();
    assert_eq!(case.outcome, Outcome::Fail);
    let repro = case.reproduction.as_deref().unwrap();
    assert!(repro.starts_with("curl "), "{repro}");
    assert!(repro.contains("$TOKEN"), "{repro}");
    assert!(!repro.contains(&f.rendered.token), "{repro}");
    assert!(case.message.as_deref().unwrap().contains("\"exp\""));
    assert!(outcome.report.summary.findings >= 1);
    let dir = common::fresh_path("differential-ignores-exp");
    let written = report::write_all(&outcome.report, &dir).unwrap();
    for path in written {
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains(&f.rendered.token), "{}", path.display());
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// The two flaws of the envelope: one finding per cause, shrunk to what triggers it (any refusal
/// for the challenge; the Origin alone, on the starting token, for CORS), with a reproduction
/// that carries the envelope.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn envelope_findings_are_deduplicated_shrunk_and_reproducible() {
    use authprobe::deployment::mock::FRONTEND_ORIGIN;
    use authprobe::report::FindingKind;
    let config = || FuzzConfig {
        budget: Budget::Requests(4_000),
        seed: SEED,
        ..FuzzConfig::default()
    };

    let outcome = fuzz_mock(Some(Flaw::NoWwwAuthenticate), config()).await;
    let rules: Vec<&str> = outcome
        .findings
        .iter()
        .map(|f| f.rule_id.as_str())
        .collect();
    assert_eq!(rules, ["AP-DIFF-CHALLENGE"], "{rules:?}");
    let f = &outcome.findings[0];
    assert_eq!(f.cause.head.class, Class::Challenge);
    assert_eq!(f.kind, FindingKind::Contract);
    // Every refusal lacks it, whatever its code: one cause.
    assert!(f.occurrences > 100, "{}", f.occurrences);
    assert!(f.draft.edits.len() <= 2, "{:?}", f.draft.describe());
    assert!(!f.draft.kinds().iter().any(|k| k.starts_with("origin:")));
    assert!(matches!(f.reference, Reference::Rejected(_)));
    assert!(!(200..300).contains(&f.response.status));
    assert!(f.response.header("www-authenticate").is_none());
    let case = finding_case(&outcome, "AP-DIFF-CHALLENGE");
    assert!(
        case.expected.contains("WWW-Authenticate: Bearer realm="),
        "{}",
        case.expected
    );
    assert!(case
        .reproduction
        .as_deref()
        .unwrap()
        .starts_with("curl -i -X GET "));

    let outcome = fuzz_mock(Some(Flaw::ReflectsAnyOrigin), config()).await;
    let mut rules: Vec<&str> = outcome
        .findings
        .iter()
        .map(|f| f.rule_id.as_str())
        .collect();
    rules.sort_unstable();
    assert_eq!(
        rules,
        [
            "AP-DIFF-CORS-CREDENTIALS",
            "AP-DIFF-CORS-NULL-ORIGIN",
            "AP-DIFF-CORS-REFLECTED-ORIGIN"
        ]
    );
    for f in &outcome.findings {
        // Minimal: the starting token with the Origin that shows it (a preflight shrinks to the
        // request itself, which the mock answers the same way).
        assert!(
            matches!(f.draft.edits.as_slice(), [Edit::Origin(_)]),
            "{}: {:?}",
            f.rule_id,
            f.draft.describe()
        );
        let origin = f.rendered.origin.as_deref().unwrap();
        assert_eq!(
            f.response.header("access-control-allow-origin"),
            Some(origin)
        );
        let case = finding_case(&outcome, &f.rule_id);
        let repro = case.reproduction.as_deref().unwrap();
        assert!(repro.contains(&format!("-H 'origin: {origin}'")), "{repro}");
        match f.rule_id.as_str() {
            "AP-DIFF-CORS-REFLECTED-ORIGIN" => {
                assert!(origin != FRONTEND_ORIGIN && origin != "null");
                assert_eq!(f.cause.head.class, Class::CorsGrant);
                assert_eq!(f.kind, FindingKind::Security);
                assert_eq!(
                    f.response.header("access-control-allow-credentials"),
                    Some("true")
                );
            }
            "AP-DIFF-CORS-NULL-ORIGIN" => assert_eq!(origin, "null"),
            _ => {
                assert_eq!(origin, FRONTEND_ORIGIN);
                assert_eq!(f.cause.head.class, Class::Cors);
                assert_eq!(f.kind, FindingKind::Contract);
            }
        }
    }
}

fn time_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}
