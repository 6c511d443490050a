//! Token rules: `from` against `catalogue` and edits, catalogue ids, edit values and relative
//! times.

use super::{join, Checker, Vars};
use crate::dangerous::forge::catalogue;
use crate::scenario::checks::{check_json, json_hint};
use crate::scenario::hint::did_you_mean;
use crate::scenario::spans::{Seg, Seg::*};
use crate::scenario::vars::parse_relative_time;
use crate::scenario::{Edit, EditOp, TokenSource, TokenSpec};

impl Checker<'_> {
    pub(super) fn token(&mut self, base: &[Seg<'_>], token: &TokenSpec, vars: &Vars<'_>) {
        let from = join(base, &[K("from")]);
        match (&token.from, &token.catalogue) {
            (TokenSource::Catalogue, None) => self.err_value(
                &from,
                "`from = \"catalogue\"` needs `catalogue = \"<id>\"`".into(),
                Some("name a catalogue case by id or slug, e.g. `catalogue = \"B01\"` (`authprobe forge --list`)".into()),
            ),
            (TokenSource::Catalogue, Some(id)) if catalogue::find(id).is_none() => {
                let names = catalogue::catalogue().iter().flat_map(|c| [c.id, c.slug]);
                let hint = did_you_mean(id, names)
                    .unwrap_or_else(|| "`authprobe forge --list` lists the catalogue".into());
                self.err_value(
                    &join(base, &[K("catalogue")]),
                    format!("no catalogue case `{id}`"),
                    Some(hint),
                );
            }
            (TokenSource::Catalogue, Some(_)) => {}
            (_, Some(_)) => self.err_value(
                &join(base, &[K("catalogue")]),
                "`catalogue` is only used with `from = \"catalogue\"`".into(),
                Some("add `from = \"catalogue\"` to this token table, or remove `catalogue`".into()),
            ),
            (_, None) => {}
        }
        for (part, edits) in [("header", &token.header), ("claims", &token.claims)] {
            if !edits.is_empty() && token.from != TokenSource::Edited {
                self.err_key(
                    &join(base, &[K(part)]),
                    format!("token {part} edits need `from = \"edited\"`"),
                    Some("set `from = \"edited\"` in this token table".into()),
                );
            }
            for (j, edit) in edits.iter().enumerate() {
                self.edit(&join(base, &[K(part), I(j)]), edit, vars);
            }
        }
    }

    fn edit(&mut self, base: &[Seg<'_>], edit: &Edit, vars: &Vars<'_>) {
        let name = &edit.name;
        if name.is_empty() {
            self.err_value(&join(base, &[K("name")]), "empty member name".into(), None);
        }
        let value_path = join(base, &[K("value")]);
        match (edit.op, &edit.value) {
            (EditOp::Remove, Some(_)) => self.err_key(
                &value_path,
                format!("the `remove` edit of `{name}` takes no value"),
                Some("delete `value`, or use `op = \"set\"`".into()),
            ),
            (EditOp::Set | EditOp::Duplicate, None) => self.err_value(
                base,
                format!("the edit of `{name}` needs a `value`"),
                Some("e.g. `value = \"now-1h\"`, `value = '\"text\"'` or `value = \"42\"`".into()),
            ),
            (_, Some(v)) if v.starts_with("now") => {
                // Valid for any clock from 1970 to 2100, so it cannot overflow at run time.
                if parse_relative_time(v, 0).is_none()
                    || parse_relative_time(v, 4_102_444_800).is_none()
                {
                    self.err_value(
                        &value_path,
                        format!("`{v}` is not a relative time"),
                        Some(
                            "write `now`, `now+<n><s|m|h|d>` or `now-<n><s|m|h|d>`, e.g. `now-5m`"
                                .into(),
                        ),
                    );
                }
            }
            (_, Some(v)) => {
                if self.refs(&value_path, v, vars) {
                    if let Err(e) = check_json(v) {
                        self.err_value(
                            &value_path,
                            format!("the value of `{name}` is not JSON: {e}"),
                            Some(json_hint(v)),
                        );
                    }
                }
            }
            (_, None) => {}
        }
    }
}
