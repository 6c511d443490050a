//! Request and expectation rules: methods, paths, placements, header names and values, statuses,
//! contract codes, header regexes and JSON pointers.

use super::{join, Checker, Vars};
use crate::contract::ErrorCode;
use crate::scenario::checks::*;
use crate::scenario::hint::did_you_mean;
use crate::scenario::spans::{Seg, Seg::*};
use crate::scenario::{Expect, ExpectedOutcome, Placement, RequestSpec};
use std::collections::BTreeMap;
use std::str::FromStr;

impl Checker<'_> {
    pub(super) fn request(&mut self, base: &[Seg<'_>], req: &RequestSpec, vars: &Vars<'_>) {
        let method = &req.method;
        if !is_http_token(method) {
            self.err_value(
                &join(base, &[K("method")]),
                format!("`{method}` is not an HTTP method"),
                Some("a method is a token such as `GET` or `POST`".into()),
            );
        }
        let path = join(base, &[K("path")]);
        if !req.path.starts_with('/') {
            let hint = if req.path.contains("://") {
                "give the path only, e.g. `/api/me`: the base URL comes from the target"
            } else {
                "paths start with `/`, e.g. `/api/me`"
            };
            self.err_value(
                &path,
                format!("request path `{}` does not start with `/`", req.path),
                Some(hint.into()),
            );
        } else {
            self.refs(&path, &req.path, vars);
        }
        let named = match &req.placement {
            Placement::Header => None,
            Placement::Cookie(n) => Some(("cookie", n, is_http_token(n))),
            Placement::Query(n) => Some(("query parameter", n, !n.is_empty())),
            Placement::JsonBody(n) => Some(("JSON body field", n, !n.is_empty())),
            Placement::Form(n) => Some(("form parameter", n, !n.is_empty())),
        };
        if let Some((what, n, false)) = named {
            let message = match n.is_empty() {
                true => format!("empty {what} name"),
                false => format!("`{n}` is not a usable {what} name"),
            };
            self.err_value(
                &join(base, &[K("placement")]),
                message,
                Some("name it, e.g. `placement = { cookie = \"token\" }`".into()),
            );
        }
        self.no_case_twins(&join(base, &[K("headers")]), req.headers.keys());
        for (name, value) in &req.headers {
            let p = join(base, &[K("headers"), K(name)]);
            self.header_name(&p, name);
            if value.contains(['\r', '\n', '\0']) {
                self.err_value(
                    &p,
                    format!("the value of header `{name}` contains CR, LF or NUL"),
                    Some("HTTP clients refuse such values; send one header per value".into()),
                );
            } else {
                self.refs(&p, value, vars);
            }
        }
        for (j, value) in req.authorization.iter().flatten().enumerate() {
            self.refs(&join(base, &[K("authorization"), I(j)]), value, vars);
        }
        if let Some(body) = &req.body {
            self.refs(&join(base, &[K("body")]), body, vars);
        }
        if !(1..=10_000).contains(&req.repeat) {
            self.err_value(
                &join(base, &[K("repeat")]),
                format!("`repeat = {}` is out of range", req.repeat),
                Some("send a request 1 to 10000 times".into()),
            );
        }
    }

    pub(super) fn expect(&mut self, base: &[Seg<'_>], exp: &Expect, vars: &Vars<'_>) {
        let status = join(base, &[K("status")]);
        if let Some(s) = exp.status {
            if self.status(&status, s) {
                let two = (200..300).contains(&s);
                match exp.outcome {
                    ExpectedOutcome::Accepted if !two => self.err_value(
                        &status,
                        format!("status {s} contradicts `outcome = \"accepted\"` (2xx)"),
                        Some("set `outcome = \"rejected\"` or `\"any\"`".into()),
                    ),
                    ExpectedOutcome::Rejected if two => self.err_value(
                        &status,
                        format!("status {s} contradicts the outcome `rejected` (the default)"),
                        Some("set `outcome = \"accepted\"` for a 2xx answer".into()),
                    ),
                    _ => {}
                }
            }
        }
        if let Some(code) = &exp.code {
            let p = join(base, &[K("code")]);
            if ErrorCode::from_str(code).is_err() {
                let hint = did_you_mean(code, ErrorCode::ALL.iter().map(|c| c.as_str()))
                    .unwrap_or_else(|| "codes are listed in specs/002-auth-security-integration/contracts/errors.md".into());
                self.err_value(
                    &p,
                    format!("`{code}` is not a code of the error contract"),
                    Some(hint),
                );
            } else if exp.outcome == ExpectedOutcome::Accepted {
                self.err_value(
                    &p,
                    format!("`code = \"{code}\"` contradicts `outcome = \"accepted\"`"),
                    Some("remove `code`, or set `outcome = \"rejected\"`".into()),
                );
            }
        }
        self.no_case_twins(&join(base, &[K("headers")]), exp.headers.keys());
        for (name, re) in &exp.headers {
            let p = join(base, &[K("headers"), K(name)]);
            self.header_name(&p, name);
            // The runner expands `${var}` in a pattern with the value regex-escaped, so a
            // literal stands in for it here.
            if !self.refs(&p, re, vars) {
                continue;
            }
            let pattern = with_placeholders(re, "x").unwrap_or_default();
            if let Err(e) = regex::Regex::new(&pattern) {
                self.err_value(
                    &p,
                    format!("invalid regex for header `{name}`: {}", regex_message(&e)),
                    Some("the value is a regex (Rust `regex` syntax); escape literal `(`, `[`, `.`, `\\` with `\\`".into()),
                );
            }
        }
        for (j, name) in exp.headers_absent.iter().enumerate() {
            self.header_name(&join(base, &[K("headers_absent"), I(j)]), name);
        }
        for (pointer, value) in &exp.json {
            let p = join(base, &[K("json"), K(pointer)]);
            if !is_json_pointer(pointer) {
                self.err_key(
                    &p,
                    format!("`{pointer}` is not a JSON pointer"),
                    Some(pointer_hint(pointer)),
                );
            }
            if self.refs(&p, value, vars) {
                if let Err(e) = check_json(value) {
                    self.err_value(
                        &p,
                        format!("the value for `{pointer}` is not JSON: {e}"),
                        Some(json_hint(value)),
                    );
                }
            }
        }
    }

    /// Checks an HTTP status; true if it is in range.
    pub(super) fn status(&mut self, path: &[Seg<'_>], s: u16) -> bool {
        let ok = (100..=599).contains(&s);
        if !ok {
            self.err_value(
                path,
                format!("{s} is not an HTTP status"),
                Some("statuses are 100..=599".into()),
            );
        }
        ok
    }

    /// Flags header names of one table that differ only in case (HTTP names are
    /// case-insensitive), at the later of the two.
    fn no_case_twins<'n>(&mut self, base: &[Seg<'_>], names: impl Iterator<Item = &'n String>) {
        let mut seen: BTreeMap<String, &str> = BTreeMap::new();
        for name in names {
            let Some(other) = seen.insert(name.to_ascii_lowercase(), name) else {
                continue;
            };
            let here = self.loc.key(&join(base, &[K(name)]));
            let there = self.loc.key(&join(base, &[K(other)]));
            let line = crate::scenario::line_column(self.text, here.min(there)).0;
            self.err(
                here.max(there),
                format!("header `{name}` is given twice (`{other}`): names are case-insensitive"),
                Some(format!("keep one of them; the other is at line {line}")),
            );
        }
    }

    fn header_name(&mut self, path: &[Seg<'_>], name: &str) {
        if !is_http_token(name) {
            self.err_key(
                path,
                format!("`{name}` is not a header name"),
                Some(
                    "header names are HTTP tokens: letters, digits and `-`, no spaces or `:`"
                        .into(),
                ),
            );
        }
    }
}

/// The one-line reason out of the regex crate's multi-line message.
fn regex_message(e: &regex::Error) -> String {
    let text = e.to_string();
    text.lines()
        .find_map(|l| l.trim().strip_prefix("error: "))
        .map_or_else(
            || text.split_whitespace().collect::<Vec<_>>().join(" "),
            str::to_owned,
        )
}
