//! The `authprobe` binary as a user runs it: verdicts, documented exit codes, inputs from the
//! command line, files and standard input, and clear errors that name what is wrong and where.
//!
//! One test binary; this file is its root and holds the helpers the modules share (the `validate`
//! command line, output as text, an audit of a mock variant). The tests are module files of
//! `tests/cli/`: `verdicts` (validate, decode), `forge_crack`, `audit` and `audit_inputs`.

mod common;

#[path = "cli/audit.rs"]
mod audit;
#[path = "cli/audit_inputs.rs"]
mod audit_inputs;
#[path = "cli/forge_crack.rs"]
mod forge_crack;
#[path = "cli/verdicts.rs"]
mod verdicts;

use common::{authprobe, fixture_path};
use std::process::Output;

const ISS: &str = "http://127.0.0.1:3000";

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn validate(token_arg: &str, extra: &[&str], stdin: Option<&str>) -> Output {
    let jwks = fixture_path("better-auth/jwks.json");
    let mut args = vec![
        "validate",
        "--jwks",
        jwks.to_str().unwrap(),
        "--issuer",
        ISS,
        "--audience",
        ISS,
    ];
    args.extend_from_slice(extra);
    args.push(token_arg);
    authprobe(&args, stdin)
}

fn audit_mock(
    variant: &str,
    extra: &[&str],
    out: &std::path::Path,
) -> (Option<i32>, String, String) {
    let mut args = vec![
        "audit",
        "--no-progress",
        "--mock-variant",
        variant,
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let run = authprobe(&args, None);
    let (stdout, stderr) = text(&run);
    (run.status.code(), stdout, stderr)
}
