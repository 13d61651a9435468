"""Fieldtypes: how a field's value is checked, stored in its own table, and read back.

Each field has a table `field_<name>(pages_id, data)`; text types add `fold`, the value passed
through `fold()` in Python (case folded, accents stripped), so selectors compare text ignoring
case and accents by one rule on every engine, as ProcessWire does on MySQL's default collation
(SQLite's NOCASE folds only ASCII; PostgreSQL's deterministic collations fold nothing).
`fold` is indexed where the type is short enough to index.
"""
from __future__ import annotations

import html
import math
import re
import unicodedata
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any

from .digits import SHOWN_DIGITS, int_of_digits, shown_number
from .errors import ValidationError

if TYPE_CHECKING:
    from .db import Database
    from .fields import Field

PAGE_LIST_SEPARATORS = re.compile(r"[|\r\n]")   # between the pages of a Page field's text
MAX_SHORT_TEXT = 700  # fits an index on every engine (MariaDB: 768 utf8mb4 characters)


def fold(text: str) -> str:
    """`text` as selectors compare and sort it: "Café", "CAFE" and "cafe" all give "CAFE".

    NFKD splits accented letters into a base letter and combining marks (and maps
    compatibility forms such as "ﬁ" or a no-break space to plain ones); the marks are dropped,
    the rest casefolded ("Straße" -> "strasse") and recomposed (NFC), so scripts whose letters
    are not base-plus-mark (Hangul, CJK) come back as they were.

    The result is in upper case, as MySQL's `utf8mb4_general_ci` weighs characters (by their
    upper case), so that the binary order of folds every engine sorts by is ProcessWire's:
    `[ \\ ] ^ _` and the backtick come after the letters ("ITEMA" < "ITEM_2"), not between
    the cases of them as in lower case.
    """
    if text.isascii():
        return text.upper()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return unicodedata.normalize("NFC", stripped).upper()


class Fieldtype:
    """Base of every fieldtype. A fieldtype is stateless; per-field settings live on the Field."""

    name = "Fieldtype"
    column = "{TEXT}"
    folded = False          # has a `fold` column compared case-insensitively
    indexed = True
    kind = "text"           # what the selector compiler compares: text, int, float, datetime, page
    settings: dict[str, Any] = {}
    writable = True         # page saves write it (False: its module keeps the values itself)
    searchable = True       # selectors may compare it
    owns_table = True       # Fields makes and drops its table (False: its module provides one)

    def check_settings(self, field_name: str, settings: dict[str, Any]) -> dict[str, Any]:
        """Settings merged over the defaults; unknown ones are refused so typos surface."""
        unknown = set(settings) - set(self.settings)
        if unknown:
            raise ValidationError(
                f"fieldtype {self.name} has no setting {sorted(unknown)[0]!r} (field {field_name!r}); "
                f"known settings: {', '.join(sorted(self.settings)) or 'none'}",
                field=field_name, value=sorted(unknown)[0], rule="setting")
        return {**self.settings, **settings}

    def blank(self, field: Field) -> Any:
        """The value of a page that stores nothing for this field."""
        return None

    def is_empty(self, value: Any) -> bool:
        """Empty values are not stored (no row), as in ProcessWire."""
        return value is None or value == ""

    def sanitize(self, field: Field, value: Any) -> Any:
        """Convert and validate a value; raise ValidationError naming field, value and rule.
        The field's own limits are not asked here but by `check_limits`, at the save."""
        return value

    def check_limits(self, field: Field, value: Any) -> None:
        """Refuse a converted value past the field's own limits (an Integer's min and max, a
        text's maxlength): every save asks, as DESIGN.md says, so a value past them may be
        assigned and the save refuses it (ProcessWire asks only in the admin's form)."""

    def to_row(self, field: Field, value: Any) -> tuple:
        """The stored column values after `pages_id` (data, and fold for text types)."""
        return (value,)

    def rows(self, field: Field, db: Database, value: Any) -> list[tuple]:
        """The rows that store a checked value, each the columns after `pages_id`: none when
        `is_empty`, one per page for a page kind, else `to_row` (a datetime as `db.dt_param`).

        The built-in types override it with the same answer in one call (it runs per field of
        every page added); a subclass of them that changes `is_empty` or `to_row` overrides
        `rows` too.
        """
        if self.is_empty(value):
            return []
        if self.kind == "page":
            return [(ref, sort) for sort, ref in enumerate(value)]
        if self.kind == "datetime":
            return [(db.dt_param(value),)]
        return [self.to_row(field, value)]

    def from_db(self, field: Field, db: Database, data: Any) -> Any:
        return data

    def table_body(self, db: Database) -> str:
        cols = f"pages_id {{INT}} NOT NULL PRIMARY KEY, data {self.column} NOT NULL"
        if self.folded:
            cols += f", fold {self.column} NOT NULL"
        return cols + ", FOREIGN KEY (pages_id) REFERENCES pages (id) ON DELETE CASCADE"

    def create_table(self, db: Database, table: str) -> None:
        db.create_table(table, self.table_body(db))
        if self.indexed:
            db.create_index(table, "fold" if self.folded else "data")

    def invalid(self, field: Field, value: Any, rule: str, detail: str) -> ValidationError:
        if (isinstance(value, int) and not isinstance(value, bool)
                or isinstance(value, str) and len(value) > SHOWN_DIGITS
                and value.strip().lstrip("+-").isdecimal()):
            shown = shown_number(value)
        else:
            try:
                shown = repr(value)
            except ValueError:   # a list holding an int of more digits than Python writes out
                shown = f"<a {type(value).__name__} too long to write>"
            if len(shown) > 80:
                shown = shown[:77] + "..."
        return ValidationError(f"field {field.name!r}: {shown} {detail}", field=field.name,
                               value=value, rule=rule)


class Text(Fieldtype):
    name = "Text"
    settings = {"maxlength": 250}

    def check_settings(self, field_name: str, settings: dict[str, Any]) -> dict[str, Any]:
        merged = super().check_settings(field_name, settings)
        length = whole_number(merged["maxlength"])
        if length is None or not 1 <= length <= MAX_SHORT_TEXT:
            raise ValidationError(f"field {field_name!r}: maxlength must be 1..{MAX_SHORT_TEXT} "
                                  "(use Textarea for longer text)", field=field_name,
                                  value=merged["maxlength"], rule="maxlength")
        merged["maxlength"] = length
        return merged

    folded = True

    def blank(self, field: Field) -> Any:
        return ""

    def sanitize(self, field: Field, value: Any) -> Any:
        if value is None:
            return ""
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise self.invalid(field, value, "type", "is not text")
        text = str(value)
        if "\x00" in text:
            raise self.invalid(field, value, "characters", "holds a NUL character")
        if has_lone_surrogate(text):
            raise self.invalid(field, value, "characters",
                               "holds an unpaired surrogate (not valid Unicode text)")
        return self.clean(text)

    def check_limits(self, field: Field, value: Any) -> None:
        limit = field.settings.get("maxlength")
        if limit and value and len(value) > limit:
            raise self.invalid(field, value, "maxlength",
                               f"is {len(value)} characters long; the limit is {limit}")

    def clean(self, text: str) -> str:
        """Single-line text: line breaks become spaces, outer whitespace goes."""
        return " ".join(text.splitlines()).strip()

    def to_row(self, field: Field, value: Any) -> tuple:
        return (value, fold(value))

    def rows(self, field: Field, db: Database, value: Any) -> list[tuple]:
        return [] if value is None or value == "" else [(value, fold(value))]


class PageTitle(Text):
    name = "PageTitle"


class Textarea(Text):
    name = "Textarea"
    column = "{LONGTEXT}"
    indexed = False
    settings = {"maxlength": 0}

    def check_settings(self, field_name: str, settings: dict[str, Any]) -> dict[str, Any]:
        merged = Fieldtype.check_settings(self, field_name, settings)
        length = whole_number(merged["maxlength"] or 0)
        if length is None or length < 0:
            raise ValidationError(f"field {field_name!r}: maxlength must be a whole number "
                                  "(0: no limit)", field=field_name, value=merged["maxlength"],
                                  rule="maxlength")
        merged["maxlength"] = length
        return merged

    def clean(self, text: str) -> str:
        return text.replace("\r\n", "\n")


_ATOM = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0080-\U0010ffff-]+"
_LABEL = "[A-Za-z0-9\u0080-\U0010ffff](?:[A-Za-z0-9\u0080-\U0010ffff-]{0,61}[A-Za-z0-9\u0080-\U0010ffff])?"


class Email(Text):
    """An address as RFC 5321 spells one (what PHP's filter_var, which ProcessWire asks,
    accepts), and non-ASCII letters, which it does not (see the README): dots only between
    atoms of the local part, or a quoted one; a domain of labels (letters, digits, inner
    hyphens) with a dot, or an IPv4 literal. No markup, spaces or `..` are stored."""

    name = "Email"
    # filter_var's limits too: a local part of at most 64 characters, a last label not all digits
    PATTERN = re.compile(rf'^(?=[^@]{{1,64}}@|"[^"]{{1,62}}"@)(?:{_ATOM}(?:\.{_ATOM})*|"(?:[^"\\\r\n]|\\.)+")'
                         rf"@(?:(?:{_LABEL}\.)+(?![0-9]+$){_LABEL}|\[[0-9]{{1,3}}(?:\.[0-9]{{1,3}}){{3}}\])$")

    def sanitize(self, field: Field, value: Any) -> Any:
        text = super().sanitize(field, value)
        if text and not self.PATTERN.match(text):
            raise self.invalid(field, value, "email", "is not an email address")
        return text


class URL(Text):
    """A link as ProcessWire's URL field takes one (Sanitizer::url, relative URLs allowed):
    http(s) or ftp(s) with a host, mailto: and tel:, a path (`/about/`, `docs/a.html`), an
    anchor or a query (`#top`, `?page=2`), or a domain, to which `http://` is added
    (`example.com/x`). Refused, where ProcessWire strips or rewrites: other schemes
    (`javascript:`, `data:`, `file:`), `//host` and `/\\host` (browsers read both as another
    site's address), and a colon before a relative URL's first `/`, `?` or `#`; also spaces,
    which ProcessWire keeps in a path or an anchor, drops from a query and blanks in a host."""

    name = "URL"
    SCHEMES = ("http", "https", "ftp", "ftps", "mailto", "tel")
    SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+-]*):")
    WITH_HOST = re.compile(r"^[a-z]+://[^\s/$.?#][^\s]*$")
    # ProcessWire's test for a domain without a scheme (Sanitizer::url)
    DOMAIN = re.compile(r"^([^\s_.]+\.)?[^-_\s.][^\s_.]+\.([a-z]{2,6})([./:#?]|$)", re.IGNORECASE)

    def sanitize(self, field: Field, value: Any) -> Any:
        text = super().sanitize(field, value)
        if not text:
            return text
        # as a browser reads it in an attribute: "&#106;avascript:" is javascript:
        decoded = html.unescape(text)
        if any(char.isspace() or ord(char) < 32 for char in decoded):
            raise self.invalid(field, value, "url", "is not a URL: it holds spaces (write %20)")
        hidden = self.SCHEME.match(decoded) if decoded != text else None
        if hidden and hidden.group(1).lower() not in self.SCHEMES:
            raise self.invalid(field, value, "url", f"is not a URL this field takes: it reads as "
                               f"the scheme {hidden.group(1).lower()}: in a page")
        scheme = self.SCHEME.match(text)
        if scheme:
            name = scheme.group(1).lower()
            text = name + text[len(name):]
            if name not in self.SCHEMES:
                raise self.invalid(field, value, "url", f"is not a URL this field takes: the scheme "
                                   f"{name}: is not allowed (use {', '.join(self.SCHEMES)}, or a "
                                   "relative URL)")
            if name in ("mailto", "tel") and len(text) > len(name) + 1 or self.WITH_HOST.match(text):
                return text
            raise self.invalid(field, value, "url", f"is not a URL: {name}: needs "
                               + ("an address after it" if name in ("mailto", "tel") else "://host"))
        if text.startswith(("//", "/\\")):
            raise self.invalid(field, value, "url", "is not a URL this field takes: //host is "
                               "another site's address without a scheme (write https://host)")
        first = text.split("/", 1)[0]
        if (text[0] not in "/#?." and "." in first and self.DOMAIN.match(text)):
            return "http://" + text
        if ":" in re.split(r"[/?#]", text, maxsplit=1)[0]:
            raise self.invalid(field, value, "url", "is not a URL: a colon before its first /, ? "
                               "or # reads as a scheme")
        return text


SURROGATE = re.compile("[\ud800-\udfff]")
# Numbers as text: ASCII digits only, where Python's int() and float() also read "1_000", Arabic
# and fullwidth digits, "nan" and "inf" (a value that would change without a word)
WHOLE_NUMBER = re.compile(r"^\s*[+-]?[0-9]+(\.0*)?\s*$")
DECIMAL_NUMBER = re.compile(r"^\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\s*$")


def has_lone_surrogate(text: str) -> bool:
    """True for text no database can store as UTF-8 (a Python str built from broken UTF-16)."""
    return SURROGATE.search(text) is not None


def surrogates_escaped(text: str) -> str:
    """`text` with each lone surrogate written as Python writes it ("\\udce9"), for text a
    module made (a file name os functions decoded) that must still be stored or shown."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


class Integer(Fieldtype):
    name = "Integer"
    column = "{BIGINT}"
    kind = "int"
    settings = {"min": None, "max": None}
    LIMIT = 2 ** 63 - 1

    def check_settings(self, field_name: str, settings: dict[str, Any]) -> dict[str, Any]:
        """min and max: numbers of this type or None (text is read, "" is None), min <= max."""
        merged = super().check_settings(field_name, settings)
        for key in ("min", "max"):
            value = merged[key]
            if value is None or (isinstance(value, str) and not value.strip()):
                merged[key] = None
                continue
            number = self.setting_number(value)
            if number is None:
                raise ValidationError(f"field {field_name!r}: {key} {str(value)[:40]!r} is not a "
                                      f"{'whole ' if self.kind == 'int' else ''}number",
                                      field=field_name, value=value, rule=key)
            if self.kind == "int" and abs(number) > self.LIMIT:     # no value gets past it
                shown = shown_number(value if isinstance(value, str) else number)
                raise ValidationError(f"field {field_name!r}: {key} {shown} is out of "
                                      f"range: a whole number here is between {-self.LIMIT:,} "
                                      f"and {self.LIMIT:,}", field=field_name, value=value, rule=key)
            merged[key] = number
        if merged["min"] is not None and merged["max"] is not None and merged["min"] > merged["max"]:
            raise ValidationError(f"field {field_name!r}: min {merged['min']} is above max "
                                  f"{merged['max']}", field=field_name, value=merged["min"],
                                  rule="min")
        return merged

    def setting_number(self, value: Any) -> int | float | None:
        return whole_number(value)

    def sanitize(self, field: Field, value: Any) -> Any:
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            value = int(value)
        if isinstance(value, float):
            if not value.is_integer():
                raise self.invalid(field, value, "integer", "is not a whole number")
            value = int(value)
        elif isinstance(value, str):
            if not WHOLE_NUMBER.match(value):
                raise self.invalid(field, value, "integer", "is not a whole number")
            number = int_of_digits(value.strip().split(".")[0])
            if abs(number) > self.LIMIT:        # shown as typed, not as the number read
                raise self.out_of_range(field, value)
            value = number
        elif not isinstance(value, int):
            raise self.invalid(field, value, "integer", "is not a whole number")
        if abs(value) > self.LIMIT:
            raise self.out_of_range(field, value)
        return value

    def check_limits(self, field: Field, value: Any) -> None:
        if value is None:
            return
        low, high = field.settings.get("min"), field.settings.get("max")
        if low is not None and value < low:
            raise self.invalid(field, value, "min", f"is below the minimum {low}")
        if high is not None and value > high:
            raise self.invalid(field, value, "max", f"is above the maximum {high}")

    def out_of_range(self, field: Field, value: Any) -> ValidationError:
        return self.invalid(field, value, "range", "is out of range: a whole number here is "
                            f"between {-self.LIMIT:,} and {self.LIMIT:,}")

    def rows(self, field: Field, db: Database, value: Any) -> list[tuple]:
        return [] if value is None or value == "" else [(value,)]


class Float(Integer):
    name = "Float"
    column = "{FLOAT}"
    kind = "float"

    def setting_number(self, value: Any) -> int | float | None:
        if isinstance(value, bool):
            return None
        try:
            number = float(value)
        except (TypeError, ValueError, OverflowError):      # (an int past the largest float)
            return None
        return number if math.isfinite(number) else None

    def sanitize(self, field: Field, value: Any) -> Any:
        if value is None or value == "":
            return None
        if isinstance(value, str) and not DECIMAL_NUMBER.match(value):
            raise self.invalid(field, value, "float", "is not a number")
        try:
            number = float(value)         # True and False are 1.0 and 0.0, as an Integer's 1 and 0
        except (TypeError, ValueError):
            raise self.invalid(field, value, "float", "is not a number") from None
        except OverflowError:        # an int past the largest float
            raise self.invalid(field, value, "float", "is not a finite number") from None
        if not math.isfinite(number):
            raise self.invalid(field, value, "float", "is not a finite number")
        return php_float(number)


def php_float_text(number: float) -> str:
    """PHP's `(string)` of a float (its `precision` of 14): 14 significant digits, in exponent
    form from 1e14 up and below 1e-4, with a decimal in its mantissa ("1.5E+14", "1.0E-7",
    "0.0001", "2"), as ProcessWire writes a number into text (implode())."""
    text = f"{number:.14G}"
    mantissa, exponent_form, exponent = text.partition("E")
    if not exponent_form:
        return text
    return f"{mantissa if '.' in mantissa else mantissa + '.0'}E{int(exponent):+d}"


def php_float(number: float) -> float:
    """`number` as ProcessWire stores a Float with no precision set: FieldtypeFloat::sleepValue
    rounds it to as many decimals as PHP's text of it shows (14 significant digits), at least
    one (getPrecision): a computed 0.1 + 0.2 is 0.3, which `price=0.3` finds, and a number
    whose text shows no decimal (12345678901234.56, or any from 1e14 up) keeps one."""
    digits, _, exponent = php_float_text(number).partition("E")
    decimals = len(digits.partition(".")[2].rstrip("0")) - int(exponent or 0)
    return round(number, max(decimals, 1))


class Checkbox(Fieldtype):
    """Checked is stored as 1; unchecked stores nothing, as in ProcessWire."""

    name = "Checkbox"
    column = "{INT}"
    kind = "int"

    def blank(self, field: Field) -> Any:
        return False

    def is_empty(self, value: Any) -> bool:
        return not value

    def sanitize(self, field: Field, value: Any) -> Any:
        if value in (True, 1, "1", "on", "true", "yes"):
            return True
        if value in (False, 0, "0", "", None, "off", "false", "no"):
            return False
        raise self.invalid(field, value, "checkbox", "is not a checkbox value (true/false, 1/0)")

    def to_row(self, field: Field, value: Any) -> tuple:
        return (1 if value else 0,)

    def from_db(self, field: Field, db: Database, data: Any) -> Any:
        return bool(data)


class Datetime(Fieldtype):
    """Stored in UTC to the second; given as datetime, date, epoch seconds, ISO text or the
    other text a selector reads as a date ("today", "January 5 2023", "-1 week")."""

    name = "Datetime"
    column = "{DATETIME}"
    kind = "datetime"

    def sanitize(self, field: Field, value: Any) -> Any:
        if value is None or value == "" or (value in (0, "0") and not isinstance(value, bool)):
            return None          # 0 clears a date, as PHP's empty() does in ProcessWire
        if isinstance(value, datetime):
            moment = value
        elif isinstance(value, date):
            moment = datetime(value.year, value.month, value.day)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            try:
                moment = datetime.fromtimestamp(value, timezone.utc)
            except (OverflowError, OSError, ValueError):
                raise self.invalid(field, value, "datetime", "is not a valid timestamp") from None
        elif isinstance(value, str):
            moment = self.text_date(field, value)
        else:
            raise self.invalid(field, value, "datetime", "is not a date")
        from .selectors.dates import as_stored  # here: the selectors import this module
        stored = as_stored(moment)       # the year checked is the one stored, in UTC
        if stored is None:
            raise self.invalid(field, value, "datetime", "is outside the years 1000..9999")
        return stored

    def text_date(self, field: Field, text: str) -> datetime:
        """Text read as selectors read a date (cms/selectors/dates.py): ISO 8601, epoch seconds
        (digits alone, as ProcessWire reads them: "20240105" is a time in 1970), "January 5
        2023", "today", "-1 week" ..., in UTC, as ProcessWire's FieldtypeDatetime hands text
        that is no number to strtotime()."""
        from .selectors.dates import DateValueError, parse_date
        if not text.strip().isdecimal():
            try:
                return datetime.fromisoformat(text.strip())     # the common case, quickly
            except ValueError:
                pass
        try:
            return parse_date(text, datetime.now(timezone.utc))
        except DateValueError:
            raise self.invalid(field, text, "datetime", "is not a date (use ISO 8601 such as "
                               "2026-11-27 12:00, epoch seconds, or a form such as "
                               "'January 5 2023' or '-1 week')") from None

    def to_row(self, field: Field, value: Any) -> tuple:
        return (value,)

    def rows(self, field: Field, db: Database, value: Any) -> list[tuple]:
        return [] if value is None or value == "" else [(db.dt_param(value),)]

    def from_db(self, field: Field, db: Database, data: Any) -> Any:
        return db.dt_value(data)


class PageRef(Fieldtype):
    """A reference to other pages. `multiple=True` holds a PageArray, else one Page or NullPage.

    Rows are `(pages_id, data, sort)`, one per referenced page, indexed by `data` so a selector
    `field=123` or a sub-selector `field=[...]` is an indexed join.
    """

    name = "Page"
    column = "{INT}"
    kind = "page"
    settings = {"multiple": False, "template": None}

    def check_settings(self, field_name: str, settings: dict[str, Any]) -> dict[str, Any]:
        merged = super().check_settings(field_name, settings)
        merged["multiple"] = merged["multiple"] not in (False, 0, "", "0", None)
        merged["template"] = merged["template"] or None
        return merged

    def table_body(self, db: Database) -> str:
        return ("pages_id {INT} NOT NULL, data {INT} NOT NULL, sort {INT} NOT NULL, "
                "PRIMARY KEY (pages_id, sort), "
                "FOREIGN KEY (pages_id) REFERENCES pages (id) ON DELETE CASCADE")

    def blank(self, field: Field) -> Any:
        from .page import NullPage, PageArray
        return PageArray([]) if field.settings.get("multiple") else NullPage()

    def is_empty(self, value: Any) -> bool:
        return not value

    def rows(self, field: Field, db: Database, value: Any) -> list[tuple]:
        return [(ref, sort) for sort, ref in enumerate(value or ())]

    def read_pages(self, field: Field, value: Any, pages: Any) -> Any:
        """Read page ids and paths as ProcessWire's FieldtypePage does, before `sanitize`, and
        refuse those that name no page (`pages`: the site's Pages).

        A string may hold page ids and paths, several separated by `|` or line breaks
        (`"/colors/red/"`, `"1012|1013"`, `"/colors/red/|/colors/blue/"`; ProcessWire reads one
        path per string), and so may each string in a list. An id or a path that names no page
        is an error: ProcessWire drops it, and the save would lose a reference without a word
        (a page deleted later is dropped from the field then). A string of spaces alone is
        empty. Selectors, titles, names and `-123` (ProcessWire: remove page 123) are refused
        by `sanitize` as anything else that is no page; assigning replaces the field's pages.
        """
        from .page import MAX_ID
        if isinstance(value, str):
            items: list[Any] = split_page_list(value)
            if not items:
                return ""
        elif isinstance(value, (list, tuple)):
            items = [part for item in value
                     for part in (split_page_list(item) if isinstance(item, str) else [item])]
        elif isinstance(value, int) and not isinstance(value, bool) and value > 0:
            items = [value]
        else:
            return value
        found: list[Any] = []
        numbers: list[int] = []
        for item in items:
            if isinstance(item, str) and item.startswith("/"):
                page = pages.get_by_path(item)
                if not page:
                    raise self.invalid(field, value, "page", f"names a page that does not exist: {item}")
                item = page
            elif isinstance(item, str) and item.isdecimal() and item.isascii():
                number = int_of_digits(item)
                if number > MAX_ID:           # shown as typed, not as the number read
                    raise self.invalid(field, value, "page", "names a page that does not "
                                       f"exist: {shown_number(item)}")
                item = number
            if isinstance(item, int) and not isinstance(item, bool) and item > 0:
                if item > MAX_ID:
                    raise self.invalid(field, value, "page", "names a page that does not "
                                       f"exist: {shown_number(item)}")
                numbers.append(item)
            found.append(item)
        missing = sorted(set(numbers) - pages.existing(numbers)) if numbers else []
        if missing:
            raise self.invalid(field, value, "page", f"names a page that does not exist: {missing[0]}")
        return found

    def sanitize(self, field: Field, value: Any) -> Any:
        """Keep page ids: pages are loaded on read, so a stored reference is never stale."""
        from .page import NullPage, Page, PageArray
        if value is None or value == "" or value == 0 or isinstance(value, NullPage):
            return []        # a NullPage (what an empty single field reads as) empties it
        if isinstance(value, PageArray):
            items = value.ids()
        else:
            items = value if isinstance(value, (list, tuple)) else [value]
        ids = []
        for item in items:
            if isinstance(item, Page):
                if not item.id:
                    raise self.invalid(field, value, "page", "holds a page that has not been saved")
                ids.append(item.id)
            elif isinstance(item, int) and not isinstance(item, bool) and item > 0:
                ids.append(item)
            elif isinstance(item, str) and item.isdecimal() and int_of_digits(item) > 0:
                ids.append(int_of_digits(item))
            else:
                raise self.invalid(field, value, "page", "is not a page, a page id or a page's path")
        ids = list(dict.fromkeys(ids))   # each page once, where first given (a PageArray there)
        if len(ids) > 1 and not field.settings.get("multiple"):
            raise self.invalid(field, value, "multiple",
                               "holds several pages; this field takes one (set multiple=True)")
        return ids


def split_page_list(text: str) -> list[str]:
    """The ids and paths in a Page field's text, without the separators and blanks."""
    return [part.strip() for part in PAGE_LIST_SEPARATORS.split(text) if part.strip()]


class MaskedPassword:
    """What a Password field reads as: never the hash. `str()` is eight stars when one is set.

    A value just set through the field (`user.set("pass", "...")`) carries the new hash to the
    database privately; one read back from the database carries nothing but the fact.
    """

    __slots__ = ("_is_set", "_digest")
    MASK = "********"

    def __init__(self, is_set: bool, digest: str | None = None):
        object.__setattr__(self, "_is_set", is_set)
        object.__setattr__(self, "_digest", digest)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a password value cannot be changed; set a new password instead")

    def __bool__(self) -> bool:
        return self._is_set

    def __str__(self) -> str:
        return self.MASK if self._is_set else ""

    def __repr__(self) -> str:
        return "<password set>" if self._is_set else "<no password>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MaskedPassword) and other is self

    __hash__ = object.__hash__

    def __reduce__(self) -> Any:
        raise TypeError("a password value cannot be pickled")


class Password(Fieldtype):
    """A password, stored as a PBKDF2 hash (see cms.passwords) and never read back as one.

    Setting plain text checks the password rules and hashes it at once; reading gives a
    `MaskedPassword`. Selectors refuse the field, so a hash cannot leak through a find either.
    """

    name = "Password"
    column = "{TEXT}"
    indexed = False
    kind = "password"
    searchable = False

    def blank(self, field: Field) -> Any:
        return MaskedPassword(False)

    def is_empty(self, value: Any) -> bool:
        return not value

    def sanitize(self, field: Field, value: Any) -> Any:
        from . import passwords
        if value is None:
            return None
        if isinstance(value, MaskedPassword):
            if value._digest is None and value:
                raise ValidationError(f"field {field.name!r}: a password read from the database "
                                      "cannot be stored again; set the new password as text",
                                      field=field.name, value="(hidden)", rule="masked")
            return value
        passwords.check_rules(value, field.name)
        return MaskedPassword(True, passwords.make_hash(value))

    def to_row(self, field: Field, value: Any) -> tuple:
        return (value._digest,)

    def from_db(self, field: Field, db: Database, data: Any) -> Any:
        return MaskedPassword(bool(data))


def whole_number(value: Any) -> int | None:
    """A setting's whole number, given as int or text; None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().removeprefix("-").isdecimal():
        return int_of_digits(value)      # past 64 bits: callers refuse it as out of their range
    return None


class Kept:
    """Values a module keeps in a table of its own (Tasker's task_state, progress ...), which
    pages read through a view the module makes under the field's table name: read, compared
    and sorted as the base type; never written by a page save (`page.set` refuses them), and
    the view is the module's to make and to drop (`Fields` neither creates nor drops it)."""

    writable = False
    owns_table = False

    def create_table(self, db: Database, table: str) -> None:
        """The module makes the view that stands in for the table."""


def kept_as(kept: Fieldtype, base: Fieldtype) -> bool:
    """Whether `kept` is a module's kept variant of the type `base` (KeptInteger of Integer),
    which reads, compares and sorts as it."""
    return isinstance(kept, Kept) and type(base) in type(kept).__bases__


class KeptInteger(Kept, Integer):
    name = "KeptInteger"


class KeptText(Kept, Text):
    name = "KeptText"


class KeptFloat(Kept, Float):
    name = "KeptFloat"


FIELDTYPES: dict[str, Fieldtype] = {
    cls.name: cls() for cls in (Text, PageTitle, Textarea, Email, URL, Integer, Float, Checkbox,
                                Datetime, PageRef, Password, KeptInteger, KeptText, KeptFloat)
}


def get_fieldtype(name: str) -> Fieldtype:
    try:
        return FIELDTYPES[name]
    except KeyError:
        raise ValidationError(f"unknown fieldtype {name!r}; known: {', '.join(sorted(FIELDTYPES))}",
                              value=name, rule="fieldtype") from None


def register_fieldtype(fieldtype: Fieldtype) -> None:
    """Let a module add its own fieldtype (for example a narrow table of hot columns)."""
    FIELDTYPES[fieldtype.name] = fieldtype
