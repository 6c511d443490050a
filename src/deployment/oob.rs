//! The harness's own out-of-band listener: it serves the attacker key set, the attacker
//! certificate and hostile documents at the paths forged tokens name, and records every request,
//! so a target that fetches a `jku`/`x5u`/claim URL is caught without any outside service
//! (ATTACKS.md D04–D09, F10, H16). The audit and the differential fuzzer share it.
//!
//! Catalogue tokens name paths of their own (`/oob/<case>/<n>/…`); every request for them is
//! kept, in order, and read when the answers are judged. The fuzzer's generated tokens name
//! `/oob/fz/<nonce>/…` ([`nonce_path`]), one nonce per rendering, and are checked after every
//! answer: those requests are kept as a set of fetched nonces instead, so the check is O(1) and
//! a long campaign against a target that fetches every URL does not grow a log.
//!
//! By default each audited target gets its own listener on 127.0.0.1 (an ephemeral port), which
//! only a target on this machine can reach. For a remote target, [`OobHub`] listens where the
//! user says (`--listen ADDR:PORT`) and forged tokens name the public URL that reaches it
//! (`--callback-url`, e.g. a tunnel); targets sharing the hub are told apart by a path prefix.

use crate::dangerous::forge::AttackerKeys;
use crate::deployment::mock::server::Server;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// How long a tarpit response is held (bounded: a target that follows it is already a finding).
pub const TARPIT: Duration = Duration::from_secs(15);

/// Where the fuzzer's generated tokens point: `/oob/fz/<nonce>/<document>`.
pub const NONCE_PATHS: &str = "/oob/fz/";

/// The path prefix of one rendering's documents, `/oob/fz/<nonce>/`: a request under it means
/// the target fetched a URL that rendering named.
pub fn nonce_path(nonce: u64) -> String {
    format!("{NONCE_PATHS}{nonce}/")
}

/// A running listener (or one target's share of a hub).
pub struct OobServer {
    /// Keeps the listener (or the hub's) running as long as this share of it.
    _server: Arc<Server>,
    /// The URL forged tokens name: the listener's own, or the callback URL, plus the path
    /// prefix of this target's documents.
    base: String,
    /// The requests for this target's documents.
    fetches: Arc<Fetches>,
}

/// The requests for one target's documents (paths without the target's prefix).
#[derive(Default)]
struct Fetches {
    /// Every path outside [`NONCE_PATHS`], in order.
    paths: Mutex<Vec<String>>,
    /// The [`nonce_path`]s requested.
    nonces: Mutex<HashSet<String>>,
}

impl Fetches {
    /// Notes a request for `path` (without the target's prefix).
    fn record(&self, path: &str) {
        match path.strip_prefix(NONCE_PATHS) {
            Some(rest) => {
                let nonce = rest.split('/').next().unwrap_or_default();
                lock(&self.nonces).insert(format!("{NONCE_PATHS}{nonce}/"));
            }
            None => lock(&self.paths).push(path.to_owned()),
        }
    }
}

/// A lock that a panicked holder did not poison.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
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
        let server = MockServer::builder()
            .listener(listener)
            .disable_request_recording()
            .start()
            .await;
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

/// One target's documents, served by the last segment of the path, and where its requests go.
struct Documents {
    jwks: Value,
    single: Value,
    cert_pem: String,
    prefix: String,
    fetches: Arc<Fetches>,
}

impl Respond for Documents {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let path = request.url.path();
        self.fetches
            .record(path.strip_prefix(self.prefix.as_str()).unwrap_or(path));
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

fn documents(
    attacker: &AttackerKeys,
    kids: &[&str],
    prefix: &str,
    fetches: Arc<Fetches>,
) -> Documents {
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
        fetches,
    }
}

impl OobServer {
    /// Starts the listener on 127.0.0.1 with the attacker's documents. `kids` are the key ids
    /// the attacker key set answers to (its own, and the target's, for kid-collision attacks).
    pub async fn start(attacker: &AttackerKeys, kids: &[&str]) -> OobServer {
        let server = Arc::new(Server::from_started(
            MockServer::builder()
                .disable_request_recording()
                .start()
                .await,
        ));
        let fetches = Arc::new(Fetches::default());
        Mock::given(wiremock::matchers::any())
            .respond_with(documents(attacker, kids, "", fetches.clone()))
            .mount(&server)
            .await;
        OobServer {
            base: server.uri(),
            _server: server,
            fetches,
        }
    }

    /// This target's share of `hub`: its documents under a path prefix of its own.
    pub async fn on_hub(hub: &OobHub, attacker: &AttackerKeys, kids: &[&str]) -> OobServer {
        let prefix = format!("/t{}", hub.next.fetch_add(1, Ordering::Relaxed));
        let fetches = Arc::new(Fetches::default());
        Mock::given(wiremock::matchers::path_regex(format!("^{prefix}/")))
            .respond_with(documents(attacker, kids, &prefix, fetches.clone()))
            .mount(&hub.server)
            .await;
        OobServer {
            _server: hub.server.clone(),
            base: format!("{}{prefix}", hub.callback),
            fetches,
        }
    }

    /// The URL forged tokens name: `http://127.0.0.1:<port>`, or the hub's callback URL with
    /// this target's prefix.
    pub fn base_url(&self) -> String {
        self.base.clone()
    }

    /// The paths requested so far under this target's prefix (without it), in order; requests
    /// under [`NONCE_PATHS`] are counted by [`OobServer::fetched_nonces`] instead.
    pub async fn requested_paths(&self) -> Vec<String> {
        lock(&self.fetches.paths).clone()
    }

    /// True if anything under `path` was requested (`path` outside [`NONCE_PATHS`]).
    pub async fn was_fetched(&self, path: &str) -> bool {
        lock(&self.fetches.paths)
            .iter()
            .any(|p| p.starts_with(path))
    }

    /// True if anything under this [`nonce_path`] was requested, in O(1).
    pub fn was_nonce_fetched(&self, nonce_path: &str) -> bool {
        lock(&self.fetches.nonces).contains(nonce_path)
    }

    /// How many distinct [`nonce_path`]s were requested.
    pub fn fetched_nonces(&self) -> usize {
        lock(&self.fetches.nonces).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn catalogue_paths_are_logged_and_nonces_kept_as_a_set() {
        let attacker = AttackerKeys::generate().unwrap();
        let oob = OobServer::start(&attacker, &["kid-1"]).await;
        let client = reqwest::Client::new();
        let get = |path: &str| client.get(format!("{}{path}", oob.base_url())).send();
        let jwks = get("/oob/fz/7/jwks.json").await.unwrap().text().await;
        let jwks: Value = serde_json::from_str(&jwks.unwrap()).unwrap();
        assert_eq!(jwks["keys"][0]["kid"], "kid-1");
        get("/oob/fz/7/cert.pem").await.unwrap();
        get("/oob/D04/0/jwks.json").await.unwrap();

        assert!(oob.was_nonce_fetched(&nonce_path(7)));
        assert!(!oob.was_nonce_fetched(&nonce_path(8)));
        assert_eq!(oob.fetched_nonces(), 1);
        assert_eq!(oob.requested_paths().await, ["/oob/D04/0/jwks.json"]);
        assert!(oob.was_fetched("/oob/D04/0/").await);
        assert!(!oob.was_fetched("/oob/D04/1/").await);
    }
}
