//! Structure-aware input: [`Reader`], a byte reader in the spirit of `arbitrary::Unstructured`
//! (a missing byte reads as zero, so every input decodes to some case), and the JOSE vocabulary
//! the decoders draw words, numbers and JSON values from.

use serde_json::Value;

/// A byte reader: every read succeeds, reading zeros once the input is exhausted.
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Reader<'a> {
        Reader { data, pos: 0 }
    }
    pub fn byte(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }
    pub fn bool(&mut self) -> bool {
        self.byte() & 1 == 1
    }
    /// A number below `n` (`n` ≥ 1).
    pub fn below(&mut self, n: usize) -> usize {
        if n <= 256 {
            usize::from(self.byte()) % n
        } else {
            usize::from(u16::from_le_bytes([self.byte(), self.byte()])) % n
        }
    }
    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.byte(), self.byte()])
    }
    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.byte(), self.byte(), self.byte(), self.byte()])
    }
    /// Up to `max` raw bytes, length-prefixed.
    pub fn bytes(&mut self, max: usize) -> Vec<u8> {
        let len = self.below(max + 1);
        let start = self.pos.min(self.data.len());
        let end = (start + len).min(self.data.len());
        self.pos += len;
        self.data[start..end].to_vec()
    }
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

/// Short strings that matter to JOSE parsers.
const WORDS: &[&str] = &[
    "EdDSA",
    "none",
    "None",
    "NONE",
    "nOnE",
    "HS256",
    "RS256",
    "ES256",
    "JWT",
    "jwt",
    "application/jwt",
    "at+jwt",
    "JOSE",
    "",
    " ",
    "\u{0}",
    "k7QwZp2LxR9vTmN4bYc8HsJd3FgEa6Uu",
    "../../../dev/null",
    "http://127.0.0.1:3000",
    "http://127.0.0.1:3000/",
    "HTTP://127.0.0.1:3000",
    "http://127.0.0.1:3000/api/auth",
    "https://attacker.invalid/jwks.json",
    "sig",
    "verify",
    "b64",
    "exp",
    "é",
    "\u{feff}EdDSA",
    "ext",
];

/// Header parameter names: registered, forbidden and typed by jsonwebtoken.
pub(super) const HEADER_NAMES: &[&str] = &[
    "crit", "jku", "jwk", "x5u", "x5c", "x5t", "x5t#S256", "b64", "zip", "enc", "cty", "url",
    "nonce", "kid", "alg", "typ", "epk", "x", "ext",
];

/// Claim names: registered (so duplicates arise) and Better Auth's.
pub(super) const CLAIM_NAMES: &[&str] = &[
    "exp",
    "iat",
    "nbf",
    "iss",
    "aud",
    "sub",
    "jti",
    "scope",
    "name",
    "email",
    "emailVerified",
    "role",
    "x",
];

/// Number literals at the edges of JSON and of NumericDate.
pub(super) const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1",
    "-1",
    "1.5",
    "1e3",
    "1E+2",
    "0.1e-5",
    "9007199254740991",
    "9007199254740992",
    "9007199254740993",
    "18446744073709551615",
    "18446744073709551616",
    "1e19",
    "1e308",
    "1e309",
    "-1e309",
    "1e-400",
    "4.9e-324",
    "01",
    "1.",
    "+1",
    "NaN",
    "Infinity",
];

/// Raw string literals with escapes serde_json must judge.
const RAW_STRINGS: &[&str] = &[
    r#""\ud800""#,
    r#""\udc00\ud800""#,
    r#""\ud83d\ude00""#,
    r#""\u0000""#,
    r#""\/""#,
    r#""\x41""#,
    "\"\t\"",
    r#""EdD\u0053A""#,
];

pub(super) fn word(r: &mut Reader<'_>) -> String {
    if r.below(4) == 0 {
        String::from_utf8_lossy(&r.bytes(12)).into_owned()
    } else {
        r.pick(WORDS).to_owned()
    }
}

pub(super) fn json_string(s: &str) -> String {
    Value::from(s).to_string()
}

/// A JSON value as raw text (sometimes not JSON at all), nested at most a few levels except for
/// the deliberate deep nesting case.
pub(super) fn json_value(r: &mut Reader<'_>, depth: usize) -> String {
    match r.below(12) {
        0 => "null".into(),
        1 => if r.bool() { "true" } else { "false" }.into(),
        2 => i64::from(r.u32() as i32).to_string(),
        3 => r.pick(NUMBERS).into(),
        4 | 5 => json_string(&word(r)),
        6 => r.pick(RAW_STRINGS).into(),
        7 if depth < 3 => {
            let n = r.below(4);
            let items: Vec<String> = (0..n).map(|_| json_value(r, depth + 1)).collect();
            format!("[{}]", items.join(","))
        }
        8 if depth < 3 => {
            let n = r.below(4);
            let members: Vec<String> = (0..n)
                .map(|_| format!("{}:{}", json_string(&word(r)), json_value(r, depth + 1)))
                .collect();
            format!("{{{}}}", members.join(","))
        }
        9 => {
            let n = 1 + r.below(20);
            let (open, close) = if r.bool() {
                ("[", "]")
            } else {
                ("{\"a\":", "}")
            };
            format!("{}0{}", open.repeat(n), close.repeat(n))
        }
        10 => String::from_utf8_lossy(&r.bytes(16)).into_owned(),
        _ => "\"x\"".into(),
    }
}
