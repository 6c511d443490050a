//! What a run is told: its [`Budget`] (requests or time) and the rest of its [`FuzzConfig`].

use crate::deployment::http::HttpOptions;
use crate::run::TargetSpec;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// When a run stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    /// After this many generated tokens were sent (shrinking requests come on top).
    Requests(u64),
    /// After this much time (shrinking may take a short grace period after it).
    Time(Duration),
}

impl FromStr for Budget {
    type Err = String;
    /// `60s`, `2m`, `1h`, `500ms` (a duration) or `10000`, `10k` (a request count).
    fn from_str(s: &str) -> Result<Budget, String> {
        let s = s.trim();
        let bad = || {
            format!(
                "budget {s:?}: expected a duration (60s, 2m, 1h) or a request count (10000, 10k)"
            )
        };
        let number = |t: &str| t.parse::<u64>().map_err(|_| bad());
        let budget = if let Some(ms) = s.strip_suffix("ms") {
            Budget::Time(Duration::from_millis(number(ms)?))
        } else if let Some(v) = s.strip_suffix('s') {
            Budget::Time(Duration::from_secs(number(v)?))
        } else if let Some(v) = s.strip_suffix('m') {
            Budget::Time(Duration::from_secs(number(v)? * 60))
        } else if let Some(v) = s.strip_suffix('h') {
            Budget::Time(Duration::from_secs(number(v)? * 3600))
        } else if let Some(v) = s.strip_suffix('k') {
            Budget::Requests(number(v)? * 1000)
        } else {
            Budget::Requests(number(s)?)
        };
        match budget {
            Budget::Requests(0) => Err(bad()),
            Budget::Time(d) if d.is_zero() => Err(bad()),
            b => Ok(b),
        }
    }
}

impl fmt::Display for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Budget::Requests(n) => write!(f, "{n} requests"),
            Budget::Time(d) => write!(f, "{:.1} s", d.as_secs_f64()),
        }
    }
}

/// How a run behaves.
#[derive(Debug, Clone)]
pub struct FuzzConfig {
    /// Requests in flight at once.
    pub concurrency: usize,
    pub budget: Budget,
    /// Same seed and same base token: the same sequence of drafts.
    pub seed: u64,
    pub http: HttpOptions,
    /// The protected path tokens are sent to.
    pub path: String,
    /// Use the attack catalogue's tokens as seeds.
    pub catalogue_seeds: bool,
    /// Requests at most spent on shrinking one disagreement.
    pub max_shrink_requests: usize,
    /// Stop once this many distinct findings were made.
    pub stop_after_findings: Option<usize>,
    /// After this many connection failures in a row the target counts as down.
    pub max_consecutive_connect_errors: usize,
    /// How long shrinking may continue after the budget is used up.
    pub shrink_grace: Duration,
}

impl Default for FuzzConfig {
    fn default() -> Self {
        FuzzConfig {
            concurrency: 16,
            budget: Budget::Time(Duration::from_secs(60)),
            seed: 0,
            http: HttpOptions::default(),
            path: "/api/me".into(),
            catalogue_seeds: true,
            max_shrink_requests: 200,
            stop_after_findings: None,
            max_consecutive_connect_errors: 8,
            shrink_grace: Duration::from_secs(30),
        }
    }
}

/// What is fuzzed: a deployment exactly as the audit describes it.
pub type FuzzTarget = TargetSpec;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_parse() {
        assert_eq!("60s".parse(), Ok(Budget::Time(Duration::from_secs(60))));
        assert_eq!("2m".parse(), Ok(Budget::Time(Duration::from_secs(120))));
        assert_eq!(
            "500ms".parse(),
            Ok(Budget::Time(Duration::from_millis(500)))
        );
        assert_eq!("10000".parse(), Ok(Budget::Requests(10_000)));
        assert_eq!("20k".parse(), Ok(Budget::Requests(20_000)));
        assert!("0".parse::<Budget>().is_err());
        assert!("fast".parse::<Budget>().is_err());
    }
}
