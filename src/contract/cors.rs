//! The CORS rules of contracts/http-api.md §2.4, as a judgement of one answer.
//!
//! One allowed origin (the front end's), compared byte for byte with the request's `Origin`, so
//! `null` and a different scheme, host, port, case or a trailing `/` are foreign. The allowed
//! origin gets `Access-Control-Allow-Origin: <origin>` and `Vary: Origin` on every answer, and a
//! preflight that allows `Authorization`; a foreign origin gets no `Access-Control-Allow-*`
//! header at all; nobody ever gets `Access-Control-Allow-Origin: *` or
//! `Access-Control-Allow-Credentials`. Preflights are answered before authentication.

use std::fmt;

/// The CORS side of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CorsRequest<'a> {
    /// The `Origin` sent, if any.
    pub origin: Option<&'a str>,
    /// An `OPTIONS` preflight (`Access-Control-Request-Method`), not the request itself.
    pub preflight: bool,
}

/// How an answer breaks the CORS rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// `Access-Control-Allow-Origin` echoes a foreign origin (or `null`): that origin's scripts
    /// may read the answer. `credentials`: with `Access-Control-Allow-Credentials: true`.
    Grants { null: bool, credentials: bool },
    /// `Access-Control-Allow-Origin: *`.
    Wildcard,
    /// `Access-Control-Allow-Credentials` (outside a grant to a foreign origin).
    Credentials,
    /// Other `Access-Control-Allow-*` headers for a foreign origin (names, sorted).
    ForeignHeaders(Vec<String>),
    /// The allowed origin did not get `Access-Control-Allow-Origin: <origin>`.
    NotGranted { got: Option<String> },
    /// An answer to the allowed origin without `Vary: Origin`.
    NoVary,
    /// A preflight refused (non-2xx): preflights come before authentication.
    PreflightStatus(u16),
    /// The allowed origin's preflight does not allow the `Authorization` header.
    PreflightNoAuthorization,
}

impl Problem {
    /// The suffix of the rule id (as the audit's `cors` suite names its rules).
    pub fn rule(&self) -> &'static str {
        match self {
            Problem::Grants { null: false, .. } => "REFLECTED-ORIGIN",
            Problem::Grants { null: true, .. } => "NULL-ORIGIN",
            Problem::Wildcard => "WILDCARD-ORIGIN",
            Problem::Credentials => "CREDENTIALS",
            Problem::ForeignHeaders(_) => "FOREIGN-ORIGIN-HEADERS",
            Problem::NotGranted { .. } | Problem::NoVary | Problem::PreflightNoAuthorization => {
                "ALLOWED-ORIGIN"
            }
            Problem::PreflightStatus(_) => "PREFLIGHT",
        }
    }

    /// A foreign origin can read answers: a security finding; the rest are contract deviations.
    pub fn security(&self) -> bool {
        matches!(self, Problem::Grants { .. })
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Grants { null, credentials } => write!(
                f,
                "Access-Control-Allow-Origin echoes {}{}",
                if *null {
                    "the null origin"
                } else {
                    "a foreign origin"
                },
                if *credentials {
                    ", with Access-Control-Allow-Credentials: true"
                } else {
                    ""
                }
            ),
            Problem::Wildcard => f.write_str("Access-Control-Allow-Origin: *"),
            Problem::Credentials => f.write_str("Access-Control-Allow-Credentials is sent"),
            Problem::ForeignHeaders(names) => {
                write!(f, "CORS headers for a foreign origin: {}", names.join(", "))
            }
            Problem::NotGranted { got: None } => {
                f.write_str("no Access-Control-Allow-Origin for the front-end origin")
            }
            Problem::NotGranted { got: Some(v) } => write!(
                f,
                "Access-Control-Allow-Origin {v:?} instead of the front-end origin"
            ),
            Problem::NoVary => {
                f.write_str("an answer to the front-end origin without Vary: Origin")
            }
            Problem::PreflightStatus(s) => write!(f, "a preflight answered HTTP {s}"),
            Problem::PreflightNoAuthorization => f.write_str(
                "the front-end origin's preflight does not allow the Authorization header",
            ),
        }
    }
}

fn values<'a>(headers: &'a [(String, String)], name: &'a str) -> impl Iterator<Item = &'a str> {
    headers
        .iter()
        .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim_matches([' ', '\t']))
}

fn list_contains(headers: &[(String, String)], name: &str, item: &str) -> bool {
    values(headers, name)
        .flat_map(|v| v.split(','))
        .any(|e| e.trim_matches([' ', '\t']).eq_ignore_ascii_case(item))
}

/// Judges one answer's CORS headers. `allowed` is the front-end origin if the deployment names
/// one (without it, only what no origin may get is judged); `expect_grant` is false when the
/// answer may come from the HTTP layer rather than the application (an oversized request
/// refused before routing), so the allowed origin's grant is not required there.
pub fn check(
    request: CorsRequest<'_>,
    allowed: Option<&str>,
    status: u16,
    headers: &[(String, String)],
    expect_grant: bool,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    let acao: Vec<&str> = values(headers, "access-control-allow-origin").collect();
    let credentials = values(headers, "access-control-allow-credentials").next();
    let is_allowed = request.origin.is_some() && request.origin == allowed;
    if acao.contains(&"*") {
        problems.push(Problem::Wildcard);
    }
    match request.origin {
        Some(origin) if !is_allowed => {
            if acao.contains(&origin) {
                problems.push(Problem::Grants {
                    null: origin == "null",
                    credentials: credentials.is_some_and(|v| v == "true"),
                });
            } else {
                let mut names: Vec<String> = headers
                    .iter()
                    .map(|(n, _)| n.to_ascii_lowercase())
                    .filter(|n| n.starts_with("access-control-allow-"))
                    .filter(|n| !(n == "access-control-allow-origin" && acao == ["*"]))
                    .collect();
                names.sort();
                names.dedup();
                if !names.is_empty() {
                    problems.push(Problem::ForeignHeaders(names));
                }
            }
        }
        _ => {
            if credentials.is_some() {
                problems.push(Problem::Credentials);
            }
        }
    }
    if is_allowed && expect_grant {
        let origin = request.origin.unwrap_or_default();
        if request.preflight && !(200..300).contains(&status) {
            problems.push(Problem::PreflightStatus(status));
        } else {
            let granted = acao.contains(&origin) || acao.contains(&"*");
            if !granted {
                problems.push(Problem::NotGranted {
                    got: acao.first().map(|v| (*v).to_owned()),
                });
            }
            if !(list_contains(headers, "vary", "origin") || list_contains(headers, "vary", "*")) {
                problems.push(Problem::NoVary);
            }
            // Without the grant, the missing grant is the whole story.
            if request.preflight
                && granted
                && !list_contains(headers, "access-control-allow-headers", "authorization")
            {
                problems.push(Problem::PreflightNoAuthorization);
            }
        }
    }
    if request.preflight && !is_allowed && allowed.is_some() && status == 401 {
        problems.push(Problem::PreflightStatus(status));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    const FRONT: &str = "http://127.0.0.1:5173";

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn get(origin: Option<&str>) -> CorsRequest<'_> {
        CorsRequest {
            origin,
            preflight: false,
        }
    }

    fn preflight(origin: Option<&str>) -> CorsRequest<'_> {
        CorsRequest {
            origin,
            preflight: true,
        }
    }

    #[test]
    fn the_contracts_answers_pass() {
        let granted = h(&[("vary", "Origin"), ("access-control-allow-origin", FRONT)]);
        assert!(check(get(Some(FRONT)), Some(FRONT), 200, &granted, true).is_empty());
        assert!(check(get(Some(FRONT)), Some(FRONT), 401, &granted, true).is_empty());
        let pre = h(&[
            ("vary", "Origin"),
            ("access-control-allow-origin", FRONT),
            ("access-control-allow-methods", "GET, POST"),
            (
                "access-control-allow-headers",
                "authorization, content-type",
            ),
            ("access-control-max-age", "600"),
        ]);
        assert!(check(preflight(Some(FRONT)), Some(FRONT), 204, &pre, true).is_empty());
        let none = h(&[("vary", "Origin")]);
        for origin in [
            None,
            Some("null"),
            Some("http://evil.example"),
            Some("https://127.0.0.1:5173"),
            Some("http://127.0.0.1:5174"),
            Some("http://127.0.0.1.evil.example:5173"),
            Some("HTTP://127.0.0.1:5173"),
            Some("http://127.0.0.1:5173/"),
        ] {
            assert!(check(get(origin), Some(FRONT), 401, &none, true).is_empty());
            assert!(check(preflight(origin), Some(FRONT), 204, &none, true).is_empty());
        }
    }

    #[test]
    fn header_spelling_and_list_forms_do_not_matter() {
        let granted = h(&[
            ("Vary", "Accept-Encoding, origin"),
            ("Access-Control-Allow-Origin", FRONT),
            ("Access-Control-Allow-Headers", "Content-Type,AUTHORIZATION"),
        ]);
        assert!(check(preflight(Some(FRONT)), Some(FRONT), 200, &granted, true).is_empty());
        let split = h(&[
            ("vary", "accept-encoding"),
            ("vary", "Origin"),
            ("access-control-allow-origin", FRONT),
        ]);
        assert!(check(get(Some(FRONT)), Some(FRONT), 200, &split, true).is_empty());
    }

    #[test]
    fn reflected_origins_and_credentials_are_found() {
        let reflect = |o: &str| {
            h(&[
                ("vary", "Origin"),
                ("access-control-allow-origin", o),
                ("access-control-allow-credentials", "true"),
            ])
        };
        let evil = "http://evil.example";
        assert_eq!(
            check(get(Some(evil)), Some(FRONT), 200, &reflect(evil), true),
            [Problem::Grants {
                null: false,
                credentials: true
            }]
        );
        assert_eq!(
            check(preflight(Some("null")), None, 204, &reflect("null"), true)[0].rule(),
            "NULL-ORIGIN"
        );
        assert_eq!(
            check(get(Some(FRONT)), Some(FRONT), 200, &reflect(FRONT), true),
            [Problem::Credentials]
        );
        assert_eq!(
            check(
                get(None),
                Some(FRONT),
                200,
                &h(&[("access-control-allow-origin", "*")]),
                true
            ),
            [Problem::Wildcard]
        );
        // A static grant to the front end, sent to a foreign origin too: not readable by it,
        // but not the contract either.
        assert_eq!(
            check(get(Some(evil)), Some(FRONT), 200, &reflect(FRONT), true),
            [Problem::ForeignHeaders(vec![
                "access-control-allow-credentials".into(),
                "access-control-allow-origin".into()
            ])]
        );
    }

    #[test]
    fn the_front_end_origin_must_be_granted() {
        let none = h(&[("vary", "Origin")]);
        assert_eq!(
            check(get(Some(FRONT)), Some(FRONT), 200, &none, true),
            [Problem::NotGranted { got: None }]
        );
        // Not from the application (an oversized request refused by the HTTP layer).
        assert!(check(get(Some(FRONT)), Some(FRONT), 431, &[], false).is_empty());
        let no_vary = h(&[("access-control-allow-origin", FRONT)]);
        assert_eq!(
            check(get(Some(FRONT)), Some(FRONT), 200, &no_vary, true),
            [Problem::NoVary]
        );
        let pre = h(&[("vary", "Origin"), ("access-control-allow-origin", FRONT)]);
        assert_eq!(
            check(preflight(Some(FRONT)), Some(FRONT), 204, &pre, true),
            [Problem::PreflightNoAuthorization]
        );
        assert_eq!(
            check(preflight(Some(FRONT)), Some(FRONT), 401, &none, true),
            [Problem::PreflightStatus(401)]
        );
        assert_eq!(
            check(preflight(Some(FRONT)), Some(FRONT), 204, &none, true),
            [Problem::NotGranted { got: None }]
        );
        assert_eq!(
            check(preflight(Some("null")), Some(FRONT), 401, &none, true),
            [Problem::PreflightStatus(401)]
        );
        // Refusing a foreign origin's preflight outright is not authentication.
        assert!(check(preflight(Some("null")), Some(FRONT), 403, &none, true).is_empty());
        // Without a configured front-end origin, nothing is required.
        assert!(check(get(Some(FRONT)), None, 200, &none, true).is_empty());
    }
}
