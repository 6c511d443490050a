//! The flags `audit` and `fuzz` share and what they become: which deployment (the embedded mock,
//! perhaps with a flaw, or a live one from a target profile or URLs), the transport to it, and
//! where the reports go.

use super::{Failure, Status};
use anyhow::{anyhow, Context as _};
use authprobe::deployment::http::{Http, HttpOptions, Outgoing};
use authprobe::deployment::mock::Flaw;
use authprobe::deployment::profile::{OpenApiSection, TargetProfile};
use authprobe::judge::Severity;
use authprobe::report::suppress::Suppressions;
use authprobe::report::{self, Gate, RunReport};
use authprobe::run::TargetSpec;
use authprobe::sign::SigningKey;
use clap::Args;
use serde_json::{Map, Value};
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Which deployment: the embedded mock unless `--target` or `--backend-url` names a live one.
#[derive(Args)]
pub struct DeploymentArgs {
    /// A target profile (TOML). Without it and without --backend-url, the embedded mock is used.
    /// `audit` takes it several times (and profiles listing several `[[backend]]`s): one run,
    /// one combined report.
    #[arg(long, value_name = "FILE")]
    pub target: Vec<PathBuf>,
    /// The backend API's base URL (live target without a profile).
    #[arg(long, value_name = "URL")]
    pub backend_url: Option<String>,
    /// The Better Auth server's origin (live target without a profile).
    #[arg(long, value_name = "URL")]
    pub auth_url: Option<String>,
    /// The issuer's private key (JWK): white-box mode (the audit runs every case; the fuzzer
    /// re-signs its claim and header edits). Several targets behind several issuers: give each
    /// issuer's key; every target uses the one its issuer publishes.
    #[arg(long, value_name = "FILE")]
    pub issuer_key: Vec<PathBuf>,
    /// A valid token to start from when there is no auth server (token, file or -).
    #[arg(long, value_name = "TOKEN|FILE|-")]
    pub token: Option<String>,
    /// Use the mock built with one deliberate flaw (see `audit --list-mock-variants`).
    #[arg(long, value_name = "VARIANT")]
    pub mock_variant: Option<String>,
}

impl DeploymentArgs {
    /// Whether a live deployment is named.
    pub fn is_live(&self) -> bool {
        !self.target.is_empty() || self.backend_url.is_some()
    }

    /// The mock's flaw from `--mock-variant`; refused for a live deployment.
    pub fn mock_flaw(&self) -> Result<Option<Flaw>, Failure> {
        let Some(name) = &self.mock_variant else {
            return Ok(None);
        };
        if self.is_live() {
            return Err(Failure::Input(anyhow!(
                "--mock-variant only applies to the embedded mock"
            )));
        }
        let flaw = name.parse::<Flaw>().map_err(|e| {
            let names: Vec<&str> = Flaw::ALL.iter().map(|f| f.name()).collect();
            anyhow!("{e}; available: {}", names.join(", "))
        })?;
        Ok(Some(flaw))
    }

    /// The one live deployment (fuzzing takes exactly one backend).
    pub fn live(&self) -> Result<TargetSpec, Failure> {
        let mut all = self.live_targets()?;
        if all.len() != 1 {
            return Err(Failure::Input(anyhow!(
                "this command takes one backend; the profiles name {} ({})",
                all.len(),
                all.iter()
                    .map(|t| t.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        Ok(all.remove(0))
    }

    /// Every live backend the profiles (or the URLs) name, with credentials from the
    /// environment variables the profiles name.
    pub fn live_targets(&self) -> Result<Vec<TargetSpec>, Failure> {
        Ok(self
            .live_targets_with_openapi()?
            .into_iter()
            .map(|(t, _)| t)
            .collect())
    }

    /// [`Self::live_targets`], each with the OpenAPI document its profile names.
    pub fn live_targets_with_openapi(
        &self,
    ) -> Result<Vec<(TargetSpec, Option<OpenApiSection>)>, Failure> {
        let profiles = if self.target.is_empty() {
            let mut p = TargetProfile::default();
            p.target.backend_url = self.backend_url.clone().unwrap_or_default();
            p.target.auth_base_path = "/api/auth".into();
            vec![p]
        } else {
            self.target
                .iter()
                .map(|path| TargetProfile::load(path).map_err(|e| Failure::Input(anyhow!("{e}"))))
                .collect::<Result<Vec<_>, _>>()?
        };
        let token = match &self.token {
            Some(t) => Some(String::from_utf8_lossy(&super::read_token(t)?.0).into_owned()),
            None => None,
        };
        let issuer_keys = self
            .issuer_key
            .iter()
            .map(|p| read_issuer_key(p))
            .collect::<Result<Vec<_>, _>>()?;
        let mut specs = Vec::new();
        for profile in &profiles {
            let credentials = profile
                .credentials_from_env()
                .map_err(|e| Failure::Input(anyhow!("{e}")))?;
            for t in profile.targets() {
                let openapi = t.openapi.clone();
                let mut spec = TargetSpec::from_profile_target(
                    t,
                    credentials.clone(),
                    profile.target.auth_rate_limiting,
                );
                if let Some(url) = &self.backend_url {
                    spec.endpoints.backend = url.clone();
                }
                if let Some(url) = &self.auth_url {
                    spec.endpoints.auth = Some(url.clone());
                }
                spec.issuer_keys = issuer_keys
                    .iter()
                    .filter_map(SigningKey::try_clone)
                    .collect();
                spec.token = token.clone();
                specs.push((spec, openapi));
            }
        }
        let mut names = std::collections::BTreeSet::new();
        for (s, _) in &specs {
            if !names.insert(s.name.clone()) {
                return Err(Failure::Input(anyhow!(
                    "two targets are named {:?}: give each profile a distinct [target] name",
                    s.name
                )));
            }
        }
        Ok(specs)
    }
}

/// Why a document could not be fetched over HTTP.
pub enum FetchError {
    /// The HTTP client could not be built (a bad CA file or proxy).
    Client(String),
    /// The server did not answer, or not with 200.
    Unreachable(String),
}

/// GETs a document the user named (`--jwks URL`, `--openapi URL`): its body, on a 200.
pub async fn fetch_document(
    url: &str,
    http: &HttpOptions,
    accept: &str,
) -> Result<Vec<u8>, FetchError> {
    let client = Http::new(http.clone()).map_err(|e| FetchError::Client(e.to_string()))?;
    let response = client
        .send(&Outgoing {
            method: "GET".into(),
            url: url.to_owned(),
            headers: vec![("accept".into(), accept.to_owned())],
            body: None,
        })
        .await
        .map_err(|e| FetchError::Unreachable(e.to_string()))?;
    if response.status != 200 {
        return Err(FetchError::Unreachable(format!("HTTP {}", response.status)));
    }
    Ok(response.body)
}

/// Reads an issuer key file (`--issuer-key`): a private JWK, or a PEM private key (PKCS#8, PKCS#1
/// RSA, SEC 1 EC).
fn read_issuer_key(path: &Path) -> Result<SigningKey, Failure> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    if text.trim_start().starts_with("-----BEGIN") {
        return Ok(SigningKey::from_pem(&text).map_err(|e| anyhow!("{}: {e}", path.display()))?);
    }
    let jwk: Map<String, Value> = serde_json::from_str(&text).map_err(|e| {
        anyhow!(
            "{}:{}:{}: neither a JSON object (a private JWK) nor a PEM private key: {e}",
            path.display(),
            e.line(),
            e.column()
        )
    })?;
    Ok(SigningKey::from_private_jwk(&jwk).map_err(|e| anyhow!("{}: {e}", path.display()))?)
}

/// How requests reach the deployment.
#[derive(Args)]
pub struct TransportArgs {
    /// Requests in flight at once.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..=512))]
    pub concurrency: u64,
    /// Limit the request rate (requests per second).
    #[arg(long, value_name = "PER_SECOND")]
    pub rate: Option<f64>,
    /// Per-request timeout in milliseconds (after three timeouts of a target, a quarter of it,
    /// at least 2 s, for that target's further requests).
    #[arg(long, default_value_t = 10_000)]
    pub timeout_ms: u64,
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
}

impl TransportArgs {
    /// The HTTP client's options.
    pub fn http_options(&self) -> Result<HttpOptions, Failure> {
        let mut extra = Vec::new();
        for h in &self.headers {
            let (name, value) = h
                .split_once(':')
                .ok_or_else(|| anyhow!("--header {h:?}: expected `Name: value`"))?;
            extra.push((name.trim().to_owned(), value.trim().to_owned()));
        }
        Ok(HttpOptions {
            timeout: Duration::from_millis(self.timeout_ms),
            rate_per_sec: self.rate,
            ca_cert: self.ca_cert.clone(),
            insecure: self.insecure,
            proxy: self.proxy.clone(),
            extra_headers: extra,
            ..HttpOptions::default()
        })
    }
}

/// Which findings fail the run, which are accepted, and what the run is compared with.
#[derive(Args)]
pub struct GateArgs {
    /// Exit 1 when a finding of this grade or above is found (critical, high, medium, low,
    /// info). High by default: a correct backend built the way its library's docs say passes.
    #[arg(long, value_name = "GRADE", default_value = "high", value_parser = parse_grade)]
    pub fail_on: Severity,
    /// Every difference from the strict reference fails (the same as --fail-on info).
    #[arg(long, conflicts_with = "fail_on")]
    pub pedantic: bool,
    /// Suppressions file (TOML): accepted findings, each with a reason and an expiry date.
    #[arg(long, value_name = "FILE")]
    pub suppressions: Option<PathBuf>,
    /// A previous report.json: each finding is marked new or unchanged, and what disappeared is
    /// listed.
    #[arg(long, value_name = "REPORT_JSON")]
    pub baseline: Option<PathBuf>,
    /// Only findings that are new against --baseline fail the run.
    #[arg(long, requires = "baseline")]
    pub fail_on_new: bool,
    /// Exit 7 when more than this share (percent) of the attack cases could not be judged
    /// (transport errors, time boundaries, the budget used up, the target gone).
    #[arg(long, value_name = "PERCENT", default_value_t = 10.0)]
    pub max_unjudged: f64,
}

fn parse_grade(s: &str) -> Result<Severity, String> {
    s.parse()
}

impl GateArgs {
    /// Reads the suppressions and baseline files up front, so a bad one fails before the run.
    pub fn load(&self) -> Result<LoadedGate, Failure> {
        let suppressions = self
            .suppressions
            .as_deref()
            .map(Suppressions::load)
            .transpose()
            .map_err(|e| Failure::Input(anyhow!("{e}")))?;
        let baseline = self
            .baseline
            .as_deref()
            .map(report::baseline::load)
            .transpose()
            .map_err(|e| Failure::Input(anyhow!("{e}")))?;
        if !(0.0..=100.0).contains(&self.max_unjudged) {
            return Err(Failure::Input(anyhow!(
                "--max-unjudged {}: expected a percentage from 0 to 100",
                self.max_unjudged
            )));
        }
        Ok(LoadedGate {
            max_unjudged: self.max_unjudged / 100.0,
            gate: Gate {
                fail_on: if self.pedantic {
                    Severity::Info
                } else {
                    self.fail_on
                },
                new_only: self.fail_on_new,
            },
            suppressions,
            baseline,
        })
    }
}

/// The gate with its files read.
pub struct LoadedGate {
    pub gate: Gate,
    /// The share of attack cases (0–1) that may go unjudged.
    pub max_unjudged: f64,
    pub suppressions: Option<Suppressions>,
    pub baseline: Option<RunReport>,
}

impl LoadedGate {
    /// Fingerprints the findings, applies the suppressions and the baseline, and summarizes
    /// under the gate.
    pub fn apply(&self, report: &mut RunReport) {
        report.gate = self.gate;
        report.fingerprint();
        if let Some(s) = &self.suppressions {
            s.apply(report, &report::suppress::today());
        }
        if let Some(previous) = &self.baseline {
            report::baseline::compare(report, previous);
        }
        report.summarize();
    }
}

/// The exit status of a finished audit or fuzz run from its summarized report.
pub fn run_status(report: &RunReport, errored: bool, max_unjudged: f64) -> Status {
    if !report.baseline_ok {
        Status::BaselineFailed
    } else if report.summary.failing > 0 {
        Status::Rejected
    } else if report.summary.unjudged_share() > max_unjudged {
        Status::Unjudged
    } else if errored {
        Status::Errored
    } else {
        Status::Success
    }
}

/// The counts per grade, most severe first, as the summaries print them.
pub fn grade_counts(report: &RunReport) -> String {
    Severity::ALL
        .into_iter()
        .rev()
        .map(|g| format!("{} {g}", report.summary.by_grade.get(g)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The gate line and the counts per grade.
pub fn print_grades(report: &RunReport) {
    let s = &report.summary;
    let paint = painter();
    let verdict = if s.failing > 0 {
        paint("31", format!("{} fail the gate", s.failing))
    } else {
        paint("32", "none fails the gate".to_owned())
    };
    let mut extra = String::new();
    if s.suppressed > 0 {
        extra.push_str(&format!(", {} suppressed", s.suppressed));
    }
    if report.gate.new_only || s.new > 0 || !report.absent.is_empty() {
        extra.push_str(&format!(
            ", {} new, {} no longer found",
            s.new,
            report.absent.len()
        ));
    }
    outln!(
        "  findings: {} ({}{extra}); gate: {}{} and above: {verdict}",
        s.findings,
        grade_counts(report),
        if report.gate.new_only { "new " } else { "" },
        report.gate.fail_on
    );
}

/// The most severe findings first (at most ten), with why each has its grade.
pub fn print_top_findings(report: &RunReport) {
    let mut all: Vec<_> = report
        .all_cases()
        .flat_map(|c| c.findings.iter().map(move |f| (c, f)))
        .filter(|(_, f)| f.suppressed.is_none() && f.severity > Severity::Info)
        .collect();
    all.sort_by_key(|(_, f)| std::cmp::Reverse(f.severity));
    for (case, f) in all.iter().take(10) {
        let place = if report.targets.len() > 1 {
            format!("{}: {}/{}", case.target, case.suite, case.id)
        } else {
            format!("{}/{}", case.suite, case.id)
        };
        let why = f
            .cause
            .map_or_else(|| f.class.name().to_owned(), |c| c.id().to_owned());
        outln!(
            "  {:<8} {} {place} [{why}]: {}",
            f.severity.name().to_uppercase(),
            f.rule_id,
            f.message
        );
    }
    if all.len() > 10 {
        outln!(
            "  … {} more findings above info: see the report",
            all.len() - 10
        );
    }
}

/// Where the reports go, and whether a progress bar is drawn.
#[derive(Args)]
pub struct OutputArgs {
    /// Where reports go: <out>/<run-id>/ and <out>/latest/.
    #[arg(long, default_value = "reports")]
    pub out: PathBuf,
    /// No progress bar.
    #[arg(long)]
    pub no_progress: bool,
}

impl OutputArgs {
    /// A progress bar on standard error with this template (colours dropped under NO_COLOR),
    /// unless disabled or standard error is not a terminal.
    pub fn progress_bar(
        &self,
        length: u64,
        coloured: &str,
        plain: &str,
    ) -> Option<indicatif::ProgressBar> {
        if self.no_progress || !std::io::stderr().is_terminal() {
            return None;
        }
        let colour = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        let bar = indicatif::ProgressBar::new(length);
        bar.set_style(
            indicatif::ProgressStyle::with_template(if colour { coloured } else { plain })
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Some(bar)
    }

    /// Writes every report format to `<out>/<run-id>/` and `<out>/latest/`.
    pub fn write_reports(&self, report: &RunReport) -> Result<PathBuf, Failure> {
        let dir = self.out.join(&report.run_id);
        let latest = self.out.join("latest");
        let _ = std::fs::remove_dir_all(&latest);
        report::write_all_to(report, &[&dir, &latest])
            .map_err(|e| Failure::Input(anyhow!("writing reports: {e}")))?;
        Ok(dir)
    }
}

/// Wraps text in an SGR colour code when standard output is a terminal and NO_COLOR is unset.
pub fn painter() -> impl Fn(&str, String) -> String {
    let colour = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::io::stdout().is_terminal();
    move |code: &str, text: String| {
        if colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text
        }
    }
}
