//! The harness's own out-of-band listener on 127.0.0.1 (an ephemeral port): it serves the
//! attacker key set, the attacker certificate and hostile documents at the paths forged tokens
//! name, and records every request, so a target that fetches a `jku`/`x5u`/claim URL is caught
//! without any outside service (ATTACKS.md D04–D09, F10, H16).

use super::keys::AttackerKeys;
use crate::target::mock::server::Server;
use serde_json::{json, Value};
use std::time::Duration;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// How long a tarpit response is held (bounded: a target that follows it is already a finding).
pub const TARPIT: Duration = Duration::from_secs(15);

/// A running listener.
pub struct OobServer {
    server: Server,
}

struct Documents {
    jwks: Value,
    single: Value,
    cert_pem: String,
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
            "redirect" => {
                ResponseTemplate::new(302).insert_header("location", "/oob/redirected/jwks.json")
            }
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

impl OobServer {
    /// Starts the listener on 127.0.0.1 with the attacker's documents. `kids` are the key ids
    /// the attacker key set answers to (its own, and the target's, for kid-collision attacks).
    pub async fn start(attacker: &AttackerKeys, kids: &[&str]) -> OobServer {
        let keys = attacker.public_jwks(kids);
        let single = keys.first().cloned().unwrap_or(Value::Null);
        let documents = Documents {
            jwks: json!({ "keys": keys }),
            single,
            cert_pem: attacker
                .cert
                .as_ref()
                .map(|c| c.pem.clone())
                .unwrap_or_default(),
        };
        let server = Server::from_started(MockServer::builder().start().await);
        Mock::given(wiremock::matchers::any())
            .respond_with(documents)
            .mount(&server)
            .await;
        OobServer { server }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        self.server.uri()
    }

    /// The paths requested so far, in order.
    pub async fn requested_paths(&self) -> Vec<String> {
        self.server
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .map(|r| r.url.path().to_owned())
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
