//! What an audit is given: a broken suite file (exit 3 with file, line and column), several
//! targets from profiles in one run and one report, and a captured token alone.

use crate::common::{authprobe, fresh_path};
use crate::text;
use serde_json::Value;

#[test]
fn audit_names_the_file_line_and_column_of_a_broken_suite_with_exit_3() {
    let dir = fresh_path("cli-audit");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("broken.toml"), "[suite]\nname = \"x\"\ndescription = \"d\"\n\n[[case]]\nid = \"a\"\ntitle = \"t\"\nrule = \"AP-X\"\n[case.expect]\nstatu = 401\n").unwrap();
    let run = authprobe(
        &[
            "audit",
            "--no-progress",
            "--scenarios",
            dir.to_str().unwrap(),
            "--out",
            dir.join("r").to_str().unwrap(),
        ],
        None,
    );
    let (_, stderr) = text(&run);
    assert_eq!(run.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("broken.toml:10:1"), "{stderr}");
    assert!(stderr.contains("did you mean `status`"), "{stderr}");
}

/// A profile naming one of the in-process mocks as a live target.
fn mock_profile(
    dir: &std::path::Path,
    name: &str,
    mock: &authprobe::deployment::mock::MockDeployment,
) -> std::path::PathBuf {
    let e = mock.endpoints();
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(
        &path,
        format!(
            "[target]\nname = \"{name}\"\nbackend_url = \"{}\"\nauth_url = \"{}\"\nfrontend_origin = \"{}\"\n[contract]\nrealm = \"api\"\n",
            e.backend,
            e.auth.unwrap(),
            e.frontend_origin.unwrap()
        ),
    )
    .unwrap();
    path
}

#[test]
fn several_targets_are_audited_in_one_run_with_one_report() {
    use authprobe::deployment::mock::{Flaw, MockDeployment};
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let good = runtime.block_on(MockDeployment::start(None));
    let bad = runtime.block_on(MockDeployment::start(Some(Flaw::AcceptsAlgNone)));
    let out = fresh_path("cli-audit");
    std::fs::create_dir_all(&out).unwrap();
    let (a, b) = (
        mock_profile(&out, "orders", &good),
        mock_profile(&out, "billing", &bad),
    );
    let run = authprobe(
        &[
            "audit",
            "--no-progress",
            "--suite",
            "attacks",
            "--target",
            a.to_str().unwrap(),
            "--target",
            b.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        None,
    );
    let (stdout, stderr) = text(&run);
    assert_eq!(run.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stdout.contains("(2 targets)"), "{stdout}");
    // One line per target; only the flawed one fails the gate.
    let line = |name: &str| {
        stdout
            .lines()
            .find(|l| l.trim_start().starts_with(name))
            .unwrap_or_default()
            .to_owned()
    };
    assert!(line("billing").ends_with("FAIL"), "{stdout}");
    assert!(
        !line("orders").contains("FAIL") && line("orders").contains("0 critical"),
        "{stdout}"
    );
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("latest/report.json")).unwrap())
            .unwrap();
    let targets: Vec<&str> = report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(targets, ["orders", "billing"]);
    let failing_targets: std::collections::BTreeSet<&str> = report["suites"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["cases"].as_array().unwrap())
        .filter(|c| c["outcome"] == "fail")
        .map(|c| c["target"].as_str().unwrap())
        .collect();
    assert_eq!(
        failing_targets,
        std::collections::BTreeSet::from(["billing"])
    );
    let junit = std::fs::read_to_string(out.join("latest/junit.xml")).unwrap();
    assert!(
        junit.contains("name=\"billing/attacks\"") && junit.contains("name=\"orders/attacks\"")
    );
    drop((good, bad));
}

/// The usual pentest start: no auth server, only a captured token (and the published key set).
/// Every case that needs only a valid token runs; what needs the issuer's key or the auth server
/// is skipped with its reason, and a flawed backend is still caught.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_starts_from_a_token_alone() {
    use authprobe::deployment::http::{Http, HttpOptions};
    use authprobe::deployment::mock::{Flaw, MockDeployment};
    use authprobe::deployment::session::{bootstrap, Credentials};
    // The compliant mock; one that accepts alg none; and the compliant mock held to another
    // audience than its tokens carry (`--audience`: what the backend should demand).
    let runs = [
        (None, None),
        (Some(Flaw::AcceptsAlgNone), None),
        (None, Some("https://api.other.example")),
    ];
    for (flaw, audience) in runs {
        let mock = MockDeployment::start(flaw).await;
        let endpoints = mock.endpoints();
        let http = Http::new(HttpOptions::default()).unwrap();
        let session = bootstrap(&http, &endpoints, &Credentials::throwaway("token-only"))
            .await
            .unwrap();
        let dir = fresh_path("cli-audit");
        std::fs::create_dir_all(&dir).unwrap();
        let jwks = dir.join("jwks.json");
        std::fs::write(&jwks, session.jwks.to_string()).unwrap();
        let backend = endpoints.backend.clone();
        let token = session.jwt.clone();
        let (jwks_arg, out_arg) = (jwks.display().to_string(), dir.display().to_string());
        let out = tokio::task::spawn_blocking(move || {
            let mut args = vec![
                "audit",
                "--no-progress",
                "--backend-url",
                &backend,
                "--token",
                &token,
                "--jwks",
                &jwks_arg,
                "--out",
                &out_arg,
            ];
            if let Some(aud) = audience {
                args.extend(["--audience", aud]);
            }
            authprobe(&args, None)
        })
        .await
        .unwrap();
        let (stdout, stderr) = text(&out);
        let want = if flaw.is_some() || audience.is_some() {
            1
        } else {
            0
        };
        assert_eq!(
            out.status.code(),
            Some(want),
            "{flaw:?}\n{stdout}\n{stderr}"
        );
        let report: Value =
            serde_json::from_slice(&std::fs::read(dir.join("latest").join("report.json")).unwrap())
                .unwrap();
        assert_eq!(report["baseline_ok"], true, "{stdout}");
        let attacks = report["suites"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == "attacks")
            .expect("the attacks suite ran");
        let cases = attacks["cases"].as_array().unwrap();
        let judged = cases.iter().filter(|c| c["outcome"] != "skip").count();
        let skipped: Vec<&Value> = cases.iter().filter(|c| c["outcome"] == "skip").collect();
        assert!(
            judged >= 90,
            "only {judged} attack cases ran from the token alone: {:?}",
            skipped_reasons(cases)
        );
        // What cannot run says why: it signs as the issuer, or it is not a token at all.
        for c in &skipped {
            let why = c["message"].as_str().unwrap_or_default();
            assert!(
                why.contains("issuer's private key")
                    || why.contains("not a token")
                    || why.contains("not deliverable over HTTP"),
                "{}: skipped without a reason that says why: {why:?}",
                c["id"]
            );
        }
        let classes: Vec<&str> = cases
            .iter()
            .flat_map(|c| c["findings"].as_array().unwrap().iter())
            .filter_map(|f| f["class"].as_str())
            .collect();
        if flaw.is_some() {
            assert!(classes.contains(&"alg-none"), "{classes:?}\n{stdout}");
        }
        if audience.is_some() {
            // The backend accepts its own audience's tokens: held to another, that is the
            // finding, first on the valid-token control.
            let baseline: Vec<&str> = report["baseline"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|c| c["findings"].as_array().unwrap().iter())
                .filter_map(|f| f["cause"].as_str())
                .collect();
            assert!(
                baseline.contains(&"foreign-audience-accepted"),
                "{baseline:?}\n{stdout}"
            );
        }
        eprintln!(
            "{flaw:?}: {judged} attack cases judged; skipped: {:?}",
            skipped_reasons(cases)
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

fn skipped_reasons(cases: &[Value]) -> std::collections::BTreeMap<String, usize> {
    let mut out = std::collections::BTreeMap::new();
    for c in cases.iter().filter(|c| c["outcome"] == "skip") {
        *out.entry(c["message"].as_str().unwrap_or_default().to_owned())
            .or_insert(0) += 1;
    }
    out
}
