//! Differential fuzzing of a live backend against the reference validator.
//!
//! From a real token and the target's published key set, [`mutate::Generator`] builds tokens by
//! structure-aware, seeded mutation (header members, claims and their JSON types, encodings,
//! signatures, re-signing with the issuer or an attacker key, catalogue tokens as seeds). Each
//! is rendered right before it is sent, judged by the reference [`oracle::Oracle`] on the exact
//! bytes the backend receives, and the backend's verdict (accepted, or refused with which code)
//! is compared with it. The rest of the answer's envelope is judged too: a refusal's
//! `WWW-Authenticate` challenge against the contract's row, and, for the drafts that send an
//! `Origin` or a CORS preflight, the CORS headers against the contract's CORS rules. Every
//! disagreement is shrunk to a minimal draft (token edits, `Origin`, preflight) that still
//! disagrees, de-duplicated by cause, and reported in the audit's formats with a curl
//! reproduction.
//!
//! [`fuzz`] runs the whole thing with bounded concurrency, an optional rate, a budget in
//! requests or time, and a clean stop on [`Control::interrupt`] (Ctrl-C in the CLI).
//!
//! The parts: `config` (what a run is told), `outcome` (its counters and what it returns),
//! `setup` (the session, the starting token, the keys and the reference), `campaign` (the
//! workers and their shared state), `exchange` (sending one draft and judging the answer),
//! `shrink` (reducing a disagreement to its minimal draft) and `findings` (de-duplication by
//! cause); [`mutate`] makes the drafts, [`oracle`] is the reference's side of each comparison.

mod campaign;
mod config;
mod exchange;
mod findings;
pub mod mutate;
pub mod oracle;
mod outcome;
mod report;
mod setup;
mod shrink;

pub use campaign::fuzz;
pub use config::{Budget, FuzzConfig, FuzzTarget};
pub use mutate::{Draft, Edit, Generator, Material, MaterialInput, OriginOp, Rendered, Shape};
pub use oracle::{Answer, Class, Comparison, Head, Oracle, Reference};
pub use outcome::{Cause, Control, DiffFinding, FuzzOutcome, Stats, StatsSnapshot};
pub use setup::{attacker_keys, random_seed, reference_policy, shape_of, FuzzError};

use std::sync::{Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

/// The wall clock in Unix seconds (what tokens are rendered and judged at).
fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// A lock that a panicked holder did not poison (the counters and findings stay usable).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
