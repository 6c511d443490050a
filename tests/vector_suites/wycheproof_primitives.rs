//! The Wycheproof primitive files (Ed25519, ECDSA P1363, RSA PKCS#1 v1.5, RSA-PSS) through
//! [`Key::from_public_jwk`](authprobe::jwk::Key::from_public_jwk) and
//! [`Key::verify`](authprobe::jwk::Key::verify), with the primitives' exception table.

use crate::{
    array_field, assert_no_problems, files_with_prefix, hex, load, object, str_field, tc_id,
    Exception, Expected, Tally, Verdict,
};
use authprobe::algorithm::Algorithm;
use authprobe::base64url;
use authprobe::jwk::Key;
use serde_json::{json, Value};

/// Imports a public JWK through the library, or says why it cannot be used.
fn import_public(jwk: Value) -> Result<Key, String> {
    Key::from_public_jwk(object(&jwk)).map_err(|e| format!("key import failed: {e}"))
}

/// Verifies with the first of `algs` that the key is bound to and that accepts the signature.
fn judge_signature(
    key: &Result<Key, String>,
    algs: &[Algorithm],
    msg: &[u8],
    sig: &[u8],
) -> (Verdict, String) {
    let key = match key {
        Ok(key) => key,
        Err(reason) => return (Verdict::Invalid, reason.clone()),
    };
    let mut why = Vec::new();
    for &alg in algs {
        if let Err(e) = key.check_binding(alg) {
            why.push(format!("{alg}: {e}"));
        } else if key.verify(alg, msg, sig) {
            return (Verdict::Valid, format!("verified as {alg}"));
        } else {
            why.push(format!("{alg}: signature does not verify"));
        }
    }
    (Verdict::Invalid, why.join("; "))
}

/// Big-endian integer bytes with leading zero bytes removed, padded or kept at `len` bytes.
fn fixed_width(bytes: &[u8], len: usize) -> Vec<u8> {
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    let minimal = &bytes[first..];
    if minimal.len() >= len {
        return minimal.to_vec(); // too long: the import must refuse it
    }
    let mut out = vec![0; len - minimal.len()];
    out.extend_from_slice(minimal);
    out
}

/// Big-endian integer bytes without leading zero bytes (a Base64urlUInt, RFC 7518 §2).
fn minimal_uint(bytes: &[u8]) -> Vec<u8> {
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    bytes[first..].to_vec()
}

/// The JWS algorithm behind a Wycheproof hash name for a signature family.
fn hash_alg(sha: &str, family: &str) -> Option<Algorithm> {
    Some(match (family, sha) {
        ("RS", "SHA-256") => Algorithm::RS256,
        ("RS", "SHA-384") => Algorithm::RS384,
        ("RS", "SHA-512") => Algorithm::RS512,
        ("PS", "SHA-256") => Algorithm::PS256,
        ("PS", "SHA-384") => Algorithm::PS384,
        ("PS", "SHA-512") => Algorithm::PS512,
        _ => return None,
    })
}

/// Primitive-file cases where the JWS verdict legitimately differs from the rule "a group whose
/// parameters JWS cannot express is invalid throughout": (file name, exception). Kept minimal.
const PRIMITIVE_EXCEPTIONS: &[(&str, Exception)] = &[(
    "rsa_pss_2048_sha256_mgf1_0_test.json",
    Exception {
        tc_id: 69,
        strict: Verdict::Valid,
        reason: "\"s_len changed to 32\": in this salt-length-0 group the case is signed with a 32-byte salt, \
                 which is exactly what PS256 requires (RFC 7518 §3.5), so it is a valid PS256 signature; \
                 Wycheproof records it invalid only because the group fixes sLen 0",
    },
)];

fn primitive_exceptions(file: &str) -> Vec<Exception> {
    PRIMITIVE_EXCEPTIONS
        .iter()
        .filter(|(f, _)| *f == file)
        .map(|(_, e)| *e)
        .collect()
}

/// How one primitive group maps onto a key and the JWS algorithms to try, and whether the
/// group's parameters are expressible in JWS at all (if not, every case must be invalid).
struct PrimitiveGroup {
    key: Result<Key, String>,
    algs: Vec<Algorithm>,
    jws_expressible: Result<(), String>,
}

/// Runs one Wycheproof signature-verification file; `group_setup` maps a test group.
fn run_primitive_file(
    relative: &str,
    group_setup: impl Fn(&Value) -> PrimitiveGroup,
) -> Vec<String> {
    let doc = load(relative);
    let name = relative.rsplit('/').next().unwrap_or(relative);
    let exceptions = primitive_exceptions(name);
    let mut tally = Tally::new(name, &exceptions);
    for group in array_field(&doc, "testGroups") {
        let setup = group_setup(group);
        for test in array_field(group, "tests") {
            let recorded = Expected::from_result(str_field(test, "result"));
            let expected = match &setup.jws_expressible {
                Ok(()) => recorded,
                Err(_) => Expected::Invalid,
            };
            let (got, mut why) = judge_signature(
                &setup.key,
                &setup.algs,
                &hex(str_field(test, "msg")),
                &hex(str_field(test, "sig")),
            );
            if let Err(reason) = &setup.jws_expressible {
                why = format!("{why}; group not expressible in JWS: {reason}");
            }
            let flags: Vec<&str> = array_field(test, "flags")
                .iter()
                .filter_map(Value::as_str)
                .collect();
            let comment = format!("{} {flags:?}", str_field(test, "comment"));
            tally.record(tc_id(test), &comment, expected, got, &why);
        }
    }
    let count = doc.get("numberOfTests").and_then(Value::as_u64);
    assert_eq!(
        count,
        Some(tally.cases as u64),
        "{name}: numberOfTests disagrees with the cases run"
    );
    tally.finish()
}

#[test]
fn wycheproof_ed25519() {
    let problems = run_primitive_file("wycheproof/testvectors_v1/ed25519_test.json", |group| {
        let public = &group["publicKey"];
        assert_eq!(str_field(public, "curve"), "edwards25519");
        let pk = hex(str_field(public, "pk"));
        PrimitiveGroup {
            key: import_public(json!({
                "kty": "OKP",
                "crv": "Ed25519",
                "x": base64url::encode(pk),
            })),
            algs: vec![Algorithm::EdDSA],
            jws_expressible: Ok(()),
        }
    });
    assert_no_problems("Ed25519", &problems);
}

#[test]
fn wycheproof_ecdsa_p1363() {
    let files = [
        (
            "ecdsa_secp256r1_sha256_p1363_test.json",
            "secp256r1",
            "P-256",
            32,
            Algorithm::ES256,
        ),
        (
            "ecdsa_secp384r1_sha384_p1363_test.json",
            "secp384r1",
            "P-384",
            48,
            Algorithm::ES384,
        ),
        (
            "ecdsa_secp521r1_sha512_p1363_test.json",
            "secp521r1",
            "P-521",
            66,
            Algorithm::ES512,
        ),
    ];
    let mut problems = Vec::new();
    for (file, curve, crv, len, alg) in files {
        let relative = format!("wycheproof/testvectors_v1/{file}");
        problems.extend(run_primitive_file(&relative, |group| {
            let public = &group["publicKey"];
            assert_eq!(str_field(public, "curve"), curve, "{file}");
            let x = fixed_width(&hex(str_field(public, "wx")), len);
            let y = fixed_width(&hex(str_field(public, "wy")), len);
            PrimitiveGroup {
                key: import_public(json!({
                    "kty": "EC",
                    "crv": crv,
                    "x": base64url::encode(x),
                    "y": base64url::encode(y),
                })),
                algs: vec![alg],
                jws_expressible: Ok(()),
            }
        }));
    }
    assert_no_problems("ECDSA P1363", &problems);
}

/// The public RSA JWK of a Wycheproof group (`publicKey.modulus` / `publicExponent`, hex).
fn rsa_group_key(group: &Value) -> Result<Key, String> {
    let public = &group["publicKey"];
    import_public(json!({
        "kty": "RSA",
        "n": base64url::encode(minimal_uint(&hex(str_field(public, "modulus")))),
        "e": base64url::encode(minimal_uint(&hex(str_field(public, "publicExponent")))),
    }))
}

#[test]
fn wycheproof_rsa_pkcs1_v1_5() {
    let mut problems = Vec::new();
    for relative in files_with_prefix("wycheproof/testvectors_v1", "rsa_signature_") {
        problems.extend(run_primitive_file(&relative, |group| {
            let sha = str_field(group, "sha");
            let alg = hash_alg(sha, "RS").unwrap_or_else(|| panic!("{relative}: hash {sha}"));
            PrimitiveGroup {
                key: rsa_group_key(group),
                algs: vec![alg],
                jws_expressible: Ok(()),
            }
        }));
    }
    assert_no_problems("RSASSA-PKCS1-v1_5", &problems);
}

#[test]
fn wycheproof_rsa_pss() {
    let mut problems = Vec::new();
    for relative in files_with_prefix("wycheproof/testvectors_v1", "rsa_pss_") {
        problems.extend(run_primitive_file(&relative, |group| {
            let sha = str_field(group, "sha");
            let mgf = str_field(group, "mgf");
            let mgf_sha = str_field(group, "mgfSha");
            let salt_len = group["sLen"].as_u64().expect("sLen");
            // RFC 7518 §3.5: PS256/384/512 use MGF1 with the same hash, and a salt exactly as
            // long as the hash output. Anything else has no JWS algorithm.
            let alg = hash_alg(sha, "PS");
            let jws_expressible = match alg {
                None => Err(format!("{sha} is not a JWS PSS hash")),
                Some(_) if mgf != "MGF1" || mgf_sha != sha => {
                    Err(format!("{mgf} with {mgf_sha} under {sha}"))
                }
                Some(a) if salt_len != a.hash_len() as u64 => Err(format!(
                    "salt length {salt_len}, {a} needs {}",
                    a.hash_len()
                )),
                Some(_) => Ok(()),
            };
            PrimitiveGroup {
                key: rsa_group_key(group),
                // Without a JWS algorithm for the hash, no PS algorithm may accept the signature.
                algs: match alg {
                    Some(a) => vec![a],
                    None => vec![Algorithm::PS256, Algorithm::PS384, Algorithm::PS512],
                },
                jws_expressible,
            }
        }));
    }
    assert_no_problems("RSASSA-PSS", &problems);
}
