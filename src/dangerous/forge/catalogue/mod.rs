//! The attack catalogue: one [`Case`] per attack class of ATTACKS.md, each a short description
//! plus the code that expands it into concrete tokens with their expected secure outcome.
//!
//! Expectations assume the target enforces the **audit profile**: the Better Auth profile
//! (spec.md §5) with the base token's algorithm as the only allowed one, its `iss` and `aud`, and
//! a 24 h lifetime cap. Cases that cannot be expressed as a token or a request carry the reason
//! instead of variants, so the catalogue still lists them.

mod alg;
mod claims;
mod confusion;
mod crypto;
mod exhaustion;
mod header;
mod jwe;
mod key_source;
mod parsing;
mod signature;

use super::{Delivery, Expected, ForgeInput, Forged, Mode, Severity, Touches};
use crate::contract::ErrorCode;
use serde::Serialize;
use std::sync::OnceLock;

/// Lifetime cap of the audit profile, in seconds.
pub const AUDIT_MAX_LIFETIME_SECS: u64 = 24 * 3600;

/// One attack class.
#[derive(Serialize)]
pub struct Case {
    /// Stable ID from ATTACKS.md (A01 … J06).
    pub id: &'static str,
    /// Stable slug, used in rule ids.
    pub slug: &'static str,
    /// One line on what is tested.
    pub title: &'static str,
    /// CVEs, RFC sections, advisories.
    pub references: &'static [&'static str],
    pub severity: Severity,
    pub mode: Mode,
    /// The secure behaviour, in words.
    pub secure: &'static str,
    /// Why the case has no tokens here, if it has none.
    pub not_expressible: Option<&'static str>,
    #[serde(skip)]
    build: fn(&ForgeInput<'_>, &mut Out),
}

impl Case {
    /// The group letter (A … J).
    pub fn group(&self) -> char {
        self.id.chars().next().unwrap_or('?')
    }

    /// The name of the case's group.
    pub fn group_name(&self) -> &'static str {
        match self.group() {
            'A' => "signature",
            'B' => "algorithm",
            'C' => "key-confusion",
            'D' => "key-source",
            'E' => "crypto",
            'F' => "header",
            'G' => "parsing",
            'H' => "claims",
            'I' => "jwe",
            'J' => "exhaustion",
            _ => "other",
        }
    }

    /// Tags a listing can filter on: the group letter and name, severity, mode, and
    /// `not-a-token` for cases without variants.
    pub fn tags(&self) -> Vec<String> {
        let mut tags = vec![
            self.group().to_string(),
            self.group_name().to_owned(),
            self.severity.to_string(),
            self.mode.to_string(),
        ];
        if self.not_expressible.is_some() {
            tags.push("not-a-token".into());
        }
        tags
    }

    /// A stable rule id for findings, e.g. `AP-A01-sig-not-checked`.
    pub fn rule_id(&self) -> String {
        format!("AP-{}-{}", self.id, self.slug)
    }

    /// The concrete tokens of this case for `input`.
    pub fn forge(&'static self, input: &ForgeInput<'_>) -> Vec<Forged> {
        if self.not_expressible.is_some() {
            return Vec::new();
        }
        if self.mode == Mode::IssuerKey && input.issuer_key.is_none() {
            return Vec::new();
        }
        let mut out = Out {
            case: self,
            items: Vec::new(),
            base: input.base.as_str().to_owned(),
        };
        (self.build)(input, &mut out);
        out.items
    }
}

/// Collects a case's variants.
pub(crate) struct Out {
    case: &'static Case,
    items: Vec<Forged>,
    base: String,
}

impl Out {
    /// Adds a variant; an edit that happens to reproduce the base token is not a forgery and is
    /// dropped (e.g. setting `typ: JWT` on a base that already has it).
    fn push(
        &mut self,
        variant: impl Into<String>,
        token: String,
        expected: Expected,
        touches: Touches,
    ) {
        if token == self.base {
            return;
        }
        self.items.push(Forged {
            id: self.case.id,
            slug: self.case.slug,
            variant: variant.into(),
            token,
            expected,
            touches,
            delivery: Delivery::Bearer,
            oob_path: None,
        });
    }

    fn code(
        &mut self,
        variant: impl Into<String>,
        token: String,
        code: ErrorCode,
        touches: Touches,
    ) {
        self.push(variant, token, Expected::Code(code), touches);
    }

    fn with_oob(&mut self, path: String) {
        if let Some(last) = self.items.last_mut() {
            last.oob_path = Some(path);
        }
    }

    /// Adds a variant that sends a (possibly unchanged) token in a particular way.
    fn delivered(
        &mut self,
        variant: impl Into<String>,
        token: String,
        expected: ErrorCode,
        delivery: Delivery,
    ) {
        self.items.push(Forged {
            id: self.case.id,
            slug: self.case.slug,
            variant: variant.into(),
            token,
            expected: Expected::Code(expected),
            touches: Touches::default(),
            delivery,
            oob_path: None,
        });
    }

    /// A unique out-of-band path for the next variant of this case.
    fn oob_path(&self, what: &str) -> String {
        format!("/oob/{}/{}/{what}", self.case.id, self.items.len())
    }
}

/// Every case, in ID order.
pub fn catalogue() -> &'static [Case] {
    static ALL: OnceLock<Vec<Case>> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut all: Vec<Case> = [
            signature::cases(),
            alg::cases(),
            confusion::cases(),
            key_source::cases(),
            crypto::cases(),
            header::cases(),
            parsing::cases(),
            claims::cases(),
            jwe::cases(),
            exhaustion::cases(),
        ]
        .into_iter()
        .flatten()
        .collect();
        all.sort_by_key(|c| c.id);
        all
    })
}

/// Looks a case up by ID (case-insensitive) or slug.
pub fn find(id_or_slug: &str) -> Option<&'static Case> {
    catalogue()
        .iter()
        .find(|c| c.id.eq_ignore_ascii_case(id_or_slug) || c.slug == id_or_slug)
}

/// Shorthand for a case definition.
#[allow(clippy::too_many_arguments)]
const fn case(
    id: &'static str,
    slug: &'static str,
    title: &'static str,
    severity: Severity,
    mode: Mode,
    secure: &'static str,
    references: &'static [&'static str],
    build: fn(&ForgeInput<'_>, &mut Out),
) -> Case {
    Case {
        id,
        slug,
        title,
        references,
        severity,
        mode,
        secure,
        not_expressible: None,
        build,
    }
}

/// A catalogued class that is not a token or request (timing statistics, offline work, …).
const fn not_a_token(
    id: &'static str,
    slug: &'static str,
    title: &'static str,
    severity: Severity,
    references: &'static [&'static str],
    reason: &'static str,
) -> Case {
    Case {
        id,
        slug,
        title,
        references,
        severity,
        mode: Mode::BlackBox,
        secure: "see reason",
        not_expressible: Some(reason),
        build: |_, _| {},
    }
}

use ErrorCode::*;

/// Malformed, invalid signature, or the like: a code or, for encodings whose validity depends on
/// the exact bytes, the two that are possible.
fn malformed_or_bad_signature() -> Expected {
    Expected::AnyOf(vec![MalformedToken, InvalidSignature])
}
