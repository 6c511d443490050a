//! Compact JWS parsing, byte-exact (RFC 7515 §3.1, §5.2).
//!
//! A [`Token`] keeps the exact string it was parsed from: the signing input, each raw segment and
//! the decoded header and payload bytes. Printing it back gives the same bytes, and later work
//! (forging attacks, shrinking fuzz findings) edits one segment without re-encoding the others.
//! Only the compact serialization exists here; JSON serialization is refused by construction
//! (ATTACKS.md G04, CVE-2022-39227).

use crate::base64url::{self, Base64Error};
use crate::strict_json::{self, JsonError, Members};
use serde_json::{Map, Value};
use std::fmt;
use std::sync::OnceLock;

/// Caps applied while parsing; the defaults are the Better Auth profile's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseLimits {
    /// Longest accepted token, in bytes.
    pub max_token_bytes: usize,
    /// Deepest accepted nesting of JSON arrays/objects in the header or claims.
    pub max_json_depth: usize,
}

impl Default for ParseLimits {
    fn default() -> Self {
        ParseLimits {
            max_token_bytes: 16 * 1024,
            max_json_depth: 16,
        }
    }
}

/// The three parts of a compact JWS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment {
    Header,
    Payload,
    Signature,
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Segment::Header => "header",
            Segment::Payload => "payload",
            Segment::Signature => "signature",
        })
    }
}

/// Why a byte string is not a compact JWS. Offsets are byte offsets into the whole token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    #[error("token is {len} bytes, over the limit of {max}")]
    TooLarge { len: usize, max: usize },
    #[error("token has {found} segments; a compact JWS has exactly 3")]
    SegmentCount { found: usize },
    #[error("{segment} segment is empty")]
    EmptySegment { segment: Segment },
    #[error("{segment} segment is not strict base64url (token offset {offset}): {source}")]
    Base64 {
        segment: Segment,
        offset: usize,
        source: Base64Error,
    },
    #[error("{segment} is not acceptable JSON: {source}")]
    Json { segment: Segment, source: JsonError },
}

/// A parsed compact JWS. The payload is kept as bytes: a JWS payload need not be JSON, and the
/// JWT layer in [`crate::validate`] decides what it must be.
///
/// The header is checked to be a strict JSON object while parsing; the owned map
/// [`Token::header`] returns is built the first time it is asked for (the validator reads the
/// header through [`Token::header_members`] and never needs it).
#[derive(Clone)]
pub struct Token {
    raw: String,
    first_dot: usize,
    second_dot: usize,
    header: OnceLock<Map<String, Value>>,
    header_json: Vec<u8>,
    max_json_depth: usize,
    payload: Vec<u8>,
    signature: Vec<u8>,
}

impl PartialEq for Token {
    /// Two tokens are equal when their text is: everything else is derived from it.
    fn eq(&self, other: &Token) -> bool {
        self.raw == other.raw
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The raw token is a credential; keep it out of debug output.
        f.debug_struct("Token")
            .field("header", self.header())
            .field("payload_len", &self.payload.len())
            .field("signature_len", &self.signature.len())
            .finish_non_exhaustive()
    }
}

impl Token {
    /// Parses a compact JWS with the default limits.
    pub fn parse(input: impl AsRef<[u8]>) -> Result<Token, ParseError> {
        Token::parse_with(input.as_ref(), ParseLimits::default())
    }

    /// Parses a compact JWS: size cap, exactly three segments, strict base64url in each, and a
    /// protected header that is a strict JSON object. An empty signature segment is syntactically
    /// allowed (it is what `alg: none` looks like); the validator refuses it later.
    pub fn parse_with(input: &[u8], limits: ParseLimits) -> Result<Token, ParseError> {
        Token::parse_inspecting(input, limits, |_| ()).map(|(token, ())| token)
    }

    /// [`Token::parse_with`], handing the header's borrowed members to `inspect` while they
    /// are at hand, so that a caller that reads the header does not parse it a second time.
    pub fn parse_inspecting<R>(
        input: &[u8],
        limits: ParseLimits,
        inspect: impl FnOnce(&Members<'_>) -> R,
    ) -> Result<(Token, R), ParseError> {
        if input.len() > limits.max_token_bytes {
            return Err(ParseError::TooLarge {
                len: input.len(),
                max: limits.max_token_bytes,
            });
        }
        let mut dots = memchr::memchr_iter(b'.', input);
        let (first_dot, second_dot) = match (dots.next(), dots.next(), dots.next()) {
            (Some(a), Some(b), None) => (a, b),
            _ => {
                let found = memchr::memchr_iter(b'.', input).count() + 1;
                return Err(ParseError::SegmentCount { found });
            }
        };
        let header_b64 = &input[..first_dot];
        let payload_b64 = &input[first_dot + 1..second_dot];
        let signature_b64 = &input[second_dot + 1..];
        if header_b64.is_empty() {
            return Err(ParseError::EmptySegment {
                segment: Segment::Header,
            });
        }
        let decode = |segment, start, bytes: &[u8]| {
            base64url::decode(bytes).map_err(|source| ParseError::Base64 {
                segment,
                offset: start + base64_offset(&source),
                source,
            })
        };
        let header_json = decode(Segment::Header, 0, header_b64)?;
        let payload = decode(Segment::Payload, first_dot + 1, payload_b64)?;
        let signature = decode(Segment::Signature, second_dot + 1, signature_b64)?;
        let inspected = strict_json::scan_object(&header_json, limits.max_json_depth)
            .map(|header| inspect(&header))
            .map_err(|source| ParseError::Json {
                segment: Segment::Header,
                source,
            })?;
        // Every byte is now known to be base64url or '.', hence ASCII.
        let raw = String::from_utf8(input.to_vec()).expect("validated base64url is ASCII");
        let token = Token {
            raw,
            first_dot,
            second_dot,
            header: OnceLock::new(),
            header_json,
            max_json_depth: limits.max_json_depth,
            payload,
            signature,
        };
        Ok((token, inspected))
    }

    /// Parses the payload as a JWT claims set: a strict JSON object (RFC 7519 §7.2 step 10).
    ///
    /// **Unverified**: anyone can write these claims. Only what
    /// [`Validator::validate`](crate::validate::Validator::validate) returns has been checked
    /// (signature, algorithm, key, times, issuer, audience).
    pub fn unverified_claims(
        &self,
        max_json_depth: usize,
    ) -> Result<Map<String, Value>, ParseError> {
        strict_json::parse_object(&self.payload, max_json_depth).map_err(|source| {
            ParseError::Json {
                segment: Segment::Payload,
                source,
            }
        })
    }

    /// The exact token text.
    pub fn as_str(&self) -> &str {
        &self.raw
    }
    /// `BASE64URL(header) '.' BASE64URL(payload)`, the bytes the signature covers.
    pub fn signing_input(&self) -> &[u8] {
        &self.raw.as_bytes()[..self.second_dot]
    }
    /// The raw header segment.
    pub fn header_b64(&self) -> &str {
        &self.raw[..self.first_dot]
    }
    /// The raw payload segment.
    pub fn payload_b64(&self) -> &str {
        &self.raw[self.first_dot + 1..self.second_dot]
    }
    /// The raw signature segment.
    pub fn signature_b64(&self) -> &str {
        &self.raw[self.second_dot + 1..]
    }
    /// The protected header as parsed, in document order.
    pub fn header(&self) -> &Map<String, Value> {
        self.header.get_or_init(|| {
            // The same bytes passed the same parse in `parse_with`; it cannot fail here.
            strict_json::parse_object(&self.header_json, self.max_json_depth).unwrap_or_default()
        })
    }
    /// The protected header's members, borrowed from the decoded header bytes.
    pub fn header_members(&self) -> Members<'_> {
        // As for `header`: these bytes passed this parse already.
        strict_json::scan_object(&self.header_json, self.max_json_depth).unwrap_or_default()
    }
    /// The decoded header JSON bytes, exactly as signed.
    pub fn header_json(&self) -> &[u8] {
        &self.header_json
    }
    /// The decoded payload bytes.
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }
    /// The decoded signature bytes.
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }
    /// The decoded header and payload bytes, giving up the token.
    pub fn into_header_and_payload(self) -> (Vec<u8>, Vec<u8>) {
        (self.header_json, self.payload)
    }
    /// The header's `alg`, if it is a string.
    pub fn alg(&self) -> Option<&str> {
        self.header().get("alg").and_then(Value::as_str)
    }
    /// The header's `kid`, if it is a string.
    pub fn kid(&self) -> Option<&str> {
        self.header().get("kid").and_then(Value::as_str)
    }
}

impl fmt::Display for Token {
    /// Prints the token exactly as parsed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

fn base64_offset(err: &Base64Error) -> usize {
    match err {
        Base64Error::InvalidByte { offset, .. } | Base64Error::NonCanonical { offset } => *offset,
        Base64Error::InvalidLength { len } => *len,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BA: &str = "eyJhbGciOiJFZERTQSIsImtpZCI6IkVzQWFSSVBIS2VZdURFU05RaGlOY0JpcUlySDdjT2dUIn0.eyJzdWIiOiJ4In0.4bplVavl4jR_gGzIqXaxtkm_2MF7ZqrJ5fgvg-qU0xSF3he6A0dOu1c8LcifidKOn_sHptNVk7d162BhMHJeDA";

    #[test]
    fn parses_and_prints_back_byte_exact() {
        let t = Token::parse(BA).unwrap();
        assert_eq!(t.to_string(), BA);
        assert_eq!(t.alg(), Some("EdDSA"));
        assert_eq!(t.kid(), Some("EsAaRIPHKeYuDESNQhiNcBiqIrH7cOgT"));
        assert_eq!(t.payload(), br#"{"sub":"x"}"#);
        assert_eq!(t.signature().len(), 64);
        assert_eq!(
            t.signing_input(),
            format!("{}.{}", t.header_b64(), t.payload_b64()).as_bytes()
        );
    }

    #[test]
    fn counts_segments() {
        assert_eq!(
            Token::parse("a.b"),
            Err(ParseError::SegmentCount { found: 2 })
        );
        assert_eq!(
            Token::parse(format!("{BA}.")),
            Err(ParseError::SegmentCount { found: 4 })
        );
        assert_eq!(Token::parse(""), Err(ParseError::SegmentCount { found: 1 }));
    }

    #[test]
    fn locates_bad_base64() {
        let bad = BA.replacen(".eyJzdWIiOiJ4In0.", ".eyJzdWIiOiJ4In0=.", 1);
        match Token::parse(bad) {
            Err(ParseError::Base64 {
                segment: Segment::Payload,
                offset,
                ..
            }) => assert_eq!(offset, BA.find(".eyJzdWIi").unwrap() + 1 + 15),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn refuses_oversize_before_anything_else() {
        let huge = ".".repeat(1_000_000);
        assert!(matches!(
            Token::parse(huge),
            Err(ParseError::TooLarge { .. })
        ));
    }

    #[test]
    fn header_must_be_a_json_object() {
        let h = base64url::encode("[1]");
        assert!(matches!(
            Token::parse(format!("{h}.e30.")),
            Err(ParseError::Json {
                segment: Segment::Header,
                source: JsonError::NotAnObject
            })
        ));
    }
}
