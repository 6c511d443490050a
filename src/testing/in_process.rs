//! In-process targets: a verify function, or (feature `tower`) a `tower::Service`, answering
//! the runner's requests without a socket ([`InProcess`]).

use crate::deployment::endpoint::PROTECTED_PATH;
use crate::deployment::http::{InProcess, Incoming, Outgoing, TransportError};
use futures::future::BoxFuture;
use futures::FutureExt as _;
use std::sync::Arc;
use std::time::Duration;

/// The realm of a verify function's challenges.
const REALM: &str = "authprobe-in-process";

/// A plain verify function as a backend protecting `GET /api/me` (other paths are `404`):
/// `Authorization: Bearer <token>` is verified, anything else is a missing token.
pub(super) struct VerifyFn {
    verify: Arc<Verify>,
}

/// A verify function with its error turned into text.
type Verify = dyn Fn(&str) -> Result<(), String> + Send + Sync;

impl VerifyFn {
    pub(super) fn new<F, T, E>(verify: F) -> VerifyFn
    where
        F: Fn(&str) -> Result<T, E> + Send + Sync + 'static,
        E: std::fmt::Display,
    {
        VerifyFn {
            verify: Arc::new(move |token| verify(token).map(|_| ()).map_err(|e| e.to_string())),
        }
    }
}

/// The bearer token of a request: the credentials of its one `Authorization: Bearer` header.
fn bearer_token(request: &Outgoing) -> Option<&str> {
    let mut values = request
        .headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("authorization"));
    let (_, value) = values.next()?;
    if values.next().is_some() {
        return None;
    }
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

fn answer(status: u16, challenge: Option<String>, body: &str) -> Incoming {
    let mut headers = vec![("content-type".to_owned(), "application/json".to_owned())];
    if let Some(c) = challenge {
        headers.push(("www-authenticate".to_owned(), c));
    }
    Incoming {
        status,
        headers,
        body: body.as_bytes().to_vec(),
        elapsed: Duration::ZERO,
    }
}

impl InProcess for VerifyFn {
    fn handle(&self, request: Outgoing) -> BoxFuture<'static, Result<Incoming, TransportError>> {
        let verify = self.verify.clone();
        async move {
            let path = url::Url::parse(&request.url)
                .map(|u| u.path().to_owned())
                .unwrap_or_default();
            if path != PROTECTED_PATH {
                return Ok(answer(404, None, r#"{"error":"not_found"}"#));
            }
            let Some(token) = bearer_token(&request).map(str::to_owned) else {
                return Ok(answer(
                    401,
                    Some(format!("Bearer realm=\"{REALM}\"")),
                    r#"{"error":"missing_token"}"#,
                ));
            };
            // A verify function is synchronous and may be slow (or hang): off the runtime.
            match tokio::task::spawn_blocking(move || verify(&token)).await {
                Ok(Ok(())) => Ok(answer(200, None, r#"{"ok":true}"#)),
                Ok(Err(_)) => Ok(answer(
                    401,
                    Some(format!(
                        "Bearer realm=\"{REALM}\", error=\"invalid_token\", error_description=\"the token was refused\""
                    )),
                    r#"{"error":"invalid_token"}"#,
                )),
                Err(e) => Ok(answer(
                    500,
                    None,
                    &serde_json::json!({ "error": format!("the verify function panicked: {e}") })
                        .to_string(),
                )),
            }
        }
        .boxed()
    }
}

/// A `tower::Service` over `http` types (an `axum::Router`), called once per request.
#[cfg(feature = "tower")]
pub(super) struct TowerService<S> {
    service: S,
}

#[cfg(feature = "tower")]
impl<S> TowerService<S> {
    pub(super) fn new(service: S) -> TowerService<S> {
        TowerService { service }
    }
}

#[cfg(feature = "tower")]
impl<S, B> InProcess for TowerService<S>
where
    S: tower_service::Service<
            http::Request<http_body_util::Full<bytes::Bytes>>,
            Response = http::Response<B>,
        > + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send + 'static,
    S::Error: std::fmt::Display + Send + 'static,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: std::fmt::Display,
{
    fn handle(&self, request: Outgoing) -> BoxFuture<'static, Result<Incoming, TransportError>> {
        let mut service = self.service.clone();
        async move {
            use http_body_util::BodyExt as _;
            let build = |e: &dyn std::fmt::Display| TransportError::Build(e.to_string());
            let url = url::Url::parse(&request.url).map_err(|e| build(&e))?;
            let path_and_query = match url.query() {
                Some(q) => format!("{}?{q}", url.path()),
                None => url.path().to_owned(),
            };
            let mut builder = http::Request::builder()
                .method(request.method.as_str())
                .uri(path_and_query);
            if let Some(host) = url.host_str() {
                builder = builder.header(http::header::HOST, host);
            }
            for (name, value) in &request.headers {
                builder = builder.header(name.as_str(), value.as_bytes());
            }
            let body =
                http_body_util::Full::new(bytes::Bytes::from(request.body.unwrap_or_default()));
            let http_request = builder.body(body).map_err(|e| build(&e))?;
            futures::future::poll_fn(|cx| service.poll_ready(cx))
                .await
                .map_err(|e| TransportError::Other(e.to_string()))?;
            let response = service
                .call(http_request)
                .await
                .map_err(|e| TransportError::Other(e.to_string()))?;
            let (parts, body) = response.into_parts();
            let body = body
                .collect()
                .await
                .map_err(|e| TransportError::Other(format!("reading the body: {e}")))?
                .to_bytes()
                .to_vec();
            Ok(Incoming {
                status: parts.status.as_u16(),
                headers: parts
                    .headers
                    .iter()
                    .map(|(n, v)| {
                        (
                            n.as_str().to_owned(),
                            String::from_utf8_lossy(v.as_bytes()).into_owned(),
                        )
                    })
                    .collect(),
                body,
                elapsed: Duration::ZERO,
            })
        }
        .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(headers: &[(&str, &str)]) -> Outgoing {
        Outgoing {
            method: "GET".into(),
            url: "http://in-process.authprobe.invalid/api/me".into(),
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
            body: None,
        }
    }

    #[test]
    fn only_one_bearer_header_carries_a_token() {
        assert_eq!(
            bearer_token(&request(&[("authorization", "Bearer abc")])),
            Some("abc")
        );
        assert_eq!(
            bearer_token(&request(&[("Authorization", "bearer abc")])),
            Some("abc")
        );
        assert_eq!(
            bearer_token(&request(&[("authorization", "Basic abc")])),
            None
        );
        assert_eq!(
            bearer_token(&request(&[("authorization", "Bearer ")])),
            None
        );
        assert_eq!(
            bearer_token(&request(&[
                ("authorization", "Bearer a"),
                ("authorization", "Bearer b")
            ])),
            None
        );
        assert_eq!(bearer_token(&request(&[("cookie", "token=abc")])), None);
    }

    #[tokio::test]
    async fn a_verify_function_answers_by_its_result_and_a_panic_is_a_500() {
        let handler = VerifyFn::new(|token: &str| match token {
            "good" => Ok(()),
            "boom" => panic!("unwrap on a bad token"),
            _ => Err("bad signature"),
        });
        let status = |h: &[(&str, &str)]| {
            let out = handler.handle(request(h));
            async move { out.await.map(|i| i.status) }
        };
        assert_eq!(status(&[("authorization", "Bearer good")]).await, Ok(200));
        assert_eq!(status(&[("authorization", "Bearer bad")]).await, Ok(401));
        assert_eq!(status(&[]).await, Ok(401));
        assert_eq!(status(&[("authorization", "Bearer boom")]).await, Ok(500));
    }
}
