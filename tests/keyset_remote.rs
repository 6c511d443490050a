//! A key set fetched from a URL: cached, refetched for unknown kids at a bounded rate, single
//! flight under concurrency, bounded in size and time, and failing closed. The JWKS endpoint is a
//! wiremock server on 127.0.0.1 whose `.expect(n)` checks how often the harness really fetched.

mod common;

use authprobe::algorithm::KeyFamily;
use authprobe::deployment::mock::server::Server;
use authprobe::jwk::remote::{RemoteConfig, RemoteKeySet};
use authprobe::sign::{sign_compact, SigningKey};
use authprobe::{Algorithm, ErrorCode};
use common::{fixture, Sample};
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn config() -> RemoteConfig {
    RemoteConfig {
        timeout: Duration::from_millis(500),
        ..RemoteConfig::default()
    }
}

async fn jwks_server(body: &str, expected_fetches: u64) -> Server {
    let server = Server::start().await;
    Mock::given(method("GET"))
        .and(path("/api/auth/jwks"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body.to_owned(), "application/json"))
        .expect(expected_fetches)
        .mount(&server)
        .await;
    server
}

fn url(server: &MockServer) -> String {
    format!("{}/api/auth/jwks", server.uri())
}

async fn code(s: &Sample, token: &str, keys: &RemoteKeySet) -> Option<ErrorCode> {
    s.validator()
        .validate_remote(token.as_bytes(), keys, &s.clock())
        .await
        .err()
        .map(|r| r.code())
}

#[tokio::test]
async fn fetches_once_and_serves_from_cache() {
    let s = Sample::load();
    let server = jwks_server(&s.jwks, 1).await;
    let keys = RemoteKeySet::new(&url(&server), config()).unwrap();
    for _ in 0..20 {
        assert_eq!(code(&s, &s.token, &keys).await, None);
    }
    assert_eq!(keys.fetch_count(), 1);
}

#[tokio::test]
async fn malformed_tokens_never_cause_a_fetch() {
    let s = Sample::load();
    let server = jwks_server(&s.jwks, 0).await;
    let keys = RemoteKeySet::new(&url(&server), config()).unwrap();
    let alg_none = s.signed_with(|h, _| {
        h.insert("alg".into(), json!("none"));
    });
    let no_kid = s.signed_with(|h, _| {
        h.remove("kid");
    });
    for token in ["garbage", "a.b.c", alg_none.as_str(), no_kid.as_str()] {
        assert!(code(&s, token, &keys).await.is_some());
    }
    assert_eq!(keys.fetch_count(), 0);
}

#[tokio::test]
async fn unknown_kids_cannot_cause_a_refetch_storm() {
    let s = Sample::load();
    let server = jwks_server(&s.jwks, 1).await;
    let keys = RemoteKeySet::new(&url(&server), config()).unwrap();
    assert_eq!(code(&s, &s.token, &keys).await, None);
    let random_kids: Vec<String> = (0..100)
        .map(|i| {
            s.signed_with(|h, _| {
                h.insert("kid".into(), json!(format!("random-{i}")));
            })
        })
        .collect();
    for token in &random_kids {
        assert_eq!(code(&s, token, &keys).await, Some(ErrorCode::UnknownKeyId));
    }
    assert_eq!(
        keys.fetch_count(),
        1,
        "100 unknown kids inside the cooldown: no refetch"
    );
}

#[tokio::test]
async fn a_rotated_key_is_picked_up_by_one_refetch() {
    let s = Sample::load();
    let server = Server::start().await;
    let new_key = SigningKey::generate(KeyFamily::Ed25519).unwrap();
    let mut new_jwk = new_key.public_jwk(Some("rotated-kid"), Some(Algorithm::EdDSA));
    new_jwk.remove("use");
    let old: serde_json::Value = serde_json::from_str(&s.jwks).unwrap();
    let rotated = json!({"keys": [old["keys"][0].clone(), new_jwk]}).to_string();
    Mock::given(path("/api/auth/jwks"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(s.jwks.clone(), "application/json"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/api/auth/jwks"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(rotated, "application/json"))
        .expect(1)
        .mount(&server)
        .await;
    let keys = RemoteKeySet::new(
        &url(&server),
        RemoteConfig {
            min_refetch_interval: Duration::from_millis(100),
            ..config()
        },
    )
    .unwrap();
    assert_eq!(code(&s, &s.token, &keys).await, None);
    let new_token = sign_compact(
        br#"{"alg":"EdDSA","kid":"rotated-kid"}"#,
        fixture("better-auth/claims.json").as_bytes(),
        &new_key,
        Algorithm::EdDSA,
    )
    .unwrap();
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(
        code(&s, &new_token, &keys).await,
        None,
        "new kid accepted after one refetch"
    );
    assert_eq!(
        code(&s, &s.token, &keys).await,
        None,
        "old kid still published, still accepted"
    );
    assert_eq!(keys.fetch_count(), 2);
}

#[tokio::test]
async fn concurrent_cold_start_makes_a_single_fetch() {
    let s = Arc::new(Sample::load());
    let server = jwks_server(&s.jwks, 1).await;
    let keys = Arc::new(RemoteKeySet::new(&url(&server), config()).unwrap());
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let (s, keys) = (s.clone(), keys.clone());
            tokio::spawn(async move { code(&s, &s.token, &keys).await })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), None);
    }
    assert_eq!(keys.fetch_count(), 1);
}

async fn unavailable_with(response: ResponseTemplate) {
    let s = Sample::load();
    let server = Server::start().await;
    Mock::given(path("/api/auth/jwks"))
        .respond_with(response)
        .mount(&server)
        .await;
    let keys = RemoteKeySet::new(&url(&server), config()).unwrap();
    let started = Instant::now();
    assert_eq!(
        code(&s, &s.token, &keys).await,
        Some(ErrorCode::KeySetUnavailable)
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "bounded by the timeout"
    );
}

#[tokio::test]
async fn fails_closed_on_server_error() {
    unavailable_with(ResponseTemplate::new(500)).await;
}

#[tokio::test]
async fn fails_closed_on_redirect_which_is_not_followed() {
    unavailable_with(
        ResponseTemplate::new(302).insert_header("location", "http://127.0.0.1:1/jwks"),
    )
    .await;
}

#[tokio::test]
async fn fails_closed_on_an_invalid_document() {
    unavailable_with(ResponseTemplate::new(200).set_body_raw("{\"keys\":", "application/json"))
        .await;
}

#[tokio::test]
async fn fails_closed_on_an_oversize_document() {
    let huge = format!("{{\"keys\":[],\"pad\":\"{}\"}}", "x".repeat(300 * 1024));
    unavailable_with(ResponseTemplate::new(200).set_body_raw(huge, "application/json")).await;
}

#[tokio::test]
async fn fails_closed_on_a_tarpit() {
    let s = Sample::load();
    unavailable_with(
        ResponseTemplate::new(200)
            .set_body_raw(s.jwks.clone(), "application/json")
            .set_delay(Duration::from_secs(5)),
    )
    .await;
}

#[tokio::test]
async fn fails_closed_when_nothing_listens() {
    let s = Sample::load();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let keys = RemoteKeySet::new(&format!("http://127.0.0.1:{port}/jwks"), config()).unwrap();
    assert_eq!(
        code(&s, &s.token, &keys).await,
        Some(ErrorCode::KeySetUnavailable)
    );
}

#[tokio::test]
async fn a_stale_copy_serves_while_refreshes_fail_but_only_for_max_stale() {
    let s = Sample::load();
    let server = Server::start().await;
    Mock::given(path("/api/auth/jwks"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(s.jwks.clone(), "application/json"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/api/auth/jwks"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let keys = RemoteKeySet::new(
        &url(&server),
        RemoteConfig {
            cache_ttl: Duration::from_millis(100),
            max_stale: Duration::from_millis(300),
            ..config()
        },
    )
    .unwrap();
    assert_eq!(code(&s, &s.token, &keys).await, None);
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(
        code(&s, &s.token, &keys).await,
        None,
        "stale copy within max_stale"
    );
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(
        code(&s, &s.token, &keys).await,
        Some(ErrorCode::KeySetUnavailable)
    );
}

#[test]
fn only_http_urls_are_accepted() {
    for bad in [
        "file:///etc/passwd",
        "gopher://127.0.0.1/",
        "not a url",
        "http://",
    ] {
        assert!(RemoteKeySet::new(bad, config()).is_err(), "{bad}");
    }
}

#[tokio::test]
async fn an_outage_is_not_hammered_more_than_once_per_cooldown() {
    let s = Sample::load();
    let server = Server::start().await;
    Mock::given(path("/api/auth/jwks"))
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&server)
        .await;
    let keys = RemoteKeySet::new(&url(&server), config()).unwrap();
    for _ in 0..25 {
        assert_eq!(
            code(&s, &s.token, &keys).await,
            Some(ErrorCode::KeySetUnavailable)
        );
    }
    assert_eq!(
        keys.fetch_count(),
        1,
        "25 requests during an outage: one fetch per cooldown"
    );
}
