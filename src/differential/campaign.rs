//! The campaign: [`fuzz`] prepares the run, checks the baseline, runs the workers (each draws
//! the next draft, sends it and queues new disagreements for shrinking) until the budget, an
//! interrupt or an unreachable target stops them, and builds the report. [`Shared`] is the state
//! the workers and the shrinker share.

use super::config::{Budget, FuzzConfig, FuzzTarget};
use super::exchange::Eval;
use super::findings::Store;
use super::mutate::{Generator, Shape};
use super::oracle::{Class, Oracle};
use super::outcome::{Control, FuzzOutcome, Stats};
use super::setup::{self, FuzzError, Prepared};
use super::shrink::{shrink_loop, Candidate};
use super::{lock, oracle, report, unix_now};
use crate::deployment::http::Http;
use crate::deployment::oob::OobServer;
use crate::deployment::profile::{ContractSection, TokenPlacement};
use serde_json::Value;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::mpsc;

/// Runs a differential fuzzing campaign against one target.
pub async fn fuzz(
    target: FuzzTarget,
    config: FuzzConfig,
    control: Arc<Control>,
) -> Result<FuzzOutcome, FuzzError> {
    let setup_started = Instant::now();
    let Prepared {
        shared,
        info,
        mut notes,
        claims,
    } = setup::prepare(target, config, control.clone()).await?;

    // Baseline: the starting token must be accepted by both, or nothing can be compared.
    let (baseline_case, baseline_ok) = shared.baseline().await;
    let setup = setup_started.elapsed();
    let fuzz_started = Instant::now();
    *lock(&shared.started) = fuzz_started;
    *lock(&control.started) = Some(fuzz_started);
    if let Budget::Time(d) = shared.config.budget {
        *lock(&shared.deadline) = Some(fuzz_started + d);
    }
    if baseline_ok {
        let (tx, rx) = mpsc::channel::<Candidate>(64);
        let shrinker = tokio::spawn(shrink_loop(shared.clone(), rx));
        let workers: Vec<_> = (0..shared.config.concurrency.max(1))
            .map(|_| tokio::spawn(worker(shared.clone(), tx.clone())))
            .collect();
        drop(tx);
        for w in workers {
            let _ = w.await;
        }
        *lock(&shared.workers_done) = Some(Instant::now());
        let _ = shrinker.await;
    } else {
        notes.push(format!(
            "baseline failed, nothing was compared (the starting token must be accepted by the reference validator and the backend): {}",
            baseline_case.message.as_deref().unwrap_or("no answer")
        ));
    }
    let elapsed = fuzz_started.elapsed();

    // Harness URLs named by catalogue tokens are only read now; generated ones were checked
    // after each answer (and count here only if no answer was caught fetching).
    let catalogue_fetches = shared.oob.requested_paths().await.len();
    let generated_fetches = shared.oob.fetched_nonces();
    let mut findings = std::mem::take(&mut lock(&shared.store).findings);
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.found_after.cmp(&b.found_after))
    });
    let stats = control.stats.snapshot();
    let unreachable = shared.unreachable.load(Ordering::Relaxed);
    let interrupted = control.interrupted();
    if unreachable {
        notes.push("the target stopped answering; the run ended early".into());
    }
    if interrupted {
        notes.push("interrupted: the run stopped before its budget".into());
    }
    if let Some(exp) = claims.get("exp").and_then(Value::as_i64) {
        if exp < unix_now() {
            notes.push(format!(
                "the starting token expired {} s before the run ended: later tokens that kept its exp were all expired, so fewer reached the deeper checks; keep time budgets within the token's lifetime",
                unix_now() - exp
            ));
        }
    }
    let late_oob = if findings
        .iter()
        .any(|f| f.cause.head.class == Class::OobFetch)
    {
        0
    } else {
        catalogue_fetches + generated_fetches
    };
    let report = report::build(
        &info,
        report::RunFacts {
            baseline: vec![baseline_case],
            baseline_ok,
            findings: &findings,
            stats,
            elapsed,
            setup,
            notes,
            secrets: &shared.secrets,
            late_oob_fetches: late_oob,
            concurrency: shared.config.concurrency,
        },
    );
    Ok(FuzzOutcome {
        report,
        findings,
        stats,
        elapsed,
        setup,
        seed: shared.config.seed,
        baseline_ok,
        target_unreachable: unreachable,
        interrupted,
    })
}

/// The state the workers and the shrinker share: what drafts are made and judged with, where they
/// go, the counters, the findings so far and when to stop.
pub(super) struct Shared {
    pub(super) generator: Generator,
    pub(super) oracle: Oracle,
    pub(super) http: Http,
    /// The out-of-band listener: the paths catalogue tokens name are read once, at the end; the
    /// nonces generated tokens name are checked after every answer.
    pub(super) oob: OobServer,
    /// The protected URL.
    pub(super) url: String,
    pub(super) placement: TokenPlacement,
    pub(super) shape: Shape,
    pub(super) contract: ContractSection,
    /// The origin the target's CORS allows, if known.
    pub(super) frontend_origin: Option<String>,
    pub(super) secrets: Vec<String>,
    pub(super) config: FuzzConfig,
    pub(super) control: Arc<Control>,
    pub(super) next_index: AtomicU64,
    pub(super) next_nonce: AtomicU64,
    pub(super) stop: AtomicBool,
    pub(super) connect_streak: AtomicUsize,
    pub(super) unreachable: AtomicBool,
    pub(super) store: Mutex<Store>,
    pub(super) started: Mutex<Instant>,
    pub(super) deadline: Mutex<Option<Instant>>,
    pub(super) workers_done: Mutex<Option<Instant>>,
}

impl Shared {
    pub(super) fn stats(&self) -> &Stats {
        &self.control.stats
    }

    pub(super) fn should_stop(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
            || self.control.interrupted()
            || self.unreachable.load(Ordering::Relaxed)
            || lock(&self.deadline).is_some_and(|d| Instant::now() >= d)
    }

    pub(super) fn shrink_allowed(&self) -> bool {
        !self.control.interrupted()
            && !self.unreachable.load(Ordering::Relaxed)
            && lock(&self.workers_done).is_none_or(|t| t.elapsed() < self.config.shrink_grace)
    }

    /// Takes one slot of the budget for a generated token.
    pub(super) fn reserve(&self) -> bool {
        if self.should_stop() {
            return false;
        }
        let tokens = &self.stats().tokens;
        match self.config.budget {
            Budget::Requests(n) => {
                if tokens.fetch_add(1, Ordering::Relaxed) >= n {
                    tokens.fetch_sub(1, Ordering::Relaxed);
                    self.stop.store(true, Ordering::Relaxed);
                    false
                } else {
                    true
                }
            }
            Budget::Time(_) => {
                tokens.fetch_add(1, Ordering::Relaxed);
                true
            }
        }
    }
}

async fn worker(shared: Arc<Shared>, tx: mpsc::Sender<Candidate>) {
    while !shared.should_stop() {
        let index = shared.next_index.fetch_add(1, Ordering::Relaxed);
        let draft = shared.generator.draft(index);
        let judged = match shared.evaluate(&draft, true).await {
            Eval::Budget => break,
            Eval::Judged(j) => j,
            _ => continue,
        };
        if judged.heads.is_empty() {
            continue;
        }
        let all_kinds = draft.kinds();
        let started = *lock(&shared.started);
        for head in &judged.heads {
            let kinds = oracle::cause_kinds(head, &all_kinds);
            if lock(&shared.store).seen(head, &kinds) {
                continue;
            }
            let candidate = Candidate {
                head: head.clone(),
                draft: draft.clone(),
                judged: judged.clone(),
                found_after: started.elapsed(),
                found_after_requests: shared.stats().requests.load(Ordering::Relaxed),
            };
            if tx.try_send(candidate).is_err() {
                lock(&shared.store).done(head, &kinds);
            }
        }
    }
}
