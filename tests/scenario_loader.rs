//! The scenario loader: a valid suite becomes the expected model; each broken file fails with
//! its exact `file:line:column` and hint; no input makes it panic; the real suites load.

mod common;

use authprobe::dangerous::forge::Severity;
use authprobe::scenario::*;
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new("tests/fixtures/scenarios").join(name)
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn edit(name: &str, op: EditOp, value: &str) -> Edit {
    Edit {
        name: name.into(),
        op,
        value: Some(value.into()),
    }
}

fn expected_valid_suite() -> Suite {
    let case = |id: &str, title: &str, rule: &str, severity| CaseSpec {
        id: id.into(),
        title: title.into(),
        rule: rule.into(),
        severity,
        class: None,
        tags: vec![],
        server: None,
        token: TokenSpec::default(),
        request: RequestSpec::default(),
        expect: Expect::default(),
        retries: 0,
        needs: vec![],
    };
    let expired = CaseSpec {
        tags: vec!["error-contract".into(), "claims".into()],
        needs: vec![Need::IssuerKey, Need::Session],
        retries: 2,
        token: TokenSpec {
            from: TokenSource::Edited,
            header: vec![edit("kid", EditOp::Duplicate, "\"other\"")],
            claims: vec![
                edit("exp", EditOp::Set, "now-5m"),
                edit("iat", EditOp::Set, "now-20m"),
            ],
            sign: Signing::Issuer,
            catalogue: None,
        },
        expect: Expect {
            outcome: ExpectedOutcome::Rejected,
            status: Some(401),
            code: Some("TOKEN_EXPIRED".into()),
            headers: map(&[(
                "WWW-Authenticate",
                r#"^Bearer realm="[^"]+", error="invalid_token""#,
            )]),
            headers_absent: vec!["Set-Cookie".into()],
            json: map(&[
                ("/code", "\"TOKEN_EXPIRED\""),
                ("/error", "\"invalid_token\""),
            ]),
            no_secrets_in_body: true,
        },
        ..case(
            "expired-resigned",
            "an expired token re-signed by the issuer",
            "AP-EC-TOKEN_EXPIRED",
            Severity::High,
        )
    };
    let catalogue = CaseSpec {
        server: Some(Server::Backend),
        token: TokenSpec {
            from: TokenSource::Catalogue,
            catalogue: Some("B01".into()),
            ..TokenSpec::default()
        },
        ..case(
            "alg-none-catalogue",
            "every alg=none variant",
            "AP-B01-alg-none",
            Severity::Critical,
        )
    };
    let cookie = CaseSpec {
        token: TokenSpec {
            from: TokenSource::Session,
            ..TokenSpec::default()
        },
        request: RequestSpec {
            placement: Placement::Cookie("token".into()),
            headers: map(&[("Origin", "${frontend_origin}")]),
            ..RequestSpec::default()
        },
        expect: Expect {
            code: Some("MISSING_TOKEN".into()),
            ..Expect::default()
        },
        ..case(
            "cookie-only",
            "a valid token sent only in a cookie is not read",
            "AP-EC-MISSING_TOKEN",
            Severity::Medium,
        )
    };
    let fresh = CaseSpec {
        request: RequestSpec {
            path: "/api/me?user=${user_id}".into(),
            authorization: Some(vec!["Bearer ${fresh_jwt}".into()]),
            repeat: 3,
            ..RequestSpec::default()
        },
        expect: Expect {
            outcome: ExpectedOutcome::Accepted,
            status: Some(200),
            json: map(&[("/sub", "\"${user_id}\"")]),
            no_secrets_in_body: false,
            ..Expect::default()
        },
        ..case(
            "me-with-fresh-jwt",
            "the JWT from get-session is accepted",
            "AP-BA-FRESH_JWT",
            Severity::Info,
        )
    };
    Suite {
        suite: SuiteMeta {
            name: "loader-fixture".into(),
            description: "Every table and field, once.".into(),
            server: Server::Backend,
        },
        flows: vec![
            FlowStep {
                name: "sign-in".into(),
                server: Server::Auth,
                request: RequestSpec {
                    method: "POST".into(),
                    path: "/api/auth/sign-in/email".into(),
                    content_type: Some("application/json".into()),
                    body: Some(
                        r#"{"email": "${user_email}", "password": "${user_password}"}"#.into(),
                    ),
                    ..RequestSpec::default()
                },
                expect_status: Some(200),
                capture: map(&[
                    ("signed_session", "header:set-auth-token"),
                    ("user_id", "json:/user/id"),
                ]),
            },
            FlowStep {
                name: "get-session".into(),
                server: Server::Auth,
                request: RequestSpec {
                    path: "/api/auth/get-session".into(),
                    authorization: Some(vec!["Bearer ${signed_session}".into()]),
                    ..RequestSpec::default()
                },
                expect_status: None,
                capture: map(&[
                    ("fresh_jwt", "header:set-auth-jwt"),
                    ("session_cookie", "cookie:better-auth.session_token"),
                ]),
            },
        ],
        cases: vec![expired, catalogue, cookie, fresh],
    }
}

#[test]
fn valid_suite_loads_into_the_expected_model() {
    let suite = load_file(&fixture("valid.toml")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(suite, expected_valid_suite());
}

#[test]
fn load_dir_reads_only_toml_files_sorted() {
    // `broken/` is a folder, not a suite: only valid.toml is read.
    let suites = load_dir(Path::new("tests/fixtures/scenarios")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(suites.len(), 1);
    assert_eq!(suites[0].suite.name, "loader-fixture");
    // The first file by name fails first.
    let err = load_dir(&fixture("broken")).expect_err("broken files");
    assert!(err.file().ends_with("bad-capture.toml"), "{err}");
    let err = load_dir(Path::new("tests/fixtures/no-such-folder")).expect_err("missing");
    assert!(matches!(err, ScenarioError::Io { .. }), "{err}");
}

#[test]
fn suite_names_are_unique_across_a_folder() {
    let dir = common::temp_dir("scenarios");
    let text = "[suite]\nname = \"same\"\ndescription = \"d\"\n";
    std::fs::write(dir.join("a.toml"), text).expect("write");
    std::fs::write(dir.join("b.toml"), text).expect("write");
    let err = load_dir(&dir).expect_err("duplicate");
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(
        err.location(),
        format!("{}:2:8", dir.join("b.toml").display())
    );
    assert!(
        err.message()
            .starts_with("suite name `same` is already used by"),
        "{err}"
    );
}

/// (file, line, column, kind, message start, hint)
type Row = (
    &'static str,
    usize,
    usize,
    &'static str,
    &'static str,
    Option<&'static str>,
);

const BROKEN: &[Row] = &[
    ("typo-field", 11, 1, "field", "unknown field `statu`, expected one of `outcome`, `status`", Some("did you mean `status`?")),
    ("unknown-table", 10, 7, "field", "unknown field `expects`", Some("did you mean `expect`?")),
    ("unknown-top-table", 5, 3, "field", "unknown field `cases`", Some("did you mean `case`?")),
    ("wrong-type-array", 9, 8, "field", "invalid type: string \"claims\", expected an array", Some("`tags` is an array: write `tags = [ … ]`")),
    ("wrong-type-number", 9, 17, "field", "invalid type: string \"401\", expected an integer 0..=65535", Some("write the number without quotes")),
    ("bad-variant", 11, 13, "field", "unknown variant `headr`, expected one of `header`", Some("did you mean `header`?")),
    ("bad-severity", 9, 12, "field", "unknown variant `hihg`", Some("did you mean `high`?")),
    ("placement-needs-name", 9, 21, "field", "invalid type: unit variant, expected newtype variant", Some("this variant takes a name: write `placement = { cookie = \"<name>\" }`")),
    ("missing-field", 5, 1, "field", "missing field `rule`", Some("add `rule = …` to this table")),
    ("no-suite", 1, 1, "field", "missing field `suite`", Some("start the file with a `[suite]` table holding `name` and `description`")),
    ("flow-expect", 8, 1, "field", "unknown field `expect`", Some("a flow step checks only its status: `expect_status = 200`")),
    ("syntax-error", 9, 29, "syntax", "invalid basic string", Some("close the string on the same line with the quote that opened it, or use `\"\"\"` / `'''` for multi-line text")),
    ("not-utf8", 3, 19, "syntax", "the file is not valid UTF-8", Some("save suite files as UTF-8")),
    ("duplicate-id", 11, 6, "semantic", "duplicate case id `only-case`", Some("ids are unique within a suite; the first `only-case` is at line 6")),
    ("id-not-kebab", 6, 6, "semantic", "case id `Expired_Token` is not kebab-case", Some("did you mean `expired-token`?")),
    ("bad-rule", 8, 8, "semantic", "`EC-TOKEN_EXPIRED` is not a rule id", Some("did you mean `AP-EC-TOKEN_EXPIRED`?")),
    ("unknown-catalogue", 9, 43, "semantic", "no catalogue case `B1`", Some("did you mean `B01`?")),
    ("catalogue-missing", 11, 8, "semantic", "`from = \"catalogue\"` needs `catalogue = \"<id>\"`", Some("name a catalogue case by id or slug, e.g. `catalogue = \"B01\"` (`authprobe forge --list`)")),
    ("edits-need-edited", 13, 14, "semantic", "token claims edits need `from = \"edited\"`", Some("set `from = \"edited\"` in this token table")),
    ("remove-with-value", 12, 42, "semantic", "the `remove` edit of `exp` takes no value", Some("delete `value`, or use `op = \"set\"`")),
    ("value-not-json", 12, 35, "semantic", "the value of `sub` is not JSON", Some("a JSON string keeps its quotes inside the TOML string: `'\"alice\"'`")),
    ("bad-relative-time", 15, 9, "semantic", "`now-5min` is not a relative time", Some("write `now`, `now+<n><s|m|h|d>` or `now-<n><s|m|h|d>`, e.g. `now-5m`")),
    ("empty-title", 7, 9, "semantic", "empty case title", Some("say in a few words what the case checks; reports show it")),
    ("header-twins", 12, 1, "semantic", "header `www-authenticate` is given twice (`WWW-Authenticate`): names are case-insensitive", Some("keep one of them; the other is at line 11")),
    ("bad-code", 12, 8, "semantic", "`TOKEN_EXPIRD` is not a code of the error contract", Some("did you mean `TOKEN_EXPIRED`?")),
    ("status-out-of-range", 9, 17, "semantic", "999 is not an HTTP status", Some("statuses are 100..=599")),
    ("outcome-contradiction", 9, 41, "semantic", "`code = \"TOKEN_EXPIRED\"` contradicts `outcome = \"accepted\"`", Some("remove `code`, or set `outcome = \"rejected\"`")),
    ("bad-regex", 11, 34, "semantic", "invalid regex for header `WWW-Authenticate`: unclosed group", Some("the value is a regex (Rust `regex` syntax); escape literal `(`, `[`, `.`, `\\` with `\\`")),
    ("json-pointer", 9, 17, "semantic", "`code` is not a JSON pointer", Some("JSON pointers start with `/`: did you mean `/code`?")),
    ("path-not-absolute", 9, 16, "semantic", "request path `https://api.example/api/me` does not start with `/`", Some("give the path only, e.g. `/api/me`: the base URL comes from the target")),
    ("bad-capture", 8, 15, "semantic", "`headers` is not a capture source kind", Some("did you mean `header:set-auth-jwt`?")),
    ("undefined-var", 14, 28, "semantic", "undefined variable `${user_idd}`", Some("did you mean `${user_id}`?")),
];

#[test]
fn every_broken_file_fails_at_its_position_with_its_hint() {
    let mut failures = Vec::new();
    for &(name, line, column, kind, message, hint) in BROKEN {
        let path = fixture(&format!("broken/{name}.toml"));
        let err = match load_file(&path) {
            Ok(_) => {
                failures.push(format!("{name}: loaded"));
                continue;
            }
            Err(e) => e,
        };
        let got_kind = match err {
            ScenarioError::Syntax { .. } => "syntax",
            ScenarioError::Field { .. } => "field",
            ScenarioError::Semantic { .. } => "semantic",
            _ => "other",
        };
        let location = format!("{}:{line}:{column}", path.display());
        if err.location() != location
            || got_kind != kind
            || !err.message().starts_with(message)
            || err.hint() != hint
        {
            failures.push(format!(
                "{name}: expected {kind} at {location}\n  got {got_kind}: {err}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_broken_fixture_is_in_the_table() {
    let mut files: Vec<String> = std::fs::read_dir(fixture("broken"))
        .expect("broken fixtures")
        .filter_map(|e| e.ok()?.path().file_stem()?.to_str().map(str::to_owned))
        .collect();
    files.sort();
    let mut rows: Vec<String> = BROKEN.iter().map(|r| r.0.to_owned()).collect();
    rows.sort();
    assert_eq!(files, rows);
}

#[test]
fn errors_display_with_location_and_hint() {
    let path = fixture("broken/typo-field.toml");
    let err = load_file(&path).expect_err("typo");
    assert_eq!(
        err.to_string(),
        format!(
            "{}:11:1: unknown field `statu`, expected one of `outcome`, `status`, `code`, \
             `headers`, `headers_absent`, `json`, `no_secrets_in_body`\n  hint: did you mean `status`?",
            path.display()
        )
    );
    let err = load_str("inline.toml", "[suite]\nname = 'x'\ndescription = 'd'\n[[case]]\nid = 'a'\ntitle = 't'\nrule = 'AP-X'\nexpect.code = 'TOKEN_EXPIRD'\n")
        .expect_err("bad code");
    assert_eq!(
        err.to_string(),
        "inline.toml:8:15: `TOKEN_EXPIRD` is not a code of the error contract\n  hint: did you mean `TOKEN_EXPIRED`?"
    );
}

#[test]
fn flow_steps_see_only_earlier_captures() {
    let text = "[suite]\nname = 'x'\ndescription = 'd'\n\
                [[flow]]\nname = 'one'\nrequest.path = '/a/${later}'\n\
                [[flow]]\nname = 'two'\nrequest.path = '/b'\ncapture.later = 'json:/x'\n";
    let err = load_str("flow.toml", text).expect_err("later capture");
    assert_eq!(err.location(), "flow.toml:6:20");
    assert_eq!(
        err.hint(),
        Some("`later` is captured only by this or a later flow step; steps run in order")
    );
}

#[test]
fn runtime_helpers() {
    assert_eq!(BUILTIN_VARS.len(), 10);
    assert!(BUILTIN_VARS.contains(&"frontend_origin"));
    let vars = map(&[("jwt", "a.b.c")]);
    assert_eq!(
        expand_vars("Bearer ${jwt}", &vars),
        Ok("Bearer a.b.c".into())
    );
    assert_eq!(expand_vars("${nope}", &vars), Err("nope".into()));
    assert_eq!(parse_relative_time("now-5m", 1_000), Some(700));
    assert_eq!(parse_relative_time("now-5min", 1_000), None);
}

/// The real suites in `scenarios/` all load (none is fine while they are being written).
#[test]
fn every_suite_in_scenarios_loads() {
    let dir = Path::new("scenarios");
    let toml_files = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter(|e| e.path().extension().is_some_and(|x| x == "toml"))
                .count()
        })
        .unwrap_or(0);
    let suites = load_dir(dir).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(suites.len(), toml_files);
    if toml_files > 0 {
        assert!(!suites.is_empty());
    }
}

/// The complete examples of `scenarios/README.md` load (the docs stay true).
#[test]
fn readme_examples_load() {
    let readme = std::fs::read_to_string("scenarios/README.md").expect("scenarios/README.md");
    let mut examples = 0;
    for block in readme.split("```toml\n").skip(1) {
        let Some((code, _)) = block.split_once("```") else {
            continue;
        };
        if code.starts_with("[suite]\nname") {
            load_str("README.md", code).unwrap_or_else(|e| panic!("{e}\n{code}"));
            examples += 1;
        }
    }
    assert_eq!(examples, 2);
}

fn valid_text() -> String {
    std::fs::read_to_string(fixture("valid.toml")).expect("valid.toml")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        let _ = load_str("any.toml", &text);
    }

    #[test]
    fn tomlish_text_never_panics(text in "[\\[\\]a-z_=\"'{}.,#\n ${}0-9/-]{0,200}") {
        let _ = load_str("any.toml", &text);
    }

    #[test]
    fn runtime_helpers_never_panic(s in any::<String>(), now in any::<i64>()) {
        let _ = parse_relative_time(&s, now);
        let vars = map(&[("jwt", "a.b.c")]);
        let _ = expand_vars(&s, &vars);
    }

    #[test]
    fn mutated_valid_file_never_panics(
        at in 0usize..4096,
        op in 0u8..3,
        c in prop_oneof![
            prop::sample::select(vec!['"', '\'', '[', ']', '{', '}', '=', '\n', '#', '$', '/', '-', '.', ',', '\\', 'x', '0', 'é']),
            any::<char>(),
        ],
    ) {
        let text = valid_text();
        let mut chars: Vec<char> = text.chars().collect();
        let i = at % chars.len();
        match op {
            0 => chars[i] = c,
            1 => { chars.remove(i); }
            _ => chars.insert(i, c),
        }
        let mutated: String = chars.into_iter().collect();
        if let Err(e) = load_str("mutated.toml", &mutated) {
            // Every located error points inside the text.
            if let Some((line, column)) = e.position() {
                prop_assert!(line >= 1 && column >= 1);
                prop_assert!(line <= mutated.lines().count().max(1) + 1, "{e}");
            }
        }
    }
}
