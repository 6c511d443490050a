//! Realistic flaws the mock backend can be built with, one at a time. Each is a mistake found in
//! real JWT backends (ATTACKS.md); the flawed-backend test proves the audit catches every one.

use std::fmt;
use std::str::FromStr;

/// One deliberate flaw of the mock backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flaw {
    AcceptsAlgNone,
    NoSignatureCheck,
    IgnoresExp,
    OneDayLeeway,
    IgnoresAudience,
    SubstringIssuer,
    PublicKeyAsHmacSecret,
    TrustsHeaderJwk,
    FetchesJku,
    KidPathTraversal,
    IgnoresUnknownCrit,
    ServerErrorOnMalformed,
    EchoesException,
    NoWwwAuthenticate,
    ReflectsAnyOrigin,
    /// Lifecycle flaws (the key-set cache; `authprobe lifecycle` finds them, `audit` cannot).
    CachesKeysForever,
    RefetchesEveryUnknownKid,
    ServerErrorWhenKeySetDown,
    /// An endpoint flaw (one route of several; `audit` finds it with `--path GET /api/export`
    /// or `--openapi /openapi.json`, not on `/api/me`).
    ExportSkipsSignature,
    /// A placement flaw of a backend whose contract carries the token in a cookie.
    CookieContractTakesQueryToken,
    /// A denial-of-service flaw: slow on huge or many-segment tokens.
    SlowOnHugeTokens,
}

impl Flaw {
    pub const ALL: [Flaw; 15] = [
        Flaw::AcceptsAlgNone,
        Flaw::NoSignatureCheck,
        Flaw::IgnoresExp,
        Flaw::OneDayLeeway,
        Flaw::IgnoresAudience,
        Flaw::SubstringIssuer,
        Flaw::PublicKeyAsHmacSecret,
        Flaw::TrustsHeaderJwk,
        Flaw::FetchesJku,
        Flaw::KidPathTraversal,
        Flaw::IgnoresUnknownCrit,
        Flaw::ServerErrorOnMalformed,
        Flaw::EchoesException,
        Flaw::NoWwwAuthenticate,
        Flaw::ReflectsAnyOrigin,
    ];

    /// The flaws of the backend's key-set cache, which only the lifecycle measurements show.
    pub const LIFECYCLE: [Flaw; 3] = [
        Flaw::CachesKeysForever,
        Flaw::RefetchesEveryUnknownKid,
        Flaw::ServerErrorWhenKeySetDown,
    ];

    /// The flaws of one route among several, which only an audit of every endpoint shows.
    pub const ENDPOINT: [Flaw; 1] = [Flaw::ExportSkipsSignature];

    /// The flaws of a backend whose contract carries the token in a cookie (the mock is built
    /// with that contract for them).
    pub const COOKIE_CONTRACT: [Flaw; 1] = [Flaw::CookieContractTakesQueryToken];

    /// The flaws that show as time, not as an answer (the audit's slow-answer check).
    pub const DENIAL_OF_SERVICE: [Flaw; 1] = [Flaw::SlowOnHugeTokens];

    /// Whether the flaw is one of [`Flaw::LIFECYCLE`].
    pub fn is_lifecycle(self) -> bool {
        Flaw::LIFECYCLE.contains(&self)
    }

    /// The variant's name on the command line (`--mock-variant`).
    pub fn name(self) -> &'static str {
        match self {
            Flaw::AcceptsAlgNone => "accepts-alg-none",
            Flaw::NoSignatureCheck => "no-signature-check",
            Flaw::IgnoresExp => "ignores-exp",
            Flaw::OneDayLeeway => "one-day-leeway",
            Flaw::IgnoresAudience => "ignores-aud",
            Flaw::SubstringIssuer => "substring-issuer",
            Flaw::PublicKeyAsHmacSecret => "public-key-as-hmac-secret",
            Flaw::TrustsHeaderJwk => "trusts-header-jwk",
            Flaw::FetchesJku => "fetches-jku",
            Flaw::KidPathTraversal => "kid-path-traversal",
            Flaw::IgnoresUnknownCrit => "ignores-unknown-crit",
            Flaw::ServerErrorOnMalformed => "500-on-malformed",
            Flaw::EchoesException => "echoes-exception",
            Flaw::NoWwwAuthenticate => "no-www-authenticate",
            Flaw::ReflectsAnyOrigin => "cors-reflects-any-origin",
            Flaw::CachesKeysForever => "caches-keys-forever",
            Flaw::RefetchesEveryUnknownKid => "refetches-every-unknown-kid",
            Flaw::ServerErrorWhenKeySetDown => "500-when-key-set-down",
            Flaw::ExportSkipsSignature => "export-route-skips-signature",
            Flaw::CookieContractTakesQueryToken => "cookie-contract-takes-query-token",
            Flaw::SlowOnHugeTokens => "slow-on-huge-tokens",
        }
    }

    /// What the flawed backend does wrong.
    pub fn description(self) -> &'static str {
        match self {
            Flaw::AcceptsAlgNone => "accepts unsigned tokens (alg none, any case)",
            Flaw::NoSignatureCheck => "decodes claims without verifying the signature",
            Flaw::IgnoresExp => "never checks exp",
            Flaw::OneDayLeeway => "allows a one-day clock-skew leeway",
            Flaw::IgnoresAudience => "does not check aud",
            Flaw::SubstringIssuer => {
                "accepts an iss that is a substring or superstring of the expected one"
            }
            Flaw::PublicKeyAsHmacSecret => {
                "verifies HS* tokens with the public key bytes as the HMAC secret"
            }
            Flaw::TrustsHeaderJwk => "verifies with the key embedded in the token's jwk header",
            Flaw::FetchesJku => "fetches the key set named by the token's jku header and trusts it",
            Flaw::KidPathTraversal => {
                "reads the HMAC key from the file the kid names (path traversal to an empty key)"
            }
            Flaw::IgnoresUnknownCrit => "ignores crit extensions it does not understand",
            Flaw::ServerErrorOnMalformed => "answers 500 when a token cannot be parsed",
            Flaw::EchoesException => "puts the exception text and the token in error bodies",
            Flaw::NoWwwAuthenticate => "sends no WWW-Authenticate challenge",
            Flaw::ReflectsAnyOrigin => "reflects any Origin in CORS answers and allows credentials",
            Flaw::CachesKeysForever => {
                "fetches the key set once and keeps it forever (lifecycle: rotation and retirement)"
            }
            Flaw::RefetchesEveryUnknownKid => {
                "refetches the key set for every unknown kid, no cooldown (lifecycle: fetch storm)"
            }
            Flaw::ServerErrorWhenKeySetDown => {
                "answers 500 when a key-set fetch fails (lifecycle: outage)"
            }
            Flaw::SlowOnHugeTokens => {
                "takes 1.5 s over a token of more than 4 KiB or more than three segments (a backtracking parser)"
            }
            Flaw::CookieContractTakesQueryToken => {
                "reads the token from the cookie its contract names, and also from ?access_token="
            }
            Flaw::ExportSkipsSignature => {
                "GET /api/export reads the token's claims without verifying anything (the other routes verify)"
            }
        }
    }
}

impl fmt::Display for Flaw {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown variant name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown mock variant {0:?}")]
pub struct UnknownFlaw(pub String);

impl FromStr for Flaw {
    type Err = UnknownFlaw;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Flaw::ALL
            .into_iter()
            .chain(Flaw::LIFECYCLE)
            .chain(Flaw::ENDPOINT)
            .chain(Flaw::COOKIE_CONTRACT)
            .chain(Flaw::DENIAL_OF_SERVICE)
            .find(|f| f.name() == s)
            .ok_or_else(|| UnknownFlaw(s.to_owned()))
    }
}
