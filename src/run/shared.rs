//! What the concurrent audits of one run share: the HTTP client, the attacker keys, one
//! session per auth server and user, the captures of auth-server flows, the `--listen` hub.

use super::*;

/// What concurrent audits share: one HTTP client, the attacker keys, one session per auth
/// server and credentials.
pub(super) struct Shared {
    pub(super) http: Http,
    pub(super) attacker: std::sync::Arc<AttackerKeys>,
    pub(super) sessions:
        tokio::sync::Mutex<BTreeMap<String, std::sync::Arc<tokio::sync::OnceCell<SessionResult>>>>,
    /// Captures of auth-server-only flows, per auth server, user and suite.
    pub(super) flows:
        tokio::sync::Mutex<BTreeMap<String, std::sync::Arc<tokio::sync::OnceCell<FlowResult>>>>,
    /// The out-of-band listener at `--listen`, shared by every target (none: one each).
    pub(super) oob_hub: Option<crate::deployment::oob::OobHub>,
}

/// Whether a suite's flows succeeded, the variables they captured, and their notes.
pub(super) type FlowResult = (bool, BTreeMap<String, String>, Vec<String>);

/// A session, or why there is none (and whether the auth server was unreachable).
pub(super) type SessionResult = Result<Session, (String, bool)>;

impl Shared {
    pub(super) async fn new(config: &RunConfig) -> Result<Shared, AuditError> {
        let oob_hub = match config.oob_listen {
            Some(addr) => Some(
                crate::deployment::oob::OobHub::start(addr, config.oob_callback.as_deref())
                    .await
                    .map_err(|e| AuditError::Listener(e.to_string()))?,
            ),
            None if config.oob_callback.is_some() => {
                return Err(AuditError::Listener(
                    "--callback-url needs --listen: the address the callback URL reaches".into(),
                ))
            }
            None => None,
        };
        Ok(Shared {
            oob_hub,
            http: Http::new(config.http.clone())?,
            attacker: std::sync::Arc::new(
                AttackerKeys::generate().map_err(|e| AuditError::Keys(e.to_string()))?,
            ),
            sessions: Default::default(),
            flows: Default::default(),
        })
    }

    /// The session for this auth server and these credentials, signed up once.
    pub(super) async fn session(
        &self,
        endpoints: &crate::deployment::Endpoints,
        creds: &Credentials,
    ) -> SessionResult {
        let key = format!(
            "{}{}\u{0}{}",
            endpoints.auth.as_deref().unwrap_or_default(),
            endpoints.auth_base_path,
            creds.email
        );
        let cell = self.sessions.lock().await.entry(key).or_default().clone();
        cell.get_or_init(|| async {
            session::bootstrap(&self.http, endpoints, creds)
                .await
                .map_err(|e| {
                    let unreachable =
                        matches!(&e, session::SessionError::Transport(t) if t.target_unreachable());
                    (e.to_string(), unreachable)
                })
        })
        .await
        .clone()
    }
}
