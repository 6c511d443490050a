//! Semantic validation of a parsed [`Suite`]: the rules of `scenarios/README.md` that the types
//! alone cannot express, each error pointing at the offending key or value.

use super::checks::*;
use super::error::{at, Kind, ScenarioError};
use super::hint::closest;
use super::spans::{Locator, Seg, Seg::*};
use super::vars::{pieces, Piece, BUILTIN_VARS};
use super::*;
use std::collections::{BTreeMap, BTreeSet};

mod http;
mod token;

/// Every semantic error of `suite` (parsed from `text`), in no particular order.
pub(crate) fn check(file: &str, text: &str, suite: &Suite) -> Vec<ScenarioError> {
    let Some(loc) = Locator::new(text) else {
        return Vec::new();
    };
    let mut c = Checker {
        file,
        text,
        loc,
        errors: Vec::new(),
    };
    c.suite(suite);
    c.errors
}

struct Checker<'a> {
    file: &'a str,
    text: &'a str,
    loc: Locator<'a>,
    errors: Vec<ScenarioError>,
}

/// `base` followed by `extra`.
fn join<'p>(base: &[Seg<'p>], extra: &[Seg<'p>]) -> Vec<Seg<'p>> {
    [base, extra].concat()
}

impl Checker<'_> {
    fn err(&mut self, offset: usize, message: String, hint: Option<String>) {
        let e = at(Kind::Semantic, self.file, self.text, offset, message, hint);
        self.errors.push(e);
    }

    fn err_value(&mut self, path: &[Seg<'_>], message: String, hint: Option<String>) {
        let offset = self.loc.value(path);
        self.err(offset, message, hint);
    }

    fn err_key(&mut self, path: &[Seg<'_>], message: String, hint: Option<String>) {
        let offset = self.loc.key(path);
        self.err(offset, message, hint);
    }

    fn suite(&mut self, suite: &Suite) {
        let name = &suite.suite.name;
        if !is_kebab(name) {
            let hint = kebab_suggestion(name).map(|s| format!("did you mean `{s}`?"));
            self.err_value(
                &[K("suite"), K("name")],
                format!("suite name `{name}` is not kebab-case"),
                hint.or(Some("e.g. `error-contract`".into())),
            );
        }
        let mut captured: BTreeSet<String> = BTreeSet::new();
        let all_captures: BTreeSet<String> = suite
            .flows
            .iter()
            .flat_map(|f| f.capture.keys().cloned())
            .collect();
        let mut names: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, step) in suite.flows.iter().enumerate() {
            let base = [K("flow"), I(i)];
            if step.name.trim().is_empty() {
                self.err_value(
                    &join(&base, &[K("name")]),
                    "empty flow step name".into(),
                    None,
                );
            } else if let Some(first) = names.insert(&step.name, i) {
                let line = self.line_of(&[K("flow"), I(first), K("name")]);
                self.err_value(
                    &join(&base, &[K("name")]),
                    format!("duplicate flow step name `{}`", step.name),
                    Some(format!("the first step named so is at line {line}")),
                );
            }
            let vars = Vars {
                known: &captured,
                later: &all_captures,
            };
            self.request(&join(&base, &[K("request")]), &step.request, &vars);
            if let Some(s) = step.expect_status {
                self.status(&join(&base, &[K("expect_status")]), s);
            }
            for (var, src) in &step.capture {
                let p = join(&base, &[K("capture"), K(var)]);
                if !is_var_name(var) {
                    self.err_key(
                        &p,
                        format!("`{var}` is not a variable name"),
                        Some("names are letters, digits and `_`, not starting with a digit".into()),
                    );
                }
                if let Err((message, hint)) = check_capture(src) {
                    self.err_value(&p, message, Some(hint));
                }
            }
            captured.extend(step.capture.keys().cloned());
        }
        let vars = Vars {
            known: &all_captures,
            later: &all_captures,
        };
        let mut ids: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, case) in suite.cases.iter().enumerate() {
            self.case(i, case, &vars, &mut ids);
        }
    }

    fn line_of(&self, path: &[Seg<'_>]) -> usize {
        super::error::line_column(self.text, self.loc.value(path)).0
    }

    fn case<'s>(
        &mut self,
        i: usize,
        case: &'s CaseSpec,
        vars: &Vars<'_>,
        ids: &mut BTreeMap<&'s str, usize>,
    ) {
        let base = [K("case"), I(i)];
        let id_path = join(&base, &[K("id")]);
        if !is_kebab(&case.id) {
            let hint = kebab_suggestion(&case.id).map(|s| format!("did you mean `{s}`?"));
            self.err_value(
                &id_path,
                format!("case id `{}` is not kebab-case", case.id),
                hint.or(Some(
                    "ids are lowercase words joined by `-`, e.g. `expired-token`".into(),
                )),
            );
        }
        if let Some(first) = ids.insert(&case.id, i) {
            let line = self.line_of(&[K("case"), I(first), K("id")]);
            self.err_value(
                &id_path,
                format!("duplicate case id `{}`", case.id),
                Some(format!(
                    "ids are unique within a suite; the first `{}` is at line {line}",
                    case.id
                )),
            );
        }
        if case.title.trim().is_empty() {
            self.err_value(
                &join(&base, &[K("title")]),
                "empty case title".into(),
                Some("say in a few words what the case checks; reports show it".into()),
            );
        }
        if !is_rule_id(&case.rule) {
            self.err_value(
                &join(&base, &[K("rule")]),
                format!("`{}` is not a rule id", case.rule),
                Some(rule_hint(&case.rule)),
            );
        }
        self.token(&join(&base, &[K("token")]), &case.token, vars);
        self.request(&join(&base, &[K("request")]), &case.request, vars);
        self.expect(&join(&base, &[K("expect")]), &case.expect, vars);
    }

    /// Checks the `${var}` references of a string value; true if all are good.
    fn refs(&mut self, path: &[Seg<'_>], value: &str, vars: &Vars<'_>) -> bool {
        match pieces(value) {
            Err(bad) => {
                let offset = self.loc.inside(path, value, bad.offset);
                self.err(
                    offset,
                    bad.message,
                    Some(
                        "a reference is `${name}`, the name made of letters, digits and `_`".into(),
                    ),
                );
                false
            }
            Ok(ps) => {
                for p in ps {
                    if let Piece::Var { name, offset } = p {
                        if let Some(hint) = vars.unknown(name) {
                            let offset = self.loc.inside(path, value, offset);
                            self.err(
                                offset,
                                format!("undefined variable `${{{name}}}`"),
                                Some(hint),
                            );
                            return false;
                        }
                    }
                }
                true
            }
        }
    }
}

/// The variables in scope.
struct Vars<'a> {
    /// Captured by the flow steps that run before.
    known: &'a BTreeSet<String>,
    /// Captured by any flow step.
    later: &'a BTreeSet<String>,
}

impl Vars<'_> {
    /// `None` if `name` is defined, else a hint.
    fn unknown(&self, name: &str) -> Option<String> {
        if BUILTIN_VARS.contains(&name) || self.known.contains(name) {
            return None;
        }
        if self.later.contains(name) {
            return Some(format!(
                "`{name}` is captured only by this or a later flow step; steps run in order"
            ));
        }
        let all = BUILTIN_VARS
            .iter()
            .copied()
            .chain(self.known.iter().map(String::as_str));
        Some(closest(name, all).map_or_else(
            || {
                format!(
                    "capture it in a [[flow]] step, or use a built-in: {}",
                    BUILTIN_VARS.join(", ")
                )
            },
            |c| format!("did you mean `${{{c}}}`?"),
        ))
    }
}
