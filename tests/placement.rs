//! Where the token may travel: for a header contract, the valid token and a forged one in the
//! query string, a cookie or a body are refused; for a cookie contract (the mock built with one)
//! the valid token in the URL or a body is refused, and a backend that also reads
//! `?access_token=` is caught with the URL-token finding.

use authprobe::deployment::mock::{Flaw, MockDeployment, MockOptions};
use authprobe::judge::{Cause, Severity};
use authprobe::report::{Outcome, RunReport};
use authprobe::run::{self, builtin, RunConfig, TargetSpec};

async fn placement_audit(deployment: &MockDeployment) -> RunReport {
    let target = TargetSpec::for_mock(deployment);
    let suites: Vec<_> = builtin::builtin_suites()
        .unwrap()
        .into_iter()
        .filter(|s| s.suite.name == "placement")
        .collect();
    run::audit(target, suites, RunConfig::default(), &|_, _| {})
        .await
        .unwrap()
        .report
}

fn outcomes(report: &RunReport) -> Vec<(String, Outcome)> {
    report
        .suites
        .iter()
        .flat_map(|s| &s.cases)
        .filter(|c| c.suite == "placement")
        .map(|c| (c.id.clone(), c.outcome))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_header_contract_refuses_valid_and_forged_tokens_elsewhere() {
    let mock = MockDeployment::start(None).await;
    let report = placement_audit(&mock).await;
    assert!(report.baseline_ok, "{:?}", report.notes);
    for (id, outcome) in outcomes(&report) {
        let expected = if id.starts_with("cookie-contract-") {
            Outcome::Skip
        } else {
            Outcome::Pass
        };
        assert_eq!(outcome, expected, "{id}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cookie_contract_is_checked_the_other_way_round() {
    let mock = MockDeployment::start_with(MockOptions {
        rate_limiting: true,
        cookie_contract: Some("token".into()),
        ..MockOptions::default()
    })
    .await;
    let report = placement_audit(&mock).await;
    assert!(
        report.baseline_ok,
        "the valid token in the cookie is accepted: {:?}",
        report.notes
    );
    for (id, outcome) in outcomes(&report) {
        let expected = if id.starts_with("cookie-contract-") {
            Outcome::Pass
        } else {
            Outcome::Skip
        };
        assert_eq!(outcome, expected, "{id}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cookie_contract_backend_that_reads_the_url_is_caught() {
    let mock = MockDeployment::start(Some(Flaw::CookieContractTakesQueryToken)).await;
    let report = placement_audit(&mock).await;
    assert!(report.baseline_ok, "{:?}", report.notes);
    let failed: Vec<(String, Option<Cause>, Severity)> = report
        .all_cases()
        .filter(|c| c.outcome == Outcome::Fail)
        .flat_map(|c| {
            c.findings
                .iter()
                .map(move |f| (c.id.clone(), f.cause, f.severity))
        })
        .collect();
    assert_eq!(
        failed,
        [(
            "cookie-contract-query-access-token".to_owned(),
            Some(Cause::TokenInUrlAccepted),
            Severity::High
        )]
    );
}
