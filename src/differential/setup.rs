//! Setting a run up: a session from the auth server (or the token and key set given), the
//! reference policy the backend is compared with, the attacker keys (Ed25519 and HMAC from the
//! seed), the out-of-band listener, the secrets no report may show, and the material and shared
//! state the campaign runs on.

use super::campaign::Shared;
use super::config::{FuzzConfig, FuzzTarget};
use super::findings::Store;
use super::mutate::{Generator, Material, MaterialInput, Shape};
use super::oracle::Oracle;
use super::outcome::Control;
use super::{report, unix_now};
use crate::algorithm::Algorithm;
use crate::dangerous::forge::rng::Rng;
use crate::dangerous::forge::AttackerKeys;
use crate::deployment::http::{ClientError, Http};
use crate::deployment::oob::OobServer;
use crate::deployment::profile::{PolicySection, TokenPlacement};
use crate::deployment::session::{self, Credentials, SessionError};
use crate::jwk::KeySet;
use crate::sign::SigningKey;
use crate::token::Token;
use crate::validate::{Policy, Validator};
use serde_json::{Map, Value};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FuzzError {
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error("generating harness keys: {0}")]
    Keys(String),
    /// No usable token, key set or policy.
    #[error("{0}")]
    Setup(String),
    #[error("{0}")]
    Unreachable(String),
}

/// The reference policy: the audit profile for the token's issuer, the token's algorithm only,
/// then the profile's overrides.
pub fn reference_policy(
    issuer: &str,
    alg: Algorithm,
    overrides: &PolicySection,
) -> Result<Policy, String> {
    let mut policy =
        crate::deployment::mock::audit_policy(overrides.issuer.as_deref().unwrap_or(issuer));
    if let Some(aud) = &overrides.audience {
        policy.audience = aud.clone();
    }
    policy.algorithms = match &overrides.algorithms {
        Some(names) => names
            .iter()
            .map(|n| {
                Algorithm::from_name(n).ok_or_else(|| format!("policy.algorithms: unknown {n:?}"))
            })
            .collect::<Result<_, _>>()?,
        None => vec![alg],
    };
    if let Some(leeway) = overrides.leeway {
        policy.leeway_secs = leeway;
    }
    if let Some(max) = overrides.max_lifetime {
        policy.max_lifetime_secs = Some(max);
    }
    Ok(policy)
}

/// How a placement delivers the credential.
pub fn shape_of(p: &TokenPlacement) -> Shape {
    match p.placement.as_str() {
        "cookie" | "query" | "json-body" => Shape::Raw,
        _ if p.name.eq_ignore_ascii_case("authorization")
            && p.scheme.eq_ignore_ascii_case("bearer") =>
        {
            Shape::Bearer
        }
        _ => Shape::Header {
            scheme: p.scheme.clone(),
        },
    }
}

/// A random seed (for runs that do not name one).
pub fn random_seed() -> u64 {
    let mut b = [0u8; 8];
    let _ = aws_lc_rs::rand::SecureRandom::fill(&aws_lc_rs::rand::SystemRandom::new(), &mut b);
    u64::from_le_bytes(b)
}

/// Attacker keys whose Ed25519 and HMAC members follow from the seed (so attacker-signed
/// EdDSA/HS tokens are reproducible); the others are fresh.
pub fn attacker_keys(seed: u64) -> Result<AttackerKeys, FuzzError> {
    let mut keys = AttackerKeys::generate().map_err(|e| FuzzError::Keys(e.to_string()))?;
    let mut rng = Rng::new(seed ^ 0xA77A_C4E2_5EED_0001);
    let mut ed = [0u8; 32];
    ed.copy_from_slice(&rng.bytes(32));
    keys.ed25519 = SigningKey::ed25519_from_seed(ed);
    keys.hmac = SigningKey::hmac(&rng.bytes(64));
    Ok(keys)
}

/// A prepared run.
pub(super) struct Prepared {
    pub(super) shared: Arc<Shared>,
    pub(super) info: report::RunInfo,
    /// What the report says about the setup (a session that could not be had, the issuer key).
    pub(super) notes: Vec<String>,
    /// The starting token's claims (its `exp` is compared with the end of the run).
    pub(super) claims: Map<String, Value>,
}

/// Prepares a run: the session (or the given token and key set), the reference policy, the
/// attacker keys, the out-of-band listener, the secrets no report may show, the material drafts
/// are made from, and the state the workers share.
pub(super) async fn prepare(
    target: FuzzTarget,
    config: FuzzConfig,
    control: Arc<Control>,
) -> Result<Prepared, FuzzError> {
    let now = unix_now();
    let run_id = format!(
        "{}-fuzz-{}",
        crate::run::rfc3339(now).replace([':', '-'], ""),
        target.variant.as_deref().unwrap_or(&target.kind)
    );
    let http = Http::new(config.http.clone())?;
    let mut notes = Vec::new();

    let mut session = None;
    if target.endpoints.auth.is_some() {
        let creds = target
            .credentials
            .clone()
            .unwrap_or_else(|| Credentials::throwaway(&run_id));
        match session::bootstrap(&http, &target.endpoints, &creds).await {
            Ok(s) => session = Some(s),
            Err(SessionError::Transport(t)) if t.target_unreachable() => {
                return Err(FuzzError::Unreachable(format!(
                    "the auth server could not be reached: {t}"
                )))
            }
            Err(e) if target.token.is_none() => {
                return Err(FuzzError::Setup(format!(
                    "could not get a session from the auth server: {e}"
                )))
            }
            Err(e) => notes.push(format!("could not get a session from the auth server: {e}")),
        }
    }
    let base_text = session
        .as_ref()
        .map(|s| s.jwt.clone())
        .or_else(|| target.token.clone())
        .ok_or_else(|| {
            FuzzError::Setup(
                "no token to start from: give an auth server (--auth-url or a profile) or --token"
                    .into(),
            )
        })?;
    let base = Token::parse(&base_text)
        .map_err(|e| FuzzError::Setup(format!("the starting token is not a compact JWS: {e}")))?;
    let jwks = session
        .as_ref()
        .map(|s| s.jwks.clone())
        .or_else(|| target.jwks.clone())
        .ok_or_else(|| {
            FuzzError::Setup("no key set: without an auth server, pass --jwks".into())
        })?;
    let keys = KeySet::from_public_jwks(jwks.to_string().as_bytes())
        .map_err(|e| FuzzError::Setup(format!("the published key set is not usable: {e}")))?;
    let published: Vec<Map<String, Value>> = jwks["keys"]
        .as_array()
        .map(|a| a.iter().filter_map(|k| k.as_object().cloned()).collect())
        .unwrap_or_default();
    let claims = base
        .unverified_claims(16)
        .map_err(|e| FuzzError::Setup(format!("the starting token's claims: {e}")))?;
    let issuer = claims
        .get("iss")
        .and_then(Value::as_str)
        .ok_or_else(|| FuzzError::Setup("the starting token has no string iss".into()))?
        .to_owned();
    let alg = base
        .alg()
        .and_then(Algorithm::from_name)
        .ok_or_else(|| FuzzError::Setup("the starting token's alg is not a known one".into()))?;
    let policy = reference_policy(&issuer, alg, &target.policy).map_err(FuzzError::Setup)?;

    let attacker = attacker_keys(config.seed)?;
    let mut oob_kids: Vec<String> = vec!["authprobe-attacker".into()];
    oob_kids.extend(
        published
            .iter()
            .filter_map(|k| k.get("kid").and_then(Value::as_str).map(str::to_owned)),
    );
    let oob_kid_refs: Vec<&str> = oob_kids.iter().map(String::as_str).collect();
    let oob = OobServer::start(&attacker, &oob_kid_refs).await;

    let mut secrets = Vec::new();
    if let Some(s) = &session {
        secrets.extend([
            s.jwt.clone(),
            s.session_token.clone(),
            s.cookie.clone(),
            s.password.clone(),
        ]);
    }
    secrets.push(base_text.clone());
    let (issuer_key, key_note) = crate::run::pick_issuer_key(target.issuer_keys, Some(&jwks));
    notes.extend(key_note);
    if let Some(k) = &issuer_key {
        secrets.extend(k.secret_material());
    }
    secrets.retain(|s| s.len() >= 8);

    let shape = shape_of(&target.placement);
    let white_box = issuer_key.is_some();
    let material = Arc::new(Material::new(MaterialInput {
        base: &base,
        published: &published,
        keys: &keys,
        issuer_key,
        attacker,
        oob_base: oob.base_url(),
        shape: shape.clone(),
        catalogue: config.catalogue_seeds,
        now,
        frontend_origin: target.endpoints.frontend_origin.as_deref(),
    }));
    let oracle = Oracle::new(Validator::new(policy), keys, shape == Shape::Bearer);
    let url = format!(
        "{}{}",
        target.endpoints.backend.trim_end_matches('/'),
        config.path
    );
    let info = report::RunInfo {
        run_id,
        started_at: crate::run::rfc3339(now),
        target: crate::report::TargetInfo {
            name: target.name.clone(),
            baseline_ok: true,
            duration_ms: 0,
            kind: target.kind.clone(),
            variant: target.variant.clone(),
            backend_url: target.endpoints.backend.clone(),
            auth_url: target.endpoints.auth.clone(),
            mode: if white_box { "white-box" } else { "black-box" }.into(),
            endpoint: Some(format!("GET {}", config.path)),
            endpoint_group: None,
        },
        seed: config.seed,
        budget: config.budget,
        seeds: material.seeds().len(),
    };
    let shared = Arc::new(Shared {
        generator: Generator::new(material, config.seed),
        oracle,
        http,
        oob,
        url,
        placement: target.placement.clone(),
        shape,
        contract: target.contract.clone(),
        frontend_origin: target.endpoints.frontend_origin.clone(),
        secrets,
        config,
        control: control.clone(),
        next_index: AtomicU64::new(0),
        next_nonce: AtomicU64::new(0),
        stop: AtomicBool::new(false),
        connect_streak: AtomicUsize::new(0),
        unreachable: AtomicBool::new(false),
        store: Mutex::new(Store::default()),
        started: Mutex::new(Instant::now()),
        deadline: Mutex::new(None),
        workers_done: Mutex::new(None),
    });
    Ok(Prepared {
        shared,
        info,
        notes,
        claims,
    })
}
