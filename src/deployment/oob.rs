//! The harness's own out-of-band listener: it serves the attacker key set, the attacker
//! certificate and hostile documents at the paths forged tokens name, and records every request,
//! so a target that fetches a `jku`/`x5u`/claim URL is caught without any outside service
//! (ATTACKS.md D04–D09, F10, H16).
//!
//! By default each audited target gets its own listener on 127.0.0.1 (an ephemeral port), which
//! only a target on this machine can reach. For a remote target, [`OobHub`] listens where the
//! user says (`--listen ADDR:PORT`) and forged tokens name the public URL that reaches it
//! (`--callback-url`, e.g. a tunnel); targets sharing the hub are told apart by a path prefix.

use crate::dangerous::forge::AttackerKeys;
use crate::deployment::mock::server::Server;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// How long a tarpit response is held (bounded: a target that follows it is already a finding).
pub const TARPIT: Duration = Duration::from_secs(15);

/// A running listener (or one target's share of a hub).
pub struct OobServer {
    server: Arc<Server>,
    /// The path prefix of this target's documents (empty on a listener of its own).
    prefix: String,
    /// The URL forged tokens name: the listener's own, or the callback URL, plus the prefix.
    base: String,
}

/// One listener at a given address, shared by every target of a run.
pub struct OobHub {
    server: Arc<Server>,
    callback: String,
    next: AtomicUsize,
}

/// Why the hub cannot listen.
#[derive(Debug, thiserror::Error)]
pub enum OobError {
    #[error("cannot listen on {addr} for out-of-band fetches: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("--callback-url {0:?}: expected an http(s) URL without query or fragment")]
    CallbackUrl(String),
}

impl OobHub {
    /// Listens on `addr`; forged tokens name `callback` (default: `http://<addr>`, which a
    /// remote target reaches only when `addr` is an address it can route to).
    pub async fn start(addr: SocketAddr, callback: Option<&str>) -> Result<OobHub, OobError> {
        let listener = std::net::TcpListener::bind(addr)
            .map_err(|source| OobError::Listen { addr, source })?;
        let bound = listener
            .local_addr()
            .map_err(|source| OobError::Listen { addr, source })?;
        let callback = match callback {
            Some(url) => {
                let ok = (url.starts_with("http://") || url.starts_with("https://"))
                    && !url.contains(['?', '#']);
                if !ok {
                    return Err(OobError::CallbackUrl(url.to_owned()));
                }
                url.trim_end_matches('/').to_owned()
            }
            None => format!("http://{bound}"),
        };
        let server = MockServer::builder().listener(listener).start().await;
        Ok(OobHub {
            server: Arc::new(Server::from_started(server)),
            callback,
            next: AtomicUsize::new(1),
        })
    }

    /// The URL forged tokens name (without a target's prefix).
    pub fn callback_url(&self) -> &str {
        &self.callback
    }
}

struct Documents {
    jwks: Value,
    single: Value,
    cert_pem: String,
    prefix: String,
}

impl Respond for Documents {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let path = request.url.path();
        let json =
            |v: &Value| ResponseTemplate::new(200).set_body_raw(v.to_string(), "application/json");
        let last = path.rsplit('/').next().unwrap_or_default();
        match last {
            "jwks.json" => json(&self.jwks),
            "single-jwk" => json(&self.single),
            "empty-keys" => json(&json!({"keys": []})),
            "duplicate-kids" => {
                let key = self.single.clone();
                json(&json!({"keys": [key.clone(), key]}))
            }
            "use-enc" => {
                let mut key = self.single.clone();
                key["use"] = "enc".into();
                json(&json!({"keys": [key]}))
            }
            "oversize" => ResponseTemplate::new(200).set_body_raw(
                format!("{{\"keys\":[],\"pad\":\"{}\"}}", "A".repeat(2 << 20)),
                "application/json",
            ),
            "tarpit" => json(&self.jwks).set_delay(TARPIT),
            "redirect" => ResponseTemplate::new(302).insert_header(
                "location",
                format!("{}/oob/redirected/jwks.json", self.prefix).as_str(),
            ),
            "jwks-10000-keys" => {
                let keys: Vec<Value> = (0..10_000)
                    .map(|i| json!({"kty": "oct", "kid": format!("k{i}"), "k": "AA"}))
                    .collect();
                json(&json!({ "keys": keys }))
            }
            "cert.pem" => ResponseTemplate::new(200)
                .set_body_raw(self.cert_pem.clone(), "application/x-pem-file"),
            _ => ResponseTemplate::new(204),
        }
    }
}

fn documents(attacker: &AttackerKeys, kids: &[&str], prefix: &str) -> Documents {
    let keys = attacker.public_jwks(kids);
    let single = keys.first().cloned().unwrap_or(Value::Null);
    Documents {
        jwks: json!({ "keys": keys }),
        single,
        cert_pem: attacker
            .cert
            .as_ref()
            .map(|c| c.pem.clone())
            .unwrap_or_default(),
        prefix: prefix.to_owned(),
    }
}

impl OobServer {
    /// Starts the listener on 127.0.0.1 with the attacker's documents. `kids` are the key ids
    /// the attacker key set answers to (its own, and the target's, for kid-collision attacks).
    pub async fn start(attacker: &AttackerKeys, kids: &[&str]) -> OobServer {
        let server = Arc::new(Server::from_started(MockServer::builder().start().await));
        Mock::given(wiremock::matchers::any())
            .respond_with(documents(attacker, kids, ""))
            .mount(&server)
            .await;
        OobServer {
            base: server.uri(),
            server,
            prefix: String::new(),
        }
    }

    /// This target's share of `hub`: its documents under a path prefix of its own.
    pub async fn on_hub(hub: &OobHub, attacker: &AttackerKeys, kids: &[&str]) -> OobServer {
        let prefix = format!("/t{}", hub.next.fetch_add(1, Ordering::Relaxed));
        Mock::given(wiremock::matchers::path_regex(format!("^{prefix}/")))
            .respond_with(documents(attacker, kids, &prefix))
            .mount(&hub.server)
            .await;
        OobServer {
            server: hub.server.clone(),
            base: format!("{}{prefix}", hub.callback),
            prefix,
        }
    }

    /// The URL forged tokens name: `http://127.0.0.1:<port>`, or the hub's callback URL with
    /// this target's prefix.
    pub fn base_url(&self) -> String {
        self.base.clone()
    }

    /// The paths requested so far under this target's prefix (without it), in order.
    pub async fn requested_paths(&self) -> Vec<String> {
        self.server
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .filter_map(|r| {
                r.url
                    .path()
                    .strip_prefix(self.prefix.as_str())
                    .map(str::to_owned)
            })
            .collect()
    }

    /// True if anything under `path` was requested.
    pub async fn was_fetched(&self, path: &str) -> bool {
        self.requested_paths()
            .await
            .iter()
            .any(|p| p.starts_with(path))
    }
}
