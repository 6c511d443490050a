//! Property 8, signature before claims (SEC-032): a claim defect under a corrupted signature is
//! always INVALID_SIGNATURE; correctly signed, it gets the defect's own code.

use crate::support::{
    any_alg, config, date, describe, join, kind, sign_valid, split, valid_claims, validate, ISS,
    NOW, NOW_F,
};
use authprobe::base64url;
use authprobe::validate::RejectionKind;
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy)]
enum Defect {
    Expired(u16),
    NotYetValid(u16),
    IssuedInFuture(u16),
    WrongIssuer,
    WrongAudience,
    MissingSub,
    ExpAsString,
}

impl Defect {
    fn apply(self, claims: &mut Map<String, Value>) -> RejectionKind {
        let leeway = 30.0;
        match self {
            Defect::Expired(k) => {
                claims.insert("exp".into(), date(NOW_F - leeway - f64::from(k)));
                claims.insert("iat".into(), date(NOW_F - leeway - f64::from(k) - 900.0));
                claims.remove("nbf");
                RejectionKind::TokenExpired
            }
            Defect::NotYetValid(k) => {
                claims.insert("nbf".into(), date(NOW_F + leeway + 1.0 + f64::from(k)));
                RejectionKind::TokenNotYetValid
            }
            Defect::IssuedInFuture(k) => {
                claims.insert("iat".into(), date(NOW_F + leeway + 1.0 + f64::from(k)));
                claims.insert("exp".into(), date(NOW_F + 100_000.0));
                RejectionKind::TokenIssuedInFuture
            }
            Defect::WrongIssuer => {
                claims.insert("iss".into(), format!("{ISS}/api/auth").into());
                RejectionKind::InvalidIssuer
            }
            Defect::WrongAudience => {
                claims.insert("aud".into(), "https://other.example.com".into());
                RejectionKind::InvalidAudience
            }
            Defect::MissingSub => {
                claims.remove("sub");
                RejectionKind::InvalidClaim
            }
            Defect::ExpAsString => {
                claims.insert("exp".into(), (NOW + 600).to_string().into());
                RejectionKind::InvalidClaim
            }
        }
    }
}

fn defect() -> impl Strategy<Value = Defect> {
    prop_oneof![
        4 => any::<u16>().prop_map(Defect::Expired),
        1 => any::<u16>().prop_map(Defect::NotYetValid),
        1 => any::<u16>().prop_map(Defect::IssuedInFuture),
        1 => Just(Defect::WrongIssuer),
        1 => Just(Defect::WrongAudience),
        1 => Just(Defect::MissingSub),
        1 => Just(Defect::ExpAsString),
    ]
}

#[derive(Debug, Clone)]
enum Corruption {
    XorByte(Index, u8),
    DropLastByte,
    Empty,
    /// The key's valid signature over the same header and the *undamaged* claims.
    Foreign,
}

fn corruption() -> impl Strategy<Value = Corruption> {
    prop_oneof![
        4 => (any::<Index>(), 1u8..=255).prop_map(|(i, m)| Corruption::XorByte(i, m)),
        1 => Just(Corruption::DropLastByte),
        1 => Just(Corruption::Empty),
        2 => Just(Corruption::Foreign),
    ]
}

proptest! {
    #![proptest_config(config(512))]

    /// Property 8: a claim defect never masks a bad signature.
    #[test]
    fn p8_bad_signature_wins_over_claim_defects(
        alg in any_alg(),
        claims in valid_claims(),
        defect in defect(),
        corruption in corruption(),
    ) {
        let mut damaged = claims.clone();
        let defect_kind = defect.apply(&mut damaged);
        let token = sign_valid(alg, &damaged, false);
        let verdict = validate(alg, &token);
        prop_assert_eq!(kind(&verdict), Some(defect_kind), "well signed: {}", describe(&verdict));

        let mut parts = split(&token);
        let mut sig = base64url::decode(parts[2].as_bytes()).unwrap();
        match &corruption {
            Corruption::XorByte(i, mask) => {
                let i = i.index(sig.len());
                sig[i] ^= mask;
            }
            Corruption::DropLastByte => {
                sig.pop();
            }
            Corruption::Empty => sig.clear(),
            Corruption::Foreign => {
                sig = base64url::decode(split(&sign_valid(alg, &claims, false))[2].as_bytes())
                    .unwrap();
            }
        }
        parts[2] = base64url::encode(&sig);
        let verdict = validate(alg, join(&parts));
        prop_assert_eq!(
            kind(&verdict),
            Some(RejectionKind::InvalidSignature),
            "{:?} + {:?}: {}", defect, corruption, describe(&verdict)
        );
    }
}
