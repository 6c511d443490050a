//! Every protected endpoint is audited on its own: the mock backend with one weaker route
//! (`GET /api/export` reads the claims without verifying) is caught on that route only, the
//! report calls out the endpoint that accepts what the others refuse, and the endpoints come
//! from `--path`, a profile's `[[endpoint]]` entries or the backend's OpenAPI document.

mod common;

use authprobe::deployment::endpoint::Endpoint;
use authprobe::deployment::mock::{Flaw, MockDeployment};
use authprobe::deployment::profile::TargetProfile;
use authprobe::judge::Severity;
use authprobe::report::RunReport;
use authprobe::run::{self, builtin, RunConfig, TargetSpec};
use common::{authprobe_code_and_text, temp_dir};
use serde_json::Value;

const ENDPOINTS: [&str; 3] = ["/api/me", "GET /api/export", "/api/projects/42"];

async fn audit_endpoints(flaw: Option<Flaw>) -> RunReport {
    let deployment = MockDeployment::start(flaw).await;
    let mut target = TargetSpec::for_mock(&deployment);
    target.protected = ENDPOINTS
        .iter()
        .map(|e| Endpoint::parse(e).unwrap())
        .collect();
    let suites = builtin::builtin_suites().unwrap();
    // `run::audit` (one target) for the compliant mock, `run::audit_many` for the flawed one:
    // both split the target per endpoint.
    let run = if flaw.is_none() {
        run::audit(target, suites, RunConfig::default(), &|_, _| {}).await
    } else {
        run::audit_many(vec![target], suites, RunConfig::default(), &|_, _| {}).await
    };
    run.unwrap().report
}

fn gated_on(report: &RunReport, endpoint: &str) -> Vec<String> {
    report
        .all_cases()
        .filter(|c| c.target.ends_with(endpoint))
        .flat_map(|c| &c.findings)
        .filter(|f| f.severity >= Severity::High)
        .map(|f| f.rule_id.clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_weaker_route_is_caught_on_that_route_and_called_out() {
    let report = audit_endpoints(Some(Flaw::ExportSkipsSignature)).await;
    let names: Vec<&str> = report.targets.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "mock:export-route-skips-signature GET /api/me",
            "mock:export-route-skips-signature GET /api/export",
            "mock:export-route-skips-signature GET /api/projects/42"
        ]
    );
    assert!(report.targets.iter().all(|t| t.baseline_ok
        && t.endpoint_group.as_deref() == Some("mock:export-route-skips-signature")));
    let export = gated_on(&report, "GET /api/export");
    for rule in [
        "AP-A01-sig-not-checked",
        "AP-A02-sig-foreign-key",
        "AP-B01-alg-none",
    ] {
        assert!(export.iter().any(|r| r == rule), "{rule} on /api/export");
    }
    assert_eq!(gated_on(&report, "GET /api/me"), Vec::<String>::new());
    assert_eq!(
        gated_on(&report, "GET /api/projects/42"),
        Vec::<String>::new()
    );
    let [divergence] = report.endpoint_divergences.as_slice() else {
        panic!("one divergence: {:?}", report.endpoint_divergences);
    };
    assert_eq!(divergence.endpoint, "GET /api/export");
    assert_eq!(divergence.worst, Some(Severity::Critical));
    assert!(divergence.cases > 100, "{divergence:?}");
    assert_eq!(
        divergence.refused_by,
        ["GET /api/me", "GET /api/projects/42"],
        "{divergence:?}"
    );
    // The auth server's own checks run once, with the first endpoint.
    let auth_server_requests = |endpoint: &str| {
        report
            .all_cases()
            .filter(|c| c.target.ends_with(endpoint))
            .filter_map(|c| c.request.as_ref())
            .filter(|r| r.url.contains("/api/auth/"))
            .count()
    };
    assert!(auth_server_requests("GET /api/me") > 10);
    assert_eq!(auth_server_requests("GET /api/export"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_compliant_mock_passes_on_every_endpoint_with_no_divergence() {
    let report = audit_endpoints(None).await;
    assert!(report.baseline_ok, "{:?}", report.notes);
    assert_eq!(report.summary.failing, 0, "{:?}", report.summary);
    assert!(
        report.endpoint_divergences.is_empty(),
        "{:?}",
        report.endpoint_divergences
    );
    assert_eq!(report.targets.len(), 3);
}

#[test]
fn profiles_name_endpoints_and_openapi_documents() {
    let profile = TargetProfile::parse(
        "p.toml",
        r#"
[target]
name = "api"
backend_url = "http://127.0.0.1:8000"

[[endpoint]]
path = "/api/me"

[[endpoint]]
method = "post"
path = "/api/items"
status = 201
body = "{}"
content_type = "application/json"

[openapi]
methods = ["put"]
parameters = { item_id = "7" }

[[backend]]
name = "items"
url = "http://127.0.0.1:8001"
openapi = "/openapi.json"

[[backend]]
name = "users"
url = "http://127.0.0.1:8002"
[[backend.endpoint]]
path = "/users/me"
"#,
    )
    .unwrap();
    let targets = profile.targets();
    let items = &targets[0];
    assert_eq!(items.protected.len(), 2);
    assert_eq!(items.protected[1].to_string(), "POST /api/items");
    assert_eq!(items.protected[1].status, Some(201));
    let openapi = items.openapi.as_ref().unwrap();
    assert_eq!(openapi.source.as_deref(), Some("/openapi.json"));
    assert_eq!(openapi.methods, ["PUT"]);
    assert_eq!(openapi.parameters["item_id"], "7");
    let users = &targets[1];
    assert_eq!(users.protected, [Endpoint::new("GET", "/users/me")]);
    assert!(users.openapi.is_none(), "no source for this backend");
    let bad = TargetProfile::parse(
        "bad.toml",
        "[target]\nbackend_url = \"http://x\"\n[[endpoint]]\npath = \"api/me\"\n",
    )
    .unwrap_err();
    assert!(bad.to_string().contains("starts with `/`"), "{bad}");
}

#[test]
fn the_cli_reads_the_backends_openapi_document_and_reports_per_endpoint() {
    let dir = temp_dir("endpoints-openapi");
    let out = dir.to_str().unwrap();
    let (code, text) = authprobe_code_and_text(&[
        "audit",
        "--no-progress",
        "--mock-variant",
        "export-route-skips-signature",
        "--openapi",
        "/openapi.json",
        "--openapi-method",
        "post",
        "--out",
        out,
    ]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("ENDPOINT GET /api/export of mock:export-route-skips-signature accepts"),
        "{text}"
    );
    assert!(
        text.contains("GET /healthz not audited: no security requirement"),
        "{text}"
    );
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("latest/report.json")).unwrap())
            .unwrap();
    let endpoints: Vec<&str> = report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["endpoint"].as_str().unwrap())
        .collect();
    assert_eq!(
        endpoints,
        [
            "GET /api/me",
            "GET /api/export",
            "GET /api/projects/42",
            "POST /api/projects"
        ]
    );
    assert_eq!(
        report["endpoint_divergences"][0]["endpoint"],
        "GET /api/export"
    );
    let md = std::fs::read_to_string(dir.join("latest/summary.md")).unwrap();
    assert!(
        md.contains("## Endpoints that accept what others refuse"),
        "{md}"
    );
    let html = std::fs::read_to_string(dir.join("latest/report.html")).unwrap();
    assert!(html.contains("Endpoints that accept what others refuse"));
}

#[test]
fn bad_endpoints_and_documents_are_input_errors_with_their_location() {
    let dir = temp_dir("endpoints-bad");
    let out = dir.join("r");
    let out = out.to_str().unwrap();
    let (code, text) =
        authprobe_code_and_text(&["audit", "--no-progress", "--path", "api/me", "--out", out]);
    assert_eq!(code, Some(3), "{text}");
    assert!(text.contains("starts with `/`"), "{text}");
    let doc = dir.join("openapi.json");
    std::fs::write(&doc, "{\n  \"openapi\": \"3.1.0\",\n  \"paths\": {,}\n}").unwrap();
    let (code, text) = authprobe_code_and_text(&[
        "audit",
        "--no-progress",
        "--openapi",
        doc.to_str().unwrap(),
        "--out",
        out,
    ]);
    assert_eq!(code, Some(3), "{text}");
    assert!(text.contains("openapi.json:3:"), "{text}");
}
