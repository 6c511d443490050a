//! Strict, unpadded base64url (RFC 7515 §2, RFC 4648 §5), shared by token and key parsing.
//!
//! JOSE allows exactly one textual form per byte string: the URL-safe alphabet, no `=` padding,
//! no whitespace, and zero trailing bits. Accepting any other form lets two different strings carry
//! the same token, which breaks replay caches and hides tampering (ATTACKS.md A12, CVE-2022-25898),
//! so every variant is refused here with the offending offset.

use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;

/// The one engine authprobe uses: URL-safe alphabet, no padding on output, padding and
/// non-canonical trailing bits refused on input.
const STRICT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(false),
);

/// Why a string is not strict base64url. Offsets are relative to the decoded string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Base64Error {
    /// A byte outside `A–Z a–z 0–9 - _` (this includes `=`, `+`, `/` and whitespace).
    #[error("byte {byte:#04x} at offset {offset} is not in the base64url alphabet")]
    InvalidByte { offset: usize, byte: u8 },
    /// A length of 4n+1 characters cannot encode whole bytes.
    #[error("length {len} is not a valid unpadded base64url length")]
    InvalidLength { len: usize },
    /// The last character carries non-zero bits that do not belong to any byte.
    #[error("non-canonical last character at offset {offset} (non-zero trailing bits)")]
    NonCanonical { offset: usize },
}

/// Decodes strict unpadded base64url.
pub fn decode(input: &[u8]) -> Result<Vec<u8>, Base64Error> {
    // The engine accepts exactly the strings this module accepts; only when it refuses is the
    // input scanned again, so that the error always names the first offending byte.
    STRICT.decode(input).map_err(|_| explain(input))
}

/// Why `input`, which the engine refused, is not strict base64url: the first byte outside the
/// alphabet (this catches `=` before the engine's padding rules), then the length, then the
/// engine's own reason.
fn explain(input: &[u8]) -> Base64Error {
    if let Some(offset) = input.iter().position(|b| !is_alphabet(*b)) {
        return Base64Error::InvalidByte {
            offset,
            byte: input[offset],
        };
    }
    if input.len() % 4 == 1 {
        return Base64Error::InvalidLength { len: input.len() };
    }
    match STRICT.decode(input) {
        Err(base64::DecodeError::InvalidLastSymbol(offset, _)) => {
            Base64Error::NonCanonical { offset }
        }
        Err(base64::DecodeError::InvalidByte(offset, byte)) => {
            Base64Error::InvalidByte { offset, byte }
        }
        Err(base64::DecodeError::InvalidLength(len)) => Base64Error::InvalidLength { len },
        // Padding needs '=', which the scan above reports; an engine that accepted the input
        // here would contradict the first call, so name the end of the input.
        Err(base64::DecodeError::InvalidPadding) | Ok(_) => Base64Error::InvalidByte {
            offset: input.len().saturating_sub(1),
            byte: input.last().copied().unwrap_or(b'='),
        },
    }
}

/// Encodes bytes as unpadded base64url.
pub fn encode(input: impl AsRef<[u8]>) -> String {
    STRICT.encode(input)
}

/// True for the 64 characters of the base64url alphabet.
pub fn is_alphabet(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_length() {
        for n in 0..40u8 {
            let bytes: Vec<u8> = (0..n).collect();
            assert_eq!(decode(encode(&bytes).as_bytes()).unwrap(), bytes);
        }
    }

    #[test]
    fn refuses_padding_standard_alphabet_and_whitespace() {
        assert!(matches!(
            decode(b"YQ=="),
            Err(Base64Error::InvalidByte {
                offset: 2,
                byte: b'='
            })
        ));
        assert!(matches!(
            decode(b"+/8"),
            Err(Base64Error::InvalidByte {
                offset: 0,
                byte: b'+'
            })
        ));
        assert!(matches!(
            decode(b"YW J"),
            Err(Base64Error::InvalidByte { offset: 2, .. })
        ));
        assert!(matches!(
            decode(b"YWJj\n"),
            Err(Base64Error::InvalidByte { offset: 4, .. })
        ));
    }

    #[test]
    fn refuses_non_canonical_trailing_bits() {
        // "YQ" is 'a'; "YR" decodes to the same byte with a non-zero trailing bit.
        assert_eq!(decode(b"YQ").unwrap(), b"a");
        assert!(matches!(
            decode(b"YR"),
            Err(Base64Error::NonCanonical { .. })
        ));
    }

    #[test]
    fn every_two_character_string_is_refused_or_round_trips() {
        // The engine decides acceptance; the explanation must agree with it on every input.
        let bytes: Vec<u8> = (0u8..=127).collect();
        for a in &bytes {
            for b in &bytes {
                let input = [*a, *b];
                match decode(&input) {
                    Ok(decoded) => assert_eq!(encode(&decoded).as_bytes(), input),
                    Err(Base64Error::InvalidByte { offset, byte }) => {
                        assert_eq!(input[offset], byte);
                        assert!(!is_alphabet(byte));
                        assert!(input[..offset].iter().all(|c| is_alphabet(*c)));
                    }
                    Err(Base64Error::NonCanonical { offset }) => {
                        assert!(input.iter().all(|c| is_alphabet(*c)));
                        assert_eq!(offset, 1);
                    }
                    Err(other) => panic!("{input:?}: {other:?}"),
                }
            }
        }
    }

    #[test]
    fn refuses_impossible_length() {
        assert_eq!(decode(b"YWJjZ"), Err(Base64Error::InvalidLength { len: 5 }));
    }
}
