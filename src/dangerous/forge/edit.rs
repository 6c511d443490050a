//! Byte-exact token surgery: start from the base token, change one segment (or one JSON member
//! inside it), keep every other byte.

use super::raw_json::RawObject;
use crate::algorithm::Algorithm;
use crate::base64url;
use crate::sign::SigningKey;
use crate::token::Token;

/// Builds forged tokens from a base token.
#[derive(Debug, Clone, Copy)]
pub struct Forger<'a> {
    base: &'a Token,
}

impl<'a> Forger<'a> {
    pub fn new(base: &'a Token) -> Forger<'a> {
        Forger { base }
    }

    pub fn base(&self) -> &'a Token {
        self.base
    }
    pub fn header_b64(&self) -> &'a str {
        self.base.header_b64()
    }
    pub fn payload_b64(&self) -> &'a str {
        self.base.payload_b64()
    }
    pub fn signature_b64(&self) -> &'a str {
        self.base.signature_b64()
    }

    /// The base header's JSON text, editable.
    pub fn header(&self) -> RawObject {
        RawObject::new(String::from_utf8_lossy(self.base.header_json()).into_owned())
            .expect("a parsed token's header is a JSON object")
    }

    /// The base payload's JSON text, editable (the base of a JWT attack is a JWT).
    pub fn payload(&self) -> RawObject {
        RawObject::new(String::from_utf8_lossy(self.base.payload()).into_owned())
            .unwrap_or_else(|_| RawObject::new("{}").expect("{} is an object"))
    }

    /// `h.p.s` from raw segment texts.
    pub fn join(header_b64: &str, payload_b64: &str, signature_b64: &str) -> String {
        format!("{header_b64}.{payload_b64}.{signature_b64}")
    }

    /// New header bytes, payload and signature segments kept.
    pub fn with_header(&self, header_json: impl AsRef<[u8]>) -> String {
        Forger::join(
            &base64url::encode(header_json),
            self.payload_b64(),
            self.signature_b64(),
        )
    }

    /// New payload bytes, header and signature segments kept.
    pub fn with_payload(&self, payload: impl AsRef<[u8]>) -> String {
        Forger::join(
            self.header_b64(),
            &base64url::encode(payload),
            self.signature_b64(),
        )
    }

    /// New signature bytes, header and payload segments kept.
    pub fn with_signature(&self, signature: impl AsRef<[u8]>) -> String {
        self.with_signature_text(&base64url::encode(signature))
    }

    /// A signature segment given as text (which may be deliberately not base64url).
    pub fn with_signature_text(&self, signature_b64: &str) -> String {
        Forger::join(self.header_b64(), self.payload_b64(), signature_b64)
    }

    /// New header text with the signature replaced by one over the new signing input.
    pub fn signed_header(&self, header_json: &str, key: &SigningKey, alg: Algorithm) -> String {
        self.signed_raw(header_json.as_bytes(), None, key, alg)
    }

    /// New payload text, header segment kept, signed with `key` under `alg`.
    pub fn signed_payload(&self, payload: &[u8], key: &SigningKey, alg: Algorithm) -> String {
        let h = self.header_b64().to_owned();
        let p = base64url::encode(payload);
        sign_segments(&h, &p, key, alg)
    }

    /// Signs new header bytes and (optionally new) payload bytes; a `None` payload keeps the
    /// base payload segment's text exactly.
    pub fn signed_raw(
        &self,
        header_json: &[u8],
        payload: Option<&[u8]>,
        key: &SigningKey,
        alg: Algorithm,
    ) -> String {
        let h = base64url::encode(header_json);
        let p = payload.map_or_else(|| self.payload_b64().to_owned(), base64url::encode);
        sign_segments(&h, &p, key, alg)
    }
}

/// Signs `h.p` as given. A key that cannot sign `alg` yields an empty signature (the caller
/// only asks for combinations that work; this keeps forging total).
pub fn sign_segments(h: &str, p: &str, key: &SigningKey, alg: Algorithm) -> String {
    let input = format!("{h}.{p}");
    let signature = key.sign(alg, input.as_bytes()).unwrap_or_default();
    format!("{input}.{}", base64url::encode(signature))
}
