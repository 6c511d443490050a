//! The planning documents of spec 002 against the repository. plan.md, research.md and tasks.md
//! are prose that names suite cases, catalogue classes, tests and zoo backends; this file keeps
//! those names real when the suites, tests or manifests change:
//!
//! - all documents of the feature exist and are not empty;
//! - every task of tasks.md names at least one check, every check is well-formed and exists, and
//!   task ids are unique and in order;
//! - checks named in plan.md and research.md exist too;
//! - every relative Markdown link in plan.md, research.md and tasks.md points to an existing file
//!   (and, for a Markdown file, to an existing heading when it names one).
//!
//! A check is a backtick span in one of four forms: `suite:<suite>/<case-id>` (a case of a built-in
//! suite, scenarios/<suite>.toml), `catalogue:<ID>` (an attack class, A01 … J06),
//! `test:<file>::<function>` (a #[test] or #[tokio::test] function of the test binary `<file>`:
//! in tests/<file>.rs or tests/<file>/main.rs, or in any module file either declares with `mod`,
//! however deep) or `zoo:<backend>` (a manifest deploy/zoo/backends/<backend>.toml).

use authprobe::dangerous::forge::catalogue;
use authprobe::run::builtin::builtin_suites;
use regex::Regex;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs;
use std::path::{Component, Path, PathBuf};

const SPEC_DIR: &str = "specs/002-auth-security-integration";

/// The feature's documents: the eight of the plan, and findings.md as the ninth.
const DOCUMENTS: [&str; 9] = [
    "spec.md",
    "plan.md",
    "research.md",
    "data-model.md",
    "quickstart.md",
    "tasks.md",
    "contracts/http-api.md",
    "contracts/errors.md",
    "contracts/findings.md",
];

/// The documents whose links (and, besides tasks.md, whose checks) this file verifies.
const CHECKED_DOCUMENTS: [&str; 3] = ["plan.md", "research.md", "tasks.md"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn spec_dir() -> PathBuf {
    root().join(SPEC_DIR)
}

fn read_document(name: &str) -> String {
    let path = spec_dir().join(name);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("{SPEC_DIR}/{name}: {e}"))
}

/// Panics with every problem, one per line, when there is any.
fn assert_no_problems(what: &str, problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{what}: {} problem(s)\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}

// --- checks ------------------------------------------------------------------------------------

/// One check a document names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Check {
    Suite { suite: String, case: String },
    Catalogue(String),
    Test { file: String, function: String },
    Zoo(String),
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Check::Suite { suite, case } => write!(f, "suite:{suite}/{case}"),
            Check::Catalogue(id) => write!(f, "catalogue:{id}"),
            Check::Test { file, function } => write!(f, "test:{file}::{function}"),
            Check::Zoo(backend) => write!(f, "zoo:{backend}"),
        }
    }
}

/// Reads a backtick span. `None`: the span is not a check (no check prefix, or a template such as
/// `suite:<suite>/<case-id>` that describes the form). `Some(Err)`: it has a check prefix but not
/// the form of that kind of check.
fn parse_check(span: &str) -> Option<Result<Check, String>> {
    let (kind, rest) = span.split_once(':')?;
    if rest.contains(['<', '…']) {
        return None;
    }
    let form = |re: &str| Regex::new(re).unwrap().captures(rest);
    let parsed = match kind {
        "suite" => {
            form(r"^([a-z0-9]+(?:-[a-z0-9]+)*)/([a-z0-9]+(?:-[a-z0-9]+)*)$").map(|c| Check::Suite {
                suite: c[1].to_owned(),
                case: c[2].to_owned(),
            })
        }
        "catalogue" => form(r"^([A-Z][0-9]{2})$").map(|c| Check::Catalogue(c[1].to_owned())),
        "test" => form(r"^([a-z0-9_]+)::([a-z_][a-z0-9_]*)$").map(|c| Check::Test {
            file: c[1].to_owned(),
            function: c[2].to_owned(),
        }),
        "zoo" => form(r"^([a-z0-9]+(?:-[a-z0-9]+)*)$").map(|c| Check::Zoo(c[1].to_owned())),
        _ => return None,
    };
    let expected = match kind {
        "suite" => "suite:<suite>/<case-id>",
        "catalogue" => "catalogue:<ID> (e.g. B01)",
        "test" => "test:<file>::<test_fn>",
        _ => "zoo:<backend>",
    };
    Some(parsed.ok_or_else(|| format!("`{span}` is not of the form `{expected}`")))
}

/// Every backtick span of a line.
fn code_spans(line: &str) -> Vec<&str> {
    let re = Regex::new(r"`([^`]+)`").unwrap();
    re.captures_iter(line)
        .map(|c| c.get(1).unwrap().as_str())
        .collect()
}

/// What exists in the repository, for looking checks up.
struct Repository {
    /// Built-in suite name → its case ids.
    suites: BTreeMap<String, BTreeSet<String>>,
    /// Test binary → the text of each of its source files (root first), read on first use
    /// (`None` if there is no such binary).
    test_sources: BTreeMap<String, Option<Vec<TestSource>>>,
}

impl Repository {
    fn load() -> Self {
        let suites = builtin_suites()
            .expect("the built-in suites load")
            .into_iter()
            .map(|s| {
                let cases = s.cases.iter().map(|c| c.id.clone()).collect();
                (s.suite.name, cases)
            })
            .collect();
        Repository {
            suites,
            test_sources: BTreeMap::new(),
        }
    }

    /// `Ok` if the check exists; otherwise why it does not.
    fn verify(&mut self, check: &Check) -> Result<(), String> {
        match check {
            Check::Suite { suite, case } => {
                let Some(cases) = self.suites.get(suite) else {
                    let known: Vec<&str> = self.suites.keys().map(String::as_str).collect();
                    return Err(format!(
                        "there is no built-in suite `{suite}` (built-in suites: {})",
                        known.join(", ")
                    ));
                };
                if cases.contains(case) {
                    Ok(())
                } else {
                    Err(format!(
                        "the built-in suite `{suite}` (scenarios/{suite}.toml) has no case `{case}`"
                    ))
                }
            }
            Check::Catalogue(id) => match catalogue::find(id) {
                Some(c) if c.id == id.as_str() => Ok(()),
                _ => Err(format!("the attack catalogue has no class `{id}`")),
            },
            Check::Test { file, function } => {
                let sources = self
                    .test_sources
                    .entry(file.clone())
                    .or_insert_with(|| test_binary_sources(file))
                    .as_deref();
                let Some(sources) = sources else {
                    return Err(format!(
                        "there is no test binary `{file}` (tests/{file}.rs or tests/{file}/main.rs)"
                    ));
                };
                if sources
                    .iter()
                    .any(|s| test_function(&s.text, function).is_ok())
                {
                    return Ok(());
                }
                // Why not: from the file that has a function of that name (a helper), if any.
                let needle = format!("fn {function}(");
                match sources.iter().find(|s| s.text.contains(&needle)) {
                    Some(s) => {
                        test_function(&s.text, function).map_err(|why| format!("{}: {why}", s.path))
                    }
                    None => Err(format!(
                        "no `{needle}` found in the {} file(s) of the test binary `{file}`",
                        sources.len()
                    )),
                }
            }
            Check::Zoo(backend) => {
                let path = root()
                    .join("deploy/zoo/backends")
                    .join(format!("{backend}.toml"));
                let text = fs::read_to_string(&path).map_err(|_| {
                    format!("there is no zoo manifest deploy/zoo/backends/{backend}.toml")
                })?;
                #[derive(serde::Deserialize)]
                struct Manifest {
                    name: String,
                }
                let manifest: Manifest = toml::from_str(&text).map_err(|e| {
                    format!("deploy/zoo/backends/{backend}.toml does not parse: {e}")
                })?;
                if manifest.name == *backend {
                    Ok(())
                } else {
                    Err(format!(
                        "deploy/zoo/backends/{backend}.toml names the backend `{}`",
                        manifest.name
                    ))
                }
            }
        }
    }
}

/// One source file of a test binary.
struct TestSource {
    /// The path from the repository root, for messages.
    path: String,
    text: String,
}

/// The source files of the test binary `name`: its root (tests/<name>.rs, or tests/<name>/main.rs
/// for a binary split into modules) and every file a `mod <module>;` declaration reaches from it,
/// with or without a `#[path = "…"]` attribute. `None` if the binary has no root file.
fn test_binary_sources(name: &str) -> Option<Vec<TestSource>> {
    let tests = root().join("tests");
    let root_file = [
        tests.join(format!("{name}.rs")),
        tests.join(name).join("main.rs"),
    ]
    .into_iter()
    .find(|p| p.is_file())?;
    let mut sources = Vec::new();
    let mut pending = vec![(root_file, true)];
    let mut seen = BTreeSet::new();
    while let Some((path, owns_directory)) = pending.pop() {
        if !seen.insert(path.clone()) {
            continue;
        }
        let Ok(text) = fs::read_to_string(&path) else {
            continue;
        };
        pending.extend(module_files(&path, owns_directory, &text));
        let shown = path
            .strip_prefix(root())
            .unwrap_or(&path)
            .display()
            .to_string();
        sources.push(TestSource { path: shown, text });
    }
    Some(sources)
}

/// The files of the out-of-line modules that `text`, the file at `path`, declares, each with
/// whether it owns its directory, after Rust's rules: a crate root, `main.rs`, `mod.rs` or a
/// `#[path]` file does (its modules sit beside it); `a.rs` does not (its modules sit in `a/`).
fn module_files(path: &Path, owns_directory: bool, text: &str) -> Vec<(PathBuf, bool)> {
    let declaration =
        Regex::new(r"^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+([a-z_][a-z0-9_]*)\s*;").unwrap();
    let path_attribute = Regex::new(r#"^\s*#\[path\s*=\s*"([^"]+)"\]"#).unwrap();
    let dir = path.parent().unwrap_or(Path::new("."));
    let lines: Vec<&str> = text.lines().collect();
    let mut files = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(c) = declaration.captures(line) else {
            continue;
        };
        let explicit = lines[..i]
            .iter()
            .rev()
            .map(|l| l.trim())
            .take_while(|l| l.starts_with("#[") || l.starts_with("//"))
            .find_map(|l| path_attribute.captures(l).map(|p| p[1].to_owned()));
        if let Some(file) = explicit {
            files.push((dir.join(file), true));
            continue;
        }
        let base = if owns_directory {
            dir.to_path_buf()
        } else {
            dir.join(path.file_stem().unwrap_or_default())
        };
        let module = &c[1];
        let flat = base.join(format!("{module}.rs"));
        if flat.is_file() {
            files.push((flat, false));
        } else {
            files.push((base.join(module).join("mod.rs"), true));
        }
    }
    files
}

/// `Ok` if `source` defines `fn <name>(` as a test: a `#[test]` or `#[tokio::test…]` attribute
/// among the attributes and doc comments right above it (so a helper is not a check).
fn test_function(source: &str, name: &str) -> Result<(), String> {
    let needle = format!("fn {name}(");
    let lines: Vec<&str> = source.lines().collect();
    let Some(at) = lines.iter().position(|l| l.contains(&needle)) else {
        return Err(format!("no `{needle}` found"));
    };
    let is_test = lines[..at]
        .iter()
        .rev()
        .map(|l| l.trim())
        .take_while(|l| l.starts_with("#[") || l.starts_with("//"))
        .any(|l| l == "#[test]" || l.starts_with("#[tokio::test"));
    if is_test {
        Ok(())
    } else {
        Err(format!(
            "`{needle}` (line {}) is not a #[test] or #[tokio::test] function",
            at + 1
        ))
    }
}

// --- tasks --------------------------------------------------------------------------------------

/// One task line of tasks.md.
struct Task {
    line: usize,
    id: String,
    spans: Vec<String>,
}

/// The task lines of tasks.md (`- [ ] T001 …` or `- [x] T001 …`), and the lines that look like
/// tasks but are not of that form.
fn tasks(text: &str) -> (Vec<Task>, Vec<String>) {
    let task = Regex::new(r"^\s*- \[[ x]\] (T[0-9]{3})(?:\s|$)").unwrap();
    let lookalike = Regex::new(r"^\s*[-*]\s*\[.?\]\s*T[0-9]").unwrap();
    let mut found = Vec::new();
    let mut malformed = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if let Some(c) = task.captures(line) {
            found.push(Task {
                line: i + 1,
                id: c[1].to_owned(),
                spans: code_spans(line).into_iter().map(str::to_owned).collect(),
            });
        } else if lookalike.is_match(line) {
            malformed.push(format!(
                "tasks.md:{}: a task line not of the form `- [ ] T001 …` or `- [x] T001 …`: {line}",
                i + 1
            ));
        }
    }
    (found, malformed)
}

#[test]
fn all_spec_documents_exist() {
    let problems: Vec<String> = DOCUMENTS
        .iter()
        .filter_map(|name| match fs::read_to_string(spec_dir().join(name)) {
            Ok(text) if text.trim().is_empty() => Some(format!("{SPEC_DIR}/{name} is empty")),
            Ok(_) => None,
            Err(e) => Some(format!("{SPEC_DIR}/{name}: {e}")),
        })
        .collect();
    assert_no_problems("the documents of spec 002", &problems);
}

#[test]
fn every_task_names_checks_that_exist() {
    let text = read_document("tasks.md");
    let (tasks, mut problems) = tasks(&text);
    assert!(!tasks.is_empty(), "tasks.md has no task lines");
    let mut repository = Repository::load();
    let mut checks = 0;
    for task in &tasks {
        let mut named = 0;
        for span in &task.spans {
            match parse_check(span) {
                None => {}
                Some(Err(why)) => problems.push(format!(
                    "tasks.md:{}: {} names a malformed check: {why}",
                    task.line, task.id
                )),
                Some(Ok(check)) => {
                    named += 1;
                    if let Err(why) = repository.verify(&check) {
                        problems.push(format!(
                            "tasks.md:{}: {} names the missing check `{check}`: {why}",
                            task.line, task.id
                        ));
                    }
                }
            }
        }
        if named == 0 {
            problems.push(format!(
                "tasks.md:{}: {} names no check (`suite:<suite>/<case-id>`, `catalogue:<ID>`, \
                 `test:<file>::<test_fn>` or `zoo:<backend>`)",
                task.line, task.id
            ));
        }
        checks += named;
    }
    assert_no_problems("the checks of tasks.md", &problems);
    println!(
        "tasks.md: {} tasks, {checks} checks, all present",
        tasks.len()
    );
}

#[test]
fn task_ids_are_unique_and_in_order() {
    let text = read_document("tasks.md");
    let (tasks, mut problems) = tasks(&text);
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    let mut previous: Option<&Task> = None;
    for task in &tasks {
        if let Some(first) = seen.insert(&task.id, task.line) {
            problems.push(format!(
                "tasks.md:{}: {} is used again (first at line {first})",
                task.line, task.id
            ));
        } else if let Some(p) = previous.filter(|p| p.id >= task.id) {
            problems.push(format!(
                "tasks.md:{}: {} comes after {} (line {}): ids must increase",
                task.line, task.id, p.id, p.line
            ));
        }
        previous = Some(task);
    }
    assert_no_problems("the task ids of tasks.md", &problems);
}

#[test]
fn checks_named_in_plan_and_research_exist() {
    let mut repository = Repository::load();
    let mut problems = Vec::new();
    for name in ["plan.md", "research.md"] {
        let text = read_document(name);
        for (i, line) in text.lines().enumerate() {
            for span in code_spans(line) {
                match parse_check(span) {
                    None => {}
                    Some(Err(why)) => {
                        problems.push(format!("{name}:{}: malformed check: {why}", i + 1))
                    }
                    Some(Ok(check)) => {
                        if let Err(why) = repository.verify(&check) {
                            problems
                                .push(format!("{name}:{}: missing check `{check}`: {why}", i + 1));
                        }
                    }
                }
            }
        }
    }
    assert_no_problems("the checks of plan.md and research.md", &problems);
}

// --- links --------------------------------------------------------------------------------------

/// The lines of a Markdown text outside fenced code blocks, with their 1-based numbers.
fn prose_lines(text: &str) -> Vec<(usize, &str)> {
    let mut fenced = false;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if !fenced {
            out.push((i + 1, line));
        }
    }
    out
}

/// Link targets of a Markdown text: inline links and images `[text](target "title")` and
/// reference definitions `[label]: target`.
fn link_targets(text: &str) -> Vec<(usize, String)> {
    let inline = Regex::new(r#"\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)"#).unwrap();
    let definition = Regex::new(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)").unwrap();
    let mut out = Vec::new();
    for (n, line) in prose_lines(text) {
        for c in inline.captures_iter(line) {
            out.push((n, c[1].to_owned()));
        }
        if let Some(c) = definition.captures(line) {
            out.push((n, c[1].to_owned()));
        }
    }
    out
}

/// GitHub's anchors for the headings of a Markdown text.
fn heading_anchors(text: &str) -> BTreeSet<String> {
    let heading = Regex::new(r"^#{1,6}\s+(.*?)\s*#*\s*$").unwrap();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut anchors = BTreeSet::new();
    for (_, line) in prose_lines(text) {
        let Some(c) = heading.captures(line) else {
            continue;
        };
        let slug: String = c[1]
            .to_lowercase()
            .chars()
            .filter_map(|ch| match ch {
                ' ' => Some('-'),
                '-' | '_' => Some(ch),
                _ if ch.is_alphanumeric() => Some(ch),
                _ => None,
            })
            .collect();
        let n = counts.entry(slug.clone()).or_insert(0);
        anchors.insert(if *n == 0 {
            slug.clone()
        } else {
            format!("{slug}-{n}")
        });
        *n += 1;
    }
    anchors
}

/// `base` joined with a relative `target`, `.` and `..` resolved lexically.
fn resolve(base: &Path, target: &str) -> PathBuf {
    let mut out = base.to_path_buf();
    for part in Path::new(target).components() {
        match part {
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(p) => out.push(p),
            _ => {}
        }
    }
    out
}

#[test]
fn relative_links_in_plan_research_and_tasks_resolve() {
    let external = Regex::new(r"^[A-Za-z][A-Za-z0-9+.-]*:").unwrap();
    let mut problems = Vec::new();
    let mut links = 0;
    for name in CHECKED_DOCUMENTS {
        let text = read_document(name);
        let here = spec_dir().join(name);
        let dir = here.parent().unwrap().to_path_buf();
        for (line, target) in link_targets(&text) {
            if external.is_match(&target) {
                continue;
            }
            links += 1;
            let (path, fragment) = match target.split_once('#') {
                Some((p, f)) => (p, Some(f)),
                None => (target.as_str(), None),
            };
            let file = if path.is_empty() {
                here.clone()
            } else if path.starts_with('/') {
                problems.push(format!(
                    "{name}:{line}: `{target}` is absolute; links must be relative to {SPEC_DIR}"
                ));
                continue;
            } else {
                resolve(&dir, path)
            };
            if !file.is_file() {
                problems.push(format!(
                    "{name}:{line}: the link `{target}` points to {}, which is not a file",
                    file.strip_prefix(root()).unwrap_or(&file).display()
                ));
                continue;
            }
            let Some(fragment) = fragment.filter(|f| !f.is_empty()) else {
                continue;
            };
            if file.extension().is_some_and(|e| e == "md") {
                let anchors = heading_anchors(&fs::read_to_string(&file).unwrap());
                if !anchors.contains(fragment) {
                    problems.push(format!(
                        "{name}:{line}: the link `{target}` names #{fragment}, which is no heading of {}",
                        file.strip_prefix(root()).unwrap_or(&file).display()
                    ));
                }
            }
        }
    }
    assert_no_problems(
        "the relative links of plan.md, research.md and tasks.md",
        &problems,
    );
    assert!(
        links > 0,
        "no relative links found: is the link parser broken?"
    );
}

#[test]
fn the_checkers_themselves_tell_good_from_bad() {
    // Forms.
    assert!(parse_check("baseURL").is_none());
    assert!(parse_check("https://example.com").is_none());
    assert!(
        parse_check("suite:<suite>/<case-id>").is_none(),
        "a template is no check"
    );
    assert!(parse_check("zoo:…").is_none(), "a template is no check");
    assert!(matches!(parse_check("suite:error-contract"), Some(Err(_))));
    assert!(matches!(
        parse_check("test:cli:usage_errors_are_exit_2"),
        Some(Err(_))
    ));
    assert!(matches!(parse_check("catalogue:b01"), Some(Err(_))));
    // Existence.
    let mut repository = Repository::load();
    let mut verify = |span: &str| repository.verify(&parse_check(span).unwrap().unwrap());
    assert!(verify("suite:error-contract/token-expired").is_ok());
    assert!(verify("suite:error-contract/token-expird").is_err());
    assert!(verify("suite:no-such-suite/token-expired").is_err());
    assert!(verify("catalogue:B01").is_ok());
    assert!(verify("catalogue:B99").is_err());
    assert!(verify("test:spec_documents::every_task_names_checks_that_exist").is_ok());
    assert!(
        verify("test:spec_documents::read_document").is_err(),
        "a helper is no test"
    );
    assert!(verify("test:no_such_file::anything").is_err());
    assert!(
        verify("test:reports::json_is_golden_and_round_trips").is_ok(),
        "a test in a module file of a binary split into modules"
    );
    assert!(
        verify("test:reports::golden").is_err(),
        "a helper in a module file is no test either"
    );
    assert!(verify("zoo:jose-docs").is_ok());
    assert!(verify("zoo:jose-doc").is_err());
    // Anchors.
    let anchors = heading_anchors("# Spec\n## 4. Order of checks\n```\n# not a heading\n```\n## A `code` heading\n## 4. Order of checks\n");
    assert!(anchors.contains("4-order-of-checks"));
    assert!(anchors.contains("4-order-of-checks-1"));
    assert!(anchors.contains("a-code-heading"));
    assert!(!anchors.contains("not-a-heading"));
}
