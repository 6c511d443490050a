//! Run-time helpers shared by the loader and the runner: `${var}` references and relative times.
//!
//! A reference is `${name}` with `name` an identifier (`[A-Za-z_][A-Za-z0-9_]*`); a `$` not
//! followed by `{` is literal, and there is no escape for a literal `${`. Relative times are `now`, `now+<n><unit>` and
//! `now-<n><unit>` with `unit` one of `s`, `m`, `h`, `d`.

use std::collections::BTreeMap;

/// Variables every run provides, besides those captured by `[[flow]]` steps.
///
/// `session_token` (the opaque Better Auth session token), `session_cookie` (the session's
/// `Cookie` header value), `jwt` (the base JWT), `user_email`, `user_password`, `user_name` (the
/// test user), `frontend_origin` (the origin the backend's CORS allows), `foreign_origin` (one it
/// must not allow), `issuer` (the base JWT's `iss`), `auth_origin` (the auth server's origin).
pub const BUILTIN_VARS: &[&str] = &[
    "session_token",
    "session_cookie",
    "jwt",
    "user_email",
    "user_password",
    "user_name",
    "frontend_origin",
    "foreign_origin",
    "issuer",
    "auth_origin",
];

/// One piece of a string with references.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Piece<'a> {
    /// Literal text.
    Text(&'a str),
    /// `${name}` at this byte offset of the string.
    Var { name: &'a str, offset: usize },
}

/// A malformed reference: its byte offset in the string and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BadRef {
    pub offset: usize,
    pub fragment: String,
    pub message: String,
}

/// Splits `s` into literal text and references.
pub(crate) fn pieces(s: &str) -> Result<Vec<Piece<'_>>, BadRef> {
    let mut out = Vec::new();
    let mut lit_start = 0;
    let mut i = 0;
    let bytes = s.as_bytes();
    while i < bytes.len() {
        if s[i..].starts_with("${") {
            out.push(Piece::Text(&s[lit_start..i]));
            let rest = &s[i + 2..];
            let Some(end) = rest.find('}') else {
                return Err(BadRef {
                    offset: i,
                    fragment: s[i..].chars().take(24).collect(),
                    message: "unterminated `${`: no closing `}`".into(),
                });
            };
            let name = &rest[..end];
            if !is_var_name(name) {
                return Err(BadRef {
                    offset: i,
                    fragment: format!("${{{name}}}"),
                    message: format!(
                        "`${{{name}}}` is not a variable reference: names are letters, digits and `_`"
                    ),
                });
            }
            out.push(Piece::Var { name, offset: i });
            i += 2 + end + 1;
            lit_start = i;
        } else {
            // Step one whole character so slicing stays on char boundaries.
            i += s[i..].chars().next().map_or(1, char::len_utf8);
        }
    }
    out.push(Piece::Text(&s[lit_start..]));
    out.retain(|p| !matches!(p, Piece::Text("")));
    Ok(out)
}

/// True for an identifier: `[A-Za-z_][A-Za-z0-9_]*`.
pub fn is_var_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Replaces every `${name}` in `s` with its value.
///
/// An unknown variable is `Err(name)`; a malformed reference (no closing `}`, a name that is not
/// an identifier) is `Err` holding the reference text, which starts with `${`.
pub fn expand_vars(s: &str, vars: &BTreeMap<String, String>) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    for piece in pieces(s).map_err(|bad| bad.fragment)? {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Var { name, .. } => match vars.get(name) {
                Some(v) => out.push_str(v),
                None => return Err(name.to_owned()),
            },
        }
    }
    Ok(out)
}

/// Evaluates a relative time against `now` (Unix seconds): `now`, `now+30s`, `now-5m`,
/// `now+1h`, `now-2d`. `None` if `s` is not one, or on overflow.
pub fn parse_relative_time(s: &str, now: i64) -> Option<i64> {
    let rest = s.strip_prefix("now")?;
    if rest.is_empty() {
        return Some(now);
    }
    let (sign, rest) = match rest.as_bytes().first()? {
        b'+' => (1i64, &rest[1..]),
        b'-' => (-1i64, &rest[1..]),
        _ => return None,
    };
    let unit = rest.chars().last()?;
    let digits = &rest[..rest.len() - unit.len_utf8()];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: i64 = digits.parse().ok()?;
    let scale = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => return None,
    };
    now.checked_add(sign.checked_mul(n.checked_mul(scale)?)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_times() {
        assert_eq!(parse_relative_time("now", 100), Some(100));
        assert_eq!(parse_relative_time("now+30s", 100), Some(130));
        assert_eq!(parse_relative_time("now-5m", 1000), Some(700));
        assert_eq!(parse_relative_time("now+1h", 0), Some(3600));
        assert_eq!(parse_relative_time("now-2d", 0), Some(-172_800));
        for bad in [
            "", "now+", "now+5", "now 5m", "now+-5m", "now+5w", "Now", "now+5é",
        ] {
            assert_eq!(parse_relative_time(bad, 0), None, "{bad}");
        }
        assert_eq!(parse_relative_time("now+99999999999999999d", 0), None);
        assert_eq!(parse_relative_time("now+1s", i64::MAX), None);
    }

    #[test]
    fn expansion() {
        let vars: BTreeMap<String, String> = [("a".into(), "1".into()), ("b_2".into(), "é".into())]
            .into_iter()
            .collect();
        assert_eq!(expand_vars("x${a}y${b_2}", &vars).as_deref(), Ok("x1yé"));
        assert_eq!(expand_vars("$a $ $}", &vars).as_deref(), Ok("$a $ $}"));
        assert_eq!(expand_vars("${c}", &vars), Err("c".into()));
        assert_eq!(expand_vars("${a", &vars), Err("${a".into()));
        assert_eq!(expand_vars("${a-b}", &vars), Err("${a-b}".into()));
    }
}
