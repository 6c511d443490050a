//! The grading gate: pass and fail at each threshold, findings graded by their cause, and only
//! unsuppressed findings at or above the gate's grade failing it.

use crate::runs::{all_findings, case_of, graded, representative, with_gate};
use authprobe::judge::{Cause, Confidence, FlawClass, Severity};
use authprobe::report::{BaselineState, Finding, FindingKind, Gate, Outcome, Suppressed};

#[test]
fn gate_decides_pass_and_fail() {
    let report = representative();
    assert_eq!(report.gate, Gate::default());
    assert_eq!(
        report.gate,
        Gate {
            fail_on: Severity::High,
            new_only: false
        }
    );
    let s = &report.summary;
    let g = s.by_grade;
    assert_eq!(
        (g.critical, g.high, g.medium, g.low, g.info),
        (1, 1, 1, 2, 2)
    );
    for grade in Severity::ALL {
        assert_eq!(
            g.get(grade),
            all_findings(&report)
                .iter()
                .filter(|f| f.severity == grade)
                .count(),
            "{grade} count"
        );
    }
    assert_eq!((s.findings, s.contract_deviations), (7, 2));
    assert_eq!((s.suppressed, s.new), (0, 0));
    assert_eq!(
        s.failing,
        g.critical + g.high,
        "only findings at high or above fail"
    );
    assert_eq!(s.failing, 2);
    assert_eq!(
        (s.total, s.passed, s.failed, s.errored, s.skipped),
        (9, 5, 2, 1, 1)
    );
    // A case whose only finding is low passes (its finding still listed).
    let a03 = case_of(&report, "alg", "A03");
    assert_eq!(a03.outcome, Outcome::Pass);
    assert_eq!(a03.findings[0].severity, Severity::Low);
    assert_eq!(a03.findings[0].kind, FindingKind::Contract);
    // A case with a high and a low finding fails.
    assert_eq!(case_of(&report, "claims", "C01").outcome, Outcome::Fail);
    assert_eq!(case_of(&report, "claims", "C02").outcome, Outcome::Pass);
    assert_eq!(case_of(&report, "claims", "C05").outcome, Outcome::Pass);
    // Errors and skips are not the gate's to decide.
    assert_eq!(case_of(&report, "claims", "C04").outcome, Outcome::Error);
    assert_eq!(case_of(&report, "alg", "A04").outcome, Outcome::Skip);

    let low = with_gate(Severity::Low);
    assert_eq!(case_of(&low, "alg", "A03").outcome, Outcome::Fail);
    assert_eq!(case_of(&low, "claims", "C02").outcome, Outcome::Fail);
    assert_eq!(case_of(&low, "claims", "C03").outcome, Outcome::Pass);
    assert_eq!(low.summary.failing, 5);
    assert_eq!(low.summary.failed, 4);
    assert_eq!(
        low.summary.by_grade, report.summary.by_grade,
        "counts do not depend on the gate"
    );

    let info = with_gate(Severity::Info);
    assert_eq!((info.summary.failing, info.summary.failed), (7, 6));
    let critical = with_gate(Severity::Critical);
    assert_eq!((critical.summary.failing, critical.summary.failed), (1, 1));
    assert_eq!(case_of(&critical, "claims", "C01").outcome, Outcome::Pass);

    // Back to high: outcomes are recomputed, not only ever made worse.
    let mut back = with_gate(Severity::Low);
    back.gate.fail_on = Severity::High;
    back.summarize();
    assert_eq!(back, report);
}

#[test]
fn finding_constructors_grade_by_cause() {
    let f = graded("R", Cause::UnsignedTokenAccepted, Confidence::Medium, "m");
    assert_eq!(
        (f.kind, f.severity, f.class, f.cause, f.confidence),
        (
            FindingKind::Security,
            Severity::Critical,
            FlawClass::AlgNone,
            Some(Cause::UnsignedTokenAccepted),
            Confidence::Medium
        )
    );
    let f = graded("R", Cause::ContractDeviation, Confidence::High, "m");
    assert_eq!((f.kind, f.severity), (FindingKind::Contract, Severity::Low));
    let f = graded("R", Cause::IssuerOnlyContentAccepted, Confidence::High, "m");
    assert_eq!(
        (f.kind, f.severity, f.class),
        (
            FindingKind::Informational,
            Severity::Info,
            FlawClass::Strictness
        )
    );
    let f = graded("R", Cause::ExpiredTokenAccepted, Confidence::High, "m");
    assert_eq!(
        (f.kind, f.severity, f.class),
        (
            FindingKind::Security,
            Severity::High,
            FlawClass::ExpiredAccepted
        )
    );
    let f = Finding::check(
        FindingKind::Security,
        "R",
        Severity::Medium,
        FlawClass::Leak,
        "m",
    );
    assert_eq!(
        (f.cause, f.severity, f.class),
        (None, Severity::Medium, FlawClass::Leak)
    );
    assert!(f.fingerprint.is_empty() && f.suppressed.is_none() && f.baseline.is_none());
}

#[test]
fn gate_fails_only_unsuppressed_findings_at_or_above_its_grade() {
    let high = graded("R", Cause::ExpiredTokenAccepted, Confidence::High, "m");
    let low = graded("R", Cause::ContractDeviation, Confidence::High, "m");
    let gate = Gate::default();
    assert!(gate.fails(&high));
    assert!(!gate.fails(&low));
    let mut suppressed = high.clone();
    suppressed.suppressed = Some(Suppressed {
        reason: "accepted".into(),
        expires: "2030-01-01".into(),
        entry: "s.toml:1".into(),
    });
    assert!(!gate.fails(&suppressed));
    let new_only = Gate {
        fail_on: Severity::High,
        new_only: true,
    };
    let mut unchanged = high.clone();
    unchanged.baseline = Some(BaselineState::Unchanged);
    let mut new = high.clone();
    new.baseline = Some(BaselineState::New);
    assert!(!new_only.fails(&unchanged));
    assert!(new_only.fails(&new));
    assert!(
        new_only.fails(&high),
        "without a baseline every finding is new"
    );
    assert!(
        gate.fails(&unchanged),
        "unchanged findings fail unless new_only"
    );
    let mut new_low = low.clone();
    new_low.baseline = Some(BaselineState::New);
    assert!(!new_only.fails(&new_low), "new, but below the grade");
}
