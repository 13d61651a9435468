"""The sanitizer's text, number and name cleaners, with ProcessWire 3.0.256's answers for the
same input (its $sanitizer->text(), textarea(), int() and name(), run in the tenth comparison)."""
from __future__ import annotations

import pytest

from cms.sanitizer import Sanitizer

clean = Sanitizer()


@pytest.mark.parametrize("given, text", [
    ("<b>bold</b> text", "bold text"), ("<script>x</script>", "x"), ("a<b>c", "ac"),
    ("5 < 6 and 7 > 3", "5 < 6 and 7 > 3"), ("a<b", "a"), ("<!-- hidden -->shown", "shown"),
    ('<a href="x">link</a> and <i>it</i>', "link and it"), ("<<a>>", ""), ("a > b", "a > b"),
    ("  spaced  out  ", "spaced  out"), ("line1\nline2", "line1 line2"), ("x\r\ny", "x y"),
    ("tab\there", "tab\there"), ("\u2028sep", "sep"),
    ("über <em>cool</em>\nnext line", "über cool next line"),
    ("a" * 300, "a" * 255), ("a<", "a"), ("a" * 254 + " b", "a" * 254),   # trimmed after the cut
])
def test_text_is_one_line_without_tags_as_processwire_makes_it(given, text):
    assert clean.text(given) == text


def test_textarea_keeps_its_lines_and_drops_tags():
    assert clean.textarea("  <p>one</p>\r\ntwo\r\n  ") == "one\ntwo"
    assert clean.textarea("  ") == ""
    # control characters go (ProcessWire keeps all but NUL; PostgreSQL refuses a NUL byte)
    assert clean.text("\x00nul\x01") == clean.textarea("\x00nul\x01") == "nul"


@pytest.mark.parametrize("given, number", [
    ("12", 12), ("12abc", 12), ("3.7", 3), ("1e3", 1000), (" +42 ", 42), ("abc", 0), ("", 0),
    ("-5", 0), ("٣", 0), ("12345678901234567890", 2**63 - 1), (3.9, 3), (True, 1),
])
def test_int_reads_the_number_text_starts_with_and_is_not_negative_unless_asked(given, number):
    assert clean.int(given) == number


def test_int_bounds_and_default():
    assert clean.int("-5", min=None) == -5                   # ProcessWire's intSigned()
    assert clean.int("50", max=10) == 10 and clean.int("x", default=7) == 7
    assert clean.int("1e999") == 0


@pytest.mark.parametrize("given, name", [
    ("<b>bold</b> text", "_b_bold__b__text"), ("Mixed_Name-1.2", "Mixed_Name-1.2"),
    ("it's", "its"), ("ünï cödé", "n_cd"), ("a, b | c", "a__b___c"), ("example.com", "example.com"),
    ("line1\nline2", "line1line2"),
])
def test_name_keeps_case_and_makes_every_other_sign_an_underscore(given, name):
    assert clean.name(given) == name
