"""Defects found by a second fresh-eyes review of the session's changes (sanitizer, selectors'
text operators, page traversal), each stated with what a user would see."""
from __future__ import annotations

from cms.sanitizer import Sanitizer

sanitizer = Sanitizer()


def test_int_of_thousands_of_digits_is_past_a_float_not_a_crash():
    # ProcessWire 3.0.256: $sanitizer->int(str_repeat("9", 5000)) is 0 ((int) of INF), as for
    # the 400 digits test_pw_sanitizer_diff states; here more than the 4,300 digits Python
    # converts raised ValueError (a form posting such a number answered 500)
    assert sanitizer.int("9" * 5000) == 0
    assert sanitizer.int("-" + "9" * 5000, min=None) == 0
    assert sanitizer.int("9" * 5000, default=7) == 7
    assert sanitizer.int(" 12" + "0" * 4400 + "abc") == 0
