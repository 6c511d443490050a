//! `write_all` and `write_all_to`: the five files, written the same into every folder, and
//! refused (nothing written) when any carries an unredacted token; the token detector itself; and
//! a failed baseline shown prominently in every format.

use crate::common::fresh_path;
use crate::junit::parse_junit;
use crate::runs::{fixtures, representative, TOKEN};
use authprobe::report::{
    contains_unredacted_token, html, json, junit, markdown, sarif, write_all, write_all_to,
    Outcome, ReportError, REPORT_FILES,
};

#[test]
fn write_all_writes_five_files() {
    let dir = fresh_path("reports-ok").join("nested");
    let report = representative();
    let written = write_all(&report, &dir).expect("written");
    let names: Vec<String> = written
        .iter()
        .map(|p| p.file_name().expect("name").to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, REPORT_FILES);
    for p in &written {
        let text = std::fs::read_to_string(p).expect("readable");
        assert!(!text.is_empty(), "{} is empty", p.display());
        assert!(!contains_unredacted_token(&text));
    }
    assert_eq!(
        std::fs::read_to_string(dir.join("report.json")).expect("json"),
        json::to_json(&report)
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("results.sarif")).expect("sarif"),
        sarif::to_sarif_json(&report)
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("summary.md")).expect("md"),
        markdown::to_markdown(&report)
    );
}

#[test]
fn write_all_to_writes_the_same_files_into_every_folder() {
    let root = fresh_path("reports-multi");
    let (run, latest) = (root.join("run-1"), root.join("latest"));
    let report = representative();
    let written = write_all_to(&report, &[&run, &latest]).expect("written");
    assert_eq!(written.len(), REPORT_FILES.len());
    assert!(
        written.iter().all(|p| p.parent() == Some(run.as_path())),
        "{written:?}"
    );
    for name in REPORT_FILES {
        let a = std::fs::read(run.join(name)).expect("in the run folder");
        let b = std::fs::read(latest.join(name)).expect("in latest");
        assert_eq!(a, b, "{name} identical in both folders");
    }
    // Written again over an existing folder: replaced, not appended.
    let mut next = report.clone();
    next.run_id = "second".into();
    write_all_to(&next, &[&run, &latest]).expect("rewritten");
    assert_eq!(
        std::fs::read_to_string(latest.join("report.json")).expect("json"),
        json::to_json(&next)
    );

    let mut leaky = representative();
    leaky.notes.push(format!("saw {TOKEN}"));
    let (x, y) = (root.join("x"), root.join("y"));
    assert!(matches!(
        write_all_to(&leaky, &[&x, &y]),
        Err(ReportError::UnredactedToken {
            file: "report.json"
        })
    ));
    assert!(!x.exists() && !y.exists(), "nothing written anywhere");
}

#[test]
fn write_all_refuses_an_unredacted_token() {
    let mut report = representative();
    report.suites[1].cases[1]
        .observed
        .as_mut()
        .expect("observed")
        .body_excerpt = format!("echo: {TOKEN}");
    let dir = fresh_path("reports-token");
    match write_all(&report, &dir) {
        Err(ReportError::UnredactedToken { file }) => assert_eq!(file, "report.json"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(!dir.exists(), "nothing is written when a token is found");

    let mut report = representative();
    report.suites[0].cases[0].reproduction = Some(format!(
        "curl -H 'Authorization: Bearer {TOKEN}' http://127.0.0.1:4000/api/me"
    ));
    assert!(matches!(
        write_all(&report, &fresh_path("reports-token2")),
        Err(ReportError::UnredactedToken { .. })
    ));

    // A token in a finding's message reaches every format that lists findings.
    let mut report = representative();
    report.suites[0].cases[2].findings[0].message = format!("echoed {TOKEN}");
    let dir = fresh_path("reports-token3");
    assert!(matches!(
        write_all(&report, &dir),
        Err(ReportError::UnredactedToken { .. })
    ));
    assert!(!dir.exists());
    assert!(contains_unredacted_token(&sarif::to_sarif_json(&report)));
    assert!(contains_unredacted_token(&markdown::to_markdown(&report)));
    assert!(contains_unredacted_token(
        &junit::to_junit(&report).expect("xml")
    ));
}

#[test]
fn token_detector() {
    let unsecured = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1c2VyLTEifQ.";
    let padded = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ1In0=.c2ln+/==";
    let jwe = "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.ZW5jcnlwdGVka2V5.aXY.Y2lwaGVy.dGFn";
    for text in [
        TOKEN.to_string(),
        format!("Bearer {TOKEN}"),
        format!("{{\"token\":\"{TOKEN}\"}}"),
        format!("http://x/cb?t={TOKEN}&x=1"),
        format!("https://x/{TOKEN}"),
        unsecured.to_string(),
        padded.to_string(),
        jwe.to_string(),
        "eyJhbGciOiJFZERTQSJ9..c2lnbmF0dXJl".to_string(),
    ] {
        assert!(contains_unredacted_token(&text), "missed: {text}");
    }
    for text in [
        "curl -H \"Authorization: Bearer $TOKEN\" http://127.0.0.1:4000/api/me",
        "Bearer <redacted>",
        "header eyJhbGciOiJub25lIn0 (alg none)",
        "eyJhbGciOiJub25lIn0..",
        "eyJhbGciOiJub25lIn0.<redacted>",
        "xeyJhbGciOiJub25lIn0.eyJzdWIiOiJ1In0.c2ln",
        "eyJ.a.b",
        "A01-1 alg none accepted; see RFC 7515 §7.1.",
    ] {
        assert!(!contains_unredacted_token(text), "false positive: {text}");
    }
    for file in ["report.json", "summary.md", "results.sarif"] {
        let text = std::fs::read_to_string(fixtures().join(file)).expect("golden file");
        assert!(!contains_unredacted_token(&text), "{file} carries a token");
    }
}

#[test]
fn failed_baseline_is_prominent() {
    let mut report = representative();
    report.baseline_ok = false;
    report.baseline[0].outcome = Outcome::Fail;
    let md = markdown::to_markdown(&report);
    assert!(
        md.contains("| Baseline | ❌ FAILED (1/2 controls passed): the suites were not judged |")
    );
    assert!(md.contains("> **The baseline controls failed**"));
    let page = html::to_html(&report);
    assert!(page.contains(
        "<p class=\"banner bad\">Baseline FAILED (1/2 controls passed): the suites were not judged</p>"
    ));
    let props = parse_junit(&report).test_suites[0]
        .properties
        .iter()
        .any(|p| p.name.as_str() == "baseline_ok" && p.value.as_str() == "false");
    assert!(props);
}
