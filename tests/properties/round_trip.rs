//! Property 9, byte-exact round trip: every input `Token::parse` accepts prints back byte for
//! byte, and the segment accessors agree with it.

use crate::support::{
    apply, cheap_alg, config, encoded_token, json_header, json_payload, mutation, sign_valid,
    signature_bytes, valid_claims,
};
use authprobe::base64url;
use authprobe::token::Token;
use proptest::prelude::*;

fn check_round_trip(input: &[u8]) -> Result<(), TestCaseError> {
    let Ok(token) = Token::parse(input) else {
        return Ok(());
    };
    let printed = token.to_string();
    prop_assert_eq!(printed.as_bytes(), input);
    prop_assert_eq!(token.as_str().as_bytes(), input);
    let rejoined = format!(
        "{}.{}.{}",
        token.header_b64(),
        token.payload_b64(),
        token.signature_b64()
    );
    prop_assert_eq!(rejoined.as_bytes(), input);
    let signing_input = format!("{}.{}", token.header_b64(), token.payload_b64());
    prop_assert_eq!(token.signing_input(), signing_input.as_bytes());
    prop_assert_eq!(
        &base64url::decode(token.header_b64().as_bytes()).unwrap(),
        token.header_json()
    );
    prop_assert_eq!(
        &base64url::decode(token.payload_b64().as_bytes()).unwrap(),
        token.payload()
    );
    prop_assert_eq!(
        &base64url::decode(token.signature_b64().as_bytes()).unwrap(),
        token.signature()
    );
    Ok(())
}

proptest! {
    #![proptest_config(config(1024))]

    /// Property 9a: encoded arbitrary JSON parses, prints back exactly, and keeps its parts.
    #[test]
    fn p9_encoded_tokens_round_trip(
        h in json_header(),
        payload in json_payload(),
        sig in signature_bytes(),
    ) {
        let text = encoded_token(&h, &payload, &sig);
        let token = Token::parse(&text);
        prop_assert!(token.is_ok(), "{:?}", token);
        let token = token.unwrap();
        prop_assert_eq!(token.header(), &h);
        prop_assert_eq!(token.signature(), &sig[..]);
        check_round_trip(text.as_bytes())?;
    }

    /// Property 9b: signed and then mutated tokens that still parse print back exactly.
    #[test]
    fn p9_mutated_tokens_round_trip(
        alg in cheap_alg(),
        claims in valid_claims(),
        m in mutation(),
    ) {
        let input = apply(&sign_valid(alg, &claims, false), &m);
        check_round_trip(&input)?;
    }

    /// Property 9c: any byte string that parses prints back exactly.
    #[test]
    fn p9_arbitrary_parsed_input_round_trips(
        input in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..200),
            "[A-Za-z0-9_-]{0,40}\\.[A-Za-z0-9_-]{0,40}\\.[A-Za-z0-9_-]{0,40}"
                .prop_map(String::into_bytes),
            "eyJ[A-Za-z0-9_-]{0,40}\\.[A-Za-z0-9_-]{0,40}\\.[A-Za-z0-9_-]{0,40}"
                .prop_map(String::into_bytes),
        ],
    ) {
        check_round_trip(&input)?;
    }
}
