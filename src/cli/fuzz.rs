//! `authprobe fuzz`: differential fuzzing of the embedded mock or a live backend against the
//! reference validator; reports written in the audit's formats, exit code from the findings.

use super::deployment::{DeploymentArgs, FetchError, GateArgs, OutputArgs, TransportArgs};
use super::{Failure, Status};
use anyhow::{anyhow, Context as _};
use authprobe::deployment::http::HttpOptions;
use authprobe::deployment::mock::MockDeployment;
use authprobe::differential::{self, Budget, Control, FuzzConfig, FuzzOutcome, FuzzTarget};
use authprobe::run::TargetSpec;
use clap::Args;
use serde_json::Value;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[derive(Args)]
pub struct FuzzArgs {
    #[command(flatten)]
    pub deployment: DeploymentArgs,
    /// The published key set (file or http(s) URL) when there is no auth server.
    #[arg(long, value_name = "FILE|URL")]
    pub jwks: Option<String>,
    /// When to stop: a duration (60s, 5m, 1h) or a number of generated requests (10000, 20k).
    #[arg(long, default_value = "60s", value_name = "DURATION|REQUESTS")]
    pub budget: Budget,
    /// Seed of the mutation sequence (default: random, printed); the same seed and starting
    /// token give the same sequence.
    #[arg(long)]
    pub seed: Option<u64>,
    /// The protected path tokens are sent to.
    #[arg(long, default_value = "/api/me")]
    pub path: String,
    /// Do not seed the generator with the attack catalogue's tokens.
    #[arg(long)]
    pub no_catalogue: bool,
    /// Requests at most spent on shrinking one disagreement.
    #[arg(long, default_value_t = 200)]
    pub max_shrink_requests: usize,
    /// Stop after this many distinct findings.
    #[arg(long, value_name = "N")]
    pub stop_after: Option<usize>,
    /// Print each finding's minimal token on standard output (a credential: never in reports).
    #[arg(long)]
    pub show_tokens: bool,
    #[command(flatten)]
    pub transport: TransportArgs,
    #[command(flatten)]
    pub gate: GateArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

pub fn fuzz(args: FuzzArgs) -> Result<Status, Failure> {
    let gate = args.gate.load()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let mut outcome = runtime.block_on(run(&args))?;
    gate.apply(&mut outcome.report);
    let dir = args.output.write_reports(&outcome.report)?;
    print_summary(&outcome, &dir, args.show_tokens);
    if outcome.target_unreachable {
        return Err(Failure::Unreachable(anyhow!(
            "the target could not be reached or stopped answering; partial report in {}",
            dir.display()
        )));
    }
    let errored = outcome.stats.transport_errors * 100 > outcome.stats.requests.max(1);
    Ok(super::deployment::run_status(
        &outcome.report,
        errored,
        gate.max_unjudged,
    ))
}

async fn run(args: &FuzzArgs) -> Result<FuzzOutcome, Failure> {
    let seed = args.seed.unwrap_or_else(differential::random_seed);
    let config = FuzzConfig {
        concurrency: args.transport.concurrency as usize,
        budget: args.budget,
        seed,
        http: args.transport.http_options()?,
        path: args.path.clone(),
        catalogue_seeds: !args.no_catalogue,
        max_shrink_requests: args.max_shrink_requests,
        stop_after_findings: args.stop_after,
        ..FuzzConfig::default()
    };
    let flaw = args.deployment.mock_flaw()?;
    let mut mock = None;
    let target = if args.deployment.is_live() {
        live_target(args, &config.http).await?
    } else {
        let deployment = MockDeployment::start(flaw).await;
        let target = TargetSpec::for_mock(&deployment);
        mock = Some(deployment);
        target
    };

    let control = Arc::new(Control::default());
    let on_signal = control.clone();
    let signal = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("authprobe: interrupted, stopping and writing the report…");
            on_signal.interrupt();
        }
    });
    let done = Arc::new(AtomicBool::new(false));
    let ticker = args
        .output
        .progress_bar(
            1000,
            "{spinner:.cyan} [{elapsed_precise}] {bar:30.cyan/blue} {msg}",
            "{spinner} [{elapsed_precise}] {bar:30} {msg}",
        )
        .map(|bar| {
            let (control, done, budget) = (control.clone(), done.clone(), args.budget);
            tokio::spawn(async move {
                while !done.load(Ordering::Relaxed) {
                    tick(&bar, &control, budget);
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                bar.finish_and_clear();
            })
        });
    let result = differential::fuzz(target, config, control).await;
    done.store(true, Ordering::Relaxed);
    if let Some(t) = ticker {
        let _ = t.await;
    }
    signal.abort();
    drop(mock);
    result.map_err(|e| match e {
        differential::FuzzError::Unreachable(m) => Failure::Unreachable(anyhow!(m)),
        other => Failure::Input(anyhow!("{other}")),
    })
}

fn tick(bar: &indicatif::ProgressBar, control: &Control, budget: Budget) {
    let s = control.stats.snapshot();
    let Some(started) = control.started() else {
        bar.set_message("starting: session, key set, catalogue seeds…");
        return;
    };
    let secs = started.elapsed().as_secs_f64().max(1e-3);
    let fraction = match budget {
        Budget::Requests(n) => s.tokens as f64 / n as f64,
        Budget::Time(d) => secs / d.as_secs_f64(),
    };
    bar.set_position((fraction.clamp(0.0, 1.0) * 1000.0) as u64);
    bar.set_message(format!(
        "{} requests, {:.0}/s, {} findings",
        s.requests,
        s.requests as f64 / secs,
        s.findings
    ));
}

/// A key set from `--jwks`: a JWKS file, or an http(s) URL fetched once.
pub(super) async fn read_jwks(arg: &str, http: &HttpOptions) -> Result<Value, Failure> {
    let text = if arg.starts_with("http://") || arg.starts_with("https://") {
        super::deployment::fetch_document(arg, http, "application/json")
            .await
            .map_err(|e| match e {
                FetchError::Client(e) => Failure::Input(anyhow!("{e}")),
                FetchError::Unreachable(e) => Failure::Unreachable(anyhow!("--jwks {arg}: {e}")),
            })?
    } else {
        std::fs::read(arg).with_context(|| format!("reading JWKS file {arg}"))?
    };
    serde_json::from_slice(&text).map_err(|e| Failure::Input(anyhow!("--jwks {arg}: {e}")))
}

async fn live_target(args: &FuzzArgs, http: &HttpOptions) -> Result<FuzzTarget, Failure> {
    let mut spec = args.deployment.live()?;
    if let Some(j) = &args.jwks {
        spec.jwks = Some(read_jwks(j, http).await?);
    }
    Ok(spec)
}

fn print_summary(outcome: &FuzzOutcome, dir: &Path, show_tokens: bool) {
    let report = &outcome.report;
    let s = &outcome.stats;
    let paint = super::deployment::painter();
    outln!(
        "fuzz {} ({}): {} requests in {:.1} s, {:.0} requests/s; seed {}",
        report.run_id,
        report.target.label(),
        s.requests,
        outcome.elapsed.as_secs_f64(),
        outcome.requests_per_sec(),
        outcome.seed
    );
    outln!(
        "  {} generated requests ({} CORS preflights), {} shrinking requests, {} inconclusive, {} not sendable, {} transport errors; {} findings",
        s.tokens,
        s.preflights,
        s.shrink_requests,
        s.inconclusive,
        s.unsendable,
        s.transport_errors,
        paint(
            if outcome.findings.is_empty() { "32" } else { "31" },
            outcome.findings.len().to_string()
        )
    );
    if !outcome.baseline_ok {
        outln!(
            "  {}",
            paint(
                "31",
                "BASELINE FAILED: the target or its configuration is wrong".into()
            )
        );
    }
    for note in &report.notes {
        outln!("  note: {note}");
    }
    super::deployment::print_grades(report);
    let cases = report
        .suites
        .iter()
        .flat_map(|s| &s.cases)
        .filter(|c| c.id != "summary");
    let mut listed: Vec<_> = cases.zip(&outcome.findings).collect();
    listed.sort_by_key(|(c, _)| std::cmp::Reverse(c.findings.first().map(|f| f.severity)));
    for (case, finding) in listed {
        if let Some(f) = case.findings.first() {
            let why = f.cause.map_or("", |c| c.id());
            outln!(
                "  {:<8} {} (after {:.1} s) [{why}]: {}",
                f.severity.name().to_uppercase(),
                f.rule_id,
                finding.found_after.as_secs_f64(),
                f.message
            );
        }
        if show_tokens {
            outln!("    token: {}", finding.rendered.token);
        }
    }
    outln!("  reports: {}", dir.display());
}
