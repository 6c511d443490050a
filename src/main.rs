//! The `authprobe` command: argument parsing, printing, and the exit code, decided in one place.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::init_logging();
    let outcome = cli::run();
    match outcome {
        Ok(status) => status.exit_code(),
        Err(failure) => {
            eprintln!("authprobe: {}", failure.message());
            failure.exit_code()
        }
    }
}
