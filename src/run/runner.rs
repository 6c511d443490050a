//! Runs a target's cases: baseline items, flows, requests sent and judged with their evidence,
//! captures, and what a report shows of every answer.

use super::*;

pub(super) struct Runner<'a> {
    pub(super) ctx: &'a Context,
    pub(super) http: &'a Http,
    pub(super) config: &'a RunConfig,
    pub(super) consecutive_connect_errors: AtomicUsize,
    /// Requests that got no answer within their time limit.
    pub(super) timeouts: AtomicUsize,
    pub(super) done: AtomicUsize,
}

impl Runner<'_> {
    pub(super) fn target_down(&self) -> bool {
        self.consecutive_connect_errors.load(Ordering::Relaxed)
            >= self.config.max_consecutive_connect_errors
    }

    /// The time limit of the next request: the run's timeout, or [`hung_limit`] of it once the
    /// target has let [`HUNG_AFTER_TIMEOUTS`] requests time out.
    fn request_limit(&self) -> Duration {
        let timeout = self.config.http.timeout;
        if self.timeouts.load(Ordering::Relaxed) >= HUNG_AFTER_TIMEOUTS {
            hung_limit(timeout)
        } else {
            timeout
        }
    }

    /// What the report says when the target hung.
    pub(super) fn hung_note(&self) -> Option<String> {
        let timeouts = self.timeouts.load(Ordering::Relaxed);
        let timeout = self.config.http.timeout;
        (timeouts >= HUNG_AFTER_TIMEOUTS && hung_limit(timeout) < timeout).then(|| {
            format!(
                "{timeouts} requests got no answer in time: after the first {HUNG_AFTER_TIMEOUTS}, each request was given {} ms instead of the {} ms timeout (the target hangs; the slow answers are findings)",
                hung_limit(timeout).as_millis(),
                timeout.as_millis()
            )
        })
    }

    pub(super) fn baseline_items(&self) -> Vec<Item> {
        let mk = |id: &str, title: &str, token: Option<String>, outcome, statuses: Vec<u16>| {
            let mut headers = Vec::new();
            if let Some(t) = &token {
                headers.push(("__placement__".to_owned(), t.clone()));
            }
            Item {
                class: FlawClass::SignatureNotVerified,
                placement: crate::scenario::Placement::Header,
                by_reference: true,
                suite: "baseline".into(),
                id: id.into(),
                title: title.into(),
                rule_id: format!("AP-BASELINE-{}", id.to_uppercase()),
                severity: Severity::High,
                tags: vec!["baseline".into()],
                catalogue_id: None,
                references: vec![],
                server: Server::Backend,
                method: "GET".into(),
                path: "/api/me".into(),
                headers,
                body: None,
                repeat: 1,
                retries: 1,
                token,
                judgement: plan::Judgement {
                    outcome: Some(outcome),
                    statuses,
                    no_secrets: true,
                    ..Default::default()
                },
                oob_path: None,
                exclusive: false,
                skip: None,
                expected_text: String::new(),
            }
        };
        use crate::scenario::ExpectedOutcome::*;
        let valid = self.ctx.base.as_ref().map(|t| t.as_str().to_owned());
        let mut items = vec![];
        let mut v = mk(
            "valid-token",
            "a valid token is accepted",
            valid.clone(),
            Accepted,
            vec![],
        );
        if let Some(status) = self.ctx.protected.status {
            v.judgement.statuses = vec![status];
            v.expected_text = format!("accepted ({status})");
        } else {
            v.expected_text = "accepted (2xx)".into();
        }
        if valid.is_none() {
            v.skip = Some("no valid token: no session from the auth server and no --token".into());
        }
        items.push(v);
        let mut n = mk(
            "no-token",
            "no token is rejected",
            None,
            Rejected,
            vec![401],
        );
        n.expected_text = "401".into();
        items.push(n);
        let mut g = mk(
            "garbage-token",
            "a garbage token is rejected",
            Some("authprobe.garbage.token".into()),
            Rejected,
            vec![401],
        );
        g.expected_text = "401".into();
        items.push(g);
        items
    }

    /// Runs the suite's flow steps, capturing variables; false if one failed.
    pub(super) async fn run_flows(
        &self,
        suite: &Suite,
        vars: &mut BTreeMap<String, String>,
        notes: &mut Vec<String>,
    ) -> bool {
        for step in &suite.flows {
            match self.run_flow_step(step, vars).await {
                Ok(()) => {}
                Err(e) => {
                    notes.push(format!(
                        "suite {}: flow step {:?} failed: {}",
                        suite.suite.name,
                        step.name,
                        redact::redact(&e, &self.ctx.secrets)
                    ));
                    return false;
                }
            }
        }
        true
    }

    pub(super) async fn run_flow_step(
        &self,
        step: &FlowStep,
        vars: &mut BTreeMap<String, String>,
    ) -> Result<(), String> {
        let base = self
            .ctx
            .server_url(step.server)
            .ok_or("the target has no such server")?;
        let prefix = if step.server == Server::Auth {
            self.ctx.endpoints.auth_base_path.clone()
        } else {
            String::new()
        };
        let path = plan::expand_vars(&step.request.path, vars)?;
        let mut headers = Vec::new();
        for (name, value) in &step.request.headers {
            headers.push((name.to_ascii_lowercase(), plan::expand_vars(value, vars)?));
        }
        if let Some(values) = &step.request.authorization {
            for v in values {
                headers.push(("authorization".into(), plan::expand_vars(v, vars)?));
            }
        }
        let body = match &step.request.body {
            Some(b) => {
                if let Some(ct) = &step.request.content_type {
                    headers.push(("content-type".into(), ct.clone()));
                }
                Some(plan::expand_vars(b, vars)?.into_bytes())
            }
            None => None,
        };
        let out = Outgoing {
            method: step.request.method.clone(),
            url: format!("{base}{prefix}{path}"),
            headers,
            body,
        };
        let response = self.http.send(&out).await.map_err(|e| e.to_string())?;
        if let Some(expected) = step.expect_status {
            if response.status != expected {
                return Err(format!("HTTP {} (expected {expected})", response.status));
            }
        }
        for (var, source) in &step.capture {
            let value = capture(&response, source)
                .ok_or_else(|| format!("nothing to capture for {var} from {source}"))?;
            vars.insert(var.clone(), value);
        }
        Ok(())
    }

    /// Builds the outgoing request: the server URL, the auth base path, and the token where the
    /// target expects it.
    pub(super) fn outgoing(&self, item: &Item) -> Option<Outgoing> {
        let base = self.ctx.server_url(item.server)?;
        let prefix = if item.server == Server::Auth {
            self.ctx.endpoints.auth_base_path.as_str()
        } else {
            ""
        };
        let mut path = item.path.clone();
        let mut method = item.method.clone();
        let mut headers = Vec::new();
        let mut body = item.body.clone();
        if item.server != Server::Auth {
            // A case sent to the protected path goes to this audit's protected endpoint.
            let endpoint = &self.ctx.protected;
            if let Some(resolved) = endpoint.resolve(&path) {
                path = resolved;
                if method == "GET" {
                    method.clone_from(&endpoint.method);
                    if body.is_none() {
                        if let (Some(b), Some(ct)) = (&endpoint.body, &endpoint.content_type) {
                            body = Some(b.clone().into_bytes());
                            headers.push(("content-type".to_owned(), ct.clone()));
                        }
                    }
                }
            }
        }
        for (name, value) in &item.headers {
            if name != "__placement__" {
                headers.push((name.clone(), value.clone()));
                continue;
            }
            Carrier::of_case(&item.placement, &self.ctx.placement).render(
                value,
                Parts {
                    target: &mut path,
                    headers: &mut headers,
                    body: &mut body,
                },
            );
        }
        Some(Outgoing {
            method,
            url: format!("{base}{prefix}{path}"),
            headers,
            body,
        })
    }

    /// The attack cases answered slowly (or not at all) under the run's load, re-sent one at a
    /// time at the end: a finding (`AP-DOS-SLOW`) only when the answer alone is slow too, so a
    /// backend that is merely busy with the audit's own load is not blamed.
    pub(super) async fn confirm_slow_answers(
        &self,
        suites: &mut [SuiteResult],
        candidates: Vec<(usize, usize, Item)>,
        timeout: Duration,
    ) {
        let Some((threshold, median)) = slow_threshold(suites) else {
            return;
        };
        let candidates: Vec<_> = candidates
            .into_iter()
            .filter(|(s, c, _)| {
                // A request cut short (a hung target's shorter limit) may have waited less than
                // the threshold: the re-check decides.
                let case = &suites[*s].cases[*c];
                case.duration_ms >= threshold.as_millis() as u64 || timed_out(case)
            })
            .collect();
        // Alone, an answer only has to be as slow as the threshold again: waiting longer than
        // that (up to the whole timeout, for a target that hangs) proves nothing more.
        let limit = (threshold + SLOW_FLOOR).min(timeout);
        let remeasured: Vec<(usize, usize, Option<Alone>)> = futures::stream::iter(candidates)
            .map(|(s, c, item)| async move {
                let Some(out) = self.outgoing(&item) else {
                    return (s, c, None);
                };
                let started = Instant::now();
                let alone = match self.http.send_within(&out, limit).await {
                    Ok(_) => Alone::Answered(started.elapsed()),
                    Err(TransportError::Timeout(limit)) => Alone::NoAnswerWithin(limit),
                    Err(_) => return (s, c, None),
                };
                (s, c, Some(alone))
            })
            .buffer_unordered(SLOW_RECHECKS_AT_ONCE)
            .collect()
            .await;
        for (s, c, alone) in remeasured {
            let again = match alone {
                Some(Alone::Answered(took)) if took >= threshold => {
                    format!("{} ms", took.as_millis())
                }
                Some(Alone::NoAnswerWithin(limit)) if limit >= threshold => {
                    format!("no answer within {} ms", limit.as_millis())
                }
                _ => continue,
            };
            let case = &mut suites[s].cases[c];
            let first = if case.outcome == Outcome::Error {
                format!("did not answer within {} ms (timed out)", case.duration_ms)
            } else {
                format!("answered after {} ms", case.duration_ms)
            };
            case.findings.push(Finding::graded(
                "AP-DOS-SLOW",
                crate::judge::Cause::SlowAnswer,
                crate::judge::Confidence::Medium,
                format!(
                    "the target {first}, and {again} when the request was sent again alone: at least {SLOW_FACTOR}× its median answer time in this run ({} ms) and at least {} s",
                    median.as_millis(),
                    SLOW_FLOOR.as_secs()
                ),
            ));
            case.outcome = Outcome::Fail;
        }
    }

    pub(super) async fn send_with_retries(
        &self,
        out: &Outgoing,
        retries: u32,
    ) -> Result<Incoming, TransportError> {
        let mut attempt = 0;
        loop {
            let result = self.http.send_within(out, self.request_limit()).await;
            if let Err(TransportError::Timeout(_)) = &result {
                self.timeouts.fetch_add(1, Ordering::Relaxed);
            }
            match &result {
                Ok(_) => {
                    self.consecutive_connect_errors.store(0, Ordering::Relaxed);
                    return result;
                }
                Err(e) => {
                    if e.target_unreachable() {
                        self.consecutive_connect_errors
                            .fetch_add(1, Ordering::Relaxed);
                    }
                    if attempt >= retries || self.target_down() {
                        return result;
                    }
                    attempt += 1;
                }
            }
        }
    }

    pub(super) async fn run_item(
        &self,
        item: &Item,
        oob: &OobServer,
        deadline: Option<Instant>,
        progress: Progress<'_>,
        total: usize,
    ) -> CaseResult {
        let started = Instant::now();
        let mut result = CaseResult {
            target: String::new(),
            suite: item.suite.clone(),
            id: item.id.clone(),
            title: redact::redact(&item.title, &self.ctx.secrets),
            rule_id: item.rule_id.clone(),
            severity: item.severity,
            tags: item.tags.clone(),
            catalogue_id: item.catalogue_id.clone(),
            references: item.references.clone(),
            outcome: Outcome::Skip,
            findings: vec![],
            expected: item.expected_text.clone(),
            observed: None,
            request: None,
            reproduction: None,
            message: item.skip.clone(),
            duration_ms: 0,
        };
        let finish = |r: CaseResult| {
            let n = self.done.fetch_add(1, Ordering::Relaxed) + 1;
            progress(n, total);
            r
        };
        if item.skip.is_some() {
            return finish(result);
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            result.message = Some("not run: the time budget was used up".into());
            return finish(result);
        }
        if self.target_down() {
            result.outcome = Outcome::Error;
            result.message = Some("not sent: the target stopped answering".into());
            return finish(result);
        }
        let Some(out) = self.outgoing(item) else {
            result.message = Some("the target has no such server".into());
            return finish(result);
        };
        let secrets = &self.ctx.secrets;
        let token = item.token.as_deref();
        let now = unix_now();
        let mut reference = None;
        if let (true, Some(oracle)) = (item.by_reference, &self.ctx.oracle) {
            let authorization: Vec<String> = out
                .headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case("authorization"))
                .map(|(_, v)| v.clone())
                .collect();
            let values: Vec<&[u8]> = authorization.iter().map(|v| v.as_bytes()).collect();
            let misplaced = match &item.placement {
                crate::scenario::Placement::Header => None,
                elsewhere => Some(elsewhere.clone()),
            };
            // A token placed elsewhere than the contract says is no credential to the reference.
            let raw = token.filter(|_| misplaced.is_none());
            let verdict = match raw {
                None if !oracle.bearer() => Some(crate::judge::Reference::Rejected(
                    crate::ErrorCode::MissingToken,
                )),
                raw => oracle.judge(&values, raw.unwrap_or_default().as_bytes(), now),
            };
            // On a time boundary of the reference (±2 s, for clocks that differ), the case's own
            // expectation (the catalogue's, made for the token's own time) decides instead.
            let verdict = verdict.or_else(|| match item.judgement.outcome {
                Some(crate::scenario::ExpectedOutcome::Accepted) => {
                    Some(crate::judge::Reference::Accepted)
                }
                Some(crate::scenario::ExpectedOutcome::Rejected) => item
                    .judgement
                    .codes
                    .first()
                    .and_then(|c| c.parse().ok())
                    .map(crate::judge::Reference::Rejected),
                _ => None,
            });
            match verdict {
                Some(v) => {
                    reference = Some(judge::TokenVerdict {
                        reference: v,
                        oracle,
                        now,
                        misplaced,
                        authorization,
                    });
                    result.expected = match v {
                        crate::judge::Reference::Accepted => "accepted (reference validator)".into(),
                        crate::judge::Reference::Rejected(code) => format!(
                            "rejected with {code} (reference validator, the target's policy); catalogue: {}",
                            item.expected_text
                        ),
                        crate::judge::Reference::Preflight => item.expected_text.clone(),
                    };
                }
                None => {
                    result.message = Some(
                        "not judged: the token is within 2 s of a time boundary of the reference"
                            .into(),
                    );
                    return finish(result);
                }
            }
        }
        result.request = Some(RequestRecord {
            method: out.method.clone(),
            url: redact::redact(&out.url, secrets),
            headers: out
                .headers
                .iter()
                .map(|(n, v)| {
                    (
                        n.clone(),
                        redact::redact(
                            &redact::replace_all(v, token.unwrap_or_default(), "$TOKEN"),
                            secrets,
                        ),
                    )
                })
                .collect(),
            body: out
                .body
                .as_ref()
                .map(|b| redact::redact(&String::from_utf8_lossy(b), secrets)),
        });
        result.reproduction = Some(redact::curl(
            &out.method,
            &out.url,
            &out.headers,
            out.body.as_deref(),
            token,
            secrets,
        ));
        let mut last = None;
        for n in 0..item.repeat {
            let mut this = out.clone();
            for (_, v) in this.headers.iter_mut() {
                *v = v.replace("{{repeat}}", &n.to_string());
            }
            match self.send_with_retries(&this, item.retries).await {
                Ok(r) => last = Some(Ok(r)),
                Err(e) => {
                    last = Some(Err(e));
                    break;
                }
            }
        }
        result.duration_ms = started.elapsed().as_millis() as u64;
        match last {
            Some(Ok(response)) => {
                let fetched = match &item.oob_path {
                    Some(path) => {
                        result.tags.push(format!("oob:{path}"));
                        oob.was_fetched(path).await
                    }
                    None => false,
                };
                let evidence = Evidence {
                    secrets,
                    contract: &self.ctx.contract,
                    oob_fetched: fetched,
                    reference,
                    credentials_in_cookie: self.ctx.placement.placement == "cookie",
                };
                let mut findings = judge::judge(item, &response, &evidence);
                if item.tags.iter().any(|t| t == "lifecycle") {
                    if let Some(lifetime) = measured_lifetime(&out, unix_now()) {
                        for f in &mut findings {
                            f.message.push_str(&format!("; {lifetime}"));
                        }
                        result.message = Some(lifetime);
                    }
                }
                for f in &mut findings {
                    f.message = redact::redact(&f.message, secrets);
                }
                // The gate decides pass or fail when the report is summarized.
                result.outcome = if findings.is_empty() {
                    Outcome::Pass
                } else {
                    Outcome::Fail
                };
                result.findings = findings;
                result.observed = Some(observe(&response, secrets, token));
            }
            Some(Err(e)) => {
                let header_bytes: usize = out.headers.iter().map(|(n, v)| n.len() + v.len()).sum();
                let oversize = header_bytes + out.url.len() > 8 * 1024;
                let must_refuse =
                    item.judgement.outcome == Some(crate::scenario::ExpectedOutcome::Rejected);
                if oversize && must_refuse && matches!(e, TransportError::Other(_)) {
                    // Node and others close the connection on a request over their header limit
                    // (16 KiB) instead of answering 431: that is a refusal too.
                    result.outcome = Outcome::Pass;
                    result.message = Some(format!(
                        "the target closed the connection on this {header_bytes}-byte request instead of answering: counted as a refusal ({})",
                        redact::redact(&e.to_string(), secrets)
                    ));
                } else {
                    result.outcome = Outcome::Error;
                    result.message = Some(redact::redact(&e.to_string(), secrets));
                }
            }
            None => {}
        }
        finish(result)
    }
}

/// The lifetime of the JWT a request carries: `exp − iat`, and what was left of it when sent.
pub(super) fn measured_lifetime(out: &Outgoing, now: i64) -> Option<String> {
    let token = out.headers.iter().find_map(|(name, value)| {
        (name == "authorization").then(|| value.split_whitespace().last().unwrap_or_default())
    })?;
    let claims = Token::parse(token).ok()?.unverified_claims(16).ok()?;
    let exp = claims.get("exp")?.as_i64()?;
    let iat = claims.get("iat")?.as_i64()?;
    Some(format!(
        "measured token lifetime (exp − iat) {} s; still valid for {} s when replayed",
        exp - iat,
        (exp - now).max(0)
    ))
}

pub(super) fn observe(response: &Incoming, secrets: &[String], token: Option<&str>) -> Observed {
    const SHOWN: [&str; 9] = [
        "www-authenticate",
        "content-type",
        "cache-control",
        "retry-after",
        "x-retry-after",
        "access-control-allow-origin",
        "access-control-allow-credentials",
        "access-control-allow-headers",
        "location",
    ];
    let mut all = secrets.to_vec();
    if let Some(t) = token {
        all.push(t.to_owned());
    }
    let body = String::from_utf8_lossy(&response.body);
    observed_from(
        response,
        &all,
        |name| SHOWN.contains(&name) || name == "set-cookie",
        &body.chars().take(512).collect::<String>(),
    )
}

/// What a report shows of an answer: its status, the contract code of a JSON body, the headers
/// `shown` picks and the body excerpt, both with every one of `secrets` redacted.
pub(crate) fn observed_from(
    response: &Incoming,
    secrets: &[String],
    shown: impl Fn(&str) -> bool,
    body_excerpt: &str,
) -> Observed {
    Observed {
        status: response.status,
        code: serde_json::from_slice::<Value>(&response.body)
            .ok()
            .and_then(|v| v.get("code").and_then(Value::as_str).map(str::to_owned)),
        headers: response
            .headers
            .iter()
            .filter(|(n, _)| shown(n))
            .map(|(n, v)| (n.clone(), redact::redact(v, secrets)))
            .collect(),
        body_excerpt: redact::redact(body_excerpt, secrets),
    }
}

/// A captured value: `header:<name>`, `json:<pointer>` or `cookie:<name>` (the `name=value` pair).
pub(super) fn capture(response: &Incoming, source: &str) -> Option<String> {
    let (kind, what) = source.split_once(':')?;
    match kind {
        "header" => response.header(what).map(str::to_owned),
        "json" => {
            let doc: Value = serde_json::from_slice(&response.body).ok()?;
            let v = doc.pointer(what)?;
            Some(v.as_str().map_or_else(|| v.to_string(), str::to_owned))
        }
        "cookie" => response
            .header_all("set-cookie")
            .filter_map(|c| c.split(';').next())
            .find(|pair| {
                pair.split('=')
                    .next()
                    .is_some_and(|n| n == what || n.ends_with(what))
            })
            .map(str::to_owned),
        _ => None,
    }
}
