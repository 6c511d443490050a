//! `authprobe audit`: every built-in suite (or a folder of suites) against the embedded mock
//! deployment, or a live one given by a target profile or URLs; reports written, exit code
//! decided from the results.

use super::{Failure, Status};
use anyhow::{anyhow, Context as _};
use authprobe::report::{self, Outcome, RunReport};
use authprobe::run::http::HttpOptions;
use authprobe::run::session::Credentials;
use authprobe::run::{self, RunConfig, TargetSpec};
use authprobe::scenario::{self, Suite};
use authprobe::sign::SigningKey;
use authprobe::target::mock::{Flaw, MockDeployment};
use authprobe::target::profile::TargetProfile;
use authprobe::target::Endpoints;
use clap::Args;
use serde_json::{Map, Value};
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Args)]
pub struct AuditArgs {
    /// A target profile (TOML). Without it and without --backend-url, the embedded mock is audited.
    #[arg(long, value_name = "FILE")]
    pub target: Option<PathBuf>,
    /// The backend API's base URL (live target without a profile).
    #[arg(long, value_name = "URL")]
    pub backend_url: Option<String>,
    /// The Better Auth server's origin (live target without a profile).
    #[arg(long, value_name = "URL")]
    pub auth_url: Option<String>,
    /// The issuer's private JWK: white-box mode, every case runs.
    #[arg(long, value_name = "FILE")]
    pub issuer_key: Option<PathBuf>,
    /// A valid token to start from when there is no auth server (token, file or -).
    #[arg(long, value_name = "TOKEN|FILE|-")]
    pub token: Option<String>,
    /// Audit the mock built with one deliberate flaw (see --list-mock-variants).
    #[arg(long, value_name = "VARIANT")]
    pub mock_variant: Option<String>,
    /// List the mock's flawed variants and exit.
    #[arg(long)]
    pub list_mock_variants: bool,
    /// Run only these suites (repeatable).
    #[arg(long = "suite", value_name = "NAME")]
    pub suites: Vec<String>,
    /// Read suites from this folder instead of the built-in ones.
    #[arg(long, value_name = "DIR")]
    pub scenarios: Option<PathBuf>,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..=512))]
    pub concurrency: u64,
    /// Per-request timeout in milliseconds.
    #[arg(long, default_value_t = 10_000)]
    pub timeout_ms: u64,
    /// Overall budget in seconds; cases not started by then are skipped.
    #[arg(long, value_name = "SECONDS")]
    pub budget: Option<u64>,
    /// Limit the request rate (requests per second).
    #[arg(long, value_name = "PER_SECOND")]
    pub rate: Option<f64>,
    /// An extra CA certificate (PEM) to trust for https targets.
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// Do not verify TLS certificates (dangerous; warned loudly).
    #[arg(long)]
    pub insecure: bool,
    /// Send everything through this proxy (e.g. Burp at http://127.0.0.1:8080).
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

pub fn audit(args: AuditArgs) -> Result<Status, Failure> {
    if args.list_mock_variants {
        for f in Flaw::ALL {
            outln!("{:<28} {}", f.name(), f.description());
        }
        return Ok(Status::Success);
    }
    let suites = load_suites(&args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let outcome = runtime.block_on(run_audit(&args, suites))?;
    let mut report = outcome.report;
    report.summarize();
    let dir = write_reports(&report, &args.out)?;
    print_summary(&report, &dir);
    if outcome.target_unreachable {
        return Err(Failure::Unreachable(anyhow!(
            "the target could not be reached or stopped answering; partial report in {}",
            dir.display()
        )));
    }
    if !report.baseline_ok {
        return Ok(Status::BaselineFailed);
    }
    let failing = report.summary.findings + report.summary.contract_deviations;
    Ok(if failing > 0 || report.summary.failed > 0 {
        Status::Rejected
    } else if report.summary.errored > 0 {
        Status::Errored
    } else {
        Status::Success
    })
}

fn load_suites(args: &AuditArgs) -> Result<Vec<Suite>, Failure> {
    let all = match &args.scenarios {
        Some(dir) => scenario::load_dir(dir).map_err(|e| Failure::Input(anyhow!("{e}")))?,
        None => run::builtin::builtin_suites()
            .map_err(|e| Failure::Input(anyhow!("built-in suite: {e}")))?,
    };
    if args.suites.is_empty() {
        return Ok(all);
    }
    let names: Vec<String> = all.iter().map(|s| s.suite.name.clone()).collect();
    for wanted in &args.suites {
        if !names.contains(wanted) {
            return Err(Failure::Input(anyhow!(
                "no suite {wanted:?}; available: {}",
                names.join(", ")
            )));
        }
    }
    Ok(all
        .into_iter()
        .filter(|s| args.suites.contains(&s.suite.name))
        .collect())
}

fn http_options(args: &AuditArgs) -> Result<HttpOptions, Failure> {
    http_options_from(
        &args.headers,
        args.timeout_ms,
        args.rate,
        args.ca_cert.as_ref(),
        args.insecure,
        args.proxy.as_ref(),
    )
}

/// The transport options `audit` and `fuzz` share, from their flags.
pub(super) fn http_options_from(
    headers: &[String],
    timeout_ms: u64,
    rate: Option<f64>,
    ca_cert: Option<&PathBuf>,
    insecure: bool,
    proxy: Option<&String>,
) -> Result<HttpOptions, Failure> {
    let mut extra = Vec::new();
    for h in headers {
        let (name, value) = h
            .split_once(':')
            .ok_or_else(|| anyhow!("--header {h:?}: expected `Name: value`"))?;
        extra.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    Ok(HttpOptions {
        timeout: Duration::from_millis(timeout_ms),
        rate_per_sec: rate,
        ca_cert: ca_cert.cloned(),
        insecure,
        proxy: proxy.cloned(),
        extra_headers: extra,
        ..HttpOptions::default()
    })
}

/// Reads a private JWK file (`--issuer-key`).
pub(super) fn read_issuer_key(path: &Path) -> Result<SigningKey, Failure> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let jwk: Map<String, Value> = serde_json::from_str(&text)
        .map_err(|e| anyhow!("{}: not a JSON object: {e}", path.display()))?;
    Ok(SigningKey::from_private_jwk(&jwk).map_err(|e| anyhow!("{}: {e}", path.display()))?)
}

async fn run_audit(args: &AuditArgs, suites: Vec<Suite>) -> Result<run::AuditOutcome, Failure> {
    let config = RunConfig {
        concurrency: args.concurrency as usize,
        budget: args.budget.map(Duration::from_secs),
        http: http_options(args)?,
        ..RunConfig::default()
    };
    let live = args.target.is_some() || args.backend_url.is_some();
    let mut mock = None;
    let target = if live {
        if args.mock_variant.is_some() {
            return Err(Failure::Input(anyhow!(
                "--mock-variant only applies to the embedded mock"
            )));
        }
        live_target(args)?
    } else {
        let flaw = match &args.mock_variant {
            Some(name) => Some(name.parse::<Flaw>().map_err(|e| {
                let names: Vec<&str> = Flaw::ALL.iter().map(|f| f.name()).collect();
                anyhow!("{e}; available: {}", names.join(", "))
            })?),
            None => None,
        };
        let deployment = MockDeployment::start(flaw).await;
        let spec = TargetSpec::for_mock(&deployment);
        mock = Some(deployment);
        spec
    };
    let bar = progress_bar(args.no_progress);
    let tick = |done: usize, total: usize| {
        if let Some(b) = &bar {
            b.set_length(total as u64);
            b.set_position(done as u64);
        }
    };
    let outcome = run::audit(target, suites, config, &tick)
        .await
        .map_err(|e| Failure::Input(anyhow!("{e}")))?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    drop(mock);
    Ok(outcome)
}

/// A live target from `--target` (or plain URLs), with credentials from the environment and an
/// optional starting token: what `audit` and `fuzz` share.
pub(super) struct LiveTarget {
    pub profile: TargetProfile,
    pub endpoints: Endpoints,
    pub credentials: Option<Credentials>,
    pub token: Option<String>,
}

pub(super) fn resolve_live(
    target: Option<&Path>,
    backend_url: Option<&String>,
    auth_url: Option<&String>,
    token: Option<&String>,
) -> Result<LiveTarget, Failure> {
    let profile = match target {
        Some(path) => TargetProfile::load(path).map_err(|e| Failure::Input(anyhow!("{e}")))?,
        None => {
            let mut p = TargetProfile::default();
            p.target.backend_url = backend_url.cloned().unwrap_or_default();
            p.target.auth_base_path = "/api/auth".into();
            p
        }
    };
    let mut endpoints = profile.endpoints();
    if let Some(url) = backend_url {
        endpoints.backend = url.clone();
    }
    if let Some(url) = auth_url {
        endpoints.auth = Some(url.clone());
    }
    let credentials = match (
        &profile.credentials.email_env,
        &profile.credentials.password_env,
    ) {
        (Some(email), Some(password)) => Some(Credentials {
            name: "authprobe".into(),
            email: std::env::var(email)
                .map_err(|_| anyhow!("credentials.email_env: ${email} is not set"))?,
            password: std::env::var(password)
                .map_err(|_| anyhow!("credentials.password_env: ${password} is not set"))?,
            sign_up: profile.credentials.sign_up,
        }),
        _ => None,
    };
    let token = match token {
        Some(t) => Some(String::from_utf8_lossy(&super::read_token(t)?.0).into_owned()),
        None => None,
    };
    Ok(LiveTarget {
        profile,
        endpoints,
        credentials,
        token,
    })
}

fn live_target(args: &AuditArgs) -> Result<TargetSpec, Failure> {
    let LiveTarget {
        profile,
        endpoints,
        credentials,
        token,
    } = resolve_live(
        args.target.as_deref(),
        args.backend_url.as_ref(),
        args.auth_url.as_ref(),
        args.token.as_ref(),
    )?;
    Ok(TargetSpec {
        kind: "live".into(),
        variant: None,
        endpoints,
        issuer_key: args
            .issuer_key
            .as_deref()
            .map(read_issuer_key)
            .transpose()?,
        token,
        credentials,
        placement: profile.token.clone(),
        contract: profile.contract.clone(),
        auth_rate_limiting: profile.target.auth_rate_limiting,
    })
}

fn progress_bar(disabled: bool) -> Option<indicatif::ProgressBar> {
    if disabled || !std::io::stderr().is_terminal() {
        return None;
    }
    let colour = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let template = if colour {
        "{spinner:.cyan} [{elapsed_precise}] {bar:40.cyan/blue} {pos}/{len} cases"
    } else {
        "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} cases"
    };
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(template)
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    Some(bar)
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

fn print_summary(report: &RunReport, dir: &Path) {
    let s = &report.summary;
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
        "audit {} ({}{}): {} cases in {:.1} s",
        report.run_id,
        report.target.kind,
        report
            .target
            .variant
            .as_deref()
            .map(|v| format!(", variant {v}"))
            .unwrap_or_default(),
        s.total,
        report.duration_ms as f64 / 1000.0
    );
    outln!(
        "  {} passed, {} failed, {} errors, {} skipped; {} security findings, {} contract deviations",
        paint("32", s.passed.to_string()),
        paint("31", s.failed.to_string()),
        paint("33", s.errored.to_string()),
        s.skipped,
        paint("31", s.findings.to_string()),
        s.contract_deviations
    );
    if !report.baseline_ok {
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
    let failing: Vec<_> = report
        .all_cases()
        .filter(|c| c.outcome == Outcome::Fail)
        .collect();
    for case in failing.iter().take(10) {
        if let Some(f) = case.findings.first() {
            outln!(
                "  FAIL {} {}/{}: {}",
                f.rule_id,
                case.suite,
                case.id,
                f.message
            );
        }
    }
    if failing.len() > 10 {
        outln!(
            "  … {} more failing cases: see the report",
            failing.len() - 10
        );
    }
    outln!("  reports: {}", dir.display());
}
