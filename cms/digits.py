"""Whole numbers typed as decimal digits: read past Python's limit, and shown in a message.

A page or task id, an Integer field's value, a module's setting, a state or a limit in a URL
arrive as text a person typed, of any length. int() raises ValueError past 4,300 digits
("Exceeds the limit (4300 digits) for integer string conversion"), and str() of such an int
raises it too. Every place that reads such text, or shows such a number in a message, does
it here: a number of more digits than a 64-bit integer has is read as one just past that
range, which the range check each place makes already refuses in its own words, and every
message shows it the same way (`shown_number`).
"""
from __future__ import annotations

import math
import sys

INT64_MAX = 2**63 - 1                   # the largest integer every engine's columns hold
INT64_DIGITS = len(str(INT64_MAX))      # 19: a number of more digits is past it
SHOWN_DIGITS = 20                       # a message shows a longer number cut to these


def int_of_digits(text: str) -> int:
    """The whole number `text` spells in decimal digits (a sign and spaces around it allowed),
    as int() reads it; one of more than 19 digits as one just past the 64-bit range (2**63,
    or -2**63 - 1 for a negative one), so a range check refuses it where int() raised
    ValueError past 4,300 digits. ValueError, as int()'s, for text that is no whole number."""
    stripped = text.strip()
    sign = stripped[:1] if stripped[:1] in ("+", "-") else ""
    digits = stripped[len(sign):]
    if not digits.isdecimal():
        return int(stripped)
    significant = digits.lstrip("0")        # (int() counts leading zeros towards its limit)
    if len(significant) > INT64_DIGITS:
        return -INT64_MAX - 2 if sign == "-" else INT64_MAX + 1
    number = int(significant or "0")
    return -number if sign == "-" else number


def shown_number(value: int | str) -> str:
    """A number a user gave, as a message shows it: as typed up to 20 digits, else without
    the zeros before it ("000...0999" is "999"), cut to its first 20 digits and how many it
    has ("99999999999999999999... (5,000 digits)"); an int too long for str() by its length
    alone ("... (5,001 digits)")."""
    if isinstance(value, str):
        text = value.strip()
    else:
        count = digit_count(value)
        if count > (sys.get_int_max_str_digits() or count):
            return f"{'-' if value < 0 else ''}... ({count:,} digits)"
        text = str(value)
    sign = text[:len(text) - len(text.lstrip("+-"))]
    if len(text) - len(sign) <= SHOWN_DIGITS:
        return text
    digits = text[len(sign):].lstrip("0") or "0"
    if len(digits) <= SHOWN_DIGITS:
        return sign + digits
    return f"{sign}{digits[:SHOWN_DIGITS]}... ({len(digits):,} digits)"


def digit_count(value: int) -> int:
    """How many decimal digits `value` has, without writing it out (str() raises past 4,300)."""
    number = abs(value)
    if not number:
        return 1
    count = int((number.bit_length() - 1) * math.log10(2)) + 1
    return count + 1 if number >= 10**count else count
