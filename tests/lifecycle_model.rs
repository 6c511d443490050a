//! The stateful lifecycle model against the embedded mock: random sequences of sign-in, mint,
//! replay, made-up `kid`s, rotate, retire, key set down and up, time passing, sign-out, session
//! revocation, password change and ban, run over HTTP against the mock's issuer (its lab control
//! plane) and its key-caching backend. Every backend answer and every key-set fetch it costs is
//! checked against `authprobe::lifecycle::model` (the rules of jose's `createRemoteJWKSet` and
//! PyJWT's `PyJWKClient`), for the compliant cache and for both flawed ones; every revocation is
//! checked at the issuer (the dead session mints no JWT) and at the backend (a stateless backend
//! honours the JWT it already has).
//!
//! The backend's cache runs on a clock the test moves, so a sequence steps over cache ages and
//! cooldowns without waiting for them.

use authprobe::algorithm::{Algorithm, KeyFamily};
use authprobe::deployment::http::{Http, HttpOptions};
use authprobe::deployment::mock::key_cache::CacheClock;
use authprobe::deployment::mock::{Flaw, MockDeployment, MockOptions};
use authprobe::deployment::Endpoints;
use authprobe::lifecycle::account::Account;
use authprobe::lifecycle::control::{IssuerControl, KeySetMode};
use authprobe::lifecycle::keys::made_up_kid_token;
use authprobe::lifecycle::model::{Answer, CacheModel, IssuerModel};
use authprobe::lifecycle::Backend;
use authprobe::sign::SigningKey;
use authprobe::token::Token;
use proptest::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone)]
enum Op {
    /// The signed-in user takes a fresh JWT from its session.
    Mint,
    /// A JWT taken earlier (index modulo their number) is sent again.
    Replay(usize),
    /// A token signed by a key the issuer never had, under a made-up `kid`.
    MadeUpKid,
    Rotate,
    /// A published key other than the signing one (index modulo their number) leaves the set.
    Retire(usize),
    KeySetDown,
    KeySetUp,
    /// The backend's clock moves on (milliseconds).
    Advance(u64),
    /// The user's session ends: 0 sign-out, 1 revoke all sessions, 2 password change from a
    /// second session, 3 banned by an admin.
    Revoke(u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => Just(Op::Mint),
        5 => any::<usize>().prop_map(Op::Replay),
        2 => Just(Op::MadeUpKid),
        2 => Just(Op::Rotate),
        1 => any::<usize>().prop_map(Op::Retire),
        1 => Just(Op::KeySetDown),
        2 => Just(Op::KeySetUp),
        4 => prop_oneof![0u64..1500, 900u64..1100, 3_900u64..4_100, 5_000u64..30_000]
            .prop_map(Op::Advance),
        1 => (0u8..4).prop_map(Op::Revoke),
    ]
}

fn flaw() -> impl Strategy<Value = Option<Flaw>> {
    prop_oneof![
        2 => Just(None),
        1 => Just(Some(Flaw::CachesKeysForever)),
        1 => Just(Some(Flaw::RefetchesEveryUnknownKid)),
    ]
}

struct World {
    /// Kept alive for the run.
    _mock: MockDeployment,
    http: Http,
    endpoints: Endpoints,
    control: IssuerControl,
    backend: Backend,
    clock: Arc<AtomicU64>,
    issuer: IssuerModel,
    cache: CacheModel,
    now: Duration,
    user: Account,
    admin: Account,
    /// JWTs taken so far, with their `kid`.
    tokens: Vec<(String, String)>,
    attacker: SigningKey,
    accounts: u32,
}

fn kid_of(token: &str) -> String {
    Token::parse(token)
        .ok()
        .and_then(|t| t.kid().map(str::to_owned))
        .unwrap_or_default()
}

impl World {
    async fn start(flaw: Option<Flaw>, case: u64) -> Result<World, String> {
        let (clock, handle) = CacheClock::manual();
        let options = MockOptions {
            flaw,
            key_cache: true,
            clock: Some(clock),
            rate_limiting: false,
            cookie_contract: None,
        };
        let policy = options.cache_policy();
        let mock = MockDeployment::start_with(options).await;
        let http = Http::new(HttpOptions::default()).map_err(|e| e.to_string())?;
        let endpoints = mock.endpoints();
        let control = IssuerControl::lab(mock.control_url());
        let backend = Backend {
            name: "mock".into(),
            url: format!("{}/api/me", endpoints.backend),
            header: "Authorization".into(),
            scheme: "Bearer".into(),
        };
        let tag = format!("model{case}");
        let user = Account::sign_up(&http, &endpoints, &tag, "user0")
            .await
            .map_err(|e| e.to_string())?;
        let admin = Account::sign_up(&http, &endpoints, &tag, "admin")
            .await
            .map_err(|e| e.to_string())?;
        control
            .make_admin(&http, &admin.session.email)
            .await
            .map_err(|e| e.to_string())?;
        let first = kid_of(&user.session.jwt);
        let tokens = vec![(user.session.jwt.clone(), first.clone())];
        Ok(World {
            issuer: IssuerModel::new(&first),
            cache: CacheModel::new(policy),
            _mock: mock,
            http,
            endpoints,
            control,
            backend,
            clock: handle,
            now: Duration::ZERO,
            user,
            admin,
            tokens,
            attacker: SigningKey::generate(KeyFamily::Ed25519).map_err(|e| e.to_string())?,
            accounts: 0,
        })
    }

    /// Sends a token to the backend and checks the answer and the fetches it cost.
    async fn request(&mut self, token: &str, kid: &str, genuine: bool) -> Result<(), String> {
        let before = self
            .control
            .jwks_fetches(&self.http)
            .await
            .map_err(|e| e.to_string())?;
        let model_before = self.issuer.fetches;
        let status = self
            .backend
            .probe(&self.http, token)
            .await
            .map_err(|e| e.to_string())?
            .status;
        let after = self
            .control
            .jwks_fetches(&self.http)
            .await
            .map_err(|e| e.to_string())?;
        let expected = self.cache.request(&mut self.issuer, kid, genuine, self.now);
        let got = match status {
            200 => Answer::Accepted,
            401 => Answer::Refused,
            503 => Answer::Unavailable,
            other => return Err(format!("kid {kid}: unexpected HTTP {other}")),
        };
        if got != expected {
            return Err(format!(
                "kid {kid} (genuine {genuine}) at {:?}: the backend answered {got:?}, the model {expected:?}",
                self.now
            ));
        }
        let (fetched, modelled) = (after - before, self.issuer.fetches - model_before);
        if fetched != modelled {
            return Err(format!(
                "kid {kid} at {:?}: the request cost {fetched} key-set fetches, the model {modelled}",
                self.now
            ));
        }
        Ok(())
    }

    async fn apply(&mut self, op: &Op) -> Result<(), String> {
        match op {
            Op::Mint => {
                let token = self
                    .user
                    .mint(&self.http, &self.endpoints)
                    .await
                    .map_err(|e| format!("mint: {e}"))?;
                let kid = kid_of(&token);
                if Some(kid.as_str()) != self.issuer.current() {
                    return Err(format!(
                        "the issuer signed with {kid}, the model's signing key is {:?}",
                        self.issuer.current()
                    ));
                }
                self.tokens.push((token.clone(), kid.clone()));
                self.request(&token, &kid, true).await
            }
            Op::Replay(i) => {
                let (token, kid) = self.tokens[i % self.tokens.len()].clone();
                self.request(&token, &kid, true).await
            }
            Op::MadeUpKid => {
                let like = self.tokens[0].0.clone();
                let token = made_up_kid_token(&like, Algorithm::EdDSA, &self.attacker)
                    .ok_or("could not make a token")?;
                let kid = kid_of(&token);
                self.request(&token, &kid, false).await
            }
            Op::Rotate => {
                let rotated = self
                    .control
                    .rotate(&self.http)
                    .await
                    .map_err(|e| e.to_string())?;
                if rotated.previous.as_deref() != self.issuer.current() {
                    return Err(format!("rotation: previous {:?}", rotated.previous));
                }
                self.issuer.rotate(&rotated.kid);
                Ok(())
            }
            Op::Retire(i) => {
                let candidates: Vec<String> = self
                    .issuer
                    .published
                    .iter()
                    .filter(|k| Some(k.as_str()) != self.issuer.current())
                    .cloned()
                    .collect();
                if candidates.is_empty() {
                    return Ok(());
                }
                let kid = candidates[i % candidates.len()].clone();
                self.control
                    .retire(&self.http, &kid)
                    .await
                    .map_err(|e| e.to_string())?;
                self.issuer.retire(&kid);
                Ok(())
            }
            Op::KeySetDown | Op::KeySetUp => {
                let down = matches!(op, Op::KeySetDown);
                let mode = if down {
                    KeySetMode::Down
                } else {
                    KeySetMode::Up
                };
                self.control
                    .set_key_set(&self.http, mode)
                    .await
                    .map_err(|e| e.to_string())?;
                self.issuer.down = down;
                Ok(())
            }
            Op::Advance(ms) => {
                self.clock.fetch_add(*ms, Ordering::SeqCst);
                self.now += Duration::from_millis(*ms);
                Ok(())
            }
            Op::Revoke(how) => self.revoke(*how).await,
        }
    }

    /// A revocation, and a new user afterwards. Signing in reads the key set (authprobe's
    /// session bootstrap), so a key set that is down comes up for that moment; the backend sends
    /// no request meanwhile, so the model is unaffected.
    async fn revoke(&mut self, how: u8) -> Result<(), String> {
        let down = self.issuer.down;
        if down {
            self.control
                .set_key_set(&self.http, KeySetMode::Up)
                .await
                .map_err(|e| e.to_string())?;
        }
        let result = self.revoke_and_sign_up(how).await;
        if down {
            self.control
                .set_key_set(&self.http, KeySetMode::Down)
                .await
                .map_err(|e| e.to_string())?;
        }
        result
    }

    async fn revoke_and_sign_up(&mut self, how: u8) -> Result<(), String> {
        let (http, auth) = (&self.http, &self.endpoints);
        let mut successor = None;
        match how {
            0 => self.user.sign_out(http, auth).await,
            1 => self.user.revoke_sessions(http, auth).await,
            2 => {
                let s = &self.user.session;
                let second = Account::sign_in(http, auth, &s.email, &s.password)
                    .await
                    .map_err(|e| format!("second session: {e}"))?;
                let r = second.change_password(http, auth, "a-new-Passw0rd!").await;
                successor = Some(second);
                r
            }
            _ => {
                let id = self.user.user_id().ok_or("no sub")?;
                self.admin.ban(http, auth, &id).await
            }
        }
        .map_err(|e| format!("revocation {how}: {e}"))?;
        let status = self
            .user
            .token_status(http, auth)
            .await
            .map_err(|e| e.to_string())?;
        if status != 401 {
            return Err(format!(
                "after revocation {how} the dead session got HTTP {status} from /token"
            ));
        }
        if how == 2 {
            // The session that changed the password lives on and mints.
            let second = successor.ok_or("no second session")?;
            let token = second.mint(http, auth).await.map_err(|e| e.to_string())?;
            self.tokens.push((token.clone(), kid_of(&token)));
        }
        if how == 3 {
            let s = &self.user.session;
            let again = Account::sign_in(http, auth, &s.email, &s.password).await;
            if again.is_ok() {
                return Err("a banned user signed in again".into());
            }
        }
        self.accounts += 1;
        let tag = format!("next{}", self.accounts);
        self.user = Account::sign_up(http, auth, &tag, "user")
            .await
            .map_err(|e| format!("a new user: {e}"))?;
        let token = self.user.session.jwt.clone();
        self.tokens.push((token.clone(), kid_of(&token)));
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn the_mock_issuer_and_key_cache_follow_the_model(
        flaw in flaw(),
        ops in prop::collection::vec(op(), 1..40),
        case in any::<u64>(),
    ) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let result: Result<(), String> = runtime.block_on(async {
            let mut world = World::start(flaw, case).await?;
            for (n, op) in ops.iter().enumerate() {
                world
                    .apply(op)
                    .await
                    .map_err(|e| format!("step {n} {op:?} ({flaw:?}): {e}"))?;
            }
            Ok(())
        });
        prop_assert!(result.is_ok(), "{}", result.unwrap_err());
    }
}

/// The model is not vacuous: the sequence that shows a forever cache ignoring a rotation gives
/// different answers under the compliant policy.
#[test]
fn the_model_tells_the_cache_policies_apart() {
    use authprobe::lifecycle::model::CachePolicy;
    let run = |policy: CachePolicy| {
        let mut issuer = IssuerModel::new("k1");
        let mut cache = CacheModel::new(policy);
        cache.request(&mut issuer, "k1", true, Duration::ZERO);
        issuer.rotate("k2");
        cache.request(&mut issuer, "k2", true, Duration::from_secs(2))
    };
    let compliant = MockOptions::default().cache_policy();
    let forever = MockOptions {
        flaw: Some(Flaw::CachesKeysForever),
        ..MockOptions::default()
    }
    .cache_policy();
    assert_eq!(run(compliant), Answer::Accepted);
    assert_eq!(run(forever), Answer::Refused);
}
