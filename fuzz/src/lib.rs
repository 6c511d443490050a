//! authprobe's fuzz targets share their properties through [`checks`] (also included by
//! `tests/fuzz_regressions.rs`, so that crash inputs replay on stable Rust). This crate adds only
//! the `arbitrary` glue that lets `cargo fuzz fmt validate <input>` print the decoded case.

pub mod checks;

use arbitrary::{Arbitrary, Result, Unstructured};
use checks::{Case, Reader};

/// The `validate` target's input: every byte goes to [`Case::decode`].
#[derive(Debug)]
pub struct ValidateInput(pub Case);

/// The `differential` target's input: every byte goes to [`Case::decode`] over the algorithms
/// jsonwebtoken implements.
#[derive(Debug)]
pub struct DifferentialInput(pub Case);

impl<'a> Arbitrary<'a> for ValidateInput {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let bytes = u.bytes(u.len())?;
        Ok(ValidateInput(Case::decode(
            &mut Reader::new(bytes),
            &authprobe::Algorithm::ALL,
        )))
    }
}

impl<'a> Arbitrary<'a> for DifferentialInput {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let bytes = u.bytes(u.len())?;
        Ok(DifferentialInput(Case::decode(
            &mut Reader::new(bytes),
            &checks::DIFFERENTIAL_ALGS,
        )))
    }
}
