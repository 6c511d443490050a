//! `authprobe audit`: every built-in suite (or a folder of suites) against the embedded mock
//! deployment, or a live one given by a target profile or URLs; reports written, exit code
//! decided from the results.

use super::deployment::{DeploymentArgs, GateArgs, OutputArgs, TransportArgs};
use super::endpoints;
use super::{Failure, Status};
use anyhow::{anyhow, Context as _};
use authprobe::deployment::mock::{Flaw, MockDeployment};
use authprobe::report::RunReport;
use authprobe::run::{self, RunConfig, TargetSpec};
use authprobe::scenario::{self, Suite};
use clap::Args;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Args)]
pub struct AuditArgs {
    #[command(flatten)]
    pub deployment: DeploymentArgs,
    /// List the mock's flawed variants and exit.
    #[arg(long)]
    pub list_mock_variants: bool,
    /// Run only these suites (repeatable).
    #[arg(long = "suite", value_name = "NAME")]
    pub suites: Vec<String>,
    /// Read suites from this folder instead of the built-in ones.
    #[arg(long, value_name = "DIR")]
    pub scenarios: Option<PathBuf>,
    /// The issuer's key set (a JWKS file or URL) when there is no auth server to read it from:
    /// with --token it gives the reference validator's verdicts for every forged token.
    #[arg(long, value_name = "FILE|URL")]
    pub jwks: Option<String>,
    /// A protected endpoint, `[METHOD] /path [STATUS]` (repeatable; default `GET /api/me`, or
    /// the profile's `[[endpoint]]` entries): every case runs against each, and the report
    /// lists each endpoint and calls out one that accepts what another refuses.
    #[arg(long = "path", value_name = "ENDPOINT")]
    pub paths: Vec<String>,
    /// An OpenAPI document: a file, a URL, or a path on the backend (`/openapi.json`, as
    /// FastAPI serves it). Every operation whose security requires a bearer token is audited.
    #[arg(long, value_name = "FILE|URL|PATH")]
    pub openapi: Option<String>,
    /// Also audit the document's operations with this method (repeatable; they may change
    /// data, so only GET and HEAD are audited unless allowed).
    #[arg(long = "openapi-method", value_name = "METHOD")]
    pub openapi_methods: Vec<String>,
    /// The value of a path parameter of the document's operations (repeatable), winning over
    /// its examples and defaults.
    #[arg(long = "path-param", value_name = "NAME=VALUE")]
    pub path_params: Vec<String>,
    /// The issuer the backend must demand (default: the `iss` of the token the audit starts
    /// from, or the profile's `[policy] issuer`).
    #[arg(long, value_name = "ISS")]
    pub issuer: Option<String>,
    /// The audience the backend must demand (default: the token's `aud`, or the profile's).
    #[arg(long, value_name = "AUD")]
    pub audience: Option<String>,
    /// Listen here for out-of-band fetches (`jku`, `x5u`, URL claims) instead of on
    /// 127.0.0.1, so a target on another machine can reach the listener (e.g. 0.0.0.0:8099).
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: Option<std::net::SocketAddr>,
    /// The URL forged tokens name to reach the `--listen` listener, as the target sees it
    /// (a tunnel, a reverse proxy, or a host name the target resolves).
    #[arg(long, value_name = "URL", requires = "listen")]
    pub callback_url: Option<String>,
    /// Overall budget in seconds; cases not started by then are skipped.
    #[arg(long, value_name = "SECONDS")]
    pub budget: Option<u64>,
    #[command(flatten)]
    pub transport: TransportArgs,
    #[command(flatten)]
    pub gate: GateArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

pub fn audit(args: AuditArgs) -> Result<Status, Failure> {
    if args.list_mock_variants {
        for f in Flaw::ALL {
            outln!("{:<34} {}", f.name(), f.description());
        }
        for f in Flaw::ENDPOINT {
            outln!(
                "{:<34} {} [audit every endpoint: --openapi /openapi.json]",
                f.name(),
                f.description()
            );
        }
        for f in Flaw::DENIAL_OF_SERVICE {
            outln!(
                "{:<34} {} [shows as time: the slow-answer check]",
                f.name(),
                f.description()
            );
        }
        for f in Flaw::COOKIE_CONTRACT {
            outln!(
                "{:<34} {} [a cookie contract: the placement suite]",
                f.name(),
                f.description()
            );
        }
        return Ok(Status::Success);
    }
    let suites = load_suites(&args)?;
    let gate = args.gate.load()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let outcome = runtime.block_on(run_audit(&args, suites))?;
    let mut report = outcome.report;
    gate.apply(&mut report);
    let dir = args.output.write_reports(&report)?;
    print_summary(&report, &dir);
    if outcome.target_unreachable {
        return Err(Failure::Unreachable(anyhow!(
            "the target could not be reached or stopped answering; partial report in {}",
            dir.display()
        )));
    }
    Ok(super::deployment::run_status(
        &report,
        report.summary.errored > 0,
        gate.max_unjudged,
    ))
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

async fn run_audit(args: &AuditArgs, suites: Vec<Suite>) -> Result<run::AuditOutcome, Failure> {
    let config = RunConfig {
        concurrency: args.transport.concurrency as usize,
        budget: args.budget.map(Duration::from_secs),
        http: args.transport.http_options()?,
        oob_listen: args.listen,
        oob_callback: args.callback_url.clone(),
        ..RunConfig::default()
    };
    let flaw = args.deployment.mock_flaw()?;
    let mut mock = None;
    let targets = if args.deployment.is_live() {
        let mut targets = args.deployment.live_targets_with_openapi()?;
        for (t, _) in &mut targets {
            if let Some(iss) = &args.issuer {
                t.policy.issuer = Some(iss.clone());
            }
            if let Some(aud) = &args.audience {
                t.policy.audience = Some(aud.clone());
            }
        }
        if let Some(j) = &args.jwks {
            let jwks = super::fuzz::read_jwks(j, &config.http).await?;
            for (t, _) in &mut targets {
                t.jwks.get_or_insert_with(|| jwks.clone());
            }
        }
        targets
    } else {
        if args.issuer.is_some() || args.audience.is_some() {
            return Err(Failure::Input(anyhow!(
                "--issuer and --audience are for a live target; the embedded mock has its own"
            )));
        }
        if args.jwks.is_some() {
            return Err(Failure::Input(anyhow!(
                "--jwks is for a live target started from --token; the embedded mock has its own"
            )));
        }
        let deployment = MockDeployment::start(flaw).await;
        let spec = TargetSpec::for_mock(&deployment);
        mock = Some(deployment);
        vec![(spec, None)]
    };
    let targets = endpoints::resolve(args, targets, &config.http).await?;
    let bar = args.output.progress_bar(
        0,
        "{spinner:.cyan} [{elapsed_precise}] {bar:40.cyan/blue} {pos}/{len} cases",
        "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} cases",
    );
    let tick = |done: usize, total: usize| {
        if let Some(b) = &bar {
            b.set_length(total as u64);
            b.set_position(done as u64);
        }
    };
    let outcome = run::audit_many(targets, suites, config, &tick)
        .await
        .map_err(|e| Failure::Input(anyhow!("{e}")))?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    drop(mock);
    Ok(outcome)
}

fn print_summary(report: &RunReport, dir: &Path) {
    let s = &report.summary;
    let paint = super::deployment::painter();
    let what = if report.targets.len() > 1 {
        format!("{} targets", report.targets.len())
    } else {
        report.target.label()
    };
    outln!(
        "audit {} ({what}): {} cases in {:.1} s",
        report.run_id,
        s.total,
        report.duration_ms as f64 / 1000.0
    );
    outln!(
        "  {} passed, {} failed, {} errors, {} skipped; {} of {} attack cases could not be judged ({:.1} %)",
        paint("32", s.passed.to_string()),
        paint("31", s.failed.to_string()),
        paint("33", s.errored.to_string()),
        s.skipped,
        s.unjudged,
        s.attack_cases,
        100.0 * s.unjudged_share()
    );
    super::deployment::print_grades(report);
    if report.targets.len() > 1 {
        for t in &report.targets {
            let (mut counts, mut failing) = ([0usize; 5], 0);
            for f in report
                .all_cases()
                .filter(|c| c.target == t.name)
                .flat_map(|c| &c.findings)
                .filter(|f| f.suppressed.is_none())
            {
                counts[f.severity as usize] += 1;
                failing += usize::from(report.gate.fails(f));
            }
            outln!(
                "  {:<32} {:>3} critical {:>3} high {:>3} medium {:>3} low {:>3} info  {:.1} s{}{}",
                t.name,
                counts[4],
                counts[3],
                counts[2],
                counts[1],
                counts[0],
                t.duration_ms as f64 / 1000.0,
                if t.baseline_ok {
                    ""
                } else {
                    "  BASELINE FAILED"
                },
                if failing > 0 { "  FAIL" } else { "" }
            );
        }
    }
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
    for d in &report.endpoint_divergences {
        outln!(
            "  {}",
            paint(
                "31",
                format!(
                    "ENDPOINT {} of {} accepts {} cases that {} refuse{} (worst finding: {})",
                    d.endpoint,
                    d.group,
                    d.cases,
                    d.refused_by.join(", "),
                    if d.refused_by.len() == 1 { "s" } else { "" },
                    d.worst.map_or("none", |w| w.name())
                )
            )
        );
    }
    super::deployment::print_top_findings(report);
    outln!("  reports: {}", dir.display());
}
