//! The seeded generator: [`Generator::draft`] is a pure function of the run seed and the draft's
//! index. It picks one to three operators by family (claims, header members, attack-shaped
//! combinations, signature, encoding, structure, JSON text, delivery) or a catalogue token, adds
//! a re-signature so the token stays "almost valid", and draws the request envelope (`Origin`,
//! preflight) from a stream of its own.

use super::edit::{
    DeliveryOp, Draft, Edit, EncOp, Json, JsonOp, MemberOp, OriginOp, Part, SigEdit, Signer,
    StructOp, FOREIGN_ORIGINS,
};
use super::json_literal::{nested, q};
use super::material::{Material, Shape};
use crate::dangerous::forge::encodings::Encoding;
use crate::dangerous::forge::rng::Rng;
use std::sync::Arc;

/// Salt of the envelope's random stream (kept apart from the token edits' stream).
const ENVELOPE_STREAM: u64 = 0x0E1F_C0A5_0B16_1A55;

/// The operator families and their weights.
#[derive(Clone, Copy)]
enum Family {
    Claim,
    Header,
    Combo,
    Signature,
    Encoding,
    Structure,
    JsonText,
    Delivery,
}

/// Generates drafts from a seed.
#[derive(Clone)]
pub struct Generator {
    pub(super) m: Arc<Material>,
    pub(super) seed: u64,
}

impl Generator {
    pub fn new(material: Arc<Material>, seed: u64) -> Generator {
        Generator { m: material, seed }
    }

    pub fn material(&self) -> &Arc<Material> {
        &self.m
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Draft number `index` of this seed: 1–3 operators (or a catalogue token, sometimes with one
    /// more), then, when the signed bytes changed and the harness holds the issuer key, usually a
    /// re-signature so the token stays "almost valid" and the deep checks run.
    pub fn draft(&self, index: u64) -> Draft {
        let mut rng = Rng::stream(self.seed, index);
        let mut edits = Vec::new();
        let mut origin = None;
        if !self.m.seeds.is_empty() && rng.chance(10) {
            let seed = rng.pick(&self.m.seeds);
            edits.extend(seed.edits.iter().cloned());
            origin = Some(seed.id.clone());
            if rng.chance(30) && !edits.iter().any(|e| matches!(e, Edit::Literal(_))) {
                edits.extend(self.operator(&mut rng));
            }
        } else {
            let n = *rng.weighted_pick(&[(50, 1), (30, 2), (20, 3)]);
            for _ in 0..n {
                edits.extend(self.operator(&mut rng));
            }
        }
        let signed = edits
            .iter()
            .any(|e| matches!(e, Edit::Sign(_) | Edit::SigText(_) | Edit::Literal(_)));
        if !signed && edits.iter().any(Edit::changes_signed_content) {
            if self.m.issuer_key.is_some() && rng.chance(80) {
                edits.push(Edit::Sign(Signer::Issuer));
            } else if rng.chance(8) {
                edits.push(Edit::Sign(Signer::Attacker));
            }
        }
        // The envelope, from a stream of its own: 3 % preflights (the token edits do not apply
        // to them), 12 % of the others with an Origin.
        let mut envelope = Rng::stream(self.seed ^ ENVELOPE_STREAM, index);
        if envelope.chance(3) {
            edits = vec![Edit::Origin(self.origin(&mut envelope)), Edit::Preflight];
            origin = None;
        } else if envelope.chance(12) {
            edits.push(Edit::Origin(self.origin(&mut envelope)));
        }
        Draft {
            index,
            origin,
            edits,
        }
    }

    /// An `Origin` to send: the front end's and look-alikes of it when it is known, foreign ones
    /// and `null` always.
    fn origin(&self, rng: &mut Rng) -> OriginOp {
        let known = u32::from(self.m.frontend_origin.is_some());
        match rng.weighted(&[30 * known, 10, 20, 13 * known, 13 * known, 14 * known]) {
            0 => OriginOp::Frontend,
            1 => OriginOp::Null,
            2 => OriginOp::Foreign(FOREIGN_ORIGINS[rng.index(FOREIGN_ORIGINS.len())]),
            3 => OriginOp::OtherPort,
            4 => OriginOp::OtherScheme,
            _ => OriginOp::HostSuffix,
        }
    }

    fn operator(&self, rng: &mut Rng) -> Vec<Edit> {
        let bearer = self.m.shape == Shape::Bearer;
        let families = [
            (30, Family::Claim),
            (22, Family::Header),
            (10, Family::Combo),
            (8, Family::Signature),
            (8, Family::Encoding),
            (4, Family::Structure),
            (4, Family::JsonText),
            (if bearer { 4 } else { 0 }, Family::Delivery),
        ];
        match *rng.weighted_pick(&families) {
            Family::Claim => vec![self.claim(rng)],
            Family::Header => vec![self.header(rng)],
            Family::Combo => self.combo(rng),
            Family::Signature => vec![self.signature(rng)],
            Family::Encoding => vec![self.encoding(rng)],
            Family::Structure => vec![Edit::Structure(
                rng.pick(&[
                    StructOp::AppendDot,
                    StructOp::AppendSegment,
                    StructOp::DropSignature,
                    StructOp::LeadingDot,
                    StructOp::SwapHeaderPayload,
                    StructOp::Prefix(" "),
                    StructOp::Suffix(" "),
                    StructOp::Prefix("Bearer "),
                    StructOp::Suffix("."),
                    StructOp::Suffix("=="),
                    StructOp::Twice,
                ])
                .clone(),
            )],
            Family::JsonText => vec![self.json_text(rng)],
            Family::Delivery => vec![Edit::Delivery(
                rng.pick(&[
                    DeliveryOp::LowerScheme,
                    DeliveryOp::UpperScheme,
                    DeliveryOp::DoubleSpace,
                    DeliveryOp::Tab,
                    DeliveryOp::NoScheme,
                    DeliveryOp::BasicScheme,
                    DeliveryOp::Twice,
                    DeliveryOp::WithBase,
                    DeliveryOp::TrailingComma,
                ])
                .clone(),
            )],
        }
    }

    /// Attack-shaped combinations of single operators (what the catalogue's groups B, C and D
    /// combine by hand), kept as separate edits so shrinking can still take them apart.
    fn combo(&self, rng: &mut Rng) -> Vec<Edit> {
        let header = |name: &str, v: Json| Edit::Member {
            part: Part::Header,
            name: name.to_owned(),
            op: MemberOp::Set(v),
        };
        let hs_alg = ["HS256", "HS384", "HS512"][rng.index(3)];
        let hs = Json::Raw(q(hs_alg));
        match rng.weighted(&[3, 3, 2, 2, 2, 1, 2, 2, 2]) {
            0 => {
                let alg = *rng.pick(&["none", "None", "NONE", "nOnE"]);
                let mut v = vec![header("alg", Json::Raw(q(alg)))];
                if rng.chance(50) {
                    v.push(Edit::Sign(Signer::Unsigned));
                }
                v
            }
            1 => {
                let enc = *rng.pick(&[
                    Encoding::RawBytes,
                    Encoding::SpkiPem,
                    Encoding::SpkiPemNoTrailingNewline,
                    Encoding::SpkiDer,
                    Encoding::SpkiBase64Body,
                    Encoding::JwkText,
                    Encoding::Pkcs1Pem,
                    Encoding::OpenSsh,
                ]);
                let alg = *rng.pick(&["HS256", "HS384", "HS512"]);
                vec![
                    header("alg", Json::Raw(q(alg))),
                    Edit::Sign(Signer::HmacPublicKey(enc)),
                ]
            }
            2 => vec![header("jwk", Json::SignerJwk), Edit::Sign(Signer::Attacker)],
            3 => vec![
                header("jku", Json::Oob("jwks.json")),
                Edit::Sign(Signer::Attacker),
            ],
            4 => {
                let kid = *rng.pick(&[
                    "../../../../../../dev/null",
                    "/dev/null",
                    "../../../../../../../../dev/null",
                ]);
                vec![
                    header("kid", Json::Raw(q(kid))),
                    header("alg", hs),
                    Edit::Sign(Signer::HmacEmpty),
                ]
            }
            5 => vec![header("alg", hs), Edit::Sign(Signer::HmacKid)],
            6 => {
                let ext = *rng.pick(&["authprobe-ext", "exp", "b64"]);
                let mut v = vec![
                    header("crit", Json::Raw(format!("[{}]", q(ext)))),
                    header(ext, Json::Raw("true".into())),
                ];
                if self.m.issuer_key.is_some() {
                    v.push(Edit::Sign(Signer::Issuer));
                }
                v
            }
            7 => vec![Edit::Sign(Signer::Attacker)],
            _ => {
                let alg = *rng.pick(&["HS256", "HS384", "HS512"]);
                vec![
                    header("alg", Json::Raw(q(alg))),
                    Edit::Sign(Signer::HmacAttacker),
                ]
            }
        }
    }

    fn signature(&self, rng: &mut Rng) -> Edit {
        Edit::Sig(match rng.below(10) {
            0 | 1 => SigEdit::BitFlip {
                byte: rng.below(1024) as u32,
                bit: rng.below(8) as u8,
            },
            2 => SigEdit::Truncate(*rng.pick(&[1, 4, 32])),
            3 => SigEdit::Extend(rng.pick(&[vec![0u8], vec![0u8; 32], vec![0xff]]).clone()),
            4 => SigEdit::Zero,
            5 => SigEdit::Empty,
            6 => SigEdit::Der,
            7 => SigEdit::AddOrder,
            8 => SigEdit::Random(rng.next_u64()),
            _ => SigEdit::Doubled,
        })
    }

    fn encoding(&self, rng: &mut Rng) -> Edit {
        let part = *rng.pick(&[Part::Header, Part::Payload, Part::Signature]);
        let op = match rng.below(8) {
            0 => EncOp::Pad(1 + rng.below(2) as u8),
            1 => EncOp::StdAlphabet,
            2 => EncOp::TrailingBits,
            3 | 4 => EncOp::Insert {
                pos: rng.below(4096) as u32,
                ch: *rng.pick(&['=', '+', '/', ' ', '.', '!', '%', '~', '\t', '*']),
            },
            5 => EncOp::DropLast,
            6 => EncOp::Empty,
            _ => EncOp::FlipCase {
                pos: rng.below(4096) as u32,
            },
        };
        Edit::Encoding { part, op }
    }

    fn json_text(&self, rng: &mut Rng) -> Edit {
        let part = *rng.pick(&[Part::Header, Part::Payload]);
        let op = match rng.below(13) {
            0 => JsonOp::LeadingWhitespace,
            1 => JsonOp::TrailingWhitespace,
            2 => JsonOp::ByteOrderMark,
            3 => JsonOp::Truncate,
            4 => JsonOp::ExtraBrace,
            5 => JsonOp::Respace,
            6 => JsonOp::EscapedSlashes,
            7 => JsonOp::EscapedNames,
            8 => JsonOp::Replace("{}".into()),
            9 => JsonOp::Replace("[]".into()),
            10 => JsonOp::Replace("null".into()),
            11 => JsonOp::Replace(format!("[{}]", self.base_json(part))),
            _ => JsonOp::Replace(format!("{{\"a\":{}}}", nested(20))),
        };
        Edit::Json { part, op }
    }

    fn base_json(&self, part: Part) -> &str {
        match part {
            Part::Header => &self.m.base_header,
            _ => &self.m.base_payload,
        }
    }
}
