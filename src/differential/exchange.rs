//! Sending one draft and judging the answer: the request a rendering becomes (or why it cannot
//! be sent), the reference's verdict on the exact bytes the backend receives, and the comparison
//! with the backend's answer (verdict, challenge, CORS, leaked secrets, out-of-band fetches);
//! and the baseline, the starting token sent as it is.

use super::campaign::Shared;
use super::mutate::{Draft, Rendered, Shape};
use super::oracle::{self, Answer, Class, Comparison, Head, Reference};
use super::{report, unix_now};
use crate::deployment::http::{Incoming, Outgoing, TransportError};
use crate::deployment::placement::{Carrier, Parts};
use crate::report::CaseResult;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// One answer, judged.
pub(super) struct Judged {
    pub(super) rendered: Rendered,
    pub(super) reference: Reference,
    pub(super) request: Outgoing,
    pub(super) response: Incoming,
    pub(super) heads: Vec<Head>,
}

/// What became of one draft.
pub(super) enum Eval {
    Unsendable,
    Inconclusive,
    Budget,
    Transport,
    Judged(Arc<Judged>),
}

impl Shared {
    /// Bytes an HTTP request cannot carry as they are are not sent: the reference would judge
    /// other bytes than the backend receives.
    fn undeliverable(&self, r: &Rendered) -> bool {
        if r.preflight {
            return false;
        }
        if r.token.len() > 32 * 1024 {
            return true;
        }
        let header_safe = |s: &str| s.bytes().all(|b| (0x20..0x7f).contains(&b) || b == b'\t');
        match self.placement.placement.as_str() {
            "cookie" => !r
                .token
                .bytes()
                .all(|b| b.is_ascii_graphic() && !b";,\"\\".contains(&b)),
            "query" | "json-body" => !r.token.bytes().all(|b| b.is_ascii_graphic()),
            _ => {
                !r.values.iter().all(|v| header_safe(v))
                    // HTTP trims a header value; only RFC 6750 parsing trims the same way.
                    || (self.shape != Shape::Bearer
                        && r.token.trim_matches([' ', '\t']) != r.token)
            }
        }
    }

    fn outgoing(&self, r: &Rendered) -> Outgoing {
        let p = &self.placement;
        let mut url = self.url.clone();
        let mut headers = Vec::new();
        let mut body = None;
        if let Some(origin) = &r.origin {
            headers.push(("origin".to_owned(), origin.clone()));
        }
        if r.preflight {
            // What a browser sends before a cross-origin GET that carries the credential.
            headers.push(("access-control-request-method".to_owned(), "GET".to_owned()));
            let credential_header = match p.placement.as_str() {
                "cookie" | "query" => None,
                "json-body" => Some("content-type".to_owned()),
                _ => Some(p.name.to_ascii_lowercase()),
            };
            if let Some(name) = credential_header {
                headers.push(("access-control-request-headers".to_owned(), name));
            }
            return Outgoing {
                method: "OPTIONS".into(),
                url,
                headers,
                body: None,
            };
        }
        match Carrier::of_contract(p) {
            // The mutator writes the header values itself (several, or a changed scheme).
            Carrier::Header { name, .. } => {
                for v in &r.values {
                    headers.push((name.clone(), v.clone()));
                }
            }
            carrier => carrier.render(
                &r.token,
                Parts {
                    target: &mut url,
                    headers: &mut headers,
                    body: &mut body,
                },
            ),
        }
        Outgoing {
            method: "GET".into(),
            url,
            headers,
            body,
        }
    }

    async fn send(&self, out: &Outgoing) -> Result<Incoming, TransportError> {
        self.stats().requests.fetch_add(1, Ordering::Relaxed);
        match self.http.send(out).await {
            Ok(r) => {
                self.connect_streak.store(0, Ordering::Relaxed);
                Ok(r)
            }
            Err(e) => {
                self.stats()
                    .transport_errors
                    .fetch_add(1, Ordering::Relaxed);
                if e.target_unreachable() {
                    let n = self.connect_streak.fetch_add(1, Ordering::Relaxed) + 1;
                    if n >= self.config.max_consecutive_connect_errors {
                        self.unreachable.store(true, Ordering::Relaxed);
                    }
                }
                Err(e)
            }
        }
    }

    /// Renders, judges, sends and compares one draft.
    pub(super) async fn evaluate(&self, draft: &Draft, generated: bool) -> Eval {
        let stats = self.stats();
        let nonce = self.next_nonce.fetch_add(1, Ordering::Relaxed);
        let now = unix_now();
        let rendered = self.generator.material().render(draft, now, nonce);
        if self.undeliverable(&rendered) {
            stats.unsendable.fetch_add(1, Ordering::Relaxed);
            return Eval::Unsendable;
        }
        if rendered.preflight {
            return self.evaluate_preflight(rendered, generated).await;
        }
        let prepared = self
            .oracle
            .prepare(&rendered.value_bytes(), rendered.token.as_bytes());
        let Some(reference) = self.oracle.verdict_over(&prepared, now - 2, now + 2) else {
            stats.inconclusive.fetch_add(1, Ordering::Relaxed);
            return Eval::Inconclusive;
        };
        if generated && !self.reserve() {
            return Eval::Budget;
        }
        if !generated {
            stats.shrink_requests.fetch_add(1, Ordering::Relaxed);
        }
        let request = self.outgoing(&rendered);
        let Ok(response) = self.send(&request).await else {
            return Eval::Transport;
        };
        let after = unix_now();
        if after != now
            && self.oracle.verdict_over(&prepared, after - 2, after + 2) != Some(reference)
        {
            stats.inconclusive.fetch_add(1, Ordering::Relaxed);
            return Eval::Inconclusive;
        }
        let answer = oracle::classify(&response, &self.contract);
        let mut heads = Vec::new();
        match oracle::compare(reference, &answer, rendered.token.len(), &self.contract) {
            Comparison::Agree => {}
            Comparison::Inconclusive(_) => {
                stats.inconclusive.fetch_add(1, Ordering::Relaxed);
                return Eval::Inconclusive;
            }
            Comparison::Disagree(mut h) => {
                // Graded by who could have made the request (findings.md §3).
                h.cause = match h.class {
                    Class::Accepts => self.oracle.acceptance(
                        &rendered.value_bytes(),
                        Some(rendered.token.as_bytes()),
                        now,
                    ),
                    Class::ServerError => self
                        .oracle
                        .grader(now)
                        .server_error(Some(rendered.token.as_bytes())),
                    _ => h.cause,
                };
                heads.push(h)
            }
        }
        if heads.is_empty() {
            heads.extend(oracle::challenge(
                reference,
                &response,
                &answer,
                rendered.token.len(),
                &self.contract,
            ));
        }
        heads.extend(oracle::cors(
            &rendered,
            &response,
            &answer,
            self.frontend_origin.as_deref(),
            self.placement.placement == "cookie",
        ));
        if matches!(answer, Answer::Refused { .. }) {
            for leaked in oracle::leaks(&response.body, &rendered.token, &self.secrets) {
                heads.push(Head {
                    class: Class::Leak,
                    cause: if leaked == "internals" {
                        crate::judge::Cause::InternalsInErrorBody
                    } else {
                        crate::judge::Cause::SecretInErrorBody
                    },
                    reference: String::new(),
                    backend: format!("the error body echoes {leaked}"),
                });
            }
        }
        for path in &rendered.oob_paths {
            if self.oob.was_nonce_fetched(path) {
                heads.push(Head {
                    class: Class::OobFetch,
                    cause: crate::judge::Cause::AttackerUrlFetched,
                    reference: String::new(),
                    backend: "fetched a harness URL named in the token".into(),
                });
                break;
            }
        }
        if !heads.is_empty() {
            stats.disagreements.fetch_add(1, Ordering::Relaxed);
        }
        Eval::Judged(Arc::new(Judged {
            rendered,
            reference,
            request,
            response,
            heads,
        }))
    }

    /// Sends a CORS preflight (no token: only its CORS answer is judged).
    async fn evaluate_preflight(&self, rendered: Rendered, generated: bool) -> Eval {
        let stats = self.stats();
        if generated {
            if !self.reserve() {
                return Eval::Budget;
            }
            stats.preflights.fetch_add(1, Ordering::Relaxed);
        } else {
            stats.shrink_requests.fetch_add(1, Ordering::Relaxed);
        }
        let request = self.outgoing(&rendered);
        let Ok(response) = self.send(&request).await else {
            return Eval::Transport;
        };
        let answer = oracle::classify(&response, &self.contract);
        if response.status == 429 {
            stats.inconclusive.fetch_add(1, Ordering::Relaxed);
            return Eval::Inconclusive;
        }
        let heads = oracle::cors(
            &rendered,
            &response,
            &answer,
            self.frontend_origin.as_deref(),
            self.placement.placement == "cookie",
        );
        if !heads.is_empty() {
            stats.disagreements.fetch_add(1, Ordering::Relaxed);
        }
        Eval::Judged(Arc::new(Judged {
            rendered,
            reference: Reference::Preflight,
            request,
            response,
            heads,
        }))
    }

    /// The starting token, accepted by both?
    pub(super) async fn baseline(&self) -> (CaseResult, bool) {
        let draft = Draft {
            index: u64::MAX,
            origin: None,
            edits: Vec::new(),
        };
        let now = unix_now();
        let rendered = self.generator.material().render(&draft, now, 0);
        let reference = self
            .oracle
            .judge(&rendered.value_bytes(), rendered.token.as_bytes(), now);
        let request = self.outgoing(&rendered);
        let result = self.send(&request).await;
        report::baseline_case(
            &request,
            &rendered,
            reference,
            result.as_ref().map_err(ToString::to_string),
            &self.secrets,
        )
    }
}
