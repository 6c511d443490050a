//! [`ScenarioError`]: every way a suite file can fail to load, each (but I/O) with the file, a
//! 1-based line and column, and an optional hint.

use std::fmt;
use std::path::PathBuf;

/// A load error. Displays as `file:line:column: message`, followed by `\n  hint: …` when there
/// is a hint.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScenarioError {
    /// The file or folder could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The text is not TOML (or not UTF-8).
    #[error("{}", Located::new(file, *line, *column, message, hint))]
    Syntax {
        file: String,
        line: usize,
        column: usize,
        message: String,
        hint: Option<String>,
    },
    /// The TOML does not fit the model: unknown field, wrong type, missing field, bad variant.
    #[error("{}", Located::new(file, *line, *column, message, hint))]
    Field {
        file: String,
        line: usize,
        column: usize,
        message: String,
        hint: Option<String>,
    },
    /// The suite fits the model but breaks a rule of the format (duplicate id, unknown contract
    /// code, bad regex, undefined variable, …).
    #[error("{}", Located::new(file, *line, *column, message, hint))]
    Semantic {
        file: String,
        line: usize,
        column: usize,
        message: String,
        hint: Option<String>,
    },
}

impl ScenarioError {
    /// The file the error is in (the path, for I/O errors).
    pub fn file(&self) -> String {
        match self {
            ScenarioError::Io { path, .. } => path.display().to_string(),
            ScenarioError::Syntax { file, .. }
            | ScenarioError::Field { file, .. }
            | ScenarioError::Semantic { file, .. } => file.clone(),
        }
    }

    /// `(line, column)`, both 1-based (columns count characters); `None` for I/O errors.
    pub fn position(&self) -> Option<(usize, usize)> {
        match self {
            ScenarioError::Io { .. } => None,
            ScenarioError::Syntax { line, column, .. }
            | ScenarioError::Field { line, column, .. }
            | ScenarioError::Semantic { line, column, .. } => Some((*line, *column)),
        }
    }

    /// `file:line:column` (just the path for I/O errors).
    pub fn location(&self) -> String {
        match self.position() {
            Some((line, column)) => format!("{}:{line}:{column}", self.file()),
            None => self.file(),
        }
    }

    /// The message without location or hint.
    pub fn message(&self) -> String {
        match self {
            ScenarioError::Io { source, .. } => source.to_string(),
            ScenarioError::Syntax { message, .. }
            | ScenarioError::Field { message, .. }
            | ScenarioError::Semantic { message, .. } => message.clone(),
        }
    }

    /// The hint, if there is one.
    pub fn hint(&self) -> Option<&str> {
        match self {
            ScenarioError::Io { .. } => None,
            ScenarioError::Syntax { hint, .. }
            | ScenarioError::Field { hint, .. }
            | ScenarioError::Semantic { hint, .. } => hint.as_deref(),
        }
    }
}

/// Display helper for the located variants.
struct Located<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    message: &'a str,
    hint: Option<&'a str>,
}

impl<'a> Located<'a> {
    fn new(
        file: &'a str,
        line: usize,
        column: usize,
        message: &'a str,
        hint: &'a Option<String>,
    ) -> Self {
        Located {
            file,
            line,
            column,
            message,
            hint: hint.as_deref(),
        }
    }
}

impl fmt::Display for Located<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )?;
        if let Some(hint) = self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

/// The 1-based line and column (in characters) of byte offset `offset` of `text`. Offsets past
/// the end, or inside a character, are clamped.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let head = &text[..offset];
    let line = head.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = head.rfind('\n').map_or(0, |i| i + 1);
    let column = head[line_start..].chars().count() + 1;
    (line, column)
}

/// Which located variant to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Syntax,
    Field,
    Semantic,
}

/// Builds a located error at byte `offset` of `text`.
pub(crate) fn at(
    kind: Kind,
    file: &str,
    text: &str,
    offset: usize,
    message: impl Into<String>,
    hint: Option<String>,
) -> ScenarioError {
    let (line, column) = line_column(text, offset);
    let (file, message) = (file.to_owned(), message.into());
    match kind {
        Kind::Syntax => ScenarioError::Syntax {
            file,
            line,
            column,
            message,
            hint,
        },
        Kind::Field => ScenarioError::Field {
            file,
            line,
            column,
            message,
            hint,
        },
        Kind::Semantic => ScenarioError::Semantic {
            file,
            line,
            column,
            message,
            hint,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions() {
        let t = "ab\ncdé\r\nf";
        assert_eq!(line_column(t, 0), (1, 1));
        assert_eq!(line_column(t, 3), (2, 1));
        assert_eq!(line_column(t, 5), (2, 3));
        assert_eq!(line_column(t, 6), (2, 3)); // inside `é`
        assert_eq!(line_column(t, 9), (3, 1));
        assert_eq!(line_column(t, 99), (3, 2));
    }

    #[test]
    fn display() {
        let e = at(
            Kind::Field,
            "s.toml",
            "a\n  b",
            4,
            "unknown field `b`",
            Some("did you mean `a`?".into()),
        );
        assert_eq!(
            e.to_string(),
            "s.toml:2:3: unknown field `b`\n  hint: did you mean `a`?"
        );
        assert_eq!(e.location(), "s.toml:2:3");
    }
}
