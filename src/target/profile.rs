//! Target profiles (TOML): where a deployment is, how to get a session, where the token goes,
//! what policy it should enforce, and how its error codes map onto the contract — so a team can
//! audit a backend whose error bodies differ from ours ("status only" when they do not have codes).

use crate::contract::ErrorCode;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// A whole profile file.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct TargetProfile {
    pub target: TargetSection,
    #[serde(default)]
    pub credentials: Credentials,
    #[serde(default)]
    pub token: TokenPlacement,
    #[serde(default)]
    pub policy: PolicySection,
    #[serde(default)]
    pub contract: ContractSection,
    /// Several backends behind the same auth server, audited in one run with one combined
    /// report (teams run many services behind one Better Auth). Each takes `[token]`,
    /// `[policy]` and `[contract]` from the top level unless it names its own.
    #[serde(default)]
    pub backend: Vec<BackendEntry>,
    /// How to drive the issuer for `authprobe lifecycle` (rotation, key-set outage, admin) and
    /// the bounds its measurements are held to.
    #[serde(default)]
    pub lifecycle: Option<crate::lifecycle::policy::LifecycleSection>,
}

/// One backend of a profile that lists several.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackendEntry {
    /// The backend's name in reports (finding fingerprints include it).
    pub name: String,
    /// Its base URL.
    pub url: String,
    #[serde(default)]
    pub token: Option<TokenPlacement>,
    #[serde(default)]
    pub policy: Option<PolicySection>,
    #[serde(default)]
    pub contract: Option<ContractSection>,
}

/// One backend of a profile, resolved: what a run audits.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileTarget {
    pub name: String,
    pub endpoints: super::Endpoints,
    pub token: TokenPlacement,
    pub policy: PolicySection,
    pub contract: ContractSection,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct TargetSection {
    /// A short stable name for reports and finding fingerprints (default: the backend URL).
    #[serde(default)]
    pub name: Option<String>,
    /// The backend's base URL (absent when `[[backend]]` entries list several).
    #[serde(default)]
    pub backend_url: String,
    #[serde(default)]
    pub auth_url: Option<String>,
    #[serde(default = "default_base_path")]
    pub auth_base_path: String,
    #[serde(default)]
    pub frontend_origin: Option<String>,
    #[serde(default)]
    pub backend_key_set_down_url: Option<String>,
    #[serde(default)]
    pub backend_rate_limited_url: Option<String>,
    /// Whether the auth server runs with rate limiting on (Better Auth: NODE_ENV=production).
    #[serde(default)]
    pub auth_rate_limiting: bool,
}

fn default_base_path() -> String {
    "/api/auth".into()
}

/// Credentials by environment-variable name, never literally.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    /// Sign up a throwaway user first (default), or sign in an existing one.
    #[serde(default = "yes")]
    pub sign_up: bool,
    #[serde(default)]
    pub email_env: Option<String>,
    #[serde(default)]
    pub password_env: Option<String>,
}

impl Default for Credentials {
    fn default() -> Self {
        Credentials {
            sign_up: true,
            email_env: None,
            password_env: None,
        }
    }
}

fn yes() -> bool {
    true
}

/// Where the backend expects the token.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenPlacement {
    /// `header` (default), `cookie`, `query` or `json-body`.
    #[serde(default = "default_placement")]
    pub placement: String,
    /// Header name (default `Authorization`), or the cookie/parameter/field name.
    #[serde(default = "default_header")]
    pub name: String,
    /// Scheme before the token in the header (default `Bearer`; empty for none).
    #[serde(default = "default_scheme")]
    pub scheme: String,
}

impl Default for TokenPlacement {
    fn default() -> Self {
        TokenPlacement {
            placement: default_placement(),
            name: default_header(),
            scheme: default_scheme(),
        }
    }
}

fn default_placement() -> String {
    "header".into()
}
fn default_header() -> String {
    "Authorization".into()
}
fn default_scheme() -> String {
    "Bearer".into()
}

/// The policy the backend should enforce (defaults: the Better Auth profile).
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PolicySection {
    #[serde(default)]
    pub issuer: Option<String>,
    #[serde(default)]
    pub audience: Option<String>,
    #[serde(default)]
    pub algorithms: Option<Vec<String>>,
    #[serde(default)]
    pub leeway: Option<u64>,
    #[serde(default)]
    pub max_lifetime: Option<u64>,
}

/// How the target reports contract codes.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContractSection {
    /// `codes` (the body's `code` member is checked) or `status-only`.
    #[serde(default = "default_mode")]
    pub mode: String,
    /// Our code → the target's code, for targets with their own vocabulary.
    #[serde(default)]
    pub codes: BTreeMap<String, String>,
    /// The realm of the backend's `WWW-Authenticate` challenges (errors.md's `{realm}`); when
    /// absent, any realm is accepted.
    #[serde(default)]
    pub realm: Option<String>,
}

impl Default for ContractSection {
    fn default() -> Self {
        ContractSection {
            mode: default_mode(),
            codes: BTreeMap::new(),
            realm: None,
        }
    }
}

fn default_mode() -> String {
    "codes".into()
}

impl ContractSection {
    /// True when only statuses (and security expectations) are checked.
    pub fn status_only(&self) -> bool {
        self.mode == "status-only"
    }
    /// The code the target uses for one of ours.
    pub fn target_code(&self, ours: &str) -> String {
        self.codes
            .get(ours)
            .cloned()
            .unwrap_or_else(|| ours.to_owned())
    }
}

/// Why a profile cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProfileError {
    #[error("reading target profile {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

impl TargetProfile {
    /// The deployment's URLs as the runner uses them.
    pub fn endpoints(&self) -> super::Endpoints {
        let t = &self.target;
        super::Endpoints {
            backend: t.backend_url.clone(),
            auth: t.auth_url.clone(),
            auth_base_path: t.auth_base_path.clone(),
            backend_key_set_down: t.backend_key_set_down_url.clone(),
            backend_rate_limited: t.backend_rate_limited_url.clone(),
            frontend_origin: t.frontend_origin.clone(),
        }
    }

    /// Every backend the profile names: the `[target]` backend, or each `[[backend]]` entry
    /// with its own overrides.
    pub fn targets(&self) -> Vec<ProfileTarget> {
        if self.backend.is_empty() {
            return vec![ProfileTarget {
                name: self
                    .target
                    .name
                    .clone()
                    .unwrap_or_else(|| self.target.backend_url.clone()),
                endpoints: self.endpoints(),
                token: self.token.clone(),
                policy: self.policy.clone(),
                contract: self.contract.clone(),
            }];
        }
        self.backend
            .iter()
            .map(|b| {
                let mut endpoints = self.endpoints();
                endpoints.backend = b.url.clone();
                ProfileTarget {
                    name: b.name.clone(),
                    endpoints,
                    token: b.token.clone().unwrap_or_else(|| self.token.clone()),
                    policy: b.policy.clone().unwrap_or_else(|| self.policy.clone()),
                    contract: b.contract.clone().unwrap_or_else(|| self.contract.clone()),
                }
            })
            .collect()
    }

    /// Reads and checks a profile file; errors name the file, line and column.
    pub fn load(path: &Path) -> Result<TargetProfile, ProfileError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ProfileError::Io {
            path: shown.clone(),
            source,
        })?;
        TargetProfile::parse(&shown, &text)
    }

    /// Parses profile text (`name` is used in messages).
    pub fn parse(name: &str, text: &str) -> Result<TargetProfile, ProfileError> {
        let invalid = |message: String| ProfileError::Invalid {
            path: name.to_owned(),
            message,
        };
        let profile: TargetProfile = toml::from_str(text).map_err(|e| {
            let (line, column) = e
                .span()
                .map(|s| line_column(text, s.start))
                .unwrap_or((1, 1));
            invalid(format!("{line}:{column}: {}", e.message()))
        })?;
        if profile.target.backend_url.is_empty() && profile.backend.is_empty() {
            return Err(invalid(
                "no backend: set target.backend_url or list [[backend]] entries".into(),
            ));
        }
        let mut names = std::collections::BTreeSet::new();
        for b in &profile.backend {
            if !names.insert(b.name.as_str()) {
                return Err(invalid(format!(
                    "two [[backend]] entries are named {:?}",
                    b.name
                )));
            }
        }
        let backend_urls = profile.backend.iter().map(|b| &b.url);
        for url in std::iter::once(&profile.target.backend_url)
            .filter(|u| !u.is_empty())
            .chain(profile.target.auth_url.as_ref())
            .chain(backend_urls)
        {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(invalid(format!("{url:?} is not an http(s) URL")));
            }
        }
        for t in profile.targets() {
            if !matches!(t.contract.mode.as_str(), "codes" | "status-only") {
                return Err(invalid(format!(
                    "contract.mode {:?}: expected \"codes\" or \"status-only\"",
                    t.contract.mode
                )));
            }
            for ours in t.contract.codes.keys() {
                ours.parse::<ErrorCode>()
                    .map_err(|e| invalid(format!("contract.codes: {e}")))?;
            }
            if !matches!(
                t.token.placement.as_str(),
                "header" | "cookie" | "query" | "json-body"
            ) {
                return Err(invalid(format!(
                    "token.placement {:?}: expected header, cookie, query or json-body",
                    t.token.placement
                )));
            }
        }
        Ok(profile)
    }
}

/// 1-based line and column of a byte offset.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_minimal_profile_and_locates_errors() {
        let p = TargetProfile::parse("p.toml", "[target]\nbackend_url = \"http://127.0.0.1:1\"\n")
            .unwrap();
        assert_eq!(p.token.name, "Authorization");
        let err = TargetProfile::parse(
            "p.toml",
            "[target]\nbackend_url = \"http://x\"\nbakend = 1\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("p.toml: 3:1:"), "{err}");
        let err = TargetProfile::parse(
            "p.toml",
            "[target]\nbackend_url = \"http://x\"\n[contract.codes]\nEXPIRED = \"e\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("EXPIRED"), "{err}");
    }
}
