//! Scenario suites: the TOML format of `scenarios/` ([`model`]), documented in
//! `scenarios/README.md`.
//!
//! [`load_file`], [`load_str`] and [`load_dir`] read suites; every error is a [`ScenarioError`]
//! naming `file:line:column`, usually with a hint ("did you mean `status`?"). The runner uses
//! [`expand_vars`], [`parse_relative_time`] and [`BUILTIN_VARS`] at run time.

mod checks;
mod error;
mod hint;
mod load;
pub mod model;
mod spans;
mod validate;
mod vars;

pub use error::{line_column, ScenarioError};
pub use hint::edit_distance;
pub use load::{load_dir, load_file, load_str};
pub use model::*;
pub use vars::{expand_vars, is_var_name, parse_relative_time, BUILTIN_VARS};
