//! The audit of one target: session and token, published keys, the reference oracle, the
//! baseline, every suite's cases, late out-of-band fetches, slow answers re-sent, the report.

use super::*;

pub(super) async fn audit_target(
    target: TargetSpec,
    suites: &[Suite],
    config: &RunConfig,
    progress: Progress<'_>,
    shared: &Shared,
) -> Result<AuditOutcome, AuditError> {
    let started = Instant::now();
    let now = unix_now();
    let run_id = format!(
        "{}-{}",
        rfc3339(now).replace([':', '-'], ""),
        target.variant.as_deref().unwrap_or(&target.kind)
    );
    let http = &shared.http;
    let attacker = shared.attacker.clone();
    let mut notes = target.setup_notes.clone();
    let mut unreachable = false;
    let protected = target.protected.first().cloned().unwrap_or_default();

    // Session and base token.
    let mut session = None;
    if target.endpoints.auth.is_some() {
        let creds = target
            .credentials
            .clone()
            .unwrap_or_else(|| Credentials::throwaway(&run_id));
        match shared.session(&target.endpoints, &creds).await {
            Ok(s) => session = Some(s),
            Err((e, down)) => {
                unreachable |= down;
                notes.push(format!("could not get a session from the auth server: {e}"));
            }
        }
    }
    let base_text = session
        .as_ref()
        .map(|s| s.jwt.clone())
        .or(target.token.clone());
    let base = base_text.as_deref().and_then(|t| Token::parse(t).ok());
    if base_text.is_some() && base.is_none() {
        notes.push("the starting token is not a compact JWS".into());
    }
    let jwks = session
        .as_ref()
        .map(|s| s.jwks.clone())
        .or_else(|| target.jwks.clone());
    let published: Vec<Map<String, Value>> = jwks
        .as_ref()
        .and_then(|j| j["keys"].as_array())
        .map(|a| a.iter().filter_map(|k| k.as_object().cloned()).collect())
        .unwrap_or_default();
    let oracle = match (&base, &jwks) {
        (Some(base), Some(jwks)) => match reference_oracle(base, jwks, &target) {
            Ok(o) => Some(o),
            Err(e) => {
                notes.push(format!(
                    "no reference verdicts (suite expectations judge instead): {e}"
                ));
                None
            }
        },
        _ => None,
    };
    let kids: Vec<String> = published
        .iter()
        .filter_map(|k| k.get("kid").and_then(Value::as_str).map(str::to_owned))
        .collect();
    let mut oob_kids: Vec<&str> = vec!["authprobe-attacker"];
    oob_kids.extend(kids.iter().map(String::as_str));
    let oob = match &shared.oob_hub {
        Some(hub) => OobServer::on_hub(hub, &attacker, &oob_kids).await,
        None => OobServer::start(&attacker, &oob_kids).await,
    };

    let mut secrets = Vec::new();
    if let Some(s) = &session {
        secrets.extend([
            s.jwt.clone(),
            s.session_token.clone(),
            s.cookie.clone(),
            s.password.clone(),
        ]);
    }
    if let Some(t) = &base_text {
        secrets.push(t.clone());
    }
    let (issuer_key, key_note) = pick_issuer_key(target.issuer_keys, jwks.as_ref());
    notes.extend(key_note);
    if let Some(k) = &issuer_key {
        secrets.extend(k.secret_material());
    }
    secrets.retain(|s| s.len() >= 8);

    let ctx = Context {
        endpoints: target.endpoints.clone(),
        issuer_key,
        attacker,
        oob_base: oob.base_url(),
        base,
        published,
        session,
        now,
        placement: target.placement.clone(),
        contract: target.contract.clone(),
        secrets,
        auth_rate_limiting: target.auth_rate_limiting,
        oracle,
        auth_server_audited_by: target.auth_server_audited_by.clone(),
        protected,
    };

    let runner = Runner {
        ctx: &ctx,
        http,
        config,
        consecutive_connect_errors: AtomicUsize::new(0),
        timeouts: AtomicUsize::new(0),
        done: AtomicUsize::new(0),
    };
    let deadline = config.budget.map(|b| started + b);

    // Baseline controls.
    let baseline_items = runner.baseline_items();
    let total_estimate = baseline_items.len() + suites.iter().map(|s| s.cases.len()).sum::<usize>();
    let mut baseline = Vec::new();
    for item in &baseline_items {
        baseline.push(
            runner
                .run_item(item, &oob, deadline, progress, total_estimate)
                .await,
        );
    }
    // The controls decide whether the target is set up right: the valid token accepted, the
    // others refused. Anything else they find (a 5xx, a leak) is a finding, not a setup error.
    let baseline_ok = baseline.iter().zip(&baseline_items).all(|(c, item)| {
        let status = c.observed.as_ref().map(|o| o.status);
        match item.judgement.outcome {
            Some(crate::scenario::ExpectedOutcome::Accepted) => {
                status.is_some_and(|s| ctx.protected.accepts(s))
            }
            _ => status.is_some_and(|s| !(200..300).contains(&s)),
        }
    });
    if runner.target_down() {
        unreachable = true;
    }
    if !baseline_ok {
        notes.push(baseline_diagnosis(&baseline));
    }

    let mut suite_results = Vec::new();
    let mut slow_candidates: Vec<(usize, usize, Item)> = Vec::new();
    if let Some(s) = &ctx.session {
        suite_results.push(key_set_check(&s.jwks));
    }
    for suite in suites {
        let mut cases = Vec::new();
        if !baseline_ok || unreachable {
            let reason = if unreachable {
                "the target is unreachable"
            } else {
                "baseline controls failed: the target or its configuration is wrong, cases were not judged"
            };
            for case in &suite.cases {
                cases.push(skipped_result(&suite.suite.name, case, reason));
            }
            suite_results.push(SuiteResult {
                target: String::new(),
                name: suite.suite.name.clone(),
                description: suite.suite.description.clone(),
                cases,
            });
            continue;
        }
        if ctx.endpoints.auth.is_none() && suite.flows.iter().any(|f| f.server == Server::Auth) {
            // No auth server to sign in, sign out or mint at (an audit started from a token).
            let reason = "needs the auth server for its flow (the target names none: auth_url)";
            suite_results.push(SuiteResult {
                target: String::new(),
                name: suite.suite.name.clone(),
                description: suite.suite.description.clone(),
                cases: suite
                    .cases
                    .iter()
                    .map(|c| skipped_result(&suite.suite.name, c, reason))
                    .collect(),
            });
            continue;
        }
        let mut vars = ctx.variables();
        // Flows that only talk to the auth server (sign in, get a token, sign out) run once per
        // auth server and session; every backend behind it is judged on their captures.
        let shareable = !suite.flows.is_empty()
            && suite.flows.iter().all(|f| f.server == Server::Auth)
            && ctx.endpoints.auth.is_some();
        let flows_ok = if shareable {
            let key = format!(
                "{}{}\u{0}{}\u{0}{}",
                ctx.endpoints.auth.as_deref().unwrap_or_default(),
                ctx.endpoints.auth_base_path,
                vars.get("user_email").map_or("", String::as_str),
                suite.suite.name
            );
            let cell = shared.flows.lock().await.entry(key).or_default().clone();
            let captured = cell
                .get_or_init(|| async {
                    let mut v = vars.clone();
                    let mut flow_notes = Vec::new();
                    let ok = runner.run_flows(suite, &mut v, &mut flow_notes).await;
                    (ok, v, flow_notes)
                })
                .await;
            vars.clone_from(&captured.1);
            notes.extend(captured.2.iter().cloned());
            captured.0
        } else {
            runner.run_flows(suite, &mut vars, &mut notes).await
        };
        let items = if flows_ok {
            plan::expand(&ctx, suite, &vars)
        } else {
            // Variables the failed flow should have set are missing; nothing can be judged.
            let mut items = plan::expand(&ctx, suite, &vars);
            for it in &mut items {
                it.skip = Some("a flow step of this suite failed".into());
            }
            items
        };
        let (exclusive, concurrent): (Vec<&Item>, Vec<&Item>) =
            items.iter().partition(|i| i.exclusive);
        let total = total_estimate.max(items.len());
        let mut results: Vec<(usize, CaseResult)> =
            futures::stream::iter(concurrent.iter().enumerate())
                .map(|(n, item)| {
                    let runner = &runner;
                    let oob = &oob;
                    async move {
                        (
                            n,
                            runner.run_item(item, oob, deadline, progress, total).await,
                        )
                    }
                })
                .buffer_unordered(config.concurrency.max(1))
                .collect()
                .await;
        results.sort_by_key(|(n, _)| *n);
        cases.extend(results.into_iter().map(|(_, r)| r));
        for item in exclusive.iter().copied() {
            cases.push(runner.run_item(item, &oob, deadline, progress, total).await);
        }
        // Answers that took long under the run's load are re-measured alone at the end.
        let suite_index = suite_results.len();
        for (case_index, (case, item)) in cases
            .iter()
            .zip(concurrent.iter().chain(exclusive.iter()))
            .enumerate()
        {
            if matches!(case.suite.as_str(), "attacks" | "placement")
                && (case.observed.is_some() || timed_out(case))
                && case.duration_ms >= SLOW_FLOOR.as_millis() as u64
            {
                slow_candidates.push((suite_index, case_index, (*item).clone()));
            }
        }
        suite_results.push(SuiteResult {
            target: String::new(),
            name: suite.suite.name.clone(),
            description: suite.suite.description.clone(),
            cases,
        });
        if runner.target_down() {
            unreachable = true;
            notes.push(format!(
                "the target stopped answering during suite {}",
                suite.suite.name
            ));
        }
    }
    if let Some(note) = runner.hung_note() {
        notes.push(note);
    }
    // Fetches of out-of-band URLs can arrive after the answer: check once more at the end.
    let fetched = oob.requested_paths().await;
    mark_late_fetches(&mut suite_results, &fetched);
    runner
        .confirm_slow_answers(&mut suite_results, slow_candidates, config.http.timeout)
        .await;

    let mut report = RunReport {
        tool: "authprobe".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        run_id,
        started_at: rfc3339(now),
        duration_ms: started.elapsed().as_millis() as u64,
        target: TargetInfo {
            name: target.name.clone(),
            baseline_ok,
            duration_ms: started.elapsed().as_millis() as u64,
            kind: target.kind,
            variant: target.variant,
            backend_url: ctx.endpoints.backend.clone(),
            auth_url: ctx.endpoints.auth.clone(),
            mode: if ctx.issuer_key.is_some() {
                "white-box".into()
            } else {
                "black-box".into()
            },
            endpoint: Some(ctx.protected.to_string()),
            endpoint_group: target.endpoint_group.clone(),
        },
        baseline_ok,
        baseline,
        suites: suite_results,
        summary: Default::default(),
        notes,
        gate: Default::default(),
        absent: Vec::new(),
        lifecycle: Vec::new(),
        endpoint_divergences: Vec::new(),
        targets: Vec::new(),
    };
    report.label_target();
    report.summarize();
    Ok(AuditOutcome {
        report,
        target_unreachable: unreachable,
    })
}

/// The issuer key a target's audit signs with: the one given, or among several the one whose
/// public key the target's issuer publishes (with a note when none does).
pub fn pick_issuer_key(
    mut keys: Vec<SigningKey>,
    jwks: Option<&Value>,
) -> (Option<SigningKey>, Option<String>) {
    if keys.len() <= 1 {
        return (keys.pop(), None);
    }
    let published: Vec<&Map<String, Value>> = jwks
        .and_then(|j| j["keys"].as_array())
        .map(|a| a.iter().filter_map(Value::as_object).collect())
        .unwrap_or_default();
    let found = keys.iter().position(|k| {
        let public = k.public_jwk(None, None);
        published.iter().any(|p| same_public_key(&public, p))
    });
    match found {
        Some(i) => (Some(keys.swap_remove(i)), None),
        None => (
            None,
            Some(format!(
                "none of the {} issuer keys given is published by this target's issuer: black-box audit",
                keys.len()
            )),
        ),
    }
}

/// True when two JWKs hold the same public key (type and key material; `kid`, `alg` and the
/// rest ignored).
pub(super) fn same_public_key(a: &Map<String, Value>, b: &Map<String, Value>) -> bool {
    let members: &[&str] = match a.get("kty").and_then(Value::as_str) {
        Some("OKP") => &["kty", "crv", "x"],
        Some("EC") => &["kty", "crv", "x", "y"],
        Some("RSA") => &["kty", "n", "e"],
        _ => return false,
    };
    members
        .iter()
        .all(|m| a.get(*m).is_some() && a.get(*m) == b.get(*m))
}

/// The reference validator for a target: its policy (the audit profile for the token's issuer
/// and algorithm, then the profile's `[policy]`) over the published keys.
pub(super) fn reference_oracle(
    base: &Token,
    jwks: &Value,
    target: &TargetSpec,
) -> Result<crate::judge::Oracle, String> {
    let keys = crate::jwk::KeySet::from_public_jwks(jwks.to_string().as_bytes())
        .map_err(|e| format!("the published key set is not usable: {e}"))?;
    let claims = base
        .unverified_claims(16)
        .map_err(|e| format!("the starting token's claims: {e}"))?;
    let issuer = claims
        .get("iss")
        .and_then(Value::as_str)
        .ok_or("the starting token has no string iss")?;
    let alg = base
        .alg()
        .and_then(crate::Algorithm::from_name)
        .ok_or("the starting token's alg is not a known one")?;
    let policy = crate::differential::reference_policy(issuer, alg, &target.policy)?;
    let bearer =
        crate::differential::shape_of(&target.placement) == crate::differential::Shape::Bearer;
    Ok(crate::judge::Oracle::new(
        crate::validate::Validator::new(policy),
        keys,
        bearer,
    ))
}

/// Marks cases whose OOB path was fetched after their answer was judged.
pub(super) fn mark_late_fetches(suites: &mut [SuiteResult], fetched: &[String]) {
    for case in suites.iter_mut().flat_map(|s| s.cases.iter_mut()) {
        let Some(path) = case
            .tags
            .iter()
            .find_map(|t| t.strip_prefix("oob:"))
            .map(str::to_owned)
        else {
            continue;
        };
        let already = case.findings.iter().any(|f| f.rule_id == "AP-OOB-FETCH");
        if !already && fetched.iter().any(|p| p.starts_with(&path)) {
            case.findings.push(Finding::graded(
                "AP-OOB-FETCH",
                crate::judge::Cause::AttackerUrlFetched,
                crate::judge::Confidence::Medium,
                format!("the target fetched the harness URL {path} named in the token (after answering)"),
            ));
            case.outcome = Outcome::Fail;
        }
        case.tags.retain(|t| !t.starts_with("oob:"));
    }
}

pub(super) fn baseline_diagnosis(baseline: &[CaseResult]) -> String {
    let failed: Vec<String> = baseline
        .iter()
        .filter(|c| {
            c.outcome != Outcome::Pass && c.observed.as_ref().is_none_or(|o| o.status < 500)
        })
        .map(|c| {
            format!(
                "{} ({})",
                c.title,
                c.message.clone().unwrap_or_else(|| c
                    .findings
                    .iter()
                    .map(|f| f.message.clone())
                    .collect::<Vec<_>>()
                    .join("; "))
            )
        })
        .collect();
    format!(
        "baseline controls failed, so the suites were not judged: {}. Check the backend URL, the token placement and the issuer/audience the backend expects.",
        failed.join("; ")
    )
}

pub(super) fn skipped_result(suite: &str, case: &CaseSpec, reason: &str) -> CaseResult {
    CaseResult {
        target: String::new(),
        suite: suite.into(),
        id: case.id.clone(),
        title: case.title.clone(),
        rule_id: case.rule.clone(),
        severity: case.severity,
        tags: case.tags.clone(),
        catalogue_id: case.token.catalogue.clone(),
        references: vec![],
        outcome: Outcome::Skip,
        findings: vec![],
        expected: String::new(),
        observed: None,
        request: None,
        reproduction: None,
        message: Some(reason.into()),
        duration_ms: 0,
    }
}
