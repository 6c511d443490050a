//! The mock Better Auth server: the endpoints authprobe uses (sign-up, sign-in, get-session with
//! `set-auth-jwt`, `/token`, `/jwks`, sign-out, `/ok`) with the response shapes, cookies, error
//! bodies, origin checks and production-mode rate limits observed on Better Auth 1.7
//! (../shared/better-auth-transcripts.md). Tokens are real EdDSA JWTs from a real Ed25519 key.
//!
//! For the lifecycle measurements it also has what a real deployment gets from its plugins and
//! from deploy/auth-server's lab control plane: sessions by `Authorization: Bearer` (the bearer
//! plugin), `/revoke-sessions`, `/change-password`, `/admin/ban-user` (the admin plugin), and
//! `/__lab/{rotate,retire,jwks-fetches,jwks,make-admin}` ([`LabControl`]): key rotation and
//! retirement, a count of key-set fetches, a key set that is down or slow, and admin rights.
//!
//! [`AuthState`] (state) holds the issuer; [`BetterAuth`] (better_auth, account) and
//! [`LabControl`] (lab) answer HTTP for it; sessions, clock and responses are what they share.

mod account;
mod better_auth;
mod clock;
mod lab;
mod responses;
mod sessions;
mod state;

pub use better_auth::BetterAuth;
pub(crate) use clock::civil_from_days;
pub use lab::LabControl;
pub use sessions::JWT_LIFETIME_SECS;
pub use state::AuthState;
