//! report.html: self-contained (no external resource), the grades and reasons it shows, and every
//! field escaped.

use crate::runs::{hostile, representative, HOSTILE, TARGET};
use authprobe::report::html;

#[test]
fn html_is_self_contained() {
    for report in [representative(), hostile()] {
        let page = html::to_html(&report);
        let lower = page.to_ascii_lowercase();
        assert!(lower.starts_with("<!doctype html>"));
        assert!(!lower.contains("<link"), "no <link> elements");
        assert!(
            !lower.contains("@import") && !lower.contains("url("),
            "no CSS fetches"
        );
        for attr in ["src=", "href=", "action=", "srcset="] {
            for (at, _) in lower.match_indices(attr) {
                let value = lower[at + attr.len()..].trim_start_matches(['"', '\'']);
                assert!(
                    !value.starts_with("http:")
                        && !value.starts_with("https:")
                        && !value.starts_with("//"),
                    "external reference: {}",
                    &page[at..(at + 80).min(page.len())]
                );
            }
        }
        assert!(!lower.contains("<script src"), "no external scripts");
        assert!(lower.contains("content-security-policy"));
    }
    let page = html::to_html(&representative());
    assert!(page.contains("<details class=\"case o-fail\" id=\"case-2\" open>"));
    assert!(
        page.contains("<details class=\"case o-pass\" id=\"case-4\">"),
        "A03 (low only) passes under the default gate"
    );
    assert!(page.contains("curl -sS -H &quot;Authorization: Bearer $TOKEN&quot;"));
    assert!(page.contains("CVE-2015-9235"));
    assert!(page.contains("needs the issuer key (white-box mode)"));
}

#[test]
fn html_shows_grades_and_why() {
    let page = html::to_html(&representative());
    for (value, label) in [
        (9, "cases"),
        (5, "passed"),
        (2, "failed"),
        (1, "critical"),
        (1, "high"),
        (1, "medium"),
        (2, "low"),
        (2, "info"),
        (0, "suppressed"),
    ] {
        assert!(
            page.contains(&format!("<b>{value}</b>{label}</div>")),
            "card {label} = {value}"
        );
    }
    assert!(page.contains("Gate: findings at high or above fail the run; 2 do."));
    assert!(page.contains("unsigned-token-accepted (anyone; confidence high)"));
    assert!(page.contains("challenge-deviation (anyone; confidence medium)"));
    assert!(page.contains("check (server-error; confidence high)"));
    assert!(page.contains("issuer-only-content-accepted (issuer key only; confidence high)"));
    // Most severe first in the findings table, each row linking to its case.
    let critical = page
        .find("<span class=\"sev s-critical\">critical</span></td>")
        .expect("critical row");
    let info = page
        .find("<span class=\"sev s-info\">info</span></td>")
        .expect("info row");
    assert!(critical < info);
    assert!(page.contains(&format!("<a href=\"#case-2\">{TARGET}: alg/A01-1</a>")));
    assert!(page.contains("id=\"case-2\""));
}

#[test]
fn html_escapes_every_field() {
    let page = html::to_html(&hostile());
    assert!(
        !page.contains("<script>alert(1)"),
        "unescaped markup from the model"
    );
    assert!(
        !page.contains("\"'&"),
        "unescaped quotes or ampersand from the model"
    );
    let escaped = "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;";
    for tag in [
        "tool",
        "version",
        "run",
        "start",
        "kind",
        "variant",
        "backend",
        "auth",
        "mode",
        "note",
        "suite",
        "description",
        "id",
        "title",
        "rule",
        "tag",
        "catalogue",
        "reference",
        "expected",
        "code",
        "header-name",
        "header-value",
        "body",
        "method",
        "url",
        "request-header",
        "request-value",
        "request-body",
        "curl",
        "message",
        "finding-rule",
        "finding",
        "info-rule",
        "info",
        "case-suite",
        "case-target",
        "suppressed-rule",
        "suppressed-finding",
        "suppressed-reason",
        "expires",
    ] {
        assert!(
            page.contains(&format!("{escaped}{tag}")),
            "field {tag} not rendered escaped"
        );
    }
    assert_eq!(html::escape(HOSTILE), escaped);
}
