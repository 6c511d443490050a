//! "Did you mean …" suggestions and short fix hints for load errors.
//!
//! Suggestions use the optimal-string-alignment (restricted Damerau–Levenshtein) distance,
//! compared case-insensitively, and are only offered when the distance is at most 2 and at most a
//! third of the longer name.

/// Restricted Damerau–Levenshtein distance (insertions, deletions, substitutions and adjacent
/// transpositions each cost 1), over characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Three rolling rows: i-2, i-1, i.
    let mut prev2: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur: Vec<usize> = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(prev2[j - 2] + 1);
            }
            cur[j] = d;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The candidate closest to `wanted`, if it is close enough to be a likely typo. Ties go to the
/// earlier candidate.
pub fn closest<'a, I>(wanted: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let w = wanted.to_lowercase();
    let mut best: Option<(usize, &'a str)> = None;
    for c in candidates {
        let d = edit_distance(&w, &c.to_lowercase());
        let longest = w.chars().count().max(c.chars().count());
        if d <= 2 && d * 3 <= longest && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// `did you mean `x`?` for the closest candidate.
pub fn did_you_mean<'a, I>(wanted: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    closest(wanted, candidates).map(|c| format!("did you mean `{c}`?"))
}

/// The fields of each table of the format, for "this key belongs elsewhere" hints.
const TABLES: &[(&str, &[&str])] = &[
    ("[suite]", &["name", "description", "server"]),
    (
        "[[case]]",
        &[
            "id", "title", "rule", "severity", "tags", "server", "token", "request", "expect",
            "retries", "needs",
        ],
    ),
    (
        "[[flow]]",
        &["name", "server", "request", "expect_status", "capture"],
    ),
    (
        "[case.token]",
        &["from", "header", "claims", "sign", "catalogue"],
    ),
    (
        "[[case.token.claims]] / [[case.token.header]]",
        &["name", "op", "value"],
    ),
    (
        "[case.request] / [flow.request]",
        &[
            "method",
            "path",
            "placement",
            "headers",
            "authorization",
            "body",
            "content_type",
            "repeat",
        ],
    ),
    (
        "[case.expect]",
        &[
            "outcome",
            "status",
            "code",
            "headers",
            "headers_absent",
            "json",
            "no_secrets_in_body",
        ],
    ),
];

/// The backtick-quoted words of a serde message, in order.
fn backticked(msg: &str) -> Vec<&str> {
    msg.split('`').skip(1).step_by(2).collect()
}

/// The key written before the value at `start` on its line (`key = value`), if any.
fn key_before(text: &str, start: usize) -> Option<&str> {
    let head = text.get(..start)?;
    let line = &head[head.rfind('\n').map_or(0, |i| i + 1)..];
    let key = line.trim_end().strip_suffix('=')?.trim();
    let key = key.rsplit(['.', '{', ',']).next()?.trim();
    (!key.is_empty()).then_some(key.trim_matches(['"', '\'']))
}

/// Rewrites serde's Rust-flavoured type names into the format's words.
pub fn tidy_message(msg: &str) -> String {
    let mut out = msg.to_owned();
    if let Some(i) = out.find("expected struct ") {
        out.truncate(i);
        out.push_str("expected a table");
    }
    if let Some(i) = out.find("expected enum ") {
        out.truncate(i);
        out.push_str("expected a string or an inline table");
    }
    for (from, to) in [
        (
            "wanted string or table",
            "expected a string or an inline table",
        ),
        ("expected a map", "expected a table"),
        ("expected a sequence", "expected an array"),
        ("expected u16", "expected an integer 0..=65535"),
        ("expected u32", "expected an integer 0..=4294967295"),
    ] {
        out = out.replace(from, to);
    }
    out
}

/// A hint for a serde error (unknown field or variant, wrong type, missing field) whose value
/// starts at byte `start` of `text`.
pub fn field_hint(msg: &str, text: &str, start: usize) -> Option<String> {
    let words = backticked(msg);
    if msg.starts_with("unknown field") {
        let (wanted, expected) = words.split_first()?;
        if let Some(h) = did_you_mean(wanted, expected.iter().copied()) {
            return Some(h);
        }
        if *wanted == "expect" && expected.contains(&"expect_status") {
            return Some("a flow step checks only its status: `expect_status = 200`".into());
        }
        let homes: Vec<&str> = TABLES
            .iter()
            .filter(|(_, fields)| fields.contains(wanted))
            .map(|(table, _)| *table)
            .collect();
        return (!homes.is_empty())
            .then(|| format!("`{wanted}` is a field of {}", homes.join(" or ")));
    }
    if msg.starts_with("unknown variant") {
        let (wanted, expected) = words.split_first()?;
        return did_you_mean(wanted, expected.iter().copied());
    }
    if let Some(field) = msg.strip_prefix("missing field ") {
        return Some(match field.trim().trim_matches('`') {
            "suite" => {
                "start the file with a `[suite]` table holding `name` and `description`".into()
            }
            "request" => {
                "add `[flow.request]` with at least a `path`, or `request = { path = \"/…\" }`"
                    .into()
            }
            field => format!("add `{field} = …` to this table"),
        });
    }
    let key = key_before(text, start).unwrap_or("key");
    if msg.contains("expected newtype variant") {
        let variant = text
            .get(start..)
            .and_then(|s| s.split(['\n', '#']).next())
            .map(|s| s.trim().trim_matches(['"', '\'']))
            .unwrap_or("cookie");
        return Some(format!(
            "this variant takes a name: write `{key} = {{ {variant} = \"<name>\" }}`"
        ));
    }
    if msg.starts_with("wanted string or table") {
        return Some(if key == "placement" {
            "write `placement = \"header\"` or `placement = { cookie = \"<name>\" }`".into()
        } else {
            format!("write `{key} = \"…\"` or `{key} = {{ … }}`")
        });
    }
    let got_string = msg.starts_with("invalid type: string");
    if msg.contains("expected struct") || msg.contains("expected a map") {
        return Some(format!(
            "`{key}` is a table: write `{key} = {{ … }}` or a `[….{key}]` header"
        ));
    }
    if msg.contains("expected a sequence") {
        return Some(format!("`{key}` is an array: write `{key} = [ … ]`"));
    }
    if msg.starts_with("invalid type: floating point") && msg.contains("expected u") {
        return Some("write a whole number".into());
    }
    if got_string && (msg.contains("expected u") || msg.contains("expected i")) {
        return Some("write the number without quotes".into());
    }
    if msg.contains("expected a boolean") {
        return Some("write `true` or `false`, without quotes".into());
    }
    if msg.contains("expected a string") {
        return Some("quote the value: `\"…\"`".into());
    }
    if msg.starts_with("invalid value: integer") && msg.contains("expected u16") {
        return Some("the value must be between 0 and 65535".into());
    }
    if msg.starts_with("invalid value: integer") && msg.contains("expected u32") {
        return Some("the value must be a non-negative integer".into());
    }
    None
}

/// A hint for a TOML grammar error.
pub fn syntax_hint(msg: &str) -> Option<String> {
    let m = msg.to_lowercase();
    let hint = if m.contains("duplicate key") {
        "a key may appear only once per table; for several cases start each with `[[case]]`"
    } else if m.contains("must be quoted") {
        "quote string values: `key = \"value\"`"
    } else if m.contains("invalid basic string") || m.contains("invalid literal string") {
        "close the string on the same line with the quote that opened it, or use `\"\"\"` / `'''` for multi-line text"
    } else if m.contains("invalid table header") || m.contains("invalid array of tables header") {
        "table headers are `[name]`, arrays of tables `[[name]]`"
    } else if m.contains("unclosed table") || m.contains("unclosed array") {
        "close the header with `]` (`]]` for an array of tables) on the same line"
    } else if m.contains("expected `=`") || m.contains("key with no value") {
        "each line is `key = value`"
    } else {
        return None;
    };
    Some(hint.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("", ""), 0);
        assert_eq!(edit_distance("statu", "status"), 1);
        assert_eq!(edit_distance("stauts", "status"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("é", "e"), 1);
    }

    #[test]
    fn suggestions() {
        assert_eq!(closest("statu", ["outcome", "status"]), Some("status"));
        assert_eq!(closest("B1", ["A01", "B01", "B02"]), Some("B01"));
        assert_eq!(
            closest("token_expired", ["TOKEN_EXPIRED"]),
            Some("TOKEN_EXPIRED")
        );
        assert_eq!(closest("xyz", ["status"]), None);
        assert_eq!(closest("Z99", ["A09"]), None);
    }

    #[test]
    fn field_hints() {
        let msg = "unknown field `status`, expected one of `id`, `title`";
        assert_eq!(
            field_hint(msg, "", 0).as_deref(),
            Some("`status` is a field of [case.expect]")
        );
        let text = "x = 1\ntoken = 'a'\n";
        assert_eq!(
            field_hint("invalid type: string \"a\", expected struct T", text, 14).as_deref(),
            Some("`token` is a table: write `token = { … }` or a `[….token]` header")
        );
    }
}
