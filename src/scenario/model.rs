//! The in-memory form of a scenario suite: what the TOML files in `scenarios/` deserialize into.
//! The file format is documented in `scenarios/README.md`; `scenario::load` reads it with
//! positions and hints.

use crate::dangerous::forge::Severity;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One suite file: `[suite]` metadata, optional `[[flow]]` steps, and `[[case]]`s.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Suite {
    pub suite: SuiteMeta,
    /// Steps run once before the cases (live Better Auth: sign up, sign in, obtain a token).
    #[serde(default, rename = "flow")]
    pub flows: Vec<FlowStep>,
    #[serde(default, rename = "case")]
    pub cases: Vec<CaseSpec>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SuiteMeta {
    /// Stable suite name (`error-contract`, `attacks`, …).
    pub name: String,
    pub description: String,
    /// Which server the cases talk to by default.
    #[serde(default)]
    pub server: Server,
}

/// The two servers of a deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Server {
    /// The backend API that validates tokens.
    #[default]
    Backend,
    /// The Better Auth server.
    Auth,
    /// A second instance of the backend whose key set endpoint is unreachable (for the
    /// KEY_SET_UNAVAILABLE row); cases skip when the target has none.
    BackendKeySetDown,
    /// A second instance of the backend with a low per-client rate limit (for RATE_LIMITED);
    /// cases skip when the target has none.
    BackendRateLimited,
}

/// A flow step: one HTTP exchange whose results are captured into variables.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FlowStep {
    pub name: String,
    #[serde(default)]
    pub server: Server,
    pub request: RequestSpec,
    /// Status the step must answer with, or the flow fails (and the cases that need it skip).
    #[serde(default)]
    pub expect_status: Option<u16>,
    /// `variable = "source"`, sources: `header:<name>`, `json:<pointer>`, `cookie:<name>`.
    #[serde(default)]
    pub capture: BTreeMap<String, String>,
}

/// One case.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CaseSpec {
    /// Unique within the suite (kebab-case).
    pub id: String,
    pub title: String,
    /// Stable rule id reported for findings (e.g. `AP-EC-TOKEN_EXPIRED`).
    pub rule: String,
    /// The grade of a failure of this case's own check (findings.md §5); requests about the
    /// token are graded by the reference's cause instead.
    #[serde(default = "default_severity")]
    pub severity: Severity,
    /// What an attacker gets when the check fails (findings.md §2; default `contract`).
    #[serde(default)]
    pub class: Option<crate::judge::FlawClass>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// The server this case talks to (default: the suite's).
    #[serde(default)]
    pub server: Option<Server>,
    /// How the token is made: a base session plus edits, or a catalogue case.
    #[serde(default)]
    pub token: TokenSpec,
    #[serde(default)]
    pub request: RequestSpec,
    #[serde(default)]
    pub expect: Expect,
    /// Extra attempts on a transport error (never on a wrong answer).
    #[serde(default)]
    pub retries: u32,
    /// Capabilities the case needs; without them it is skipped with the reason.
    #[serde(default)]
    pub needs: Vec<Need>,
}

fn default_severity() -> Severity {
    Severity::Medium
}

/// What a case needs from the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Need {
    /// Signing as the issuer (white-box, or the mock).
    IssuerKey,
    /// A session token from the Better Auth flow (live or mock).
    Session,
    /// A valid token to start from: the session's, or the one given with `--token` (an audit
    /// started from a captured token, without an auth server).
    Token,
    /// Rate limiting switched on at the auth server (Better Auth: NODE_ENV=production).
    RateLimiting,
    /// The backend's CORS configuration names a front-end origin.
    Cors,
    /// The target's contract carries the token in a header (`Authorization: Bearer`), so a
    /// token anywhere else must be refused.
    HeaderPlacement,
    /// The target's contract carries the token in a cookie, so a token in the URL or a body
    /// must be refused.
    CookiePlacement,
}

/// How a case's credential is built. The default is no token at all.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TokenSpec {
    /// `none` (no token), `session` (the base token), `edited` (base plus edits), or
    /// `catalogue` (every variant of a catalogue case).
    #[serde(default)]
    pub from: TokenSource,
    /// Header member edits, applied in order.
    #[serde(default)]
    pub header: Vec<Edit>,
    /// Claim edits, applied in order.
    #[serde(default)]
    pub claims: Vec<Edit>,
    /// After edits: `issuer` re-signs with the issuer key, `keep` keeps the original signature,
    /// `attacker` signs with a harness key the target does not trust, `none` empties it.
    #[serde(default)]
    pub sign: Signing,
    /// The catalogue case ID, with `from = "catalogue"`.
    #[serde(default)]
    pub catalogue: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TokenSource {
    #[default]
    None,
    Session,
    Edited,
    Catalogue,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Signing {
    #[default]
    Issuer,
    Keep,
    Attacker,
    None,
}

/// One edit of a JSON member. `value` is raw JSON text, or a relative time `now`, `now-5m`,
/// `now+1h`, `now+30s`, `now-2d` (a NumericDate computed at run time), or `${var}`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Edit {
    /// The member name.
    pub name: String,
    /// `set` (default), `remove`, or `duplicate` (append a second member with this name).
    #[serde(default)]
    pub op: EditOp,
    #[serde(default)]
    pub value: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EditOp {
    #[default]
    Set,
    Remove,
    Duplicate,
}

/// Where the token goes, when it is sent.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Placement {
    /// `Authorization: Bearer <token>` (scheme and header configurable in the target profile).
    #[default]
    Header,
    /// A cookie of this name.
    Cookie(String),
    /// A query parameter of this name.
    Query(String),
    /// A top-level JSON body field of this name.
    JsonBody(String),
    /// A form-encoded body parameter of this name (RFC 6750 §2.2, `access_token=`).
    Form(String),
}

/// The request of a case or flow step.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RequestSpec {
    #[serde(default = "default_method")]
    pub method: String,
    /// Path on the server, may contain `${var}` (e.g. `/api/me`).
    #[serde(default = "default_path")]
    pub path: String,
    #[serde(default)]
    pub placement: Placement,
    /// Raw headers added or overriding (e.g. `Origin`, or an explicit `Authorization`).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Several `Authorization` header values, sent as separate headers (overrides placement).
    #[serde(default)]
    pub authorization: Option<Vec<String>>,
    /// A body sent as-is (`${var}` expanded), with its content type.
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub content_type: Option<String>,
    /// Send the request this many times in a row (rate-limit probes); the last answer is judged.
    #[serde(default = "one")]
    pub repeat: u32,
}

impl Default for RequestSpec {
    fn default() -> Self {
        RequestSpec {
            method: default_method(),
            path: default_path(),
            placement: Placement::Header,
            headers: BTreeMap::new(),
            authorization: None,
            body: None,
            content_type: None,
            repeat: 1,
        }
    }
}

fn default_method() -> String {
    "GET".into()
}
fn default_path() -> String {
    "/api/me".into()
}
fn one() -> u32 {
    1
}

/// What the answer must look like.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// `accepted` (2xx), `rejected` (4xx, the security expectation), or `any`.
    #[serde(default)]
    pub outcome: ExpectedOutcome,
    /// Exact status (a contract expectation).
    #[serde(default)]
    pub status: Option<u16>,
    /// Contract code in the body's `code` member (mapped through the target profile).
    #[serde(default)]
    pub code: Option<String>,
    /// `header-name = "regex"`: the header must be present and match.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Headers that must be absent.
    #[serde(default)]
    pub headers_absent: Vec<String>,
    /// `"/json/pointer" = raw JSON value` the body must hold.
    #[serde(default)]
    pub json: BTreeMap<String, String>,
    /// The body must not contain the token sent or any key material (default true).
    #[serde(default = "yes")]
    pub no_secrets_in_body: bool,
}

impl Default for Expect {
    fn default() -> Self {
        Expect {
            outcome: ExpectedOutcome::Rejected,
            status: None,
            code: None,
            headers: BTreeMap::new(),
            headers_absent: Vec::new(),
            json: BTreeMap::new(),
            no_secrets_in_body: true,
        }
    }
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExpectedOutcome {
    Accepted,
    #[default]
    Rejected,
    Any,
}
