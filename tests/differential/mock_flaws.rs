//! The embedded mock: no finding on the compliant backend over 10,000 generated requests, and
//! each of the fifteen flawed backends caught within 60 s with one of its expected rules, with
//! and without the catalogue's tokens as seeds.

use crate::common;
use crate::{assert_no_findings, fuzz_mock, SEED};
use authprobe::deployment::mock::Flaw;
use authprobe::differential::{Budget, FuzzConfig};
use authprobe::report::{self};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_compliant_mock_agrees_on_10000_generated_tokens() {
    let config = FuzzConfig {
        budget: Budget::Requests(10_000),
        seed: SEED,
        ..FuzzConfig::default()
    };
    let outcome = fuzz_mock(None, config).await;
    assert!(outcome.baseline_ok, "{:?}", outcome.report.notes);
    let s = outcome.stats;
    assert_eq!(s.tokens, 10_000, "{s:?}");
    assert_no_findings(&outcome, "the compliant mock");
    assert_eq!(s.disagreements, 0, "{s:?}");
    // The envelope was varied too: about 3 % preflights (and 12 % of the rest with an Origin),
    // every refusal's challenge judged.
    assert!((150..=450).contains(&s.preflights), "{s:?}");
    // Nearly every token is judged: only time-boundary tokens and unsendable bytes are not.
    assert!(s.inconclusive + s.unsendable < 100, "{s:?}");
    eprintln!(
        "compliant mock: {} requests ({} preflights) in {:.1} s ({:.0}/s), {} inconclusive, {} unsendable",
        s.requests,
        s.preflights,
        outcome.elapsed.as_secs_f64(),
        outcome.requests_per_sec(),
        s.inconclusive,
        s.unsendable
    );
    let r = &outcome.report;
    assert!(r.baseline_ok);
    assert_eq!(r.summary.failed, 0, "{:?}", r.summary);
    assert_eq!(r.suites.len(), 1);
    assert_eq!(r.suites[0].name, "differential");
    assert_eq!(r.suites[0].cases[0].id, "summary");
    assert!(r.suites[0].cases[0]
        .message
        .as_deref()
        .is_some_and(|m| m.contains(&format!("seed {SEED}"))));
    let dir = common::fresh_path("differential-compliant");
    report::write_all(r, &dir).unwrap();
    let _ = std::fs::remove_dir_all(dir);
}

/// The rule ids a first finding against each flaw may carry.
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
            unreachable!("an endpoint flaw: fuzzing /api/me cannot show it (tests/endpoints.rs)")
        }
        Flaw::AcceptsAlgNone
        | Flaw::NoSignatureCheck
        | Flaw::PublicKeyAsHmacSecret
        | Flaw::KidPathTraversal => &["AP-DIFF-ACCEPTS-"],
        Flaw::IgnoresExp => &["AP-DIFF-ACCEPTS-TOKEN_EXPIRED"],
        Flaw::OneDayLeeway => &[
            "AP-DIFF-ACCEPTS-TOKEN_EXPIRED",
            "AP-DIFF-ACCEPTS-TOKEN_NOT_YET_VALID",
            "AP-DIFF-ACCEPTS-TOKEN_ISSUED_IN_FUTURE",
        ],
        Flaw::IgnoresAudience => &[
            "AP-DIFF-ACCEPTS-INVALID_AUDIENCE",
            "AP-DIFF-ACCEPTS-INVALID_CLAIM",
        ],
        Flaw::SubstringIssuer => &["AP-DIFF-ACCEPTS-INVALID_ISSUER"],
        // Accepted with an embedded key; shrinking ends at FORBIDDEN_HEADER_PARAMETER unless
        // shrinking stops early on an earlier check (a malformed kid, say).
        Flaw::TrustsHeaderJwk => &["AP-DIFF-ACCEPTS-"],
        Flaw::IgnoresUnknownCrit => &["AP-DIFF-ACCEPTS-FORBIDDEN_HEADER_PARAMETER"],
        Flaw::FetchesJku => &["AP-DIFF-OOB-FETCH", "AP-DIFF-ACCEPTS-"],
        Flaw::ServerErrorOnMalformed => &["AP-DIFF-SERVER-ERROR-MALFORMED_TOKEN"],
        Flaw::EchoesException => &["AP-DIFF-LEAK"],
        Flaw::NoWwwAuthenticate => &["AP-DIFF-CHALLENGE"],
        // A foreign origin or null echoed with credentials; credentials for the front end too.
        Flaw::ReflectsAnyOrigin => &[
            "AP-DIFF-CORS-REFLECTED-ORIGIN",
            "AP-DIFF-CORS-NULL-ORIGIN",
            "AP-DIFF-CORS-CREDENTIALS",
        ],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_flaw_is_found_within_60_s() {
    let budget = Duration::from_secs(60);
    let mut table = Vec::new();
    let mut missed = Vec::new();
    for flaw in Flaw::ALL {
        for catalogue_seeds in [true, false] {
            let config = FuzzConfig {
                budget: Budget::Time(budget),
                seed: SEED,
                catalogue_seeds,
                stop_after_findings: Some(1),
                ..FuzzConfig::default()
            };
            let started = Instant::now();
            let outcome = fuzz_mock(Some(flaw), config).await;
            let wall = started.elapsed();
            assert!(outcome.baseline_ok, "{flaw}: {:?}", outcome.report.notes);
            let Some(first) = outcome.findings.first() else {
                missed.push(format!(
                    "{flaw} (catalogue seeds {catalogue_seeds}): no finding in {:.1} s, {} requests",
                    outcome.elapsed.as_secs_f64(),
                    outcome.stats.requests
                ));
                continue;
            };
            assert!(
                first.found_after < budget,
                "{flaw}: found after {:?}",
                first.found_after
            );
            assert!(
                expected_rules(flaw)
                    .iter()
                    .any(|r| first.rule_id.starts_with(r)),
                "{flaw}: unexpected first finding {} ({})",
                first.rule_id,
                first.draft.describe().join("; ")
            );
            table.push(format!(
                "{:<28} catalogue {:<5} found after {:>6.3} s / {:>6} requests, reported after {:>6.3} s; {} -> {} edits: {}",
                flaw.name(),
                catalogue_seeds,
                first.found_after.as_secs_f64(),
                first.found_after_requests,
                first.reported_after.as_secs_f64(),
                first.edits_before,
                first.draft.edits.len(),
                first.rule_id
            ));
            // The whole run, mock start-up and shrinking included, stays far below the budget.
            assert!(wall < budget, "{flaw}: run took {wall:?}");
        }
    }
    eprintln!("time to first finding:\n{}", table.join("\n"));
    assert!(missed.is_empty(), "{}", missed.join("\n"));
}
