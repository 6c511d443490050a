//! The fuzzer's own out-of-band listener on 127.0.0.1: it serves the attacker key set and
//! certificate at the URLs generated tokens name (`/oob/fz/<nonce>/jwks.json`, `…/cert.pem`) and
//! remembers which nonces were fetched, in O(1) per check (the run's listener for catalogue
//! tokens, [`crate::deployment::oob::OobServer`], keeps every request and is read only at the end).

use crate::dangerous::forge::AttackerKeys;
use crate::deployment::mock::server::Server;
use serde_json::json;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// A running listener.
pub struct FetchListener {
    server: Server,
    fetched: Arc<Mutex<HashSet<String>>>,
}

struct Documents {
    jwks: String,
    cert: String,
    fetched: Arc<Mutex<HashSet<String>>>,
}

impl Respond for Documents {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let path = request.url.path();
        // Remember the "/oob/fz/<nonce>/" prefix.
        let prefix: Vec<&str> = path.splitn(5, '/').take(4).collect();
        if prefix.len() == 4 {
            self.fetched
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(format!("{}/", prefix.join("/")));
        }
        match path.rsplit('/').next().unwrap_or_default() {
            "jwks.json" => {
                ResponseTemplate::new(200).set_body_raw(self.jwks.clone(), "application/json")
            }
            "cert.pem" => {
                ResponseTemplate::new(200).set_body_raw(self.cert.clone(), "application/x-pem-file")
            }
            _ => ResponseTemplate::new(204),
        }
    }
}

impl FetchListener {
    /// Starts the listener; its key set holds the attacker's public keys under each of `kids`.
    pub async fn start(attacker: &AttackerKeys, kids: &[&str]) -> FetchListener {
        let keys = attacker.public_jwks(kids);
        let fetched = Arc::new(Mutex::new(HashSet::new()));
        let documents = Documents {
            jwks: json!({ "keys": keys }).to_string(),
            cert: attacker
                .cert
                .as_ref()
                .map(|c| c.pem.clone())
                .unwrap_or_default(),
            fetched: fetched.clone(),
        };
        let server = Server::from_started(
            MockServer::builder()
                .disable_request_recording()
                .start()
                .await,
        );
        Mock::given(wiremock::matchers::any())
            .respond_with(documents)
            .mount(&server)
            .await;
        FetchListener { server, fetched }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        self.server.uri()
    }

    /// True if anything under `prefix` (`/oob/fz/<nonce>/`) was requested.
    pub fn was_fetched(&self, prefix: &str) -> bool {
        self.fetched
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(prefix)
    }

    /// How many distinct prefixes were fetched.
    pub fn fetched_count(&self) -> usize {
        self.fetched.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}
