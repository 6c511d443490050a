//! Time is an answer too: an attack case the target answers ten times slower than its median
//! (and at least a second late) is a denial-of-service finding (`AP-DOS-SLOW`, findings.md §7).
//! A slow answer is re-sent alone at the end of the run and counts only if it is slow again, so
//! a backend busy with the audit's own load is not blamed. The mock built to take 1.5 s over
//! huge or many-segment tokens is caught; the compliant mock is not.

use authprobe::deployment::mock::{Flaw, MockDeployment};
use authprobe::judge::{Cause, Severity};
use authprobe::report::RunReport;
use authprobe::run::{self, builtin, RunConfig, TargetSpec};

async fn attacks(flaw: Option<Flaw>) -> RunReport {
    let deployment = MockDeployment::start(flaw).await;
    let target = TargetSpec::for_mock(&deployment);
    let suites: Vec<_> = builtin::builtin_suites()
        .unwrap()
        .into_iter()
        .filter(|s| s.suite.name == "attacks")
        .collect();
    run::audit(target, suites, RunConfig::default(), &|_, _| {})
        .await
        .unwrap()
        .report
}

fn slow_cases(report: &RunReport) -> Vec<(String, u64)> {
    report
        .all_cases()
        .filter(|c| c.findings.iter().any(|f| f.rule_id == "AP-DOS-SLOW"))
        .map(|c| (c.id.clone(), c.duration_ms))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backend_slow_on_huge_tokens_is_a_denial_of_service_finding() {
    let report = attacks(Some(Flaw::SlowOnHugeTokens)).await;
    let slow = slow_cases(&report);
    for family in ["a08-seg-extra", "i01-jwe-where-jws-expected"] {
        assert!(
            slow.iter().any(|(id, _)| id.starts_with(family)),
            "{family}: {slow:?}"
        );
    }
    assert!(slow.iter().all(|(_, ms)| *ms >= 1_000), "{slow:?}");
    let finding = report
        .all_cases()
        .flat_map(|c| &c.findings)
        .find(|f| f.rule_id == "AP-DOS-SLOW")
        .unwrap();
    assert_eq!(finding.cause, Some(Cause::SlowAnswer));
    assert_eq!(finding.severity, Severity::Medium);
    assert!(finding.message.contains("median"), "{}", finding.message);
    assert!(
        finding.message.contains("sent again alone"),
        "confirmed alone: {}",
        finding.message
    );
    // Cases the flaw does not slow stay quiet.
    assert!(slow.len() < 100, "{} slow cases", slow.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_compliant_mock_answers_every_attack_quickly() {
    let report = attacks(None).await;
    assert_eq!(slow_cases(&report), Vec::<(String, u64)>::new());
}

/// The attacks suite against a verify function that accepts its issuer's token, refuses the
/// rest, and takes 4 s, longer than the 3 s request timeout, over tokens longer than `len` bytes.
#[cfg(feature = "testing")]
fn hanging_on_tokens_over(len: usize) -> authprobe::testing::Target {
    use authprobe::testing::{Issuer, Target};
    let issuer = Issuer::ed25519();
    let good = issuer.token();
    Target::verify_fn(&issuer, move |token: &str| {
        if token == good {
            return Ok(());
        }
        if token.len() > len {
            std::thread::sleep(std::time::Duration::from_secs(4));
        }
        Err("refused")
    })
    .suites(&["attacks"])
    .timeout(std::time::Duration::from_secs(3))
}

/// A target that hangs on huge tokens (no answer within the request timeout) is a finding too,
/// and its re-check waits only as long as the threshold needs, not the whole timeout again.
#[cfg(feature = "testing")]
#[test]
fn a_target_that_hangs_is_confirmed_without_waiting_the_whole_timeout_again() {
    let audit = hanging_on_tokens_over(100_000).audit_blocking().unwrap();
    let report = audit.report();
    let hung: Vec<_> = report
        .all_cases()
        .filter(|c| {
            c.message
                .as_deref()
                .is_some_and(|m| m.contains("timed out"))
        })
        .collect();
    assert!(!hung.is_empty(), "no request timed out");
    for case in &hung {
        let finding = case
            .findings
            .iter()
            .find(|f| f.rule_id == "AP-DOS-SLOW")
            .unwrap_or_else(|| panic!("{}: no AP-DOS-SLOW finding", case.id));
        // Median ≈ 0 ms, so the threshold is the 1 s floor and the re-check waits 2 s, not 3.
        assert!(
            finding
                .message
                .contains("no answer within 2000 ms when the request was sent again alone"),
            "{}",
            finding.message
        );
    }
}

/// Once a target has let three requests time out, each further request gets a quarter of the
/// timeout (at least 2 s) instead of the whole timeout, so a target that keeps hanging does not
/// hold the audit for a timeout per case; the report says so.
#[cfg(feature = "testing")]
#[test]
fn a_target_that_keeps_hanging_gets_a_shorter_limit_after_three_timeouts() {
    let audit = hanging_on_tokens_over(20_000)
        .concurrency(1)
        .audit_blocking()
        .unwrap();
    let report = audit.report();
    let messages: Vec<&str> = report
        .all_cases()
        .filter_map(|c| c.message.as_deref())
        .filter(|m| m.contains("timed out"))
        .collect();
    let whole = messages.iter().filter(|m| m.contains("after 3s")).count();
    let shorter = messages.iter().filter(|m| m.contains("after 2s")).count();
    assert_eq!(whole, 3, "{messages:?}");
    assert!(shorter >= 1, "{messages:?}");
    assert!(
        report.notes.iter().any(|n| n.contains(
            "after the first 3, each request was given 2000 ms instead of the 3000 ms timeout"
        )),
        "{:?}",
        report.notes
    );
}
