//! Redaction: tokens and key material never reach a report, a log line or a reproduction.

use std::borrow::Cow;

/// Replaces every secret (and anything shaped like a compact JWS) in `text`.
pub fn redact(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_owned();
    let mut sorted: Vec<&String> = secrets.iter().filter(|s| s.len() >= 8).collect();
    sorted.sort_by_key(|s| std::cmp::Reverse(s.len()));
    for secret in sorted {
        if let Cow::Owned(replaced) = replace_all(&out, secret, "<redacted>") {
            out = replaced;
        }
    }
    redact_jws_shapes(&out)
}

/// `text` with every occurrence of `needle` replaced: SIMD search (memchr) and no work at all
/// when `needle` cannot occur. Tokens of a megabyte are common here (the size-cap attacks): a
/// searcher as long as the needle costs time in proportion to it on every call, so a long needle
/// is looked for by its first [`LONG_NEEDLE_PREFIX`] bytes and compared in full where they occur.
/// `text` itself, not a copy, when `needle` does not occur.
pub fn replace_all<'a>(text: &'a str, needle: &str, with: &str) -> Cow<'a, str> {
    if needle.is_empty() || needle.len() > text.len() {
        return Cow::Borrowed(text);
    }
    let (hay, pattern) = (text.as_bytes(), needle.as_bytes());
    let finder = memchr::memmem::Finder::new(&pattern[..pattern.len().min(LONG_NEEDLE_PREFIX)]);
    let mut out = String::new();
    let (mut last, mut from) = (0, 0);
    while let Some(found) = finder.find(&hay[from..]) {
        let at = from + found;
        if hay[at..].starts_with(pattern) {
            // `at` and `at + needle.len()` are char boundaries: a whole `&str` matched there.
            if last == 0 {
                out.reserve(text.len()); // the first match: a copy is needed after all
            }
            out.push_str(&text[last..at]);
            out.push_str(with);
            last = at + pattern.len();
            from = last;
        } else {
            from = at + 1;
        }
    }
    if last == 0 {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[last..]);
    Cow::Owned(out)
}

/// How much of a long needle [`replace_all`] searches for before comparing the rest.
const LONG_NEEDLE_PREFIX: usize = 64;

/// Replaces `eyJ…` three-segment strings (any compact JWS) with `<redacted:jwt>`.
pub fn redact_jws_shapes(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        if text[i..].starts_with("eyJ") {
            let mut j = i;
            let mut dots = 0;
            while j < bytes.len() && (crate::base64url::is_alphabet(bytes[j]) || bytes[j] == b'.') {
                if bytes[j] == b'.' {
                    dots += 1;
                }
                j += 1;
            }
            if dots >= 2 {
                out.push_str("<redacted:jwt>");
                i = j;
                continue;
            }
        }
        let ch = text[i..].chars().next().unwrap_or('\u{FFFD}');
        out.push(ch);
        i += ch.len_utf8().max(1);
    }
    out
}

/// A curl command reproducing a request, with the credential as `$TOKEN`.
pub fn curl(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: Option<&[u8]>,
    token: Option<&str>,
    secrets: &[String],
) -> String {
    let tokenize = |s: &str| match token {
        Some(t) => replace_all(s, t, "$TOKEN").into_owned(),
        None => s.to_owned(),
    };
    let quote = |s: &str| format!("'{}'", s.replace('\'', "'\\''"));
    let mut cmd = format!(
        "curl -i -X {method} {}",
        quote(&redact(&tokenize(url), secrets))
    );
    for (name, value) in headers {
        let shown = redact(&tokenize(value), secrets);
        let arg = format!("{name}: {shown}").replace("'$TOKEN'", "$TOKEN");
        cmd.push_str(&format!(
            " -H {}",
            quote(&arg).replace("$TOKEN", "'\"$TOKEN\"'")
        ));
    }
    if let Some(body) = body {
        let text = redact(&tokenize(&String::from_utf8_lossy(body)), secrets);
        cmd.push_str(&format!(
            " --data-raw {}",
            quote(&text).replace("$TOKEN", "'\"$TOKEN\"'")
        ));
    }
    cmd
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_all_is_str_replace() {
        for (text, needle) in [
            ("aaaa", "aa"),
            ("abcabc", "abc"),
            ("abc", "abc"),
            ("abc", "abd"),
            ("ab", "abc"),
            ("xaax", ""),
            ("a€b€", "€"),
        ] {
            let expected = if needle.is_empty() {
                text.to_owned()
            } else {
                text.replace(needle, "<r>")
            };
            assert_eq!(
                replace_all(text, needle, "<r>"),
                expected,
                "{text} / {needle}"
            );
        }
    }

    #[test]
    fn replace_all_finds_long_needles_by_their_prefix() {
        let long = "p".repeat(LONG_NEEDLE_PREFIX) + "-tail";
        let near = "p".repeat(LONG_NEEDLE_PREFIX) + "-tall";
        for text in [
            format!("Bearer {long}"),
            format!("{near}{long}{long}x"),
            format!("{long}{near}"),
            format!("p{long}€{long}"),
            near.clone(),
            format!("{near}{near}"),
        ] {
            assert_eq!(
                replace_all(&text, &long, "$T"),
                text.replace(&long, "$T"),
                "{text}"
            );
        }
    }

    proptest::proptest! {
        /// Needles either side of the prefix length, over an alphabet small enough to make
        /// near misses and overlaps common.
        #[test]
        fn replace_all_matches_str_replace(
            text in "[ab€]{0,300}",
            needle in "[ab€]{1,90}",
        ) {
            proptest::prop_assert_eq!(replace_all(&text, &needle, "<r>"), text.replace(&needle, "<r>"));
        }

        #[test]
        fn replace_all_finds_a_planted_long_needle(
            before in "[ab]{0,80}",
            needle in "[ab]{60,120}",
            after in "[ab]{0,80}",
        ) {
            let text = format!("{before}{needle}{after}");
            proptest::prop_assert_eq!(replace_all(&text, &needle, "<r>"), text.replace(&needle, "<r>"));
        }
    }

    #[test]
    fn redacts_tokens_and_secrets() {
        let t = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiIxIn0.c2ln";
        assert_eq!(redact(&format!("got {t}!"), &[]), "got <redacted:jwt>!");
        assert_eq!(
            redact("key=supersecretvalue", &["supersecretvalue".into()]),
            "key=<redacted>"
        );
        let c = curl(
            "GET",
            "http://x/api/me",
            &[("authorization".into(), format!("Bearer {t}"))],
            None,
            Some(t),
            &[],
        );
        assert!(c.contains("$TOKEN") && !c.contains("eyJ"), "{c}");
    }
}
