//! summary.md: the golden file, the gate, grades and reasons it shows, and tables that stay
//! intact (escaped pipes) with inert markup for hostile text.

use crate::runs::{case_of_mut, golden, hostile, representative, with_gate, HOSTILE, TARGET};
use authprobe::judge::Severity;
use authprobe::report::markdown;

#[test]
fn markdown_is_golden() {
    golden("summary.md", &markdown::to_markdown(&representative()));
}

#[test]
fn markdown_shows_the_gate_grades_and_why() {
    let md = markdown::to_markdown(&representative());
    assert!(
        md.contains("**Gate:** findings at high or above fail — ❌ 2 finding(s) fail the gate."),
        "{md}"
    );
    assert!(md.contains(
        "| Cases | Passed | Failed | Errored | Skipped | Critical | High | Medium | Low | Info | Suppressed |"
    ));
    assert!(
        md.contains("| 9 | 5 | 2 | 1 | 1 | 1 | 1 | 1 | 2 | 2 | 0 |"),
        "{md}"
    );
    assert!(md.contains("## Findings (7)"));
    // Most severe first; grades below the gate say so.
    let order: Vec<usize> = [
        "### Critical (1)\n",
        "### High (1)\n",
        "### Medium (1) — below the gate\n",
        "### Low (2) — below the gate\n",
        "### Info (2) — below the gate\n",
    ]
    .iter()
    .map(|h| {
        md.find(h)
            .unwrap_or_else(|| panic!("missing heading {h:?}\n{md}"))
    })
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "grades out of order");
    assert!(md.contains("| Rule | Case | Why this grade | Confidence | Message | State |"));
    assert!(md.contains(&format!(
        "| AP-ALG-NONE | {TARGET}: alg/A01-1 | unsigned-token-accepted (anyone) | high |"
    )));
    assert!(md.contains(&format!(
        "| AP-CLAIM-EXP | {TARGET}: claims/C01 | expired-token-accepted (token holder) | high |"
    )));
    assert!(md.contains(&format!(
        "| AP-CONTRACT-CHALLENGE | {TARGET}: claims/C01 | challenge-deviation (anyone) | medium |"
    )));
    assert!(md.contains(&format!(
        "| AP-SERVER-ERROR | {TARGET}: claims/C02 | check (server-error) | high |"
    )));
    assert!(md.contains(&format!(
        "| AP-CLAIM-CRIT | {TARGET}: claims/C05 | issuer-only-content-accepted (issuer key only) | high |"
    )));
    assert!(
        !md.contains("No longer found"),
        "no baseline, no absent section"
    );

    let md = markdown::to_markdown(&with_gate(Severity::Low));
    assert!(md.contains("**Gate:** findings at low or above fail — ❌ 5 finding(s) fail the gate."));
    assert!(md.contains("### Low (2)\n"));
    assert!(md.contains("### Info (2) — below the gate\n"));

    let mut clean = representative();
    clean.gate.fail_on = Severity::Critical;
    case_of_mut(&mut clean, "alg", "A01-1").findings.clear();
    clean.summarize();
    let md = markdown::to_markdown(&clean);
    assert!(
        md.contains("**Gate:** findings at critical or above fail — ✅ nothing fails the gate.")
    );
}

#[test]
fn markdown_keeps_tables_intact_and_markup_inert() {
    let md = markdown::to_markdown(&hostile());
    assert!(
        !md.contains("<script>"),
        "raw HTML from the model reached the Markdown"
    );
    assert!(md.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    let escaped = markdown::escape(HOSTILE);
    assert_eq!(escaped, "&lt;script&gt;alert(1)&lt;/script&gt;\"'&amp;");
    for tag in [
        "target-name",
        "second-target",
        "case-target",
        "finding-rule",
        "finding",
        "suppressed-reason",
        "absent-rule",
        "absent-target",
        "absent-message",
        "note",
        "message",
    ] {
        assert!(
            md.contains(&format!("{escaped}{tag}")),
            "{tag} not rendered escaped in the Markdown"
        );
    }
    // Every table row has as many unescaped cell separators as its header row.
    let mut columns = None;
    let mut rows = 0;
    for line in md.lines() {
        if !line.starts_with('|') {
            columns = None;
            continue;
        }
        rows += 1;
        let separators = count_unescaped_pipes(line);
        match columns {
            None => columns = Some(separators),
            Some(n) => assert_eq!(separators, n, "broken table row: {line}"),
        }
    }
    assert!(rows > 20, "the tables were checked");
    let md = markdown::to_markdown(&representative());
    assert!(md.contains("500 on a 20 KiB token:<br>stack trace leaked \\| at Handler.&lt;init&gt;"));
    assert!(md.contains("rejected with 400 BAD_REQUEST \\| expected 401 TOKEN_INVALID"));
    assert_eq!(markdown::cell("a|b\nc\\"), "a\\|b<br>c\\\\");
}

fn count_unescaped_pipes(line: &str) -> usize {
    let mut n = 0;
    let mut escaped = false;
    for c in line.chars() {
        match c {
            '\\' if !escaped => escaped = true,
            '|' if !escaped => n += 1,
            _ => escaped = false,
        }
        if c != '\\' {
            escaped = false;
        }
    }
    n
}
