//! The report writers: golden files (JSON, Markdown, SARIF), JUnit structure, SARIF schema
//! validation against OASIS's SARIF 2.1.0 schemas, a self-contained and fully escaped HTML page,
//! and `write_all` (five files, and a refusal for anything carrying a token); the grading gate,
//! suppressions, baselines (fingerprints, new/unchanged/absent) and multi-target reports.
//!
//! One test binary, one module per subject, each a file in `tests/reports/` (this file stays the
//! binary's root, so `cargo test --test reports` and the paths that name it are unchanged):
//! `runs` builds the runs every module writes (and compares goldens); `json`, `markdown`, `junit`,
//! `sarif` and `html` test one format each; `gate`, `suppressions`, `baselines` and `targets` the
//! judging around them; `write_all` the files on disk and the token guard.
//!
//! Goldens live in `tests/fixtures/reports/`; `UPDATE_GOLDEN=1` rewrites them.

mod common;

#[path = "reports/baselines.rs"]
mod baselines;
#[path = "reports/gate.rs"]
mod gate;
#[path = "reports/html.rs"]
mod html;
#[path = "reports/json.rs"]
mod json;
#[path = "reports/junit.rs"]
mod junit;
#[path = "reports/markdown.rs"]
mod markdown;
#[path = "reports/runs.rs"]
mod runs;
#[path = "reports/sarif.rs"]
mod sarif;
#[path = "reports/suppressions.rs"]
mod suppressions;
#[path = "reports/targets.rs"]
mod targets;
#[path = "reports/write_all.rs"]
mod write_all;
