"""Sanitizer: turn untrusted input into a value of a known shape, as ProcessWire's $sanitizer."""
from __future__ import annotations

import re
import unicodedata
from typing import Any

_NAME_BAD = re.compile(r"[^a-z0-9_.-]+")
# Every ASCII character a page name may not hold (space included) becomes "-": the same as
# _NAME_BAD's substitution once runs of dashes are collapsed, in one C-level pass.
_NAME_DASHES = str.maketrans({chr(c): "-" for c in range(128) if _NAME_BAD.match(chr(c))})
# ProcessWire's beautify: a run of two or more of "-", "_", "." is one "-" ("I.B.M. Corp" is
# "i.b.m-corp", "_draft_ copy" is "draft-copy")
_EXTRAS_RUN = re.compile(r"[-_.]{2,}")
_SELECTOR_BAD = re.compile(r"[\x00-\x1f,|\"'\[\]()=<>!*~^$%]")
# ProcessWire's page names from text (Sanitizer::pageName with Sanitizer::translate): lower
# case, InputfieldPageName::$defaultReplacements, then iconv's ASCII//TRANSLIT (here: NFKD
# without the marks, and the letters and signs below that NFKD leaves alone), quotes and
# control characters dropped, anything else not allowed made a "-".
_PW_REPLACEMENTS = {
    "æ": "ae", "å": "a", "ä": "a", "ã": "a", "ß": "ss", "ö": "o", "ü": "u", "đ": "dj",
    "ж": "zh", "х": "kh", "ц": "tc", "ч": "ch", "ш": "sh", "щ": "shch", "ю": "iu", "я": "ia",
    ":": "-", ",": "-", "à": "a", "á": "a", "â": "a", "è": "e", "é": "e", "ë": "e", "ê": "e",
    "ě": "e", "ì": "i", "í": "i", "ï": "i", "î": "i", "ı": "i", "ğ": "g", "õ": "o", "ò": "o",
    "ó": "o", "ô": "o", "ø": "o", "ù": "u", "ú": "u", "û": "u", "ů": "u", "ñ": "n", "ç": "c",
    "č": "c", "ć": "c", "ď": "d", "ĺ": "l", "ľ": "l", "ń": "n", "ň": "n", "ŕ": "r", "ř": "r",
    "š": "s", "ş": "s", "ť": "t", "ý": "y", "ž": "z", "а": "a", "б": "b", "в": "v", "г": "g",
    "д": "d", "е": "e", "ё": "e", "з": "z", "и": "i", "й": "i", "к": "k", "л": "l", "м": "m",
    "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "ы": "y",
    "э": "e", "ę": "e", "ą": "a", "ś": "s", "ł": "l", "ż": "z", "ź": "z",
}
_TRANSLIT = {"œ": "oe", "þ": "th", "ð": "d", "ħ": "h", "ŧ": "t", "ĸ": "q", "ŋ": "n", "⁄": "/",
             "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "‘": "'", "’": "'", "“": '"',
             "”": '"'}
_TO_ASCII = str.maketrans({**_TRANSLIT, **_PW_REPLACEMENTS})
_NAME_DROPPED = str.maketrans({**{chr(c): None for c in (*range(32), 127)}, "'": None, '"': None})


class Sanitizer:
    """Stateless cleaners; each returns a value of one type and never raises for bad text."""

    def page_name(self, value: Any, max_length: int = 128) -> str:
        """A page name: lowercase ASCII letters, digits, `-`, `_` and `.`, as ProcessWire makes
        one from text ("Straße" -> "strasse", "Ærø" -> "aero", "Привет" -> "privet", "it's"
        -> "its", "Mr. Smith" -> "mr-smith": a run of those three signs is one "-", as its
        beautify makes it); letters it cannot spell in ASCII (Greek, CJK) are dropped."""
        text = str(value if value is not None else "").lower()
        if not text.isascii():   # NFKD leaves ASCII as it is: only other text needs the round trip
            text = unicodedata.normalize("NFKD", text.translate(_TO_ASCII)).translate(_TO_ASCII)
            text = text.encode("ascii", "ignore").decode("ascii").lower()     # "™": "TM"
        text = text.translate(_NAME_DROPPED).translate(_NAME_DASHES)
        if "--" in text or "." in text or "_" in text:
            text = _EXTRAS_RUN.sub("-", text)
        text = text.strip("-_.")
        return text[:max_length].strip("-_.")

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
