//! JSON literal text the generator writes into members: quoted strings, a string whose first
//! character is a `\u` escape, a NumericDate in exponent notation, nested arrays.

/// `1.795690624e9` for 1795690624 (the same number in exponent notation).
pub(super) fn exponent(v: i64) -> String {
    let digits = v.unsigned_abs().to_string();
    let sign = if v < 0 { "-" } else { "" };
    if digits.len() < 2 {
        return format!("{sign}{digits}e0");
    }
    format!(
        "{sign}{}.{}e{}",
        &digits[..1],
        &digits[1..],
        digits.len() - 1
    )
}

/// `s` as a JSON string literal (short: the value pools spell hundreds of them).
pub(super) fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// A JSON string whose first character is written as a `\u` escape (the same string).
pub(super) fn escaped_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if (c as u32) < 0x10000 => {
            let rest = q(chars.as_str());
            format!("\"\\u{:04x}{}", c as u32, &rest[1..])
        }
        _ => q(s),
    }
}

/// `s` without its last character.
pub(super) fn chop(s: &str) -> String {
    let mut c = s.chars();
    c.next_back();
    c.as_str().to_owned()
}

/// `depth` empty arrays nested in each other (`[[[]]]`).
pub(super) fn nested(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}
