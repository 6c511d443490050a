//! Reading suite files: TOML grammar, then the model (serde, unknown fields rejected), then the
//! semantic rules ([`super::validate`]). The first error in document order is returned.

use super::error::{at, line_column, Kind, ScenarioError};
use super::hint::{field_hint, syntax_hint, tidy_message};
use super::spans::{Locator, Seg::K};
use super::Suite;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Loads one suite file. Errors name the path as given.
pub fn load_file(path: &Path) -> Result<Suite, ScenarioError> {
    let bytes = std::fs::read(path).map_err(|source| ScenarioError::Io {
        path: path.to_owned(),
        source,
    })?;
    let name = path.display().to_string();
    match std::str::from_utf8(&bytes) {
        Ok(text) => load_str(&name, text),
        Err(e) => {
            // The valid prefix is text; the error points just past it.
            let valid = String::from_utf8_lossy(&bytes[..e.valid_up_to()]);
            let (line, column) = line_column(&valid, valid.len());
            Err(ScenarioError::Syntax {
                file: name,
                line,
                column,
                message: "the file is not valid UTF-8".into(),
                hint: Some("save suite files as UTF-8".into()),
            })
        }
    }
}

/// Loads a suite from `text`; `file_name` is only used in error messages.
pub fn load_str(file_name: &str, text: &str) -> Result<Suite, ScenarioError> {
    if let Err(e) = toml::de::DeTable::parse(text) {
        let offset = e.span().map_or(0, |s| s.start);
        let message = e.message().trim_end().to_owned();
        let hint = syntax_hint(&message);
        return Err(at(Kind::Syntax, file_name, text, offset, message, hint));
    }
    let suite: Suite = toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        let raw = e.message().trim_end();
        let hint = field_hint(raw, text, offset);
        at(
            Kind::Field,
            file_name,
            text,
            offset,
            tidy_message(raw),
            hint,
        )
    })?;
    match first(super::validate::check(file_name, text, &suite)) {
        Some(e) => Err(e),
        None => Ok(suite),
    }
}

/// The earliest error by position.
fn first(errors: Vec<ScenarioError>) -> Option<ScenarioError> {
    errors.into_iter().min_by_key(|e| e.position())
}

/// Loads every `*.toml` file directly in `dir` (not in sub-folders, not hidden `.` files), sorted
/// by file name. The first failing file stops the load with its first error; suite names must be
/// unique across the folder.
pub fn load_dir(dir: &Path) -> Result<Vec<Suite>, ScenarioError> {
    let io = |source| ScenarioError::Io {
        path: dir.to_owned(),
        source,
    };
    let mut files: Vec<PathBuf> = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        let hidden = path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if !hidden && path.extension().is_some_and(|x| x == "toml") && path.is_file() {
            files.push(path);
        }
    }
    files.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    let mut suites = Vec::with_capacity(files.len());
    let mut names: BTreeMap<String, PathBuf> = BTreeMap::new();
    for path in files {
        let suite = load_file(&path)?;
        if let Some(first) = names.insert(suite.suite.name.clone(), path.clone()) {
            return Err(duplicate_suite(&path, &first, &suite.suite.name));
        }
        suites.push(suite);
    }
    Ok(suites)
}

/// The error for a suite name already used by `first`, pointing at the name in `path`.
fn duplicate_suite(path: &Path, first: &Path, name: &str) -> ScenarioError {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let offset = Locator::new(&text).map_or(0, |l| l.value(&[K("suite"), K("name")]));
    at(
        Kind::Semantic,
        &path.display().to_string(),
        &text,
        offset,
        format!("suite name `{name}` is already used by {}", first.display()),
        Some("suite names are unique across the folder; rename one".into()),
    )
}
