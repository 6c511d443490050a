//! The one token-placement renderer: where a request carries its credential — a header with its
//! scheme (`Authorization: Bearer`), a cookie, a query parameter, a JSON body member or a
//! form-encoded body parameter — for the audit's cases and the fuzzer's requests alike. Values in
//! a URL or a form body are percent-encoded, so a forged token's `+`, `/` or `=` arrive as sent.

use super::profile::TokenPlacement;
use crate::scenario::Placement;

/// Where a credential travels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Carrier {
    /// A header (lower-case name) whose value is the scheme, a space and the token (the token
    /// alone when the scheme is empty).
    Header {
        name: String,
        scheme: String,
    },
    Cookie(String),
    Query(String),
    JsonBody(String),
    Form(String),
}

/// The parts of a request a carrier writes into.
pub struct Parts<'a> {
    /// The path (or URL), to which a query parameter is appended.
    pub target: &'a mut String,
    pub headers: &'a mut Vec<(String, String)>,
    pub body: &'a mut Option<Vec<u8>>,
}

impl Carrier {
    /// The carrier a target's contract names (its profile's `[token]` table).
    pub fn of_contract(p: &TokenPlacement) -> Carrier {
        match p.placement.as_str() {
            "cookie" => Carrier::Cookie(p.name.clone()),
            "query" => Carrier::Query(p.name.clone()),
            "json-body" => Carrier::JsonBody(p.name.clone()),
            _ => Carrier::Header {
                name: p.name.to_ascii_lowercase(),
                scheme: p.scheme.clone(),
            },
        }
    }

    /// A case's carrier: its own placement, or for `header` the contract's.
    pub fn of_case(p: &Placement, contract: &TokenPlacement) -> Carrier {
        match p {
            Placement::Header => Carrier::of_contract(contract),
            Placement::Cookie(n) => Carrier::Cookie(n.clone()),
            Placement::Query(n) => Carrier::Query(n.clone()),
            Placement::JsonBody(n) => Carrier::JsonBody(n.clone()),
            Placement::Form(n) => Carrier::Form(n.clone()),
        }
    }

    /// The header value carrying `token` (for a header carrier).
    pub fn header_value(scheme: &str, token: &str) -> String {
        if scheme.is_empty() {
            token.to_owned()
        } else {
            format!("{scheme} {token}")
        }
    }

    /// Writes `token` into the request.
    pub fn render(&self, token: &str, parts: Parts<'_>) {
        let encoded = || url::form_urlencoded::byte_serialize(token.as_bytes()).collect::<String>();
        match self {
            Carrier::Header { name, scheme } => parts
                .headers
                .push((name.clone(), Carrier::header_value(scheme, token))),
            Carrier::Cookie(name) => parts
                .headers
                .push(("cookie".to_owned(), format!("{name}={token}"))),
            Carrier::Query(name) => {
                let sep = if parts.target.contains('?') { '&' } else { '?' };
                parts.target.push_str(&format!("{sep}{name}={}", encoded()));
            }
            Carrier::JsonBody(name) => {
                *parts.body = Some(
                    serde_json::json!({ name.clone(): token })
                        .to_string()
                        .into_bytes(),
                );
                parts
                    .headers
                    .push(("content-type".to_owned(), "application/json".to_owned()));
            }
            Carrier::Form(name) => {
                *parts.body = Some(format!("{name}={}", encoded()).into_bytes());
                parts.headers.push((
                    "content-type".to_owned(),
                    "application/x-www-form-urlencoded".to_owned(),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(carrier: &Carrier, token: &str) -> (String, Vec<(String, String)>, Option<String>) {
        let (mut target, mut headers, mut body) = ("/api/me?x=1".to_owned(), Vec::new(), None);
        carrier.render(
            token,
            Parts {
                target: &mut target,
                headers: &mut headers,
                body: &mut body,
            },
        );
        (target, headers, body.map(|b| String::from_utf8(b).unwrap()))
    }

    #[test]
    fn every_carrier_puts_the_token_where_it_says() {
        let bearer = Carrier::of_contract(&TokenPlacement::default());
        let (_, headers, _) = rendered(&bearer, "a.b.c");
        assert_eq!(headers, [("authorization".into(), "Bearer a.b.c".into())]);
        let (target, _, _) = rendered(&Carrier::Query("access_token".into()), "a+b/c=.d");
        assert_eq!(target, "/api/me?x=1&access_token=a%2Bb%2Fc%3D.d");
        let (_, _, body) = rendered(&Carrier::Form("access_token".into()), "a+b");
        assert_eq!(body.as_deref(), Some("access_token=a%2Bb"));
        let (_, headers, body) = rendered(&Carrier::JsonBody("t".into()), "a.b.c");
        assert_eq!(body.as_deref(), Some(r#"{"t":"a.b.c"}"#));
        assert_eq!(headers[0].1, "application/json");
        let (_, headers, _) = rendered(&Carrier::Cookie("token".into()), "a.b.c");
        assert_eq!(headers, [("cookie".into(), "token=a.b.c".into())]);
        let cookie_contract = TokenPlacement {
            placement: "cookie".into(),
            name: "session_jwt".into(),
            scheme: String::new(),
        };
        assert_eq!(
            Carrier::of_case(&Placement::Header, &cookie_contract),
            Carrier::Cookie("session_jwt".into())
        );
        assert_eq!(
            Carrier::of_case(&Placement::Query("token".into()), &cookie_contract),
            Carrier::Query("token".into())
        );
    }
}
