//! `WWW-Authenticate` challenges (RFC 7235 §4.1, RFC 6750 §3) parsed, and a refusal's challenge
//! judged against its row of the error contract.
//!
//! The contract writes each challenge in one canonical form (`Bearer realm="api", error="…",
//! error_description="…"`), but HTTP lets a sender vary what carries no meaning: the scheme's and
//! the parameter names' case, the order of the auth-params, a token instead of a quoted-string
//! for a value, quoted-pairs inside one, optional whitespace around `=` and `,`, empty list
//! elements, several challenges in one field or several fields. [`check`] compares meanings, so
//! none of those is a deviation; a missing challenge, another scheme, a missing or different
//! realm, error or description, or a parameter the row does not have is.

use super::ErrorCode;
use std::fmt;

/// One challenge: an auth-scheme and its auth-params (or a token68).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// As sent (compare case-insensitively).
    pub scheme: String,
    /// Names lower-cased, values unquoted, in the order sent.
    pub params: Vec<(String, String)>,
    pub token68: Option<String>,
}

impl Challenge {
    /// The value of a parameter (names are case-insensitive).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Why a header value is not a challenge list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError(pub String);

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn is_token68_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~+/".contains(&b)
}

struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn at(&self, i: usize) -> Option<u8> {
        self.s.get(i).copied()
    }
    /// Skips optional whitespace; true if there was any.
    fn ows(&mut self) -> bool {
        let start = self.i;
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
        self.i > start
    }
    fn token(&mut self) -> &str {
        let start = self.i;
        while self.peek().is_some_and(is_tchar) {
            self.i += 1;
        }
        // tchar is ASCII.
        std::str::from_utf8(&self.s[start..self.i]).unwrap_or_default()
    }
    fn quoted(&mut self) -> Result<String, SyntaxError> {
        self.i += 1; // the opening quote
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None => return Err(SyntaxError("unterminated quoted-string".into())),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(String::from_utf8_lossy(&out).into_owned());
                }
                Some(b'\\') => {
                    let c = self
                        .at(self.i + 1)
                        .filter(|c| *c == b'\t' || (*c >= 0x20 && *c != 0x7f))
                        .ok_or_else(|| SyntaxError("bad quoted-pair".into()))?;
                    out.push(c);
                    self.i += 2;
                }
                Some(c) if c == b'\t' || (c >= 0x20 && c != 0x7f) => {
                    out.push(c);
                    self.i += 1;
                }
                Some(c) => return Err(SyntaxError(format!("byte 0x{c:02x} in a quoted-string"))),
            }
        }
    }
    /// After a list element: OWS, then a comma or the end.
    fn element_end(&mut self) -> Result<(), SyntaxError> {
        self.ows();
        match self.peek() {
            None | Some(b',') => Ok(()),
            Some(c) => Err(SyntaxError(format!(
                "unexpected {:?} after a list element",
                c as char
            ))),
        }
    }
    /// At `name BWS "=" BWS` followed by a value (not a token68's padding)?
    fn at_auth_param(&self) -> bool {
        let mut j = self.i;
        while self.at(j).is_some_and(is_tchar) {
            j += 1;
        }
        if j == self.i {
            return false;
        }
        while matches!(self.at(j), Some(b' ' | b'\t')) {
            j += 1;
        }
        if self.at(j) != Some(b'=') {
            return false;
        }
        j += 1;
        while matches!(self.at(j), Some(b' ' | b'\t')) {
            j += 1;
        }
        self.at(j).is_some_and(|c| c == b'"' || is_tchar(c))
    }
}

/// Parses one `WWW-Authenticate` field value: `1#challenge`, where
/// `challenge = auth-scheme [ 1*SP ( token68 / #auth-param ) ]` and
/// `auth-param = token BWS "=" BWS ( token / quoted-string )`. A parameter name twice in one
/// challenge is an error (RFC 7235 §2.1).
pub fn parse(value: &str) -> Result<Vec<Challenge>, SyntaxError> {
    let mut c = Cursor {
        s: value.as_bytes(),
        i: 0,
    };
    let mut out: Vec<Challenge> = Vec::new();
    loop {
        // Empty list elements are allowed.
        loop {
            c.ows();
            if c.peek() == Some(b',') {
                c.i += 1;
            } else {
                break;
            }
        }
        if c.peek().is_none() {
            break;
        }
        if !out.is_empty() && c.at_auth_param() {
            let name = c.token().to_ascii_lowercase();
            c.ows();
            c.i += 1; // '='
            c.ows();
            let v = if c.peek() == Some(b'"') {
                c.quoted()?
            } else {
                c.token().to_owned()
            };
            let current = out.last_mut().expect("checked above");
            if current.token68.is_some() {
                return Err(SyntaxError("auth-param after a token68".into()));
            }
            if current.params.iter().any(|(n, _)| *n == name) {
                return Err(SyntaxError(format!("parameter {name} twice")));
            }
            current.params.push((name, v));
            c.element_end()?;
            continue;
        }
        let scheme = c.token().to_owned();
        if scheme.is_empty() {
            return Err(SyntaxError(format!(
                "expected an auth-scheme at byte {}",
                c.i
            )));
        }
        let mut challenge = Challenge {
            scheme,
            params: Vec::new(),
            token68: None,
        };
        let spaced = c.ows();
        match c.peek() {
            None | Some(b',') => {}
            Some(_) if !spaced => {
                return Err(SyntaxError("no space after the auth-scheme".into()));
            }
            Some(_) if c.at_auth_param() => {} // read by the loop as this challenge's first param
            Some(_) => {
                let start = c.i;
                while c.peek().is_some_and(is_token68_char) {
                    c.i += 1;
                }
                if c.i == start {
                    return Err(SyntaxError("expected a token68 or an auth-param".into()));
                }
                while c.peek() == Some(b'=') {
                    c.i += 1;
                }
                challenge.token68 = Some(value[start..c.i].to_owned());
                out.push(challenge);
                c.element_end()?;
                continue;
            }
        }
        out.push(challenge);
    }
    if out.is_empty() {
        return Err(SyntaxError("no challenge".into()));
    }
    Ok(out)
}

/// How a refusal's challenge deviates from its contract row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// No `WWW-Authenticate` field where the row has a challenge.
    Missing,
    /// A `WWW-Authenticate` field where the row has none (`—`).
    Unexpected,
    /// A field value that is not a challenge list.
    Syntax(String),
    /// No Bearer challenge; the schemes sent instead.
    NotBearer(Vec<String>),
    /// The Bearer challenge has no realm.
    NoRealm,
    /// The realm is not the deployment's.
    Realm { got: String, expected: String },
    /// A parameter of the row (`error`, `error_description`) is missing.
    MissingParam(&'static str),
    /// A parameter of the row has another value.
    WrongParam {
        name: &'static str,
        got: String,
        expected: String,
    },
    /// A parameter the row does not have (`error` on MISSING_TOKEN, `scope`, …).
    ExtraParam(String),
}

impl Problem {
    /// Whether the deviation belongs to the row (a value only that code has) rather than to the
    /// backend's challenges as a whole (missing, not Bearer, no realm, …).
    pub fn code_specific(&self) -> bool {
        match self {
            Problem::Unexpected | Problem::WrongParam { .. } => true,
            Problem::ExtraParam(name) => name == "error" || name == "error_description",
            _ => false,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Missing => f.write_str("no WWW-Authenticate challenge"),
            Problem::Unexpected => {
                f.write_str("a WWW-Authenticate challenge where the contract has none")
            }
            Problem::Syntax(e) => write!(f, "WWW-Authenticate is not a challenge list ({e})"),
            Problem::NotBearer(schemes) => write!(
                f,
                "no Bearer challenge in WWW-Authenticate (schemes: {})",
                schemes.join(", ")
            ),
            Problem::NoRealm => f.write_str("the Bearer challenge has no realm"),
            Problem::Realm { got, expected } => write!(
                f,
                "the Bearer challenge's realm is {got:?} where the profile says {expected:?}"
            ),
            Problem::MissingParam(name) => write!(f, "the Bearer challenge has no {name}"),
            Problem::WrongParam {
                name,
                got,
                expected,
            } => write!(
                f,
                "the Bearer challenge's {name} is {got:?} where the contract says {expected:?}"
            ),
            Problem::ExtraParam(name) => write!(
                f,
                "the Bearer challenge carries {name}, which the contract's row does not"
            ),
        }
    }
}

/// What of a challenge is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Strictness {
    /// Compare `error_description` and refuse parameters outside the row (the contract's own
    /// vocabulary); off, only RFC 6750's scheme, realm and `error` are compared.
    pub contract_texts: bool,
}

/// Judges the `WWW-Authenticate` field values of a refusal with `code` against the contract's
/// row: `realm` is the deployment's realm if known (any realm is accepted otherwise). Among
/// several challenges, one Bearer challenge that matches is enough (as the audit's suites accept
/// any one matching field); otherwise the first Bearer challenge's first deviation is returned.
pub fn check(
    code: ErrorCode,
    values: &[&str],
    realm: Option<&str>,
    strictness: Strictness,
) -> Result<(), Problem> {
    let has_challenge = code.www_authenticate("").is_some();
    if !has_challenge {
        return if values.is_empty() {
            Ok(())
        } else {
            Err(Problem::Unexpected)
        };
    }
    if values.is_empty() {
        return Err(Problem::Missing);
    }
    let mut challenges = Vec::new();
    for v in values {
        challenges.extend(parse(v).map_err(|e| Problem::Syntax(e.0))?);
    }
    let bearer: Vec<&Challenge> = challenges
        .iter()
        .filter(|c| c.scheme.eq_ignore_ascii_case("bearer"))
        .collect();
    if bearer.is_empty() {
        return Err(Problem::NotBearer(
            challenges.iter().map(|c| c.scheme.clone()).collect(),
        ));
    }
    let mut first = None;
    for c in bearer {
        match judge_bearer(code, c, realm, strictness) {
            Ok(()) => return Ok(()),
            Err(p) => {
                first.get_or_insert(p);
            }
        }
    }
    Err(first.expect("at least one Bearer challenge"))
}

fn judge_bearer(
    code: ErrorCode,
    c: &Challenge,
    realm: Option<&str>,
    strictness: Strictness,
) -> Result<(), Problem> {
    if c.token68.is_some() {
        return Err(Problem::Syntax(
            "a token68 where Bearer takes auth-params".into(),
        ));
    }
    match (c.param("realm"), realm) {
        (None, _) => return Err(Problem::NoRealm),
        (Some(got), Some(expected)) if got != expected => {
            return Err(Problem::Realm {
                got: got.to_owned(),
                expected: expected.to_owned(),
            })
        }
        _ => {}
    }
    // MISSING_TOKEN: no error code in the challenge (RFC 6750 §3.1).
    let expected: &[(&'static str, &str)] = if code == ErrorCode::MissingToken {
        &[]
    } else if strictness.contract_texts {
        &[
            ("error", code.error()),
            ("error_description", code.description()),
        ]
    } else {
        &[("error", code.error())]
    };
    for (name, want) in expected {
        match c.param(name) {
            None => return Err(Problem::MissingParam(name)),
            Some(got) if got != *want => {
                return Err(Problem::WrongParam {
                    name,
                    got: got.to_owned(),
                    expected: (*want).to_owned(),
                })
            }
            Some(_) => {}
        }
    }
    for (name, _) in &c.params {
        let in_row = name == "realm" || expected.iter().any(|(n, _)| n == name);
        let checked = strictness.contract_texts || name == "error";
        if !in_row && checked {
            return Err(Problem::ExtraParam(name.clone()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRICT: Strictness = Strictness {
        contract_texts: true,
    };

    #[test]
    fn parses_challenge_lists() {
        let c = parse(r#"Bearer realm="api", error="invalid_token""#).unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].param("REALM"), Some("api"));
        let c = parse(r#"Basic realm="x", Bearer realm=api,error=invalid_token , Negotiate abc=="#)
            .unwrap();
        let schemes: Vec<&str> = c.iter().map(|c| c.scheme.as_str()).collect();
        assert_eq!(schemes, ["Basic", "Bearer", "Negotiate"]);
        assert_eq!(c[1].param("error"), Some("invalid_token"));
        assert_eq!(c[2].token68.as_deref(), Some("abc=="));
        let c = parse(r#"Bearer realm = "a\"b\\c""#).unwrap();
        assert_eq!(c[0].param("realm"), Some(r#"a"b\c"#));
        assert_eq!(parse("Bearer").unwrap()[0].params, vec![]);
        assert!(parse(r#"Bearer realm="a", realm="b""#).is_err());
        assert!(parse(r#"Bearer realm="unterminated"#).is_err());
        assert!(parse("").is_err());
        assert!(parse("Bearer realm=\"a\" x").is_err());
    }

    #[test]
    fn order_case_quoting_and_whitespace_do_not_matter() {
        let code = ErrorCode::TokenExpired;
        for v in [
            r#"Bearer realm="api", error="invalid_token", error_description="token expired""#,
            r#"Bearer error="invalid_token", error_description="token expired", realm="api""#,
            r#"bearer Realm=api,Error=invalid_token,ERROR_DESCRIPTION="token expired""#,
            r#"BEARER  realm = "api" ,, error = invalid_token,	error_description="token\ expired""#,
            r#"Basic realm="other", Bearer realm="api", error="invalid_token", error_description="token expired""#,
        ] {
            assert_eq!(check(code, &[v], Some("api"), STRICT), Ok(()), "{v}");
        }
        // Two fields: one Bearer challenge that matches is enough.
        assert_eq!(
            check(
                code,
                &[
                    r#"Basic realm="x""#,
                    r#"Bearer realm="api", error="invalid_token", error_description="token expired""#
                ],
                Some("api"),
                STRICT
            ),
            Ok(())
        );
        assert_eq!(
            check(
                ErrorCode::MissingToken,
                &[r#"Bearer realm="api""#],
                Some("api"),
                STRICT
            ),
            Ok(())
        );
        // Any realm when the deployment's is not known.
        assert_eq!(
            check(
                ErrorCode::MissingToken,
                &[r#"Bearer realm="anything""#],
                None,
                STRICT
            ),
            Ok(())
        );
    }

    #[test]
    fn deviations_are_named() {
        let code = ErrorCode::InvalidSignature;
        let full = |s: &str| check(code, &[s], Some("api"), STRICT);
        assert_eq!(check(code, &[], Some("api"), STRICT), Err(Problem::Missing));
        assert_eq!(
            full(r#"Basic realm="api""#),
            Err(Problem::NotBearer(vec!["Basic".into()]))
        );
        assert_eq!(
            full(
                r#"Bearer error="invalid_token", error_description="signature verification failed""#
            ),
            Err(Problem::NoRealm)
        );
        assert!(matches!(
            full(
                r#"Bearer realm="other", error="invalid_token", error_description="signature verification failed""#
            ),
            Err(Problem::Realm { .. })
        ));
        assert_eq!(
            full(r#"Bearer realm="api", error_description="signature verification failed""#),
            Err(Problem::MissingParam("error"))
        );
        assert!(matches!(
            full(
                r#"Bearer realm="api", error="invalid_request", error_description="signature verification failed""#
            ),
            Err(Problem::WrongParam { name: "error", .. })
        ));
        assert!(matches!(
            full(
                r#"Bearer realm="api", error="invalid_token", error_description="Signature verification failed""#
            ),
            Err(Problem::WrongParam {
                name: "error_description",
                ..
            })
        ));
        assert_eq!(
            full(
                r#"Bearer realm="api", error="invalid_token", error_description="signature verification failed", scope="x""#
            ),
            Err(Problem::ExtraParam("scope".into()))
        );
        assert_eq!(
            check(
                ErrorCode::MissingToken,
                &[r#"Bearer realm="api", error="invalid_token""#],
                None,
                STRICT
            ),
            Err(Problem::ExtraParam("error".into()))
        );
        assert!(matches!(
            full("Bearer realm=\"api"),
            Err(Problem::Syntax(_))
        ));
        assert_eq!(
            check(
                ErrorCode::RateLimited,
                &[r#"Bearer realm="api""#],
                None,
                STRICT
            ),
            Err(Problem::Unexpected)
        );
        assert_eq!(check(ErrorCode::RateLimited, &[], None, STRICT), Ok(()));
    }

    #[test]
    fn without_contract_texts_only_rfc_6750_is_compared() {
        let loose = Strictness {
            contract_texts: false,
        };
        let v = r#"Bearer realm="api", error="invalid_token", error_description="jwt expired", scope="me""#;
        assert_eq!(check(ErrorCode::TokenExpired, &[v], None, loose), Ok(()));
        assert!(check(ErrorCode::TokenExpired, &[v], None, STRICT).is_err());
        assert!(check(
            ErrorCode::TokenExpired,
            &[r#"Bearer realm="api""#],
            None,
            loose
        )
        .is_err());
    }

    #[test]
    fn the_contracts_own_challenges_match() {
        for code in ErrorCode::ALL {
            let values: Vec<String> = code.www_authenticate("a \"realm\"").into_iter().collect();
            let refs: Vec<&str> = values.iter().map(String::as_str).collect();
            assert_eq!(
                check(code, &refs, Some("a \"realm\""), STRICT),
                Ok(()),
                "{code}"
            );
        }
    }
}
