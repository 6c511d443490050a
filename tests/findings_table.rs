//! The grading table of specs/002-auth-security-integration/contracts/findings.md against the
//! code, the way contract_table.rs keeps errors.md in step: every cause with its grade, producer
//! and class (§3); every catalogue class with the causes the grader gives its tokens when a
//! backend accepts them, computed here for issuers of every Better Auth key type (§4); every
//! differential class with its cause (§5); every built-in suite check with its grade and class,
//! or "by cause" for requests the reference judges (§6). Each row exactly once.
//!
//! `FINDINGS_TABLE_PRINT=1 cargo test --test findings_table -- --nocapture` prints the computed
//! rows of §4 and §6 (to review, then paste into findings.md).

use authprobe::algorithm::Algorithm;
use authprobe::dangerous::forge::sample::SampleIssuer;
use authprobe::dangerous::forge::{catalogue, forge_all, AttackerKeys, Delivery, ForgeInput};
use authprobe::differential::Class;
use authprobe::judge::{Cause, Oracle, Severity};
use authprobe::run::builtin;
use authprobe::{Policy, Validator};
use std::collections::{BTreeMap, BTreeSet};

const NOW: i64 = 1_795_690_700;
const ISSUER: &str = "http://127.0.0.1:3000";

fn findings_md() -> String {
    std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("specs/002-auth-security-integration/contracts/findings.md"),
    )
    .expect("findings.md is readable")
}

/// The rows of the table under the heading that starts with `heading`: cells, trimmed, with
/// backticks removed; header and separator rows dropped.
fn table(md: &str, heading: &str) -> Vec<Vec<String>> {
    let start = md
        .find(heading)
        .unwrap_or_else(|| panic!("findings.md has no section {heading:?}"));
    let rest = &md[start + heading.len()..];
    let end = rest.find("\n## ").unwrap_or(rest.len());
    let rows: Vec<Vec<String>> = rest[..end]
        .lines()
        .filter(|l| l.trim_start().starts_with('|'))
        .map(|l| {
            l.trim()
                .trim_matches('|')
                .split('|')
                .map(|c| c.trim().replace('`', ""))
                .collect()
        })
        .collect();
    assert!(rows.len() > 2, "{heading}: no table");
    rows.into_iter().skip(2).collect()
}

fn print_wanted() -> bool {
    std::env::var_os("FINDINGS_TABLE_PRINT").is_some()
}

#[test]
fn every_cause_has_one_row_with_its_grade_producer_and_class() {
    let md = findings_md();
    let rows = table(&md, "## 3.");
    let mut seen = BTreeSet::new();
    for row in &rows {
        let cause =
            Cause::from_id(&row[0]).unwrap_or_else(|| panic!("§3: unknown cause {:?}", row[0]));
        assert!(seen.insert(cause), "§3: {cause} listed twice");
        assert_eq!(row[1], cause.severity().name(), "§3 grade of {cause}");
        assert_eq!(
            row[2],
            cause.producer().to_string(),
            "§3 producer of {cause}"
        );
        assert_eq!(row[3], cause.class().name(), "§3 class of {cause}");
        assert!(
            row.get(4).is_some_and(|why| why.len() > 10),
            "§3: {cause} says why"
        );
    }
    for c in Cause::ALL {
        assert!(seen.contains(c), "§3: cause {c} has no row");
    }
}

/// For each catalogue class, the causes the grader gives its tokens (those a secure validator
/// refuses) if a backend accepted them, over white-box issuers of every Better Auth key type.
fn catalogue_causes() -> BTreeMap<&'static str, BTreeSet<Cause>> {
    let attacker = AttackerKeys::generate().unwrap();
    let mut out: BTreeMap<&'static str, BTreeSet<Cause>> = BTreeMap::new();
    for alg in [
        Algorithm::EdDSA,
        Algorithm::ES256,
        Algorithm::ES512,
        Algorithm::RS256,
        Algorithm::PS256,
    ] {
        let sample = SampleIssuer::generate(alg).unwrap();
        let token = sample.token(ISSUER, NOW);
        let mut policy = Policy::better_auth(ISSUER, ISSUER).with_algorithms([alg]);
        policy.max_lifetime_secs = Some(catalogue::AUDIT_MAX_LIFETIME_SECS);
        let keys = authprobe::KeySet::from_public_jwks(
            serde_json::json!({ "keys": sample.published })
                .to_string()
                .as_bytes(),
        )
        .unwrap();
        let oracle = Oracle::new(Validator::new(policy), keys, true);
        let input = ForgeInput {
            base: &token,
            target_keys: &sample.published,
            issuer_key: Some(&sample.key),
            attacker: &attacker,
            oob_base: "http://127.0.0.1:9",
            now: NOW,
        };
        for f in forge_all(&input) {
            if f.expected == authprobe::dangerous::forge::Expected::Accepted {
                continue;
            }
            let values: Vec<String> = match &f.delivery {
                Delivery::Bearer => vec![format!("Bearer {}", f.token)],
                Delivery::AuthorizationHeaders { values } => values.clone(),
            };
            let value_bytes: Vec<&[u8]> = values.iter().map(|v| v.as_bytes()).collect();
            let cause = oracle.acceptance(&value_bytes, Some(f.token.as_bytes()), NOW);
            out.entry(f.id).or_default().insert(cause);
        }
    }
    out
}

fn cause_list(causes: &BTreeSet<Cause>) -> String {
    let mut v: Vec<&Cause> = causes.iter().collect();
    v.sort_by_key(|c| (std::cmp::Reverse(c.severity()), c.id()));
    v.iter().map(|c| c.id()).collect::<Vec<_>>().join(", ")
}

/// The §4 causes cell of a class: its causes, "not a token", or "none refused" for a class whose
/// tokens a secure validator accepts (malleability checks).
fn causes_cell(
    case: &catalogue::Case,
    computed: &BTreeMap<&'static str, BTreeSet<Cause>>,
) -> String {
    match (computed.get(case.id), case.not_expressible) {
        (Some(causes), _) => cause_list(causes),
        (None, Some(_)) => "not a token".into(),
        (None, None) => "none refused".into(),
    }
}

#[test]
fn every_catalogue_class_has_one_row_with_the_causes_its_tokens_get() {
    let computed = catalogue_causes();
    if print_wanted() {
        for case in catalogue::catalogue() {
            let causes = causes_cell(case, &computed);
            let top = computed
                .get(case.id)
                .and_then(|c| c.iter().map(|c| c.severity()).max())
                .map_or("—".to_owned(), |s| s.name().to_owned());
            println!("| {} | {} | {top} | {causes} |", case.id, case.slug);
        }
    }
    let md = findings_md();
    let rows = table(&md, "## 4.");
    let mut seen = BTreeSet::new();
    for row in &rows {
        let case =
            catalogue::find(&row[0]).unwrap_or_else(|| panic!("§4: unknown class {}", row[0]));
        assert!(seen.insert(case.id), "§4: {} listed twice", case.id);
        assert_eq!(row[1], case.slug, "§4 slug of {}", case.id);
        let want = causes_cell(case, &computed);
        assert_eq!(row[3], want, "§4 causes of {} {}", case.id, case.slug);
        let top = computed
            .get(case.id)
            .and_then(|c| c.iter().map(|c| c.severity()).max())
            .map_or("—".to_owned(), |s| s.name().to_owned());
        assert_eq!(row[2], top, "§4 top grade of {}", case.id);
    }
    for case in catalogue::catalogue() {
        assert!(
            seen.contains(case.id),
            "§4: {} {} has no row",
            case.id,
            case.slug
        );
    }
}

#[test]
fn every_differential_class_has_one_row() {
    let md = findings_md();
    let rows = table(&md, "## 5.");
    let classes = [
        Class::Accepts,
        Class::RefusesValid,
        Class::ServerError,
        Class::Contract,
        Class::Leak,
        Class::OobFetch,
        Class::Challenge,
        Class::CorsGrant,
        Class::Cors,
    ];
    let mut seen = BTreeSet::new();
    for row in &rows {
        let class = classes
            .iter()
            .find(|c| format!("{c:?}") == row[0])
            .unwrap_or_else(|| panic!("§5: unknown class {}", row[0]));
        assert!(seen.insert(*class), "§5: {:?} listed twice", class);
        assert_eq!(row[1], class.cause().id(), "§5 cause of {class:?}");
    }
    assert_eq!(seen.len(), classes.len(), "§5: every class has a row");
}

#[test]
fn every_built_in_suite_check_has_one_row_with_its_grade_and_class() {
    let suites = builtin::builtin_suites().unwrap();
    let md = findings_md();
    if print_wanted() {
        for s in &suites {
            for c in &s.cases {
                let grade =
                    if authprobe::run::plan::about_the_token(c, c.server.unwrap_or(s.suite.server))
                    {
                        "by cause".to_owned()
                    } else {
                        c.severity.name().to_owned()
                    };
                let class = c.class.map_or("contract", |k| k.name());
                println!(
                    "| {}/{} | {} | {grade} | {class} |",
                    s.suite.name, c.id, c.rule
                );
            }
        }
    }
    let rows = table(&md, "## 6.");
    let mut seen = BTreeSet::new();
    for row in &rows {
        let (suite, id) = row[0]
            .split_once('/')
            .unwrap_or_else(|| panic!("§6: {:?} is not suite/case", row[0]));
        let case = suites
            .iter()
            .find(|s| s.suite.name == suite)
            .and_then(|s| s.cases.iter().find(|c| c.id == id))
            .unwrap_or_else(|| panic!("§6: no built-in case {}", row[0]));
        assert!(seen.insert(row[0].clone()), "§6: {} listed twice", row[0]);
        assert_eq!(row[1], case.rule, "§6 rule of {}", row[0]);
        let server = suites
            .iter()
            .find(|s| s.suite.name == suite)
            .map(|s| case.server.unwrap_or(s.suite.server))
            .unwrap();
        if authprobe::run::plan::about_the_token(case, server) {
            assert_eq!(
                row[2], "by cause",
                "§6: {} is judged by the reference",
                row[0]
            );
        } else {
            assert_eq!(row[2], case.severity.name(), "§6 grade of {}", row[0]);
        }
        assert_eq!(
            row[3],
            case.class.map_or("contract", |k| k.name()),
            "§6 class of {}",
            row[0]
        );
    }
    for s in &suites {
        for c in &s.cases {
            let key = format!("{}/{}", s.suite.name, c.id);
            assert!(seen.contains(&key), "§6: {key} has no row");
        }
    }
    // The grades are grades.
    assert!(rows
        .iter()
        .all(|r| r[2] == "by cause" || r[2].parse::<Severity>().is_ok()));
}
