//! Command-line interface: one options struct per subcommand, each run by a small function.
//!
//! Exit codes (documented in the README and quickstart): 0 success / token accepted,
//! 1 token rejected (crack: secret found), 2 usage error (clap), 3 bad input (unreadable file, invalid key set, token
//! that cannot be decoded) with its location, 4 key set URL unreachable.

/// `println!` for command output: a reader that goes away (`| head`) ends the program quietly
/// instead of a panic.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::cli::emit(format_args!($($arg)*))
    };
}

mod audit;
mod deployment;
mod endpoints;
mod forge;
mod fuzz;
mod lifecycle;

use anyhow::{anyhow, Context as _};
use authprobe::jwk::remote::{RemoteConfig, RemoteKeySet};
use authprobe::jwk::KeySet;
use authprobe::token::Token;
use authprobe::validate::{Clock, FixedClock, SystemClock, Verdict};
use authprobe::{strict_json, Algorithm, ErrorCode, Policy, RejectionKind, Validator};
use clap::{Args, Parser, Subcommand};
use serde_json::{json, Value};
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// What a successful run concluded.
pub enum Status {
    /// Everything passed (a token was accepted, a decode printed).
    Success,
    /// The input was judged and refused (a token was rejected; an audit found problems).
    Rejected,
    /// An audit's baseline controls failed: the target or its configuration is wrong.
    BaselineFailed,
    /// An audit had harness or transport errors but no findings.
    Errored,
    /// Too many attack cases could not be judged (`--max-unjudged`): no verdict about the target.
    Unjudged,
}

impl Status {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Status::Success => ExitCode::from(0),
            Status::Rejected => ExitCode::from(1),
            Status::BaselineFailed => ExitCode::from(5),
            Status::Errored => ExitCode::from(6),
            Status::Unjudged => ExitCode::from(7),
        }
    }
}

/// Why a run could not reach a conclusion.
pub enum Failure {
    /// Bad input: a file, key set or token that cannot be used; the message names where.
    Input(anyhow::Error),
    /// A key set URL could not be reached or did not answer usefully.
    Unreachable(anyhow::Error),
}

impl Failure {
    pub fn message(&self) -> String {
        match self {
            Failure::Input(e) | Failure::Unreachable(e) => format!("{e:#}"),
        }
    }
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Failure::Input(_) => ExitCode::from(3),
            Failure::Unreachable(_) => ExitCode::from(4),
        }
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Input(e)
    }
}

#[derive(Parser)]
#[command(
    name = "authprobe",
    version,
    about = "Security test and fuzzing harness for Better Auth JWT deployments",
    after_help = "Exit codes: 0 accepted/passed, 1 rejected, 2 usage error, 3 bad input, 4 key set unreachable."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print a token's header and claims WITHOUT verifying anything.
    Decode(DecodeArgs),
    /// Validate a token with the strict reference validator and print the verdict and contract code.
    Validate(ValidateArgs),
    /// Audit a deployment: the embedded mock by default, or a live one (--target / --backend-url).
    Audit(audit::AuditArgs),
    /// List the attack catalogue, or forge a case's tokens from a valid token.
    Forge(forge::ForgeArgs),
    /// Guess the HMAC secret of an HS256/384/512 token offline (exit 1 when found).
    Crack(forge::CrackArgs),
    /// Differential fuzzing: mutated tokens judged by the backend and the reference validator.
    Fuzz(fuzz::FuzzArgs),
    /// Measure key rotation, retirement, key-set outages and revocation lags over time: the
    /// embedded mock by default, or a live issuer and its backends (--target with [lifecycle]).
    Lifecycle(lifecycle::LifecycleArgs),
}

#[derive(Args)]
struct DecodeArgs {
    /// The token, a file holding it, or `-` for standard input.
    token: String,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct ValidateArgs {
    /// The token, a file holding it, or `-` for standard input. With --batch: a file of tokens,
    /// one per line, or `-` for standard input.
    token: String,
    /// Validate many tokens: one per line from the file (or `-`, standard input), blank lines
    /// skipped; one NDJSON verdict per token on standard output in input order, never echoing
    /// the token; every core used; a final stats line on standard error. Exit 0 if all were
    /// accepted, 1 if any was rejected. With a key set URL the set is fetched once up front and
    /// every token is validated against that snapshot (no refetch for an unknown kid).
    #[arg(long)]
    batch: bool,
    /// The issuer's public key set: a JWKS file, or an http(s) URL such as
    /// http://127.0.0.1:3000/api/auth/jwks.
    #[arg(long, value_name = "FILE|URL")]
    jwks: String,
    /// A JWKS file of explicitly configured HMAC secrets (`kty: oct`), for HS* tokens.
    #[arg(long, value_name = "FILE")]
    secret_jwks: Option<PathBuf>,
    /// The exact expected `iss` (Better Auth: the baseURL origin, e.g. http://127.0.0.1:3000).
    #[arg(long)]
    issuer: String,
    /// The audience this backend answers to.
    #[arg(long)]
    audience: String,
    /// Clock-skew leeway in seconds for exp, nbf and iat.
    #[arg(long, default_value_t = authprobe::validate::DEFAULT_LEEWAY_SECS,
          value_parser = clap::value_parser!(u64).range(0..=300))]
    leeway: u64,
    /// Allowed algorithms (repeatable). Default: EdDSA, the Better Auth default.
    #[arg(long = "alg", value_name = "ALG", value_parser = parse_alg)]
    algorithms: Vec<Algorithm>,
    /// Accept tokens without a `kid` (Better Auth always sends one).
    #[arg(long)]
    allow_missing_kid: bool,
    /// Maximum token lifetime (exp − iat) in seconds.
    #[arg(long, value_name = "SECONDS")]
    max_lifetime: Option<u64>,
    /// Validate as of this Unix time instead of now (for fixtures and replays).
    #[arg(long, value_name = "UNIX_SECONDS")]
    now: Option<i64>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

fn parse_alg(s: &str) -> Result<Algorithm, String> {
    s.parse::<Algorithm>().map_err(|e| {
        let names: Vec<_> = Algorithm::ALL.iter().map(|a| a.name()).collect();
        format!("{e}; expected one of {}", names.join(", "))
    })
}

/// Writes one line of output (see `outln!`).
pub fn emit(args: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    if let Err(e) = writeln!(out, "{args}").and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("authprobe: writing output: {e}");
        std::process::exit(3);
    }
}

/// Logs go to stderr, off by default, `RUST_LOG=authprobe=debug` to see them.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}

/// Parses the arguments (clap exits with code 2 on usage errors) and runs the subcommand.
pub fn run() -> Result<Status, Failure> {
    match Cli::parse().command {
        Command::Decode(args) => decode(args),
        Command::Validate(args) => validate(args),
        Command::Audit(args) => audit::audit(args),
        Command::Forge(args) => forge::forge(args),
        Command::Crack(args) => forge::crack(args),
        Command::Fuzz(args) => fuzz::fuzz(args),
        Command::Lifecycle(args) => lifecycle::lifecycle(args),
    }
}

/// Reads a token argument: `-` is standard input, an existing file is read, anything else is
/// the token itself. One trailing newline is dropped; nothing else is trimmed.
pub(crate) fn read_token(arg: &str) -> Result<(Vec<u8>, String), Failure> {
    let (mut bytes, origin) = if arg == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .context("reading the token from standard input")?;
        (buf, "standard input".to_owned())
    } else if Path::new(arg).is_file() {
        let bytes = std::fs::read(arg).with_context(|| format!("reading token file {arg}"))?;
        (bytes, arg.to_owned())
    } else {
        (arg.as_bytes().to_vec(), "the command line".to_owned())
    };
    if bytes.ends_with(b"\r\n") {
        bytes.truncate(bytes.len() - 2);
    } else if bytes.ends_with(b"\n") {
        bytes.pop();
    }
    Ok((bytes, origin))
}

fn decode(args: DecodeArgs) -> Result<Status, Failure> {
    let (bytes, origin) = read_token(&args.token)?;
    let token = Token::parse(&bytes)
        .map_err(|e| anyhow!("the token from {origin} is not a compact JWS: {e}"))?;
    let claims: Value = match strict_json::parse_value(token.payload(), 16) {
        Ok(value) => value,
        Err(_) => Value::String(String::from_utf8_lossy(token.payload()).into_owned()),
    };
    let header = Value::Object(token.header().clone());
    if args.json {
        let out = json!({
            "verified": false,
            "header": header,
            "claims": claims,
            "signature_bytes": token.signature().len(),
        });
        outln!(
            "{}",
            serde_json::to_string_pretty(&out).expect("JSON values serialize")
        );
    } else {
        outln!("UNVERIFIED: decoded without checking the signature; do not trust these values.");
        outln!("header:\n{}", pretty(&header));
        outln!("claims:\n{}", pretty(&claims));
        outln!("signature: {} bytes", token.signature().len());
    }
    Ok(Status::Success)
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).expect("JSON values serialize")
}

enum Keys {
    Static(KeySet),
    Remote(Box<RemoteKeySet>),
}

fn load_keys(args: &ValidateArgs) -> Result<Keys, Failure> {
    let mut keys = if args.jwks.starts_with("http://") || args.jwks.starts_with("https://") {
        if args.secret_jwks.is_some() {
            return Err(Failure::Input(anyhow!(
                "--secret-jwks can only be combined with a JWKS file, not a URL"
            )));
        }
        let remote = RemoteKeySet::new(&args.jwks, RemoteConfig::default())
            .map_err(|e| Failure::Input(anyhow!("--jwks: {e}")))?;
        return Ok(Keys::Remote(Box::new(remote)));
    } else {
        let bytes = std::fs::read(&args.jwks)
            .with_context(|| format!("reading JWKS file {}", args.jwks))?;
        KeySet::from_public_jwks(&bytes)
            .map_err(|e| anyhow!("JWKS file {} is not usable: {e}", args.jwks))?
    };
    for ignored in keys.ignored() {
        tracing::warn!("JWKS file {}: ignoring {ignored}", args.jwks);
    }
    if let Some(path) = &args.secret_jwks {
        let bytes = std::fs::read(path)
            .with_context(|| format!("reading secret JWKS file {}", path.display()))?;
        let secrets = KeySet::from_secret_jwks(&bytes)
            .map_err(|e| anyhow!("secret JWKS file {} is not usable: {e}", path.display()))?;
        for key in secrets.into_keys() {
            keys.push(key);
        }
    }
    Ok(Keys::Static(keys))
}

/// The validator and clock the options describe.
fn validator_and_clock(args: &ValidateArgs) -> (Validator, Box<dyn Clock>) {
    let mut policy = Policy::better_auth(&args.issuer, &args.audience).with_leeway(args.leeway);
    if !args.algorithms.is_empty() {
        policy = policy.with_algorithms(args.algorithms.iter().copied());
    }
    policy.require_kid = !args.allow_missing_kid;
    policy.max_lifetime_secs = args.max_lifetime;
    let clock: Box<dyn Clock> = match args.now {
        Some(t) => Box::new(FixedClock(t)),
        None => Box::new(SystemClock),
    };
    (Validator::new(policy), clock)
}

fn validate(args: ValidateArgs) -> Result<Status, Failure> {
    if args.batch {
        return validate_batch(args);
    }
    let (token, _) = read_token(&args.token)?;
    let keys = load_keys(&args)?;
    let (validator, clock) = validator_and_clock(&args);
    let verdict: Verdict = match &keys {
        Keys::Static(set) => validator.validate(&token, set, clock.as_ref()),
        Keys::Remote(remote) => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("starting the async runtime")?
            .block_on(validator.validate_remote(&token, remote, clock.as_ref())),
    };
    if let Err(rejection) = &verdict {
        if rejection.kind == RejectionKind::KeySetUnavailable {
            return Err(Failure::Unreachable(anyhow!(
                "{} ({})",
                rejection.detail,
                args.jwks
            )));
        }
    }
    print_verdict(&verdict, args.json);
    Ok(match verdict {
        Ok(_) => Status::Success,
        Err(_) => Status::Rejected,
    })
}

/// Tokens read per parallel round of `--batch`.
const BATCH_CHUNK: usize = 8192;

/// One round of `--batch` input: the bytes of its token lines and where each token lies.
#[derive(Default)]
struct BatchChunk {
    bytes: Vec<u8>,
    /// (1-based line number, start, end) into `bytes`.
    tokens: Vec<(usize, usize, usize)>,
}

/// Reads chunks of up to `BATCH_CHUNK` token lines, skipping blank lines, and sends them on
/// (a reader thread, so that reading overlaps validation). Stops at the end of the input, at a
/// read error (sent on as the last item) or when the receiver is gone.
fn read_batch_chunks(
    mut input: Box<dyn std::io::BufRead + Send>,
    origin: &str,
    chunks: std::sync::mpsc::SyncSender<Result<BatchChunk, Failure>>,
) {
    use authprobe::validate::batch::{is_blank, strip_line_end};
    let mut line_no = 0usize;
    let mut line = Vec::new();
    loop {
        let mut chunk = BatchChunk::default();
        let mut eof = false;
        while chunk.tokens.len() < BATCH_CHUNK {
            line.clear();
            match input.read_until(b'\n', &mut line) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(_) => {}
                Err(e) => {
                    let failure = Failure::Input(
                        anyhow::Error::new(e)
                            .context(format!("reading tokens from {origin} after line {line_no}")),
                    );
                    let _ = chunks.send(Err(failure));
                    return;
                }
            }
            line_no += 1;
            let token = strip_line_end(&line);
            if is_blank(token) {
                continue;
            }
            let start = chunk.bytes.len();
            chunk.bytes.extend_from_slice(token);
            chunk.tokens.push((line_no, start, chunk.bytes.len()));
        }
        if !chunk.tokens.is_empty() && chunks.send(Ok(chunk)).is_err() {
            return;
        }
        if eof {
            return;
        }
    }
}

/// `validate --batch`: tokens in, NDJSON verdicts out in input order, on every core.
fn validate_batch(args: ValidateArgs) -> Result<Status, Failure> {
    use authprobe::validate::batch::{validate_batch as run_batch, BatchLine};
    use std::io::Write as _;
    use std::sync::Arc;

    let (input, origin): (Box<dyn std::io::BufRead + Send>, String) = if args.token == "-" {
        (
            Box::new(std::io::BufReader::with_capacity(1 << 20, std::io::stdin())),
            "standard input".to_owned(),
        )
    } else {
        let looks_like_a_token = args.token.len() > 16
            && args.token.matches('.').count() == 2
            && args
                .token
                .bytes()
                .all(|b| b == b'.' || authprobe::base64url::is_alphabet(b));
        if looks_like_a_token && !Path::new(&args.token).exists() {
            // Do not print it: it may be a live credential.
            return Err(Failure::Input(anyhow!(
                "--batch reads tokens from a file (one per line) or `-` for standard input; \
                 the argument looks like a token, not a file"
            )));
        }
        let file = std::fs::File::open(&args.token)
            .with_context(|| format!("opening token file {}", args.token))?;
        (
            Box::new(std::io::BufReader::with_capacity(1 << 20, file)),
            args.token.clone(),
        )
    };
    let keys: Arc<KeySet> = match load_keys(&args)? {
        Keys::Static(set) => Arc::new(set),
        // One snapshot for the whole batch: fetched once, never refetched.
        Keys::Remote(remote) => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("starting the async runtime")?
            .block_on(remote.current())
            .map_err(|e| Failure::Unreachable(anyhow!("{e} ({})", args.jwks)))?,
    };
    let (validator, clock) = validator_and_clock(&args);
    let threads = rayon::current_num_threads();

    let started = std::time::Instant::now();
    let (mut tokens, mut accepted) = (0usize, 0usize);
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let write_failed = |e: std::io::Error| -> ! {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("authprobe: writing output: {e}");
        std::process::exit(3);
    };
    let (sender, receiver) = std::sync::mpsc::sync_channel(2);
    let reader = std::thread::spawn(move || read_batch_chunks(input, &origin, sender));
    for chunk in receiver {
        let chunk = chunk?;
        let lines: Vec<BatchLine<'_>> = chunk
            .tokens
            .iter()
            .map(|&(line, start, end)| BatchLine {
                line,
                token: &chunk.bytes[start..end],
            })
            .collect();
        for record in run_batch(&validator, &keys, clock.as_ref(), &lines) {
            tokens += 1;
            accepted += usize::from(record.accepted);
            out.write_all(record.json.as_bytes())
                .and_then(|()| out.write_all(b"\n"))
                .unwrap_or_else(|e| write_failed(e));
        }
    }
    reader.join().expect("the batch reader does not panic");
    out.flush().unwrap_or_else(|e| write_failed(e));
    let seconds = started.elapsed().as_secs_f64();
    if tokens == 0 {
        return Err(Failure::Input(anyhow!(
            "no tokens in {} (only blank lines or nothing)",
            if args.token == "-" {
                "standard input"
            } else {
                &args.token
            }
        )));
    }
    eprintln!(
        "authprobe batch: tokens={tokens} accepted={accepted} rejected={} seconds={seconds:.3} tokens_per_s={:.0} threads={threads}",
        tokens - accepted,
        tokens as f64 / seconds.max(1e-9),
    );
    Ok(if accepted == tokens {
        Status::Success
    } else {
        Status::Rejected
    })
}

fn print_verdict(verdict: &Verdict, as_json: bool) {
    match (verdict, as_json) {
        (Ok(v), true) => outln!(
            "{}",
            json!({"verdict": "accepted", "alg": v.alg.name(), "kid": v.kid, "claims": v.claims()})
        ),
        (Err(r), true) => {
            let code: ErrorCode = r.code();
            outln!(
                "{}",
                json!({"verdict": "rejected", "code": code.as_str(), "status": code.status(),
                       "detail": r.detail})
            )
        }
        (Ok(v), false) => {
            outln!("verdict: ACCEPTED");
            outln!("alg: {}", v.alg);
            if let Some(kid) = &v.kid {
                outln!("kid: {kid}");
            }
            outln!("claims:\n{}", pretty(&Value::Object(v.claims().clone())));
        }
        (Err(r), false) => {
            outln!("verdict: REJECTED");
            outln!("code: {} (HTTP {})", r.code(), r.code().status());
            outln!("detail: {}", r.detail);
        }
    }
}
