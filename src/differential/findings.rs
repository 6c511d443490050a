//! The findings of a run so far and the disagreements queued for shrinking: a disagreement a
//! finding already explains is counted under it instead of being shrunk again.

use super::oracle::Head;
use super::outcome::DiffFinding;
use std::collections::BTreeSet;

#[derive(Default)]
pub(super) struct Store {
    pub(super) findings: Vec<DiffFinding>,
    /// Disagreements (head and cause kinds before shrinking) whose shrinking ended in the
    /// finding at this index: the same unshrunk shape needs no shrinking again.
    aliases: Vec<(Head, BTreeSet<String>, usize)>,
    /// Heads (with their cause kinds) queued for shrinking.
    pending: Vec<(Head, BTreeSet<String>)>,
}

impl Store {
    /// True (and counted) if a finding already explains this disagreement.
    pub(super) fn explained(&mut self, head: &Head, kinds: &BTreeSet<String>) -> bool {
        let direct = self
            .findings
            .iter()
            .position(|f| f.cause.head == *head && f.cause.kinds.is_subset(kinds));
        let via_alias = || {
            self.aliases
                .iter()
                .find(|(h, k, _)| h == head && k.is_subset(kinds))
                .map(|(_, _, i)| *i)
        };
        match direct.or_else(via_alias) {
            Some(i) => {
                self.findings[i].occurrences += 1;
                true
            }
            None => false,
        }
    }

    /// True if this disagreement needs no shrinking: explained, or one like it is queued.
    pub(super) fn seen(&mut self, head: &Head, kinds: &BTreeSet<String>) -> bool {
        if self.explained(head, kinds) {
            return true;
        }
        let same_head = self.pending.iter().filter(|(h, _)| h == head).count();
        let duplicate = self.pending.iter().any(|(h, k)| h == head && k == kinds);
        if duplicate || same_head >= 4 {
            return true;
        }
        self.pending.push((head.clone(), kinds.clone()));
        false
    }

    pub(super) fn done(&mut self, head: &Head, kinds: &BTreeSet<String>) {
        if let Some(i) = self
            .pending
            .iter()
            .position(|(h, k)| h == head && k == kinds)
        {
            self.pending.remove(i);
        }
    }

    /// Adds a shrunk finding (or counts it under an equal cause); remembers what it came from.
    pub(super) fn insert(&mut self, finding: DiffFinding, from: (Head, BTreeSet<String>)) {
        let i = match self.findings.iter().position(|f| f.cause == finding.cause) {
            Some(i) => {
                self.findings[i].occurrences += finding.occurrences;
                i
            }
            None => {
                self.findings.push(finding);
                self.findings.len() - 1
            }
        };
        if from.0 != self.findings[i].cause.head || from.1 != self.findings[i].cause.kinds {
            self.aliases.push((from.0, from.1, i));
        }
    }
}
