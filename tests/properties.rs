//! Property tests of the reference validator (proptest).
//!
//! Every key is generated once per test binary (RSA 2048 generation is slow) and shared; `now` is
//! fixed at [`support::NOW`]. Each numbered property below is one or more `proptest!` tests, and each names
//! what it proves:
//!
//! 1. **Acceptance** (`p1_*`): a token signed with any of the 13 algorithms, under the one key the
//!    set binds to that algorithm, with valid claims plus arbitrary extra string/number claims, is
//!    accepted, and the verdict carries exactly the signed header, claims, `alg` and `kid`. So the
//!    other properties' rejections come from what they change, not from a broken baseline.
//! 2. **Tamper evidence** (`p2_*`, SEC-026): flipping any single bit of any byte of the compact
//!    token, or changing any single byte of the decoded header, payload or signature and
//!    re-encoding it, never yields acceptance.
//! 3. **One textual form** (`p3_*`, SEC-003): `=` padding on any segment, `+`/`/` in place of
//!    `-`/`_`, or whitespace inserted anywhere is MALFORMED_TOKEN, although each decodes to the
//!    same bytes under a lenient base64 decoder.
//! 4. **Time boundaries** (`p4_*`, SEC-035, SEC-036, SEC-037): for any leeway L in 0..=300 and
//!    any offset d (whole or fractional seconds), exp = now − L + d is TOKEN_EXPIRED exactly when
//!    d ≤ 0; nbf = now + L + d is TOKEN_NOT_YET_VALID exactly when d > 0; iat = now + L + d is
//!    TOKEN_ISSUED_IN_FUTURE exactly when d > 0; d ∈ {−1, 0, 1} is checked for every L. With
//!    arbitrary iat/nbf/exp/leeway/lifetime cap together, the verdict is the one an independent
//!    model of spec.md §4 steps 14–17 (in that order) predicts. Integer NumericDates are compared
//!    exactly inside 0 ..= 2^53 − 1 and are INVALID_CLAIM outside it. A NumericDate literal that
//!    is a finite binary64 value reaches step 13 (INVALID_CLAIM; with a bad signature,
//!    INVALID_SIGNATURE); one beyond binary64 range (`1e309`) is MALFORMED_TOKEN at step 4, bad
//!    signature or not (spec.md §4, NumericDate: the RFC 8259 §6 implementation limit).
//! 5. **Totality** (`p5_*`, SEC-001, SEC-002, SEC-004, SEC-044): arbitrary bytes, arbitrary
//!    strings, dotted base64url-alphabet strings, and well-encoded segments of arbitrary JSON with
//!    known `alg`/`kid` values and random signatures never panic and are always rejected.
//! 6. **Algorithm binding** (`p6_*`, SEC-015): a token with a cryptographically valid signature by
//!    key K but a header `alg` other than the one K's JWK declares (same family: RS256 key / PS256
//!    token, HS256 key / HS384 token; other family: EdDSA signature under `alg: ES256`) is
//!    ALGORITHM_NOT_ALLOWED even when the policy allows both; and HMAC tokens keyed with public
//!    key material (raw Ed25519/EC/RSA public bytes, their base64url text, the JWK or JWKS JSON)
//!    are never accepted against the public key set, bound or unbound (key confusion).
//! 7. **Determinism** (`p7_*`): validating the same, possibly mutated, input twice, and a third
//!    time against a freshly imported copy of the key set, gives identical verdicts (same claims,
//!    or the same kind and detail).
//! 8. **Signature before claims** (`p8_*`, SEC-032): a token with a claim defect (expired, not
//!    yet valid, issued in the future, wrong iss/aud, missing sub, ill-typed exp) and a corrupted
//!    signature (bit flip, truncation, empty, a valid signature of another payload) is always
//!    INVALID_SIGNATURE, while the same token correctly signed gets the defect's own code.
//! 9. **Byte-exact round trip** (`p9_*`): for every input that `Token::parse` accepts,
//!    `to_string()` gives back the input byte for byte, and the segment accessors agree with it.
//! 10. **Ed25519 is verify_strict** (`p10_*`, SEC-013): for any key and message, a valid
//!     signature, one with S + L (non-canonical S), with R replaced by any of the eight
//!     small-order points (canonically or not encoded, and the identity with S = k·a so that the
//!     cofactorless equation holds), with a random R, a flipped bit or random bytes gets the same
//!     answer from the validator's Ed25519 (aws-lc plus the small-order and canonical-encoding
//!     rules) as from ed25519-dalek's `verify_strict`; small-order and non-canonical public keys
//!     are refused when imported.
//! 11. **One claim check, two representations** (`p11_*`): the claim checks give the same verdict
//!     (kind and detail) on the owned map (what the differential oracle and `check_claims`
//!     callers hold) and on the borrowed members `validate` scans, for valid claims with any
//!     registered claim replaced by an arbitrary JSON value or removed, at any time around NOW.
//!
//! One test binary; this file is its root and the property list above its table of contents.
//! `support` (tests/properties/support.rs) holds the keys, fixtures, configuration, token helpers
//! and shared strategies; each property is a module file of tests/properties/ named after it:
//! `acceptance` (1), `tamper` (2), `textual_form` (3), `time` (4), `totality` (5), `binding` (6),
//! `determinism` (7), `signature_first` (8), `round_trip` (9), `ed25519` (10) and
//! `claim_representations` (11).
//!
//! Failure seeds are persisted to `proptest-regressions/properties.txt` (committed). Every
//! property's configuration (`support::config`) names that file explicitly
//! (`FileFailurePersistence::Direct`), so its seeds are replayed for every property whichever
//! module file the property is in.

#[path = "properties/acceptance.rs"]
mod acceptance;
#[path = "properties/binding.rs"]
mod binding;
#[path = "properties/claim_representations.rs"]
mod claim_representations;
#[path = "properties/determinism.rs"]
mod determinism;
#[path = "properties/ed25519.rs"]
mod ed25519;
#[path = "properties/round_trip.rs"]
mod round_trip;
#[path = "properties/signature_first.rs"]
mod signature_first;
#[path = "properties/support.rs"]
mod support;
#[path = "properties/tamper.rs"]
mod tamper;
#[path = "properties/textual_form.rs"]
mod textual_form;
#[path = "properties/time.rs"]
mod time;
#[path = "properties/totality.rs"]
mod totality;
