//! `authprobe lifecycle`: key rotation, retirement, fetch storm, key-set outage and revocation
//! lags measured over real time against the embedded mock (its key-cache backend, with fast
//! timings) or a live issuer and its backends from a target profile with a `[lifecycle]` table;
//! reports written, exit code from the gate like `audit`.

use super::deployment::{GateArgs, OutputArgs, TransportArgs};
use super::{Failure, Status};
use anyhow::{anyhow, Context as _};
use authprobe::deployment::http::Http;
use authprobe::deployment::mock::{Flaw, MockDeployment};
use authprobe::deployment::profile::TargetProfile;
use authprobe::deployment::Endpoints;
use authprobe::lifecycle::cases::{self, RunInfo};
use authprobe::lifecycle::control::IssuerControl;
use authprobe::lifecycle::policy::{LifecyclePolicy, LifecycleSection};
use authprobe::lifecycle::{self, Backend, Kind, LifecycleRun, Measurement, Verdict};
use authprobe::report::{RunReport, TargetInfo};
use clap::Args;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[derive(Args)]
pub struct LifecycleArgs {
    /// A target profile: its backends (`[target]` or `[[backend]]`s) behind one auth server, and
    /// its `[lifecycle]` table (control plane, bounds). Without it and without --backend-url,
    /// the embedded mock is measured.
    #[arg(long, value_name = "FILE")]
    pub target: Option<PathBuf>,
    /// The backend API's base URL (live target without a profile).
    #[arg(long, value_name = "URL")]
    pub backend_url: Option<String>,
    /// The Better Auth server's origin (live target without a profile).
    #[arg(long, value_name = "URL")]
    pub auth_url: Option<String>,
    /// The protected endpoint every backend is probed at.
    #[arg(long, value_name = "PATH", default_value = "/api/me")]
    pub path: String,
    /// The issuer's lab control plane (deploy/auth-server's `/__lab`); overrides the profile's.
    #[arg(long, value_name = "URL")]
    pub control_url: Option<String>,
    /// Use the mock built with one deliberate flaw (see --list-mock-variants).
    #[arg(long, value_name = "VARIANT")]
    pub mock_variant: Option<String>,
    /// List the mock's lifecycle flaws and exit.
    #[arg(long)]
    pub list_mock_variants: bool,
    /// Run only these measurements (ids L01–L10 or names: adoption, retirement, fetch-storm,
    /// outage, slow-key-set, recovery, sign-out, revoke-sessions, change-password, ban).
    #[arg(long = "only", value_name = "MEASUREMENT")]
    pub only: Vec<String>,
    /// Longest acceptable time from a rotation until the new key's tokens are accepted.
    #[arg(long, value_name = "SECONDS")]
    pub max_adoption: Option<f64>,
    /// Longest acceptable time a key removed from the key set is still honoured.
    #[arg(long, value_name = "SECONDS")]
    pub max_key_cache: Option<f64>,
    /// Longest acceptable time a JWT is honoured after its session ended (unset: the token's
    /// lifetime, reported for information).
    #[arg(long, value_name = "SECONDS")]
    pub max_revocation_lag: Option<f64>,
    /// Tokens with made-up kids sent in the fetch-storm measurement.
    #[arg(long, value_name = "N")]
    pub storm_tokens: Option<u32>,
    /// Most key-set fetches those tokens may cause.
    #[arg(long, value_name = "N")]
    pub max_storm_fetches: Option<u32>,
    /// Time between two probes while waiting for a change.
    #[arg(long, value_name = "MS")]
    pub poll_interval_ms: Option<u64>,
    #[command(flatten)]
    pub transport: TransportArgs,
    #[command(flatten)]
    pub gate: GateArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// The mock's timings make its bounds: adoption within a cooldown (1 s) and a few polls,
/// retirement within its cache age (4 s) and a poll.
fn mock_section() -> LifecycleSection {
    LifecycleSection {
        max_adoption_s: Some(3.0),
        max_key_cache_s: Some(5.0),
        poll_interval_ms: Some(200),
        ..LifecycleSection::default()
    }
}

impl LifecycleArgs {
    fn is_live(&self) -> bool {
        self.target.is_some() || self.backend_url.is_some()
    }

    /// The profile's (or the mock's) `[lifecycle]` table with the command line's overrides.
    fn section(&self, base: LifecycleSection) -> LifecycleSection {
        let mut s = base;
        let set_f = |field: &mut Option<f64>, v: Option<f64>| {
            if v.is_some() {
                *field = v;
            }
        };
        set_f(&mut s.max_adoption_s, self.max_adoption);
        set_f(&mut s.max_key_cache_s, self.max_key_cache);
        set_f(&mut s.max_revocation_lag_s, self.max_revocation_lag);
        if self.storm_tokens.is_some() {
            s.storm_tokens = self.storm_tokens;
        }
        if self.max_storm_fetches.is_some() {
            s.max_storm_fetches = self.max_storm_fetches;
        }
        if self.poll_interval_ms.is_some() {
            s.poll_interval_ms = self.poll_interval_ms;
        }
        if self.control_url.is_some() {
            s.control_url.clone_from(&self.control_url);
        }
        if !self.only.is_empty() {
            s.only = Some(self.only.clone());
        }
        s
    }
}

pub fn lifecycle(args: LifecycleArgs) -> Result<Status, Failure> {
    if args.list_mock_variants {
        for f in Flaw::LIFECYCLE {
            outln!("{:<28} {}", f.name(), f.description());
        }
        return Ok(Status::Success);
    }
    for o in &args.only {
        if Kind::from_name(o).is_none() {
            let names: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
            return Err(Failure::Input(anyhow!(
                "--only {o:?}: no such measurement; available: {} (or L01–L10)",
                names.join(", ")
            )));
        }
    }
    let flaw = match &args.mock_variant {
        None => None,
        Some(_) if args.is_live() => {
            return Err(Failure::Input(anyhow!(
                "--mock-variant only applies to the embedded mock"
            )))
        }
        Some(name) => Some(name.parse::<Flaw>().map_err(|e| {
            let names: Vec<&str> = Flaw::LIFECYCLE.iter().map(|f| f.name()).collect();
            Failure::Input(anyhow!("{e}; lifecycle variants: {}", names.join(", ")))
        })?),
    };
    let gate = args.gate.load()?;
    let http =
        Http::new(args.transport.http_options()?).map_err(|e| Failure::Input(anyhow!("{e}")))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let mut report = runtime.block_on(measure(&args, flaw, &http))?;
    gate.apply(&mut report);
    let dir = args.output.write_reports(&report)?;
    print_summary(&report);
    outln!("  reports: {}", dir.display());
    let errors = report
        .lifecycle
        .iter()
        .filter(|m| matches!(m.verdict, Verdict::Error(_)))
        .count();
    if errors > 0 && errors == report.lifecycle.len() {
        return Err(Failure::Unreachable(anyhow!(
            "nothing could be measured (the auth server or every backend could not be reached or refused a fresh token); report in {}",
            dir.display()
        )));
    }
    Ok(super::deployment::run_status(&report, errors > 0, 1.0))
}

/// Everything one run measures: the issuer, its control plane, the backends.
struct Plan {
    endpoints: Endpoints,
    section: LifecycleSection,
    backends: Vec<Backend>,
    targets: Vec<TargetInfo>,
    admin: Option<(String, String)>,
    tag: String,
}

fn live_plan(args: &LifecycleArgs) -> Result<Plan, Failure> {
    let profile = match &args.target {
        Some(path) => TargetProfile::load(path).map_err(|e| Failure::Input(anyhow!("{e}")))?,
        None => {
            let mut p = TargetProfile::default();
            p.target.backend_url = args.backend_url.clone().unwrap_or_default();
            p.target.auth_base_path = "/api/auth".into();
            p
        }
    };
    let section = args.section(profile.lifecycle.clone().unwrap_or_default());
    let admin = match (&section.admin_email_env, &section.admin_password_env) {
        (Some(e), Some(p)) => Some((
            std::env::var(e).map_err(|_| anyhow!("lifecycle.admin_email_env: ${e} is not set"))?,
            std::env::var(p)
                .map_err(|_| anyhow!("lifecycle.admin_password_env: ${p} is not set"))?,
        )),
        _ => None,
    };
    let mut backends = Vec::new();
    let mut targets = Vec::new();
    let mut endpoints = None;
    for t in profile.targets() {
        let mut e = t.endpoints.clone();
        if let Some(url) = &args.backend_url {
            e.backend.clone_from(url);
        }
        if let Some(url) = &args.auth_url {
            e.auth = Some(url.clone());
        }
        if t.token.placement != "header" {
            return Err(Failure::Input(anyhow!(
                "backend {}: lifecycle measurements send the token in a header; this profile puts it in the {}",
                t.name,
                t.token.placement
            )));
        }
        backends.push(Backend {
            name: t.name.clone(),
            url: format!("{}{}", e.backend.trim_end_matches('/'), args.path),
            header: t.token.name.clone(),
            scheme: t.token.scheme.clone(),
        });
        targets.push(target_info(&t.name, "live", None, &e));
        endpoints.get_or_insert(e);
    }
    let endpoints = endpoints.ok_or_else(|| anyhow!("the profile names no backend"))?;
    if endpoints.auth.is_none() {
        return Err(Failure::Input(anyhow!(
            "lifecycle needs the auth server: set [target] auth_url in the profile or --auth-url"
        )));
    }
    Ok(Plan {
        endpoints,
        section,
        backends,
        targets,
        admin,
        tag: "live".into(),
    })
}

fn mock_plan(args: &LifecycleArgs, mock: &MockDeployment) -> Plan {
    let endpoints = mock.endpoints();
    let name = match mock.flaw {
        Some(f) => format!("mock:{}", f.name()),
        None => "mock".into(),
    };
    let mut section = args.section(mock_section());
    section.control_url = Some(mock.control_url());
    Plan {
        backends: vec![Backend {
            name: name.clone(),
            url: format!("{}{}", endpoints.backend, args.path),
            header: "Authorization".into(),
            scheme: "Bearer".into(),
        }],
        targets: vec![target_info(
            &name,
            "mock",
            mock.flaw.map(|f| f.name().to_owned()),
            &endpoints,
        )],
        endpoints,
        section,
        admin: None,
        tag: mock.flaw.map_or("mock", |f| f.name()).to_owned(),
    }
}

fn target_info(name: &str, kind: &str, variant: Option<String>, e: &Endpoints) -> TargetInfo {
    TargetInfo {
        name: name.to_owned(),
        kind: kind.into(),
        variant,
        backend_url: e.backend.clone(),
        auth_url: e.auth.clone(),
        mode: "black-box".into(),
        baseline_ok: true,
        duration_ms: 0,
        endpoint: None,
        endpoint_group: None,
    }
}

async fn measure(
    args: &LifecycleArgs,
    flaw: Option<Flaw>,
    http: &Http,
) -> Result<RunReport, Failure> {
    let started = Instant::now();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let mock = if args.is_live() {
        None
    } else {
        Some(MockDeployment::start_lifecycle(flaw).await)
    };
    let plan = match &mock {
        Some(m) => mock_plan(args, m),
        None => live_plan(args)?,
    };
    let policy: LifecyclePolicy = plan
        .section
        .policy()
        .map_err(|e| Failure::Input(anyhow!("{e}")))?;
    // Throwaway users' addresses carry the run id and a random tag, so runs never collide.
    let mut salt = [0u8; 4];
    aws_lc_rs::rand::SecureRandom::fill(&aws_lc_rs::rand::SystemRandom::new(), &mut salt)
        .map_err(|_| anyhow!("no system randomness"))?;
    let stamp = authprobe::run::rfc3339(now).replace([':', '-'], "");
    let run_id = format!("{stamp}-lifecycle-{}", plan.tag);
    let run = LifecycleRun {
        http,
        auth: &plan.endpoints,
        control: IssuerControl::from_section(&plan.section),
        policy,
        backends: plan.backends.clone(),
        only: plan.section.only.clone().unwrap_or_default(),
        admin: plan.admin.clone(),
        run_id: format!("{run_id}{}", hex(&salt)),
    };
    let measurements = lifecycle::run(&run)
        .await
        .map_err(|e| Failure::Input(anyhow!("{e}")))?;
    let mut targets = plan.targets;
    for t in &mut targets {
        t.duration_ms = measurements
            .iter()
            .filter(|m| m.backend == t.name)
            .map(|m| m.duration_ms)
            .sum();
    }
    let notes = notes(&measurements);
    drop(mock);
    Ok(cases::report(
        RunInfo {
            run_id,
            started_at: authprobe::run::rfc3339(now),
            duration_ms: started.elapsed().as_millis() as u64,
            targets,
            notes,
        },
        measurements,
    ))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn notes(measurements: &[Measurement]) -> Vec<String> {
    let skipped: Vec<String> = measurements
        .iter()
        .filter_map(|m| match &m.verdict {
            Verdict::Skipped(why) => Some(format!(
                "{} {} on {}: {why}",
                m.kind.id(),
                m.kind.name(),
                m.backend
            )),
            _ => None,
        })
        .collect();
    if skipped.is_empty() {
        Vec::new()
    } else {
        vec![format!("not measured: {}", skipped.join("; "))]
    }
}

fn print_summary(report: &RunReport) {
    let paint = super::deployment::painter();
    outln!(
        "lifecycle {}: {} measurements of {} backend(s) in {:.1} s",
        report.run_id,
        report.lifecycle.len(),
        report.targets.len(),
        Duration::from_millis(report.duration_ms).as_secs_f64()
    );
    for m in &report.lifecycle {
        let verdict = match &m.verdict {
            Verdict::Exceeded => paint("31", m.verdict.label()),
            Verdict::Error(_) => paint("33", m.verdict.label()),
            _ => m.verdict.label(),
        };
        outln!(
            "  {:<24} {} {:<16} {:>12}  bound {:<12} {}",
            m.backend,
            m.kind.id(),
            m.kind.name(),
            m.shown(),
            m.bound_shown(),
            verdict
        );
    }
    super::deployment::print_grades(report);
    for note in &report.notes {
        outln!("  note: {note}");
    }
    super::deployment::print_top_findings(report);
}
