//! The out-of-band listener where the user says: `--listen` on another loopback alias
//! (127.0.0.2, standing in for an address a remote target can route to), and `--callback-url`
//! naming it through a forwarder on 127.0.0.3 (standing in for a tunnel or reverse proxy). A
//! backend that fetches the token's `jku` is caught through either.

mod common;

use common::{authprobe_code_and_text, temp_dir};
use serde_json::Value;

/// Audits the mock that fetches `jku` with the attack suite; the report and the exit code.
fn audit_jku(extra: &[&str], out: &std::path::Path) -> (Option<i32>, String, Value) {
    let mut args = vec![
        "audit",
        "--no-progress",
        "--mock-variant",
        "fetches-jku",
        "--suite",
        "attacks",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let (code, text) = authprobe_code_and_text(&args);
    let report = std::fs::read_to_string(out.join("latest/report.json"))
        .map(|t| serde_json::from_str(&t).unwrap())
        .unwrap_or(Value::Null);
    (code, text, report)
}

/// The URLs of the jku cases the target fetched, as the forged tokens named them.
fn fetched_jku_findings(report: &Value) -> usize {
    report["suites"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["cases"].as_array().unwrap())
        .filter(|c| {
            c["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["rule_id"] == "AP-OOB-FETCH")
        })
        .count()
}

/// Every out-of-band URL the report shows (decoded jku/x5u values), as `scheme://host:port/prefix`.
fn oob_origins(report: &Value) -> std::collections::BTreeSet<String> {
    let text = report.to_string();
    let mut origins = std::collections::BTreeSet::new();
    for (i, _) in text.match_indices("/oob/") {
        let before = &text[..i];
        let Some(start) = before.rfind("http://") else {
            continue;
        };
        let url = &before[start..];
        if !url.contains(['"', ' ', '\\', '\'']) {
            origins.insert(url.to_owned());
        }
    }
    origins
}

#[test]
fn listen_on_another_loopback_address() {
    let dir = temp_dir("oob-listen");
    let (code, text, report) = audit_jku(&["--listen", "127.0.0.2:0"], &dir);
    assert_eq!(code, Some(1), "{text}");
    assert!(fetched_jku_findings(&report) > 0, "{text}");
    let origins = oob_origins(&report);
    assert_eq!(origins.len(), 1, "{origins:?}");
    let origin = origins.first().unwrap();
    assert!(
        origin.starts_with("http://127.0.0.2:") && origin.ends_with("/t1"),
        "{origin}"
    );
}

#[test]
fn the_callback_url_reaches_the_listener_through_a_forwarder() {
    // A free port on 127.0.0.2 for the listener, and a forwarder 127.0.0.3 → 127.0.0.2.
    let port = std::net::TcpListener::bind("127.0.0.2:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let forwarder = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.3:0"))
        .unwrap();
    let public = forwarder.local_addr().unwrap();
    let forwarded = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = forwarded.clone();
    runtime.spawn(async move {
        while let Ok((mut inbound, _)) = forwarder.accept().await {
            count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            tokio::spawn(async move {
                if let Ok(mut outbound) = tokio::net::TcpStream::connect(("127.0.0.2", port)).await
                {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    let dir = temp_dir("oob-callback");
    let listen = format!("127.0.0.2:{port}");
    let callback = format!("http://{public}/");
    let (code, text, report) = audit_jku(&["--listen", &listen, "--callback-url", &callback], &dir);
    assert_eq!(code, Some(1), "{text}");
    assert!(fetched_jku_findings(&report) > 0, "{text}");
    let origins = oob_origins(&report);
    assert_eq!(
        origins.into_iter().collect::<Vec<_>>(),
        [format!("http://{public}/t1")]
    );
    assert!(forwarded.load(std::sync::atomic::Ordering::Relaxed) > 0);
}

#[test]
fn a_callback_url_without_a_listener_or_a_busy_address_is_refused() {
    let dir = temp_dir("oob-refused");
    let (code, text, _) = audit_jku(&["--callback-url", "http://example.test/"], &dir);
    assert_eq!(
        code,
        Some(2),
        "clap: --callback-url requires --listen: {text}"
    );
    let taken = std::net::TcpListener::bind("127.0.0.2:0").unwrap();
    let busy = taken.local_addr().unwrap().to_string();
    let (code, text, _) = audit_jku(&["--listen", &busy], &dir);
    assert_eq!(code, Some(3), "{text}");
    assert!(text.contains(&format!("cannot listen on {busy}")), "{text}");
}
