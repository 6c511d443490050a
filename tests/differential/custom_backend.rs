//! A backend built from the reference gate with knobs the mock lacks: challenges of the same
//! meaning in other RFC 7235 forms are no finding, and a CORS flaw only preflights show is kept
//! as a preflight finding.

use crate::{finding_case, mock_target, SEED};
use authprobe::deployment::mock::MockDeployment;
use authprobe::differential::{self, Budget, Control, Edit, FuzzConfig, FuzzOutcome, Reference};
use authprobe::jwk::KeySet;
use authprobe::Validator;
use std::sync::Arc;

/// A backend built from the reference gate (as the mock's), with knobs the mock does not have:
/// its challenges rewritten into other RFC 7235 forms of the same meaning, and CORS that only
/// goes wrong on preflights.
struct Custom {
    gate: authprobe::gate::Gate,
    keys: Arc<KeySet>,
    /// The contract's challenge → the header values sent instead.
    challenge: fn(&str) -> Vec<String>,
    reflect_preflights: bool,
}

impl wiremock::Respond for Custom {
    fn respond(&self, request: &wiremock::Request) -> wiremock::ResponseTemplate {
        use authprobe::deployment::mock::FRONTEND_ORIGIN;
        use authprobe::gate::GateRequest;
        use wiremock::ResponseTemplate;
        let origin = request.headers.get("origin").and_then(|v| v.to_str().ok());
        let granted = origin == Some(FRONTEND_ORIGIN);
        if request.method.as_str() == "OPTIONS" {
            let mut t = ResponseTemplate::new(204).insert_header("vary", "Origin");
            if let Some(o) = origin.filter(|_| granted || self.reflect_preflights) {
                t = t
                    .insert_header("access-control-allow-origin", o)
                    .insert_header("access-control-allow-methods", "GET, POST")
                    .insert_header(
                        "access-control-allow-headers",
                        "Authorization, Content-Type",
                    );
            }
            return t;
        }
        let values: Vec<Vec<u8>> = request
            .headers
            .get_all("authorization")
            .iter()
            .map(|v| v.as_bytes().to_vec())
            .collect();
        let gate_request = GateRequest {
            authorization: values.iter().map(Vec::as_slice).collect(),
            client: "127.0.0.1",
            required_scope: None,
        };
        let clock = authprobe::validate::SystemClock;
        let mut t = match self.gate.decide(&gate_request, &self.keys, &clock) {
            Ok(_) => ResponseTemplate::new(200).set_body_raw("{}", "application/json"),
            Err(denial) => {
                let r = denial.response;
                let mut t = ResponseTemplate::new(r.status);
                for (name, value) in &r.headers {
                    if *name == "www-authenticate" {
                        for v in (self.challenge)(value) {
                            t = t.append_header("WWW-Authenticate", v.as_str());
                        }
                    } else if *name != "content-type" {
                        t = t.insert_header(*name, value.as_str());
                    }
                }
                t.set_body_raw(r.body, "application/json")
            }
        };
        t = t.insert_header("vary", "Origin");
        if granted {
            t = t.insert_header("access-control-allow-origin", FRONTEND_ORIGIN);
        }
        t
    }
}

async fn fuzz_custom(
    challenge: fn(&str) -> Vec<String>,
    reflect_preflights: bool,
    config: FuzzConfig,
) -> FuzzOutcome {
    use authprobe::deployment::mock::{audit_policy, REALM};
    let deployment = MockDeployment::start(None).await;
    let jwks = deployment.state.jwks();
    let keys = Arc::new(KeySet::from_public_jwks(jwks.to_string().as_bytes()).unwrap());
    let gate = authprobe::gate::Gate::new(
        Validator::new(audit_policy(&deployment.state.origin)),
        REALM,
    );
    let server = authprobe::deployment::mock::server::Server::start().await;
    wiremock::Mock::given(wiremock::matchers::any())
        .respond_with(Custom {
            gate,
            keys,
            challenge,
            reflect_preflights,
        })
        .mount(&server)
        .await;
    let mut target = mock_target(&deployment);
    target.endpoints.backend = server.uri();
    differential::fuzz(target, config, Arc::new(Control::default()))
        .await
        .unwrap()
}

/// `Bearer realm="api", error="invalid_token", error_description="token expired"` in other
/// forms of the same meaning (RFC 7235 §2.1, §4.1): scheme and parameter-name case, parameter
/// order, token instead of quoted-string, quoted-pairs, whitespace, empty list elements, another
/// challenge before it in the same field or in a field of its own.
fn same_meaning(canonical: &str) -> Vec<String> {
    let rest = canonical.strip_prefix("Bearer ").unwrap();
    let mut params: Vec<(String, String)> = Vec::new();
    // The contract's own values hold no quote, backslash or comma.
    for p in rest.split(", ") {
        let (name, value) = p.split_once('=').unwrap();
        params.push((name.to_owned(), value.trim_matches('"').to_owned()));
    }
    params.reverse();
    let rendered: Vec<String> = params
        .iter()
        .map(|(n, v)| {
            let name = n.to_ascii_uppercase();
            if v.contains(' ') {
                format!("{name} = \"{}\"", v.replacen(' ', "\\ ", 1))
            } else {
                format!("{name}={v}")
            }
        })
        .collect();
    vec![
        r#"Basic realm="elsewhere""#.to_owned(),
        format!("DPoP algs=\"EdDSA\", bEaReR  {} ,,", rendered.join(" ,\t")),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn challenges_of_the_same_meaning_in_other_forms_are_no_finding() {
    let config = FuzzConfig {
        budget: Budget::Requests(3_000),
        seed: SEED,
        ..FuzzConfig::default()
    };
    let outcome = fuzz_custom(same_meaning, false, config).await;
    assert!(outcome.baseline_ok, "{:?}", outcome.report.notes);
    let findings: Vec<String> = outcome
        .findings
        .iter()
        .map(|f| format!("{}: {}", f.rule_id, f.cause.head.backend))
        .collect();
    assert!(findings.is_empty(), "{}", findings.join("\n"));
    assert_eq!(outcome.stats.disagreements, 0);

    // The same backend with one description changed is found, for that code only.
    fn one_wrong(canonical: &str) -> Vec<String> {
        vec![canonical.replace("\"token expired\"", "\"jwt expired\"")]
    }
    let config = FuzzConfig {
        budget: Budget::Requests(3_000),
        seed: SEED,
        ..FuzzConfig::default()
    };
    let outcome = fuzz_custom(one_wrong, false, config).await;
    let rules: Vec<(&str, &str)> = outcome
        .findings
        .iter()
        .map(|f| (f.rule_id.as_str(), f.cause.head.reference.as_str()))
        .collect();
    assert_eq!(rules, [("AP-DIFF-CHALLENGE", "TOKEN_EXPIRED")]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flaw_only_preflights_show_is_kept_as_a_preflight() {
    let config = FuzzConfig {
        budget: Budget::Requests(3_000),
        seed: SEED,
        ..FuzzConfig::default()
    };
    let outcome = fuzz_custom(|c| vec![c.to_owned()], true, config).await;
    assert!(outcome.baseline_ok);
    let mut rules: Vec<&str> = outcome
        .findings
        .iter()
        .map(|f| f.rule_id.as_str())
        .collect();
    rules.sort_unstable();
    assert_eq!(
        rules,
        ["AP-DIFF-CORS-NULL-ORIGIN", "AP-DIFF-CORS-REFLECTED-ORIGIN"]
    );
    for f in &outcome.findings {
        assert!(
            matches!(f.draft.edits.as_slice(), [Edit::Origin(_), Edit::Preflight]),
            "{:?}",
            f.draft.describe()
        );
        assert_eq!(f.reference, Reference::Preflight);
        assert!(f.rendered.preflight && f.rendered.token.is_empty());
        assert_eq!(f.request.method, "OPTIONS");
        let case = finding_case(&outcome, &f.rule_id);
        let repro = case.reproduction.as_deref().unwrap();
        let origin = f.rendered.origin.as_deref().unwrap();
        for part in [
            "curl -i -X OPTIONS ".to_owned(),
            format!("-H 'origin: {origin}'"),
            "-H 'access-control-request-method: GET'".to_owned(),
            "-H 'access-control-request-headers: authorization'".to_owned(),
        ] {
            assert!(repro.contains(&part), "{repro}");
        }
        assert!(!repro.contains("$TOKEN"), "{repro}");
        assert!(case.message.as_deref().unwrap().contains("CORS preflight"));
    }
}
