//! Replays a corpus through the `differential` check on stable Rust and prints how each input
//! ended: both accept, both reject, or which allowlist entry explained a disagreement. Shows
//! whether a corpus exercises the allowlist (a disagreement outside it panics, as in the target).
//!
//! ```sh
//! cargo run --release --manifest-path fuzz/Cargo.toml --example diff_stats [-- <corpus dir>]
//! ```

use authprobe_fuzz::checks::{differential, DiffOutcome};
use std::collections::BTreeMap;
use std::path::PathBuf;

fn main() {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus/differential"));
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("corpus dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    for file in &files {
        let data = std::fs::read(file).expect("corpus file");
        let outcome = loop {
            match differential(&data) {
                DiffOutcome::ClockTicked => continue,
                other => break other,
            }
        };
        let key = match outcome {
            DiffOutcome::Agree { accepted: true } => "agree: both accept".to_owned(),
            DiffOutcome::Agree { accepted: false } => "agree: both reject".to_owned(),
            DiffOutcome::Allowed(id) => format!("allowlisted: {id}"),
            DiffOutcome::ClockTicked => unreachable!(),
        };
        *counts.entry(key).or_default() += 1;
    }
    println!("{} inputs from {}", files.len(), dir.display());
    for (key, n) in counts {
        println!("{n:6}  {key}");
    }
}
