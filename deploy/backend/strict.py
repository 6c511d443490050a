"""Strict base64url and strict JSON, the codecs under token and key-set parsing.

Python's base64 and json modules are lenient where spec 002 §4 is strict (padding, foreign bytes,
non-canonical trailing bits; duplicate member names, NaN/Infinity, lone surrogates, unbounded
nesting, out-of-range numbers). These functions refuse exactly what the reference validator's
src/base64url.rs and src/strict_json.rs (serde_json) refuse, and raise StrictError for it.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any


class StrictError(ValueError):
    """The input is not strict base64url / acceptable JSON. The message is for logs only."""


_B64URL = re.compile(rb"[A-Za-z0-9_-]*")


def b64url_decode(data: bytes) -> bytes:
    """Unpadded base64url, alphabet A-Z a-z 0-9 - _ only, length != 1 mod 4, canonical last char."""
    if _B64URL.fullmatch(data) is None:
        raise StrictError("byte outside the base64url alphabet")
    if len(data) % 4 == 1:
        raise StrictError(f"length {len(data)} is not a valid unpadded base64url length")
    decoded = base64.urlsafe_b64decode(data + b"=" * (-len(data) % 4))
    if b64url_encode(decoded) != data:
        raise StrictError("non-canonical last character (non-zero trailing bits)")
    return decoded


def b64url_encode(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


_SURROGATE = re.compile("[\ud800-\udfff]")


def _reject_constant(name: str) -> Any:
    raise StrictError(f"{name} is not JSON")


# --- numbers, as serde_json 1.0 parses them -------------------------------------------------------
#
# The reference validator reads JSON with serde_json. Built as the authprobe binary is (without the
# `float_roundtrip` feature), serde_json does not round every decimal literal correctly: it keeps
# at most the digits that fit a u64, then multiplies or divides by a power of ten in f64. So a literal
# such as 9007199254740991.4999999999999999999 becomes 2^53 there (out of NumericDate range) but
# 2^53 - 1 in Python. The functions below repeat serde_json's algorithm step by step (same IEEE-754
# operations, same power-of-ten table) so that every NumericDate compares the same way, and refuse
# what it refuses ("number out of range"). BACKEND_JSON_FLOATS=roundtrip switches to correctly
# rounded parsing, which is serde_json's behaviour with `float_roundtrip` enabled.

_U64_MAX = 2**64 - 1
_I32_MAX = 2**31 - 1
_POW10 = [float(f"1e{i}") for i in range(309)]
FLOAT_MODE = "serde"


def set_float_mode(mode: str) -> None:
    global FLOAT_MODE
    if mode not in ("serde", "roundtrip"):
        raise ValueError("BACKEND_JSON_FLOATS must be serde or roundtrip")
    FLOAT_MODE = mode


def _overflows(acc: int, digit: int, limit: int) -> bool:  # serde_json's overflow!(acc * 10 + digit, limit)
    return acc >= limit // 10 and (acc > limit // 10 or digit > limit % 10)


def _is_digit(text: str, i: int) -> bool:
    return i < len(text) and "0" <= text[i] <= "9"


def _from_parts(positive: bool, significand: int, exponent: int) -> float:
    value = float(significand)  # u64 -> f64, round to nearest even, as Rust's `as f64`
    while True:
        index = abs(exponent)
        if index <= 308:
            if exponent >= 0:
                value *= _POW10[index]
                if value == float("inf"):
                    raise StrictError("number out of range")
            else:
                value /= _POW10[index]
            break
        if value == 0.0:
            break
        if exponent >= 0:
            raise StrictError("number out of range")
        value /= 1e308
        exponent += 308
    return value if positive else -value


def _exponent(positive: bool, significand: int, starting: int, text: str, i: int) -> float:
    i += 1  # 'e' or 'E'
    positive_exp = True
    if text[i] in "+-":
        positive_exp = text[i] == "+"
        i += 1
    exp = ord(text[i]) - 48
    i += 1
    while _is_digit(text, i):
        digit = ord(text[i]) - 48
        if _overflows(exp, digit, _I32_MAX):
            if significand != 0 and positive_exp:
                raise StrictError("number out of range")
            return 0.0 if positive else -0.0
        exp = exp * 10 + digit
        i += 1
    final = starting + exp if positive_exp else starting - exp
    final = max(-(2**31), min(_I32_MAX, final))  # i32 saturating add / sub
    return _from_parts(positive, significand, final)


def _decimal(positive: bool, significand: int, before: int, text: str, i: int) -> float:
    i += 1  # '.'
    after = 0
    while _is_digit(text, i):
        digit = ord(text[i]) - 48
        if _overflows(significand, digit, _U64_MAX):
            while _is_digit(text, i):  # the remaining digits are ignored
                i += 1
            break
        significand = significand * 10 + digit
        after -= 1
        i += 1
    if i < len(text) and text[i] in "eE":
        return _exponent(positive, significand, before + after, text, i)
    return _from_parts(positive, significand, before + after)


def _serde_number(text: str) -> int | float:
    """A JSON number literal (grammar already checked by the json module) as serde_json reads it:
    an exact int when it is an integer that fits 64 bits, otherwise an f64."""
    positive = not text.startswith("-")
    digits = text if positive else text[1:]
    if FLOAT_MODE == "roundtrip":
        if not any(c in digits for c in ".eE") and len(digits) <= 20 and int(digits) <= _U64_MAX:
            return int(text)
        if len(digits.split(".")[0].split("e")[0].split("E")[0]) > 400:
            raise StrictError("number out of range")  # over 10^400 whatever follows
        value = float(text)
        if value in (float("inf"), float("-inf")):
            raise StrictError("number out of range")
        return value
    significand = ord(digits[0]) - 48
    i = 1
    if significand != 0:
        while _is_digit(digits, i):
            digit = ord(digits[i]) - 48
            if _overflows(significand, digit, _U64_MAX):
                exponent = 0  # parse_long_integer: further digits only scale the value
                while _is_digit(digits, i):
                    exponent += 1
                    i += 1
                if i < len(digits) and digits[i] == ".":
                    return _decimal(positive, significand, exponent, digits, i)
                if i < len(digits) and digits[i] in "eE":
                    return _exponent(positive, significand, exponent, digits, i)
                return _from_parts(positive, significand, exponent)
            significand = significand * 10 + digit
            i += 1
    if i < len(digits) and digits[i] == ".":
        return _decimal(positive, significand, 0, digits, i)
    if i < len(digits) and digits[i] in "eE":
        return _exponent(positive, significand, 0, digits, i)
    return significand if positive else -significand


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for name, value in pairs:
        if name in obj:
            raise StrictError(f"duplicate member name {name!r}")
        obj[name] = value
    return obj


def _nesting_depth(text: str, max_depth: int) -> None:
    """Refuses nesting deeper than max_depth before the recursive parser sees it (linear scan)."""
    depth = 0
    in_string = False
    escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > max_depth:
                raise StrictError(f"JSON nested deeper than {max_depth} levels")
        elif ch in "]}":
            depth -= 1


def _check_strings(value: Any) -> None:
    if isinstance(value, str):
        if _SURROGATE.search(value):
            raise StrictError("lone surrogate in a string")
    elif isinstance(value, dict):
        for name, member in value.items():
            _check_strings(name)
            _check_strings(member)
    elif isinstance(value, list):
        for item in value:
            _check_strings(item)


def parse_value(data: bytes, max_depth: int) -> Any:
    """One RFC 8259 JSON value: UTF-8 without BOM, no duplicate names at any depth, at most
    max_depth nested arrays/objects (the top-level object counts as 1), finite numbers only,
    no lone surrogates, nothing but whitespace after it."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise StrictError("invalid UTF-8") from None
    if text.startswith("\ufeff"):
        raise StrictError("byte order mark")
    _nesting_depth(text, max_depth)
    try:
        value = json.loads(
            text,
            object_pairs_hook=_object_without_duplicates,
            parse_constant=_reject_constant,
            parse_float=_serde_number,
            parse_int=_serde_number,
        )
    except StrictError:
        raise
    except (ValueError, RecursionError) as exc:
        raise StrictError(f"invalid JSON: {exc}") from None
    _check_strings(value)
    return value


def parse_object(data: bytes, max_depth: int) -> dict[str, Any]:
    value = parse_value(data, max_depth)
    if not isinstance(value, dict):
        raise StrictError("JSON value is not an object")
    return value
