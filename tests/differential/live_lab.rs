//! The real lab of deploy/ (ignored unless it runs): no disagreement, white-box and black-box.

use crate::{assert_no_findings, SEED};
use authprobe::differential::{self, Budget, Control, FuzzConfig};
use authprobe::run::TargetSpec;
use authprobe::sign::SigningKey;
use serde_json::{Map, Value};
use std::sync::Arc;

/// The real lab of deploy/ (Better Auth + FastAPI/PyJWT): no disagreement (verdict, challenge or
/// CORS) over a CI-sized budget, white-box (claim edits re-signed with the exported issuer key)
/// and black-box. Needs the lab
/// (`deploy/install.sh && deploy/start.sh`); run with `cargo test --test differential -- --ignored`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the live lab: deploy/start.sh, then run with --ignored"]
async fn the_live_lab_agrees_with_the_reference_validator() {
    use authprobe::deployment::profile::TargetProfile;
    use authprobe::deployment::Endpoints;
    // The checkout `cargo test` runs in (a shared target dir may hold a binary compiled in
    // another clone of the same commit).
    let root = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    let root = root.as_path();
    let profile = TargetProfile::load(&root.join("deploy/target.toml")).unwrap();
    let out = std::process::Command::new("bash")
        .arg(root.join("deploy/export-signing-key.sh"))
        .output()
        .expect("deploy/export-signing-key.sh runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let jwk: Map<String, Value> = serde_json::from_slice(&out.stdout).unwrap();
    for (white_box, requests) in [(true, 3_000), (false, 1_000)] {
        let t = &profile.target;
        let mut target = TargetSpec::new(
            "deploy",
            "live",
            Endpoints {
                backend: t.backend_url.clone(),
                auth: t.auth_url.clone(),
                auth_base_path: t.auth_base_path.clone(),
                backend_key_set_down: None,
                backend_rate_limited: None,
                frontend_origin: t.frontend_origin.clone(),
            },
        );
        target.issuer_keys = white_box
            .then(|| SigningKey::from_private_jwk(&jwk).unwrap())
            .into_iter()
            .collect();
        target.placement = profile.token.clone();
        target.contract = profile.contract.clone();
        target.auth_rate_limiting = t.auth_rate_limiting;
        target.policy = profile.policy.clone();
        let config = FuzzConfig {
            budget: Budget::Requests(requests),
            seed: SEED,
            ..FuzzConfig::default()
        };
        let outcome = differential::fuzz(target, config, Arc::new(Control::default()))
            .await
            .unwrap();
        assert!(outcome.baseline_ok, "{:?}", outcome.report.notes);
        assert_eq!(outcome.stats.tokens, requests);
        // The envelope too: preflights and Origins (the profile names the front end), and
        // every refusal's challenge against the profile's realm.
        assert!(outcome.stats.preflights > 0, "{:?}", outcome.stats);
        assert_no_findings(&outcome, &format!("the live lab, white-box {white_box}"));
        eprintln!(
            "live lab (white-box {white_box}): {} requests ({} preflights), {:.0}/s, no finding",
            outcome.stats.requests,
            outcome.stats.preflights,
            outcome.requests_per_sec()
        );
    }
}
