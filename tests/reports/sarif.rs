//! results.sarif: the golden file, validation against OASIS's SARIF 2.1.0 schema (and a check that
//! the validation is not vacuous), results as graded findings with their rules, and the round trip
//! through serde_sarif's typed model. The schema helpers are shared with the other modules.

use crate::runs::{all_findings, fixtures, golden, hostile, representative, TARGET};
use authprobe::judge::Severity;
use authprobe::report::{sarif, Finding, RunReport};
use serde_json::Value;
use std::collections::{HashMap, HashSet};

pub(crate) fn sarif_value(report: &RunReport) -> Value {
    serde_json::from_str(&sarif::to_sarif_json(report)).expect("SARIF is JSON")
}

/// The `language` pattern of the 2.1.0 OASIS Standard schema, and its Errata 01 correction.
/// The original is valid only under ECMA-262 Annex B (a lone `]` as a literal), which the
/// `jsonschema` crate's meta-schema `format: regex` check rightly refuses.
const LANGUAGE_PATTERN: (&str, &str) = (
    "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$",
    "^[a-zA-Z]{2}(-[a-zA-Z]{2})?$",
);

/// A schema file; for the 2.1.0 OS schema, with the Errata 01 fix of its two `language`
/// patterns applied in memory (the file stays byte-for-byte as published).
fn load_schema(file: &str) -> Value {
    let mut text = std::fs::read_to_string(fixtures().join(file)).expect("schema file");
    if file == "sarif-schema-2.1.0.json" {
        let (bad, fixed) = LANGUAGE_PATTERN;
        assert_eq!(
            text.matches(bad).count(),
            2,
            "the known erratum is where expected"
        );
        text = text.replace(bad, fixed);
    }
    serde_json::from_str(&text).expect("schema is JSON")
}

/// Validates against the official SARIF 2.1.0 schema (see tests/fixtures/reports/README.md).
pub(crate) fn assert_schema_valid(instance: &Value) {
    {
        let (file, draft) = ("sarif-schema-2.1.0.json", jsonschema::Draft::Draft7);
        let schema = load_schema(file);
        let validator = jsonschema::options()
            .with_draft(draft)
            .should_validate_formats(true)
            .build(&schema)
            .unwrap_or_else(|e| panic!("{file} compiles: {e}"));
        let errors: Vec<String> = validator
            .iter_errors(instance)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "SARIF invalid against {file}:\n{}",
            errors.join("\n")
        );
    }
}

/// The typed SARIF model reads the log back and writes the same JSON.
pub(crate) fn assert_typed_round_trip(v: &Value) {
    let typed: serde_sarif::sarif::Sarif =
        serde_json::from_value(v.clone()).expect("deserializes as serde_sarif::Sarif");
    assert_eq!(&serde_json::to_value(&typed).expect("reserializes"), v);
}

#[test]
fn sarif_is_golden_and_schema_valid() {
    let report = representative();
    golden("results.sarif", &sarif::to_sarif_json(&report));
    assert_schema_valid(&sarif_value(&report));
    assert_schema_valid(&sarif_value(&hostile()));
    let mut empty = report.clone();
    empty.baseline.clear();
    empty.suites.clear();
    empty.summarize();
    let v = sarif_value(&empty);
    assert_schema_valid(&v);
    assert_eq!(v["runs"][0]["results"], serde_json::json!([]));
    assert_eq!(
        v["runs"][0]["tool"]["driver"]["rules"],
        serde_json::json!([])
    );
}

#[test]
fn sarif_schema_check_is_not_vacuous() {
    let mut v = sarif_value(&representative());
    v["runs"][0]["results"][0]["level"] = "fatal".into();
    let os = jsonschema::draft7::new(&load_schema("sarif-schema-2.1.0.json")).expect("compiles");
    for validator in std::iter::once(&os) {
        assert!(!validator.is_valid(&v), "an invalid level must be refused");
    }
    let mut v = sarif_value(&representative());
    v["runs"][0]["results"][0]["message"] = serde_json::json!({});
    for validator in std::iter::once(&os) {
        assert!(
            !validator.is_valid(&v),
            "a message without text or id must be refused"
        );
    }
    let mut v = sarif_value(&representative());
    v["runs"][0]["tool"]["driver"]["rules"][0]["unknownMember"] = true.into();
    for validator in std::iter::once(&os) {
        assert!(!validator.is_valid(&v), "unknown members must be refused");
    }
    let mut v = sarif_value(&representative());
    v["runs"][0]["results"][0]["baselineState"] = "gone".into();
    assert!(!os.is_valid(&v), "an unknown baselineState must be refused");
    let mut v = sarif_value(&representative());
    v["runs"][0]["results"][0]["suppressions"] = serde_json::json!([{"kind": "ignored"}]);
    assert!(
        !os.is_valid(&v),
        "an unknown suppression kind must be refused"
    );
}

#[test]
fn sarif_results_are_graded_findings_with_rules() {
    let report = representative();
    let v = sarif_value(&report);
    assert_eq!(
        v["$schema"],
        "https://json.schemastore.org/sarif-2.1.0.json"
    );
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "authprobe");
    assert_eq!(run["tool"]["driver"]["version"], "0.1.0");
    let results = run["results"].as_array().expect("results");
    // Every finding graded low or above, whether or not it fails the gate; no info finding.
    let graded: Vec<&Finding> = all_findings(&report)
        .into_iter()
        .filter(|f| f.severity >= Severity::Low)
        .collect();
    assert_eq!(
        results.len(),
        graded.len(),
        "one result per finding graded low or above"
    );
    let g = report.summary.by_grade;
    assert_eq!(results.len(), g.critical + g.high + g.medium + g.low);
    assert_eq!(results.len(), 5);
    assert!(
        report.summary.failing < results.len(),
        "findings below the gate are results too"
    );

    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    let rule_ids: Vec<&str> = rules
        .iter()
        .map(|r| r["id"].as_str().expect("id"))
        .collect();
    assert_eq!(
        rule_ids,
        [
            "AP-ALG-NONE",
            "AP-A03",
            "AP-CLAIM-EXP",
            "AP-CONTRACT-CHALLENGE",
            "AP-SERVER-ERROR"
        ]
    );
    for r in rules {
        let help = r["help"]["text"].as_str().expect("help text");
        assert!(help.starts_with("Expected secure behaviour: "), "{help}");
        assert!(!r["shortDescription"]["text"]
            .as_str()
            .expect("short")
            .is_empty());
        let tags = r["properties"]["tags"].as_array().expect("tags");
        assert!(["critical", "high", "medium", "low"]
            .contains(&tags[0].as_str().expect("severity tag")));
    }
    // security-severity on every rule: the grade of its (most severe) result.
    let rule_grade: HashMap<&str, (&str, &str, &str)> = rules
        .iter()
        .map(|r| {
            (
                r["id"].as_str().expect("id"),
                (
                    r["properties"]["security-severity"]
                        .as_str()
                        .expect("rule security-severity"),
                    r["properties"]["severity"].as_str().expect("rule severity"),
                    r["defaultConfiguration"]["level"]
                        .as_str()
                        .expect("default level"),
                ),
            )
        })
        .collect();
    assert_eq!(rule_grade["AP-ALG-NONE"], ("9.5", "critical", "error"));
    assert_eq!(rule_grade["AP-CLAIM-EXP"], ("8.0", "high", "error"));
    assert_eq!(rule_grade["AP-SERVER-ERROR"], ("5.5", "medium", "warning"));
    assert_eq!(rule_grade["AP-A03"], ("3.0", "low", "note"));
    assert_eq!(rule_grade["AP-CONTRACT-CHALLENGE"], ("3.0", "low", "note"));
    assert_eq!(
        rules[0]["shortDescription"]["text"],
        "alg \"none\" token is accepted?"
    );
    assert!(rules[0]["help"]["text"]
        .as_str()
        .expect("help")
        .contains("CVE-2015-9235, RFC 8725 §3.1"));
    assert_eq!(
        rules[0]["properties"]["tags"],
        serde_json::json!(["critical", "security", "alg", "cve"])
    );
    assert_eq!(
        rules[1]["properties"]["tags"],
        serde_json::json!(["low", "contract"])
    );

    assert_eq!(sarif::FINGERPRINT_KEY, "authprobeFinding/v2");
    let mut fingerprints = HashSet::new();
    for (r, f) in results.iter().zip(&graded) {
        let id = r["ruleId"].as_str().expect("ruleId");
        assert_eq!(id, f.rule_id, "results in finding order");
        let index = r["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rule_ids[index], id, "ruleIndex points at its rule");
        assert!(!r["message"]["text"].as_str().expect("message").is_empty());
        let loc = &r["locations"][0]["logicalLocations"][0];
        assert!(loc["fullyQualifiedName"]
            .as_str()
            .expect("fqn")
            .starts_with(&format!("{TARGET}/")));
        // The grade on the result, as GitHub code scanning reads it.
        assert_eq!(r["properties"]["severity"], f.severity.name());
        assert_eq!(
            r["properties"]["security-severity"],
            f.severity.security_severity()
        );
        let fingerprint = r["partialFingerprints"][sarif::FINGERPRINT_KEY]
            .as_str()
            .expect("fingerprint");
        assert_eq!(fingerprint, f.fingerprint, "the finding's own fingerprint");
        assert_eq!(fingerprint.len(), 24);
        assert!(fingerprint
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_eq!(
            r["partialFingerprints"].as_object().expect("map").len(),
            1,
            "one versioned fingerprint key"
        );
        fingerprints.insert((id.to_string(), fingerprint.to_string()));
        assert!(
            r.get("suppressions").is_none() && r.get("baselineState").is_none(),
            "no suppressions or baseline state without suppressions or a baseline"
        );
    }
    assert_eq!(
        fingerprints.len(),
        results.len(),
        "fingerprints distinguish findings"
    );

    let result_of = |rule: &str| {
        results
            .iter()
            .find(|r| r["ruleId"] == rule)
            .expect("result")
    };
    let level_of = |rule: &str| result_of(rule)["level"].clone();
    assert_eq!(level_of("AP-ALG-NONE"), "error");
    assert_eq!(level_of("AP-CLAIM-EXP"), "error");
    assert_eq!(level_of("AP-SERVER-ERROR"), "warning");
    assert_eq!(level_of("AP-CONTRACT-CHALLENGE"), "note");
    assert_eq!(level_of("AP-A03"), "note");
    assert_eq!(
        result_of("AP-ALG-NONE")["properties"]["security-severity"],
        "9.5"
    );
    assert_eq!(
        result_of("AP-A03")["properties"]["security-severity"],
        "3.0"
    );
    let contract = result_of("AP-A03");
    assert_eq!(contract["properties"]["kind"], "contract");
    assert_eq!(contract["properties"]["cause"], "contract-deviation");
    assert_eq!(contract["properties"]["class"], "contract");
    assert_eq!(contract["properties"]["producer"], "anyone");
    assert_eq!(contract["properties"]["confidence"], "high");
    assert_eq!(contract["properties"]["target"], TARGET);
    assert_eq!(
        contract["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
        format!("{TARGET}/alg/A03")
    );
    assert_eq!(
        result_of("AP-CONTRACT-CHALLENGE")["properties"]["confidence"],
        "medium"
    );
    let check = result_of("AP-SERVER-ERROR");
    assert!(
        check["properties"].get("cause").is_none(),
        "a check has no cause"
    );
    assert_eq!(check["properties"]["class"], "server-error");
    for info in ["AP-INFO-STATELESS", "AP-CLAIM-CRIT"] {
        assert!(
            results.iter().all(|r| r["ruleId"] != info),
            "info findings are not results ({info})"
        );
        assert!(
            rule_ids.iter().all(|r| *r != info),
            "no rule for info-only findings ({info})"
        );
    }
}

#[test]
fn sarif_round_trips_through_typed_model() {
    assert_typed_round_trip(&sarif_value(&representative()));
    assert_typed_round_trip(&sarif_value(&hostile()));
}
