//! The built-in suites, compiled into the binary from `scenarios/*.toml` so `authprobe audit`
//! needs no files beside it.

use crate::scenario::{self, ScenarioError, Suite};

/// (file name, text) of every built-in suite, in run order.
pub const BUILTIN: [(&str, &str); 7] = [
    (
        "scenarios/unauthenticated.toml",
        include_str!("../../scenarios/unauthenticated.toml"),
    ),
    (
        "scenarios/error-contract.toml",
        include_str!("../../scenarios/error-contract.toml"),
    ),
    (
        "scenarios/attacks.toml",
        include_str!("../../scenarios/attacks.toml"),
    ),
    (
        "scenarios/placement.toml",
        include_str!("../../scenarios/placement.toml"),
    ),
    (
        "scenarios/better-auth.toml",
        include_str!("../../scenarios/better-auth.toml"),
    ),
    (
        "scenarios/cors.toml",
        include_str!("../../scenarios/cors.toml"),
    ),
    (
        "scenarios/lifecycle.toml",
        include_str!("../../scenarios/lifecycle.toml"),
    ),
];

/// Parses the built-in suites.
pub fn builtin_suites() -> Result<Vec<Suite>, ScenarioError> {
    BUILTIN
        .iter()
        .map(|(name, text)| scenario::load_str(name, text))
        .collect()
}
