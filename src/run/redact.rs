//! Redaction: tokens and key material never reach a report, a log line or a reproduction.

/// Replaces every secret (and anything shaped like a compact JWS) in `text`.
pub fn redact(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_owned();
    let mut sorted: Vec<&String> = secrets.iter().filter(|s| s.len() >= 8).collect();
    sorted.sort_by_key(|s| std::cmp::Reverse(s.len()));
    for secret in sorted {
        if out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), "<redacted>");
        }
    }
    redact_jws_shapes(&out)
}

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
        Some(t) if !t.is_empty() => s.replace(t, "$TOKEN"),
        _ => s.to_owned(),
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
