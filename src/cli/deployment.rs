//! The flags `audit` and `fuzz` share and what they become: which deployment (the embedded mock,
//! perhaps with a flaw, or a live one from a target profile or URLs), the transport to it, and
//! where the reports go.

use super::Failure;
use anyhow::{anyhow, Context as _};
use authprobe::report::{self, RunReport};
use authprobe::run::http::HttpOptions;
use authprobe::run::session::Credentials;
use authprobe::run::TargetSpec;
use authprobe::sign::SigningKey;
use authprobe::target::mock::Flaw;
use authprobe::target::profile::TargetProfile;
use clap::Args;
use serde_json::{Map, Value};
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Which deployment: the embedded mock unless `--target` or `--backend-url` names a live one.
#[derive(Args)]
pub struct DeploymentArgs {
    /// A target profile (TOML). Without it and without --backend-url, the embedded mock is used.
    #[arg(long, value_name = "FILE")]
    pub target: Option<PathBuf>,
    /// The backend API's base URL (live target without a profile).
    #[arg(long, value_name = "URL")]
    pub backend_url: Option<String>,
    /// The Better Auth server's origin (live target without a profile).
    #[arg(long, value_name = "URL")]
    pub auth_url: Option<String>,
    /// The issuer's private JWK: white-box mode (the audit runs every case; the fuzzer re-signs
    /// its claim and header edits).
    #[arg(long, value_name = "FILE")]
    pub issuer_key: Option<PathBuf>,
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
        self.target.is_some() || self.backend_url.is_some()
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

    /// The live deployment, and the profile it was read from (or built from the URLs), with
    /// credentials from the environment variables the profile names.
    pub fn live(&self) -> Result<(TargetSpec, TargetProfile), Failure> {
        let profile = match &self.target {
            Some(path) => TargetProfile::load(path).map_err(|e| Failure::Input(anyhow!("{e}")))?,
            None => {
                let mut p = TargetProfile::default();
                p.target.backend_url = self.backend_url.clone().unwrap_or_default();
                p.target.auth_base_path = "/api/auth".into();
                p
            }
        };
        let mut endpoints = profile.endpoints();
        if let Some(url) = &self.backend_url {
            endpoints.backend = url.clone();
        }
        if let Some(url) = &self.auth_url {
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
        let token = match &self.token {
            Some(t) => Some(String::from_utf8_lossy(&super::read_token(t)?.0).into_owned()),
            None => None,
        };
        let spec = TargetSpec {
            kind: "live".into(),
            variant: None,
            endpoints,
            issuer_key: self
                .issuer_key
                .as_deref()
                .map(read_issuer_key)
                .transpose()?,
            token,
            credentials,
            placement: profile.token.clone(),
            contract: profile.contract.clone(),
            auth_rate_limiting: profile.target.auth_rate_limiting,
        };
        Ok((spec, profile))
    }
}

/// Reads a private JWK file (`--issuer-key`).
fn read_issuer_key(path: &Path) -> Result<SigningKey, Failure> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let jwk: Map<String, Value> = serde_json::from_str(&text)
        .map_err(|e| anyhow!("{}: not a JSON object: {e}", path.display()))?;
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
    /// Per-request timeout in milliseconds.
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
        report::write_all(report, &dir)
            .map_err(|e| Failure::Input(anyhow!("writing reports: {e}")))?;
        let latest = self.out.join("latest");
        let _ = std::fs::remove_dir_all(&latest);
        report::write_all(report, &latest)
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
