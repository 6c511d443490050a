//! The lifecycle measurements against the embedded mock: a compliant key-caching backend is
//! within every bound (and its revocation lags are reported, not failed); each lifecycle flaw of
//! the mock is caught with the finding findings.md gives it; the `lifecycle` command writes the
//! numbers and their bounds into the reports and gates like `audit`; profiles take a
//! `[lifecycle]` table.

mod common;

use authprobe::deployment::http::{Http, HttpOptions};
use authprobe::deployment::mock::{Flaw, MockDeployment, KEY_CACHE_COOLDOWN, KEY_CACHE_MAX_AGE};
use authprobe::deployment::profile::TargetProfile;
use authprobe::judge::{Cause, Severity};
use authprobe::lifecycle::control::IssuerControl;
use authprobe::lifecycle::policy::{LifecyclePolicy, LifecycleSection};
use authprobe::lifecycle::{self, Backend, Kind, LifecycleRun, Measurement, Verdict};
use common::{authprobe, fresh_path};
use serde_json::Value;
use std::time::Duration;

fn policy() -> LifecyclePolicy {
    LifecycleSection {
        max_adoption_s: Some(3.0),
        max_key_cache_s: Some(5.0),
        poll_interval_ms: Some(200),
        ..LifecycleSection::default()
    }
    .policy()
    .unwrap()
}

async fn measure(flaw: Option<Flaw>, only: &[&str]) -> Vec<Measurement> {
    let mock = MockDeployment::start_lifecycle(flaw).await;
    let http = Http::new(HttpOptions::default()).unwrap();
    let endpoints = mock.endpoints();
    let run = LifecycleRun {
        http: &http,
        auth: &endpoints,
        control: IssuerControl::lab(mock.control_url()),
        policy: policy(),
        backends: vec![Backend {
            name: "mock".into(),
            url: format!("{}/api/me", endpoints.backend),
            header: "Authorization".into(),
            scheme: "Bearer".into(),
        }],
        only: only.iter().map(|s| (*s).to_owned()).collect(),
        admin: None,
        run_id: format!("lifecycle-test-{}", flaw.map_or("none", |f| f.name())),
    };
    lifecycle::run(&run).await.unwrap()
}

fn of(ms: &[Measurement], kind: Kind) -> &Measurement {
    ms.iter()
        .find(|m| m.kind == kind)
        .unwrap_or_else(|| panic!("no {kind:?} measurement in {ms:#?}"))
}

fn causes(m: &Measurement) -> Vec<Cause> {
    m.causes.iter().map(|(c, _)| *c).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_compliant_key_cache_is_within_every_bound_and_revocation_lags_are_reported() {
    let ms = measure(None, &[]).await;
    assert_eq!(ms.len(), Kind::ALL.len(), "{ms:#?}");
    for m in &ms {
        assert!(
            matches!(m.verdict, Verdict::Within | Verdict::Info),
            "{:?}: {:?} {}",
            m.kind,
            m.verdict,
            m.detail
        );
    }
    // Adoption waits for the cache's refetch cooldown, never for its age.
    let adoption = of(&ms, Kind::Adoption).value.unwrap();
    assert!(
        adoption <= KEY_CACHE_COOLDOWN.as_secs_f64() + 0.8,
        "{adoption}"
    );
    // A removed key is honoured until the cached set expires: about the cache age.
    let retirement = of(&ms, Kind::Retirement).value.unwrap();
    let age = KEY_CACHE_MAX_AGE.as_secs_f64();
    assert!(
        (age - 1.5..=age + 0.8).contains(&retirement),
        "retirement {retirement} s, cache age {age} s"
    );
    assert!(of(&ms, Kind::FetchStorm).value.unwrap() <= 3.0);
    assert_eq!(of(&ms, Kind::Outage).value, Some(0.0));
    // The slow key set (2 s) is felt by the request that fetches it.
    assert!(of(&ms, Kind::SlowKeySet).value.unwrap() >= 1.5);
    for kind in [
        Kind::SignOut,
        Kind::RevokeSessions,
        Kind::ChangePassword,
        Kind::Ban,
    ] {
        let m = of(&ms, kind);
        assert_eq!(m.verdict, Verdict::Info, "{kind:?}: {}", m.detail);
        // A stateless backend honours the JWT until it expires: 15 minutes after minting.
        let lag = m.value.unwrap();
        assert!((850.0..=900.0).contains(&lag), "{kind:?} lag {lag}");
        assert_eq!(m.bound, Some(900.0));
        assert_eq!(causes(m), vec![Cause::RevokedTokenAccepted], "{kind:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_key_cache_flaw_is_caught_with_its_finding() {
    let (forever, storm, outage) = tokio::join!(
        measure(Some(Flaw::CachesKeysForever), &["adoption", "retirement"]),
        measure(Some(Flaw::RefetchesEveryUnknownKid), &["fetch-storm"]),
        measure(Some(Flaw::ServerErrorWhenKeySetDown), &["outage"]),
    );
    let adoption = of(&forever, Kind::Adoption);
    assert_eq!(adoption.verdict, Verdict::Exceeded);
    assert_eq!(causes(adoption), vec![Cause::NewKeyNotAdopted]);
    assert!(adoption.value.is_none() && adoption.at_least.unwrap() >= 3.0);
    let retirement = of(&forever, Kind::Retirement);
    assert_eq!(retirement.verdict, Verdict::Exceeded);
    assert_eq!(causes(retirement), vec![Cause::RetiredKeyAccepted]);

    let s = of(&storm, Kind::FetchStorm);
    assert_eq!(s.verdict, Verdict::Exceeded);
    assert_eq!(s.value, Some(20.0), "{}", s.detail);
    assert_eq!(causes(s), vec![Cause::KeySetFetchAmplification]);

    let o = of(&outage, Kind::Outage);
    assert_eq!(o.verdict, Verdict::Exceeded, "{}", o.detail);
    assert_eq!(causes(o), vec![Cause::KeySetOutageServerError]);
    // Only the measurements asked for ran.
    assert_eq!(storm.len(), 1);
    assert_eq!(outage.len(), 1);
}

/// `authprobe lifecycle <args>`, its output.
fn lifecycle_cli(args: &[&str]) -> std::process::Output {
    authprobe(&[&["lifecycle"], args].concat(), None)
}

#[test]
fn the_command_reports_numbers_with_bounds_and_gates_on_findings() {
    let dir = fresh_path("lifecycle-storm");
    let out = lifecycle_cli(&[
        "--no-progress",
        "--mock-variant",
        "refetches-every-unknown-kid",
        "--only",
        "fetch-storm",
        "--fail-on",
        "medium",
        "--out",
        dir.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("L03 fetch-storm") && stdout.contains("EXCEEDED"),
        "{stdout}"
    );
    let latest = dir.join("latest");
    let report: Value =
        serde_json::from_slice(&std::fs::read(latest.join("report.json")).unwrap()).unwrap();
    let m = &report["lifecycle"][0];
    assert_eq!(m["kind"], "fetch-storm");
    assert_eq!(m["value"], 20.0);
    assert_eq!(m["bound"], 3.0);
    assert_eq!(m["verdict"]["verdict"], "exceeded");
    let case = &report["suites"][0]["cases"][0];
    assert_eq!(case["rule_id"], "AP-LC-FETCH-STORM");
    assert_eq!(case["findings"][0]["cause"], "key-set-fetch-amplification");
    assert_eq!(
        case["findings"][0]["severity"],
        Severity::Medium.to_string()
    );
    let md = std::fs::read_to_string(latest.join("summary.md")).unwrap();
    assert!(md.contains("## Lifecycle measurements (1)"), "{md}");
    assert!(md.contains("| 20 fetches | 3 fetches | EXCEEDED |"), "{md}");
    let html = std::fs::read_to_string(latest.join("report.html")).unwrap();
    assert!(html.contains("<h2>Lifecycle measurements</h2>"));
    let sarif = std::fs::read_to_string(latest.join("results.sarif")).unwrap();
    assert!(sarif.contains("AP-LC-FETCH-STORM"));

    // At the default gate (high) the same medium finding is reported and does not fail.
    let dir = fresh_path("lifecycle-storm-default");
    let out = lifecycle_cli(&[
        "--no-progress",
        "--mock-variant",
        "refetches-every-unknown-kid",
        "--only",
        "L03",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn bad_lifecycle_input_is_exit_3_naming_what_is_wrong() {
    let run = |args: &[&str]| {
        let out = lifecycle_cli(args);
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, err) = run(&["--only", "rotation-party"]);
    assert_eq!(code, Some(3));
    assert!(
        err.contains("rotation-party") && err.contains("adoption"),
        "{err}"
    );
    let (code, err) = run(&["--mock-variant", "nope"]);
    assert_eq!(code, Some(3));
    assert!(err.contains("caches-keys-forever"), "{err}");
    let (code, err) = run(&["--max-key-cache=-4"]);
    assert_eq!(code, Some(3));
    assert!(err.contains("lifecycle.max_key_cache_s"), "{err}");
}

#[test]
fn profiles_take_a_lifecycle_table_and_refuse_unknown_members_with_their_location() {
    let dir = fresh_path("lifecycle-profile");
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.toml");
    std::fs::write(
        &good,
        "[target]\nbackend_url = \"http://127.0.0.1:1\"\nauth_url = \"http://127.0.0.1:2\"\n\n\
         [lifecycle]\ncontrol_url = \"http://127.0.0.1:2/__lab\"\nmax_adoption_s = 45\n\
         max_key_cache_s = 30\npoll_interval_ms = 500\nonly = [\"adoption\", \"L07\"]\n",
    )
    .unwrap();
    let p = TargetProfile::load(&good).unwrap();
    let l = p.lifecycle.unwrap();
    let policy = l.policy().unwrap();
    assert_eq!(policy.max_adoption, Duration::from_secs(45));
    assert_eq!(policy.max_key_cache, Duration::from_secs(30));
    assert_eq!(policy.poll_interval, Duration::from_millis(500));
    assert_eq!(l.control_url.as_deref(), Some("http://127.0.0.1:2/__lab"));

    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        "[target]\nbackend_url = \"http://127.0.0.1:1\"\n\n[lifecycle]\nmax_cache = 30\n",
    )
    .unwrap();
    let err = TargetProfile::load(&bad).unwrap_err().to_string();
    assert!(
        err.contains("bad.toml") && err.contains("5:1") && err.contains("max_cache"),
        "{err}"
    );
}

#[test]
fn an_unreachable_deployment_is_exit_4_and_the_report_is_still_written() {
    let dir = fresh_path("lifecycle-unreachable");
    let out = lifecycle_cli(&[
        "--no-progress",
        "--backend-url",
        "http://127.0.0.1:9",
        "--auth-url",
        "http://127.0.0.1:9",
        "--control-url",
        "http://127.0.0.1:9/__lab",
        "--out",
        dir.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("nothing could be measured"), "{stderr}");
    let report: Value =
        serde_json::from_slice(&std::fs::read(dir.join("latest").join("report.json")).unwrap())
            .unwrap();
    let measurements = report["lifecycle"].as_array().unwrap();
    assert_eq!(measurements.len(), 10);
    assert!(measurements
        .iter()
        .all(|m| m["verdict"]["verdict"] == "error"));
}
