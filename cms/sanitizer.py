"""Sanitizer: turn untrusted input into a value of a known shape, as ProcessWire's $sanitizer."""
from __future__ import annotations

import math
import re
from html.entities import codepoint2name
from typing import Any

from .fieldtypes import Email
from .translit import TO_ASCII

_NAME_BAD = re.compile(r"[^a-z0-9_.-]+")
# Every ASCII character a page name may not hold (space included) becomes "-": the same as
# _NAME_BAD's substitution once runs of dashes are collapsed, in one C-level pass.
_NAME_DASHES = str.maketrans({chr(c): "-" for c in range(128) if _NAME_BAD.match(chr(c))})
# ProcessWire's beautify: a run of two or more of "-", "_", "." is one "-" ("I.B.M. Corp" is
# "i.b.m-corp", "_draft_ copy" is "draft-copy")
_EXTRAS_RUN = re.compile(r"[-_.]{2,}")
_SELECTOR_BAD = re.compile(r"[\x00-\x1f,|\"'\[\]()=<>!*~^$%]")
# ProcessWire's name filter drops quotes, the backtick and control characters (after cutting the
# text to its maximum length) and makes anything else a name may not hold a "-"
_NAME_DROPPED = str.maketrans({**{chr(c): None for c in (*range(32), 127)}, "'": None, '"': None,
                               "`": None})


def _cut_to_length(raw: bytes, max_length: int) -> bytes:
    """PagesNames::adjustNameLength on bytes: the text before its "-<number>" end (if any) cut
    to fit with it, at the last of "-", "_", "." unless that falls before 1/1.3 of the cut."""
    prefix, suffix = raw, b""
    head, dash, digits = raw.rpartition(b"-")
    if dash and digits.isdigit():
        prefix, suffix = head, b"-" + str(int(digits)).encode()
        max_length -= len(suffix)
    prefix = prefix[:max_length]
    at = max(prefix.rfind(b"-"), prefix.rfind(b"_"), prefix.rfind(b"."), 0)
    if not at or at < len(prefix) / 1.3:
        at = max_length
    return prefix[:at].rstrip(b"-_.") + suffix


def numbered_name(name: str, number: int, max_length: int = 128) -> str:
    """`name-<number>`, the name cut to fit `max_length` as ProcessWire's incrementName and
    adjustNameLength cut it: at its last "-", "_" or "." near the end ("word-word-1", not
    "word-wo-1" or "a-a--1")."""
    numbered = f"{name}-{number}"
    if len(numbered) <= max_length:
        return numbered
    return _cut_to_length(numbered.encode(), max_length).decode("utf-8", "replace")


_NAME_OTHER = re.compile(r"[^A-Za-z0-9_.-]")
# The bytes name() drops: controls, all outside ASCII (DEL too), quotes and the backtick
_NAME_DROPPED_BYTES = bytes([*range(32), *range(127, 256)]) + b"'\"`"
_PHP_TRIM = " \t\n\r\0\x0b"
# PHP's htmlentities() table (HTML 4.01), with ENT_QUOTES's "'"
_ENTITIES = {code: f"&{name};" for code, name in codepoint2name.items()} | {ord("'"): "&#039;"}
# C's isspace(), which PHP's strip_tags asks of the character after a "<"
_C_SPACE_CHARS = (" ", "\t", "\n", "\v", "\f", "\r")
# Control characters but the tab (and in a textarea the line feed), and U+2028, which
# ProcessWire drops as pasted text brings it
_CONTROLS = str.maketrans({code: None for code in (*range(9), *range(10, 32), 127, 0x2028)})
_CONTROLS_BUT_LF = str.maketrans({code: None for code in (*range(9), *range(11, 32), 127, 0x2028)})
PHP_INT_MAX = 2**63 - 1
PHP_INT_MIN = -2**63
# intval() of a string: the number it starts with ("1e3" is 1000, "3.7" is 3)
_LEADING_NUMBER = re.compile(r"[ \t\n\r\v\f]*([+-]?[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?)")


def _strip_tags(text: str) -> str:
    """PHP's strip_tags (php_strip_tags_ex, no allowed tags), state by state: 0 is text, 1 a
    tag, which a "<" opens unless whitespace (C's, ASCII alone: not a no-break space) follows
    it, 2 PHP code ("<?", closed by "?>"), 3 a "<!" declaration, 4 a comment ("<!--", closed
    by a ">" after two dashes, its own ones too: "<!-->" is a whole comment). A "<" inside a
    tag nests, and the next ">" closes that, even inside quotes or after the tag (a comment
    ignores the count); a quoted ">" closes nothing else; an open tag takes the rest of the
    text; a NUL byte goes everywhere."""
    if "<" not in text and "\0" not in text:
        return text
    out: list[str] = []
    state = depth = brackets = 0
    quote = last = ""
    xml = False
    for at, char in enumerate(text):
        before = text[at - 1] if at else ""
        if char == "\0":
            continue
        if state == 4:
            if char == ">" and not quote and text[at - 2:at] == "--":
                state, quote = 0, ""
            continue
        if char == ">" and depth:
            depth -= 1
            continue
        if state == 0:
            if char == "<" and text[at + 1:at + 2] not in _C_SPACE_CHARS:
                state, last = 1, "<"
            else:
                out.append(char)
        elif state == 1:
            if char == "<" and not quote and text[at + 1:at + 2] not in _C_SPACE_CHARS:
                depth += 1
            elif char == ">" and not quote and not (xml and before == "-"):
                state, quote, last, xml = 0, "", ">", False
            elif char in "\"'":
                quote = "" if quote == char else quote or char
            elif char == "!" and before == "<":
                state, last = 3, "!"
            elif char == "?" and before == "<":
                state, brackets = 2, 0
        elif state == 2:
            if char in "()" and last not in ("'", '"'):
                last = char
                brackets += 1 if char == "(" else -1
            elif char == ">" and not quote and not brackets and last != '"' and before == "?":
                state = 0
            elif char in "\"'" and before != "\\":
                last = "" if last == char else char
                quote = "" if quote == char else quote or char
            elif char in "lL" and at > 4 and text[at - 4:at].lower() == "<?xm":
                state, xml = 1, True         # "<?xml" is a tag, unless it starts the text
        elif state == 3:
            if char == ">" and not quote:
                state = 0
            elif char in "\"'" and before != "\\":
                quote = "" if quote == char else quote or char
            elif char == "-" and text[at - 2:at] == "!-":
                state = 4
            elif char in "Ee" and text[max(at - 6, 0):at].lower() == "doctyp":
                state = 1
    return "".join(out)


class Sanitizer:
    """Stateless cleaners; each returns a value of one type and never raises for bad text."""

    def page_name(self, value: Any, max_length: int = 128) -> str:
        """A page name: lowercase ASCII letters, digits, `-`, `_` and `.`, spelled as ProcessWire
        spells one from text (`Sanitizer::pageName` with `translate`): "Straße" -> "strasse",
        "Привет" -> "privet", "£5 © Acme" -> "gbp5-c-acme", "it's" -> "its", "Mr. Smith" ->
        "mr-smith" (a run of "-", "_" and "." is one "-", as its beautify makes it). Each
        character that is not ASCII takes glibc's transliteration (cms/translit.py); one it
        cannot spell (Greek, CJK, emoji) separates words as a space does. As there, the text is
        cut to `max_length` before the signs a name cannot hold are dropped or merged, so a
        long name may come out a little shorter."""
        text = str(value if value is not None else "")
        if not text.isascii():
            text = text.translate(TO_ASCII)
        text = text.lower()[:max_length].translate(_NAME_DROPPED).translate(_NAME_DASHES).strip("-_.")
        if "--" in text or "." in text or "_" in text:
            text = _EXTRAS_RUN.sub("-", text)
        return text

    def page_name_from_title(self, title: Any, max_length: int = 128) -> str:
        """The name a page without one takes from its title, as ProcessWire's PagesNames
        makes it: a title longer than `max_length` bytes (UTF-8) is cut to that first, at its
        last "-", "_" or "." when one falls in the last quarter or so, keeping a "-<number>"
        at its end (adjustNameLength); then `page_name`. So a long title of many multi-byte
        letters makes a shorter name than 128."""
        text = str(title if title is not None else "").strip()
        raw = text.encode("utf-8")
        if len(raw) > max_length:
            text = _cut_to_length(raw, max_length).decode("utf-8", "replace")
        return self.page_name(text, max_length)

    def name(self, value: Any, max_length: int = 128) -> str:
        """ASCII letters, digits, `-`, `_` and `.`, case kept: ProcessWire's `$sanitizer->name()`.
        Cut to `max_length` bytes, quotes, the backtick and every byte outside ASCII dropped
        ("ünï" is "n"), any other character a "_" ("a b" is "a_b", "a, b" is "a__b")."""
        raw = str(value if value is not None else "").encode("utf-8")[:max_length]
        text = raw.translate(None, _NAME_DROPPED_BYTES)
        if not text:
            # ProcessWire's second try when nothing is left: its brackets made "_" ("»" is "_")
            for bracket in "«»‹›":
                raw = raw.replace(bracket.encode(), b"_")
            text = raw.translate(None, _NAME_DROPPED_BYTES)
        return _NAME_OTHER.sub("_", text.decode("ascii"))

    def text(self, value: Any, max_length: int = 255, *, strip_tags: bool = True) -> str:
        """One line of text, as ProcessWire's `$sanitizer->text()`: line breaks made spaces,
        markup tags stripped (as PHP's strip_tags: "a<b>c</b>" is "ac", "5 < 6" stays, "a<" is
        "a"; `strip_tags=False` keeps them, for text searched as typed), trimmed, at most
        `max_length` characters (trimmed again after the cut). Control characters but the tab
        go too (a NUL byte is refused by PostgreSQL)."""
        text = "" if value is None else str(value)
        text = text.replace("\r", "\n").replace("\n\n", " ").replace("\n", " ")
        if strip_tags:
            text = _strip_tags(text)
        return text.translate(_CONTROLS).strip(_PHP_TRIM)[:max_length].rstrip(_PHP_TRIM)

    def textarea(self, value: Any, max_length: int = 16384) -> str:
        """Text of several lines, as ProcessWire's `$sanitizer->textarea()`: `text()` keeping
        the line breaks (CR LF made LF)."""
        text = "" if value is None else str(value).replace("\r\n", "\n").replace("\r", "\n")
        return _strip_tags(text).translate(_CONTROLS_BUT_LF).strip(_PHP_TRIM)[:max_length].rstrip(_PHP_TRIM)

    def int(self, value: Any, min: int | None = 0, max: int | None = None, default: int = 0) -> int:
        """A whole number, as ProcessWire's `$sanitizer->int()`: the number the text starts
        with ("12abc" is 12, "3.7" is 3), `default` when it starts with none, kept within
        [min, max]; `min` is 0 unless given (None for negative numbers too, as `intSigned`)."""
        if isinstance(value, bool):
            number = int(value)
        elif isinstance(value, int):
            number = value
        elif isinstance(value, float):
            number = int(value) if value == value and abs(value) != float("inf") else default
        else:
            match = _LEADING_NUMBER.match("" if value is None else str(value))
            digits = match.group(1) if match else ""
            whole = digits.lstrip("+-").isdecimal()
            if whole:
                # Python's int() reads at most 4,300 digits: the leading zeros go, and past
                # PHP's integers (20 digits) the float is read, saturated below or the
                # default past a float's range
                digits = digits[:1].strip("0123456789") + (digits.lstrip("+-").lstrip("0") or "0")
                whole = len(digits.lstrip("+-")) < 20
            try:
                number = (int(digits) if whole
                          else int(float(digits)) if digits else default)
                if not PHP_INT_MIN <= number <= PHP_INT_MAX and math.isinf(float(digits)):
                    number = default         # 400 digits: past a float, as "1e999"
            except OverflowError:            # "1e999"
                number = default
        if not PHP_INT_MIN <= number <= PHP_INT_MAX:   # as PHP's integers: past them, their max or min
            number = PHP_INT_MAX if number > 0 else PHP_INT_MIN
        if min is not None and number < min:
            number = min
        if max is not None and number > max:
            number = max
        return number

    def selector_value(self, value: Any, max_length: int = 100) -> str:
        """Text safe to place inside a selector: no operators, separators or quotes."""
        text = _SELECTOR_BAD.sub(" ", self.text(value, max_length * 2, strip_tags=False))
        return " ".join(text.split())[:max_length]

    def email(self, value: Any) -> str:
        """An address the Email field would store (its pattern: RFC 5321's, as PHP's filter_var,
        and non-ASCII letters), of at most 254 characters as there, else "": "ann..b@example.org",
        "a(b)@example.org" and markup are refused, not cut or stripped to an address, and so,
        stricter than ProcessWire, which repairs them, are ".ann@example.org" and "a b@..."."""
        text = self.text(value, 1000, strip_tags=False)
        return text if len(text) <= 254 and Email.PATTERN.match(text) else ""

    def url(self, value: Any) -> str:
        text = self.text(value, 2048)
        return text if re.match(r"^(https?://\S+|/(?![/\\])\S*)$", text, re.IGNORECASE) else ""

    def entities(self, value: Any) -> str:
        """HTML-escaped text, for the rare place outside a Jinja2 template, spelled as
        ProcessWire's `entities()` (PHP's htmlentities, ENT_QUOTES): `&`, `<`, `>`, `"`, `'` as
        `&#039;`, and each character HTML 4.01 names ("é" `&eacute;`, a no-break space `&nbsp;`)."""
        return ("" if value is None else str(value)).translate(_ENTITIES)
