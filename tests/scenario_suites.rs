//! The built-in suites against the specs: every row of errors.md has an error-contract case that
//! expects its code, every catalogue case has an attacks case, and every suite loads.

use authprobe::dangerous::forge::catalogue;
use authprobe::run::builtin;
use authprobe::scenario::TokenSource;
use authprobe::ErrorCode;
use std::collections::BTreeSet;

#[test]
fn every_builtin_suite_loads_and_names_match_files() {
    let suites = builtin::builtin_suites().expect("built-in suites load");
    let names: Vec<&str> = suites.iter().map(|s| s.suite.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "unauthenticated",
            "error-contract",
            "attacks",
            "placement",
            "better-auth",
            "cors",
            "lifecycle"
        ]
    );
    for (file, _) in builtin::BUILTIN {
        let on_disk =
            std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file))
                .unwrap();
        let embedded = builtin::BUILTIN.iter().find(|(f, _)| f == &file).unwrap().1;
        assert_eq!(on_disk, embedded, "{file} is embedded as it is on disk");
    }
}

#[test]
fn the_error_contract_suite_covers_every_code_of_errors_md() {
    let suites = builtin::builtin_suites().unwrap();
    let suite = suites
        .iter()
        .find(|s| s.suite.name == "error-contract")
        .unwrap();
    let expected: BTreeSet<&str> = suite
        .cases
        .iter()
        .filter_map(|c| c.expect.code.as_deref())
        .collect();
    let all: BTreeSet<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    let missing: Vec<&&str> = all.difference(&expected).collect();
    assert!(
        missing.is_empty(),
        "codes without an error-contract case: {missing:?}"
    );
}

#[test]
fn the_attacks_suite_covers_every_catalogue_case() {
    let suites = builtin::builtin_suites().unwrap();
    let suite = suites.iter().find(|s| s.suite.name == "attacks").unwrap();
    let covered: BTreeSet<&str> = suite
        .cases
        .iter()
        .filter(|c| c.token.from == TokenSource::Catalogue)
        .filter_map(|c| c.token.catalogue.as_deref())
        .collect();
    for case in catalogue::catalogue() {
        assert!(covered.contains(case.id), "{} has no attacks case", case.id);
    }
}
