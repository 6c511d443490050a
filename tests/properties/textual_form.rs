//! Property 3, one textual form (SEC-003): padding, the standard alphabet or whitespace make a
//! token MALFORMED_TOKEN although a lenient decoder reads the same bytes.

use crate::support::{
    any_alg, config, describe, join, kind, sign_valid, split, valid_claims, validate,
};
use authprobe::algorithm::Algorithm;
use authprobe::validate::RejectionKind;
use proptest::prelude::*;
use proptest::sample::{select, Index};

fn assert_malformed(alg: Algorithm, token: &str, what: &str) -> Result<(), TestCaseError> {
    let verdict = validate(alg, token);
    prop_assert_eq!(
        kind(&verdict),
        Some(RejectionKind::MalformedToken),
        "{}: {}",
        what,
        describe(&verdict)
    );
    Ok(())
}

proptest! {
    #![proptest_config(config(512))]

    /// Property 3a: `=` padding appended to any segment is MALFORMED_TOKEN.
    #[test]
    fn p3_padding_is_malformed(
        alg in any_alg(),
        claims in valid_claims(),
        segment in 0usize..3,
        pads in 1usize..=3,
    ) {
        let token = sign_valid(alg, &claims, false);
        let mut parts = split(&token);
        parts[segment].push_str(&"=".repeat(pads));
        assert_malformed(alg, &join(&parts), "padded")?;
        // Padding to the standard length, as a lenient encoder would, is just as malformed.
        let mut parts = split(&token);
        let len = parts[segment].len();
        if !len.is_multiple_of(4) {
            parts[segment].push_str(&"=".repeat(4 - len % 4));
            assert_malformed(alg, &join(&parts), "canonically padded")?;
        }
    }

    /// Property 3b: the standard alphabet's `+`/`/` in place of `-`/`_` is MALFORMED_TOKEN.
    #[test]
    fn p3_standard_alphabet_is_malformed(
        alg in any_alg(),
        claims in valid_claims(),
        which in any::<Index>(),
        only_one in any::<bool>(),
        at in any::<Index>(),
    ) {
        let mut parts = split(&sign_valid(alg, &claims, false));
        let candidates: Vec<usize> =
            (0..3).filter(|s| parts[*s].contains(['-', '_'])).collect();
        prop_assume!(!candidates.is_empty());
        let segment = candidates[which.index(candidates.len())];
        let swap = |c: char| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        };
        parts[segment] = if only_one {
            let positions: Vec<usize> = parts[segment]
                .char_indices()
                .filter(|(_, c)| *c == '-' || *c == '_')
                .map(|(i, _)| i)
                .collect();
            let p = positions[at.index(positions.len())];
            parts[segment]
                .char_indices()
                .map(|(i, c)| if i == p { swap(c) } else { c })
                .collect()
        } else {
            parts[segment].chars().map(swap).collect()
        };
        assert_malformed(alg, &join(&parts), "standard alphabet")?;
    }

    /// Property 3c: whitespace inserted anywhere (ASCII or Unicode) is MALFORMED_TOKEN.
    #[test]
    fn p3_whitespace_is_malformed(
        alg in any_alg(),
        claims in valid_claims(),
        at in any::<Index>(),
        ws in select(vec![" ", "\t", "\n", "\r", "\r\n", "\u{0b}", "\u{0c}", "\u{a0}", "\u{2028}", "\u{feff}", "  "]),
    ) {
        let mut token = sign_valid(alg, &claims, false);
        let i = at.index(token.len() + 1);
        token.insert_str(i, ws);
        assert_malformed(alg, &token, &format!("{ws:?} at {i}"))?;
    }
}
