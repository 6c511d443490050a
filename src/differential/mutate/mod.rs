//! Structure-aware mutation of a real token.
//!
//! A generated token is a [`Draft`]: the base token plus a list of [`Edit`]s, each a small,
//! revertible change (one JSON member of the header or the claims, one encoding quirk, one
//! signature change, the choice of who signs, how the credential is delivered). Drafts are
//! rendered into bytes only when they are sent ([`Material::render`]), so times stay relative to
//! "now" and shrinking can drop edits one at a time. [`Generator::draft`] is a pure function of
//! the run seed and the draft's index: the same seed and base give the same sequence.
//!
//! Some drafts also vary the request envelope: an `Origin` header ([`OriginOp`]: the front end's,
//! look-alikes of it, foreign ones, `null`) or a CORS preflight instead of the request itself
//! ([`Edit::Preflight`]), so the CORS answers are judged too. Those edits are drawn from a stream
//! of their own, so the token edits of a seed stay what they were without them.
//!
//! The parts: `edit` (the edit model and its words), `material` (what drafts are built from),
//! `catalogue_seed` (catalogue tokens turned into edits), `render` (a draft into bytes) with
//! `rewrite` (the byte and text rewrites it applies), `generate` (the seeded generator) with
//! `members` (header and claim edits and their value pools), and `json_literal` (the JSON text
//! they write).

mod catalogue_seed;
mod edit;
mod generate;
mod json_literal;
mod material;
mod members;
mod render;
mod rewrite;

pub use edit::{
    DeliveryOp, Draft, Edit, EncOp, Json, JsonOp, MemberOp, OriginOp, Part, SigEdit, Signer,
    StructOp, TOKEN_MARK,
};
pub use generate::Generator;
pub use material::{Material, MaterialInput, Rendered, Seed, Shape};
