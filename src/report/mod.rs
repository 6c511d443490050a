//! Reports of an audit, one module per format over one result model ([`model`]).

pub mod model;

pub use model::*;
