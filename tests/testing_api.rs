//! `authprobe::testing` as a team uses it from its own tests: the mock, a flawed mock, a
//! profile naming a running deployment, a verify function that panics, and bad input.
#![cfg(feature = "testing")]

use authprobe::dangerous::forge::Severity;
use authprobe::deployment::mock::{Flaw, MockDeployment};
use authprobe::judge::FlawClass;
use authprobe::testing::{Issuer, Target, TestingError};
use std::panic::{catch_unwind, AssertUnwindSafe};

fn panic_message(f: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("the assertion fails");
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_compliant_mock_passes_and_every_case_is_judged() {
    let audit = Target::mock().audit().await.unwrap();
    audit.assert_passes_gate().assert_all_judged();
    assert!(audit.report().baseline_ok);
    assert!(audit.report().summary.attack_cases > 400);
    assert!(audit.gate_failures().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flawed_mock_fails_with_a_message_that_names_the_case_and_how_to_replay_it() {
    let audit = Target::mock_with_flaw(Flaw::AcceptsAlgNone)
        .suites(&["attacks"])
        .audit()
        .await
        .unwrap();
    audit.assert_finds(FlawClass::AlgNone);
    let message = panic_message(|| {
        audit.assert_passes_gate();
    });
    assert!(message.contains("at or above high on mock:"), "{message}");
    assert!(message.contains("[critical] attacks/"), "{message}");
    assert!(message.contains("class alg-none"), "{message}");
    assert!(message.contains("reproduce: curl"), "{message}");
    // A class it does not have is reported with what was found instead.
    let message = panic_message(|| {
        audit.assert_finds(FlawClass::Cors);
    });
    assert!(message.contains("expected a cors finding"), "{message}");
    assert!(message.contains("alg-none"), "{message}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_profile_names_a_running_deployment() {
    let mock = MockDeployment::start(Some(Flaw::IgnoresAudience)).await;
    let dir = std::env::temp_dir().join(format!("authprobe-testing-api-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let profile = dir.join("target.toml");
    let endpoints = mock.endpoints();
    std::fs::write(
        &profile,
        format!(
            "[target]\nname = \"staging\"\nbackend_url = \"{}\"\nauth_url = \"{}\"\n",
            endpoints.backend,
            endpoints.auth.unwrap()
        ),
    )
    .unwrap();
    let audit = Target::from_profile(&profile)
        .unwrap()
        .issuer_key(mock.issuer_key().try_clone().unwrap())
        .suites(&["attacks"])
        .fail_on(Severity::Medium)
        .audit()
        .await
        .unwrap();
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(audit.report().target.name, "staging");
    audit.assert_finds(FlawClass::AudienceNotChecked);
}

#[test]
fn a_verify_function_that_panics_on_hostile_input_is_a_server_error_finding() {
    let issuer = Issuer::ed25519();
    let good = issuer.token();
    let audit = Target::verify_fn(&issuer, move |token: &str| {
        if token == good {
            Ok(())
        } else if token.split('.').count() != 3 {
            panic!("index out of bounds");
        } else {
            Err("refused")
        }
    })
    .suites(&["attacks"])
    .audit_blocking()
    .unwrap();
    audit.assert_finds(FlawClass::ServerError);
}

#[test]
fn a_run_whose_baseline_failed_never_passes_the_gate() {
    // The verify function guards /api/me only: audited at another path, even the valid token
    // is answered 404, nothing can be judged, and the assertions say so.
    let issuer = Issuer::ed25519();
    let audit = Target::verify_fn(&issuer, |_: &str| Ok::<(), String>(()))
        .endpoint("GET /api/elsewhere")
        .unwrap()
        .suites(&["attacks"])
        .audit_blocking()
        .unwrap();
    assert!(!audit.report().baseline_ok);
    let message = panic_message(|| {
        audit.assert_passes_gate();
    });
    assert!(message.contains("baseline controls failed"), "{message}");
    let message = panic_message(|| {
        audit.assert_all_judged();
    });
    assert!(message.contains("nothing was judged"), "{message}");
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let err = Target::mock()
        .suites(&["no-such-suite"])
        .audit_blocking()
        .err()
        .unwrap();
    assert!(
        matches!(&err, TestingError::UnknownSuite(name, known) if name == "no-such-suite" && known.contains("attacks")),
        "{err}"
    );
    let err = Target::mock().endpoint("GET").err().unwrap();
    assert!(matches!(err, TestingError::Endpoint(_)), "{err}");
    let err = Target::from_profile("/nonexistent/authprobe.toml")
        .err()
        .unwrap();
    assert!(
        err.to_string().contains("/nonexistent/authprobe.toml"),
        "{err}"
    );
}
