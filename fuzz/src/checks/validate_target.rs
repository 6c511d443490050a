//! The `validate` target: a generated token signed by the issuer, then mutated, through the
//! reference validator alone.

use super::case::Case;
use super::keys::Keys;
use super::mutation::Mutation;
use super::reader::Reader;
use super::NOW;
use authprobe::algorithm::Algorithm;
use authprobe::validate::{FixedClock, RejectionKind, Validator, Verdict};

/// `validate`: a generated token signed by the issuer, then mutated. The reference validator
/// gives the same verdict twice, accepts the unmutated token whenever every choice was the
/// well-formed one, and never accepts a token whose bytes the mutation changed, except an
/// ECDSA signature with `s` replaced by `n − s` (ECDSA's inherent malleability: the catalogue
/// reports it as informational, RFC 7518 does not forbid it).
pub fn validate(data: &[u8]) {
    validate_case(&Case::decode(&mut Reader::new(data), &Algorithm::ALL));
}

/// [`validate`] on a decoded case.
pub fn validate_case(case: &Case) {
    let keys = Keys::get();
    let validator = Validator::new(case.policy(&Algorithm::ALL));
    let clock = FixedClock(NOW);
    let token = case.signed(keys, NOW);
    let first = verdict_summary(&validator.validate(token.as_bytes(), &keys.all, &clock));
    let second = verdict_summary(&validator.validate(token.as_bytes(), &keys.all, &clock));
    assert_eq!(first, second, "two verdicts on the same token differ");
    if case.canonical {
        assert!(
            first.is_ok(),
            "a well-formed token was rejected: {first:?}\ntoken: {token}"
        );
    }
    let mutated = case.mutation.apply(&token, case, keys);
    if mutated == token.as_bytes() {
        return;
    }
    let verdict = verdict_summary(&validator.validate(&mutated, &keys.all, &clock));
    let again = verdict_summary(&validator.validate(&mutated, &keys.all, &clock));
    assert_eq!(
        verdict, again,
        "two verdicts on the same mutated token differ"
    );
    if case.mutation == Mutation::EcdsaMalleate {
        return;
    }
    assert!(
        verdict.is_err(),
        "a mutated token was accepted\nmutation: {:?}\noriginal: {token}\nmutated: {}",
        case.mutation,
        String::from_utf8_lossy(&mutated)
    );
}

pub(super) fn verdict_summary(verdict: &Verdict) -> Result<String, (RejectionKind, String)> {
    verdict
        .as_ref()
        .map(|v| format!("{} {:?} {:?} {:?}", v.alg, v.kid, v.header(), v.claims()))
        .map_err(|r| (r.kind, r.detail.clone()))
}
