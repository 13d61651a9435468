"""Sanitizer: turn untrusted input into a value of a known shape, as ProcessWire's $sanitizer."""
from __future__ import annotations

import re
import unicodedata
from typing import Any

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
        """Like page_name but keeps case (template and field names)."""
        text = unicodedata.normalize("NFKD", str(value if value is not None else ""))
        text = text.encode("ascii", "ignore").decode("ascii")
        return re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_")[:max_length]

    def text(self, value: Any, max_length: int = 255) -> str:
        """One line of text: no control characters or line breaks, trimmed, capped."""
        text = "" if value is None else str(value)
        text = "".join(" " if unicodedata.category(c)[0] == "C" else c for c in text)
        return " ".join(text.split())[:max_length]

    def textarea(self, value: Any, max_length: int = 16384) -> str:
        text = "" if value is None else str(value)
        text = "".join(c for c in text.replace("\r\n", "\n")
                       if c in "\n\t" or unicodedata.category(c)[0] != "C")
        return text[:max_length]

    def int(self, value: Any, min: int | None = None, max: int | None = None, default: int = 0) -> int:
        """An integer, clamped to [min, max]; `default` when the input holds none."""
        try:
            number = int(str(value).strip()) if not isinstance(value, int) else int(value)
        except (TypeError, ValueError):
            try:
                number = int(float(value))
            except (TypeError, ValueError, OverflowError):
                number = default
        if min is not None and number < min:
            number = min
        if max is not None and number > max:
            number = max
        return number

    def selector_value(self, value: Any, max_length: int = 100) -> str:
        """Text safe to place inside a selector: no operators, separators or quotes."""
        text = _SELECTOR_BAD.sub(" ", self.text(value, max_length * 2))
        return " ".join(text.split())[:max_length]

    def email(self, value: Any) -> str:
        text = self.text(value, 250)
        return text if re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", text) else ""

    def url(self, value: Any) -> str:
        text = self.text(value, 2048)
        return text if re.match(r"^(https?://\S+|/(?![/\\])\S*)$", text, re.IGNORECASE) else ""

    def entities(self, value: Any) -> str:
        """HTML-escaped text, for the rare place outside a Jinja2 template."""
        from markupsafe import escape
        return str(escape("" if value is None else value))
