//! Editing a JSON object's text without re-encoding it.
//!
//! Attacks must change only what they claim to change: a forged header keeps every other member
//! byte-for-byte (spacing, escapes, number spellings, duplicates, order). [`RawObject`] finds the
//! top-level members of an object by scanning the text, and edits splice new text in place.

use std::ops::Range;

/// One top-level member: the spans of its (quoted) name and of its raw value text.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Member {
    name: String,
    name_span: Range<usize>,
    value_span: Range<usize>,
}

/// The text of a JSON object, editable member by member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawObject {
    text: String,
}

/// The text is not a JSON object this scanner can follow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a JSON object: {0}")]
pub struct NotAnObject(pub &'static str);

impl RawObject {
    /// Wraps object text; fails unless it scans as `{ "name": value, … }`.
    pub fn new(text: impl Into<String>) -> Result<RawObject, NotAnObject> {
        let obj = RawObject { text: text.into() };
        obj.members()?;
        Ok(obj)
    }

    /// The current text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn into_string(self) -> String {
        self.text
    }

    /// Names of the top-level members, in order, duplicates included.
    pub fn names(&self) -> Vec<String> {
        self.members()
            .map(|m| m.into_iter().map(|m| m.name).collect())
            .unwrap_or_default()
    }

    /// The raw value text of the first member called `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        let members = self.members().ok()?;
        let m = members.into_iter().find(|m| m.name == name)?;
        Some(&self.text[m.value_span])
    }

    /// Sets every member called `name` to the raw JSON `value`, or appends the member.
    pub fn set(&mut self, name: &str, value: &str) -> &mut Self {
        let members = self.members().expect("RawObject keeps a scannable object");
        let spans: Vec<Range<usize>> = members
            .iter()
            .filter(|m| m.name == name)
            .map(|m| m.value_span.clone())
            .collect();
        if spans.is_empty() {
            return self.append(name, value);
        }
        for span in spans.into_iter().rev() {
            self.text.replace_range(span, value);
        }
        self
    }

    /// Appends a member (even if one with that name exists: a duplicate).
    pub fn append(&mut self, name: &str, value: &str) -> &mut Self {
        let members = self.members().expect("RawObject keeps a scannable object");
        let close = self.text.rfind('}').expect("scanned object ends with }");
        let quoted = serde_json::to_string(name).expect("strings serialize");
        let insert = if members.is_empty() {
            format!("{quoted}:{value}")
        } else {
            format!(",{quoted}:{value}")
        };
        // Insert right after the last value, before any trailing whitespace.
        let at = members.last().map_or(close, |m| m.value_span.end);
        self.text.insert_str(at, &insert);
        self
    }

    /// Prepends a member, before all others.
    pub fn prepend(&mut self, name: &str, value: &str) -> &mut Self {
        let open = self.text.find('{').expect("scanned object starts with {");
        let quoted = serde_json::to_string(name).expect("strings serialize");
        let sep = if self.members().map(|m| m.is_empty()).unwrap_or(true) {
            ""
        } else {
            ","
        };
        self.text
            .insert_str(open + 1, &format!("{quoted}:{value}{sep}"));
        self
    }

    /// Removes every member called `name`, with its separating comma.
    pub fn remove(&mut self, name: &str) -> &mut Self {
        loop {
            let members = self.members().expect("RawObject keeps a scannable object");
            let Some(i) = members.iter().position(|m| m.name == name) else {
                return self;
            };
            let m = &members[i];
            let range = if i > 0 {
                members[i - 1].value_span.end..m.value_span.end
            } else if i + 1 < members.len() {
                m.name_span.start..members[i + 1].name_span.start
            } else {
                m.name_span.start..m.value_span.end
            };
            self.text.replace_range(range, "");
        }
    }

    /// Renames every member called `from`.
    pub fn rename(&mut self, from: &str, to: &str) -> &mut Self {
        let members = self.members().expect("RawObject keeps a scannable object");
        let quoted = serde_json::to_string(to).expect("strings serialize");
        for m in members.into_iter().rev().filter(|m| m.name == from) {
            self.text.replace_range(m.name_span, &quoted);
        }
        self
    }

    fn members(&self) -> Result<Vec<Member>, NotAnObject> {
        let b = self.text.as_bytes();
        let mut i = skip_ws(b, 0);
        if b.get(i) != Some(&b'{') {
            return Err(NotAnObject("does not start with {"));
        }
        i = skip_ws(b, i + 1);
        let mut members = Vec::new();
        if b.get(i) == Some(&b'}') {
            return trailing(b, i + 1).map(|_| members);
        }
        loop {
            let name_start = i;
            let name_end = scan_string(b, i).ok_or(NotAnObject("member name is not a string"))?;
            let name: String = serde_json::from_str(&self.text[name_start..name_end])
                .map_err(|_| NotAnObject("member name is not a valid string"))?;
            i = skip_ws(b, name_end);
            if b.get(i) != Some(&b':') {
                return Err(NotAnObject("missing :"));
            }
            i = skip_ws(b, i + 1);
            let value_start = i;
            let value_end = scan_value(b, i).ok_or(NotAnObject("bad value"))?;
            members.push(Member {
                name,
                name_span: name_start..name_end,
                value_span: value_start..value_end,
            });
            i = skip_ws(b, value_end);
            match b.get(i) {
                Some(b',') => i = skip_ws(b, i + 1),
                Some(b'}') => return trailing(b, i + 1).map(|_| members),
                _ => return Err(NotAnObject("missing , or }")),
            }
        }
    }
}

fn trailing(b: &[u8], i: usize) -> Result<(), NotAnObject> {
    if skip_ws(b, i) == b.len() {
        Ok(())
    } else {
        Err(NotAnObject("text after the closing }"))
    }
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// End (exclusive) of the string starting at `i`.
fn scan_string(b: &[u8], i: usize) -> Option<usize> {
    if b.get(i) != Some(&b'"') {
        return None;
    }
    let mut j = i + 1;
    while j < b.len() {
        match b[j] {
            b'\\' => j += 2,
            b'"' => return Some(j + 1),
            _ => j += 1,
        }
    }
    None
}

/// End (exclusive) of the value starting at `i`: strings, containers (by bracket depth) and
/// scalars (up to the next delimiter).
fn scan_value(b: &[u8], i: usize) -> Option<usize> {
    match b.get(i)? {
        b'"' => scan_string(b, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            while j < b.len() {
                match b[j] {
                    b'"' => {
                        j = scan_string(b, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            None
        }
        _ => {
            let mut j = i;
            while j < b.len() && !matches!(b[j], b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
            {
                j += 1;
            }
            (j > i).then_some(j)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_touch_only_their_member() {
        let mut o = RawObject::new(r#"{"alg":"EdDSA", "kid" : "a\"b","n":1.0e0}"#).unwrap();
        o.set("alg", r#""none""#);
        assert_eq!(o.as_str(), r#"{"alg":"none", "kid" : "a\"b","n":1.0e0}"#);
        o.remove("kid");
        assert_eq!(o.as_str(), r#"{"alg":"none","n":1.0e0}"#);
        o.append("alg", r#""EdDSA""#);
        assert_eq!(o.as_str(), r#"{"alg":"none","n":1.0e0,"alg":"EdDSA"}"#);
        assert_eq!(o.names(), ["alg", "n", "alg"]);
        o.rename("n", "x");
        o.prepend("typ", r#""JWT""#);
        assert_eq!(
            o.as_str(),
            r#"{"typ":"JWT","alg":"none","x":1.0e0,"alg":"EdDSA"}"#
        );
        o.remove("alg");
        assert_eq!(o.as_str(), r#"{"typ":"JWT","x":1.0e0}"#);
        o.remove("typ").remove("x");
        assert_eq!(o.as_str(), "{}");
        o.append("a", "[1,{\"b\":[]}]");
        assert_eq!(o.get("a"), Some("[1,{\"b\":[]}]"));
    }

    #[test]
    fn refuses_non_objects() {
        for bad in ["[]", "", "{", r#"{"a"}"#, r#"{"a":1} x"#, r#"{"a":1,}"#] {
            assert!(RawObject::new(bad).is_err(), "{bad:?}");
        }
    }
}
