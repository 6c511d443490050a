//! The audit against the embedded mock: the compliant deployment passes every built-in suite,
//! and each flawed variant's flaw is caught with the right rule id, at the grade findings.md §1
//! gives it: twelve at high or critical (failing the default gate, first in the summary), three
//! below it by the threat model (a missing challenge, a CORS grant to a bearer API, an ignored
//! `crit` only the issuer could sign).

use authprobe::deployment::mock::{Flaw, MockDeployment};
use authprobe::judge::Severity;
use authprobe::report::{FindingKind, Gate, Outcome, RunReport};
use authprobe::run::{self, builtin, RunConfig, TargetSpec};

async fn audit_mock(flaw: Option<Flaw>) -> RunReport {
    let deployment = MockDeployment::start(flaw).await;
    let target = TargetSpec::for_mock(&deployment);
    let suites = builtin::builtin_suites().unwrap();
    run::audit(target, suites, RunConfig::default(), &|_, _| {})
        .await
        .unwrap()
        .report
}

/// The rule ids a flaw must trip (each at least once, as a security or contract finding).
fn expected_rules(flaw: Flaw) -> &'static [&'static str] {
    match flaw {
        Flaw::CachesKeysForever
        | Flaw::RefetchesEveryUnknownKid
        | Flaw::ServerErrorWhenKeySetDown => {
            unreachable!("a key-cache flaw: only `lifecycle` shows it (tests/lifecycle.rs)")
        }
        Flaw::SlowOnHugeTokens => {
            unreachable!(
                "a denial-of-service flaw: the slow-answer check shows it (tests/slow_answers.rs)"
            )
        }
        Flaw::CookieContractTakesQueryToken => {
            unreachable!(
                "a cookie-contract flaw: the placement suite shows it (tests/placement.rs)"
            )
        }
        Flaw::ExportSkipsSignature => {
            unreachable!(
                "an endpoint flaw: only an audit of every endpoint shows it (tests/endpoints.rs)"
            )
        }
        Flaw::AcceptsAlgNone => &["AP-B01-alg-none", "AP-B02-alg-none-case"],
        Flaw::NoSignatureCheck => &["AP-A01-sig-not-checked", "AP-A02-sig-foreign-key"],
        Flaw::IgnoresExp => &["AP-H01-exp-expired", "AP-EC-TOKEN_EXPIRED"],
        Flaw::OneDayLeeway => &["AP-H01-exp-expired", "AP-EC-TOKEN_NOT_YET_VALID"],
        Flaw::IgnoresAudience => &["AP-H07-aud-missing-wrong", "AP-EC-INVALID_AUDIENCE"],
        Flaw::SubstringIssuer => &["AP-H09-iss-exactness"],
        Flaw::PublicKeyAsHmacSecret => &["AP-C06-keyconf-okp-hs"],
        Flaw::TrustsHeaderJwk => &["AP-D01-jwk-embed-rsa", "AP-D02-jwk-embed-ec-okp-oct"],
        Flaw::FetchesJku => &["AP-OOB-FETCH", "AP-D04-jku-attacker"],
        Flaw::KidPathTraversal => &["AP-D13-kid-traversal-devnull"],
        Flaw::IgnoresUnknownCrit => &["AP-F01-crit-unknown"],
        Flaw::ServerErrorOnMalformed => &["AP-SERVER-ERROR"],
        Flaw::EchoesException => &["AP-LEAK-SECRET", "AP-LEAK-INTERNALS"],
        Flaw::NoWwwAuthenticate => &["AP-EC-MISSING_TOKEN", "AP-EC-INVALID_SIGNATURE"],
        Flaw::ReflectsAnyOrigin => &["AP-CORS-REFLECTED-ORIGIN", "AP-CORS-NULL-ORIGIN"],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_compliant_mock_passes_every_built_in_suite() {
    let report = audit_mock(None).await;
    assert!(report.baseline_ok, "{:?}", report.notes);
    let bad: Vec<String> = report
        .all_cases()
        .filter(|c| matches!(c.outcome, Outcome::Fail | Outcome::Error))
        .map(|c| format!("{}/{}: {:?} {:?}", c.suite, c.id, c.message, c.findings))
        .collect();
    assert!(
        bad.is_empty(),
        "{} cases failed:\n{}",
        bad.len(),
        bad.join("\n")
    );
    let names: Vec<&str> = report.suites.iter().map(|s| s.name.as_str()).collect();
    for suite in [
        "key-set",
        "unauthenticated",
        "error-contract",
        "attacks",
        "better-auth",
        "cors",
        "lifecycle",
    ] {
        assert!(names.contains(&suite), "{suite} ran");
    }
    assert!(report.summary.passed > 600, "{:?}", report.summary);
    // On the white-box mock only cases that are not tokens, not sendable over HTTP, or made
    // for the other token placement (cookie contracts) skip.
    for c in report.all_cases().filter(|c| c.outcome == Outcome::Skip) {
        let why = c.message.as_deref().unwrap_or_default();
        assert!(
            why.starts_with("not a token")
                || why.starts_with("not deliverable over HTTP")
                || (c.id.starts_with("cookie-contract-")
                    && why.starts_with("the target's contract carries the token in a header")),
            "{}/{} skipped: {why}",
            c.suite,
            c.id
        );
    }
    // Better Auth's documented behaviour shows up below the gate, not as a failure.
    let info: Vec<(&str, Severity)> = report
        .all_cases()
        .flat_map(|c| &c.findings)
        .filter(|f| f.kind == FindingKind::Informational)
        .map(|f| (f.rule_id.as_str(), f.severity))
        .collect();
    assert!(
        info.contains(&("AP-LC-JWT-AFTER-SIGN-OUT", Severity::Info)),
        "{info:?}"
    );
    assert!(
        info.contains(&("AP-BA-XFF-BYPASS", Severity::Low)),
        "{info:?}"
    );
    assert_eq!(report.summary.failing, 0, "{:?}", report.summary);
}

/// The grade of the flaw's most severe finding (findings.md §1).
fn expected_grade(flaw: Flaw) -> Severity {
    match flaw {
        Flaw::CachesKeysForever
        | Flaw::RefetchesEveryUnknownKid
        | Flaw::ServerErrorWhenKeySetDown => {
            unreachable!("a key-cache flaw: only `lifecycle` shows it (tests/lifecycle.rs)")
        }
        Flaw::SlowOnHugeTokens => {
            unreachable!(
                "a denial-of-service flaw: the slow-answer check shows it (tests/slow_answers.rs)"
            )
        }
        Flaw::CookieContractTakesQueryToken => {
            unreachable!(
                "a cookie-contract flaw: the placement suite shows it (tests/placement.rs)"
            )
        }
        Flaw::ExportSkipsSignature => {
            unreachable!(
                "an endpoint flaw: only an audit of every endpoint shows it (tests/endpoints.rs)"
            )
        }
        Flaw::AcceptsAlgNone
        | Flaw::NoSignatureCheck
        | Flaw::PublicKeyAsHmacSecret
        | Flaw::TrustsHeaderJwk
        | Flaw::FetchesJku
        | Flaw::KidPathTraversal => Severity::Critical,
        Flaw::IgnoresExp
        | Flaw::OneDayLeeway
        | Flaw::IgnoresAudience
        | Flaw::SubstringIssuer
        | Flaw::ServerErrorOnMalformed
        | Flaw::EchoesException => Severity::High,
        Flaw::ReflectsAnyOrigin => Severity::Medium,
        Flaw::NoWwwAuthenticate => Severity::Low,
        Flaw::IgnoresUnknownCrit => Severity::Info,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_flaw_is_caught_with_its_rule_id_and_grade() {
    let mut missed = Vec::new();
    for flaw in Flaw::ALL {
        let mut report = audit_mock(Some(flaw)).await;
        let reported: Vec<&str> = report
            .all_cases()
            .flat_map(|c| &c.findings)
            .map(|f| f.rule_id.as_str())
            .collect();
        for rule in expected_rules(flaw) {
            if !reported.contains(rule) {
                missed.push(format!(
                    "{flaw}: {rule} not reported (reported: {:?})",
                    dedup(&reported)
                ));
            }
        }
        let top = report
            .all_cases()
            .flat_map(|c| &c.findings)
            .filter(|f| expected_rules(flaw).contains(&f.rule_id.as_str()))
            .map(|f| f.severity)
            .max();
        if top != Some(expected_grade(flaw)) {
            missed.push(format!(
                "{flaw}: graded {top:?}, findings.md says {}",
                expected_grade(flaw)
            ));
        }
        // The default gate fails exactly the flaws graded high or critical; a gate at the
        // flaw's own grade fails every one.
        let fails_default = report.summary.failing > 0;
        if fails_default != (expected_grade(flaw) >= Severity::High) {
            missed.push(format!(
                "{flaw}: default gate {} (failing {})",
                if fails_default { "fails" } else { "passes" },
                report.summary.failing
            ));
        }
        report.gate = Gate {
            fail_on: expected_grade(flaw),
            new_only: false,
        };
        report.summarize();
        if report.summary.failing == 0 {
            missed.push(format!(
                "{flaw}: --fail-on {} does not fail",
                expected_grade(flaw)
            ));
        }
    }
    assert!(missed.is_empty(), "{}", missed.join("\n"));
}

fn dedup<'a>(v: &[&'a str]) -> Vec<&'a str> {
    let mut out: Vec<&str> = v.to_vec();
    out.sort_unstable();
    out.dedup();
    out
}
