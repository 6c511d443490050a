//! Differential fuzzing (issue 8) against the embedded mock: the compliant backend gives no
//! finding over 10,000 generated requests; every one of the mock's fifteen flawed backends is
//! caught within a 60 s budget without being told what to look for (with and without the
//! catalogue's tokens as seeds): the flaws that show in a verdict or an error body by comparing
//! verdicts, `no-www-authenticate` by judging each refusal's challenge against the contract's row,
//! and `cors-reflects-any-origin` by judging the CORS answers to the `Origin` headers and
//! preflights the generator sends. Findings are shrunk (keeping the envelope that triggers them),
//! de-duplicated and reported redacted; the same seed gives the same drafts.

mod common;

use authprobe::deployment::mock::{Flaw, MockDeployment};
use authprobe::deployment::profile::PolicySection;
use authprobe::differential::{
    self, Budget, Class, Control, Draft, Edit, FuzzConfig, FuzzOutcome, Generator, Material,
    MaterialInput, Oracle, Reference, Shape,
};
use authprobe::judge::Cause;
use authprobe::jwk::KeySet;
use authprobe::report::{self, Outcome};
use authprobe::run::TargetSpec;
use authprobe::sign::SigningKey;
use authprobe::token::Token;
use authprobe::{ErrorCode, Validator};
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

const SEED: u64 = 0x5eed_0008;

fn mock_target(deployment: &MockDeployment) -> TargetSpec {
    TargetSpec::for_mock(deployment)
}

/// Fails with every finding's rule and edits listed when the run made any.
fn assert_no_findings(outcome: &FuzzOutcome, target: &str) {
    let findings: Vec<String> = outcome
        .findings
        .iter()
        .map(|f| format!("{}: {}", f.rule_id, f.draft.describe().join("; ")))
        .collect();
    assert!(
        findings.is_empty(),
        "findings on {target}:\n{}",
        findings.join("\n")
    );
}

async fn fuzz_mock(flaw: Option<Flaw>, config: FuzzConfig) -> FuzzOutcome {
    let deployment = MockDeployment::start(flaw).await;
    let target = mock_target(&deployment);
    differential::fuzz(target, config, Arc::new(Control::default()))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_compliant_mock_agrees_on_10000_generated_tokens() {
    let config = FuzzConfig {
        budget: Budget::Requests(10_000),
        seed: SEED,
        ..FuzzConfig::default()
    };
    let outcome = fuzz_mock(None, config).await;
    assert!(outcome.baseline_ok, "{:?}", outcome.report.notes);
    let s = outcome.stats;
    assert_eq!(s.tokens, 10_000, "{s:?}");
    assert_no_findings(&outcome, "the compliant mock");
    assert_eq!(s.disagreements, 0, "{s:?}");
    // The envelope was varied too: about 3 % preflights (and 12 % of the rest with an Origin),
    // every refusal's challenge judged.
    assert!((150..=450).contains(&s.preflights), "{s:?}");
    // Nearly every token is judged: only time-boundary tokens and unsendable bytes are not.
    assert!(s.inconclusive + s.unsendable < 100, "{s:?}");
    eprintln!(
        "compliant mock: {} requests ({} preflights) in {:.1} s ({:.0}/s), {} inconclusive, {} unsendable",
        s.requests,
        s.preflights,
        outcome.elapsed.as_secs_f64(),
        outcome.requests_per_sec(),
        s.inconclusive,
        s.unsendable
    );
    let r = &outcome.report;
    assert!(r.baseline_ok);
    assert_eq!(r.summary.failed, 0, "{:?}", r.summary);
    assert_eq!(r.suites.len(), 1);
    assert_eq!(r.suites[0].name, "differential");
    assert_eq!(r.suites[0].cases[0].id, "summary");
    assert!(r.suites[0].cases[0]
        .message
        .as_deref()
        .is_some_and(|m| m.contains(&format!("seed {SEED}"))));
    let dir = common::fresh_path("differential-compliant");
    report::write_all(r, &dir).unwrap();
    let _ = std::fs::remove_dir_all(dir);
}

/// The rule ids a first finding against each flaw may carry.
fn expected_rules(flaw: Flaw) -> &'static [&'static str] {
    match flaw {
        Flaw::CachesKeysForever
        | Flaw::RefetchesEveryUnknownKid
        | Flaw::ServerErrorWhenKeySetDown => {
            unreachable!("a key-cache flaw: only `lifecycle` shows it (tests/lifecycle.rs)")
        }
        Flaw::SlowOnHugeTokens => {
            unreachable!(
                "a denial-of-service flaw: the slow-answer check shows it (tests/slow_answers.rs)"
            )
        }
        Flaw::CookieContractTakesQueryToken => {
            unreachable!(
                "a cookie-contract flaw: the placement suite shows it (tests/placement.rs)"
            )
        }
        Flaw::ExportSkipsSignature => {
            unreachable!("an endpoint flaw: fuzzing /api/me cannot show it (tests/endpoints.rs)")
        }
        Flaw::AcceptsAlgNone
        | Flaw::NoSignatureCheck
        | Flaw::PublicKeyAsHmacSecret
        | Flaw::KidPathTraversal => &["AP-DIFF-ACCEPTS-"],
        Flaw::IgnoresExp => &["AP-DIFF-ACCEPTS-TOKEN_EXPIRED"],
        Flaw::OneDayLeeway => &[
            "AP-DIFF-ACCEPTS-TOKEN_EXPIRED",
            "AP-DIFF-ACCEPTS-TOKEN_NOT_YET_VALID",
            "AP-DIFF-ACCEPTS-TOKEN_ISSUED_IN_FUTURE",
        ],
        Flaw::IgnoresAudience => &[
            "AP-DIFF-ACCEPTS-INVALID_AUDIENCE",
            "AP-DIFF-ACCEPTS-INVALID_CLAIM",
        ],
        Flaw::SubstringIssuer => &["AP-DIFF-ACCEPTS-INVALID_ISSUER"],
        // Accepted with an embedded key; shrinking ends at FORBIDDEN_HEADER_PARAMETER unless
        // shrinking stops early on an earlier check (a malformed kid, say).
        Flaw::TrustsHeaderJwk => &["AP-DIFF-ACCEPTS-"],
        Flaw::IgnoresUnknownCrit => &["AP-DIFF-ACCEPTS-FORBIDDEN_HEADER_PARAMETER"],
        Flaw::FetchesJku => &["AP-DIFF-OOB-FETCH", "AP-DIFF-ACCEPTS-"],
        Flaw::ServerErrorOnMalformed => &["AP-DIFF-SERVER-ERROR-MALFORMED_TOKEN"],
        Flaw::EchoesException => &["AP-DIFF-LEAK"],
        Flaw::NoWwwAuthenticate => &["AP-DIFF-CHALLENGE"],
        // A foreign origin or null echoed with credentials; credentials for the front end too.
        Flaw::ReflectsAnyOrigin => &[
            "AP-DIFF-CORS-REFLECTED-ORIGIN",
            "AP-DIFF-CORS-NULL-ORIGIN",
            "AP-DIFF-CORS-CREDENTIALS",
        ],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_flaw_is_found_within_60_s() {
    let budget = Duration::from_secs(60);
    let mut table = Vec::new();
    let mut missed = Vec::new();
    for flaw in Flaw::ALL {
        for catalogue_seeds in [true, false] {
            let config = FuzzConfig {
                budget: Budget::Time(budget),
                seed: SEED,
                catalogue_seeds,
                stop_after_findings: Some(1),
                ..FuzzConfig::default()
            };
            let started = Instant::now();
            let outcome = fuzz_mock(Some(flaw), config).await;
            let wall = started.elapsed();
            assert!(outcome.baseline_ok, "{flaw}: {:?}", outcome.report.notes);
            let Some(first) = outcome.findings.first() else {
                missed.push(format!(
                    "{flaw} (catalogue seeds {catalogue_seeds}): no finding in {:.1} s, {} requests",
                    outcome.elapsed.as_secs_f64(),
                    outcome.stats.requests
                ));
                continue;
            };
            assert!(
                first.found_after < budget,
                "{flaw}: found after {:?}",
                first.found_after
            );
            assert!(
                expected_rules(flaw)
                    .iter()
                    .any(|r| first.rule_id.starts_with(r)),
                "{flaw}: unexpected first finding {} ({})",
                first.rule_id,
                first.draft.describe().join("; ")
            );
            table.push(format!(
                "{:<28} catalogue {:<5} found after {:>6.3} s / {:>6} requests, reported after {:>6.3} s; {} -> {} edits: {}",
                flaw.name(),
                catalogue_seeds,
                first.found_after.as_secs_f64(),
                first.found_after_requests,
                first.reported_after.as_secs_f64(),
                first.edits_before,
                first.draft.edits.len(),
                first.rule_id
            ));
            // The whole run, mock start-up and shrinking included, stays far below the budget.
            assert!(wall < budget, "{flaw}: run took {wall:?}");
        }
    }
    eprintln!("time to first finding:\n{}", table.join("\n"));
    assert!(missed.is_empty(), "{}", missed.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn findings_are_shrunk_deduplicated_and_reported_redacted() {
    let config = FuzzConfig {
        budget: Budget::Requests(4_000),
        seed: SEED,
        ..FuzzConfig::default()
    };
    let outcome = fuzz_mock(Some(Flaw::IgnoresExp), config).await;
    // One disagreement: the backend skips the exp check (and, the mock's gate returning early,
    // the checks after it). Graded by what the accepted token shows: well past exp (high),
    // within skew or an exp no real token has (info), another audience or issuer (high); each
    // cause once.
    let rules: BTreeSet<&str> = outcome
        .findings
        .iter()
        .map(|f| f.rule_id.as_str())
        .collect();
    assert_eq!(
        rules,
        BTreeSet::from(["AP-DIFF-ACCEPTS-TOKEN_EXPIRED"]),
        "{rules:?}"
    );
    let causes: Vec<Cause> = outcome
        .findings
        .iter()
        .map(|f| f.cause.head.cause)
        .collect();

    let unique: BTreeSet<&Cause> = causes.iter().collect();
    assert_eq!(
        unique.len(),
        causes.len(),
        "one finding per cause: {causes:?}"
    );
    assert!(
        causes
            .iter()
            .all(|c| c.class() != authprobe::judge::FlawClass::SignatureNotVerified),
        "{causes:?}"
    );
    let f = outcome
        .findings
        .iter()
        .find(|f| f.cause.head.cause == Cause::ExpiredTokenAccepted)
        .expect("the expired token accepted, graded high");
    assert_eq!(f.severity, authprobe::judge::Severity::High);
    assert_eq!(f.cause.head.class, Class::Accepts);
    assert_eq!(f.reference, Reference::Rejected(ErrorCode::TokenExpired));
    assert!(f.occurrences >= 2, "{}", f.occurrences);
    // Minimal: an exp in the past, and the issuer's signature over it (which disagreeing token
    // is shrunk first depends on timing, so the exact edits may vary a little).
    let kinds = f.draft.kinds();
    assert!(
        kinds.contains("sign:issuer") && f.draft.edits.len() <= 3,
        "{kinds:?}: {:?}",
        f.draft.describe()
    );
    assert!(f.draft.edits.len() < f.edits_before || f.edits_before <= 3);
    assert!((200..300).contains(&f.response.status));
    // The minimal token still disagrees: the reference rejects it as expired.
    let token = Token::parse(&f.rendered.token).unwrap();
    let exp = token.unverified_claims(16).unwrap()["exp"]
        .as_f64()
        .unwrap();
    assert!(exp < (time_now() - 30) as f64);

    let case = outcome
        .report
        .suites
        .iter()
        .flat_map(|s| &s.cases)
        .find(|c| {
            c.rule_id == "AP-DIFF-ACCEPTS-TOKEN_EXPIRED"
                && c.findings[0].cause == Some(Cause::ExpiredTokenAccepted)
        })
        .unwrap();
    assert_eq!(case.outcome, Outcome::Fail);
    let repro = case.reproduction.as_deref().unwrap();
    assert!(repro.starts_with("curl "), "{repro}");
    assert!(repro.contains("$TOKEN"), "{repro}");
    assert!(!repro.contains(&f.rendered.token), "{repro}");
    assert!(case.message.as_deref().unwrap().contains("\"exp\""));
    assert!(outcome.report.summary.findings >= 1);
    let dir = common::fresh_path("differential-ignores-exp");
    let written = report::write_all(&outcome.report, &dir).unwrap();
    for path in written {
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains(&f.rendered.token), "{}", path.display());
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// The two flaws of the envelope: one finding per cause, shrunk to what triggers it (any refusal
/// for the challenge; the Origin alone, on the starting token, for CORS), with a reproduction
/// that carries the envelope.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn envelope_findings_are_deduplicated_shrunk_and_reproducible() {
    use authprobe::deployment::mock::FRONTEND_ORIGIN;
    use authprobe::report::FindingKind;
    let config = || FuzzConfig {
        budget: Budget::Requests(4_000),
        seed: SEED,
        ..FuzzConfig::default()
    };

    let outcome = fuzz_mock(Some(Flaw::NoWwwAuthenticate), config()).await;
    let rules: Vec<&str> = outcome
        .findings
        .iter()
        .map(|f| f.rule_id.as_str())
        .collect();
    assert_eq!(rules, ["AP-DIFF-CHALLENGE"], "{rules:?}");
    let f = &outcome.findings[0];
    assert_eq!(f.cause.head.class, Class::Challenge);
    assert_eq!(f.kind, FindingKind::Contract);
    // Every refusal lacks it, whatever its code: one cause.
    assert!(f.occurrences > 100, "{}", f.occurrences);
    assert!(f.draft.edits.len() <= 2, "{:?}", f.draft.describe());
    assert!(!f.draft.kinds().iter().any(|k| k.starts_with("origin:")));
    assert!(matches!(f.reference, Reference::Rejected(_)));
    assert!(!(200..300).contains(&f.response.status));
    assert!(f.response.header("www-authenticate").is_none());
    let case = finding_case(&outcome, "AP-DIFF-CHALLENGE");
    assert!(
        case.expected.contains("WWW-Authenticate: Bearer realm="),
        "{}",
        case.expected
    );
    assert!(case
        .reproduction
        .as_deref()
        .unwrap()
        .starts_with("curl -i -X GET "));

    let outcome = fuzz_mock(Some(Flaw::ReflectsAnyOrigin), config()).await;
    let mut rules: Vec<&str> = outcome
        .findings
        .iter()
        .map(|f| f.rule_id.as_str())
        .collect();
    rules.sort_unstable();
    assert_eq!(
        rules,
        [
            "AP-DIFF-CORS-CREDENTIALS",
            "AP-DIFF-CORS-NULL-ORIGIN",
            "AP-DIFF-CORS-REFLECTED-ORIGIN"
        ]
    );
    for f in &outcome.findings {
        // Minimal: the starting token with the Origin that shows it (a preflight shrinks to the
        // request itself, which the mock answers the same way).
        assert!(
            matches!(f.draft.edits.as_slice(), [Edit::Origin(_)]),
            "{}: {:?}",
            f.rule_id,
            f.draft.describe()
        );
        let origin = f.rendered.origin.as_deref().unwrap();
        assert_eq!(
            f.response.header("access-control-allow-origin"),
            Some(origin)
        );
        let case = finding_case(&outcome, &f.rule_id);
        let repro = case.reproduction.as_deref().unwrap();
        assert!(repro.contains(&format!("-H 'origin: {origin}'")), "{repro}");
        match f.rule_id.as_str() {
            "AP-DIFF-CORS-REFLECTED-ORIGIN" => {
                assert!(origin != FRONTEND_ORIGIN && origin != "null");
                assert_eq!(f.cause.head.class, Class::CorsGrant);
                assert_eq!(f.kind, FindingKind::Security);
                assert_eq!(
                    f.response.header("access-control-allow-credentials"),
                    Some("true")
                );
            }
            "AP-DIFF-CORS-NULL-ORIGIN" => assert_eq!(origin, "null"),
            _ => {
                assert_eq!(origin, FRONTEND_ORIGIN);
                assert_eq!(f.cause.head.class, Class::Cors);
                assert_eq!(f.kind, FindingKind::Contract);
            }
        }
    }
}

fn finding_case<'a>(outcome: &'a FuzzOutcome, rule: &str) -> &'a authprobe::report::CaseResult {
    outcome
        .report
        .suites
        .iter()
        .flat_map(|s| &s.cases)
        .find(|c| c.rule_id == rule)
        .unwrap_or_else(|| panic!("no case {rule}"))
}

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

fn time_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The Better Auth sample fixture as fuzzing material (no backend needed).
fn sample_material(catalogue: bool, attacker_seed: u64) -> (Arc<Material>, Oracle) {
    let sample = common::Sample::load();
    let base = Token::parse(&sample.token).unwrap();
    let jwks: Value = serde_json::from_str(&sample.jwks).unwrap();
    let published: Vec<Map<String, Value>> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_object().unwrap().clone())
        .collect();
    let keys = KeySet::from_public_jwks(sample.jwks.as_bytes()).unwrap();
    let material = Material::new(MaterialInput {
        base: &base,
        published: &published,
        keys: &keys,
        issuer_key: Some(sample.key),
        attacker: differential::attacker_keys(attacker_seed).unwrap(),
        oob_base: "http://127.0.0.1:9".into(),
        shape: Shape::Bearer,
        catalogue,
        now: common::NOW,
        frontend_origin: Some("http://127.0.0.1:5173"),
    });
    let policy = differential::reference_policy(
        common::ISSUER,
        authprobe::Algorithm::EdDSA,
        &PolicySection::default(),
    )
    .unwrap();
    let oracle = Oracle::new(Validator::new(policy), sample.keys, true);
    (Arc::new(material), oracle)
}

#[test]
fn the_same_seed_gives_the_same_tokens() {
    const N: u64 = 2_000;
    let (material, oracle) = sample_material(true, 7);
    assert!(material.seeds().len() > 500, "{}", material.seeds().len());
    let a = Generator::new(material.clone(), 42);
    let b = Generator::new(material.clone(), 42);
    let c = Generator::new(material.clone(), 43);
    let mut compared = 0;
    let mut differs_from_other_seed = 0;
    for i in 0..N {
        let (da, db) = (a.draft(i), b.draft(i));
        assert_eq!(da, db, "draft {i}");
        let ra = material.render(&da, common::NOW, i);
        let rb = material.render(&db, common::NOW, i);
        if !ra.randomized {
            assert!(ra == rb, "token {i} differs: {:?}", da.describe());
            compared += 1;
        }
        if c.draft(i) != da {
            differs_from_other_seed += 1;
        }
        // Judging is deterministic too.
        assert_eq!(
            oracle.judge(&ra.value_bytes(), ra.token.as_bytes(), common::NOW),
            {
                let rb = material.render(&da, common::NOW, i);
                oracle.judge(&rb.value_bytes(), rb.token.as_bytes(), common::NOW)
            }
        );
    }
    assert!(compared > N * 9 / 10, "{compared}");
    assert!(
        differs_from_other_seed > N * 9 / 10,
        "{differs_from_other_seed}"
    );

    // Independently built material (Ed25519 and HMAC attacker keys follow from the seed):
    // the same drafts, and the same bytes for every token not signed with a fresh EC/RSA key.
    let (m1, _) = sample_material(false, 9);
    let (m2, _) = sample_material(false, 9);
    let (g1, g2) = (Generator::new(m1.clone(), 1), Generator::new(m2.clone(), 1));
    let mut same = 0;
    for i in 0..500 {
        let (d1, d2) = (g1.draft(i), g2.draft(i));
        assert_eq!(d1, d2);
        if m1.render(&d1, common::NOW, i) == m2.render(&d2, common::NOW, i) {
            same += 1;
        }
    }
    assert!(same > 450, "{same}");
}

#[test]
fn the_oracle_judges_the_bytes_the_backend_receives() {
    let (material, oracle) = sample_material(false, 1);
    let base = Draft {
        index: 0,
        origin: None,
        edits: vec![],
    };
    let r = material.render(&base, common::NOW, 0);
    assert_eq!(r.token, common::Sample::load().token);
    assert_eq!(r.values, [format!("Bearer {}", r.token)]);
    assert_eq!(
        oracle.judge(&r.value_bytes(), r.token.as_bytes(), common::NOW),
        Some(Reference::Accepted)
    );
    // Expired at the fixture's exp + leeway; inconclusive within ±2 s of that boundary.
    let exp = 1_795_691_524;
    assert_eq!(
        oracle.judge(&r.value_bytes(), r.token.as_bytes(), exp + 40),
        Some(Reference::Rejected(ErrorCode::TokenExpired))
    );
    assert_eq!(
        oracle.judge(&r.value_bytes(), r.token.as_bytes(), exp + 30),
        None
    );
    // A credential outside RFC 6750's b64token grammar never reaches the token check.
    let mut spaced = r.clone();
    spaced.values = vec![format!("Bearer {} x", r.token)];
    assert_eq!(
        oracle.judge(&spaced.value_bytes(), spaced.token.as_bytes(), common::NOW),
        Some(Reference::Rejected(ErrorCode::MalformedAuthorization))
    );
}

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
