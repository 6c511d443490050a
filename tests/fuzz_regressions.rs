//! Fuzz findings as ordinary tests, on stable Rust.
//!
//! Every file under `tests/fixtures/fuzz/<target>/` (crash and regression inputs kept from fuzz
//! campaigns) and a sample of each committed corpus under `fuzz/corpus/<target>/` is replayed
//! through exactly the checks the cargo-fuzz target runs: `fuzz/src/checks/` is included here,
//! so there is one copy of every property. See fuzz/README.md.

#[path = "../fuzz/src/checks/mod.rs"]
mod checks;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

type Check = fn(&[u8]);

const TARGETS: [(&str, Check); 5] = [
    ("token_parse", checks::token_parse),
    ("jwks_parse", checks::jwks_parse),
    ("validate", checks::validate),
    ("differential", differential),
    ("scenario_parse", checks::scenario_parse),
];

fn differential(data: &[u8]) {
    // A tick of the system clock between the two validators skips the comparison; retry.
    for _ in 0..5 {
        if checks::differential(data) != checks::DiffOutcome::ClockTicked {
            return;
        }
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The input files of a directory, sorted; README files are not inputs.
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            !name.starts_with('.') && !name.ends_with(".md")
        })
        .collect();
    files.sort();
    files
}

/// Runs `check` on every file, collecting failures instead of stopping at the first.
fn replay(files: &[PathBuf], check: Check) -> Vec<String> {
    let mut failures = Vec::new();
    for file in files {
        let data = std::fs::read(file).unwrap();
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| check(&data))) {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            failures.push(format!("{}: {message}", file.display()));
        }
    }
    failures
}

#[test]
fn every_committed_crash_input_replays_clean() {
    let mut failures = Vec::new();
    let mut count = 0;
    for (target, check) in TARGETS {
        let files = inputs(&root().join("tests/fixtures/fuzz").join(target));
        count += files.len();
        failures.extend(replay(&files, check));
    }
    println!("{count} crash/regression inputs replayed");
    assert!(
        failures.is_empty(),
        "{} of {count} fuzz regression inputs fail:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn a_sample_of_every_committed_corpus_replays_clean() {
    for (target, check) in TARGETS {
        let files = inputs(&root().join("fuzz/corpus").join(target));
        assert!(!files.is_empty(), "fuzz/corpus/{target} is empty");
        // At most 40 files per target, spread over the whole corpus.
        let step = files.len().div_ceil(40);
        let sample: Vec<PathBuf> = files.into_iter().step_by(step).collect();
        let failures = replay(&sample, check);
        assert!(
            failures.is_empty(),
            "{target}: {} corpus inputs fail:\n{}",
            failures.len(),
            failures.join("\n\n")
        );
    }
}

#[test]
fn the_all_zero_case_is_the_well_formed_token_and_is_accepted() {
    // The structure-aware decoder maps an all-zero input to the canonical choices, so the
    // `validate` check asserts acceptance, and both validators must accept it.
    let zeros = [0u8; 96];
    let case = checks::Case::decode(&mut checks::Reader::new(&zeros), &checks::DIFFERENTIAL_ALGS);
    assert!(case.canonical, "{case:?}");
    assert_eq!(case.mutation, checks::Mutation::None);
    checks::validate(&zeros);
    let mut outcome = checks::DiffOutcome::ClockTicked;
    for _ in 0..5 {
        outcome = checks::differential(&zeros);
        if outcome != checks::DiffOutcome::ClockTicked {
            break;
        }
    }
    assert_eq!(outcome, checks::DiffOutcome::Agree { accepted: true });
}

#[test]
fn the_fixture_token_key_set_and_scenarios_pass_the_parsers_checks() {
    let fixture = root().join("tests/fixtures/better-auth");
    let token = std::fs::read_to_string(fixture.join("token.jwt")).unwrap();
    checks::token_parse(token.trim_end().as_bytes());
    checks::jwks_parse(&std::fs::read(fixture.join("jwks.json")).unwrap());
    for suite in inputs(&root().join("scenarios")) {
        let text = std::fs::read(&suite).unwrap();
        checks::scenario_parse(&text);
        let name = suite.display().to_string();
        authprobe::scenario::load_str(&name, &String::from_utf8(text).unwrap())
            .unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn every_allowlisted_difference_is_documented() {
    let readme = std::fs::read_to_string(root().join("fuzz/README.md")).unwrap();
    for id in checks::ALLOWLIST {
        assert!(
            readme.contains(&format!("`{id}`")),
            "allowlist entry {id} is not documented in fuzz/README.md"
        );
    }
}

/// Runs one differential case, retrying when the system clock ticks mid-comparison.
fn differential_outcome(case: &checks::Case) -> checks::DiffOutcome {
    for _ in 0..5 {
        let outcome = checks::differential_case(case);
        if outcome != checks::DiffOutcome::ClockTicked {
            return outcome;
        }
    }
    panic!("the clock ticked during five comparisons in a row");
}

/// Every allowlist entry is a real, current difference between authprobe and jsonwebtoken:
/// one concrete token per entry, where exactly that entry explains the disagreement. If a
/// jsonwebtoken upgrade closes a gap, its test fails and the entry should leave the allowlist.
#[test]
fn every_allowlist_entry_is_a_real_difference() {
    use authprobe::Algorithm;
    use checks::{Case, DateSpec, DiffOutcome};
    let base = || Case::well_formed(Algorithm::EdDSA);
    let with_claim = |name: &str, value: String| {
        let mut case = base();
        case.claims.push((name.to_owned(), value));
        case
    };
    let with_header = |name: &str, value: &str| {
        let mut case = base();
        case.header.push((name.to_owned(), value.to_owned()));
        case
    };
    let mut cases: Vec<(&str, Case)> = vec![
        (
            "size-cap",
            with_claim("x", format!("\"{}\"", "a".repeat(17_000))),
        ),
        ("duplicate-member", {
            let mut case = with_claim("name", "\"a\"".into());
            case.claims.push(("name".into(), "\"b\"".into()));
            case
        }),
        ("duplicate-member", {
            let mut case = with_header("x", "1");
            case.header.push(("x".into(), "2".into()));
            case
        }),
        (
            "json-depth",
            with_claim("x", format!("{}0{}", "[".repeat(17), "]".repeat(17))),
        ),
        (
            "forbidden-header",
            with_header("jku", "\"https://a.invalid/k\""),
        ),
        ("forbidden-header", with_header("crit", "[\"exp\"]")),
        ("forbidden-header", with_header("b64", "false")),
        ("typ", with_header("typ", "\"at+jwt\"")),
        ("typ", with_header("typ", "null")),
        ("kid", {
            let mut case = base();
            case.header.retain(|(name, _)| name != "kid");
            case
        }),
        ("kid", {
            let mut case = base();
            case.header.retain(|(name, _)| name != "kid");
            case.header.push(("kid".into(), "null".into()));
            case
        }),
        ("iat", {
            let mut case = base();
            case.iat = DateSpec::Missing;
            case
        }),
        ("iat", {
            let mut case = base();
            case.iat = DateSpec::Rel(3600);
            case
        }),
        ("numeric-date-range", {
            let mut case = base();
            case.exp = DateSpec::Raw("9007199254740993".into());
            case
        }),
        ("empty-sub", {
            let mut case = base();
            case.claims.retain(|(name, _)| name != "sub");
            case.claims.push(("sub".into(), "\"\"".into()));
            case
        }),
        ("iss-array", {
            let mut case = base();
            case.claims.retain(|(name, _)| name != "iss");
            case.claims
                .push(("iss".into(), format!("[\"{}\"]", checks::ISSUER)));
            case
        }),
        ("fraction-rounding", {
            let mut case = base();
            case.exp = DateSpec::Frac(-31, 60);
            case
        }),
        ("fraction-rounding", {
            let mut case = base();
            case.nbf = DateSpec::Frac(30, 40);
            case
        }),
        ("exp-boundary", {
            let mut case = base();
            case.exp = DateSpec::Rel(-30);
            case
        }),
        ("lifetime-cap", {
            let mut case = base();
            case.max_lifetime = Some(60);
            case
        }),
        ("typed-header", with_header("cty", "1")),
        ("typed-header", with_header("url", "[]")),
        ("alg-object", {
            let mut case = base();
            case.header.retain(|(name, _)| name != "alg");
            case.header.push(("alg".into(), "{\"EdDSA\":null}".into()));
            case
        }),
        ("alg-object", {
            let mut case = Case::well_formed(Algorithm::HS256);
            case.header.retain(|(name, _)| name != "alg");
            case.header.push(("alg".into(), "{\"HS256\":null}".into()));
            case
        }),
    ];
    for alg in checks::DIFFERENTIAL_ALGS {
        cases.push(("kid", {
            let mut case = Case::well_formed(alg);
            case.header.retain(|(name, _)| name != "kid");
            case
        }));
    }
    let mut seen = std::collections::BTreeSet::new();
    for (id, case) in &cases {
        assert_eq!(
            differential_outcome(case),
            DiffOutcome::Allowed(id),
            "allowlist entry {id} on {case:?}"
        );
        seen.insert(*id);
    }
    for id in checks::ALLOWLIST {
        assert!(
            seen.contains(id),
            "allowlist entry {id} has no concrete case here"
        );
    }
}

/// The structure-aware regression inputs decode to the attack their file name promises, so a
/// change to the decoder cannot silently turn them into something else.
#[test]
fn validate_regression_inputs_decode_to_the_attacks_they_are_named_after() {
    use authprobe::Algorithm::*;
    use checks::Mutation as M;
    let expected: [(&str, authprobe::Algorithm, M); 14] = [
        ("eddsa-signature-s-plus-l", EdDSA, M::Ed25519AddL),
        (
            "eddsa-alg-none-empty-signature",
            EdDSA,
            M::AlgNone { name: 0 },
        ),
        (
            "eddsa-alg-NONE-empty-signature",
            EdDSA,
            M::AlgNone { name: 2 },
        ),
        (
            "rs256-hs256-keyed-with-public-jwk",
            RS256,
            M::HmacWithPublicKey {
                hash: 0,
                key_form: 0,
            },
        ),
        (
            "rs256-hs256-keyed-with-modulus",
            RS256,
            M::HmacWithPublicKey {
                hash: 0,
                key_form: 2,
            },
        ),
        (
            "es256-hs384-keyed-with-x",
            ES256,
            M::HmacWithPublicKey {
                hash: 1,
                key_form: 2,
            },
        ),
        ("ps256-signed-by-untrusted-key", PS256, M::AttackerSignature),
        ("es512-signed-by-untrusted-key", ES512, M::AttackerSignature),
        (
            "hs512-signed-by-untrusted-secret",
            HS512,
            M::AttackerSignature,
        ),
        ("rs256-header-says-ps256", RS256, M::AlgSwap { to: 7 }),
        (
            "es256-s-to-n-minus-s-accepted-malleability",
            ES256,
            M::EcdsaMalleate,
        ),
        (
            "eddsa-signature-nonzero-trailing-bits",
            EdDSA,
            M::TrailingBits {
                segment: 2,
                delta: 2,
            },
        ),
        (
            "eddsa-payload-padded",
            EdDSA,
            M::Pad {
                segment: 1,
                count: 2,
            },
        ),
        ("es384-standard-base64-alphabet", ES384, M::StandardAlphabet),
    ];
    let dir = root().join("tests/fixtures/fuzz/validate");
    for (name, alg, mutation) in &expected {
        let data = std::fs::read(dir.join(name)).unwrap();
        let case =
            checks::Case::decode(&mut checks::Reader::new(&data), &authprobe::Algorithm::ALL);
        assert!(
            case.canonical,
            "{name}: the base token is the well-formed one"
        );
        assert_eq!((case.alg, &case.mutation), (*alg, mutation), "{name}");
    }
    // Inputs kept for other reasons (see tests/fixtures/fuzz/README.md).
    let others = [
        "eddsa-crit-ext-understood-accepted",
        "harness-crit-naming-an-unknown-extension-is-not-well-formed",
    ];
    let data = std::fs::read(dir.join(others[0])).unwrap();
    let case = checks::Case::decode(&mut checks::Reader::new(&data), &authprobe::Algorithm::ALL);
    assert!(
        case.canonical && case.understood_crit == ["ext"],
        "{case:?}"
    );
    assert!(case.header.contains(&("crit".into(), "[\"ext\"]".into())));
    assert_eq!(
        inputs(&dir).len(),
        expected.len() + others.len(),
        "an undocumented validate input"
    );
}
