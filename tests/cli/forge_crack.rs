//! `authprobe forge` (list, filter, forge with expected outcomes) and `crack` (a weak HMAC secret
//! found, hashes exported for hashcat).

use crate::common::{authprobe, fixture_path, Sample};
use crate::{text, validate};
use serde_json::Value;

#[test]
fn forge_lists_filters_and_forges_with_expected_outcomes() {
    let out = authprobe(&["forge", "--list", "--tag", "key-confusion"], None);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout.contains("C01") && stdout.contains("C10") && !stdout.contains("A01"));
    assert!(stdout.trim_end().ends_with("10 cases"));

    let token = fixture_path("better-auth/token.jwt");
    let out = authprobe(
        &["forge", "B01", "--from", token.to_str().unwrap(), "--json"],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    let lines: Vec<Value> = text(&out)
        .0
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    for line in &lines {
        assert_eq!(line["id"], "B01");
        assert_eq!(line["expected"]["codes"], "ALGORITHM_NOT_ALLOWED");
        // And the reference validator agrees.
        let t = line["token"].as_str().unwrap();
        let v = validate(t, &["--now", "1795690700", "--json"], None);
        let verdict: Value = serde_json::from_slice(&v.stdout).unwrap();
        assert_eq!(verdict["code"], "ALGORITHM_NOT_ALLOWED");
    }
    let out = authprobe(&["forge", "H01", "--from", token.to_str().unwrap()], None);
    assert!(text(&out).1.contains("needs the issuer's key"));
    let out = authprobe(&["forge", "Z99", "--from", token.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out).1.contains("no case \"Z99\""));
}

#[test]
fn crack_finds_a_weak_secret_and_exports_for_hashcat() {
    use authprobe::sign::{sign_compact, SigningKey};
    use authprobe::Algorithm;
    let weak = sign_compact(
        br#"{"alg":"HS256","typ":"JWT"}"#,
        br#"{"sub":"1"}"#,
        &SigningKey::hmac(b"your-256-bit-secret"),
        Algorithm::HS256,
    )
    .unwrap();
    let out = authprobe(&["crack", &weak], None);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "a found secret is a finding");
    assert!(stdout.contains("\"your-256-bit-secret\""), "{stdout}");
    assert!(stderr.contains("candidates/s"), "{stderr}");
    let strong = sign_compact(
        br#"{"alg":"HS256"}"#,
        b"{}",
        &SigningKey::hmac(&[9u8; 32]),
        Algorithm::HS256,
    )
    .unwrap();
    assert_eq!(authprobe(&["crack", &strong], None).status.code(), Some(0));
    let out = authprobe(&["crack", "--hashcat", &strong], None);
    assert_eq!(text(&out).0.trim(), strong);
    let s = Sample::load();
    let out = authprobe(&["crack", &s.token], None);
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out).1.contains("only HMAC tokens"));
}
