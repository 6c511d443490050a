//! One generated token ([`Case`]): header and claims as raw JSON members, NumericDates relative
//! to the judging instant ([`DateSpec`]), their layout, the policy knobs and a mutation; decoded
//! from the input, then signed by the issuer.

use super::keys::{kid_of, Keys};
use super::mutation::Mutation;
use super::reader::{json_string, json_value, word, Reader, CLAIM_NAMES, HEADER_NAMES, NUMBERS};
use super::{AUDIENCE, ISSUER};
use authprobe::algorithm::Algorithm;
use authprobe::sign::sign_compact;
use authprobe::validate::Policy;

/// A NumericDate claim as generated: relative to the judging instant so that the `differential`
/// target, whose peer reads the system clock, can build the same boundaries as `validate`.
#[derive(Debug, Clone, PartialEq)]
pub enum DateSpec {
    Missing,
    /// `now + offset`, as an integer literal.
    Rel(i64),
    /// `now + offset + frac/100`, as a decimal literal.
    Frac(i64, u8),
    /// `now + offset` in exponent form (`1.7956907e9`).
    Exp(i64),
    /// A fixed literal (huge, negative, not a number at all…).
    Raw(String),
}

const OFFSETS: &[i64] = &[
    0, 1, -1, 29, 30, 31, -29, -30, -31, 59, 60, 61, -60, 299, 300, 301, -300, 840, 899, 900, 901,
    960, 3600, -3600, 86_400, -86_400,
];

impl DateSpec {
    fn decode(r: &mut Reader<'_>, canonical: i64) -> DateSpec {
        match r.below(16) {
            0..=6 => DateSpec::Rel(canonical),
            7..=9 => DateSpec::Rel(r.pick(OFFSETS)),
            10 => DateSpec::Rel(i64::from(r.u32() as i32)),
            11 => DateSpec::Frac(r.pick(OFFSETS), r.byte() % 100),
            12 => DateSpec::Exp(r.pick(OFFSETS)),
            13 => DateSpec::Missing,
            14 => DateSpec::Raw(r.pick(NUMBERS).into()),
            _ => DateSpec::Raw(json_value(r, 2)),
        }
    }

    fn render(&self, now: i64) -> Option<String> {
        match self {
            DateSpec::Missing => None,
            DateSpec::Rel(off) => Some((now + off).to_string()),
            DateSpec::Frac(off, frac) => Some(format!("{}.{frac:02}", now + off)),
            DateSpec::Exp(off) => Some(format!("{:e}", (now + off) as f64)),
            DateSpec::Raw(text) => Some(text.clone()),
        }
    }
}

/// One generated token: header and claims as ordered lists of raw JSON members (duplicates and
/// ill-typed values allowed), how they are laid out, the policy knobs, and a mutation.
#[derive(Debug, Clone)]
pub struct Case {
    pub alg: Algorithm,
    pub header: Vec<(String, String)>,
    pub exp: DateSpec,
    pub iat: DateSpec,
    pub nbf: DateSpec,
    pub claims: Vec<(String, String)>,
    /// 0 compact, 1 spaced, 2 line breaks and tabs.
    pub layout: u8,
    pub rotate_header: usize,
    pub rotate_claims: usize,
    /// Raw bytes replacing the header or payload JSON (still signed).
    pub raw_header: Option<Vec<u8>>,
    pub raw_payload: Option<Vec<u8>>,
    pub require_kid: bool,
    pub leeway: u64,
    pub max_lifetime: Option<u64>,
    /// Extension names the policy understands in `crit`.
    pub understood_crit: Vec<String>,
    pub mutation: Mutation,
    /// Every choice was the well-formed one: the unmutated token must be accepted.
    pub canonical: bool,
}

impl Case {
    /// Decodes a case; `algs` are the algorithms the target can sign and judge.
    pub fn decode(r: &mut Reader<'_>, algs: &[Algorithm]) -> Case {
        let alg = r.pick(algs);
        let mut canonical = true;
        let mut header = Vec::new();
        // alg
        match r.below(10) {
            0..=5 => header.push(("alg".into(), json_string(alg.name()))),
            6 => {
                canonical = false;
                let other = r.pick(&Algorithm::ALL);
                header.push(("alg".into(), json_string(other.name())));
            }
            7 => {
                canonical = false;
                header.push(("alg".into(), json_string(&word(r))));
            }
            8 => {
                canonical = false;
                header.push(("alg".into(), json_value(r, 1)));
            }
            _ => canonical = false,
        }
        // kid
        match r.below(10) {
            0..=5 => header.push(("kid".into(), json_string(kid_of(alg.key_family())))),
            6 => {
                canonical = false;
                let other = r.pick(&Algorithm::ALL);
                header.push(("kid".into(), json_string(kid_of(other.key_family()))));
            }
            7 => {
                canonical = false;
                header.push(("kid".into(), json_string(&word(r))));
            }
            8 => {
                canonical = false;
                header.push(("kid".into(), json_value(r, 1)));
            }
            _ => canonical = false,
        }
        // typ
        match r.below(8) {
            0..=4 => {}
            5 => header.push(("typ".into(), json_string("JWT"))),
            6 => {
                canonical = false;
                header.push(("typ".into(), json_string(&word(r))));
            }
            _ => {
                canonical = false;
                header.push(("typ".into(), json_value(r, 1)));
            }
        }
        for _ in 0..r.below(4) {
            canonical = false;
            let name = r.pick(HEADER_NAMES).to_owned();
            header.push((name, json_value(r, 0)));
        }
        let exp = DateSpec::decode(r, 900);
        let iat = DateSpec::decode(r, -60);
        let nbf = if r.below(3) == 0 {
            DateSpec::decode(r, -60)
        } else {
            DateSpec::Missing
        };
        let date_ok = |d: &DateSpec, ok: &[i64]| matches!(d, DateSpec::Rel(o) if ok.contains(o));
        canonical &= date_ok(&exp, &[900]) && date_ok(&iat, &[-60]);
        canonical &= nbf == DateSpec::Missing || date_ok(&nbf, &[-60]);
        let mut claims = Vec::new();
        match r.below(10) {
            0..=6 => claims.push(("iss".into(), json_string(ISSUER))),
            7 => {
                canonical = false;
                claims.push(("iss".into(), format!("[{}]", json_string(ISSUER))));
            }
            8 => {
                canonical = false;
                claims.push(("iss".into(), json_string(&word(r))));
            }
            _ => {
                canonical = false;
                if r.bool() {
                    claims.push(("iss".into(), json_value(r, 1)));
                }
            }
        }
        match r.below(12) {
            0..=5 => claims.push(("aud".into(), json_string(AUDIENCE))),
            6 => claims.push((
                "aud".into(),
                format!("[{},{}]", json_string("other"), json_string(AUDIENCE)),
            )),
            7 => {
                canonical = false;
                claims.push(("aud".into(), format!("[{}]", json_string(&word(r)))));
            }
            8 => {
                canonical = false;
                claims.push(("aud".into(), "[]".into()));
            }
            9 => {
                canonical = false;
                claims.push(("aud".into(), format!("[{},1]", json_string(AUDIENCE))));
            }
            10 => {
                canonical = false;
                claims.push(("aud".into(), json_string(&word(r))));
            }
            _ => {
                canonical = false;
                if r.bool() {
                    claims.push(("aud".into(), json_value(r, 1)));
                }
            }
        }
        match r.below(10) {
            0..=6 => claims.push((
                "sub".into(),
                json_string("9URAu33PHr1A5LlE7KXJTelugMMDgpKy"),
            )),
            7 => {
                canonical = false;
                claims.push(("sub".into(), json_string("")));
            }
            8 => {
                canonical = false;
                claims.push(("sub".into(), json_value(r, 1)));
            }
            _ => canonical = false,
        }
        for _ in 0..r.below(4) {
            canonical = false;
            let name = r.pick(CLAIM_NAMES).to_owned();
            claims.push((name, json_value(r, 0)));
        }
        let layout = r.byte() % 3;
        let rotate_header = r.below(8);
        let rotate_claims = r.below(8);
        let raw_header = (r.below(32) == 31).then(|| r.bytes(64));
        let raw_payload = (r.below(32) == 31).then(|| r.bytes(128));
        canonical &= raw_header.is_none() && raw_payload.is_none();
        let require_kid = r.below(4) != 3;
        let leeway = r.pick(&[30, 30, 30, 0, 60, 300]);
        let max_lifetime = r.pick(&[None, None, None, Some(960), Some(900), Some(60)]);
        canonical &= max_lifetime.is_none_or(|cap| cap >= 960);
        let mutation = Mutation::decode(r);
        // Read last, so that shorter inputs decode as before: now and then a long claim that
        // puts the token just under or over the 16 KiB cap (base64 makes 12 KiB of JSON ~16 KiB).
        if r.below(64) == 63 {
            canonical = false;
            let len = 11_800 + r.below(800);
            claims.push(("pad".into(), json_string(&"a".repeat(len))));
        }
        // A deployment that understands the `ext` extension, so that `crit` can be honoured.
        let understood_crit = match r.below(8) {
            7 => vec!["ext".to_owned()],
            6 => vec!["ext".to_owned(), "b64".to_owned(), "exp".to_owned()],
            _ => Vec::new(),
        };
        if r.below(16) == 15 {
            let name = if r.bool() { "ext".to_owned() } else { word(r) };
            header.push(("ext".into(), json_string("on")));
            header.push(("crit".into(), format!("[{}]", json_string(&name))));
            canonical &= name == "ext" && understood_crit.iter().any(|u| u == "ext");
        }
        Case {
            alg,
            header,
            exp,
            iat,
            nbf,
            claims,
            layout,
            rotate_header,
            rotate_claims,
            raw_header,
            raw_payload,
            require_kid,
            leeway,
            max_lifetime,
            understood_crit,
            mutation,
            canonical,
        }
    }

    /// The well-formed case for `alg` (what an all-zero input decodes to): tests edit it.
    pub fn well_formed(alg: Algorithm) -> Case {
        Case::decode(&mut Reader::new(&[0; 96]), &[alg])
    }

    pub(super) fn object(&self, members: &[(String, String)], rotate: usize) -> Vec<u8> {
        let mut members = members.to_vec();
        if !members.is_empty() {
            let k = rotate % members.len();
            members.rotate_left(k);
        }
        let (open, colon, comma, close) = match self.layout {
            0 => ("{", ":", ",", "}"),
            1 => ("{ ", ": ", ", ", " }"),
            _ => ("{\n\t", " :", " ,\r\n", "\n}"),
        };
        let body: Vec<String> = members
            .iter()
            .map(|(name, value)| format!("{}{colon}{value}", json_string(name)))
            .collect();
        format!("{open}{}{close}", body.join(comma)).into_bytes()
    }

    /// The header JSON bytes.
    pub fn header_json(&self) -> Vec<u8> {
        match &self.raw_header {
            Some(raw) => raw.clone(),
            None => self.object(&self.header, self.rotate_header),
        }
    }

    /// The claims JSON bytes at `now`.
    pub fn claims_json(&self, now: i64) -> Vec<u8> {
        if let Some(raw) = &self.raw_payload {
            return raw.clone();
        }
        let mut members = Vec::new();
        for (name, date) in [("iat", &self.iat), ("nbf", &self.nbf), ("exp", &self.exp)] {
            if let Some(text) = date.render(now) {
                members.push((name.to_owned(), text));
            }
        }
        members.extend(self.claims.iter().cloned());
        self.object(&members, self.rotate_claims)
    }

    /// The token the issuer signs (before any mutation).
    pub fn signed(&self, keys: &Keys, now: i64) -> String {
        sign_compact(
            &self.header_json(),
            &self.claims_json(now),
            keys.issuer(self.alg),
            self.alg,
        )
        .expect("the issuer's key signs its algorithm")
    }

    pub(super) fn policy(&self, algorithms: &[Algorithm]) -> Policy {
        let mut policy = Policy::better_auth(ISSUER, AUDIENCE)
            .with_algorithms(algorithms.iter().copied())
            .with_leeway(self.leeway);
        policy.require_kid = self.require_kid;
        policy.max_lifetime_secs = self.max_lifetime;
        policy.understood_crit = self.understood_crit.clone();
        policy
    }
}
