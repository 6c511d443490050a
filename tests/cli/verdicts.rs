//! `authprobe validate` and `decode`: verdicts and their exit codes, tokens from a file, the
//! command line or standard input, bad key sets located, usage errors, and no panic on hostile
//! input.

use crate::common;
use crate::common::{authprobe, fixture_path, Sample};
use crate::{text, validate, ISS};
use serde_json::Value;

#[test]
fn the_sample_token_file_is_accepted_at_a_pinned_time() {
    let token = fixture_path("better-auth/token.jwt");
    let out = validate(token.to_str().unwrap(), &["--now", "1795690700"], None);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("verdict: ACCEPTED"));
    assert!(stdout.contains("alice@example.com"));
}

#[test]
fn an_expired_token_is_rejected_with_exit_1_and_its_code() {
    let token = fixture_path("better-auth/token.jwt");
    let out = validate(
        token.to_str().unwrap(),
        &["--now", "1795700000", "--json"],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verdict"], "rejected");
    assert_eq!(v["code"], "TOKEN_EXPIRED");
    assert_eq!(v["status"], 401);
}

#[test]
fn tokens_come_from_stdin_or_the_command_line() {
    let s = Sample::load();
    let out = validate(
        "-",
        &["--now", "1795690700", "--json"],
        Some(&format!("{}\n", s.token)),
    );
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verdict"], "accepted");
    assert_eq!(v["claims"]["sub"], "9URAu33PHr1A5LlE7KXJTelugMMDgpKy");
    let out = validate(&s.token, &["--now", "1795690700"], None);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn a_malformed_token_is_a_verdict_not_an_error() {
    let out = validate("abc.def", &[], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).0.contains("MALFORMED_TOKEN"));
}

#[test]
fn decode_marks_its_output_unverified() {
    let token = fixture_path("better-auth/token.jwt");
    let out = authprobe(&["decode", token.to_str().unwrap()], None);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout.starts_with("UNVERIFIED"));
    assert!(stdout.contains("\"kid\": \"k7QwZp2LxR9vTmN4bYc8HsJd3FgEa6Uu\""));
    let out = authprobe(&["decode", "--json", token.to_str().unwrap()], None);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verified"], false);
    assert_eq!(v["claims"]["exp"], 1795691524);
}

#[test]
fn decode_of_garbage_names_the_segment_and_offset_with_exit_3() {
    let out = authprobe(&["decode", "eyJhbGciOiJFZERTQSJ9.e30=.AA"], None);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr.contains("payload segment"), "{stderr}");
    assert!(stderr.contains("token offset 24"), "{stderr}");
}

#[test]
fn a_bad_jwks_file_is_exit_3_with_its_location() {
    let dir = common::temp_dir("cli");
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{\n  \"keys\": [\n    {\"kty\": \"OKP\",}\n  ]\n}\n").unwrap();
    let out = authprobe(
        &[
            "validate",
            "--jwks",
            bad.to_str().unwrap(),
            "--issuer",
            ISS,
            "--audience",
            ISS,
            "x.y.z",
        ],
        None,
    );
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr.contains("bad.json"), "{stderr}");
    assert!(stderr.contains("line 3"), "{stderr}");
    let missing = dir.join("missing.json");
    let out = authprobe(
        &[
            "validate",
            "--jwks",
            missing.to_str().unwrap(),
            "--issuer",
            ISS,
            "--audience",
            ISS,
            "x",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out).1.contains("missing.json"));
}

#[test]
fn an_unreachable_jwks_url_is_exit_4() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/api/auth/jwks");
    let s = Sample::load();
    let out = authprobe(
        &[
            "validate",
            "--jwks",
            &url,
            "--issuer",
            ISS,
            "--audience",
            ISS,
            "--now",
            "1795690700",
            &s.token,
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(4));
    assert!(text(&out).1.contains("key set could not be fetched"));
}

#[test]
fn usage_errors_are_exit_2() {
    assert_eq!(authprobe(&["validate"], None).status.code(), Some(2));
    assert_eq!(authprobe(&["frobnicate"], None).status.code(), Some(2));
    let out = validate("x", &["--alg", "none"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("expected one of EdDSA"));
    assert_eq!(
        validate("x", &["--leeway", "301"], None).status.code(),
        Some(2)
    );
}

#[test]
fn nothing_panics_on_hostile_input() {
    let long = "A".repeat(100_000);
    let inputs = [
        "",
        ".",
        "..",
        "...",
        "\u{0}",
        "\u{0}.\u{1}.\u{2}",
        "é.é.é",
        &long,
    ];
    for token in inputs {
        let out = validate("-", &[], Some(token));
        assert_eq!(out.status.code(), Some(1), "{token:?}: {:?}", text(&out));
        assert!(text(&out).0.contains("MALFORMED_TOKEN"));
        let out = authprobe(&["decode", "-"], Some(token));
        assert_eq!(out.status.code(), Some(3), "{token:?}");
        assert!(!text(&out).1.contains("panicked"));
    }
}
