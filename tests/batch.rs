//! `authprobe validate --batch`: one token per line in, one NDJSON verdict per token out in input
//! order (never echoing the token), blank lines skipped but counted, a stats line on stderr, and
//! the documented exit codes.

mod common;

use common::{authprobe, fixture_path, Sample, ISSUER, NOW};
use serde_json::{json, Value};
use std::process::Output;

fn batch(input_arg: &str, extra: &[&str], stdin: &str) -> Output {
    batch_at(NOW, input_arg, extra, stdin)
}

fn batch_at(now: i64, input_arg: &str, extra: &[&str], stdin: &str) -> Output {
    let jwks = fixture_path("better-auth/jwks.json");
    let now = now.to_string();
    let mut args = vec![
        "validate",
        "--batch",
        "--jwks",
        jwks.to_str().unwrap(),
        "--issuer",
        ISSUER,
        "--audience",
        ISSUER,
        "--now",
        &now,
    ];
    args.extend_from_slice(extra);
    args.push(input_arg);
    authprobe(&args, Some(stdin))
}

fn records(out: &Output) -> Vec<Value> {
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

/// The input line of a token and its expected code (`None`: accepted).
type Expected = Vec<(usize, Option<&'static str>)>;

/// Valid and invalid tokens from the fixture with blank lines among them: the input, what each
/// token should get, and the tokens (which must never be echoed).
fn mixed() -> (String, Expected, Vec<String>) {
    let s = Sample::load();
    let expired = s.signed_with(|_, c| {
        c.insert("exp".into(), json!(NOW - 100));
    });
    let wrong_aud = s.signed_with(|_, c| {
        c.insert("aud".into(), json!("https://elsewhere.example"));
    });
    let unknown_kid = s.signed_with(|h, _| {
        h.insert("kid".into(), json!("not-in-the-set"));
    });
    let other_sub = s.signed_with(|_, c| {
        c.insert("sub".into(), json!("another-user"));
    });
    // A valid token whose signature belongs to another token.
    let (head, _) = s.token.rsplit_once('.').unwrap();
    let (_, foreign_sig) = other_sub.rsplit_once('.').unwrap();
    let bad_sig = format!("{head}.{foreign_sig}");
    let lines = [
        s.token.clone(),          // 1 accepted
        String::new(),            // 2 blank
        expired.clone(),          // 3
        "not-a-jwt".to_owned(),   // 4
        "   ".to_owned(),         // 5 blank (whitespace only)
        bad_sig.clone(),          // 6
        wrong_aud.clone(),        // 7
        other_sub.clone(),        // 8 accepted
        unknown_kid.clone(),      // 9
        format!("{}\r", s.token), // 10 accepted (CRLF line end)
        format!("{} ", s.token),  // 11 a stray space is not trimmed
    ];
    let expected = vec![
        (1, None),
        (3, Some("TOKEN_EXPIRED")),
        (4, Some("MALFORMED_TOKEN")),
        (6, Some("INVALID_SIGNATURE")),
        (7, Some("INVALID_AUDIENCE")),
        (8, None),
        (9, Some("UNKNOWN_KEY_ID")),
        (10, None),
        (11, Some("MALFORMED_TOKEN")),
    ];
    let secrets = vec![s.token, expired, bad_sig, wrong_aud, other_sub, unknown_kid];
    (lines.join("\n") + "\n", expected, secrets)
}

fn check_mixed(out: &Output, expected: &[(usize, Option<&str>)], secrets: &[String]) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    let recs = records(out);
    assert_eq!(recs.len(), expected.len(), "{stdout}");
    for (rec, (line, code)) in recs.iter().zip(expected) {
        assert_eq!(rec["line"], *line, "{rec}");
        match code {
            None => {
                assert_eq!(rec["verdict"], "accepted", "{rec}");
                assert_eq!(rec["alg"], "EdDSA");
                assert_eq!(rec["kid"], "k7QwZp2LxR9vTmN4bYc8HsJd3FgEa6Uu");
            }
            Some(code) => {
                assert_eq!(rec["verdict"], "rejected", "{rec}");
                assert_eq!(rec["code"], *code, "{rec}");
                assert_eq!(rec["status"], 401, "{rec}");
                assert!(rec["detail"].as_str().is_some_and(|d| !d.is_empty()));
            }
        }
    }
    // Never the token, nor any of its segments.
    for secret in secrets {
        for segment in secret.split('.') {
            assert!(!stdout.contains(segment), "a token segment was echoed");
            assert!(!stderr.contains(segment), "a token segment was echoed");
        }
    }
    // The stats line: tokens, seconds, tokens/s, threads.
    let stats = stderr
        .lines()
        .find(|l| l.starts_with("authprobe batch:"))
        .unwrap_or_else(|| panic!("no stats line in {stderr}"));
    for field in [
        format!("tokens={}", expected.len()),
        format!(
            "accepted={}",
            expected.iter().filter(|(_, c)| c.is_none()).count()
        ),
        "seconds=".to_owned(),
        "tokens_per_s=".to_owned(),
        "threads=".to_owned(),
    ] {
        assert!(stats.contains(&field), "{field} in {stats}");
    }
}

#[test]
fn mixed_tokens_from_a_file_keep_input_order_and_codes() {
    let (input, expected, secrets) = mixed();
    let dir = common::temp_dir("batch");
    let file = dir.join("tokens.txt");
    std::fs::write(&file, &input).unwrap();
    let out = batch(file.to_str().unwrap(), &[], "");
    std::fs::remove_dir_all(&dir).ok();
    check_mixed(&out, &expected, &secrets);
}

#[test]
fn mixed_tokens_from_stdin_give_the_same_records() {
    let (input, expected, secrets) = mixed();
    let out = batch("-", &[], &input);
    check_mixed(&out, &expected, &secrets);
}

#[test]
fn all_accepted_is_exit_0_and_order_holds_across_chunks() {
    // More tokens than one parallel round (8192), each distinguishable by its line number.
    let s = Sample::load();
    let n = 9000;
    let mut input = String::with_capacity(n * 620);
    for i in 0..n {
        if i % 1000 == 999 {
            input.push('\n');
        }
        input.push_str(&s.token);
        input.push('\n');
    }
    let out = batch("-", &[], &input);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let recs = records(&out);
    assert_eq!(recs.len(), n);
    let lines: Vec<u64> = recs.iter().map(|r| r["line"].as_u64().unwrap()).collect();
    assert!(lines.windows(2).all(|w| w[0] < w[1]), "input order");
    let expected_last = (n + n / 1000) as u64;
    assert_eq!(*lines.last().unwrap(), expected_last);
    assert!(recs.iter().all(|r| r["verdict"] == "accepted"));
}

#[test]
fn one_rejection_is_exit_1() {
    let s = Sample::load();
    let input = format!("{}\n{}\n", s.token, s.token);
    let out = batch_at(1_795_700_000, "-", &[], &input);
    assert_eq!(out.status.code(), Some(1));
    assert!(records(&out).iter().all(|r| r["code"] == "TOKEN_EXPIRED"));
}

#[test]
fn an_unreadable_file_is_exit_3_and_named() {
    let out = batch("/nonexistent/tokens.txt", &[], "");
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("/nonexistent/tokens.txt"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn a_token_argument_is_not_a_batch_file() {
    // In batch mode the argument is always a file (or `-`), never a literal token.
    let s = Sample::load();
    let out = batch(&s.token, &[], "");
    assert_eq!(out.status.code(), Some(3));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("looks like a token"), "{stderr}");
    for segment in s.token.split('.') {
        assert!(!stderr.contains(segment), "the token was echoed: {stderr}");
    }
}

#[test]
fn input_without_tokens_is_exit_3() {
    let out = batch("-", &[], "\n  \n\r\n");
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no tokens"));
}

#[test]
fn an_unusable_key_set_is_exit_3() {
    let s = Sample::load();
    let out = authprobe(
        &[
            "validate",
            "--batch",
            "--jwks",
            "/nonexistent/jwks.json",
            "--issuer",
            ISSUER,
            "--audience",
            ISSUER,
            "-",
        ],
        Some(&s.token),
    );
    assert_eq!(out.status.code(), Some(3));
}
