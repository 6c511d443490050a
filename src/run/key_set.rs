//! Checks of the published key set itself (ATTACKS.md K07, E11), reported as a suite of their own.

use super::*;

/// The published key set itself (ATTACKS.md K07, E11): no private or symmetric material, every
/// key usable and strong.
pub(super) fn key_set_check(jwks: &Value) -> SuiteResult {
    use crate::jwk::{KeyError, KeySet, KeySetError};
    let mut findings = Vec::new();
    let security = |message: String| {
        Finding::check(
            FindingKind::Security,
            "AP-K07-jwks-private-material",
            Severity::Critical,
            FlawClass::AuthServer,
            message,
        )
    };
    match KeySet::from_public_jwks(jwks.to_string().as_bytes()) {
        Err(
            e @ (KeySetError::PrivateMaterial { .. } | KeySetError::SymmetricKeyInPublicSet { .. }),
        ) => {
            findings.push(security(format!(
                "the published key set leaks secret key material: {e}"
            )));
        }
        Err(e) => findings.push(Finding::check(
            FindingKind::Contract,
            "AP-K07-jwks-unusable",
            Severity::Low,
            FlawClass::AuthServer,
            format!("the published key set is not usable: {e}"),
        )),
        Ok(set) => {
            for ignored in set.ignored() {
                let weak = matches!(
                    ignored.reason,
                    KeyError::RsaTooSmall { .. }
                        | KeyError::WeakEd25519
                        | KeyError::RsaRoca
                        | KeyError::RsaBadExponent
                );
                findings.push(if weak {
                    Finding::check(
                        FindingKind::Security,
                        "AP-E11-rsa-small-modulus",
                        Severity::High,
                        FlawClass::AuthServer,
                        format!("published key ignored: {ignored}"),
                    )
                } else {
                    Finding::check(
                        FindingKind::Informational,
                        "AP-K07-jwks-ignored-key",
                        Severity::Info,
                        FlawClass::AuthServer,
                        format!("published key ignored: {ignored}"),
                    )
                });
            }
        }
    }
    let failing = findings
        .iter()
        .any(|f| f.kind != FindingKind::Informational);
    let keys = jwks["keys"].as_array().map_or(0, Vec::len);
    SuiteResult {
        target: String::new(),
        name: "key-set".into(),
        description:
            "The issuer's published key set: public members only, every key usable and strong."
                .into(),
        cases: vec![CaseResult {
            target: String::new(),
            suite: "key-set".into(),
            id: "published-key-set".into(),
            title: format!("the published key set ({keys} keys) holds only usable public keys"),
            rule_id: "AP-K07-jwks-private-material".into(),
            severity: Severity::Critical,
            tags: vec!["key-set".into()],
            catalogue_id: Some("K07".into()),
            references: vec!["RFC 7517 §4-5".into(), "RFC 7518 §3.3".into()],
            outcome: if failing {
                Outcome::Fail
            } else {
                Outcome::Pass
            },
            findings,
            expected: "public members only; RSA ≥ 2048 bits; valid points".into(),
            observed: None,
            request: None,
            reproduction: None,
            message: None,
            duration_ms: 0,
        }],
    }
}
