//! Shrinking: a disagreement is reduced to a minimal draft by dropping one edit at a time while
//! the same disagreement persists, within a bound of requests and a grace period after the
//! budget; [`shrink_loop`] shrinks the queued disagreements one after another.

use super::campaign::Shared;
use super::exchange::{Eval, Judged};
use super::lock;
use super::mutate::Draft;
use super::oracle::{self, Head};
use super::outcome::{Cause, DiffFinding};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// A disagreement waiting to be shrunk.
pub(super) struct Candidate {
    pub(super) head: Head,
    pub(super) draft: Draft,
    pub(super) judged: Arc<Judged>,
    pub(super) found_after: Duration,
    pub(super) found_after_requests: u64,
}

impl Shared {
    /// Greedily drops edits while the same disagreement persists.
    pub(super) async fn shrink(&self, c: Candidate) -> DiffFinding {
        let mut best = c.draft.clone();
        let mut judged = c.judged.clone();
        let mut head = c.head.clone();
        let mut used = 0usize;
        let mut complete = true;
        'passes: loop {
            let mut improved = false;
            let mut i = best.edits.len();
            while i > 0 {
                i -= 1;
                if used >= self.config.max_shrink_requests || !self.shrink_allowed() {
                    complete = false;
                    break 'passes;
                }
                let trial = best.without(i);
                if trial.edits.is_empty() {
                    continue;
                }
                match self.evaluate(&trial, false).await {
                    Eval::Judged(j) => {
                        used += 1;
                        if let Some(h) = oracle::reproduces(&head, &j.heads) {
                            best = trial;
                            judged = j;
                            head = h;
                            improved = true;
                        }
                    }
                    Eval::Transport => used += 1,
                    _ => {}
                }
            }
            if !improved {
                break;
            }
        }
        let started = *lock(&self.started);
        let kinds = oracle::cause_kinds(&head, &best.kinds());
        let rule_id = head.class.rule_id(&head);
        DiffFinding {
            rule_id,
            severity: head.cause.severity(),
            kind: crate::report::Finding::graded(
                "",
                head.cause,
                crate::judge::Confidence::High,
                "",
            )
            .kind,
            cause: Cause { head, kinds },
            edits_before: c.draft.edits.len(),
            draft: best,
            rendered: judged.rendered.clone(),
            reference: judged.reference,
            request: judged.request.clone(),
            response: judged.response.clone(),
            found_after: c.found_after,
            found_after_requests: c.found_after_requests,
            reported_after: started.elapsed(),
            shrink_requests: used,
            shrunk: complete,
            occurrences: 1,
        }
    }
}

pub(super) async fn shrink_loop(shared: Arc<Shared>, mut rx: mpsc::Receiver<Candidate>) {
    while let Some(c) = rx.recv().await {
        let head = c.head.clone();
        let kinds = oracle::cause_kinds(&head, &c.draft.kinds());
        {
            let mut store = lock(&shared.store);
            if store.explained(&head, &kinds) {
                store.done(&head, &kinds);
                continue;
            }
        }
        let finding = shared.shrink(c).await;
        let total = {
            let mut store = lock(&shared.store);
            store.done(&head, &kinds);
            store.insert(finding, (head, kinds));
            store.findings.len()
        };
        shared
            .stats()
            .findings
            .store(total as u64, Ordering::Relaxed);
        if shared
            .config
            .stop_after_findings
            .is_some_and(|n| total >= n)
        {
            shared.stop.store(true, Ordering::Relaxed);
        }
    }
}
