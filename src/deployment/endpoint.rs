//! Protected endpoints: the routes of a backend that require a token, each audited on its own.
//!
//! A target has one or more protected endpoints (`--path`, the profile's `[[endpoint]]` entries,
//! or the bearer-protected operations of an OpenAPI document, see [`super::openapi`]). Every
//! case whose request goes to [`PROTECTED_PATH`] (the default path of a case) is sent to each
//! of them, so one route with a weaker check is found.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The path cases name when they mean "the target's protected endpoint".
pub const PROTECTED_PATH: &str = "/api/me";

/// Methods audited without being allowed explicitly: they change nothing on the server.
pub const SAFE_METHODS: [&str; 2] = ["GET", "HEAD"];

/// One protected route.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    /// The HTTP method (upper case).
    #[serde(default = "get")]
    pub method: String,
    /// The path on the backend, starting with `/` (a query string may follow).
    pub path: String,
    /// The status a valid token gets (default: any 2xx).
    #[serde(default)]
    pub status: Option<u16>,
    /// A body sent with every request to this endpoint (e.g. `{}` for a JSON POST).
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub content_type: Option<String>,
}

fn get() -> String {
    "GET".into()
}

impl Default for Endpoint {
    fn default() -> Self {
        Endpoint::new("GET", PROTECTED_PATH)
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}

/// Why an endpoint given by hand is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    #[error(
        "{0:?}: a path starts with `/` (give the path only: the base URL comes from the target)"
    )]
    NotAPath(String),
    #[error("{0:?}: not an HTTP method")]
    BadMethod(String),
    #[error("{0:?}: an expected status is a number from 100 to 599")]
    BadStatus(String),
}

impl Endpoint {
    /// `method path`, any 2xx expected.
    pub fn new(method: &str, path: &str) -> Endpoint {
        Endpoint {
            method: method.to_ascii_uppercase(),
            path: path.into(),
            status: None,
            body: None,
            content_type: None,
        }
    }

    /// Parses the command line's form: `[METHOD] /path [STATUS]`, separated by spaces (e.g.
    /// `/api/me`, `POST /api/items 201`).
    pub fn parse(text: &str) -> Result<Endpoint, EndpointError> {
        let words: Vec<&str> = text.split_whitespace().collect();
        let (method, path, status) = match words.as_slice() {
            [path] => ("GET", *path, None),
            [path, status] if path.starts_with('/') => ("GET", *path, Some(*status)),
            [method, path] => (*method, *path, None),
            [method, path, status] => (*method, *path, Some(*status)),
            _ => return Err(EndpointError::NotAPath(text.into())),
        };
        let mut endpoint = Endpoint::new(method, path);
        if let Some(status) = status {
            endpoint.status = Some(
                status
                    .parse()
                    .ok()
                    .filter(|c| (100..600).contains(c))
                    .ok_or_else(|| EndpointError::BadStatus(status.into()))?,
            );
        }
        endpoint.check()?;
        Ok(endpoint)
    }

    /// Refuses a path without its leading `/` or a method that is not a token of letters.
    pub fn check(&self) -> Result<(), EndpointError> {
        if !self.path.starts_with('/') {
            return Err(EndpointError::NotAPath(self.path.clone()));
        }
        if self.method.is_empty() || !self.method.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(EndpointError::BadMethod(self.method.clone()));
        }
        Ok(())
    }

    /// Whether auditing it can change data on the server (anything but GET and HEAD).
    pub fn is_unsafe(&self) -> bool {
        !SAFE_METHODS.contains(&self.method.as_str())
    }

    /// Whether this status is the valid token's answer.
    pub fn accepts(&self, status: u16) -> bool {
        match self.status {
            Some(s) => s == status,
            None => (200..300).contains(&status),
        }
    }

    /// The request path for a case that names `path`: the protected path becomes this
    /// endpoint's (its query string kept, joined to the endpoint's own); any other path is kept.
    pub fn resolve(&self, path: &str) -> Option<String> {
        let rest = path.strip_prefix(PROTECTED_PATH)?;
        if rest.is_empty() {
            return Some(self.path.clone());
        }
        let query = rest.strip_prefix('?')?;
        let sep = if self.path.contains('?') { '&' } else { '?' };
        Some(format!("{}{sep}{query}", self.path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_command_line_forms() {
        assert_eq!(Endpoint::parse("/api/me").unwrap(), Endpoint::default());
        let e = Endpoint::parse("post /api/items 201").unwrap();
        assert_eq!((e.method.as_str(), e.path.as_str()), ("POST", "/api/items"));
        assert_eq!(e.status, Some(201));
        assert!(e.is_unsafe() && !Endpoint::default().is_unsafe());
        assert_eq!(
            Endpoint::parse("/api/search?q=x&page=2").unwrap().path,
            "/api/search?q=x&page=2"
        );
        assert_eq!(Endpoint::parse("/x 204").unwrap().status, Some(204));
        assert!(matches!(
            Endpoint::parse("api/me"),
            Err(EndpointError::NotAPath(_))
        ));
        assert!(matches!(
            Endpoint::parse("G3T /x"),
            Err(EndpointError::BadMethod(_))
        ));
        assert!(matches!(
            Endpoint::parse("/x 999"),
            Err(EndpointError::BadStatus(_))
        ));
    }

    #[test]
    fn the_protected_path_is_replaced_and_others_are_kept() {
        let e = Endpoint::new("GET", "/api/projects/42");
        assert_eq!(e.resolve("/api/me").as_deref(), Some("/api/projects/42"));
        assert_eq!(
            e.resolve("/api/me?access_token=t").as_deref(),
            Some("/api/projects/42?access_token=t")
        );
        assert_eq!(
            Endpoint::new("GET", "/s?q=1")
                .resolve("/api/me?t=2")
                .as_deref(),
            Some("/s?q=1&t=2")
        );
        assert_eq!(e.resolve("/api/reports"), None);
        assert_eq!(e.resolve("/api/mention"), None);
        assert!(e.accepts(204) && !e.accepts(302));
        let created = Endpoint {
            status: Some(201),
            ..Endpoint::new("POST", "/api/items")
        };
        assert!(created.accepts(201) && !created.accepts(200));
    }
}
