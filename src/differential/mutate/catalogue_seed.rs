//! Catalogue tokens as seeds: a token the attack catalogue forged is turned back into edits of
//! the base token (member by member where it changed JSON members, and the harness signer that
//! made its signature), so the generator can mix it with other operators and shrinking can revert
//! its changes one at a time.

use super::edit::{DeliveryOp, Edit, Json, JsonOp, MemberOp, Part, Signer, TOKEN_MARK};
use super::material::{Material, Seed, Shape};
use crate::algorithm::Algorithm;
use crate::base64url;
use crate::dangerous::forge::raw_json::RawObject;
use crate::dangerous::forge::{Delivery, Forged};
use crate::jwk::{Key, KeySet};
use crate::sign::SigningKey;
use serde_json::Value;
use std::collections::BTreeSet;

impl Material {
    /// Turns a forged catalogue token into edits of the base, member by member where the
    /// catalogue changed JSON members, so shrinking can revert them one at a time.
    pub(super) fn seed_from_forged(&self, f: &Forged, keys: &KeySet) -> Option<Seed> {
        if f.token.len() > 32 * 1024 {
            return None;
        }
        let values = match &f.delivery {
            Delivery::Bearer => None,
            Delivery::AuthorizationHeaders { values } => {
                if self.shape != Shape::Bearer {
                    return None;
                }
                Some(
                    values
                        .iter()
                        .map(|v| {
                            if f.token.is_empty() {
                                v.clone()
                            } else {
                                v.replace(&f.token, TOKEN_MARK)
                            }
                        })
                        .collect::<Vec<_>>(),
                )
            }
        };
        let mut edits = Vec::new();
        let parts: Vec<&str> = f.token.split('.').collect();
        if parts.len() != 3 {
            edits.push(Edit::Literal(f.token.clone()));
        } else {
            let signer = self.identify_signer(parts[0], parts[1], parts[2], keys);
            let mut content_changed = false;
            for (part, seg, base_seg, base_json) in [
                (
                    Part::Header,
                    parts[0],
                    self.base.header_b64(),
                    &self.base_header,
                ),
                (
                    Part::Payload,
                    parts[1],
                    self.base.payload_b64(),
                    &self.base_payload,
                ),
            ] {
                if seg == base_seg {
                    continue;
                }
                content_changed = true;
                let text = base64url::decode(seg.as_bytes())
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok());
                match text {
                    Some(text) => match diff_members(part, base_json, &text) {
                        Some(member_edits)
                            if signer.is_some()
                                || apply_members(base_json, &member_edits).as_deref()
                                    == Some(text.as_str()) =>
                        {
                            edits.extend(member_edits)
                        }
                        _ => edits.push(Edit::Json {
                            part,
                            op: JsonOp::Replace(text),
                        }),
                    },
                    None => edits.push(Edit::Segment {
                        part,
                        text: seg.to_owned(),
                    }),
                }
            }
            match signer {
                Some(s) if content_changed || parts[2] != self.base.signature_b64() => {
                    edits.push(Edit::Sign(s))
                }
                _ if parts[2] != self.base.signature_b64() => {
                    edits.push(Edit::SigText(parts[2].to_owned()))
                }
                _ => {}
            }
        }
        if let Some(values) = values {
            edits.push(Edit::Delivery(DeliveryOp::Values(values)));
        }
        if edits.is_empty() {
            return None;
        }
        Some(Seed {
            id: format!("{} {}", f.id, f.slug),
            edits,
        })
    }

    /// Which of the harness's signers produced this signature, if any.
    fn identify_signer(&self, h: &str, p: &str, s: &str, keys: &KeySet) -> Option<Signer> {
        if s.is_empty() {
            return Some(Signer::Unsigned);
        }
        let sig = base64url::decode(s.as_bytes()).ok()?;
        let header_json = base64url::decode(h.as_bytes()).ok()?;
        let header: Value = serde_json::from_slice(&header_json).ok()?;
        let alg = Algorithm::from_name(header.get("alg")?.as_str()?)?;
        let input = format!("{h}.{p}");
        let input = input.as_bytes();
        if alg.is_symmetric() {
            let hmac = |secret: &[u8]| {
                SigningKey::hmac(secret)
                    .sign(alg, input)
                    .is_ok_and(|mac| mac == sig)
            };
            if let SigningKey::Hmac(secret) = &self.attacker.hmac {
                if hmac(secret) {
                    return Some(Signer::HmacAttacker);
                }
            }
            if hmac(b"") {
                return Some(Signer::HmacEmpty);
            }
            if let Some(kid) = header.get("kid").and_then(Value::as_str) {
                if hmac(kid.as_bytes()) {
                    return Some(Signer::HmacKid);
                }
            }
            let (parts, jwk) = (self.issuer_parts.as_ref()?, self.issuer_jwk.as_ref()?);
            return parts
                .all_encodings(jwk)
                .into_iter()
                .find(|(_, secret)| hmac(secret))
                .map(|(e, _)| Signer::HmacPublicKey(e));
        }
        if self.issuer_key.is_some()
            && keys
                .keys()
                .iter()
                .any(|k| k.family() == alg.key_family() && k.verify(alg, input, &sig))
        {
            return Some(Signer::Issuer);
        }
        let attacker = Key::from_public_jwk(&self.attacker.for_alg(alg).public_jwk(None, None));
        if attacker.is_ok_and(|k| k.verify(alg, input, &sig)) {
            return Some(Signer::Attacker);
        }
        None
    }
}

/// Member edits turning `base` into `target`, if both are objects without duplicate names.
fn diff_members(part: Part, base: &str, target: &str) -> Option<Vec<Edit>> {
    let b = RawObject::new(base).ok()?;
    let t = RawObject::new(target).ok()?;
    let (bn, tn) = (b.names(), t.names());
    let distinct = |names: &[String]| names.iter().collect::<BTreeSet<_>>().len() == names.len();
    if !distinct(&bn) || !distinct(&tn) {
        return None;
    }
    let mut edits = Vec::new();
    for name in bn.iter().filter(|n| !tn.contains(n)) {
        edits.push(Edit::Member {
            part,
            name: name.clone(),
            op: MemberOp::Remove,
        });
    }
    for name in &tn {
        let value = t.get(name)?;
        if b.get(name) != Some(value) {
            edits.push(Edit::Member {
                part,
                name: name.clone(),
                op: MemberOp::Set(Json::Raw(value.to_owned())),
            });
        }
    }
    Some(edits)
}

fn apply_members(base: &str, edits: &[Edit]) -> Option<String> {
    let mut obj = RawObject::new(base).ok()?;
    for e in edits {
        if let Edit::Member { name, op, .. } = e {
            match op {
                MemberOp::Set(Json::Raw(v)) => {
                    obj.set(name, v);
                }
                MemberOp::Remove => {
                    obj.remove(name);
                }
                _ => return None,
            }
        }
    }
    Some(obj.into_string())
}
