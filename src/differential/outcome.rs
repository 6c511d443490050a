//! What a run shares with its caller while it runs ([`Control`]: live [`Stats`] and a way to
//! stop it) and what it returns ([`FuzzOutcome`]: the report, the [`DiffFinding`]s, the counters).

use super::mutate::{Draft, Rendered};
use super::oracle::{Head, Reference};
use crate::dangerous::forge::Severity;
use crate::deployment::http::{Incoming, Outgoing};
use crate::report::{FindingKind, RunReport};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Live counters of a run (read them for a progress display).
#[derive(Debug, Default)]
pub struct Stats {
    /// Every request sent (fuzzing and shrinking).
    pub requests: AtomicU64,
    /// Generated requests sent: tokens, and CORS preflights (which carry none).
    pub tokens: AtomicU64,
    /// Of those, CORS preflights.
    pub preflights: AtomicU64,
    pub shrink_requests: AtomicU64,
    /// Tokens not judged: on a time boundary, or answered by a rate limit.
    pub inconclusive: AtomicU64,
    /// Tokens an HTTP request cannot carry (control bytes, over 32 KiB): not sent.
    pub unsendable: AtomicU64,
    pub transport_errors: AtomicU64,
    /// Answers that disagreed with the reference (before de-duplication).
    pub disagreements: AtomicU64,
    /// Distinct findings so far.
    pub findings: AtomicU64,
}

/// A copy of the counters.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StatsSnapshot {
    pub requests: u64,
    pub tokens: u64,
    pub preflights: u64,
    pub shrink_requests: u64,
    pub inconclusive: u64,
    pub unsendable: u64,
    pub transport_errors: u64,
    pub disagreements: u64,
    pub findings: u64,
}

impl Stats {
    pub fn snapshot(&self) -> StatsSnapshot {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        StatsSnapshot {
            requests: g(&self.requests),
            tokens: g(&self.tokens),
            preflights: g(&self.preflights),
            shrink_requests: g(&self.shrink_requests),
            inconclusive: g(&self.inconclusive),
            unsendable: g(&self.unsendable),
            transport_errors: g(&self.transport_errors),
            disagreements: g(&self.disagreements),
            findings: g(&self.findings),
        }
    }
}

/// Shared with the caller: counters, and a way to stop the run early.
#[derive(Debug, Default)]
pub struct Control {
    interrupted: AtomicBool,
    pub stats: Stats,
    pub(super) started: Mutex<Option<Instant>>,
}

impl Control {
    /// Asks the run to stop as soon as possible; the report is still built.
    pub fn interrupt(&self) {
        self.interrupted.store(true, Ordering::Relaxed);
    }
    pub fn interrupted(&self) -> bool {
        self.interrupted.load(Ordering::Relaxed)
    }
    /// When fuzzing proper started (after the session and the baseline).
    pub fn started(&self) -> Option<Instant> {
        *self.started.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A de-duplication key: the disagreement and the mutation operators it needs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cause {
    pub head: Head,
    /// Operator kinds left after shrinking (empty where they do not matter).
    pub kinds: BTreeSet<String>,
}

/// One distinct disagreement, shrunk.
#[derive(Debug, Clone)]
pub struct DiffFinding {
    pub cause: Cause,
    pub rule_id: String,
    pub severity: Severity,
    pub kind: FindingKind,
    /// The minimal draft.
    pub draft: Draft,
    /// How many edits the first disagreeing draft had.
    pub edits_before: usize,
    /// The minimal token as last sent. A credential: never put it in a report.
    pub rendered: Rendered,
    pub reference: Reference,
    pub request: Outgoing,
    pub response: Incoming,
    /// Time from the start of fuzzing to the first disagreeing answer of this cause.
    pub found_after: Duration,
    /// Requests sent by then.
    pub found_after_requests: u64,
    /// Time from the start of fuzzing until shrinking finished.
    pub reported_after: Duration,
    pub shrink_requests: usize,
    /// False when shrinking stopped early (request bound, grace period, interrupt).
    pub shrunk: bool,
    /// Disagreements attributed to this cause.
    pub occurrences: u64,
}

/// A finished run.
pub struct FuzzOutcome {
    pub report: RunReport,
    pub findings: Vec<DiffFinding>,
    pub stats: StatsSnapshot,
    /// Fuzzing time (after setup and baseline).
    pub elapsed: Duration,
    pub setup: Duration,
    pub seed: u64,
    pub baseline_ok: bool,
    pub target_unreachable: bool,
    pub interrupted: bool,
}

impl FuzzOutcome {
    /// Requests per second while fuzzing.
    pub fn requests_per_sec(&self) -> f64 {
        self.stats.requests as f64 / self.elapsed.as_secs_f64().max(1e-3)
    }
}
