//! Dangerous: building attacks. Everything under this path makes tokens and keys meant to be
//! refused (forged signatures, `alg: none`, embedded and fetched keys, hostile encodings) and
//! serves attacker documents. It exists to test validators; nothing here belongs in a service that
//! accepts tokens. Like `jsonwebtoken::dangerous` and `rustls::client::danger`, the path says so
//! at every use.

pub mod forge;
