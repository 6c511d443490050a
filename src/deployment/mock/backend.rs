//! The mock backend API: `/healthz`, `/api/me`, `/api/reports` (scope `reports:read`) and CORS
//! for one front-end origin, exactly as contracts/http-api.md describes, deciding every request
//! with the reference [`Gate`]. Built with a [`Flaw`], it makes that one realistic mistake.

use super::flaw::Flaw;
use crate::algorithm::Algorithm;
use crate::contract::{ErrorCode, ErrorResponse};
use crate::dangerous::forge::encodings::{Encoding, PublicKeyParts};
use crate::gate::{Denial, Gate, GateRequest};
use crate::jwk::{Key, KeySet};
use crate::token::Token;
use crate::validate::{Clock, Rejection, SystemClock, Validator};
use serde_json::{json, Map, Value};
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;
use wiremock::{Request, Respond, ResponseTemplate};

/// Where the backend gets its keys.
pub enum KeySource {
    Available(Arc<KeySet>),
    /// The key set endpoint is down: fail closed.
    Down,
    /// Fetched from the issuer and cached (the lifecycle measurements' backend).
    Cached(Arc<super::key_cache::KeyCache>),
}

/// The mock backend responder.
pub struct Backend {
    pub gate: Gate,
    pub keys: KeySource,
    pub flaw: Option<Flaw>,
    pub frontend_origin: String,
    /// The issuer's published JWK (what a flawed backend misuses as an HMAC secret).
    pub published_jwk: Map<String, Value>,
    /// The cookie the contract carries the token in, instead of `Authorization: Bearer`.
    pub cookie: Option<String>,
}

fn header_values(request: &Request, name: &str) -> Vec<Vec<u8>> {
    request
        .headers
        .get_all(name)
        .iter()
        .map(|v| v.as_bytes().to_vec())
        .collect()
}

fn to_template(response: &ErrorResponse, flaw: Option<Flaw>) -> ResponseTemplate {
    let mut t = ResponseTemplate::new(response.status);
    for (name, value) in &response.headers {
        if *name == "www-authenticate" && flaw == Some(Flaw::NoWwwAuthenticate) {
            continue;
        }
        if *name != "content-type" {
            t = t.insert_header(*name, value.as_str());
        }
    }
    t.set_body_raw(response.body.clone(), "application/json")
}

impl Respond for Backend {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let path = request.url.path();
        let origin = request
            .headers
            .get("origin")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let project = path
            .strip_prefix("/api/projects/")
            .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()));
        let response = match (request.method.as_str(), path) {
            ("OPTIONS", "/api/me" | "/api/reports" | "/api/export" | "/api/projects") => {
                return self.preflight(origin.as_deref())
            }
            ("OPTIONS", _) if project => return self.preflight(origin.as_deref()),
            ("GET", "/healthz") => {
                ResponseTemplate::new(200).set_body_raw(r#"{"ok":true}"#, "application/json")
            }
            ("GET", "/openapi.json") => ResponseTemplate::new(200)
                .set_body_raw(openapi_document().to_string(), "application/json"),
            ("POST", "/api/projects") => self.protected(request, None),
            (_, "/api/me" | "/api/reports" | "/api/export" | "/api/projects")
                if request.method.as_str() != "GET" =>
            {
                ResponseTemplate::new(405).insert_header("allow", "GET, OPTIONS")
            }
            ("GET", "/api/me" | "/api/reports" | "/api/export") => {
                self.protected(request, (path == "/api/reports").then_some("reports:read"))
            }
            ("GET", _) if project => self.protected(request, None),
            _ => ResponseTemplate::new(404),
        };
        self.with_cors(response, origin.as_deref())
    }
}

impl Backend {
    fn origin_allowed(&self, origin: &str) -> bool {
        self.flaw == Some(Flaw::ReflectsAnyOrigin) || origin == self.frontend_origin
    }

    fn preflight(&self, origin: Option<&str>) -> ResponseTemplate {
        let mut t = ResponseTemplate::new(204).insert_header("vary", "Origin");
        if let Some(origin) = origin.filter(|o| self.origin_allowed(o)) {
            t = t
                .insert_header("access-control-allow-origin", origin)
                .insert_header("access-control-allow-methods", "GET, POST")
                .insert_header(
                    "access-control-allow-headers",
                    "authorization, content-type",
                )
                .insert_header("access-control-max-age", "600");
            if self.flaw == Some(Flaw::ReflectsAnyOrigin) {
                t = t.insert_header("access-control-allow-credentials", "true");
            }
        }
        t
    }

    fn with_cors(&self, t: ResponseTemplate, origin: Option<&str>) -> ResponseTemplate {
        let t = t.insert_header("vary", "Origin");
        match origin.filter(|o| self.origin_allowed(o)) {
            Some(origin) => {
                let t = t.insert_header("access-control-allow-origin", origin);
                if self.flaw == Some(Flaw::ReflectsAnyOrigin) {
                    t.insert_header("access-control-allow-credentials", "true")
                } else {
                    t
                }
            }
            None => t,
        }
    }

    /// The credential as the contract carries it: the `Authorization` values, or for a cookie
    /// contract the cookie's value as a bearer credential (with the flaw, `?access_token=` too).
    fn credentials(&self, request: &Request) -> Vec<Vec<u8>> {
        let Some(name) = &self.cookie else {
            return header_values(request, "authorization");
        };
        let from_cookie = header_values(request, "cookie").into_iter().find_map(|c| {
            String::from_utf8_lossy(&c).split(';').find_map(|pair| {
                let (n, v) = pair.trim().split_once('=')?;
                (n == name).then(|| v.to_owned())
            })
        });
        let from_query = (self.flaw == Some(Flaw::CookieContractTakesQueryToken))
            .then(|| {
                request
                    .url
                    .query_pairs()
                    .find(|(n, _)| n == "access_token")
                    .map(|(_, v)| v.into_owned())
            })
            .flatten();
        from_cookie
            .or(from_query)
            .map(|t| vec![format!("Bearer {t}").into_bytes()])
            .unwrap_or_default()
    }

    fn protected(&self, request: &Request, scope: Option<&str>) -> ResponseTemplate {
        let values = self.credentials(request);
        let gate_request = GateRequest {
            authorization: values.iter().map(Vec::as_slice).collect(),
            client: "127.0.0.1",
            required_scope: scope,
        };
        let mut waited = Duration::ZERO;
        let decision = match &self.keys {
            KeySource::Available(keys) => self.gate.decide(&gate_request, keys, &SystemClock),
            KeySource::Down => Err(self.key_set_down(&gate_request)),
            KeySource::Cached(cache) => {
                let kid = crate::contract::bearer_token(&gate_request.authorization)
                    .ok()
                    .and_then(|t| Token::parse(t).ok())
                    .and_then(|t| t.kid().map(str::to_owned));
                let lookup = cache.lookup(kid.as_deref());
                waited = lookup.waited;
                let known = |keys: &KeySet| kid.as_deref().is_some_and(|k| keys.contains_kid(k));
                match &lookup.keys {
                    // PyJWKClient's PyJWKClientConnectionError escaping the handler.
                    keys if self.flaw == Some(Flaw::ServerErrorWhenKeySetDown)
                        && lookup.fetch_failed
                        && !keys.as_deref().is_some_and(known) =>
                    {
                        return ResponseTemplate::new(500)
                            .set_body_raw("Internal Server Error", "text/plain")
                            .set_delay(waited);
                    }
                    Some(keys) => self.gate.decide(&gate_request, keys, &SystemClock),
                    None => Err(self.key_set_down(&gate_request)),
                }
            }
        };
        let template = self.decide(decision, &gate_request, request.url.path());
        if self.flaw == Some(Flaw::SlowOnHugeTokens) {
            let token =
                crate::contract::bearer_token(&gate_request.authorization).unwrap_or_default();
            if token.len() > 4096 || token.iter().filter(|&&b| b == b'.').count() > 2 {
                waited += SLOW_FLAW_DELAY;
            }
        }
        if waited.is_zero() {
            template
        } else {
            template.set_delay(waited)
        }
    }

    fn decide(
        &self,
        decision: Result<crate::validate::Verified, Denial>,
        gate_request: &GateRequest<'_>,
        path: &str,
    ) -> ResponseTemplate {
        match decision {
            Ok(verified) => accepted(verified.claims()),
            Err(denial) => {
                let token = crate::contract::bearer_token(&gate_request.authorization).ok();
                if let Some(claims) = token.and_then(|t| self.flawed_acceptance(t, &denial, path)) {
                    return accepted(&claims);
                }
                self.refusal(&denial, token)
            }
        }
    }

    fn key_set_down(&self, request: &GateRequest<'_>) -> Denial {
        let code_of = |rejection: Rejection| Denial {
            response: rejection.code().response(self.gate.realm()),
            detail: rejection.detail,
        };
        match crate::contract::bearer_token(&request.authorization) {
            Err(code) => Denial {
                response: code.response(self.gate.realm()),
                detail: "bearer".into(),
            },
            Ok(token) => code_of(
                self.gate
                    .validator()
                    .validate_without_key_set(token, "key set endpoint unreachable"),
            ),
        }
    }

    fn refusal(&self, denial: &Denial, token: Option<&[u8]>) -> ResponseTemplate {
        match self.flaw {
            Some(Flaw::ServerErrorOnMalformed) if denial.code() == ErrorCode::MalformedToken => {
                ResponseTemplate::new(500)
            }
            Some(Flaw::EchoesException) => {
                let body = json!({
                    "error": denial.code().error(),
                    "error_description": format!("jwt.exceptions.DecodeError: {}", denial.detail),
                    "code": denial.code().as_str(),
                    "token": token.map(|t| String::from_utf8_lossy(t).into_owned()),
                });
                let mut response = denial.response.clone();
                response.body = body.to_string();
                to_template(&response, None)
            }
            flaw => to_template(&denial.response, flaw),
        }
    }

    /// The flawed backend's mistaken acceptance of a token the reference gate refused.
    fn flawed_acceptance(
        &self,
        token: &[u8],
        denial: &Denial,
        path: &str,
    ) -> Option<Map<String, Value>> {
        let flaw = self.flaw?;
        let validator = self.gate.validator();
        let now = SystemClock.now();
        let parsed = Token::parse(token).ok()?;
        let claims = parsed.unverified_claims(16).ok()?;
        let claims_ok = |c: &Map<String, Value>| validator.check_claims(c, now).is_ok();
        let code = denial.code();
        let accept = match flaw {
            Flaw::AcceptsAlgNone => {
                parsed.alg().is_some_and(|a| a.eq_ignore_ascii_case("none")) && claims_ok(&claims)
            }
            Flaw::NoSignatureCheck => claims_ok(&claims),
            // PyJWT's `options={"verify_signature": False}` on one route: nothing is checked.
            Flaw::ExportSkipsSignature => path == "/api/export",
            Flaw::IgnoresExp => code == ErrorCode::TokenExpired,
            Flaw::OneDayLeeway => {
                let mut lenient = validator.policy().clone();
                lenient.leeway_secs = 86_400;
                self.revalidate(&lenient, token)
            }
            Flaw::IgnoresAudience => {
                code == ErrorCode::InvalidAudience
                    || (code == ErrorCode::InvalidClaim && denial.detail.contains("aud"))
            }
            Flaw::SubstringIssuer => {
                let expected = &validator.policy().issuer;
                code == ErrorCode::InvalidIssuer
                    && claims
                        .get("iss")
                        .and_then(Value::as_str)
                        .is_some_and(|iss| {
                            expected.contains(iss) || iss.contains(expected.as_str())
                        })
            }
            Flaw::PublicKeyAsHmacSecret => self.hmac_with_public_key(&parsed) && claims_ok(&claims),
            Flaw::TrustsHeaderJwk => {
                let jwk = parsed.header().get("jwk").and_then(Value::as_object)?;
                verify_with_jwk(&parsed, jwk) && claims_ok(&claims)
            }
            Flaw::FetchesJku => {
                let url = parsed.header().get("jku").and_then(Value::as_str)?;
                let body = fetch_loopback(url)?;
                let set = KeySet::from_public_jwks(&body).ok()?;
                let alg = Algorithm::from_name(parsed.alg()?)?;
                // A naive client takes the first key with the kid and the right type.
                let key = set
                    .keys()
                    .iter()
                    .find(|k| k.kid() == parsed.kid() && k.family() == alg.key_family())?;
                key.verify(alg, parsed.signing_input(), parsed.signature()) && claims_ok(&claims)
            }
            Flaw::KidPathTraversal => {
                let kid = parsed.kid()?;
                let traverses = kid.contains("../") || kid.contains("/dev/null");
                let alg = Algorithm::from_name(parsed.alg()?)?;
                traverses
                    && alg.is_symmetric()
                    && hmac_verifies(&parsed, alg, b"")
                    && claims_ok(&claims)
            }
            Flaw::IgnoresUnknownCrit => {
                let crit: Vec<String> = parsed
                    .header()
                    .get("crit")?
                    .as_array()?
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect();
                let mut lenient = validator.policy().clone();
                lenient.understood_crit = crit;
                code == ErrorCode::ForbiddenHeaderParameter && self.revalidate(&lenient, token)
            }
            Flaw::ServerErrorOnMalformed
            | Flaw::EchoesException
            | Flaw::NoWwwAuthenticate
            | Flaw::ReflectsAnyOrigin
            | Flaw::CachesKeysForever
            | Flaw::RefetchesEveryUnknownKid
            | Flaw::ServerErrorWhenKeySetDown
            | Flaw::CookieContractTakesQueryToken
            | Flaw::SlowOnHugeTokens => false,
        };
        accept.then_some(claims)
    }

    fn revalidate(&self, policy: &crate::validate::Policy, token: &[u8]) -> bool {
        match &self.keys {
            KeySource::Available(keys) => Validator::new(policy.clone())
                .validate(token, keys, &SystemClock)
                .is_ok(),
            KeySource::Down | KeySource::Cached(_) => false,
        }
    }

    fn hmac_with_public_key(&self, token: &Token) -> bool {
        let Some(alg) = token
            .alg()
            .and_then(Algorithm::from_name)
            .filter(|a| a.is_symmetric())
        else {
            return false;
        };
        let Some(parts) = PublicKeyParts::from_jwk(&self.published_jwk) else {
            return false;
        };
        [Encoding::RawBytes, Encoding::SpkiPem, Encoding::JwkText]
            .into_iter()
            .filter_map(|e| parts.encode(e, &self.published_jwk))
            .any(|secret| hmac_verifies(token, alg, &secret))
    }
}

/// How long the `slow-on-huge-tokens` backend takes over a huge token.
pub const SLOW_FLAW_DELAY: Duration = Duration::from_millis(1500);

/// The mock backend's OpenAPI document, as FastAPI writes one for HTTPBearer-protected routes
/// (a path parameter's example in its schema's `examples`).
pub fn openapi_document() -> Value {
    let bearer = json!([{"HTTPBearer": []}]);
    let ok = json!({"200": {"description": "Successful Response"}});
    json!({
        "openapi": "3.1.0",
        "info": {"title": "authprobe mock backend", "version": "1"},
        "paths": {
            "/healthz": {"get": {"responses": ok}},
            "/api/me": {"get": {"security": bearer, "responses": ok}},
            "/api/export": {"get": {"security": bearer, "responses": ok}},
            "/api/projects/{project_id}": {"get": {
                "security": bearer,
                "parameters": [{"name": "project_id", "in": "path", "required": true,
                                "schema": {"type": "integer", "examples": [42]}}],
                "responses": ok
            }},
            "/api/projects": {"post": {
                "security": bearer,
                "requestBody": {"required": true, "content": {"application/json": {"schema": {}}}},
                "responses": ok
            }}
        },
        "components": {"securitySchemes": {"HTTPBearer": {"type": "http", "scheme": "bearer"}}}
    })
}

fn accepted(claims: &Map<String, Value>) -> ResponseTemplate {
    let body = json!({"sub": claims.get("sub"), "email": claims.get("email"), "claims": claims});
    ResponseTemplate::new(200).set_body_raw(body.to_string(), "application/json")
}

fn hmac_verifies(token: &Token, alg: Algorithm, secret: &[u8]) -> bool {
    let algorithm = match alg {
        Algorithm::HS256 => aws_lc_rs::hmac::HMAC_SHA256,
        Algorithm::HS384 => aws_lc_rs::hmac::HMAC_SHA384,
        Algorithm::HS512 => aws_lc_rs::hmac::HMAC_SHA512,
        _ => return false,
    };
    let key = aws_lc_rs::hmac::Key::new(algorithm, secret);
    aws_lc_rs::hmac::verify(&key, token.signing_input(), token.signature()).is_ok()
}

fn verify_with_jwk(token: &Token, jwk: &Map<String, Value>) -> bool {
    let Some(alg) = token.alg().and_then(Algorithm::from_name) else {
        return false;
    };
    let key = if jwk.get("kty").and_then(Value::as_str) == Some("oct") {
        Key::from_secret_jwk(jwk)
    } else {
        Key::from_public_jwk(jwk)
    };
    key.is_ok_and(|k| {
        k.family() == alg.key_family() && k.verify(alg, token.signing_input(), token.signature())
    })
}

/// A deliberately naive HTTP GET, as a flawed backend would do, restricted to loopback so the
/// mock never reaches anything else. Bounded in time and size.
fn fetch_loopback(url: &str) -> Option<Vec<u8>> {
    let parsed = url::Url::parse(url).ok()?;
    let host = parsed.host_str()?;
    // Loopback only (127.0.0.0/8, as the harness's listener may sit on an alias): the mock never
    // leaves the machine.
    let ip: std::net::IpAddr = match host {
        "localhost" => std::net::Ipv4Addr::LOCALHOST.into(),
        other => other.parse().ok()?,
    };
    if parsed.scheme() != "http" || !ip.is_loopback() {
        return None;
    }
    let port = parsed.port().unwrap_or(80);
    let mut stream = TcpStream::connect((ip, port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    stream
        .set_write_timeout(Some(Duration::from_secs(2)))
        .ok()?;
    write!(
        stream,
        "GET {} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n",
        parsed.path()
    )
    .ok()?;
    let mut response = Vec::new();
    stream.take(1 << 20).read_to_end(&mut response).ok()?;
    let split = response.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&response[..split]).to_ascii_lowercase();
    let body = response[split + 4..].to_vec();
    if head.contains("transfer-encoding: chunked") {
        return Some(dechunk(&body));
    }
    Some(body)
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(line_end) = body.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&body[..line_end]).trim(), 16)
            .unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = line_end + 2;
        let end = (start + size).min(body.len());
        out.extend_from_slice(&body[start..end]);
        body = body.get(end + 2..).unwrap_or_default();
    }
    out
}
