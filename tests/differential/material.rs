//! The generator and the oracle on the Better Auth sample, no backend needed: the same seed gives
//! the same tokens, and the oracle judges the bytes the backend receives.

use crate::common;
use authprobe::deployment::profile::PolicySection;
use authprobe::differential::{
    self, Draft, Generator, Material, MaterialInput, Oracle, Reference, Shape,
};
use authprobe::jwk::KeySet;
use authprobe::token::Token;
use authprobe::{ErrorCode, Validator};
use serde_json::{Map, Value};
use std::sync::Arc;

/// The Better Auth sample fixture as fuzzing material (no backend needed).
fn sample_material(catalogue: bool, attacker_seed: u64) -> (Arc<Material>, Oracle) {
    let sample = common::Sample::load();
    let base = Token::parse(&sample.token).unwrap();
    let jwks: Value = serde_json::from_str(&sample.jwks).unwrap();
    let published: Vec<Map<String, Value>> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_object().unwrap().clone())
        .collect();
    let keys = KeySet::from_public_jwks(sample.jwks.as_bytes()).unwrap();
    let material = Material::new(MaterialInput {
        base: &base,
        published: &published,
        keys: &keys,
        issuer_key: Some(sample.key),
        attacker: differential::attacker_keys(attacker_seed).unwrap(),
        oob_base: "http://127.0.0.1:9".into(),
        shape: Shape::Bearer,
        catalogue,
        now: common::NOW,
        frontend_origin: Some("http://127.0.0.1:5173"),
    });
    let policy = differential::reference_policy(
        common::ISSUER,
        authprobe::Algorithm::EdDSA,
        &PolicySection::default(),
    )
    .unwrap();
    let oracle = Oracle::new(Validator::new(policy), sample.keys, true);
    (Arc::new(material), oracle)
}

#[test]
fn the_same_seed_gives_the_same_tokens() {
    const N: u64 = 2_000;
    let (material, oracle) = sample_material(true, 7);
    assert!(material.seeds().len() > 500, "{}", material.seeds().len());
    let a = Generator::new(material.clone(), 42);
    let b = Generator::new(material.clone(), 42);
    let c = Generator::new(material.clone(), 43);
    let mut compared = 0;
    let mut differs_from_other_seed = 0;
    for i in 0..N {
        let (da, db) = (a.draft(i), b.draft(i));
        assert_eq!(da, db, "draft {i}");
        let ra = material.render(&da, common::NOW, i);
        let rb = material.render(&db, common::NOW, i);
        if !ra.randomized {
            assert!(ra == rb, "token {i} differs: {:?}", da.describe());
            compared += 1;
        }
        if c.draft(i) != da {
            differs_from_other_seed += 1;
        }
        // Judging is deterministic too.
        assert_eq!(
            oracle.judge(&ra.value_bytes(), ra.token.as_bytes(), common::NOW),
            {
                let rb = material.render(&da, common::NOW, i);
                oracle.judge(&rb.value_bytes(), rb.token.as_bytes(), common::NOW)
            }
        );
    }
    assert!(compared > N * 9 / 10, "{compared}");
    assert!(
        differs_from_other_seed > N * 9 / 10,
        "{differs_from_other_seed}"
    );

    // Independently built material (Ed25519 and HMAC attacker keys follow from the seed):
    // the same drafts, and the same bytes for every token not signed with a fresh EC/RSA key.
    let (m1, _) = sample_material(false, 9);
    let (m2, _) = sample_material(false, 9);
    let (g1, g2) = (Generator::new(m1.clone(), 1), Generator::new(m2.clone(), 1));
    let mut same = 0;
    for i in 0..500 {
        let (d1, d2) = (g1.draft(i), g2.draft(i));
        assert_eq!(d1, d2);
        if m1.render(&d1, common::NOW, i) == m2.render(&d2, common::NOW, i) {
            same += 1;
        }
    }
    assert!(same > 450, "{same}");
}

#[test]
fn the_oracle_judges_the_bytes_the_backend_receives() {
    let (material, oracle) = sample_material(false, 1);
    let base = Draft {
        index: 0,
        origin: None,
        edits: vec![],
    };
    let r = material.render(&base, common::NOW, 0);
    assert_eq!(r.token, common::Sample::load().token);
    assert_eq!(r.values, [format!("Bearer {}", r.token)]);
    assert_eq!(
        oracle.judge(&r.value_bytes(), r.token.as_bytes(), common::NOW),
        Some(Reference::Accepted)
    );
    // Expired at the fixture's exp + leeway; inconclusive within ±2 s of that boundary.
    let exp = 1_795_691_524;
    assert_eq!(
        oracle.judge(&r.value_bytes(), r.token.as_bytes(), exp + 40),
        Some(Reference::Rejected(ErrorCode::TokenExpired))
    );
    assert_eq!(
        oracle.judge(&r.value_bytes(), r.token.as_bytes(), exp + 30),
        None
    );
    // A credential outside RFC 6750's b64token grammar never reaches the token check.
    let mut spaced = r.clone();
    spaced.values = vec![format!("Bearer {} x", r.token)];
    assert_eq!(
        oracle.judge(&spaced.value_bytes(), spaced.token.as_bytes(), common::NOW),
        Some(Reference::Rejected(ErrorCode::MalformedAuthorization))
    );
}
