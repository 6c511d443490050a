//! The runner's HTTP client: reqwest over rustls (system roots, an extra CA, or a loudly warned
//! `--insecure`), an optional proxy (Burp, ZAP), no redirects followed, a per-request timeout,
//! capped response bodies, and an optional global request rate. A deployment served inside this
//! process ([`InProcess`], used by `authprobe::testing`) is reached through the same client,
//! without a socket.

use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// Transport settings.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    pub timeout: Duration,
    /// Largest response body kept, in bytes; reading stops there.
    pub max_body_bytes: usize,
    /// Requests per second across the run, if limited.
    pub rate_per_sec: Option<f64>,
    /// PEM file of an extra trusted CA.
    pub ca_cert: Option<std::path::PathBuf>,
    /// Accept any TLS certificate (never the default).
    pub insecure: bool,
    /// `http://127.0.0.1:8080` to route through an intercepting proxy.
    pub proxy: Option<String>,
    /// Headers added to every request (e.g. a WAF bypass token the target's owner gave you).
    pub extra_headers: Vec<(String, String)>,
    /// Origins answered inside this process instead of over the network.
    pub in_process: InProcessRoutes,
}

/// A deployment answered inside this process: each request the runner would send over HTTP is
/// handed to [`InProcess::handle`] instead (headers with lower-case names, the full URL).
pub trait InProcess: Send + Sync {
    /// The answer to one request, or why it could not be made (e.g. a header the handler's
    /// HTTP types refuse, as a client library would). A panic while answering is an answer
    /// too: the client turns it into a `500`, as a crashed server's proxy would.
    fn handle(
        &self,
        request: Outgoing,
    ) -> futures::future::BoxFuture<'static, Result<Incoming, TransportError>>;
}

/// The origins (`scheme://host:port`) served by in-process handlers.
#[derive(Clone, Default)]
pub struct InProcessRoutes(Vec<(String, Arc<dyn InProcess>)>);

impl InProcessRoutes {
    /// Serves `origin` (e.g. `http://in-process.invalid`) with `handler`.
    pub fn add(&mut self, origin: impl Into<String>, handler: Arc<dyn InProcess>) {
        let origin = origin.into().trim_end_matches('/').to_owned();
        self.0.push((origin, handler));
    }

    fn route(&self, url: &str) -> Option<&Arc<dyn InProcess>> {
        self.0.iter().find_map(|(origin, handler)| {
            let rest = url.strip_prefix(origin.as_str())?;
            (rest.is_empty() || rest.starts_with(['/', '?', '#'])).then_some(handler)
        })
    }
}

impl std::fmt::Debug for InProcessRoutes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(origin, _)| origin))
            .finish()
    }
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            timeout: Duration::from_secs(10),
            max_body_bytes: 64 * 1024,
            rate_per_sec: None,
            ca_cert: None,
            insecure: false,
            proxy: None,
            extra_headers: Vec::new(),
            in_process: InProcessRoutes::default(),
        }
    }
}

/// One request as the runner sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

/// What came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    pub status: u16,
    /// Lower-case names, in order, repeated headers kept.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub elapsed: Duration,
}

impl Incoming {
    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    /// Every value of a header.
    pub fn header_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A transport failure: the target did not answer usefully.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    #[error("connection failed: {0}")]
    Connect(String),
    #[error("request failed: {0}")]
    Other(String),
    #[error("bad request: {0}")]
    Build(String),
}

impl TransportError {
    /// True when the target itself seems gone (not a per-request problem).
    pub fn target_unreachable(&self) -> bool {
        matches!(self, TransportError::Connect(_))
    }
}

/// Why the client could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    #[error("reading CA certificate {path}: {message}")]
    CaCert { path: String, message: String },
    #[error("proxy {0:?} is not a valid URL")]
    Proxy(String),
    #[error("building the HTTP client: {0}")]
    Build(String),
}

/// The shared client of a run.
pub struct Http {
    client: reqwest::Client,
    options: HttpOptions,
    next_slot: Mutex<Instant>,
}

impl Http {
    pub fn new(options: HttpOptions) -> Result<Http, ClientError> {
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(options.timeout)
            .connect_timeout(options.timeout)
            .user_agent(concat!("authprobe/", env!("CARGO_PKG_VERSION")))
            .pool_max_idle_per_host(64);
        if let Some(path) = &options.ca_cert {
            let pem = std::fs::read(path).map_err(|e| ClientError::CaCert {
                path: path.display().to_string(),
                message: e.to_string(),
            })?;
            let cert = reqwest::Certificate::from_pem(&pem).map_err(|e| ClientError::CaCert {
                path: path.display().to_string(),
                message: e.to_string(),
            })?;
            builder = builder.add_root_certificate(cert);
        }
        if options.insecure {
            tracing::warn!("--insecure: TLS certificates are NOT verified; anyone on the path can impersonate the target");
            builder = builder.danger_accept_invalid_certs(true);
        }
        if let Some(proxy) = &options.proxy {
            let p = reqwest::Proxy::all(proxy).map_err(|_| ClientError::Proxy(proxy.clone()))?;
            builder = builder.proxy(p);
        } else {
            builder = builder.no_proxy();
        }
        let client = builder
            .build()
            .map_err(|e| ClientError::Build(e.to_string()))?;
        Ok(Http {
            client,
            options,
            next_slot: Mutex::new(Instant::now()),
        })
    }

    pub fn options(&self) -> &HttpOptions {
        &self.options
    }

    async fn pace(&self) {
        let Some(rate) = self.options.rate_per_sec.filter(|r| *r > 0.0) else {
            return;
        };
        let interval = Duration::from_secs_f64(1.0 / rate);
        let wait_until = {
            let mut next = self.next_slot.lock().await;
            let slot = (*next).max(Instant::now());
            *next = slot + interval;
            slot
        };
        tokio::time::sleep_until(wait_until).await;
    }

    /// Sends one request. Redirects are returned, not followed.
    pub async fn send(&self, out: &Outgoing) -> Result<Incoming, TransportError> {
        self.send_within(out, self.options.timeout).await
    }

    /// [`Http::send`] with a time limit of its own, at most the client's: a caller that only
    /// needs to know whether an answer comes within `limit` does not wait for the whole timeout.
    pub async fn send_within(
        &self,
        out: &Outgoing,
        limit: Duration,
    ) -> Result<Incoming, TransportError> {
        let limit = limit.min(self.options.timeout);
        self.pace().await;
        if let Some(handler) = self.options.in_process.route(&out.url) {
            return self.send_in_process(handler, out, limit).await;
        }
        let method = reqwest::Method::from_bytes(out.method.as_bytes())
            .map_err(|_| TransportError::Build(format!("method {:?}", out.method)))?;
        let mut request = self.client.request(method, &out.url).timeout(limit);
        for (name, value) in self.options.extra_headers.iter().chain(&out.headers) {
            request = request.header(name.as_str(), value.as_str());
        }
        if let Some(body) = &out.body {
            request = request.body(body.clone());
        }
        let started = std::time::Instant::now();
        let mut response = request.send().await.map_err(|e| classify(e, limit))?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| classify(e, limit))? {
            let room = self.options.max_body_bytes.saturating_sub(body.len());
            body.extend_from_slice(&chunk[..chunk.len().min(room)]);
            if room < chunk.len() {
                break;
            }
        }
        Ok(Incoming {
            status,
            headers,
            body,
            elapsed: started.elapsed(),
        })
    }

    /// One request to an in-process handler, under the same timeout and body cap as the network.
    async fn send_in_process(
        &self,
        handler: &Arc<dyn InProcess>,
        out: &Outgoing,
        limit: Duration,
    ) -> Result<Incoming, TransportError> {
        let mut request = out.clone();
        request.headers = self
            .options
            .extra_headers
            .iter()
            .chain(&out.headers)
            .map(|(n, v)| (n.to_ascii_lowercase(), v.clone()))
            .collect();
        let started = std::time::Instant::now();
        let mut answer = tokio::spawn(handler.handle(request));
        let mut incoming = match tokio::time::timeout(limit, &mut answer).await {
            Err(_) => {
                answer.abort();
                return Err(TransportError::Timeout(limit));
            }
            Ok(Ok(answer)) => answer?,
            Ok(Err(e)) => Incoming {
                status: 500,
                headers: vec![("content-type".into(), "text/plain".into())],
                body: format!("the in-process handler failed: {e}").into_bytes(),
                elapsed: Duration::ZERO,
            },
        };
        incoming.body.truncate(self.options.max_body_bytes);
        incoming.elapsed = started.elapsed();
        Ok(incoming)
    }
}

/// A reqwest error as a transport error; `limit` is the time limit the request had.
fn classify(e: reqwest::Error, limit: Duration) -> TransportError {
    if e.is_timeout() {
        TransportError::Timeout(limit)
    } else if e.is_connect() {
        TransportError::Connect(source_chain(&e))
    } else if e.is_builder() {
        TransportError::Build(source_chain(&e))
    } else {
        TransportError::Other(source_chain(&e))
    }
}

fn source_chain(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
