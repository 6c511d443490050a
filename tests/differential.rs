//! Differential fuzzing (issue 8) against the embedded mock: the compliant backend gives no
//! finding over 10,000 generated requests; every one of the mock's fifteen flawed backends is
//! caught within a 60 s budget without being told what to look for (with and without the
//! catalogue's tokens as seeds): the flaws that show in a verdict or an error body by comparing
//! verdicts, `no-www-authenticate` by judging each refusal's challenge against the contract's row,
//! and `cors-reflects-any-origin` by judging the CORS answers to the `Origin` headers and
//! preflights the generator sends. Findings are shrunk (keeping the envelope that triggers them),
//! de-duplicated and reported redacted; the same seed gives the same drafts.
//!
//! One test binary; this file is its root and holds what the modules share (the seed, fuzzing a
//! mock, finding lookups). The tests are module files of `tests/differential/`: `mock_flaws`,
//! `findings`, `custom_backend`, `material` and `live_lab`.

mod common;

#[path = "differential/custom_backend.rs"]
mod custom_backend;
#[path = "differential/findings.rs"]
mod findings;
#[path = "differential/live_lab.rs"]
mod live_lab;
#[path = "differential/material.rs"]
mod material;
#[path = "differential/mock_flaws.rs"]
mod mock_flaws;

use authprobe::deployment::mock::{Flaw, MockDeployment};
use authprobe::differential::{self, Control, FuzzConfig, FuzzOutcome};
use authprobe::run::TargetSpec;
use std::sync::Arc;

const SEED: u64 = 0x5eed_0008;

fn mock_target(deployment: &MockDeployment) -> TargetSpec {
    TargetSpec::for_mock(deployment)
}

/// Fails with every finding's rule and edits listed when the run made any.
fn assert_no_findings(outcome: &FuzzOutcome, target: &str) {
    let findings: Vec<String> = outcome
        .findings
        .iter()
        .map(|f| format!("{}: {}", f.rule_id, f.draft.describe().join("; ")))
        .collect();
    assert!(
        findings.is_empty(),
        "findings on {target}:\n{}",
        findings.join("\n")
    );
}

async fn fuzz_mock(flaw: Option<Flaw>, config: FuzzConfig) -> FuzzOutcome {
    let deployment = MockDeployment::start(flaw).await;
    let target = mock_target(&deployment);
    differential::fuzz(target, config, Arc::new(Control::default()))
        .await
        .unwrap()
}

fn finding_case<'a>(outcome: &'a FuzzOutcome, rule: &str) -> &'a authprobe::report::CaseResult {
    outcome
        .report
        .suites
        .iter()
        .flat_map(|s| &s.cases)
        .find(|c| c.rule_id == rule)
        .unwrap_or_else(|| panic!("no case {rule}"))
}
