//! What is done to a signed token before it is validated ([`Mutation`]): byte edits, base64url
//! quirks, re-signing by an attacker key, algorithm swaps and confusion, and the malleable
//! signatures (ECDSA `n − s`, Ed25519 `S + L`).

use super::case::Case;
use super::keys::{kid_of, Keys};
use super::reader::{json_string, Reader};
use authprobe::algorithm::{Algorithm, KeyFamily, ED25519_GROUP_ORDER};
use authprobe::base64url;
use authprobe::sign::SigningKey;
use serde_json::Value;

/// What is done to a signed token before it is validated.
#[derive(Debug, Clone, PartialEq)]
pub enum Mutation {
    None,
    FlipBit {
        at: usize,
        bit: u8,
    },
    SetByte {
        at: usize,
        byte: u8,
    },
    Insert {
        at: usize,
        bytes: Vec<u8>,
    },
    Remove {
        at: usize,
        len: usize,
    },
    Truncate {
        keep: usize,
    },
    /// `=` padding appended to a segment.
    Pad {
        segment: u8,
        count: u8,
    },
    /// `-`/`_` swapped for `+`/`/`.
    StandardAlphabet,
    /// The last character of a segment replaced by one with the same value bits and non-zero
    /// unused bits (or the reverse).
    TrailingBits {
        segment: u8,
        delta: u8,
    },
    /// The signature re-made by a key of the same family that the validator does not trust.
    AttackerSignature,
    /// The header's `alg` rewritten (the signature kept).
    AlgSwap {
        to: usize,
    },
    /// `alg: none` with an empty signature.
    AlgNone {
        name: u8,
    },
    /// Algorithm confusion: HS256/384/512 over the same payload, keyed with the public key.
    HmacWithPublicKey {
        hash: u8,
        key_form: u8,
    },
    /// ECDSA `s` replaced by `n − s`: the other valid signature ECDSA always has.
    EcdsaMalleate,
    /// Ed25519 `S` replaced by `S + L` (non-canonical).
    Ed25519AddL,
    /// The signature segment emptied.
    DropSignature,
    /// A fourth segment appended.
    ExtraSegment(Vec<u8>),
    /// The header or payload segment of the token replaced by the other.
    SwapSegments,
}

impl Mutation {
    pub(super) fn decode(r: &mut Reader<'_>) -> Mutation {
        match r.below(20) {
            0 | 1 => Mutation::None,
            2 => Mutation::FlipBit {
                at: usize::from(r.u16()),
                bit: r.byte() % 8,
            },
            3 => Mutation::SetByte {
                at: usize::from(r.u16()),
                byte: r.byte(),
            },
            4 => Mutation::Insert {
                at: usize::from(r.u16()),
                bytes: r.bytes(8),
            },
            5 => Mutation::Remove {
                at: usize::from(r.u16()),
                len: 1 + r.below(8),
            },
            6 => Mutation::Truncate {
                keep: usize::from(r.u16()),
            },
            7 => Mutation::Pad {
                segment: r.byte() % 3,
                count: 1 + r.byte() % 3,
            },
            8 => Mutation::StandardAlphabet,
            9 => Mutation::TrailingBits {
                segment: r.byte() % 3,
                delta: 1 + r.byte() % 15,
            },
            10 => Mutation::AttackerSignature,
            11 => Mutation::AlgSwap {
                to: r.below(Algorithm::ALL.len()),
            },
            12 => Mutation::AlgNone { name: r.byte() },
            13 => Mutation::HmacWithPublicKey {
                hash: r.byte() % 3,
                key_form: r.byte() % 3,
            },
            14 => Mutation::EcdsaMalleate,
            15 => Mutation::Ed25519AddL,
            16 => Mutation::DropSignature,
            17 => Mutation::ExtraSegment(r.bytes(8)),
            18 => Mutation::SwapSegments,
            _ => Mutation::None,
        }
    }

    /// Applies the mutation. `case` and `keys` are needed by the re-signing mutations.
    pub fn apply(&self, token: &str, case: &Case, keys: &Keys) -> Vec<u8> {
        let mut bytes = token.as_bytes().to_vec();
        let parts: Vec<&str> = token.split('.').collect();
        let (h, p, s) = (parts[0], parts[1], parts[2]);
        let at = |i: usize, len: usize| if len == 0 { 0 } else { i % len };
        match self {
            Mutation::None => {}
            Mutation::FlipBit { at: i, bit } => {
                let i = at(*i, bytes.len());
                bytes[i] ^= 1 << bit;
            }
            Mutation::SetByte { at: i, byte } => {
                let i = at(*i, bytes.len());
                bytes[i] = *byte;
            }
            Mutation::Insert {
                at: i,
                bytes: extra,
            } => {
                let i = at(*i, bytes.len() + 1);
                bytes.splice(i..i, extra.iter().copied());
            }
            Mutation::Remove { at: i, len } => {
                let i = at(*i, bytes.len());
                let end = (i + len).min(bytes.len());
                bytes.drain(i..end);
            }
            Mutation::Truncate { keep } => bytes.truncate(at(*keep, bytes.len())),
            Mutation::Pad { segment, count } => {
                let pad = "=".repeat(usize::from(*count));
                bytes = match segment {
                    0 => format!("{h}{pad}.{p}.{s}"),
                    1 => format!("{h}.{p}{pad}.{s}"),
                    _ => format!("{h}.{p}.{s}{pad}"),
                }
                .into_bytes();
            }
            Mutation::StandardAlphabet => {
                for b in &mut bytes {
                    *b = match *b {
                        b'-' => b'+',
                        b'_' => b'/',
                        other => other,
                    };
                }
            }
            Mutation::TrailingBits { segment, delta } => {
                let mut segs = [h.to_owned(), p.to_owned(), s.to_owned()];
                let seg = &mut segs[usize::from(*segment)];
                if let Some(last) = seg.pop() {
                    seg.push(change_unused_bits(last, seg.len() + 1, *delta));
                }
                bytes = segs.join(".").into_bytes();
            }
            Mutation::AttackerSignature => {
                let input = format!("{h}.{p}");
                let sig = keys
                    .attacker(case.alg)
                    .sign(case.alg, input.as_bytes())
                    .expect("attacker key signs");
                bytes = format!("{input}.{}", base64url::encode(sig)).into_bytes();
            }
            Mutation::AlgSwap { to } => {
                let to = Algorithm::ALL[*to];
                let mut header = case.header.clone();
                header.retain(|(name, _)| name != "alg");
                header.insert(0, ("alg".into(), json_string(to.name())));
                let h = base64url::encode(case.object(&header, case.rotate_header));
                bytes = format!("{h}.{p}.{s}").into_bytes();
            }
            Mutation::AlgNone { name } => {
                let name = ["none", "None", "NONE", "nOnE"][usize::from(*name % 4)];
                let mut header = case.header.clone();
                header.retain(|(n, _)| n != "alg");
                header.insert(0, ("alg".into(), json_string(name)));
                let h = base64url::encode(case.object(&header, case.rotate_header));
                bytes = format!("{h}.{p}.").into_bytes();
            }
            Mutation::HmacWithPublicKey { hash, key_form } => {
                let hs = [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512][usize::from(*hash)];
                let mut header = case.header.clone();
                header.retain(|(n, _)| n != "alg");
                header.insert(0, ("alg".into(), json_string(hs.name())));
                let h = base64url::encode(case.object(&header, case.rotate_header));
                let jwk = keys.public_jwk_text(case.alg);
                let secret = match key_form {
                    0 => jwk.into_bytes(),
                    1 => kid_of(case.alg.key_family()).as_bytes().to_vec(),
                    _ => {
                        let parsed: Value = serde_json::from_str(&jwk).unwrap();
                        // The public part only: for an HMAC case there is none, and the
                        // secret itself would make a genuinely valid token.
                        let field = ["x", "n"]
                            .iter()
                            .find_map(|f| parsed.get(*f).and_then(Value::as_str))
                            .unwrap_or("");
                        base64url::decode(field.as_bytes()).unwrap_or_default()
                    }
                };
                let input = format!("{h}.{p}");
                let sig = SigningKey::hmac(&secret)
                    .sign(hs, input.as_bytes())
                    .expect("HMAC signs");
                bytes = format!("{input}.{}", base64url::encode(sig)).into_bytes();
            }
            Mutation::EcdsaMalleate => {
                if let (KeyFamily::Ec(curve), Ok(mut sig)) =
                    (case.alg.key_family(), base64url::decode(s.as_bytes()))
                {
                    let n = curve.group_order();
                    if sig.len() == 2 * n.len() {
                        let neg = sub_be(n, &sig[n.len()..]);
                        sig[n.len()..].copy_from_slice(&neg);
                        bytes = format!("{h}.{p}.{}", base64url::encode(sig)).into_bytes();
                    }
                }
            }
            Mutation::Ed25519AddL => {
                if let Ok(mut sig) = base64url::decode(s.as_bytes()) {
                    if sig.len() == 64 {
                        add_le(&mut sig[32..], &ED25519_GROUP_ORDER);
                        bytes = format!("{h}.{p}.{}", base64url::encode(sig)).into_bytes();
                    }
                }
            }
            Mutation::DropSignature => bytes = format!("{h}.{p}.").into_bytes(),
            Mutation::ExtraSegment(extra) => {
                bytes.push(b'.');
                bytes.extend_from_slice(extra);
            }
            Mutation::SwapSegments => bytes = format!("{p}.{h}.{s}").into_bytes(),
        }
        bytes
    }
}

/// The base64url character with the same value bits in the positions a segment of `len`
/// characters uses, changed in the unused low bits by `delta`.
fn change_unused_bits(last: char, len: usize, delta: u8) -> char {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let Some(value) = ALPHABET.iter().position(|c| char::from(*c) == last) else {
        return last;
    };
    let unused_bits = match len % 4 {
        2 => 4,
        3 => 2,
        _ => return last,
    };
    let mask = (1u8 << unused_bits) - 1;
    let value = value as u8;
    let changed = (value & !mask) | ((value + delta) & mask);
    char::from(ALPHABET[usize::from(changed)])
}

/// a − b for big-endian numbers of equal length (a ≥ b).
fn sub_be(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; a.len()];
    let mut borrow = 0i16;
    for i in (0..a.len()).rev() {
        let mut d = i16::from(a[i]) - i16::from(b[i]) - borrow;
        borrow = 0;
        if d < 0 {
            d += 256;
            borrow = 1;
        }
        out[i] = d as u8;
    }
    out
}

/// a += b for little-endian numbers (S < L, so S + L < 2^254 never overflows 32 bytes).
fn add_le(a: &mut [u8], b: &[u8]) {
    let mut carry = 0u16;
    for (x, y) in a.iter_mut().zip(b) {
        let sum = u16::from(*x) + u16::from(*y) + carry;
        *x = sum as u8;
        carry = sum >> 8;
    }
}
