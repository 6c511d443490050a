//! The one judge of `audit` and `fuzz`: what the reference validator, run with the target's
//! own policy, says about the exact request sent; how the answer compares with it; and how bad
//! each difference is, graded by what an attacker can do with it ([`grade`]).

pub mod grade;
pub mod reference;

pub use grade::{Cause, Confidence, FlawClass, Grader, Grading, Producer, Severity};
pub use reference::{Oracle, Reference};
