//! Scenario suites: the TOML format of `scenarios/` ([`model`]).

pub mod model;

pub use model::*;
