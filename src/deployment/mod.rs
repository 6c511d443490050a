//! Deployments under audit: the embedded [`mock`] and live ones given by URL, described by the
//! same [`Endpoints`] so the runner treats them alike (it always speaks HTTP).
//!
//! This layer is the one way the harness talks to a deployment, for the audit runner, the
//! fuzzer and the lifecycle measurements alike: one HTTP client ([`http::Http`]), one session
//! bootstrap ([`session::bootstrap`]), one token-placement renderer
//! ([`placement::Carrier`]) and one out-of-band listener ([`oob`]).

pub mod endpoint;
pub mod http;
pub mod mock;
pub mod oob;
pub mod openapi;
pub mod placement;
pub mod profile;
pub mod session;

/// Where a deployment's servers are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// The backend API (e.g. `http://127.0.0.1:43180`).
    pub backend: String,
    /// The Better Auth server's origin (e.g. `http://127.0.0.1:43100`), if audited.
    pub auth: Option<String>,
    /// Better Auth's base path (`/api/auth`).
    pub auth_base_path: String,
    /// A backend instance whose key set endpoint is unreachable (KEY_SET_UNAVAILABLE).
    pub backend_key_set_down: Option<String>,
    /// A backend instance with a low per-client rate limit (RATE_LIMITED).
    pub backend_rate_limited: Option<String>,
    /// The front-end origin the backend allows in CORS.
    pub frontend_origin: Option<String>,
}

impl Endpoints {
    /// A backend alone: no auth server, other instances or front end; Better Auth's base path.
    pub fn backend_only(backend: impl Into<String>) -> Endpoints {
        Endpoints {
            backend: backend.into(),
            auth: None,
            auth_base_path: "/api/auth".into(),
            backend_key_set_down: None,
            backend_rate_limited: None,
            frontend_origin: None,
        }
    }
}
