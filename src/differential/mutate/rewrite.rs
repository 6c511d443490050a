//! The text and byte rewrites behind the edits: signature changes (DER re-encoding, S + L,
//! truncation, …), base64url quirks of one segment, changes to the compact serialization, and
//! whole-text changes of the header or payload JSON that keep or break its meaning.

use super::edit::{Draft, Edit, EncOp, JsonOp, SigEdit, StructOp};
use crate::algorithm::ED25519_GROUP_ORDER;
use crate::dangerous::forge::rng::Rng;
use std::fmt::Write as _;

pub(super) fn sig_edits(draft: &Draft, sig: &mut Vec<u8>) {
    for e in &draft.edits {
        let Edit::Sig(op) = e else { continue };
        match op {
            SigEdit::BitFlip { byte, bit } => {
                if !sig.is_empty() {
                    let i = *byte as usize % sig.len();
                    sig[i] ^= 1 << (bit % 8);
                }
            }
            SigEdit::Truncate(n) => {
                let keep = sig.len().saturating_sub((*n as usize).max(1));
                sig.truncate(keep);
            }
            SigEdit::Extend(bytes) => sig.extend_from_slice(bytes),
            SigEdit::Zero => sig.iter_mut().for_each(|b| *b = 0),
            SigEdit::Empty => sig.clear(),
            SigEdit::Der => *sig = der_signature(sig),
            SigEdit::AddOrder => add_ed25519_order(sig),
            SigEdit::Random(seed) => {
                let len = sig.len().max(1);
                *sig = Rng::new(*seed).bytes(len);
            }
            SigEdit::Doubled => {
                let copy = sig.clone();
                sig.extend_from_slice(&copy);
            }
        }
    }
}

/// Raw r‖s as ASN.1 DER `SEQUENCE { INTEGER r, INTEGER s }`.
fn der_signature(raw: &[u8]) -> Vec<u8> {
    let half = raw.len() / 2;
    let int = |bytes: &[u8]| {
        let mut b: Vec<u8> = bytes.iter().copied().skip_while(|x| *x == 0).collect();
        if b.first().is_none_or(|x| x & 0x80 != 0) {
            b.insert(0, 0);
        }
        let mut out = vec![0x02];
        der_len(&mut out, b.len());
        out.extend(b);
        out
    };
    let body = [int(&raw[..half]), int(&raw[half..])].concat();
    let mut out = vec![0x30];
    der_len(&mut out, body.len());
    out.extend(body);
    out
}

fn der_len(out: &mut Vec<u8>, len: usize) {
    if len < 128 {
        out.push(len as u8);
    } else {
        out.push(0x81);
        out.push(len as u8);
    }
}

/// Adds the Ed25519 group order L to S (bytes 32..64, little-endian).
fn add_ed25519_order(sig: &mut [u8]) {
    if sig.len() != 64 {
        return;
    }
    let mut carry = 0u16;
    for (i, l) in ED25519_GROUP_ORDER.iter().enumerate() {
        let v = u16::from(sig[32 + i]) + u16::from(*l) + carry;
        sig[32 + i] = v as u8;
        carry = v >> 8;
    }
}

pub(super) fn encoding(op: &EncOp, seg: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    match op {
        EncOp::Pad(n) => format!("{seg}{}", "=".repeat(usize::from(*n).clamp(1, 2))),
        EncOp::StdAlphabet => seg.replace('-', "+").replace('_', "/"),
        EncOp::TrailingBits => {
            let bytes = seg.as_bytes();
            match (bytes.len() % 4, bytes.last()) {
                (2 | 3, Some(last)) => match ALPHABET.iter().position(|c| c == last) {
                    Some(i) => {
                        let mut s = seg[..seg.len() - 1].to_owned();
                        s.push(ALPHABET[i ^ 1] as char);
                        s
                    }
                    None => seg.to_owned(),
                },
                _ => seg.to_owned(),
            }
        }
        EncOp::Insert { pos, ch } => {
            let at = *pos as usize % (seg.len() + 1);
            let mut s = seg.to_owned();
            if s.is_char_boundary(at) {
                s.insert(at, *ch);
            }
            s
        }
        EncOp::DropLast => {
            let mut s = seg.to_owned();
            s.pop();
            s
        }
        EncOp::Empty => String::new(),
        EncOp::FlipCase { pos } => {
            if seg.is_empty() {
                return String::new();
            }
            let at = *pos as usize % seg.len();
            seg.char_indices()
                .map(|(i, c)| {
                    if i != at {
                        c
                    } else if c.is_ascii_lowercase() {
                        c.to_ascii_uppercase()
                    } else {
                        c.to_ascii_lowercase()
                    }
                })
                .collect()
        }
    }
}

pub(super) fn structure(op: &StructOp, token: &str) -> String {
    let segs: Vec<&str> = token.splitn(3, '.').collect();
    match op {
        StructOp::AppendDot => format!("{token}."),
        StructOp::AppendSegment => format!("{token}.e30"),
        StructOp::DropSignature => match segs.as_slice() {
            [h, p, _] => format!("{h}.{p}"),
            _ => token.to_owned(),
        },
        StructOp::LeadingDot => format!(".{token}"),
        StructOp::SwapHeaderPayload => match segs.as_slice() {
            [h, p, s] => format!("{p}.{h}.{s}"),
            _ => token.to_owned(),
        },
        StructOp::Prefix(p) => format!("{p}{token}"),
        StructOp::Suffix(s) => format!("{token}{s}"),
        StructOp::Twice => format!("{token}.{token}"),
    }
}

pub(super) fn json_op(op: &JsonOp, text: &str) -> String {
    match op {
        JsonOp::Replace(t) => t.clone(),
        JsonOp::LeadingWhitespace => format!(" \n{text}"),
        JsonOp::TrailingWhitespace => format!("{text}\n "),
        JsonOp::ByteOrderMark => format!("\u{feff}{text}"),
        JsonOp::Truncate => {
            let mut c = text.chars();
            c.next_back();
            c.as_str().to_owned()
        }
        JsonOp::ExtraBrace => format!("{text}}}"),
        JsonOp::Respace => outside_strings(text, |c, out| match c {
            ':' => out.push_str(" : "),
            ',' => out.push_str(" , "),
            _ => out.push(c),
        }),
        JsonOp::EscapedSlashes => text.replace('/', "\\/"),
        JsonOp::EscapedNames => escape_member_names(text),
    }
}

/// Rewrites the characters outside JSON strings with `f`; strings are copied unchanged.
fn outside_strings(text: &str, mut f: impl FnMut(char, &mut String)) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut in_string = false;
    let mut escaped = false;
    for c in text.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else {
            f(c, &mut out);
        }
    }
    out
}

/// Escapes the first character of every top-level member name as `\u00XX` (same JSON).
fn escape_member_names(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 32);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut expect_name = false;
    let mut at_name_start = false;
    for c in text.chars() {
        if in_string {
            if at_name_start {
                at_name_start = false;
                if c.is_ascii_alphanumeric() {
                    let _ = write!(out, "\\u{:04x}", c as u32);
                    continue;
                }
            }
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        out.push(c);
        match c {
            '"' => {
                in_string = true;
                if depth == 1 && expect_name {
                    at_name_start = true;
                    expect_name = false;
                }
            }
            '{' => {
                depth += 1;
                expect_name = depth == 1;
            }
            '[' => depth += 1,
            '}' | ']' => depth = depth.saturating_sub(1),
            ',' => expect_name = depth == 1,
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::json_literal::{escaped_first, exponent};
    use super::*;
    use serde_json::Value;

    #[test]
    fn json_rewrites_keep_meaning() {
        let text = r#"{"alg":"EdDSA","kid":"a:b","n":[1,{"x":2}]}"#;
        let spaced = json_op(&JsonOp::Respace, text);
        assert_eq!(
            serde_json::from_str::<Value>(&spaced).unwrap(),
            serde_json::from_str::<Value>(text).unwrap()
        );
        assert!(spaced.contains("\"a:b\""));
        let escaped = escape_member_names(text);
        assert!(escaped.starts_with(r#"{"\u0061lg""#), "{escaped}");
        assert_eq!(
            serde_json::from_str::<Value>(&escaped).unwrap(),
            serde_json::from_str::<Value>(text).unwrap()
        );
        assert_eq!(exponent(1_795_690_624), "1.795690624e9");
        assert_eq!(exponent(1_700_000_000), "1.700000000e9");
        assert_eq!("1.700000000e9".parse::<f64>().unwrap(), 1_700_000_000.0);
        assert_eq!(escaped_first("abc"), "\"\\u0061bc\"");
    }

    #[test]
    fn der_and_order() {
        let raw = [0x80u8; 64];
        let der = der_signature(&raw);
        assert_eq!(der[0], 0x30);
        assert_eq!(der[2], 0x02);
        assert_eq!(der[3], 33);
        let mut sig = [0u8; 64];
        add_ed25519_order(&mut sig);
        assert_eq!(sig[32], 0xed);
        assert_eq!(sig[63], 0x10);
    }
}
