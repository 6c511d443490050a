//! What is audited ([`TargetSpec`]) and everything its cases are built from ([`Context`]).

use super::*;
use crate::deployment::profile::{ProfileError, ProfileTarget, TargetProfile};

/// What is audited.
pub struct TargetSpec {
    /// The target's name in reports (the profile's `[target] name`, the mock's variant, or the
    /// backend URL); part of every finding's fingerprint, so keep it stable between runs.
    pub name: String,
    /// `mock`, `live` or `in-process` (an `authprobe::testing` target).
    pub kind: String,
    pub variant: Option<String>,
    pub endpoints: Endpoints,
    /// The issuer's private key(s) (white-box): with several, each target uses the one whose
    /// public key its issuer publishes; a single key is used as given.
    pub issuer_keys: Vec<SigningKey>,
    /// A token to start from when there is no auth server.
    pub token: Option<String>,
    pub credentials: Option<Credentials>,
    pub placement: TokenPlacement,
    pub contract: ContractSection,
    /// Whether the auth server rate-limits (Better Auth: production mode).
    pub auth_rate_limiting: bool,
    /// Overrides of the reference policy (default: the audit profile for the token's issuer,
    /// the token's algorithm only).
    pub policy: PolicySection,
    /// The published key set, when there is no auth server to fetch it from.
    pub jwks: Option<Value>,
    /// Another target of the same run audits the shared auth server (its suite cases are not
    /// repeated for every backend behind it).
    pub auth_server_audited_by: Option<String>,
    /// The backend's protected endpoints (empty: `GET /api/me`); every case sent to
    /// [`PROTECTED_PATH`](crate::deployment::endpoint::PROTECTED_PATH) runs against each, and the
    /// report lists each endpoint as a target of its own.
    pub protected: Vec<Endpoint>,
    /// Remarks from setting the target up (e.g. OpenAPI operations left out), shown in the report.
    pub setup_notes: Vec<String>,
    /// The target this one is an endpoint of, when a target with several endpoints was split.
    pub endpoint_group: Option<String>,
}

impl TargetSpec {
    /// A target with these endpoints and every other setting at its default: no issuer key
    /// (black-box), a throwaway user, `Authorization: Bearer`, the contract's codes, the Better
    /// Auth reference policy for the issuer's tokens.
    pub fn new(
        name: impl Into<String>,
        kind: impl Into<String>,
        endpoints: Endpoints,
    ) -> TargetSpec {
        TargetSpec {
            name: name.into(),
            kind: kind.into(),
            variant: None,
            endpoints,
            issuer_keys: Vec::new(),
            token: None,
            credentials: None,
            placement: TokenPlacement::default(),
            contract: ContractSection::default(),
            auth_rate_limiting: false,
            policy: PolicySection::default(),
            jwks: None,
            auth_server_audited_by: None,
            protected: Vec::new(),
            setup_notes: Vec::new(),
            endpoint_group: None,
        }
    }

    /// A live target of a profile (one of [`TargetProfile::targets`]), signing in as
    /// `credentials` (none: a throwaway user); black-box until issuer keys are added.
    pub fn from_profile_target(
        target: ProfileTarget,
        credentials: Option<Credentials>,
        auth_rate_limiting: bool,
    ) -> TargetSpec {
        TargetSpec {
            placement: target.token,
            contract: target.contract,
            policy: target.policy,
            protected: target.protected,
            credentials,
            auth_rate_limiting,
            ..TargetSpec::new(target.name, "live", target.endpoints)
        }
    }

    /// Every target a profile names, with the credentials it names read from the environment.
    /// Its `[openapi]` sections are not expanded here (the command line fetches them).
    pub fn all_from_profile(profile: &TargetProfile) -> Result<Vec<TargetSpec>, ProfileError> {
        let credentials = profile.credentials_from_env()?;
        Ok(profile
            .targets()
            .into_iter()
            .map(|t| {
                TargetSpec::from_profile_target(
                    t,
                    credentials.clone(),
                    profile.target.auth_rate_limiting,
                )
            })
            .collect())
    }

    /// The embedded mock deployment as a white-box target (the harness holds its issuer key).
    pub fn for_mock(mock: &crate::deployment::mock::MockDeployment) -> TargetSpec {
        TargetSpec {
            name: match mock.flaw {
                Some(f) => format!("mock:{}", f.name()),
                None => "mock".into(),
            },
            kind: "mock".into(),
            variant: mock.flaw.map(|f| f.name().to_owned()),
            endpoints: mock.endpoints(),
            issuer_keys: mock.issuer_key().try_clone().into_iter().collect(),
            token: None,
            credentials: None,
            placement: match &mock.cookie_contract {
                Some(name) => TokenPlacement {
                    placement: "cookie".into(),
                    name: name.clone(),
                    scheme: String::new(),
                },
                None => TokenPlacement::default(),
            },
            contract: ContractSection {
                realm: Some(crate::deployment::mock::REALM.into()),
                ..ContractSection::default()
            },
            auth_rate_limiting: mock.state.rate_limiting,
            policy: PolicySection::default(),
            jwks: None,
            auth_server_audited_by: None,
            protected: Vec::new(),
            setup_notes: Vec::new(),
            endpoint_group: None,
        }
    }
}

/// Everything cases are built from.
pub struct Context {
    pub endpoints: Endpoints,
    pub issuer_key: Option<SigningKey>,
    pub attacker: std::sync::Arc<AttackerKeys>,
    pub oob_base: String,
    pub base: Option<Token>,
    pub published: Vec<Map<String, Value>>,
    pub session: Option<Session>,
    pub now: i64,
    pub placement: TokenPlacement,
    pub contract: ContractSection,
    pub secrets: Vec<String>,
    pub auth_rate_limiting: bool,
    /// The reference validator with the target's policy and published keys; absent when the
    /// run has no key set (then suite expectations judge).
    pub oracle: Option<crate::judge::Oracle>,
    /// Set when another target of the run audits the shared auth server.
    pub auth_server_audited_by: Option<String>,
    /// The protected endpoint this audit sends its cases to.
    pub protected: Endpoint,
}

impl Context {
    pub fn base_token(&self) -> Option<&Token> {
        self.base.as_ref()
    }
    pub fn base_alg(&self) -> crate::Algorithm {
        self.base
            .as_ref()
            .and_then(|t| t.alg())
            .and_then(crate::Algorithm::from_name)
            .unwrap_or(crate::Algorithm::EdDSA)
    }

    /// Why a case cannot run here, if it cannot.
    pub fn missing_needs(&self, case: &CaseSpec, server: Server) -> Option<String> {
        match server {
            Server::Auth if self.endpoints.auth.is_none() => return Some("no auth server URL".into()),
            Server::Auth if self.auth_server_audited_by.is_some() => {
                return Some(format!(
                    "the auth server is audited once per run, with target {}",
                    self.auth_server_audited_by.as_deref().unwrap_or_default()
                ))
            }
            Server::BackendKeySetDown if self.endpoints.backend_key_set_down.is_none() => {
                return Some("the target has no backend instance with its key set down (target.backend_key_set_down_url)".into())
            }
            Server::BackendRateLimited if self.endpoints.backend_rate_limited.is_none() => {
                return Some("the target has no rate-limited backend instance (target.backend_rate_limited_url)".into())
            }
            _ => {}
        }
        case.needs.iter().find_map(|need| match need {
            Need::IssuerKey if self.issuer_key.is_none() => {
                Some("needs the issuer's private key (black-box audit; pass --issuer-key for white-box)".into())
            }
            Need::Session if self.session.is_none() => Some("needs a Better Auth session".into()),
            Need::Token if self.base.is_none() => {
                Some("needs a valid token (a Better Auth session, or --token)".into())
            }
            Need::RateLimiting if !self.auth_rate_limiting => {
                Some("the auth server does not rate-limit (Better Auth enables it only with NODE_ENV=production)".into())
            }
            Need::Cors if self.endpoints.frontend_origin.is_none() => Some("no front-end origin configured".into()),
            Need::HeaderPlacement if self.placement.placement != "header" => Some(format!(
                "the target's contract carries the token in a {} (only header contracts are checked for tokens elsewhere)",
                self.placement.placement
            )),
            Need::CookiePlacement if self.placement.placement != "cookie" => Some(format!(
                "the target's contract carries the token in a {} (these cases are for cookie contracts)",
                self.placement.placement
            )),
            _ => None,
        })
    }

    pub(super) fn server_url(&self, server: Server) -> Option<String> {
        match server {
            Server::Backend => Some(self.endpoints.backend.clone()),
            Server::Auth => self.endpoints.auth.clone(),
            Server::BackendKeySetDown => self.endpoints.backend_key_set_down.clone(),
            Server::BackendRateLimited => self.endpoints.backend_rate_limited.clone(),
        }
        .map(|u| u.trim_end_matches('/').to_owned())
    }

    /// Built-in variables every suite can use.
    pub(super) fn variables(&self) -> BTreeMap<String, String> {
        let mut v = BTreeMap::new();
        if let Some(s) = &self.session {
            v.insert("session_token".into(), s.session_token.clone());
            v.insert("session_cookie".into(), s.cookie.clone());
            v.insert("user_email".into(), s.email.clone());
            v.insert("user_password".into(), s.password.clone());
            v.insert("user_name".into(), s.name.clone());
        }
        if let Some(t) = &self.base {
            v.insert("jwt".into(), t.as_str().to_owned());
            if let Some(iss) = t
                .unverified_claims(16)
                .ok()
                .and_then(|c| c.get("iss").and_then(Value::as_str).map(str::to_owned))
            {
                v.insert("issuer".into(), iss);
            }
        }
        v.insert(
            "frontend_origin".into(),
            self.endpoints
                .frontend_origin
                .clone()
                .unwrap_or_else(|| "http://127.0.0.1:5173".into()),
        );
        v.insert("foreign_origin".into(), "https://evil.example".into());
        if let Some(auth) = &self.endpoints.auth {
            v.insert("auth_origin".into(), auth.trim_end_matches('/').to_owned());
        }
        v
    }
}
