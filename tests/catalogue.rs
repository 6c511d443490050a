//! The whole attack catalogue against the reference validator: for valid tokens from a harness
//! issuer under EdDSA, ES256, RS256, PS256 and HS256, every forged token must be rejected with
//! exactly its expected outcome, and must differ from its base only in the segments it claims to
//! change.

use authprobe::algorithm::{Algorithm, KeyFamily};
use authprobe::dangerous::forge::sample::SampleIssuer;
use authprobe::dangerous::forge::{
    catalogue, forge_all, AttackerKeys, Delivery, ForgeInput, Forged,
};
use authprobe::gate::{Gate, GateRequest};
use authprobe::validate::FixedClock;
use authprobe::{ErrorCode, Policy, Token, Validator};
use std::collections::BTreeMap;
use std::sync::OnceLock;

const NOW: i64 = 1_795_690_700;
const ISSUER: &str = "http://127.0.0.1:3000";

fn attacker() -> &'static AttackerKeys {
    static KEYS: OnceLock<AttackerKeys> = OnceLock::new();
    KEYS.get_or_init(|| AttackerKeys::generate().unwrap())
}

struct Issuer {
    alg: Algorithm,
    sample: SampleIssuer,
    token: Token,
}

fn issuer(alg: Algorithm) -> Issuer {
    let sample = SampleIssuer::generate(alg).unwrap();
    let token = sample.token(ISSUER, NOW);
    Issuer { alg, sample, token }
}

fn audit_policy(alg: Algorithm) -> Policy {
    let mut p = Policy::better_auth(ISSUER, ISSUER).with_algorithms([alg]);
    p.max_lifetime_secs = Some(authprobe::dangerous::forge::catalogue::AUDIT_MAX_LIFETIME_SECS);
    p
}

fn forged_for(i: &Issuer) -> Vec<Forged> {
    let input = ForgeInput {
        base: &i.token,
        target_keys: &i.sample.published,
        issuer_key: Some(&i.sample.key),
        attacker: attacker(),
        oob_base: "http://127.0.0.1:9",
        now: NOW,
    };
    forge_all(&input)
}

/// The verdict the reference backend gives: validator for bearer tokens, gate for odd deliveries.
fn verdict(i: &Issuer, f: &Forged) -> Option<ErrorCode> {
    let validator = Validator::new(audit_policy(i.alg));
    match &f.delivery {
        Delivery::Bearer => validator
            .validate(f.token.as_bytes(), &i.sample.keys, &FixedClock(NOW))
            .err()
            .map(|r| r.code()),
        Delivery::AuthorizationHeaders { values } => {
            let gate = Gate::new(validator, "api");
            let request = GateRequest {
                authorization: values.iter().map(|v| v.as_bytes()).collect(),
                client: "t",
                required_scope: None,
            };
            gate.decide(&request, &i.sample.keys, &FixedClock(NOW))
                .err()
                .map(|d| d.code())
        }
    }
}

const FAMILIES: [Algorithm; 5] = [
    Algorithm::EdDSA,
    Algorithm::ES256,
    Algorithm::RS256,
    Algorithm::PS256,
    Algorithm::HS256,
];

#[test]
fn every_forged_token_gets_exactly_its_expected_outcome() {
    let mut failures = Vec::new();
    let mut total = 0;
    for alg in FAMILIES {
        let i = issuer(alg);
        assert!(Validator::new(audit_policy(alg))
            .validate(
                i.token.as_str().as_bytes(),
                &i.sample.keys,
                &FixedClock(NOW)
            )
            .is_ok());
        let forged = forged_for(&i);
        let mut per_group: BTreeMap<char, usize> = BTreeMap::new();
        for f in &forged {
            *per_group.entry(f.id.chars().next().unwrap()).or_default() += 1;
            let got = verdict(&i, f);
            if !f.expected.admits(got) {
                failures.push(format!(
                    "{alg} {} {} — {}: expected {}, got {:?}",
                    f.id, f.slug, f.variant, f.expected, got
                ));
            }
        }
        total += forged.len();
        println!(
            "{alg}: {} forged tokens, per group {per_group:?}",
            forged.len()
        );
    }
    assert!(
        failures.is_empty(),
        "{} of {total} disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        total >= 5 * 300,
        "at least 300 concrete tokens per family, got {total}"
    );
}

#[test]
fn forged_tokens_change_only_the_segments_they_claim() {
    for alg in FAMILIES {
        let i = issuer(alg);
        let base: Vec<&str> = i.token.as_str().split('.').collect();
        for f in forged_for(&i) {
            if f.touches.structure {
                continue;
            }
            let parts: Vec<&str> = f.token.split('.').collect();
            if matches!(f.delivery, Delivery::AuthorizationHeaders { .. }) {
                assert_eq!(f.token, i.token.as_str(), "{} {}", f.id, f.variant);
                continue;
            }
            assert_eq!(
                parts.len(),
                3,
                "{} {}: {} segments",
                f.id,
                f.variant,
                parts.len()
            );
            for (index, (touched, name)) in [
                (f.touches.header, "header"),
                (f.touches.payload, "payload"),
                (f.touches.signature, "signature"),
            ]
            .into_iter()
            .enumerate()
            {
                if !touched {
                    assert_eq!(
                        parts[index], base[index],
                        "{alg} {} {}: {name} changed",
                        f.id, f.variant
                    );
                }
            }
        }
    }
}

#[test]
fn every_group_and_required_case_is_present() {
    let ids: Vec<&str> = catalogue().iter().map(|c| c.id).collect();
    for group in ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'J'] {
        assert!(ids.iter().any(|id| id.starts_with(group)), "group {group}");
    }
    for id in ["I01", "I02", "I04", "I10"] {
        assert!(ids.contains(&id), "{id}");
    }
    let counts = [
        ('A', 13),
        ('B', 10),
        ('C', 10),
        ('D', 21),
        ('E', 19),
        ('F', 10),
        ('G', 10),
        ('H', 16),
        ('J', 6),
    ];
    for (group, n) in counts {
        assert_eq!(
            ids.iter().filter(|id| id.starts_with(group)).count(),
            n,
            "group {group} has every ATTACKS.md case"
        );
    }
    let mut sorted = ids.clone();
    sorted.dedup();
    assert_eq!(sorted.len(), ids.len(), "IDs are unique");
    for case in catalogue() {
        assert!(!case.references.is_empty(), "{} has references", case.id);
    }
}

#[test]
fn key_confusion_matrix_covers_every_encoding_and_hmac_size() {
    for alg in [Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA] {
        let i = issuer(alg);
        let forged = forged_for(&i);
        let confusion: Vec<&Forged> = forged
            .iter()
            .filter(|f| ["C01", "C02", "C03", "C04", "C05", "C06"].contains(&f.id))
            .collect();
        let encodings = if alg.key_family() == KeyFamily::Rsa {
            12
        } else {
            10
        };
        assert_eq!(
            confusion.len(),
            encodings * 3,
            "{alg}: every encoding × HS256/384/512"
        );
    }
}
