//! **Attack construction.** Everything in this module builds tokens that are *meant* to be
//! rejected: forged signatures, confused algorithms, poisoned headers, tampered claims. It is
//! fenced off here, like jsonwebtoken's `dangerous`, so that nothing on the validation path can
//! reach it by accident.

pub mod raw_json;
