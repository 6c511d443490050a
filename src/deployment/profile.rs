//! Target profiles (TOML): where a deployment is, how to get a session, where the token goes,
//! what policy it should enforce, and how its error codes map onto the contract — so a team can
//! audit a backend whose error bodies differ from ours ("status only" when they do not have codes).

use super::endpoint::Endpoint;
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
    /// The backend's protected endpoints (`[[endpoint]]`: method, path, expected status); by
    /// default `GET /api/me`.
    #[serde(default)]
    pub endpoint: Vec<Endpoint>,
    /// Read the protected endpoints from an OpenAPI document.
    #[serde(default)]
    pub openapi: Option<OpenApiSection>,
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
    /// Its own protected endpoints (`[[backend.endpoint]]`), instead of the top level's.
    #[serde(default)]
    pub endpoint: Vec<Endpoint>,
    /// Its own OpenAPI document (URL, file, or path on this backend); the `[openapi]` table's
    /// methods and parameters apply.
    #[serde(default)]
    pub openapi: Option<String>,
}

/// `[openapi]`: every operation of the document whose security requires a bearer token is a
/// protected endpoint (GET and HEAD unless `methods` allows more).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct OpenApiSection {
    /// An http(s) URL, a file (relative to the profile), or a path on the backend
    /// (`/openapi.json`, FastAPI's).
    #[serde(default)]
    pub source: Option<String>,
    /// Methods audited besides GET and HEAD (they may change data).
    #[serde(default)]
    pub methods: Vec<String>,
    /// Values of path parameters by name, winning over the document's examples.
    #[serde(default)]
    pub parameters: BTreeMap<String, String>,
}

/// One backend of a profile, resolved: what a run audits.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileTarget {
    pub name: String,
    pub endpoints: super::Endpoints,
    pub token: TokenPlacement,
    pub policy: PolicySection,
    pub contract: ContractSection,
    /// Its protected endpoints given by hand (empty: the default or the OpenAPI document's).
    pub protected: Vec<Endpoint>,
    /// Where its OpenAPI document is, with the profile's methods and parameters.
    pub openapi: Option<OpenApiSection>,
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
    #[error("credentials.{field}: ${var} is not set")]
    MissingEnv { field: &'static str, var: String },
}

impl TargetProfile {
    /// The user the profile signs in as, read from the environment variables it names (none:
    /// the runner signs up a throwaway user).
    pub fn credentials_from_env(
        &self,
    ) -> Result<Option<super::session::Credentials>, ProfileError> {
        let c = &self.credentials;
        let (Some(email), Some(password)) = (&c.email_env, &c.password_env) else {
            return Ok(None);
        };
        let read = |field: &'static str, var: &String| {
            std::env::var(var).map_err(|_| ProfileError::MissingEnv {
                field,
                var: var.clone(),
            })
        };
        Ok(Some(super::session::Credentials {
            name: "authprobe".into(),
            email: read("email_env", email)?,
            password: read("password_env", password)?,
            sign_up: c.sign_up,
        }))
    }

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
                protected: self.endpoint.clone(),
                openapi: self.openapi.clone().filter(|o| o.source.is_some()),
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
                    protected: if b.endpoint.is_empty() {
                        self.endpoint.clone()
                    } else {
                        b.endpoint.clone()
                    },
                    openapi: match &b.openapi {
                        Some(source) => Some(OpenApiSection {
                            source: Some(source.clone()),
                            ..self.openapi.clone().unwrap_or_default()
                        }),
                        None => self.openapi.clone().filter(|o| o.source.is_some()),
                    },
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
        let mut profile = TargetProfile::parse(&shown, &text)?;
        // A relative OpenAPI file is read from the profile's folder.
        let dir = path.parent().unwrap_or(Path::new("."));
        let sources = profile
            .openapi
            .iter_mut()
            .filter_map(|o| o.source.as_mut())
            .chain(
                profile
                    .backend
                    .iter_mut()
                    .filter_map(|b| b.openapi.as_mut()),
            );
        for source in sources {
            if !source.contains("://") && !source.starts_with('/') {
                *source = dir.join(&*source).display().to_string();
            }
        }
        Ok(profile)
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
        let mut profile = profile;
        for e in profile.endpoint.iter_mut().chain(
            profile
                .backend
                .iter_mut()
                .flat_map(|b| b.endpoint.iter_mut()),
        ) {
            e.method.make_ascii_uppercase();
            e.check()
                .map_err(|err| invalid(format!("[[endpoint]]: {err}")))?;
        }
        if let Some(o) = &mut profile.openapi {
            for m in &mut o.methods {
                m.make_ascii_uppercase();
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
