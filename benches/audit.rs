//! A full audit of every built-in suite against the in-process mock deployment (compliant
//! variant), end to end as `authprobe audit` runs it: load the built-in suites, start the mock
//! (auth server and three backend instances on loopback), run, drop. On a tokio runtime with two
//! worker threads, the size of the reference machine.
//!
//! One audit takes a fraction of a second, so this bench uses ten flat samples of one audit each;
//! before measuring it runs one audit and prints its case counts.

use authprobe::deployment::mock::MockDeployment;
use authprobe::report::{Outcome, RunReport};
use authprobe::run::{self, builtin, RunConfig, TargetSpec};
use authprobe::sign::SigningKey;
use criterion::{criterion_group, criterion_main, Criterion, SamplingMode};
use serde_json::Value;
use std::time::{Duration, Instant};

/// The same setup as tests/flawed_backends.rs and `authprobe audit` with no target.
async fn audit_mock() -> RunReport {
    let suites = builtin::builtin_suites().expect("built-in suites load");
    let deployment = MockDeployment::start(None).await;
    let mut jwk = deployment.issuer_key().public_jwk(None, None);
    jwk.insert(
        "d".into(),
        Value::String(deployment.issuer_key().secret_material().remove(0)),
    );
    let mut target = TargetSpec::new("mock", "mock", deployment.endpoints());
    target.issuer_keys = vec![SigningKey::from_private_jwk(&jwk).expect("mock key")];
    target.auth_rate_limiting = true;
    let report = run::audit(target, suites, RunConfig::default(), &|_, _| {})
        .await
        .expect("the audit runs")
        .report;
    drop(deployment);
    report
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn audit(c: &mut Criterion) {
    let rt = runtime();
    let started = Instant::now();
    let report = rt.block_on(audit_mock());
    let wall = started.elapsed();
    let count = |o: Outcome| report.all_cases().filter(|c| c.outcome == o).count();
    eprintln!(
        "mock audit: {} cases ({} pass, {} fail, {} skip, {} error) in {} suites, {:.3} s wall, baseline ok: {}",
        report.all_cases().count(),
        count(Outcome::Pass),
        count(Outcome::Fail),
        count(Outcome::Skip),
        count(Outcome::Error),
        report.suites.len(),
        wall.as_secs_f64(),
        report.baseline_ok,
    );
    assert!(report.baseline_ok, "the compliant mock passes its baseline");
    assert_eq!(
        count(Outcome::Fail) + count(Outcome::Error),
        0,
        "compliant mock"
    );

    let mut group = c.benchmark_group("audit");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(8));
    group.bench_function("mock/builtin-suites", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let started = Instant::now();
                let report = rt.block_on(audit_mock());
                total += started.elapsed();
                assert!(report.baseline_ok);
            }
            total
        })
    });
    group.finish();
}

criterion_group!(benches, audit);
criterion_main!(benches);
