//! Suppression files: a reason and an expiry required (errors located in the file), a suppressed
//! finding marked in every format and no longer failing the gate, matching by rule or cause with
//! optional filters, and an expired suppression that no longer suppresses and says so.

use crate::junit::{junit_case, parse_junit};
use crate::runs::{all_findings, case_of, finding_of, representative, TARGET, TODAY};
use crate::sarif::{assert_schema_valid, assert_typed_round_trip, sarif_value};
use authprobe::report::suppress::Suppressions;
use authprobe::report::{html, markdown, Outcome, Suppressed};

const SUPPRESS_HEADER: &str = "# accepted findings\n\n";

fn suppressions(text: &str) -> Suppressions {
    Suppressions::parse("supp.toml", text).unwrap_or_else(|e| panic!("parses: {e}"))
}

fn entry(rule: &str, expires: &str, extra: &str) -> String {
    format!(
        "[[suppress]]\nrule = \"{rule}\"\n{extra}reason = \"accepted: {rule}\"\nexpires = \"{expires}\"\n"
    )
}

#[test]
fn suppressions_require_a_reason_and_an_expiry_located_in_the_file() {
    let ok = entry("AP-X", "2027-03-31", "");
    let error = |text: &str| {
        Suppressions::parse("supp.toml", text)
            .expect_err("must be refused")
            .to_string()
    };
    // The faulty entry is the second one, its header on line 8 (after a comment, a blank
    // line and a first, valid entry).
    let e = error(&format!(
        "{SUPPRESS_HEADER}{ok}\n[[suppress]]\nrule = \"AP-Y\"\nexpires = \"2027-03-31\"\n"
    ));
    assert!(
        e.starts_with("supp.toml:8:1:") && e.contains("no reason") && e.contains("AP-Y"),
        "{e}"
    );
    let e = error(&format!(
        "{SUPPRESS_HEADER}{ok}\n[[suppress]]\nrule = \"AP-Y\"\nreason = \"   \"\nexpires = \"2027-03-31\"\n"
    ));
    assert!(
        e.starts_with("supp.toml:8:1:") && e.contains("no reason"),
        "{e}"
    );
    let e = error(&format!(
        "{SUPPRESS_HEADER}{ok}\n[[suppress]]\nrule = \"AP-Y\"\nreason = \"r\"\n"
    ));
    assert!(
        e.starts_with("supp.toml:8:1:") && e.contains("expires") && e.contains("YYYY-MM-DD"),
        "{e}"
    );
    for bad in [
        "2027-3-31",
        "2027-13-01",
        "2027-00-10",
        "31/03/2027",
        "2027-03-31T00:00",
    ] {
        let e = error(&format!(
            "{SUPPRESS_HEADER}[[suppress]]\nrule = \"AP-Y\"\nreason = \"r\"\nexpires = \"{bad}\"\n"
        ));
        assert!(
            e.starts_with("supp.toml:3:1:") && e.contains("YYYY-MM-DD") && e.contains(bad),
            "{bad}: {e}"
        );
    }
    let e = error(&format!(
        "{SUPPRESS_HEADER}[[suppress]]\nrule = \"\"\nreason = \"r\"\nexpires = \"2027-03-31\"\n"
    ));
    assert!(
        e.starts_with("supp.toml:3:1:") && e.contains("empty rule"),
        "{e}"
    );
    // Unknown keys and TOML errors are located too.
    let e = error(&format!("{SUPPRESS_HEADER}{ok}why = 1\n"));
    assert!(e.starts_with("supp.toml:"), "{e}");
    let line: usize = e
        .split(':')
        .nth(1)
        .expect("line")
        .parse()
        .expect("a line number");
    assert!((3..=7).contains(&line), "{e}");
    let e = error("[[suppress]]\nrule = \"AP-X\"\nreason = \"r\nexpires = \"2027-03-31\"\n");
    assert!(e.starts_with("supp.toml:3:"), "{e}");

    let s = suppressions(&format!(
        "{SUPPRESS_HEADER}{ok}\n{}",
        entry(
            "expired-token-accepted",
            "2026-12-01",
            "target = \"orders-api\"\ncase = \"claims/C01\"\n"
        )
    ));
    assert_eq!(s.path, "supp.toml");
    assert_eq!(s.entries.len(), 2);
    assert_eq!((s.entries[0].line, s.entries[1].line), (3, 8));
    let second = &s.entries[1];
    assert_eq!(second.rule, "expired-token-accepted");
    assert_eq!(second.target.as_deref(), Some("orders-api"));
    assert_eq!(second.case.as_deref(), Some("claims/C01"));
    assert_eq!(second.reason, "accepted: expired-token-accepted");
    assert_eq!(second.expires, "2026-12-01");
    assert!(
        suppressions("").entries.is_empty(),
        "an empty file suppresses nothing"
    );
}

#[test]
fn a_suppressed_finding_is_marked_and_stops_failing() {
    let mut report = representative();
    let s = suppressions(&format!(
        "{SUPPRESS_HEADER}{}",
        entry("AP-CLAIM-EXP", "2027-03-31", "")
    ));
    s.apply(&mut report, TODAY);
    let f = finding_of(&report, "AP-CLAIM-EXP");
    assert_eq!(
        f.suppressed,
        Some(Suppressed {
            reason: "accepted: AP-CLAIM-EXP".into(),
            expires: "2027-03-31".into(),
            entry: "supp.toml:3".into(),
        })
    );
    assert!(finding_of(&report, "AP-CONTRACT-CHALLENGE")
        .suppressed
        .is_none());
    assert!(finding_of(&report, "AP-ALG-NONE").suppressed.is_none());
    // C01's remaining finding is low: the case passes; the run still fails on A01-1.
    assert_eq!(case_of(&report, "claims", "C01").outcome, Outcome::Pass);
    let s = &report.summary;
    assert_eq!(
        (s.suppressed, s.findings, s.failing, s.failed),
        (1, 6, 1, 1)
    );
    assert_eq!(
        s.by_grade.high, 0,
        "suppressed findings are not counted by grade"
    );
    assert_eq!(
        report.notes,
        ["target answered slowly after 6 cases"],
        "a used, unexpired entry adds no note"
    );

    // Every format still shows it, marked.
    let v = sarif_value(&report);
    assert_schema_valid(&v);
    assert_typed_round_trip(&v);
    let results = v["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 5, "a suppressed finding stays a result");
    let r = results
        .iter()
        .find(|r| r["ruleId"] == "AP-CLAIM-EXP")
        .expect("suppressed result");
    let sup = &r["suppressions"][0];
    assert_eq!(sup["kind"], "external");
    assert_eq!(sup["status"], "accepted");
    let justification = sup["justification"].as_str().expect("justification");
    assert!(
        justification.contains("accepted: AP-CLAIM-EXP")
            && justification.contains("2027-03-31")
            && justification.contains("supp.toml:3"),
        "{justification}"
    );
    assert_eq!(
        results
            .iter()
            .filter(|r| r.get("suppressions").is_some())
            .count(),
        1,
        "only the suppressed finding has suppressions"
    );
    let md = markdown::to_markdown(&report);
    assert!(
        md.contains("suppressed until 2027-03-31: accepted: AP-CLAIM-EXP"),
        "{md}"
    );
    assert!(
        md.contains("| 9 | 6 | 1 | 1 | 1 | 1 | 0 | 1 | 2 | 2 | 1 |"),
        "{md}"
    );
    let page = html::to_html(&report);
    assert!(page.contains("suppressed until 2027-03-31: accepted: AP-CLAIM-EXP"));
    assert!(page.contains("<div class=\"card o-skip\"><b>1</b>suppressed</div>"));
    let parsed = parse_junit(&report);
    assert!(matches!(
        junit_case(&parsed, "claims", "C01").status,
        quick_junit::TestCaseStatus::Success { .. }
    ));
    assert_eq!(parsed.failures, 1);

    // Suppressing the last failing finding, by its cause id, passes the run.
    suppressions(&entry("unsigned-token-accepted", "2027-03-31", "")).apply(&mut report, TODAY);
    assert!(finding_of(&report, "AP-ALG-NONE").suppressed.is_some());
    assert_eq!(report.summary.failing, 0);
    assert_eq!(case_of(&report, "alg", "A01-1").outcome, Outcome::Pass);
}

#[test]
fn suppressions_match_by_rule_or_cause_with_optional_filters() {
    let suppressed = |text: String| {
        let mut report = representative();
        suppressions(&text).apply(&mut report, TODAY);
        let mut rules: Vec<String> = all_findings(&report)
            .into_iter()
            .filter(|f| f.suppressed.is_some())
            .map(|f| f.rule_id.clone())
            .collect();
        rules.sort();
        (rules, report)
    };
    // By rule id.
    assert_eq!(suppressed(entry("AP-A03", "2027-03-31", "")).0, ["AP-A03"]);
    // By cause id: both contract-ish causes are distinct, so only the matching one.
    assert_eq!(
        suppressed(entry("challenge-deviation", "2027-03-31", "")).0,
        ["AP-CONTRACT-CHALLENGE"]
    );
    // A cause id does not match a check (no cause), nor a finding's class name.
    assert!(suppressed(entry("server-error", "2027-03-31", ""))
        .0
        .is_empty());
    // A rule id is matched exactly.
    assert!(suppressed(entry("AP-CLAIM", "2027-03-31", "")).0.is_empty());
    // Target filter.
    let (rules, report) = suppressed(entry(
        "AP-ALG-NONE",
        "2027-03-31",
        "target = \"orders-api\"\n",
    ));
    assert!(rules.is_empty(), "another target's entry does not apply");
    assert!(
        report.notes.iter().any(|n| n.contains("supp.toml:1")
            && n.contains("AP-ALG-NONE")
            && n.contains("matched no finding")),
        "{:?}",
        report.notes
    );
    assert_eq!(
        suppressed(entry(
            "AP-ALG-NONE",
            "2027-03-31",
            &format!("target = \"{TARGET}\"\n")
        ))
        .0,
        ["AP-ALG-NONE"]
    );
    // Case filter (`suite/case id`).
    assert_eq!(
        suppressed(entry(
            "contract-deviation",
            "2027-03-31",
            "case = \"alg/A03\"\n"
        ))
        .0,
        ["AP-A03"]
    );
    assert!(
        suppressed(entry("AP-A03", "2027-03-31", "case = \"claims/C01\"\n"))
            .0
            .is_empty()
    );
    assert!(
        suppressed(entry("AP-A03", "2027-03-31", "case = \"A03\"\n"))
            .0
            .is_empty()
    );
    // Both filters.
    assert_eq!(
        suppressed(entry(
            "AP-CONTRACT-CHALLENGE",
            "2027-03-31",
            &format!("target = \"{TARGET}\"\ncase = \"claims/C01\"\n")
        ))
        .0,
        ["AP-CONTRACT-CHALLENGE"]
    );
    // Several entries, each applying to its own findings.
    let (rules, report) = suppressed(format!(
        "{}\n{}",
        entry("AP-SERVER-ERROR", "2027-03-31", ""),
        entry("issuer-only-content-accepted", "2027-03-31", "")
    ));
    assert_eq!(rules, ["AP-CLAIM-CRIT", "AP-SERVER-ERROR"]);
    assert_eq!(report.summary.suppressed, 2);
    assert_eq!(report.summary.by_grade.info, 1);
}

#[test]
fn an_expired_suppression_does_not_suppress_and_says_so() {
    let text = format!(
        "{SUPPRESS_HEADER}{}",
        entry("AP-ALG-NONE", "2026-11-25", "")
    );
    let mut report = representative();
    let before = report.summary.clone();
    suppressions(&text).apply(&mut report, TODAY);
    assert!(finding_of(&report, "AP-ALG-NONE").suppressed.is_none());
    assert_eq!(case_of(&report, "alg", "A01-1").outcome, Outcome::Fail);
    assert_eq!(report.summary, before);
    let note = report
        .notes
        .iter()
        .find(|n| n.contains("expired"))
        .unwrap_or_else(|| panic!("a note on the expired entry: {:?}", report.notes));
    assert!(
        note.contains("supp.toml:3") && note.contains("AP-ALG-NONE") && note.contains("2026-11-25"),
        "{note}"
    );
    assert!(!note.contains("matched no finding"));
    assert!(markdown::to_markdown(&report).contains("supp.toml:3"));
    assert!(sarif_value(&report)["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .all(|r| r.get("suppressions").is_none()));

    // The entry suppresses through its expiry day.
    let mut report = representative();
    suppressions(&text).apply(&mut report, "2026-11-25");
    assert!(finding_of(&report, "AP-ALG-NONE").suppressed.is_some());
    assert!(report.notes.iter().all(|n| !n.contains("expired")));
    // Dates compare as dates across months and years.
    let mut report = representative();
    suppressions(&entry("AP-ALG-NONE", "2026-12-31", "")).apply(&mut report, "2027-01-01");
    assert!(finding_of(&report, "AP-ALG-NONE").suppressed.is_none());
}
