//! Group A: signature presence, structure and integrity.

use super::*;
use crate::base64url;
use crate::dangerous::forge::Forger;

pub(super) fn cases() -> Vec<Case> {
    vec![
        case(
            "A01",
            "sig-not-checked",
            "signature ignored (decode instead of verify)",
            Severity::Critical,
            Mode::BlackBox,
            "reject: any changed signature byte fails verification",
            &["Wycheproof rejectsModifiedSignature", "RFC 7515 §5.2"],
            a01,
        ),
        case(
            "A02",
            "sig-foreign-key",
            "any well-formed signature accepted",
            Severity::Critical,
            Mode::BlackBox,
            "reject: a signature by a key the target does not trust",
            &["RFC 7515 §5.2"],
            a02,
        ),
        case(
            "A03",
            "sig-empty",
            "empty signature with a real alg",
            Severity::Critical,
            Mode::BlackBox,
            "reject: an empty signature never verifies",
            &["CVE-2020-28042", "Wycheproof tc3/20/35"],
            a03,
        ),
        case(
            "A04",
            "sig-segment-missing",
            "two-segment token",
            Severity::High,
            Mode::BlackBox,
            "reject as malformed",
            &["RFC 7515 §7.1", "Wycheproof tc4"],
            a04,
        ),
        case(
            "A05",
            "sig-junk-values",
            "lenient signature decoding",
            Severity::High,
            Mode::BlackBox,
            "reject: null, short or all-zero signatures",
            &["RFC 7515 §5.2"],
            a05,
        ),
        case(
            "A06",
            "sig-length-tamper",
            "prefix or length confusion",
            Severity::High,
            Mode::BlackBox,
            "reject: the signature must have its exact length",
            &["RFC 7518 §3.4"],
            a06,
        ),
        case(
            "A07",
            "sig-nul-truncation",
            "C-string truncation",
            Severity::Medium,
            Mode::BlackBox,
            "reject: bytes after a NUL are not ignored",
            &["RFC 7515 §7.1"],
            a07,
        ),
        case(
            "A08",
            "seg-extra",
            "split-on-first/last-dot parsers",
            Severity::Medium,
            Mode::BlackBox,
            "reject as malformed: exactly three segments",
            &["Wycheproof tc14/15"],
            a08,
        ),
        case(
            "A09",
            "seg-empty-parts",
            "empty segments",
            Severity::Medium,
            Mode::BlackBox,
            "reject as malformed, never 5xx",
            &["Wycheproof tc6-13"],
            a09,
        ),
        case(
            "A10",
            "claims-before-verify",
            "claims used before the signature check",
            Severity::Critical,
            Mode::BlackBox,
            "reject: a changed claim invalidates the signature; the marker is never reflected",
            &["RFC 8725 §3.1"],
            a10,
        ),
        case(
            "A11",
            "header-tamper-keepsig",
            "header not covered by the signature",
            Severity::Critical,
            Mode::BlackBox,
            "reject: the protected header is signed",
            &["Wycheproof rejectsModifiedHeader", "RFC 7515 §5.1"],
            a11,
        ),
        case(
            "A12",
            "b64-noncanonical",
            "non-canonical base64url",
            Severity::Medium,
            Mode::BlackBox,
            "reject as malformed: one textual form per token",
            &["CVE-2022-25898", "RFC 7515 §2"],
            a12,
        ),
        case(
            "A13",
            "error-oracle",
            "information leakage in rejections",
            Severity::Medium,
            Mode::BlackBox,
            "identical generic error bodies; never the expected signature, key or a trace",
            &["CVE-2019-7644"],
            a13,
        ),
    ]
}

fn sig_bytes(input: &ForgeInput<'_>) -> Vec<u8> {
    input.base.signature().to_vec()
}

fn a01(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    let sig = sig_bytes(input);
    for (name, i) in [
        ("first", 0),
        ("middle", sig.len() / 2),
        ("last", sig.len() - 1),
    ] {
        let mut s = sig.clone();
        s[i] ^= 0x01;
        out.code(
            format!("{name} signature byte flipped"),
            f.with_signature(&s),
            InvalidSignature,
            Touches::SIGNATURE,
        );
    }
    let text = f.signature_b64();
    out.push(
        "last 4 characters of the signature dropped",
        f.with_signature_text(&text[..text.len() - 4]),
        malformed_or_bad_signature(),
        Touches::SIGNATURE,
    );
}

fn a02(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    let alg = input.base_alg();
    let key = input.attacker.for_alg(alg);
    let token = f.signed_raw(input.base.header_json(), None, key, alg);
    out.code(
        format!("re-signed with a fresh {alg} key, kid kept"),
        token,
        InvalidSignature,
        Touches::SIGNATURE,
    );
}

fn a03(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    out.code(
        "signature segment empty",
        f.with_signature_text(""),
        InvalidSignature,
        Touches::SIGNATURE,
    );
}

fn a04(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    out.code(
        "header.payload without the second dot",
        format!("{}.{}", f.header_b64(), f.payload_b64()),
        MalformedToken,
        Touches::STRUCTURE,
    );
}

fn a05(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    let len = input.base.signature().len();
    out.code(
        "signature text \"null\"",
        f.with_signature_text("null"),
        InvalidSignature,
        Touches::SIGNATURE,
    );
    out.code(
        "signature AAAA (three zero bytes)",
        f.with_signature_text("AAAA"),
        InvalidSignature,
        Touches::SIGNATURE,
    );
    out.code(
        "one zero byte",
        f.with_signature([0u8]),
        InvalidSignature,
        Touches::SIGNATURE,
    );
    out.code(
        "all-zero bytes of the right length",
        f.with_signature(vec![0u8; len]),
        InvalidSignature,
        Touches::SIGNATURE,
    );
}

fn a06(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    let sig = sig_bytes(input);
    let mut longer = sig.clone();
    longer.push(0);
    out.code(
        "valid signature plus a trailing zero byte",
        f.with_signature(&longer),
        InvalidSignature,
        Touches::SIGNATURE,
    );
    out.code(
        "signature truncated to half",
        f.with_signature(&sig[..sig.len() / 2]),
        InvalidSignature,
        Touches::SIGNATURE,
    );
    out.push(
        "signature plus two extra characters",
        f.with_signature_text(&format!("{}AA", f.signature_b64())),
        malformed_or_bad_signature(),
        Touches::SIGNATURE,
    );
}

fn a07(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    out.code(
        "%00 and junk appended to the token",
        format!("{}%00junk", input.base.as_str()),
        MalformedToken,
        Touches::SIGNATURE,
    );
    out.code(
        "%00 after the payload segment",
        Forger::join(
            f.header_b64(),
            &format!("{}%00", f.payload_b64()),
            f.signature_b64(),
        ),
        MalformedToken,
        Touches::PAYLOAD,
    );
    out.code(
        "signature replaced by %00",
        f.with_signature_text("%00"),
        MalformedToken,
        Touches::SIGNATURE,
    );
}

fn a08(input: &ForgeInput<'_>, out: &mut Out) {
    let t = input.base.as_str();
    let s = input.base.signature_b64();
    out.code(
        "trailing dot",
        format!("{t}."),
        MalformedToken,
        Touches::STRUCTURE,
    );
    out.code(
        "fourth segment of garbage",
        format!("{t}.garbage"),
        MalformedToken,
        Touches::STRUCTURE,
    );
    out.code(
        "signature repeated as a fourth segment",
        format!("{t}.{s}"),
        MalformedToken,
        Touches::STRUCTURE,
    );
}

fn a09(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    out.code(
        "three dots",
        "...".into(),
        MalformedToken,
        Touches::STRUCTURE,
    );
    out.code(
        "five dots",
        ".....".into(),
        MalformedToken,
        Touches::STRUCTURE,
    );
    out.code(
        "empty header",
        format!(".{}.{}", f.payload_b64(), f.signature_b64()),
        MalformedToken,
        Touches::HEADER,
    );
    out.code(
        "empty payload",
        format!("{}..{}", f.header_b64(), f.signature_b64()),
        MalformedToken,
        Touches::PAYLOAD,
    );
    out.code(
        "only dots and a signature",
        format!("..{}", f.signature_b64()),
        MalformedToken,
        Touches::STRUCTURE,
    );
}

/// Marker text the target must never reflect.
pub(super) const MARKER: &str = "authprobe-marker-9f1c";

fn a10(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    let payload = f.payload();
    for name in payload.names() {
        let Some(raw) = payload.get(&name) else {
            continue;
        };
        if !raw.starts_with('"') || matches!(name.as_str(), "iss" | "aud") {
            continue;
        }
        let mut p = f.payload();
        p.set(&name, &format!("\"{MARKER}\""));
        out.code(
            format!("claim {name} replaced by a marker, signature kept"),
            f.with_payload(p.as_str()),
            InvalidSignature,
            Touches::PAYLOAD,
        );
    }
}

fn a11(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    let mut h = f.header();
    h.append("typ", "\"JWT\"");
    out.code(
        "typ JWT added, signature kept",
        f.with_header(h.as_str()),
        InvalidSignature,
        Touches::HEADER,
    );
    let mut h = f.header();
    h.append("x-authprobe", "\"1\"");
    out.code(
        "custom member added, signature kept",
        f.with_header(h.as_str()),
        InvalidSignature,
        Touches::HEADER,
    );
    let names = f.header().names();
    if let (Some(first), true) = (names.first(), names.len() > 1) {
        let value = f.header().get(first).unwrap_or("null").to_owned();
        let mut h = f.header();
        h.remove(first);
        h.append(first, &value);
        out.code(
            "members reordered, signature kept",
            f.with_header(h.as_str()),
            InvalidSignature,
            Touches::HEADER,
        );
    }
    let spaced = format!(" {} ", f.header().as_str());
    out.code(
        "whitespace around the header JSON, signature kept",
        f.with_header(spaced),
        InvalidSignature,
        Touches::HEADER,
    );
}

fn a12(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    let (h, p, s) = (f.header_b64(), f.payload_b64(), f.signature_b64());
    out.code(
        "signature with = padding",
        Forger::join(h, p, &format!("{s}==")),
        MalformedToken,
        Touches::SIGNATURE,
    );
    out.code(
        "header with = padding",
        Forger::join(&format!("{h}="), p, s),
        MalformedToken,
        Touches::HEADER,
    );
    out.code(
        "payload with = padding",
        Forger::join(h, &format!("{p}=="), s),
        MalformedToken,
        Touches::PAYLOAD,
    );
    out.code(
        "standard alphabet: '+' in the signature",
        Forger::join(h, p, &format!("+{}", &s[1..])),
        MalformedToken,
        Touches::SIGNATURE,
    );
    out.code(
        "standard alphabet: '/' in the payload",
        Forger::join(h, &format!("{}/", &p[..p.len() - 1]), s),
        MalformedToken,
        Touches::PAYLOAD,
    );
    out.code(
        "newline inside the payload",
        Forger::join(h, &format!("{}\n{}", &p[..10], &p[10..]), s),
        MalformedToken,
        Touches::PAYLOAD,
    );
    out.code(
        "space inside the signature",
        Forger::join(h, p, &format!("{} {}", &s[..8], &s[8..])),
        MalformedToken,
        Touches::SIGNATURE,
    );
    for (segment, text, touches) in [
        ("signature", s, Touches::SIGNATURE),
        ("header", h, Touches::HEADER),
        ("payload", p, Touches::PAYLOAD),
    ] {
        if let Some(alt) = non_canonical_twin(text) {
            let token = match segment {
                "signature" => Forger::join(h, p, &alt),
                "header" => Forger::join(&alt, p, s),
                _ => Forger::join(h, &alt, s),
            };
            out.code(
                format!("{segment}: last character with non-zero trailing bits (same bytes)"),
                token,
                MalformedToken,
                touches,
            );
        }
    }
}

/// The same bytes spelled with non-zero trailing bits in the last character, if the length
/// leaves any.
fn non_canonical_twin(text: &str) -> Option<String> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    if !matches!(text.len() % 4, 2 | 3) {
        return None;
    }
    // Both lengths leave at least two unused low bits in the last character; a canonical
    // encoding has them zero, so flipping the lowest one spells the same bytes differently.
    let last = *text.as_bytes().last()?;
    let index = ALPHABET.iter().position(|c| *c == last)?;
    let twin = ALPHABET[index ^ 1];
    let candidate = format!("{}{}", &text[..text.len() - 1], twin as char);
    let same = base64url::decode(text.as_bytes()).ok()?;
    let lenient = lenient_decode(&candidate)?;
    (lenient == same && candidate != text).then_some(candidate)
}

fn lenient_decode(text: &str) -> Option<Vec<u8>> {
    use base64::engine::{
        general_purpose::GeneralPurposeConfig, DecodePaddingMode, GeneralPurpose,
    };
    use base64::Engine as _;
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::URL_SAFE,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    LENIENT.decode(text).ok()
}

fn a13(input: &ForgeInput<'_>, out: &mut Out) {
    let f = Forger::new(input.base);
    let mut p = f.payload();
    p.set("sub", &format!("\"{MARKER}\""));
    out.code(
        "bad signature carrying a marker claim (bodies are compared across rejections)",
        f.with_payload(p.as_str()),
        InvalidSignature,
        Touches::PAYLOAD,
    );
    let mut h = f.header();
    h.set("kid", &format!("\"{MARKER}\""));
    out.code(
        "unknown kid carrying a marker",
        f.with_header(h.as_str()),
        UnknownKeyId,
        Touches::HEADER,
    );
    out.code(
        "garbage carrying a marker",
        format!("{MARKER}.{MARKER}.{MARKER}"),
        MalformedToken,
        Touches::STRUCTURE,
    );
}
