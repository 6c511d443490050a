//! Denial of service by slow answers (findings.md §7, `AP-DOS-SLOW`): the threshold a case's
//! answer time is judged against.

use super::*;

/// An attack case's answer at least this many times the target's median answer time …
pub const SLOW_FACTOR: u64 = 10;
/// … and at least this long is a denial-of-service finding (findings.md §7, `AP-DOS-SLOW`), if
/// it is that slow again when re-sent alone.
pub const SLOW_FLOOR: Duration = Duration::from_secs(1);
/// After this many requests of a target got no answer within the timeout …
pub(super) const HUNG_AFTER_TIMEOUTS: usize = 3;

/// … each further request gets this long instead of the whole timeout: a quarter of it, and at
/// least twice [`SLOW_FLOOR`] so that a slow answer still counts as one. A target that hangs on
/// many cases (a backlog of key-set fetches, a stuck worker) would otherwise hold the audit for
/// a whole timeout per case and slot; what still times out is re-checked alone like every slow
/// answer, and the report says the limit changed.
pub(super) fn hung_limit(timeout: Duration) -> Duration {
    (timeout / 4).max(SLOW_FLOOR * 2).min(timeout)
}

/// The case's request got no answer within its time limit.
pub(super) fn timed_out(case: &CaseResult) -> bool {
    case.outcome == Outcome::Error
        && case
            .message
            .as_deref()
            .is_some_and(|m| m.contains("timed out"))
}

/// What a slow case re-sent alone did.
pub(super) enum Alone {
    Answered(Duration),
    /// No answer within the re-check's limit (the threshold and [`SLOW_FLOOR`] more).
    NoAnswerWithin(Duration),
}

/// How many slow cases are re-sent at once.
pub(super) const SLOW_RECHECKS_AT_ONCE: usize = 8;

/// The threshold of a slow answer for these results: [`SLOW_FACTOR`] × the median answer time
/// of every answered case, and at least [`SLOW_FLOOR`]; with the median.
pub(super) fn slow_threshold(suites: &[SuiteResult]) -> Option<(Duration, Duration)> {
    let mut answered: Vec<u64> = suites
        .iter()
        .flat_map(|s| &s.cases)
        .filter(|c| c.observed.is_some())
        .map(|c| c.duration_ms)
        .collect();
    if answered.is_empty() {
        return None;
    }
    answered.sort_unstable();
    let median = Duration::from_millis(answered[answered.len() / 2]);
    Some(((median * SLOW_FACTOR as u32).max(SLOW_FLOOR), median))
}
