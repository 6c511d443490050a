//! Small predicates the semantic validation uses: HTTP tokens, kebab-case ids, rule ids, JSON
//! pointers and text, capture sources.

use super::hint::closest;
use super::vars::{pieces, Piece};

/// RFC 9110 `token` (methods, header names): one or more `tchar`.
pub fn is_http_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// `lower-case-words-joined-by-dashes` (digits allowed).
pub fn is_kebab(s: &str) -> bool {
    !s.is_empty()
        && s.split('-').all(|w| {
            !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// A kebab-case spelling of `s`, if a mechanical one exists.
pub fn kebab_suggestion(s: &str) -> Option<String> {
    let mut out = String::new();
    for c in s.trim().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if matches!(c, '-' | '_' | ' ' | '.' | '/') {
            if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
        } else {
            return None;
        }
    }
    let out = out.trim_end_matches('-').to_owned();
    (is_kebab(&out) && out != s).then_some(out)
}

/// `AP-` followed by letters, digits, `-` and `_`.
pub fn is_rule_id(s: &str) -> bool {
    s.strip_prefix("AP-").is_some_and(|rest| {
        !rest.is_empty()
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// A fix for a bad rule id.
pub fn rule_hint(s: &str) -> String {
    let upper_prefix = s.get(..3).filter(|p| p.eq_ignore_ascii_case("AP-"));
    let candidate = match upper_prefix {
        Some(_) => format!("AP-{}", &s[3..]),
        None => format!("AP-{s}"),
    };
    if !s.is_empty() && is_rule_id(&candidate) {
        format!("did you mean `{candidate}`?")
    } else {
        "rule ids are `AP-` then letters, digits, `-` or `_`, e.g. `AP-EC-TOKEN_EXPIRED`".into()
    }
}

/// RFC 6901 JSON pointer to a member (not the whole document): `/a/b~1c`.
pub fn is_json_pointer(s: &str) -> bool {
    s.starts_with('/') && {
        let b = s.as_bytes();
        b.iter()
            .enumerate()
            .all(|(i, &c)| c != b'~' || matches!(b.get(i + 1), Some(b'0' | b'1')))
    }
}

/// A fix for a bad JSON pointer.
pub fn pointer_hint(s: &str) -> String {
    if s.starts_with('/') {
        "`~` must be written `~0` and `/` inside a name `~1` (RFC 6901)".into()
    } else {
        format!("JSON pointers start with `/`: did you mean `/{s}`?")
    }
}

/// `s` with each `${var}` replaced by `placeholder`, to check the text's own grammar.
pub fn with_placeholders(s: &str, placeholder: &str) -> Result<String, String> {
    let mut probe = String::with_capacity(s.len());
    for piece in pieces(s).map_err(|bad| bad.message)? {
        match piece {
            Piece::Text(t) => probe.push_str(t),
            Piece::Var { .. } => probe.push_str(placeholder),
        }
    }
    Ok(probe)
}

/// Checks `s` is JSON text once each `${var}` is replaced by `0` (a reference is expanded before
/// the text is parsed at run time). Grammar only: huge numbers and duplicate names are allowed,
/// since attacks use them. `Err` holds serde_json's message.
pub fn check_json(s: &str) -> Result<(), String> {
    let probe = with_placeholders(s, "0")?;
    serde_json::from_str::<serde::de::IgnoredAny>(&probe)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// A fix for text that is not JSON.
pub fn json_hint(s: &str) -> String {
    let t = s.trim();
    let bare = !t.is_empty() && !t.starts_with(['"', '{', '[']) && !t.contains('"');
    if bare && t.parse::<f64>().is_err() && !matches!(t, "true" | "false" | "null") {
        format!("a JSON string keeps its quotes inside the TOML string: `'\"{t}\"'`")
    } else {
        "values are raw JSON text, e.g. `'\"text\"'`, `42`, `true`, `'[\"a\"]'`".into()
    }
}

/// Checks a flow capture source; `Err((message, hint))`.
pub fn check_capture(src: &str) -> Result<(), (String, String)> {
    const KINDS: [&str; 3] = ["header", "json", "cookie"];
    let usage = "sources are `header:<name>`, `json:<pointer>` or `cookie:<name>`".to_owned();
    let Some((kind, arg)) = src.split_once(':') else {
        return Err((format!("`{src}` is not a capture source"), usage));
    };
    match kind {
        "header" | "cookie" if is_http_token(arg) => Ok(()),
        "header" | "cookie" => Err((
            format!("`{arg}` is not a {kind} name"),
            "names are non-empty HTTP tokens (letters, digits, `-`, `_`, …)".into(),
        )),
        "json" if is_json_pointer(arg) => Ok(()),
        "json" => Err((format!("`{arg}` is not a JSON pointer"), pointer_hint(arg))),
        _ => {
            let hint = closest(kind, KINDS).map_or(usage, |k| format!("did you mean `{k}:{arg}`?"));
            Err((format!("`{kind}` is not a capture source kind"), hint))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predicates() {
        assert!(is_http_token("GET") && is_http_token("set-auth-jwt") && !is_http_token("a b"));
        assert!(is_kebab("expired-token-2") && !is_kebab("Expired") && !is_kebab("a--b"));
        assert_eq!(
            kebab_suggestion("Expired_Token").as_deref(),
            Some("expired-token")
        );
        assert!(is_rule_id("AP-EC-TOKEN_EXPIRED") && !is_rule_id("AP-") && !is_rule_id("ap-x"));
        assert_eq!(rule_hint("ap-x"), "did you mean `AP-x`?");
        assert!(is_json_pointer("/a~0b/~1") && !is_json_pointer("a") && !is_json_pointer("/~2"));
        assert!(check_json("\"${a}\"").is_ok() && check_json("${a}").is_ok());
        assert!(check_json("1e999").is_ok() && check_json("hello").is_err());
        assert!(check_capture("header:set-auth-jwt").is_ok());
        assert!(check_capture("json:/token").is_ok() && check_capture("cookie:sid").is_ok());
        let (_, hint) = check_capture("headers:x").expect_err("bad kind");
        assert_eq!(hint, "did you mean `header:x`?");
    }
}
