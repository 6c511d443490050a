//! Batch validation: many tokens against one fixed key set, validated on every core (rayon), one
//! NDJSON record per token in input order. Behind `authprobe validate --batch`.
//!
//! A record never contains the token. An accepted token's record names the algorithm and `kid`;
//! a rejected one's carries the contract code, its HTTP status and the validator's detail:
//!
//! ```text
//! {"line":1,"verdict":"accepted","alg":"EdDSA","kid":"k7QwZp2LxR9vTmN4bYc8HsJd3FgEa6Uu"}
//! {"line":3,"verdict":"rejected","code":"TOKEN_EXPIRED","status":401,"detail":"exp … is not after now …"}
//! ```
//!
//! `line` is the 1-based line number in the input, blank lines included in the count, so a record
//! points at its token even when blank lines were skipped.

use super::{Clock, Validator, Verdict};
use crate::jwk::KeySet;
use rayon::prelude::*;
use serde::Serialize;

/// One token of a batch: its 1-based line number and its bytes (no line terminator).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchLine<'a> {
    pub line: usize,
    pub token: &'a [u8],
}

/// A verdict rendered for output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub accepted: bool,
    /// The NDJSON object, without a newline.
    pub json: String,
}

#[derive(Serialize)]
#[serde(untagged)]
enum RecordJson<'a> {
    Accepted {
        line: usize,
        verdict: &'static str,
        alg: &'static str,
        kid: Option<&'a str>,
    },
    Rejected {
        line: usize,
        verdict: &'static str,
        code: &'static str,
        status: u16,
        detail: &'a str,
    },
}

/// The NDJSON record of one verdict.
pub fn record(line: usize, verdict: &Verdict) -> Record {
    let json = match verdict {
        Ok(v) => RecordJson::Accepted {
            line,
            verdict: "accepted",
            alg: v.alg.name(),
            kid: v.kid.as_deref(),
        },
        Err(r) => RecordJson::Rejected {
            line,
            verdict: "rejected",
            code: r.code().as_str(),
            status: r.code().status(),
            detail: &r.detail,
        },
    };
    Record {
        accepted: verdict.is_ok(),
        json: serde_json::to_string(&json).expect("records serialize"),
    }
}

/// Validates every token in parallel on rayon's pool; the records come back in the order of
/// `lines`.
pub fn validate_batch(
    validator: &Validator,
    keys: &KeySet,
    clock: &dyn Clock,
    lines: &[BatchLine<'_>],
) -> Vec<Record> {
    lines
        .par_iter()
        .map(|l| record(l.line, &validator.validate(l.token, keys, clock)))
        .collect()
}

/// Splits one line off the front of an input line: drops a trailing `\n` and then `\r`.
pub fn strip_line_end(mut line: &[u8]) -> &[u8] {
    if let Some(rest) = line.strip_suffix(b"\n") {
        line = rest;
    }
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// True for a line that holds no token: empty or only ASCII whitespace. Anything else, even a
/// token with a stray space, is validated (and refused as malformed).
pub fn is_blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::{FixedClock, Policy};

    #[test]
    fn lines_and_blanks() {
        assert_eq!(strip_line_end(b"abc\r\n"), b"abc");
        assert_eq!(strip_line_end(b"abc\n"), b"abc");
        assert_eq!(strip_line_end(b"abc"), b"abc");
        assert!(is_blank(b""));
        assert!(is_blank(b" \t"));
        assert!(!is_blank(b" x"));
    }

    #[test]
    fn records_keep_order_and_never_echo_the_token() {
        let validator = Validator::new(Policy::better_auth("i", "a"));
        let keys = KeySet::default();
        let lines = [
            BatchLine {
                line: 1,
                token: b"not-a-token",
            },
            BatchLine {
                line: 4,
                token: b"e30.e30.",
            },
        ];
        let records = validate_batch(&validator, &keys, &FixedClock(0), &lines);
        assert_eq!(records.len(), 2);
        assert!(records[0].json.starts_with(
            r#"{"line":1,"verdict":"rejected","code":"MALFORMED_TOKEN","status":401"#
        ));
        assert!(records[1].json.starts_with(r#"{"line":4,"#));
        assert!(!records[0].json.contains("not-a-token"));
        assert!(records.iter().all(|r| !r.accepted));
    }
}
