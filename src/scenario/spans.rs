//! Source positions of parsed values: a path (`case`, 3, `expect`, `code`) is looked up in
//! toml's spanned document tree to find the byte range of a key or value.

use std::ops::Range;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// One step of a path: a table key or an array index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Seg<'a> {
    K(&'a str),
    I(usize),
}

/// Finds spans in one document.
pub(crate) struct Locator<'i> {
    root: Spanned<DeTable<'i>>,
    text: &'i str,
}

fn child<'v, 'i>(
    v: &'v DeValue<'i>,
    seg: Seg<'_>,
) -> Option<(Range<usize>, &'v Spanned<DeValue<'i>>)> {
    match (v, seg) {
        (DeValue::Table(t), Seg::K(k)) => table_child(t, k),
        (DeValue::Array(a), Seg::I(i)) => a.get(i).map(|e| (e.span(), e)),
        _ => None,
    }
}

fn table_child<'v, 'i>(
    t: &'v DeTable<'i>,
    key: &str,
) -> Option<(Range<usize>, &'v Spanned<DeValue<'i>>)> {
    t.iter()
        .find(|(k, _)| k.get_ref().as_ref() == key)
        .map(|(k, v)| (k.span(), v))
}

impl<'i> Locator<'i> {
    /// Parses `text`; `None` if it is not TOML (the caller has already reported that).
    pub fn new(text: &'i str) -> Option<Self> {
        DeTable::parse(text).ok().map(|root| Locator { root, text })
    }

    /// Walks `path`; returns the key span and value of the last step reached, and whether the
    /// whole path was found.
    fn walk(
        &self,
        path: &[Seg<'_>],
    ) -> (Option<Range<usize>>, Option<&Spanned<DeValue<'i>>>, bool) {
        let Some((Seg::K(first), rest)) = path.split_first() else {
            return (None, None, path.is_empty());
        };
        let Some((mut key, mut cur)) = table_child(self.root.get_ref(), first) else {
            return (None, None, false);
        };
        for seg in rest {
            match child(cur.get_ref(), *seg) {
                Some((k, v)) => {
                    key = k;
                    cur = v;
                }
                None => return (Some(key), Some(cur), false),
            }
        }
        (Some(key), Some(cur), true)
    }

    /// Start of the value at `path`, or of the deepest ancestor that exists (a table header, for
    /// a defaulted field).
    pub fn value(&self, path: &[Seg<'_>]) -> usize {
        match self.walk(path) {
            (_, Some(v), _) => v.span().start,
            _ => 0,
        }
    }

    /// Start of the key ending `path` (a table key or, for an array element, the element).
    pub fn key(&self, path: &[Seg<'_>]) -> usize {
        match self.walk(path) {
            (_, Some(v), true) if matches!(path.last(), Some(Seg::I(_))) => v.span().start,
            (Some(k), _, true) => k.start,
            (_, Some(v), _) => v.span().start,
            _ => 0,
        }
    }

    /// Byte offset of character `offset` of the string value at `path`, when the source writes
    /// the string without escapes (so offsets map one to one); otherwise the value's start.
    pub fn inside(&self, path: &[Seg<'_>], value: &str, offset: usize) -> usize {
        let start = self.value(path);
        let src = self.text.get(start..).unwrap_or("");
        for quote in ["'''", "\"\"\"", "'", "\""] {
            if let Some(body) = src.strip_prefix(quote) {
                if body.starts_with(value) {
                    return start + quote.len() + offset.min(value.len());
                }
                break;
            }
        }
        start
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Seg::*;

    #[test]
    fn finds_keys_and_values() {
        let t = "[suite]\nname = 'x'\n[[case]]\nid = 'a'\n[[case]]\nid = 'b'\nexpect.code = \"X${y}\"\n";
        let l = Locator::new(t).expect("toml");
        assert_eq!(&t[l.value(&[K("suite"), K("name")])..][..3], "'x'");
        assert_eq!(&t[l.value(&[K("case"), I(1), K("id")])..][..3], "'b'");
        assert_eq!(&t[l.key(&[K("case"), I(1), K("id")])..][..2], "id");
        assert_eq!(
            &t[l.value(&[K("case"), I(1), K("token"), K("from")])..][..8],
            "[[case]]"
        );
        assert_eq!(Some(l.value(&[K("case"), I(1)])), t.rfind("[[case]]"));
        let p = [K("case"), I(1), K("expect"), K("code")];
        assert_eq!(&t[l.inside(&p, "X${y}", 1)..][..4], "${y}");
    }
}
