//! `authprobe forge` (list the catalogue, forge a case's tokens) and `authprobe crack`.

use super::{read_token, Failure, Status};
use anyhow::{anyhow, Context as _};
use authprobe::dangerous::forge::catalogue::{self, Case};
use authprobe::dangerous::forge::sample::{SampleIssuer, SAMPLE_ISSUER};
use authprobe::dangerous::forge::{crack, forge_all, AttackerKeys, ForgeInput, Forged};
use authprobe::sign::SigningKey;
use authprobe::{Algorithm, Token};
use clap::Args;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Args)]
pub struct ForgeArgs {
    /// A case ID (A01 … J06) or slug, or `all`. Not needed with --list.
    pub case: Option<String>,
    /// List the catalogue instead of forging.
    #[arg(long)]
    pub list: bool,
    /// With --list: only cases carrying every given tag (group letter or name, severity, mode).
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// With --list: count cases and concrete tokens per group (forged for harness issuers under
    /// EdDSA, ES256, RS256, PS256 and HS256).
    #[arg(long)]
    pub summary: bool,
    /// The valid base token to forge from (a token, a file holding it, or `-`).
    #[arg(long, value_name = "TOKEN|FILE|-")]
    pub from: Option<String>,
    /// The target's public key set (a JWKS file), for key-confusion cases.
    #[arg(long, value_name = "FILE")]
    pub jwks: Option<PathBuf>,
    /// The issuer's private JWK (white-box): enables the cases that re-sign claims.
    #[arg(long, value_name = "FILE")]
    pub issuer_key: Option<PathBuf>,
    /// Base URL that jku/x5u/claim URLs point at (the harness's listener during an audit).
    #[arg(long, value_name = "URL", default_value = "http://127.0.0.1:9")]
    pub oob_base: String,
    /// The time the tokens are forged for (Unix seconds; default now).
    #[arg(long, value_name = "UNIX_SECONDS")]
    pub now: Option<i64>,
    /// Print one JSON object per token (variant, expected outcome, token).
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct CrackArgs {
    /// An HS256/384/512 token, a file holding it, or `-`.
    pub token: String,
    /// A wordlist file, one candidate per line (default: the bundled list).
    #[arg(long, value_name = "FILE")]
    pub wordlist: Option<PathBuf>,
    /// Print the token as a hashcat mode 16500 hash line and stop.
    #[arg(long)]
    pub hashcat: bool,
}

fn matches_tags(case: &Case, tags: &[String]) -> bool {
    let own = case.tags();
    tags.iter()
        .all(|t| own.iter().any(|o| o.eq_ignore_ascii_case(t)))
}

pub fn forge(args: ForgeArgs) -> Result<Status, Failure> {
    if args.list {
        return list(&args);
    }
    let Some(which) = args.case.as_deref() else {
        return Err(Failure::Input(anyhow!(
            "name a case ID (e.g. B01) or `all`, or use --list"
        )));
    };
    let cases: Vec<&'static Case> = if which.eq_ignore_ascii_case("all") {
        catalogue::catalogue().iter().collect()
    } else {
        let case = catalogue::find(which).ok_or_else(|| {
            anyhow!("no case {which:?} in the catalogue; `authprobe forge --list` shows them")
        })?;
        vec![case]
    };
    let from = args
        .from
        .as_deref()
        .ok_or_else(|| anyhow!("--from <token> is required to forge"))?;
    let (bytes, origin) = read_token(from)?;
    let base = Token::parse(&bytes)
        .map_err(|e| anyhow!("--from: the token from {origin} is not a compact JWS: {e}"))?;
    let published = match &args.jwks {
        Some(path) => read_published(path)?,
        None => Vec::new(),
    };
    let issuer_key = match &args.issuer_key {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            let jwk: Map<String, Value> = serde_json::from_str(&text)
                .map_err(|e| anyhow!("{}: not a JSON object: {e}", path.display()))?;
            Some(
                SigningKey::from_private_jwk(&jwk)
                    .map_err(|e| anyhow!("{}: {e}", path.display()))?,
            )
        }
        None => None,
    };
    let attacker =
        AttackerKeys::generate().map_err(|e| anyhow!("generating attacker keys: {e}"))?;
    let now = args.now.unwrap_or_else(unix_now);
    let input = ForgeInput {
        base: &base,
        target_keys: &published,
        issuer_key: issuer_key.as_ref(),
        attacker: &attacker,
        oob_base: &args.oob_base,
        now,
    };
    let mut printed = 0usize;
    for case in cases {
        if let Some(reason) = case.not_expressible {
            eprintln!("{} {}: no tokens ({reason})", case.id, case.slug);
            continue;
        }
        if case.mode == authprobe::dangerous::forge::Mode::IssuerKey && input.issuer_key.is_none() {
            eprintln!(
                "{} {}: skipped, needs the issuer's key (--issuer-key)",
                case.id, case.slug
            );
            continue;
        }
        for f in case.forge(&input) {
            print_forged(&f, args.json);
            printed += 1;
        }
    }
    eprintln!("{printed} tokens");
    Ok(Status::Success)
}

fn print_forged(f: &Forged, as_json: bool) {
    if as_json {
        outln!(
            "{}",
            json!({"id": f.id, "slug": f.slug, "variant": f.variant, "expected": f.expected,
                   "touches": f.touches, "delivery": f.delivery, "oob_path": f.oob_path, "token": f.token})
        );
    } else {
        outln!("{}", f.token);
    }
}

fn read_published(path: &PathBuf) -> Result<Vec<Map<String, Value>>, Failure> {
    let text = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    // Validate it as a public key set first so the user hears about a broken file.
    authprobe::KeySet::from_public_jwks(&text)
        .map_err(|e| anyhow!("JWKS file {} is not usable: {e}", path.display()))?;
    let doc: Value =
        serde_json::from_slice(&text).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    Ok(doc["keys"]
        .as_array()
        .map(|keys| keys.iter().filter_map(|k| k.as_object().cloned()).collect())
        .unwrap_or_default())
}

fn unix_now() -> i64 {
    use authprobe::validate::Clock as _;
    authprobe::validate::SystemClock.now()
}

/// The five harness issuers the summary counts tokens for.
pub const SUMMARY_FAMILIES: [Algorithm; 5] = [
    Algorithm::EdDSA,
    Algorithm::ES256,
    Algorithm::RS256,
    Algorithm::PS256,
    Algorithm::HS256,
];

fn list(args: &ForgeArgs) -> Result<Status, Failure> {
    let cases: Vec<&Case> = catalogue::catalogue()
        .iter()
        .filter(|c| matches_tags(c, &args.tags))
        .collect();
    if args.summary {
        return summary(&cases);
    }
    outln!(
        "{:<4} {:<28} {:<9} {:<11} {}",
        "ID",
        "SLUG",
        "SEVERITY",
        "MODE",
        "TITLE"
    );
    for c in &cases {
        let title = match c.not_expressible {
            Some(_) => format!("{} (not a token)", c.title),
            None => c.title.to_owned(),
        };
        outln!(
            "{:<4} {:<28} {:<9} {:<11} {}",
            c.id,
            c.slug,
            c.severity,
            c.mode,
            title
        );
    }
    outln!("{} cases", cases.len());
    Ok(Status::Success)
}

fn summary(cases: &[&Case]) -> Result<Status, Failure> {
    let attacker =
        AttackerKeys::generate().map_err(|e| anyhow!("generating attacker keys: {e}"))?;
    let now = unix_now();
    // group → (cases, tokens per family)
    let mut rows: BTreeMap<char, (usize, Vec<usize>)> = BTreeMap::new();
    for c in cases {
        rows.entry(c.group())
            .or_insert((0, vec![0; SUMMARY_FAMILIES.len()]))
            .0 += 1;
    }
    for (i, alg) in SUMMARY_FAMILIES.into_iter().enumerate() {
        let issuer = SampleIssuer::generate(alg).map_err(|e| anyhow!("sample issuer: {e}"))?;
        let base = issuer.token(SAMPLE_ISSUER, now);
        let input = ForgeInput {
            base: &base,
            target_keys: &issuer.published,
            issuer_key: Some(&issuer.key),
            attacker: &attacker,
            oob_base: "http://127.0.0.1:9",
            now,
        };
        let ids: Vec<&str> = cases.iter().map(|c| c.id).collect();
        for f in forge_all(&input)
            .into_iter()
            .filter(|f| ids.contains(&f.id))
        {
            if let Some(row) = rows.get_mut(&f.id.chars().next().unwrap_or('?')) {
                row.1[i] += 1;
            }
        }
    }
    let mut line = format!("{:<6} {:>5}", "GROUP", "CASES");
    for alg in SUMMARY_FAMILIES {
        line.push_str(&format!(" {:>7}", alg.name()));
    }
    outln!("{line}");
    let mut totals = (0, vec![0; SUMMARY_FAMILIES.len()]);
    for (group, (n, tokens)) in &rows {
        let mut line = format!("{group:<6} {n:>5}");
        for (i, t) in tokens.iter().enumerate() {
            line.push_str(&format!(" {t:>7}"));
            totals.1[i] += t;
        }
        outln!("{line}");
        totals.0 += n;
    }
    let mut line = format!("{:<6} {:>5}", "total", totals.0);
    for t in &totals.1 {
        line.push_str(&format!(" {t:>7}"));
    }
    outln!("{line}");
    let all: usize = totals.1.iter().sum();
    outln!("{} cases, {all} concrete tokens over the five issuers (white-box; black-box runs skip issuer-key cases)", totals.0);
    Ok(Status::Success)
}

pub fn crack(args: CrackArgs) -> Result<Status, Failure> {
    let (bytes, origin) = read_token(&args.token)?;
    let token =
        String::from_utf8(bytes).map_err(|_| anyhow!("the token from {origin} is not text"))?;
    if args.hashcat {
        let line = crack::hashcat_16500(&token).map_err(|e| anyhow!("{e}"))?;
        outln!("{line}");
        eprintln!("hashcat -m 16500 <file with that line> <wordlist>");
        return Ok(Status::Success);
    }
    let candidates: Vec<Vec<u8>> = match &args.wordlist {
        Some(path) => std::fs::read(path)
            .with_context(|| format!("reading wordlist {}", path.display()))?
            .split(|b| *b == b'\n')
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l).to_vec())
            .filter(|l| !l.is_empty())
            .collect(),
        None => crack::wordlist().map(|w| w.as_bytes().to_vec()).collect(),
    };
    let report = crack::crack(&token, candidates).map_err(|e| anyhow!("{e}"))?;
    let threads = rayon::current_num_threads();
    eprintln!(
        "{} candidates in {:.3} s on {threads} threads: {:.0} candidates/s",
        report.tried,
        report.elapsed.as_secs_f64(),
        report.rate()
    );
    match report.found {
        Some(secret) => {
            outln!(
                "FOUND {} secret: {:?}",
                report.alg,
                String::from_utf8_lossy(&secret)
            );
            Ok(Status::Rejected)
        }
        None => {
            outln!("not found: no candidate verifies this {} token", report.alg);
            Ok(Status::Success)
        }
    }
}
