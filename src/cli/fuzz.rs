//! `authprobe fuzz`: differential fuzzing of the embedded mock or a live backend against the
//! reference validator; reports written in the audit's formats, exit code from the findings.

use super::{Failure, Status};
use anyhow::{anyhow, Context as _};
use authprobe::differential::{self, Budget, Control, FuzzConfig, FuzzOutcome, FuzzTarget};
use authprobe::report::{self, RunReport};
use authprobe::run::http::{Http, HttpOptions, Outgoing};
use authprobe::run::TargetSpec;
use authprobe::target::mock::{Flaw, MockDeployment};
use clap::Args;
use serde_json::Value;
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[derive(Args)]
pub struct FuzzArgs {
    /// A target profile (TOML). Without it and without --backend-url, the embedded mock is fuzzed.
    #[arg(long, value_name = "FILE")]
    pub target: Option<PathBuf>,
    /// The backend API's base URL (live target without a profile).
    #[arg(long, value_name = "URL")]
    pub backend_url: Option<String>,
    /// The Better Auth server's origin (live target without a profile).
    #[arg(long, value_name = "URL")]
    pub auth_url: Option<String>,
    /// The issuer's private JWK: white-box mode, claim and header edits are re-signed.
    #[arg(long, value_name = "FILE")]
    pub issuer_key: Option<PathBuf>,
    /// A valid token to start from when there is no auth server (token, file or -).
    #[arg(long, value_name = "TOKEN|FILE|-")]
    pub token: Option<String>,
    /// The published key set (file or http(s) URL) when there is no auth server.
    #[arg(long, value_name = "FILE|URL")]
    pub jwks: Option<String>,
    /// Fuzz the mock built with one deliberate flaw (see `audit --list-mock-variants`).
    #[arg(long, value_name = "VARIANT")]
    pub mock_variant: Option<String>,
    /// When to stop: a duration (60s, 5m, 1h) or a number of generated requests (10000, 20k).
    #[arg(long, default_value = "60s", value_name = "DURATION|REQUESTS")]
    pub budget: Budget,
    /// Seed of the mutation sequence (default: random, printed); the same seed and starting
    /// token give the same sequence.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..=512))]
    pub concurrency: u64,
    /// Limit the request rate (requests per second).
    #[arg(long, value_name = "PER_SECOND")]
    pub rate: Option<f64>,
    /// Per-request timeout in milliseconds.
    #[arg(long, default_value_t = 10_000)]
    pub timeout_ms: u64,
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
    /// An extra CA certificate (PEM) to trust for https targets.
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// Do not verify TLS certificates (dangerous; warned loudly).
    #[arg(long)]
    pub insecure: bool,
    /// Send everything through this proxy.
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,
    /// Extra header on every request, `Name: value` (repeatable).
    #[arg(long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
    /// Where reports go: <out>/<run-id>/ and <out>/latest/.
    #[arg(long, default_value = "reports")]
    pub out: PathBuf,
    /// No progress bar.
    #[arg(long)]
    pub no_progress: bool,
}

pub fn fuzz(args: FuzzArgs) -> Result<Status, Failure> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let outcome = runtime.block_on(run(&args))?;
    let dir = write_reports(&outcome.report, &args.out)?;
    print_summary(&outcome, &dir, args.show_tokens);
    if outcome.target_unreachable {
        return Err(Failure::Unreachable(anyhow!(
            "the target could not be reached or stopped answering; partial report in {}",
            dir.display()
        )));
    }
    if !outcome.baseline_ok {
        return Ok(Status::BaselineFailed);
    }
    let s = &outcome.report.summary;
    Ok(if s.findings + s.contract_deviations > 0 || s.failed > 0 {
        Status::Rejected
    } else if outcome.stats.transport_errors * 100 > outcome.stats.requests.max(1) {
        Status::Errored
    } else {
        Status::Success
    })
}

async fn run(args: &FuzzArgs) -> Result<FuzzOutcome, Failure> {
    let seed = args.seed.unwrap_or_else(differential::random_seed);
    let config = FuzzConfig {
        concurrency: args.concurrency as usize,
        budget: args.budget,
        seed,
        http: http_options(args)?,
        path: args.path.clone(),
        catalogue_seeds: !args.no_catalogue,
        max_shrink_requests: args.max_shrink_requests,
        stop_after_findings: args.stop_after,
        ..FuzzConfig::default()
    };
    let live = args.target.is_some() || args.backend_url.is_some();
    let mut mock = None;
    let target = if live {
        if args.mock_variant.is_some() {
            return Err(Failure::Input(anyhow!(
                "--mock-variant only applies to the embedded mock"
            )));
        }
        live_target(args, &config.http).await?
    } else {
        let flaw = match &args.mock_variant {
            Some(name) => Some(name.parse::<Flaw>().map_err(|e| {
                let names: Vec<&str> = Flaw::ALL.iter().map(|f| f.name()).collect();
                anyhow!("{e}; available: {}", names.join(", "))
            })?),
            None => None,
        };
        let deployment = MockDeployment::start(flaw).await;
        let target = FuzzTarget::new(TargetSpec::for_mock(&deployment));
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
    let ticker = progress_bar(args.no_progress).map(|bar| {
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

fn progress_bar(disabled: bool) -> Option<indicatif::ProgressBar> {
    if disabled || !std::io::stderr().is_terminal() {
        return None;
    }
    let colour = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let template = if colour {
        "{spinner:.cyan} [{elapsed_precise}] {bar:30.cyan/blue} {msg}"
    } else {
        "{spinner} [{elapsed_precise}] {bar:30} {msg}"
    };
    let bar = indicatif::ProgressBar::new(1000);
    bar.set_style(
        indicatif::ProgressStyle::with_template(template)
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    Some(bar)
}

fn http_options(args: &FuzzArgs) -> Result<HttpOptions, Failure> {
    super::audit::http_options_from(
        &args.headers,
        args.timeout_ms,
        args.rate,
        args.ca_cert.as_ref(),
        args.insecure,
        args.proxy.as_ref(),
    )
}

async fn read_jwks(arg: &str, http: &HttpOptions) -> Result<Value, Failure> {
    let text = if arg.starts_with("http://") || arg.starts_with("https://") {
        let client = Http::new(http.clone()).map_err(|e| Failure::Input(anyhow!("{e}")))?;
        let response = client
            .send(&Outgoing {
                method: "GET".into(),
                url: arg.to_owned(),
                headers: vec![],
                body: None,
            })
            .await
            .map_err(|e| Failure::Unreachable(anyhow!("--jwks {arg}: {e}")))?;
        if response.status != 200 {
            return Err(Failure::Unreachable(anyhow!(
                "--jwks {arg}: HTTP {}",
                response.status
            )));
        }
        response.body
    } else {
        std::fs::read(arg).with_context(|| format!("reading JWKS file {arg}"))?
    };
    serde_json::from_slice(&text).map_err(|e| Failure::Input(anyhow!("--jwks {arg}: {e}")))
}

async fn live_target(args: &FuzzArgs, http: &HttpOptions) -> Result<FuzzTarget, Failure> {
    let super::audit::LiveTarget {
        profile,
        endpoints,
        credentials,
        token,
    } = super::audit::resolve_live(
        args.target.as_deref(),
        args.backend_url.as_ref(),
        args.auth_url.as_ref(),
        args.token.as_ref(),
    )?;
    let jwks = match &args.jwks {
        Some(j) => Some(read_jwks(j, http).await?),
        None => None,
    };
    Ok(FuzzTarget {
        spec: TargetSpec {
            kind: "live".into(),
            variant: None,
            endpoints,
            issuer_key: args
                .issuer_key
                .as_deref()
                .map(super::audit::read_issuer_key)
                .transpose()?,
            token,
            credentials,
            placement: profile.token.clone(),
            contract: profile.contract.clone(),
            auth_rate_limiting: profile.target.auth_rate_limiting,
        },
        jwks,
        policy: profile.policy.clone(),
    })
}

fn write_reports(report: &RunReport, out: &Path) -> Result<PathBuf, Failure> {
    let dir = out.join(&report.run_id);
    report::write_all(report, &dir).map_err(|e| Failure::Input(anyhow!("writing reports: {e}")))?;
    let latest = out.join("latest");
    let _ = std::fs::remove_dir_all(&latest);
    report::write_all(report, &latest)
        .map_err(|e| Failure::Input(anyhow!("writing reports: {e}")))?;
    Ok(dir)
}

fn print_summary(outcome: &FuzzOutcome, dir: &Path, show_tokens: bool) {
    let report = &outcome.report;
    let s = &outcome.stats;
    let colour = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::io::stdout().is_terminal();
    let paint = |code: &str, text: String| {
        if colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text
        }
    };
    outln!(
        "fuzz {} ({}{}): {} requests in {:.1} s, {:.0} requests/s; seed {}",
        report.run_id,
        report.target.kind,
        report
            .target
            .variant
            .as_deref()
            .map(|v| format!(", variant {v}"))
            .unwrap_or_default(),
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
    let cases = report
        .suites
        .iter()
        .flat_map(|s| &s.cases)
        .filter(|c| c.id != "summary");
    for (case, finding) in cases.zip(&outcome.findings) {
        if let Some(f) = case.findings.first() {
            outln!(
                "  FAIL {} (after {:.1} s): {}",
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
