"""Selector trees -> plans: every name and value resolved against the site, ready to compile.

A plan says *what* matches in terms both the SQL compiler and the plain-Python reference
evaluator read, so the two can be compared on random trees. Its nodes are small frozen
dataclasses; `shape()` gives the structure without the values, the key under which the compiled
SQL is cached.

Meaning (ProcessWire's, with the choices it leaves open written down here):

- Every page has a value for every field: the stored one, or the blank one when no row is
  stored. Blank is "" for text, 0 for numbers (so `qty=`, `qty=0` and `qty<5` match pages with
  no row, as ProcessWire's zero-is-empty rule does, but `qty<=0` and `qty>=0` do not: see
  `Planner.zero_rule`) and "no date" for dates (a missing date matches `date=` and `date!=x`,
  never `<` or `>`).
- Text and empty values, as ProcessWire's PageFinder treats them: `f=` matches pages storing
  no text; `f!=x` wants stored text other than x (`!f=x`, the negation of `f=x`, also takes
  the pages storing none); `<`, `>`, `<=`, `>=` and every find operator match stored text only;
  and a find or ordering operator with an empty value (`title*=`, `title<`) matches nothing.
  Values are trimmed, as ProcessWire trims them.
- `a!=x` is otherwise `!a=x`: true when no field matches any value. `a|b*=x|y`: any field,
  any value. A "!" before any other operator negates the condition (`f!%=x` is `!f%=x`);
  over several fields it negates each and keeps their OR (`!a|b%=x`: a or b lacks x), and
  on `<`, `<=`, `>`, `>=` of a number it negates the stored values alone (`!qty<5` takes
  the pages storing nothing), as ProcessWire answers both (Planner.condition).
- Text compares `fold(stored) op fold(value)` (fieldtypes.fold: case and accents ignored, as
  MySQL's default collation does for ProcessWire), by code point of the upper-case fold
  (the collation's weights: "_" after the letters), on every engine;
  `f.data op value` compares the stored text exactly. `%=` is a substring (LIKE wildcards in
  the value are literal characters), `%^=` and `%$=` a literal prefix and suffix. `*=`, `^=`
  and `$=` match a phrase (Phrase) as ProcessWire's RLIKE does: from the start of a word, at
  the start after whitespace and HTML tags, at the end before whitespace, punctuation and
  closing tags; a run of spaces and hyphens in the value matches such a run in the text.
  Where ProcessWire ends in RLIKE (`^=`, `$=`, a `*=` of several words), accents count and
  case does not (Phrase.accents); `^=`, `$=` and a `*=` of several words also want some of
  the value's words whole, as its fulltext index holds them (indexed_words).
- Word operators (WORD_OPERATORS, Words): `~=` every word of the value is a whole word of the
  text, in any order; `~|=` any of them; `~*=` (`~|*=`) every (any) word starts a word of the
  text; `~~=` whole words, the last one a prefix; `~%=` (`~|%=`) every (any) word appears
  anywhere. `**=`, `*+=`, `~+=` and `~|+=` (relevance and query expansion on ProcessWire's
  fulltext index) match as `~|=`, in the selector's order. There are no stopwords and no
  minimum word length.
- Words: a word is a maximal run of characters that are neither whitespace (the 29
  characters Python's `str.isspace()` names, such as space, tab, newline and no-break space)
  nor ASCII punctuation other than "_" (`string.punctuation`: the 32 printable ASCII
  characters other than letters, digits and space; "'" is one, "_" belongs to words as in
  MySQL's fulltext index). Text and value are split by this one rule after folding: "foo"
  is a word of "a foo, b" and of "foo-bar" but not of "foobar" or "foo_bar"; "c++" is the
  word "c". The signs in SIGNS (typographic quotes and dashes, « », ©, and invisible format
  characters such as a soft hyphen or a zero-width space) separate too, so "it’s" holds the
  word "it"; every other character, letters of any script included, is
  part of a word. A value with no word (`~=--`) matches nothing.
- `status=x` tests the bit(s) x (names such as hidden allowed); `<`, `>` compare the number.
  Without `include=`, the highest status named in a non-negated top-level status condition
  raises the status filter as ProcessWire's does (`status=hidden` finds hidden pages).
- `parent.f op v`: the parent matches `f op v`. `ref.f op v`: some referenced page does.
  `children.f op v` (`child.f`): some child does, filtered by the outer selector's include=.
  `ref=[...]`, `parent=[...]`, `id=[...]`: sub-selectors, with their own status filter, which
  is the outer selector's include= unless they name include= or status themselves.
- `num_children`, `numChildren`, `children.count`: children of any status, as ProcessWire
  counts them; `ref.count`: the pages a Page field references. OR values are each tried.
- Sorts: `sort=parent` is by the parent's name, `sort=parent.f` and `sort=ref.f` by a
  subfield of the parent or of the first referenced page (`sort=ref`: its name), `sort=ref.count`
  by the number referenced; `sort=random` by a shuffle fixed for the plan.
- OR-groups `(a), (b)` (and each named set `n=(a), n=(b)`): at least one group matches. They
  are filtered only by the status filter of the selector around them, as in ProcessWire.
"""
from __future__ import annotations

import contextlib
import difflib
import functools
import math
import operator
import random
import re
import string
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Union

from .. import textindex
from ..digits import int_of_digits
from ..errors import SelectorError
from ..fieldtypes import fold
from ..page import Page
from .dates import DateValueError, is_relative, parse_date
from .parser import Condition, Group, Selector, Value, parse

if TYPE_CHECKING:
    from ..site import Site

# A page's status names, and the other spellings and statuses ProcessWire's selectors know
STATUS_NAMES = {**Page.STATUS_NAMES, "systemid": Page.STATUS_SYSTEM_ID, "reserved": 2,
                "flagged": 128, "internal": 256, "temp": 512}
STATUS_HIDDEN, STATUS_UNPUBLISHED, STATUS_TRASH = (Page.STATUS_HIDDEN, Page.STATUS_UNPUBLISHED,
                                                   Page.STATUS_TRASH)
# include= -> pages admitted have status below this (None: every page).
INCLUDE = {"hidden": 2048, "unpublished": 8192, "trash": 16384, "all": None}
# Several include= in one selector: PageFinder sets an option for each and then reads them in
# this order, so the first of these given holds whatever the selector's order:
# `include=hidden, include=all` is include=all, `include=unpublished, include=hidden` is
# include=hidden (ProcessWire 3.0.256 answers so).
INCLUDE_PRECEDENCE = ("all", "hidden", "unpublished", "trash")
DEFAULT_THRESHOLD = STATUS_HIDDEN
INT_LIMIT = 2 ** 63 - 1
COUNT_MAX = 10 ** 12 - 1     # the largest limit= or start= (12 digits)
ORDER_OPERATORS = frozenset(("=", "<", ">", "<=", ">="))
# ProcessWire's word operators -> (any word suffices, how each word matches: whole, prefix,
# part, or last = whole words but the last a prefix). Without a fulltext index the expanding
# ones (+) match any of the words and the relevance ones (**) match as ~|= does.
WORD_OPERATORS = {"~=": (False, "whole"), "~|=": (True, "whole"), "~*=": (False, "prefix"),
                  "~|*=": (True, "prefix"), "~~=": (False, "last"), "~%=": (False, "part"),
                  "~|%=": (True, "part"), "~+=": (True, "whole"), "~|+=": (True, "whole"),
                  "**=": (True, "whole"), "**+=": (True, "whole"), "*+=": (True, "whole")}
TEXT_OPERATORS = frozenset(("=", "<", ">", "<=", ">=", "*=", "%=", "^=", "$=", "%^=", "%$=",
                            *WORD_OPERATORS))
META_KEYS = ("sort", "limit", "start", "include", "check_access", "get_total")
# ProcessWire's other spellings of keys (PageFinder reads both), unless a field has the name
KEY_ALIASES = {"hasParent": "has_parent", "checkAccess": "check_access", "getTotal": "get_total"}
KEYS = ("id", "parent", "parent_id", "has_parent", "template", "templates_id", "name", "path",
        "url", "status", "created", "modified", "created_users_id", "modified_users_id", "num_children",
        "numChildren", "children", "child", *META_KEYS)
CHILD_COUNT_NAMES = ("num_children", "numChildren", "children.count")
OWNER = "__owner"          # refs__owner.title=x: see Planner.owned
SORT_COMPARISONS = ("!=", "<", ">", "<=", ">=")   # sort<op>N: see is_sort_comparison
REF_ROW_COLUMNS = ("data", "sort", "pages_id")     # of a Page field's table: see is_ref_row_column
# The operators ProcessWire calls find operators (Selector::compareTypeFind): on `parent.path`
# they are a find of the parents (see Planner.is_parent_path_find)
FIND_OPERATORS = TEXT_OPERATORS - ORDER_OPERATORS
PARTIAL_DATE_OPERATORS = ("%=", "^=")     # on a Datetime field: the date's text, in part
# Names of `pages` columns (ProcessWire's native fields) usable as `children.<name>`.
NATIVE_COLUMNS = frozenset(("id", "name", "status", "sort", "created", "modified", "created_users_id",
                            "modified_users_id", "templates_id", "template", "parent_id",
                            "parent"))
# The subfields of a Page field that ProcessWire compares in its join of the referenced pages
# (FieldtypePage::getMatchQueryNative), `!=` included: see Planner.condition
REF_JOINED_COLUMNS = frozenset(("template", "templates_id", "parent", "parent_id", "created",
                                "modified"))
# Keys that may not be joined by | with other fields (PageFinder::initStatus refuses `status|qty=5`:
# "OR-condition not supported"), and the OR-group to write instead
NO_OR_FIELDS = {"has_parent": "(has_parent=...), (parent=...)", "status": "(status=hidden), (qty=5)"}
# The subfields of a Page field that ProcessWire compares with = < > in that join, whatever the
# referenced page's status, where others run a find of them (see Planner.referenced_threshold)
REF_NATIVE_NAMES = REF_JOINED_COLUMNS | {"id", "name", "status"}
# The subfields of a Page field ProcessWire answers without a find of the referenced pages
# (FieldtypePage::getMatchQuery), so an @ group (see Planner.grouped_condition) adds nothing to
# them; REF_NATIVE_NAMES too, given one of DATABASE_OPERATORS
REF_UNGROUPED = frozenset(("id", "data", "pages_id", "path", "url", "sort", "count"))
DATABASE_OPERATORS = ORDER_OPERATORS | {"!=", "&"}
# The word rule of `~=` (see the module docstring); the SQL compiler builds its patterns from it.
WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004"
              "\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
# MySQL's fulltext tokenizer ends a word at every character that is not a letter, a digit or
# "_": beside ASCII punctuation, the signs of Latin-1 and of General Punctuation that text
# from a word processor brings (’ “ ” – — … « » ¡ ¿ · ©), so "it’s" holds the word "it", and
# their invisible format characters (a soft hyphen, a zero-width space or joiner, direction
# marks), which ProcessWire's words array splits a value at too (\pC)
SIGNS = "".join(chr(code) for code in (*range(0xA1, 0xC0), 0xD7, 0xF7, *range(0x2000, 0x2070),
                                       *range(0x20A0, 0x20C1))
                if unicodedata.category(chr(code))[0] in "PSC" and chr(code) not in WHITESPACE)
WORD_SEPARATORS = WHITESPACE + string.punctuation.replace("_", "") + SIGNS
WORD_SPLIT = re.compile("[" + re.escape(WORD_SEPARATORS) + "]+")
PUNCTUATION_AND_SPACE = frozenset(string.punctuation + " ")


def names_status(trees: list[Selector]) -> bool:
    """Whether a selector names a status condition of its own (then a sub-selector is handed
    no include= by PageFinder::preProcessSubSelector)."""
    return any(isinstance(item, Condition) and item.fields[0] == "status"
               for tree in trees for item in tree.items)


def prevailing_include(first: str | None, second: str) -> str:
    """Of two include= values, the one PageFinder reads first (INCLUDE_PRECEDENCE)."""
    if first is None or INCLUDE_PRECEDENCE.index(second) < INCLUDE_PRECEDENCE.index(first):
        return second
    return first


def _in_bracket(char: str) -> str:
    """`char` as a bracket class holds it: its specials escaped with a backslash, which PCRE2
    (MariaDB), Python's re (SQLite) and PostgreSQL's advanced REs all read alike."""
    return "\\" + char if char in "\\[]^-" else char


def _bracket(chars: str) -> str:
    """A bracket class of `chars`."""
    return "[" + "".join(map(_in_bracket, chars)) + "]"


SEPARATOR_CLASS = _bracket(WORD_SEPARATORS)
NOT_SEPARATOR_CLASS = "[^" + SEPARATOR_CLASS[1:]     # a word's character


def _ranges_bracket(chars: str) -> str:
    """A bracket class of `chars` (sorted), runs of consecutive characters written as ranges."""
    codes = sorted(set(map(ord, chars)))
    runs: list[list[int]] = []
    for code in codes:
        if runs and code == runs[-1][1] + 1:
            runs[-1][1] = code
        else:
            runs.append([code, code])
    return "[" + "".join(_in_bracket(chr(low)) if low == high
                         else f"{_in_bracket(chr(low))}-{_in_bracket(chr(high))}"
                         for low, high in runs) + "]"


SPACE_CLASS = _bracket(WHITESPACE)
# What `$=` skips at the end of a value: MariaDB's `[[:punct:]]` (PCRE2 with Unicode
# properties), ASCII punctuation and every character of Unicode's P categories (– ’ ” …), not
# other symbols (€ ©); the Basic Multilingual Plane's, read once at import.
PUNCTUATION = string.punctuation + "".join(
    chr(code) for code in range(0x80, 0x10000) if unicodedata.category(chr(code))[0] == "P")
PUNCT_CLASS = _ranges_bracket(PUNCTUATION)
# The run of punctuation a `$=` phrase may be followed by (before its closing tags), which
# stops where the run does, or at the run's last "<" when that opens a tag holding more than
# punctuation ("end!!<b>": "!!", then "<b>"). Tags made only of punctuation ("<!>") are
# punctuation too, so those are all the places it need stop; where it could stop anywhere, a
# backtracking matcher (Python's re: SQLite's REGEXP) tried every place of a long run.
PUNCT_RUN = (f"({PUNCT_CLASS}+(?!{PUNCT_CLASS})|{PUNCT_CLASS}*"
             f"(?=<{_ranges_bracket(PUNCTUATION.replace('<', '').replace('>', ''))}*"
             f"[^{PUNCT_CLASS[1:]}))")
MAX_SORTS = 10


# -- targets: what a condition compares --------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Column:
    """A column of `pages`. kind: "int", "id" (a page id: values may be paths or sub-selectors),
    "datetime" or "name"."""

    name: str
    kind: str


@dataclass(frozen=True, slots=True)
class PathColumn:
    """The page's path ("/a/b/") from pages_paths."""

    kind: str = "path"


@dataclass(frozen=True, slots=True)
class FieldColumn:
    """A single-valued field (one row or none per page). kind: text, int, float, datetime."""

    field: str
    table: str
    kind: str
    folded: bool


@dataclass(frozen=True, slots=True)
class RefColumn:
    """A Page field: zero or more rows (pages_id, data=referenced id, sort) per page."""

    field: str
    table: str
    kind: str = "id"


@dataclass(frozen=True, slots=True)
class StatusColumn:
    kind: str = "int"


@dataclass(frozen=True, slots=True)
class ChildCount:
    """How many children a page has, whatever their status (num_children)."""

    kind: str = "int"


@dataclass(frozen=True, slots=True)
class RefCount:
    """How many pages a Page field references (`ref.count`)."""

    field: str
    table: str
    kind: str = "int"


@dataclass(frozen=True, slots=True)
class Related:
    """A sort key read from another page: the parent's (`sort=parent.title`) or the first
    referenced page's (`sort=ref.title`); or the template's name (`sort=template`, as
    ProcessWire sorts). `via` is "parent", "template" or the Page field's RefColumn."""

    via: Any
    target: Any
    kind: str = "related"


@dataclass(frozen=True, slots=True)
class Random:
    """`sort=random`: a shuffle of the ids fixed by `seed` (the same order page after page)."""

    seed: int
    kind: str = "int"


@dataclass(frozen=True, slots=True)
class Ancestors:
    """has_parent: a page is below the page given (at any depth, never itself)."""

    kind: str = "id"


Target = Union[Column, PathColumn, FieldColumn, RefColumn, StatusColumn, ChildCount, RefCount,
               Related, Random, Ancestors]


# -- values -------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PathRef:
    """The id of the page at this path, looked up by the database inside the same query."""

    path: str


@dataclass(frozen=True, slots=True)
class TemplatesWith:
    """The ids of the templates that have a field, read by the database in the same query."""

    field_id: int


@dataclass(frozen=True, slots=True)
class ParentsOf:
    """The parents of the pages a sub-query finds (`children.title=x`: a child matches)."""

    query: Query


@dataclass(frozen=True, slots=True)
class ReferencedBy:
    """The pages that the pages a sub-query finds reference in a Page field (`refs__owner.f`:
    the owners are found, then what their field holds)."""

    query: Query
    table: str
    field: str


@dataclass(frozen=True, slots=True)
class Words:
    """The words of a word operator's value: all of them must match (any one, if `any`),
    each as a whole word, a word's prefix, a part of the text, or whole but the last a prefix."""

    words: tuple[str, ...]
    any: bool = False
    match: str = "whole"
    joined: tuple[str, ...] = ()
    written: tuple[str, ...] = ()

    def terms(self) -> tuple[tuple[str, str | None], ...]:
        """What must match, per word and per joined word (below): the text a LIKE '%...%'
        looks for, and the regular expression that must match besides (None: none).

        `written`: the joined words as the value wrote them, for a field compared folded:
        ProcessWire matches them by RLIKE, which ignores case but not accents, so their
        expressions are matched on the stored text (`on_stored`), each letter in any case
        (`~=über-cool` does not find "uber-cool")."""
        last = len(self.words) - 1
        out: list[tuple[str, str | None]] = []
        for index, word in enumerate(self.words):
            how = self.match if self.match != "last" else ("prefix" if index == last else "whole")
            # a page name's word may hold "." and "-" (plan.name_leaf)
            out.append((word, None if how == "part" else
                        _bounded(word, literal_pattern(word), how == "whole")))
        for index, token in enumerate(self.joined):
            # as rlikeValue: a hyphen is a space, and a run of them matches any run of both;
            # an apostrophe matches either kind, so the LIKE looks for a run without one
            shown, literal = (self.written[index], either_case) if self.written else (token, regex_literal)
            pieces = re.sub(" +", " ", shown.replace("-", " ")).split(" ")
            if len(pieces[-1]) > 1 and pieces[-1][-1] == "’" and pieces[-1][-2] not in WORD_SEPARATORS:
                # a curly one ending the phrase may be left out: after a word's character the
                # phrase without it matches wherever it does, at a word's end too
                pieces[-1] = pieces[-1][:-1]
            body = "[- ]+".join(_phrase_token(piece, literal) for piece in pieces)
            out.append((max(re.split("[- '’]+", token), key=len),
                        _bounded(" ".join(pieces), body, self.match != "prefix")))
        return tuple(out)

    def on_stored(self) -> tuple[bool, ...]:
        """Per term of terms(): whether its expression is matched on the stored text."""
        return (False,) * len(self.words) + (bool(self.written),) * len(self.joined)


@dataclass(frozen=True, slots=True)
class Phrase:
    """A `*=`, `^=` or `$=` value, matched as ProcessWire's RLIKE does: a run of spaces and
    hyphens in the value matches such a run in the text, a straight apostrophe matches a curly
    one (and a curly one may be left out after a word); `*=` finds the phrase starting at a word, `^=` at
    the start after any whitespace and HTML tags, `$=` at the end before any whitespace,
    punctuation and closing tags (a `*=` value starting with punctuation: right after a word's
    character, as `\\b` places it). `at`: word, start or end.

    `accents`: the value as written, for a field compared folded where ProcessWire matches by
    RLIKE (`^=`, `$=`, a `*=` of several words): RLIKE ignores case but not accents (MySQL and
    MariaDB apply no collation to a regular expression), so `title^=elder` does not find
    "Élder" nor `title$=cafe` "Café", where `title*=elder` (one word: the fulltext index)
    does. The folded text is narrowed first (by an index or LIKE), then the stored text is
    matched by `accent_pattern()`: `pattern()` with each letter's cases in a bracket
    class."""

    text: str
    at: str
    junk: tuple[tuple[str, str], ...] | None = ()
    accents: str = ""

    def pattern(self) -> str:
        return self._expression(self.text, regex_literal)

    def accent_pattern(self) -> str:
        return self._expression(self.accents, either_case)

    def _expression(self, text: str, literal: Callable[[str], str]) -> str:
        """ProcessWire's RLIKE for the phrase. Its `^[[:space:]]*(<[^>]+>)*[[:space:]]*`
        before a `^=` and `[[:space:]]*[[:punct:]]*[[:space:]]*(<[^>]+>)*[[:space:]]*$`
        after a `$=` are written as expressions matching the same texts with no two runs of
        whitespace side by side (each but the first after what must come between them, the
        punctuation or the tags), and the punctuation stopping only where a tag may follow
        (PUNCT_RUN): a backtracking matcher (Python's re: SQLite's REGEXP) shared a run of
        spaces, or of punctuation and tags, out among them in every way before failing, in
        time growing as the cube of the run (a stored body of a word, 4,000 spaces and an "x"
        held `body$=word` for 150 s)."""
        tokens = re.split(" +", text.replace("-", " "))
        body = "[- ]+".join(_phrase_token(token, literal) for token in tokens)
        if self.at == "start":
            return f"^{SPACE_CLASS}*((<[^>]+>)+{SPACE_CLASS}*)?{body}"
        if self.at == "end":
            return f"{body}{SPACE_CLASS}*({PUNCT_RUN}{SPACE_CLASS}*)?((<[^>]+>)+{SPACE_CLASS}*)?$"
        if text[:1] and text[0] in WORD_SEPARATORS:
            # ProcessWire's `\b` before a value starting with punctuation (`*=/path/to`)
            # holds where a word's character comes right before it ("x.com/path/to")
            return f"{NOT_SEPARATOR_CLASS}{body}"
        return f"(^|{SEPARATOR_CLASS}){body}"

    def literal(self) -> str:
        """The longest run of the value every match contains as it is (for a LIKE pre-filter)."""
        return max(re.split("[- '’]+", self.text), key=len)

    def lead(self) -> str:
        """What a `^=` match starts with when the text has no leading whitespace or tags."""
        return re.split("[- '’]", self.text, maxsplit=1)[0] if self.at == "start" else ""


def _phrase_token(token: str, literal: Callable[[str], str]) -> str:
    """One space-separated part of a phrase. An apostrophe matches a straight or a curly one;
    a curly one ending the part may be left out, a straight one may not: rlikeValue() means
    both to be optional, but its str_replace() turns "'" into "('|’)" and then that "’" again,
    so its "('|’) " test never sees the straight one (ProcessWire 3.0.256 finds nothing by
    `title$=O'` and "Jalapeño" by `title$=O’`)."""
    out = []
    for index, char in enumerate(token):
        if char in "'’":
            out.append("('|’)" + ("?" if char == "’" and index == len(token) - 1 else ""))
        else:
            out.append(literal(char))
    return "".join(out)


def either_case(char: str) -> str:
    """`char` as a regular expression matching it in any case and nothing else ("é":
    `[Éé]`, "σ": `[Σςσ]`), on every engine, whatever the column's collation: its lower and
    upper case and every letter Unicode's case folding makes one with it, as MariaDB's
    caseless RLIKE does ("s" and "ſ", "k" and the Kelvin sign, "ß" and "ẞ")."""
    cases = {case for case in (char, char.lower(), char.upper()) if len(case) == 1}
    cases |= case_partners().get(simple_fold(char), frozenset())
    return f"[{''.join(sorted(cases))}]" if len(cases) > 1 else regex_literal(char)


def simple_fold(char: str) -> str:
    """The one character `char` folds to for a caseless match: its case folding, or its lower
    case where folding gives several ("ß" -> "ss": "ß", as "ẞ" -> "ß"), else itself ("İ")."""
    for folded in (char.casefold(), char.lower()):
        if len(folded) == 1:
            return folded
    return char


@functools.cache
def case_partners() -> dict[str, frozenset[str]]:
    """The letters sharing a simple_fold(), keyed by it ("σ": Σ, σ, ς; "k": K, k and the
    Kelvin sign), read once from Unicode's tables (every cased letter lies in the first two
    planes)."""
    groups: dict[str, set[str]] = {}
    for char in map(chr, range(0x20000)):
        folded = simple_fold(char)
        if folded != char:
            groups.setdefault(folded, {folded}).add(char)
    return {key: frozenset(group) for key, group in groups.items()}


def literal_pattern(text: str) -> str:
    """A regular expression matching `text` as it is, on every engine."""
    return "".join(regex_literal(char) for char in text)


def regex_literal(char: str) -> str:
    """`char` as a regular expression matching itself on every engine: ASCII punctuation
    and space escaped by a backslash (PCRE2, Python's re and PostgreSQL's AREs all read a
    backslash before such a character as the character itself), everything else as it is."""
    return "\\" + char if char in PUNCTUATION_AND_SPACE else char


# -- nodes ----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Leaf:
    """`target op value` for any of `values`. `blank`: a page storing no value matches too."""

    target: Target
    op: str
    values: tuple[Any, ...]
    blank: bool = False

    def shape(self) -> tuple:
        return ("L", self.target, self.op, tuple(value_shape(self.op, v) for v in self.values),
                self.blank)


@dataclass(frozen=True, slots=True)
class AllOf:
    items: tuple[Node, ...]

    def shape(self) -> tuple:
        return ("A", *(item.shape() for item in self.items))


@dataclass(frozen=True, slots=True)
class AnyOf:
    items: tuple[Node, ...]

    def shape(self) -> tuple:
        return ("O", *(item.shape() for item in self.items))


@dataclass(frozen=True, slots=True)
class Not:
    item: Node

    def shape(self) -> tuple:
        return ("N", self.item.shape())


Node = Union[Leaf, AllOf, AnyOf, Not]


@dataclass(frozen=True, slots=True)
class Sort:
    target: Target
    desc: bool


@dataclass(frozen=True, slots=True)
class Query:
    """What to find: pages matching `where` with status below `threshold` (None: any), ordered
    by `sorts` then id (in the direction of the last sort), `start` and `limit` applied.

    `check_access` is False for `check_access=0`, and for `include=all` unless the selector
    says `check_access=1` (as ProcessWire); `access` is the acting user's view filter
    (cms.access.ViewFilter), put in by the engine per call.
    """

    where: Node
    threshold: int | None
    sorts: tuple[Sort, ...] = ()
    limit: int | None = None
    start: int | None = None       # None: the selector gives no start= (pagination may set it)
    check_access: bool = True
    access: Any = None
    # the first include= and check_access= written (None: none), which ProcessWire's findOne
    # asks of a page viewable() refuses (Selectors::getSelectorByField gives the first)
    include: str | None = None
    check_access_given: bool | None = None
    get_total: bool = True         # get_total=0: `.total` is the number found, as ProcessWire's
    # A sub-query that ProcessWire runs as a find of its own for the acting user: a [...]
    # sub-selector (unless it says check_access=0 or include=all), two dots, `children.f` of a
    # field, `parent.num_children` and the owners of `refs__owner.f` (unless the outer selector
    # lifts it, each as Planner says); the engine gives it the user's view filter (with_view).
    user_access: bool = False

    def shape(self) -> tuple:
        view = self.access
        access = None if view is None else (view.exclude, len(view.templates), view.trash_exclude,
                                            len(view.trash_templates))
        if access is not None and any(isinstance(sort.target, Related) for sort in self.sorts):
            # a sort key read from another page writes the user's templates into the text
            access = (view.exclude, view.templates, view.trash_exclude, view.trash_templates)
        return (self.where.shape(), self.threshold is not None, self.sorts, access, self.check_access)

    @property
    def offset(self) -> int:
        """How many matches to skip under the selector's own `limit`: `start` counts only with
        one, as in ProcessWire (getQueryStartLimit), so `start=2` alone, or in `find_one`,
        skips nothing."""
        return (self.start or 0) if self.limit is not None else 0

    def paged(self, page_num: int) -> int:
        """The offset on page `page_num` of a paginated request: ProcessWire's getQueryStartLimit
        starts a find that has a `limit` and no `start=` at `(page_num - 1) * limit`."""
        if self.start is None and self.limit is not None and page_num > 1:
            return (page_num - 1) * self.limit
        return self.offset


NAME_FIND = {"^=": "%^=", "%^=": "%^=", "$=": "%$=", "%$=": "%$="}   # others: "%="
NAME_QUOTES = str.maketrans("", "", "'\"`")
NAME_OTHER = re.compile(r"[^-_.a-zA-Z0-9]")


def name_value(text: str) -> str:
    """A selector's value as ProcessWire compares it with page names: Sanitizer::pageName
    without its beautify step (the site's name charset is ASCII). The first 128 bytes; quotes,
    backticks, control characters and everything outside ASCII dropped, not spelled out
    ("Café" is "caf"; a value of guillemets alone becomes hyphens); any other character
    but a-z, 0-9, "-", "_" and "." a hyphen; lower case."""
    head = text.encode("utf-8")[:128].decode("utf-8", "ignore")
    kept = "".join(char for char in head.translate(NAME_QUOTES) if 32 <= ord(char) < 128)
    if not kept:
        kept = "".join(char for char in re.sub("[<>«»‹›]", "-", head.translate(NAME_QUOTES))
                       if 32 <= ord(char) < 128)
    return NAME_OTHER.sub("-", kept).lower()


def _bounded(text: str, body: str, whole: bool) -> str:
    """`body` (the expression of `text`) between RLIKE's word boundaries (\\b): where `text`
    starts or ends with a word character, a separator or the text's edge beside it; where it
    starts or ends with a separator ("pie-", "pie."), a word character beside it."""
    start = NOT_SEPARATOR_CLASS if text[0] in WORD_SEPARATORS else f"(^|{SEPARATOR_CLASS})"
    if not whole:
        return start + body
    return start + body + (NOT_SEPARATOR_CLASS if text[-1] in WORD_SEPARATORS
                           else f"({SEPARATOR_CLASS}|$)")


JOINERS = ("->", "-", ".", ":")


def joined_words(text: str) -> tuple[str, ...]:
    """The space-separated parts of a word operator's value that join words by "-", ".", ":"
    or "->" ("apple-pie", "v1.2", "http:"): ProcessWire's getBooleanModeWords asks each of
    them to match as a phrase too (RLIKE '\\bapple[- ]+pie\\b'), beside its words."""
    return tuple(token for token in text.split(" ")
                 if any(token.find(joiner) > 0 for joiner in JOINERS))


def fold_value(target: Target, text: str) -> str:
    """A text value as its target stores it: folded for a text field (fieldtypes.fold, upper
    case), in lower case for a page's path (its names are lower case), as it is for the
    stored text (`title.data`)."""
    if not isinstance(target, FieldColumn):
        return fold(text).lower()
    return fold(text) if target.folded else text


def words(text: str) -> tuple[str, ...]:
    """The words of `text` by the `~=` rule, in order ("a foo, b-c" -> a, foo, b, c)."""
    return tuple(word for word in WORD_SPLIT.split(text) if word)


def value_words(text: str) -> tuple[str, ...]:
    """The words of a word operator's or `*=` value as ProcessWire's words array reads them
    (Sanitizer::wordsArray): it splits at a separator together with the punctuation around
    it, "_" included, so a word loses a "_" at its end and one after a separator (`~=foo_`,
    `~="x _foo"`: foo), but the value's first word has no separator before it and keeps a
    leading one (`~=_foo` wants the word "_foo")."""
    out = []
    for index, word in enumerate(words(text)):
        word = word.rstrip("_") if index == 0 and text.startswith(word) else word.strip("_")
        if word:
            out.append(word)
    return tuple(out)


def last_word_once(found: tuple[str, ...], written: str) -> tuple[str, ...]:
    """The words of a `~~=` value (`found`, folded) without the earlier ones that repeat its
    last word as written: ProcessWire's getBooleanModeWords keys the words by their text, so
    the last word's '+word*' replaces their '+word' (`~~="data data"` finds "database"); a
    word written in another case is another key (`~~="data DATA"` still wants "data")."""
    raw = value_words(written)
    if len(raw) != len(found) or len(raw) < 2:
        return found
    return tuple(word for word, as_written in zip(found[:-1], raw[:-1]) if as_written != raw[-1]) + found[-1:]


TAG = re.compile("<[^>]*>")
# `*=`, `^=` and `$=` match a phrase, and the word operators each word as written (its
# parts between spaces), by regular expressions, which PostgreSQL compiles in time growing as
# the square of their length (16,000 characters: 1 s; 50,000: 20 s before it says "too
# complex"). ProcessWire cuts such a value to under 500 characters; a longer phrase or word
# than this is refused on every engine alike (many words are not: each is its own expression).
PHRASE_OPERATORS = frozenset(("*=", "^=", "$="))
MATCH_MAX_LENGTH = 2_000
INDEX_MIN_LENGTH = 3     # InnoDB's innodb_ft_min_token_size: shorter words are not indexed
# InnoDB's default stopwords (INFORMATION_SCHEMA.INNODB_FT_DEFAULT_STOPWORD): not indexed either
INNODB_STOPWORDS = frozenset("a about an are as at be by com de en for from how i in is it la of on or "
                             "that the this to und was what when where who will with www".split())


def without_tags(text: str) -> str:
    """`text` with each tag (`<...>`) a space, as `TAG.sub(" ", text)`, in time linear in its
    length: no tag ends after the last ">", where sub() tried each "<" against the rest of the
    text (a value of 100,000 "<" took 15 s)."""
    end = text.rfind(">") + 1
    return TAG.sub(" ", text[:end]) + text[end:]


def is_indexed(word: str) -> bool:
    """Whether ProcessWire asks its fulltext index for `word` (isIndexableWord)."""
    return len(word) >= INDEX_MIN_LENGTH and word.lower() not in INNODB_STOPWORDS


def indexed_words(op: str, text: str) -> Words | None:
    """The words ProcessWire asks its fulltext index for before the RLIKE of a `^=`, `$=` or
    `*=` value (MATCH ... AGAINST in boolean mode), as a word test on the folded text, or
    None: none. Of the value's words (tags stripped) the index holds (three characters or
    more, no stopword: is_indexed), matchStartEnd wants for `^=` the first whole and the
    last starting a word ('+first +last*', or '+only*'), for `$=` the second whole
    ('+second': the first may be a word's end), its escape dropping the "+" of the words
    between, so they are optional; matchPhrase wants for a `*=` of several words the last
    starting a word and the others whole (one such: '+word'; several with no other word
    among them: '+"a b"'; else they are optional). The phrase holds these words, so this
    counts only where the index sees another word: a "_" beside one (`^="data_ x"`,
    `*="x #_data"`, or "x data_" in the text for `$="x data"`), as the index keeps "_" in
    words and the words array drops it beside punctuation."""
    every = value_words(fold(without_tags(text)).strip())
    found = [word for word in every if is_indexed(word)]
    if op == "^=" and len(found) > 1:
        # one word ('+only*') asks nothing the phrase does not: a text starting with the value
        # holds a word starting with that word, "_" or not
        return Words((found[0], found[-1]), match="last")
    if op == "$=" and len(found) > 1:
        return Words((found[1],))
    if op == "*=" and len(every) > 1:
        *rest, last = every
        whole = list(dict.fromkeys(word for word in rest if is_indexed(word)))
        if len(whole) > 1 and not all(map(is_indexed, rest)):
            whole = []      # its good words are keyed by their text: a repeated one counts once
        if is_indexed(last):
            return Words((*whole, last), match="last")
        return Words(tuple(whole)) if whole else None
    return None


def value_shape(op: str, value: Any) -> Any:
    if isinstance(value, Query):
        return ("Q", value.shape())
    if isinstance(value, ParentsOf):
        return ("C", value.query.shape())
    if isinstance(value, ReferencedBy):
        return ("R", value.table, value.query.shape())
    if isinstance(value, TemplatesWith):
        return "T"
    if isinstance(value, Words):
        return ("W", value.any, tuple(pattern is None for _, pattern in value.terms()), value.on_stored())
    if isinstance(value, Phrase):
        lead = value.lead()
        return ("P", value.at, bool(value.literal()), bool(lead) and prefix_upper(lead) is not None,
                bool(lead), None if value.junk is None else len(value.junk), bool(value.accents))
    if op == "%^=" and isinstance(value, str):
        return ("^", prefix_upper(value) is not None)
    if op == "%=" and isinstance(value, str):      # a trigram index takes three characters
        return ("%", len(value) >= textindex.MIN_LENGTH)
    if value is None:
        return None
    return type(value).__name__


def prefix_upper(prefix: str) -> str | None:
    """The least string above every string that starts with `prefix` (None: no such bound).

    Strings starting with P are exactly those in [P, upper) in code point order, which is the
    byte order of UTF-8 that every engine's binary collation uses: a prefix match is an index
    range instead of a LIKE scan.
    """
    text = prefix
    while text:
        code = ord(text[-1]) + 1
        if code == 0xD800:
            code = 0xE000
        if code <= 0x10FFFF:
            return text[:-1] + chr(code)
        text = text[:-1]
    return None


def compare(op: str, stored: Any, value: Any) -> bool:
    """Whether a page's (effective) value satisfies `op value`: the meaning of each operator."""
    if op == "=":
        return stored == value
    if op == "&":
        return stored is not None and (stored & value) != 0
    if stored is None or value is None:
        return False
    if op == "<":
        return stored < value
    if op == ">":
        return stored > value
    if op == "<=":
        return stored <= value
    if op == ">=":
        return stored >= value
    if op == "%=":
        return value in stored
    if op == "%^=":
        return stored.startswith(value)
    if op == "%$=":
        return stored.endswith(value)
    if op in ("*=", "^=", "$="):
        return re.search(value.pattern(), stored) is not None
    if op == "~=":
        terms = value.terms()
        if not terms:
            return False
        found = (re.search(pattern, stored) if pattern else like in stored for like, pattern in terms)
        return any(found) if value.any else all(found)
    raise AssertionError(op)


BLANK = {"text": "", "int": 0, "float": 0.0, "datetime": None}


def owner_field(name: str) -> str:
    """"refs" for "refs__owner.title" (ProcessWire's owner selector), else ""."""
    head = name.partition(".")[0]
    return head[:-len(OWNER)] if head.endswith(OWNER) and len(head) > len(OWNER) else ""


def is_sort_comparison(item: Condition) -> bool:
    """`sort>2`, `sort!=3` (any operator but `=`) compare the page's `sort` column, as
    ProcessWire does (PageFinder::getQuery; `page.sort=3` too), where `sort=x` orders by x."""
    return item.fields == ("sort",) and item.operator in SORT_COMPARISONS


def is_field_guard(node: Node) -> bool:
    """Whether `node` limits a condition to the pages whose template has a field."""
    return (isinstance(node, Leaf) and node.target == Column("templates_id", "id")
            and len(node.values) == 1 and isinstance(node.values[0], TemplatesWith))


SORT_KEYS: dict[str, Target] = {
    "id": Column("id", "id"), "name": Column("name", "name"), "status": Column("status", "int"),
    "sort": Column("sort", "int"), "created": Column("created", "datetime"),
    "modified": Column("modified", "datetime"), "template": Related("template", Column("name", "name")),
    "templates_id": Column("templates_id", "id"), "parent": Related("parent", Column("name", "name")),
    "parent_id": Column("parent_id", "id"), "created_users_id": Column("created_users_id", "int"),
    "modified_users_id": Column("modified_users_id", "int"), "path": PathColumn(),
    "url": PathColumn(),        # ProcessWire's other name for path, in sorts as in conditions
    "num_children": ChildCount(),
    # ProcessWire's join of the template: its name, or its id (PageFinder::getQuerySortSelector)
    "template.name": Related("template", Column("name", "name")),
    "template.id": Column("templates_id", "id"),
}


# -- the planner ----------------------------------------------------------------------------------
class Planner:
    """Resolves parsed selectors against the site's fields and templates.

    One Planner serves one call: `now` is fixed for it, so "today" means one moment throughout.
    """

    def __init__(self, site: Site, now: datetime | None = None):
        self.site = site
        self.now = now or datetime.now(timezone.utc)
        self._operator_at = 0    # where the operator of the condition being planned stands
        # What the plan was resolved against, so a cached plan can be checked cheaply: a field
        # or template re-created since is another object. `volatile`: it uses "now".
        self.depends: list[tuple[str, str | int, Any]] = []
        self.volatile = False
        # The status filter the outer selector's include= sets, which ProcessWire gives to
        # `children.f` sub-queries and to `[...]` sub-selectors that name no include= or status.
        self.outer_threshold: int | None = DEFAULT_THRESHOLD
        # Whether the outer selector checks access, which `children.f` sub-queries inherit.
        self.outer_checks_access = True
        # The include= the selector around an OR-group names (None: none), which the owner
        # selectors inside the group take as they would outside it.
        self.outer_include: str | None = None
        # Planning for `pages.get()`, ProcessWire's findAll option (see query).
        self.find_all = False
        # The positions of the fields holding numbers in the condition being planned, beside
        # others that take its text values (see numbers_aside).
        self._numbers_aside: frozenset[int] = frozenset()
        # The Page field of the @ group condition being planned, and the other conditions of
        # its group, which its referenced page must meet too (see grouped_condition).
        self._grouped: tuple[str, tuple[tuple[Selector, Condition], ...]] | None = None

    # -- errors ------------------------------------------------------------------------------
    @staticmethod
    def error(tree: Selector, message: str, position: int, token: str = "", hint: str = "") -> SelectorError:
        return SelectorError(message, selector=tree.text, position=position, token=token, hint=hint)

    # -- top level ---------------------------------------------------------------------------
    def query(self, trees: list[Selector], find_all: bool = False) -> Query:
        """The plan for selectors given together (a base such as "parent_id=5", then the caller's).

        `find_all`, as ProcessWire's `findAll` option (PageFinder::initStatus, set by
        `$pages->get()`): no status excludes a page, an include= in the selector does not narrow
        that, and access is not checked unless the selector names check_access."""
        trees = [self.spelled(tree) for tree in trees]
        self.find_all = find_all
        query = self._query(trees, top=True)
        if not find_all:
            return query
        named = [(tree, item) for tree in trees for item in tree.items
                 if isinstance(item, Condition) and item.fields[0] == "check_access"]
        check_access = bool(named) and self.count_value(*named[-1]) != 0
        return replace(query, threshold=None, check_access=check_access)

    def spelled(self, tree: Selector) -> Selector:
        """`tree` with ProcessWire's other spellings of keys as ours (KEY_ALIASES, and
        `refs.owner.title` for `refs__owner.title`), in its groups and sub-selectors too; a
        field named so (or named `owner`) keeps its meaning, as there."""
        if not any(alias in tree.text for alias in KEY_ALIASES) and ".owner." not in tree.text:
            return tree
        return replace(tree, items=tuple(self._spelled_item(item) for item in tree.items))

    def _spelled_item(self, item: Condition | Group) -> Condition | Group:
        if isinstance(item, Group):
            return replace(item, selector=self.spelled(item.selector))
        fields = tuple(KEY_ALIASES[name] if name in KEY_ALIASES and self.site.fields.get(name) is None
                       else name.replace(".owner.", OWNER + ".", 1)
                       if ".owner." in name and self.site.fields.get("owner") is None
                       else name for name in item.fields)
        values = tuple(replace(value, sub=self.spelled(value.sub)) if value.sub is not None else value
                       for value in item.values)
        return replace(item, fields=fields, values=values)

    def _query(self, trees: list[Selector], top: bool, group: bool = False) -> Query:
        """The plan of a selector, or of a [...] sub-selector or an OR-group (not `top`). What a
        sub-selector finds by (its own include= and check_access=, else the outer include= it
        is handed) is also what the `children.f`, two-dot and sub-selector finds inside it are
        given, as ProcessWire runs the sub-selector as a find of its own: an outer include=all
        or check_access=0 does not reach them. A `group` is part of the selector around it."""
        outer, find_all, outer_access = self.outer_threshold, self.find_all, self.outer_checks_access
        around = self.outer_include
        # A sub-selector is a find of its own, without findAll; an OR-group is part of the
        # selector around it, so in `pages.get()` it is planned as findAll too (ProcessWire
        # finds each group with findAll, PageFinder::postProcessQuery): `(name|title%=x)`
        # matches the title as `name|title%=x` outside the group does.
        if not top and not group:
            self.find_all = False
        named = [text for text in (item.values[0].text.strip().lower() for tree in trees
                                   for item in tree.items
                                   if isinstance(item, Condition) and item.fields[0] == "include"
                                   and item.values) if text in INCLUDE]
        prevailing = functools.reduce(prevailing_include, named, None)     # None: none named
        if prevailing is not None:
            self.outer_threshold = INCLUDE[prevailing]
        elif not top and not group and (outer is None or names_status(trees)):
            # PageFinder::preProcessSubSelector copies no include= here (see _query_of)
            self.outer_threshold = DEFAULT_THRESHOLD
        if not group:
            self.outer_include = prevailing
            checks = [(tree, item) for tree in trees for item in tree.items
                      if isinstance(item, Condition) and item.fields[0] == "check_access"]
            # findAll (`pages.get()`) hands its own finds check_access=0 unless the selector
            # names check_access (PageFinder::getIncludeSelector)
            self.outer_checks_access = (self.count_value(*checks[-1]) != 0 if checks else not self.find_all
                                        and (self.outer_threshold is not None or not named))
        try:
            return self._query_of(trees, top, outer, group)
        finally:
            if not top:
                self.outer_threshold, self.find_all, self.outer_checks_access = outer, find_all, outer_access
                self.outer_include = around

    def _query_of(self, trees: list[Selector], top: bool, outer: int | None, group: bool) -> Query:
        """`_query` once the include= that applies inside is known; `outer`: the one around."""
        nodes: list[Node] = []
        groups: dict[str, list[Node]] = {}
        sorts: list[Sort] = []
        limit: int | None = None
        start: int | None = None
        include: str | None = None            # the include= that prevails
        first_include: str | None = None
        check_access: bool | None = None      # as check_access= says, when it says
        first_check_access: bool | None = None
        get_total = True
        max_status: int | None = None
        has_parent_key = False
        parent_value = ""
        parent_values: tuple[Value, ...] = ()
        sort_compared = False
        owners: dict[str, list[tuple[Selector, Condition]]] = {}
        members: dict[str, list[tuple[Selector, Condition]]] = {}      # of each @ group
        for tree in trees:
            for item in tree.items:
                if isinstance(item, Condition) and item.group is not None:
                    members.setdefault(item.group, []).append((tree, item))
        for tree in trees:
            for item in tree.items:
                if isinstance(item, Group):
                    groups.setdefault(item.name, []).append(self.group(tree, item))
                    continue
                key = item.fields[0]
                owner = owner_field(key)
                if owner:
                    owners.setdefault(owner, []).append((tree, item))
                    continue
                if key in META_KEYS and not is_sort_comparison(item):
                    self.check_meta(tree, item, top)
                    if key == "sort":
                        sorts += [self.sort(tree, value) for value in item.values]
                        if len(sorts) > MAX_SORTS:
                            raise self.error(tree, f"more than {MAX_SORTS} sort keys",
                                             item.position, "sort")
                    elif key == "limit":
                        limit = self.count_value(tree, item) or None
                    elif key == "start":
                        start = self.count_value(tree, item)
                    elif key == "include":
                        named = self.include_value(tree, item)
                        first_include = first_include or named
                        include = prevailing_include(include, named)
                    elif key == "get_total":
                        get_total = self.get_total_value(tree, item)
                    else:
                        check_access = self.count_value(tree, item) != 0   # check_access=0|1
                        first_check_access = (check_access if first_check_access is None
                                              else first_check_access)
                    continue
                # sort>2 counts as a sort asked (PageFinder::initStatus's $hasSort): no
                # parent's order is added for it
                sort_compared = sort_compared or is_sort_comparison(item)
                node = (self.condition(tree, item) if item.group is None
                        else self.grouped_condition(tree, item, members[item.group]))
                # flattened, so a field every page must store is joined INNER
                nodes.extend(node.items if isinstance(node, AllOf) else (node,))
                if key == "status" and len(item.fields) == 1:
                    max_status = self.status_ceiling(item, node, max_status)
                if key in ("parent", "parent_id"):
                    # one parent named: its children come by their sort, as ProcessWire
                    # takes that parent's sort field (PageFinder::getParentID); of several
                    # ids, the first listable one's (see children_sort); several paths, or
                    # two parent conditions, in the default order.
                    # As there, any operator names one (`parent!=5` takes 5's sort field)
                    texts = [value.text.strip() for value in item.values]
                    has_parent_key = (parent_value == "" and len(item.fields) == 1
                                      and (len(texts) == 1
                                           or all(t.isascii() and t.isdecimal() for t in texts)))
                    parent_value = texts[0] if has_parent_key else "-"
                    parent_values = item.values
        if group:
            # an OR-group names no include= nor check_access=: its owner selectors take those
            # of the selector around it, as they would outside the group
            include, check_access = self.outer_include, self.outer_checks_access
        for name, conditions in owners.items():
            nodes.append(self.owned(name, conditions, include, check_access))
        for members in groups.values():
            nodes.append(members[0] if len(members) == 1 else AnyOf(tuple(members)))
        where: Node = nodes[0] if len(nodes) == 1 else AllOf(tuple(nodes))
        # a [...] sub-selector is a find of its own for the user (PageFinder hands it neither
        # the outer check_access= nor include=all), unless it lifts access itself
        own_access = include != "all" if check_access is None else check_access
        if not top:
            if include is None and not names_status(trees):
                # PageFinder::preProcessSubSelector copies the outer include= into a
                # sub-selector that has neither include= nor status, as the status<N that
                # include=hidden, unpublished or trash became: include=all adds none, so
                # the sub-selector keeps the default
                threshold = DEFAULT_THRESHOLD if outer is None else outer
                return Query(where, threshold, user_access=own_access)
            return Query(where, self.threshold(include, max_status), user_access=own_access)
        if not sorts and not sort_compared and has_parent_key and parent_values:
            sorts = self.children_sort(parent_values)
        return Query(where, self.threshold(include, max_status), tuple(sorts), limit, start,
                     # include=all lifts the access check unless check_access= says otherwise
                     check_access=include != "all" if check_access is None else check_access,
                     include=first_include, check_access_given=first_check_access,
                     get_total=get_total)

    def owned(self, name: str, conditions: list[tuple[Selector, Condition]], include: str | None,
              check_access: bool | None) -> Node:
        """`refs__owner.title=x, refs__owner.qty>2`: the pages that some page referencing them
        in `refs` (its owner) matches, every such condition asked of the same owner, as
        ProcessWire's PageFinder::getQueryOwnerField. The owners are a find of their own among
        the templates having the field: with the outer include= (hidden when none is given),
        and the user's view access unless the outer check_access=0 or include=all lifts it,
        or `pages.get()` does (findAll hands it check_access=0 when none is named)."""
        tree, first = conditions[0]
        field = self.field(tree, name, first.position)
        target = self.field_target(tree, field, first.position)
        if not isinstance(target, RefColumn):
            raise self.error(tree, f"{name} is not a Page field: {name}{OWNER} finds the pages a "
                             f"Page field's owners hold", first.position, f"{name}{OWNER}")
        asked = []
        for tree, item in conditions:
            fields, positions = [], []
            for text, position in zip(item.fields, item.field_positions):
                head, _, rest = text.partition(".")
                if head != name + OWNER or not rest:
                    raise self.error(tree, f"{name}{OWNER} takes a subfield of the owner, and every "
                                     f"field beside it must be one too", position, text,
                                     f"write {name}{OWNER}.title=x or {name}{OWNER}.id|{name}"
                                     f"{OWNER}.name=x")
                fields.append(rest)
                positions.append(position + len(head) + 1)
            asked.append(replace(item, fields=tuple(fields), field_positions=tuple(positions)))
        own_include = include or "hidden"
        if check_access is None and self.find_all:
            check_access = False
        at = first.position
        asked.append(Condition(("include",), "=", (Value(own_include, at),), False, at, (at,), at))
        if own_include != "all" and check_access is not None:
            asked.append(Condition(("check_access",), "=", (Value(str(int(check_access)), at),),
                                   False, at, (at,), at))
        query = self._query([Selector(tuple(asked), tree.text)], top=False)
        having = Leaf(Column("templates_id", "id"), "=", (TemplatesWith(field.id),))
        query = replace(query, where=AllOf((having, query.where)))
        return Leaf(Column("id", "id"), "=", (ReferencedBy(query, target.table, target.field),))

    def grouped_condition(self, tree: Selector, item: Condition,
                          members: list[tuple[Selector, Condition]]) -> Node:
        """`@refs.title=x, @refs.qty=3` (ProcessWire's "@" before a Page field's subfields, and
        `a@refs.title=x` a group named a): the pages referencing one page that meets them all,
        where without the @ each may be met by another referenced page. As there
        (FieldtypePage::getMatchQueryCustom), a condition its find of the referenced pages
        answers is asked with the group's other conditions on that field, but those written
        with a leading `!`: `@refs.title!=x` is the pages referencing no page titled x that
        meets the others; so are those with a negated operator but `!=` (`@refs.title!%=x`),
        which ProcessWire stores as the same `not` flag. On any other field, and on a subfield
        ProcessWire compares without that find (REF_UNGROUPED, a column given a
        DATABASE_OPERATORS), the @ changes nothing."""
        if len(item.fields) > 1:
            raise self.error(tree, "a condition of an @ group names one field", item.field_positions[1],
                             item.fields[1], "write one condition per subfield: @refs.title=x, @refs.qty=3")
        head, _, rest = item.fields[0].partition(".")
        op = item.operator if item.operator == "!=" else item.operator.lstrip("!")
        if (not rest or "." in rest or rest in REF_UNGROUPED or not self.is_page_field(head)
                or (rest in REF_NATIVE_NAMES and op in DATABASE_OPERATORS)):
            return self.condition(tree, item)
        others = tuple((other_tree, other) for other_tree, other in members if other is not item
                       and not other.negated and (other.operator == "!=" or other.operator[0] != "!")
                       and other.fields[0].partition(".")[0] == head)
        for _, other in others:
            if other.fields[0] == f"{head}.count":
                raise self.error(tree, f"{head}.count cannot join an @ group", other.position,
                                 other.fields[0], f"write {head}.count without the @")
        if not others:
            return self.condition(tree, item)
        self._grouped = (head, others)
        try:
            return self.condition(tree, item)
        finally:
            self._grouped = None

    def with_group(self, head: str, inner: Node) -> Node:
        """`inner`, a condition on the page `head` references, and the other conditions of the
        @ group being planned (see grouped_condition), asked of the same page."""
        if self._grouped is None or self._grouped[0] != head:
            return inner
        grouped, self._grouped = self._grouped, None
        try:
            asked = (self.subfield_condition(tree, other, head, other.fields[0].partition(".")[2])
                     for tree, other in grouped[1])
            return AllOf((inner, *asked))
        finally:
            self._grouped = grouped

    def children_sort(self, parents: tuple[Value, ...]) -> list[Sort]:
        """The order of one parent's children: its template's `sortfield` (ProcessWire's
        PageFinder takes the parent's sort field so), else their `sort`. Only where some
        template sets one is the parent looked up, and the plan is then made again at each
        call (a page's template, or a template's setting, or the user, may change). The parent
        is the page `pages.get()` gives for the value, as PageFinder asks `$pages->get()`: for
        a sub-selector (`parent=[template=shelf]`), its first match. Of several ids, the first
        one a find without include= lists for the acting user (PagesLoader::findShortcut reads
        an id list so, keeping the pages filterListable admits: below hidden, and listable());
        when it lists none, no parent's order (the default one)."""
        by_hand = [Sort(Column("sort", "int"), False)]
        if not self.site.templates.sortfields():
            return by_hand
        self.volatile = True
        parent = parents[0]
        if len(parents) > 1:
            ids = [int(value.text.strip()) for value in parents]
            listed = set(self.site.pages.find("id=" + "|".join(map(str, ids))).ids())
            first = next((page_id for page_id in ids if page_id in listed), None)
            if first is None:
                return []
            parent = Value(str(first), parent.position)
        text = parent.text.strip()
        if parent.sub is not None:
            page = self.site.pages.get(text[1:-1])
        else:
            page = self.site.pages.get(int(text) if text.isascii() and text.isdecimal()
                                       else normal_path(text))
        sortfield = page.template.settings.get("sortfield") if page else ""
        if not sortfield:
            return by_hand
        tree = parse(f"sort={sortfield}")
        return [self.sort(tree, value) for item in tree.items for value in item.values]

    @staticmethod
    def threshold(include: str | None, max_status: int | None) -> int | None:
        if include is not None:
            return INCLUDE[include]
        if max_status is None or max_status < STATUS_HIDDEN:
            return DEFAULT_THRESHOLD
        if max_status < STATUS_UNPUBLISHED:
            return STATUS_UNPUBLISHED
        if max_status < STATUS_TRASH:
            return STATUS_TRASH
        return None

    @staticmethod
    def status_ceiling(item: Condition, node: Node, current: int | None) -> int | None:
        """ProcessWire raises the status filter to admit the statuses a selector asks for."""
        if item.negated or item.operator == "!=" or not isinstance(node, Leaf):
            return current
        for value in node.values:
            if current is None or value > current:
                current = value
        return current

    def group(self, tree: Selector, group: Group) -> Node:
        for item in group.selector.items:
            # `sort>2` compares the sort position (a condition, as outside a group); `sort=x` orders
            if isinstance(item, Condition) and item.fields[0] in META_KEYS and not is_sort_comparison(item):
                raise self.error(tree, f"{item.fields[0]}= is not allowed inside an OR-group",
                                 item.position, item.fields[0],
                                 "put sort, limit, start and include outside the parentheses")
        return self._query([group.selector], top=False, group=True).where

    def check_meta(self, tree: Selector, item: Condition, top: bool) -> None:
        key = item.fields[0]
        if len(item.fields) > 1:
            raise self.error(tree, f"{key} cannot be combined with other fields", item.position, key)
        if item.operator != "=" or item.negated:
            raise self.error(tree, f"{key} takes '=' only", item.position, key,
                             "write sort=field to order by it, or compare the page's sort "
                             "position with != < > <= >=" if key == "sort" else f"write {key}=value")
        if not top and key != "include" and key != "check_access":
            raise self.error(tree, f"{key}= is not allowed in a sub-selector", item.position, key,
                             "sort, limit and start apply to the outer selector only")
        if key != "sort" and len(item.values) > 1:
            raise self.error(tree, f"{key} takes one value", item.values[1].position, key)
        for value in item.values:
            if value.sub is not None:
                raise self.error(tree, f"{key} does not take a sub-selector", value.position, value.text)

    def count_value(self, tree: Selector, item: Condition) -> int:
        value = item.values[0]
        text = value.text.strip()
        if not text.isdecimal() or not text.isascii() or len(text) > len(str(COUNT_MAX)):
            # ProcessWire counts a negative limit or start from the end (README's differences)
            hint = ("for the last N matches, sort the other way and take the first N "
                    "(sort=-title, limit=N)" if text.startswith("-") and item.fields[0] in ("limit", "start")
                    else "")
            raise self.error(tree, f"{item.fields[0]} must be a whole number from 0 to {COUNT_MAX}",
                             value.position, text, hint)
        return int(text)

    def get_total_value(self, tree: Selector, item: Condition) -> bool:
        """get_total=0 (or 1, calc, count: ProcessWire's kinds of counting, both a COUNT here)."""
        value = item.values[0]
        text = value.text.strip().lower()
        if text in ("calc", "count"):
            return True
        if not text.isdecimal() or not text.isascii():
            raise self.error(tree, "get_total takes 0 or 1 (or calc, count)", value.position, value.text)
        return int_of_digits(text) != 0

    def include_value(self, tree: Selector, item: Condition) -> str:
        value = item.values[0]
        text = value.text.strip().lower()
        if text not in INCLUDE:
            raise self.error(tree, f"unknown include={value.text!r}", value.position, value.text,
                             "use include=hidden, unpublished, trash or all")
        return text

    def sort(self, tree: Selector, value: Value) -> Sort:
        text = value.text.strip()
        # `-title` and `title-` alike, as PageFinder::getQuerySortSelector reads a minus at
        # either end (and WireArray::sort in memory)
        desc = text.startswith("-") or text.endswith("-")
        name = text.strip("-").strip() if desc else text
        if name == "random":
            self.volatile = True     # a new order each call; one order while a call pages
            return Sort(Random(random.randrange(1, 2 ** 31)), False)
        if name in CHILD_COUNT_NAMES:
            return Sort(ChildCount(), desc)
        if "." in name and name not in SORT_KEYS:
            return Sort(self.related_sort(tree, name, value.position), desc)
        target: Target | None = SORT_KEYS.get(name)
        if target is None:
            field = self.field(tree, name, value.position, what="sort field")
            target = self.field_target(tree, field, value.position)
            if isinstance(target, RefColumn):
                # ProcessWire sorts by the referenced page's name
                target = Related(target, Column("name", "name"))
        return Sort(target, desc)

    def related_sort(self, tree: Selector, name: str, position: int) -> Target:
        """`parent.title`, `-parent.name`, `ref.title`, `ref.count`: one level down."""
        head, rest = name.split(".", 1)
        via: Any
        if rest == "data" and head != "parent":
            field = self.field(tree, head, position, what="sort field")
            if field.type.folded:
                return FieldColumn(field.name, field.table, "text", False)   # exact text
            if field.type.kind != "page":
                return self.field_target(tree, field, position)      # the field's own column
        if head == "parent":
            via = "parent"
        else:
            field = self.field(tree, head, position, what="sort field")
            via = self.field_target(tree, field, position)
            if not isinstance(via, RefColumn):
                raise self.error(tree, f"cannot sort by {name!r}", position, name,
                                 "sort by parent.<field> or <Page field>.<field>")
            if rest == "count":
                return RefCount(via.field, via.table)
        if rest == "path":
            rest = "name"       # ProcessWire sorts parent.path by the parent's name too
        inner: Target | None = SORT_KEYS.get(rest)
        if inner is None or not isinstance(inner, Column):
            field = self.field(tree, rest, position, what="sort field")
            inner = self.field_target(tree, field, position)
            if not isinstance(inner, FieldColumn):
                raise self.error(tree, f"cannot sort by {name!r}", position, name,
                                 "sort by a subfield that holds one value")
        return Related(via, inner)

    # -- conditions --------------------------------------------------------------------------
    def condition(self, tree: Selector, item: Condition, subfield: bool = False) -> Node:
        """`subfield`: the condition is a subfield's (`refs.created!=0`) planned on its own."""
        op, negate = item.operator, item.negated
        if op.startswith("!") and op != "!=":
            op, negate = op[1:], not negate      # title!%=x is !title%=x, as in ProcessWire
        self._operator_at = item.operator_position
        for key, example in NO_OR_FIELDS.items():
            if len(item.fields) > 1 and key in item.fields:
                at = item.field_positions[item.fields.index(key)]
                raise self.error(tree, f"{key} cannot be joined by | with other fields", at,
                                 key, f"write two conditions, or an OR-group: {example}")
        if not self._numbers_aside and (aside := self.numbers_aside(item)):
            self._numbers_aside = aside
            try:
                return self.condition(tree, item, subfield)
            finally:
                self._numbers_aside = frozenset()
        if (self.find_all and len(item.fields) > 1 and not negate
                and (op == "!=" or op not in ORDER_OPERATORS - {"="})):
            besides = self.besides_a_column(tree, item)
            if besides is not None:
                return besides
        if (not subfield and op in ("=", "!=", "<", "<=", ">=") and item.fields[0] in ("created", "modified")
                and len(item.fields) == 1 and len(item.values) == 1 and item.values[0].sub is None
                and item.values[0].text.strip() == "0"):
            # PageFinder turns a created or modified date of 0 into NULL (1970-01-01 00:00:01
            # for `>`): `created=0`, `created!=0` and `created>=0` find nothing, and with a
            # leading ! (`!created=0`) every page. A subfield's 0 is the epoch, as elsewhere.
            # A find operator (`created%=0`) is refused below, as ProcessWire refuses it.
            return AllOf(()) if item.negated else AnyOf(())
        not_equal = op == "!="
        if not_equal:
            op, negate = "=", not negate
        head, _, rest = item.fields[0].partition(".")
        if (not_equal and item.negated and len(item.fields) == 1 and head in ("children", "child")
                and "." not in rest and item.fields[0] not in CHILD_COUNT_NAMES):
            # `!children.qty!=66`, `!children!=[...]`: ProcessWire negates the whole children
            # condition (the pages having no child whose qty is other than 66), where the two
            # negations of a page's own field cancel
            return Not(self.condition(tree, replace(item, negated=False), subfield))
        if (not item.negated and len(item.fields) == 1 and "." in rest
                and item.fields[0] not in CHILD_COUNT_NAMES
                and (head in ("parent", "children") or self.is_page_field(head))):
            return self.double_dot(tree, item, head, rest)
        if (not_equal and not item.negated and item.fields in (("children",), ("child",))
                and (queries := self.sub_queries(item.values))):
            # `children!=[title=x]`: ProcessWire joins the children, of any status, that the
            # sub-selector does not find: the pages having such a child
            return with_child(Query(Not(Leaf(Column("id", "id"), "=", queries)), None))
        if (not_equal and not item.negated and item.fields in (("children",), ("child",))
                and all(value.sub is None for value in item.values)):
            # `children!=123` is `children.id!=123` there: the pages having a child other
            # than 123 (`!children=123` stays the pages having no child 123)
            return self.condition(tree, replace(item, fields=(f"{head}.id",)), subfield)
        if (negate and len(item.fields) == 1 and head in ("children", "child") and rest
                and item.fields[0] not in CHILD_COUNT_NAMES
                and ((not_equal and not item.negated) or rest in NATIVE_COLUMNS)):
            # ProcessWire finds the children first for `children.title!=x` (and for a leading
            # ! on a column of pages: `!children.name=x`): the pages having a child whose
            # title is not x. `!children.title=x` stays the pages having no child titled x.
            inner = self.subfield_condition(tree, item, head, rest)
            return with_child(self.children_query(inner, rest))
        if (len(item.fields) == 1 and head == "parent" and rest
                and ((not_equal and not item.negated and rest not in NATIVE_COLUMNS)
                     or (negate and rest in NATIVE_COLUMNS and rest != "id"))):
            # `parent.title!=x` is ProcessWire's `title!=x` asked of the parents: a parent
            # storing a title other than x (`!parent.title=x` takes untitled parents too). A
            # column of the parent's row (`parent.name!=x`, `!parent.template=t`) is compared
            # in an inner join of the parent (PageFinder::getQueryNativeField), negated or not:
            # home, having no parent, never matches. `parent.id` is the parent's id as written.
            inner = self.subfield_condition(tree, item, head, rest)
            if rest in CHILD_COUNT_NAMES:       # a sub-selector there, see related
                return with_parent(Query(inner, self.outer_threshold, user_access=self.sub_access))
            return with_parent(Query(inner, None))
        if (not_equal and not item.negated and len(item.fields) == 1 and rest in REF_JOINED_COLUMNS
                and (target := self.ref_target(tree, head, item.field_positions[0]))):
            # ProcessWire joins the referenced pages on the column itself for these subfields
            # (FieldtypePage::getMatchQueryNative): `refs.template!=x` is the pages referencing
            # some page whose template is not x (`refs.title!=x` and `refs.name!=x` stay the
            # pages referencing no page titled or named x)
            inner = (Not(self.ref_parent_leaf(tree, rest, "=", subfield_values(head, item.values)))
                     if rest in ("parent", "parent_id") else self.subfield_condition(tree, item, head, rest))
            return Leaf(target, "=", (Query(inner, None),))
        if (not item.negated and len(item.fields) > 1 and (not_equal or (op == "=" and not negate))
                and (any(name in NATIVE_COLUMNS for name in item.fields)
                     or (not_equal and any(name.startswith(("parent.", "children.", "child."))
                                           for name in item.fields)))):
            # PageFinder::arrangeFields puts the columns of pages first, wherever they are
            # written, and getQueryNativeField then makes each field a find of its own, joined
            # by OR (`title|name!=x`: a title other than x or a name other than x; `title|name=`:
            # the pages storing no title); so too with a parent or children subfield anywhere
            # and `!=` (`parent.title|summary!=x`: a parent titled other than x, or a summary
            # other than x)
            return AnyOf(tuple(
                self.condition(tree, replace(item, fields=(name,), field_positions=(position,)))
                for name, position in zip(item.fields, item.field_positions)))
        # ProcessWire negates `!qty<5` over the stored values alone (PageFinder turns it into
        # "not among the pages storing a value below 5"), so pages storing nothing match it
        stored_only = negate and op in ("<", "<=", ">", ">=")
        leaves = [self.leaf(tree, name, op, item.values, position, stored_only)
                  for name, position in zip(item.fields, item.field_positions)]
        node: Node = leaves[0] if len(leaves) == 1 else AnyOf(tuple(leaves))
        if not negate and op == "=" and len(leaves) > 1 and len(item.values) == 1:
            empty = [i for i, name in enumerate(item.fields)
                     if "." not in name and self.is_empty_value(name, item.values[0])]
            if empty and len(empty) < len(leaves):
                # PageFinder::getQuery: the fields whose type calls the value empty are asked
                # by whereEmptyValuePossible, joined to the others' OR by AND (`title|qty=0`:
                # a title "0" and no qty), where each type alone would answer its own way
                return AllOf((AnyOf(tuple(leaf for i, leaf in enumerate(leaves) if i not in empty)),
                              AnyOf(tuple(leaves[i] for i in empty))))
        if not negate:
            return node
        if not not_equal:
            # ProcessWire negates `!title|body%=x` (and `title|body!%=x`) field by field, each
            # as it negates it alone, and keeps the fields' OR: a page matches when one of the
            # fields does not match (`!refs.title|title=x`: one referenced page not titled x,
            # or no title x)
            negated = [self.negated_field(tree, item, name, position, op, leaf)
                       for name, position, leaf in zip(item.fields, item.field_positions, leaves)]
            return negated[0] if len(negated) == 1 else AnyOf(tuple(negated))
        if (not_equal and not item.negated and len(leaves) > 1 and len(item.values) > 1
                and any(all(self.is_empty_value(name, value) for name in item.fields)
                        for value in item.values)):
            # `qty|price!=0|3` is neither value, each asked as alone (ProcessWire's answer):
            # the empty one joins the fields by OR, as below
            return AllOf(tuple(self.condition(tree, replace(item, values=(value,)))
                               for value in item.values))
        if (not_equal and not item.negated and len(leaves) > 1 and len(item.values) == 1
                and all(self.is_empty_value(name, item.values[0]) for name in item.fields)):
            # PageFinder::whereEmptyValuePossible joins the fields with OR for a value their
            # types call empty: `title|headline!=` (and `qty|price!=0`) is the pages storing
            # either; `title|headline!=x` is the pages storing neither x
            return AnyOf(tuple(
                self.condition(tree, replace(item, fields=(name,), field_positions=(position,)))
                for name, position in zip(item.fields, item.field_positions)))
        if not_equal and not item.negated and isinstance(node, AllOf) and is_field_guard(node.items[0]):
            # `ref.count!=2`, as `ref.count=2`, looks only at pages whose template has the field
            guard, *counted = node.items
            return AllOf((guard, Not(counted[0] if len(counted) == 1 else AllOf(tuple(counted)))))
        if not_equal and not item.negated and len(leaves) > 1:
            # `refs.count|qty!=1` (and `title|body!=x`): ProcessWire takes the pages where
            # neither field is 1, each field's `!=` as alone, so `refs.count!=1` looks only at
            # pages whose template has refs and `title!=x` at pages storing a title
            return AllOf(tuple(
                self.condition(tree, replace(item, fields=(name,), field_positions=(position,)))
                for name, position in zip(item.fields, item.field_positions)))
        if not_equal and not item.negated:
            # ProcessWire: text `f!=x` wants a stored value other than x (`!f=x` takes blanks).
            present = tuple(Leaf(leaf.target, "?", ()) for leaf in leaves if isinstance(leaf, Leaf)
                            and isinstance(leaf.target, FieldColumn) and leaf.target.kind == "text"
                            and not leaf.blank)
            if present:
                return AllOf((*present, Not(node)))
        return Not(node)

    def negated_field(self, tree: Selector, item: Condition, name: str, position: int, op: str,
                      node: Node) -> Node:
        """The negation of `node`, the condition `op` on the one field `name` of `item`
        (`!refs.title=x`, `!title%=x`), alone or among the fields ProcessWire negates one by one."""
        if isinstance(node, Leaf) and isinstance(node.target, RefColumn):
            if "." in name or op not in ORDER_OPERATORS:
                # `!refs.title=x`, `refs.title!%=x`: ProcessWire negates each referenced page's
                # row, so a page matches when it references nothing or a page not matching
                # (`refs.title!=x` is the pages referencing no page titled x). What it negates
                # is the row's page being among those its find admits and matching (in
                # `pages.get()`, include=hidden), so a page it does not admit counts as one
                # not matching.
                (query,) = node.values
                if query.threshold is None and not query.user_access:
                    return references_nothing_or(node.target, replace(query, where=Not(query.where)))
                outside = Not(Leaf(Column("id", "id"), "=", (query,)))
                return references_nothing_or(node.target, Query(outside, None))
            if (op == "=" and node.values and None not in node.values
                    and all(value.sub is None for value in item.values)):
                # `!refs=/a/` (or an id, or a name) is negated per referenced page too: a page
                # referencing nothing or some page other than those (`refs!=/a/`: none of them)
                others = Query(Not(Leaf(Column("id", "id"), "=", node.values)), None)
                return references_nothing_or(node.target, others)
        if self.is_parent_path_find(name, op):
            # `parent.path!%=x`: ProcessWire negates the parent's being among the pages that
            # find gives, in its join of the parent: a parent it does not give (hidden, say)
            # matches, and home, which has no parent, never does
            assert isinstance(node, Leaf)
            (query,) = node.values
            return with_parent(Query(Not(Leaf(Column("id", "id"), "=", (query,))), None))
        if isinstance(node, AllOf) and is_field_guard(node.items[0]):
            # `!refs.count<2`: ProcessWire negates the count inside the field's LEFT JOIN and
            # takes the pages with no row there ("(NOT ...) OR pages_id IS NULL"), so a page
            # referencing nothing matches whatever the count asked (`!refs.count=0` too)
            target = self.ref_target(tree, name.partition(".")[0], position)
            assert target is not None
            return AnyOf((Not(node), references_nothing(target)))
        return Not(node)

    def numbers_aside(self, item: Condition) -> frozenset[int]:
        """Where `item` is `=` or `!=` on several fields (`id|name=about`, `title|qty=Apple`)
        with a value that is no number, the positions of the fields holding numbers (`id`,
        Integer, Float, Checkbox): no id or number equals such a value, so those fields take
        the values that are numbers, and with none their `=` matches nothing (`!=`: every
        page), as ProcessWire answers, while the other fields answer as written. Alone, or
        where every field holds numbers, such a value stays the mistake it is (README)."""
        if (len(item.fields) < 2 or item.operator not in ("=", "!=")
                or any(value.sub is not None for value in item.values)
                or not any(self.is_text(value) for value in item.values)):
            return frozenset()
        holders = [position for name, position in zip(item.fields, item.field_positions)
                   if self.holds_numbers(name)]
        return frozenset(holders) if len(holders) < len(item.fields) else frozenset()

    def holds_numbers(self, name: str) -> bool:
        field = self.site.fields.get(name)
        return name == "id" or field is not None and field.type.kind in ("int", "float")

    def is_text(self, value: Value) -> bool:
        """A value that is neither empty nor a number."""
        text = value.text.strip()
        return bool(text) and self._float(text) is None

    def besides_a_column(self, tree: Selector, item: Condition) -> Node | None:
        """`name|title%=x` in `pages.get()` (findAll): where one of the fields is a column of
        pages or a parent or children subfield, ProcessWire's getQueryNativeField finds each
        other field's pages by a find of their own with the selector's include= (none: no
        hidden or unpublished page), not findAll. None when no field is such a column."""
        native = [name.split(".")[0] in NATIVE_COLUMNS or name.startswith(("children.", "child."))
                  for name in item.fields]
        if not any(native) or all(native):
            return None
        parts = []
        for name, position, is_native in zip(item.fields, item.field_positions, native):
            node = self.condition(tree, replace(item, fields=(name,), field_positions=(position,)))
            parts.append(node if is_native else Leaf(Column("id", "id"), "=", (
                Query(node, self.outer_threshold, user_access=self.sub_access),)))
        return AnyOf(tuple(parts))

    def double_dot(self, tree: Selector, item: Condition, head: str, rest: str) -> Node:
        """`refs.parent.title=x`, `parent.parent.title!=x`: ProcessWire rewrites `a.b.c op v` as
        the sub-selector `a=[b.c op v]` (PageFinder::preProcessSelector), which finds the pages
        in the middle by the outer include= (none: no hidden or unpublished page), where one
        dot (`refs.title`, `parent.title`) joins them whatever their status. That sub-selector
        is a find of the user's own (PageFinder::preProcessSubSelector): it sees only pages the
        user may view, unless the outer selector says include=all, which it is given (the
        outer check_access= is not). In `pages.get()` (findAll) it is given include=all."""
        threshold, find_all = (None if self.find_all else self.outer_threshold), self.find_all
        self.find_all = False           # the sub-selector is a find of its own, without findAll
        try:
            inner = Query(self.subfield_condition(tree, item, head, rest), threshold,
                          user_access=threshold is not None)
        finally:
            self.find_all = find_all
        if head == "parent":
            return with_parent(inner)
        if head == "children":
            return with_child(inner)
        return Leaf(self.ref_target(tree, head, item.field_positions[0]), "=", (inner,))

    def subfield_condition(self, tree: Selector, item: Condition, head: str, rest: str) -> Node:
        """The condition `head.rest op value` asked of `rest` alone (of the children or the
        parent), its operator and negations as written."""
        return self.condition(tree, replace(
            item, fields=(rest,), values=subfield_values(head, item.values),
            field_positions=(item.field_positions[0] + len(head) + 1,)), subfield=True)

    @property
    def sub_access(self) -> bool:
        """Whether the find ProcessWire runs for `children.f` or `parent.num_children` checks
        the user's view access: it is given the outer include= and, unless that is all, the
        outer check_access=0, which `pages.get()` implies (PageFinder::getIncludeSelector)."""
        return self.outer_threshold is not None and self.outer_checks_access

    def children_query(self, inner: Node, rest: str) -> Query:
        """The sub-query `children.rest` asks of the children. ProcessWire finds them by a
        field as a find of its own: with the outer include= (its status filter) and, unless
        the outer selector lifts it, the user's view access; by a column of `pages` (name,
        status, ...) through a plain join: children of any status, access unasked."""
        if rest in NATIVE_COLUMNS:
            return Query(inner, None)
        return Query(inner, self.outer_threshold, user_access=self.sub_access)

    def leaf(self, tree: Selector, name: str, op: str, values: tuple[Value, ...], position: int,
             stored_only: bool = False) -> Node:
        """`stored_only`: the positive of a negated comparison of a field of this page
        (`!qty<5`, see condition); a subfield (`parent.qty`) is planned as it always is."""
        if position in self._numbers_aside:
            values = tuple(value for value in values if not self.is_text(value))
            if not values:
                return AnyOf(())
        if name.endswith(".data") and name.count(".") == 1:
            field = self.site.fields.get(name[:-5])
            if field is not None and field.type.folded:
                # The stored text as it is: `title.data=Café` is exact where `title=cafe` folds.
                self.depends.append(("fields", field.name, field))
                exact = FieldColumn(field.name, field.table, "text", False)
                return self.text_leaf(tree, exact, name, op, values)
            if field is not None and field.type.kind != "page":
                # the column a number, date or checkbox is stored in: the field itself, as
                # ProcessWire reads `qty.data=3` (a Page field's is below: is_ref_row_column)
                return self.leaf(tree, field.name, op, values, position, stored_only)
        if name in ("template.name", "template.id"):      # ProcessWire's names of the same
            return self.template_leaf(tree, op, values)
        if name in ("sort", "page.sort"):     # a comparison (is_sort_comparison), not sort=key
            return self.ordered_leaf(tree, Column("sort", "int"), name, op, values)
        if name == "parent.id":
            # the parent_id column, as `parent` (PageFinder::getQueryNativeField reads parent
            # with the subfield id as parent): a value of anything but digits is a path, and
            # home, whose parent_id is 0, takes part (`parent.id=0`, `parent.id<2`)
            return self.id_leaf(tree, Column("parent_id", "id"), name, op, values)
        if "." in name:
            return self.related(tree, name, op, values, position)
        if name in META_KEYS:
            raise self.error(tree, f"{name} cannot be combined with other fields", position, name)
        if name == "id":
            return self.id_leaf(tree, Column("id", "id"), name, op, values)
        if name in ("parent", "parent_id"):
            return self.id_leaf(tree, Column("parent_id", "id"), name, op, values)
        if name in ("template", "templates_id"):
            return self.template_leaf(tree, op, values)
        if name == "has_parent":
            return self.has_parent_leaf(tree, op, values)
        if name in ("children", "child"):
            if op == "=" and (queries := self.sub_queries(values)):
                # `children=[title=x]`: the pages having a child the sub-selector finds
                return with_child(*queries)
            if any(value.sub is not None for value in values):
                raise self.error(tree, f"{name} takes a sub-selector with = only", position, name,
                                 f"write {name}=[...] or has_parent=")
            # `children=123`, `children=/a/b/`, `children>123`: ProcessWire reads them as
            # `children.id` (a child of any status whose id compares so)
            return self.related(tree, f"{name}.id", op, values, position)
        if name == "status":
            return self.status_leaf(tree, op, values)
        if name == "name":
            return self.name_leaf(tree, op, values)
        if name in ("path", "url"):      # url: ProcessWire's other name for path
            return self.text_leaf(tree, PathColumn(), name, op, values)
        if name in ("created", "modified"):
            return self.ordered_leaf(tree, Column(name, "datetime"), name, op, values)
        if name in ("created_users_id", "modified_users_id"):
            return self.ordered_leaf(tree, Column(name, "int"), name, op, values)
        if name in CHILD_COUNT_NAMES:
            return self.ordered_leaf(tree, ChildCount(), name, op, values)
        field = self.field(tree, name, position)
        target = self.field_target(tree, field, position)
        if isinstance(target, RefColumn):
            if (op not in ORDER_OPERATORS
                    and all(value.sub is None and names_a_page(value.text.strip()) for value in values)):
                # `refs%=x`, `refs^=x`, `refs*=x` ...: ProcessWire matches the referenced
                # pages' names (FieldtypePage reads a value that is no number as a name)
                return self.related(tree, f"{name}.name", op, values, position)
            node = self.id_leaf(tree, target, name, op, values)
            if (op in ("<", ">", "<=", ">=") and not stored_only and isinstance(node, Leaf)
                    and any(isinstance(number, int) and number != 0 and compare(op, 0, number)
                            for number in node.values)):
                # `refs<1`, `refs>-1`: ProcessWire compares the referenced ids as numbers and
                # a page referencing nothing as 0, as for a number field (not `<=0`, `>=0`)
                return AnyOf((node, references_nothing(target)))
            return node
        if target.kind == "text":
            return self.text_leaf(tree, target, name, op, values)
        return self.ordered_leaf(tree, target, name, op, values, stored_only)

    def related(self, tree: Selector, name: str, op: str, values: tuple[Value, ...], position: int) -> Node:
        """`parent.f`, `children.f` and `ref.f`: a sub-plan run on the parent, the children or
        the referenced pages; `ref.count`, `children.count`; `title.data`: exact text."""
        head, rest = name.split(".", 1)
        if name in CHILD_COUNT_NAMES:
            return self.ordered_leaf(tree, ChildCount(), name, op, values)
        if name == "child.count":       # "Modifier 'count' is not allowed here" in ProcessWire
            raise self.error(tree, "child.count is not a count of children", position, name,
                             "write children.count or num_children")
        if rest == "count" and head not in ("parent", "children", "child"):
            field = self.field(tree, head, position)
            target = self.field_target(tree, field, position)
            if isinstance(target, RefColumn):
                # FieldtypeMulti::getMatchQuery: only pages whose template has the field
                has_field = Leaf(Column("templates_id", "id"), "=", (TemplatesWith(field.id),))
                return AllOf((has_field, self.ordered_leaf(tree, RefCount(target.field, target.table),
                                                           name, op, values)))
        if (rest in REF_ROW_COLUMNS and head not in ("parent", "children", "child")
                and self.is_ref_row_column(tree, head, rest, position)):
            return self.leaf(tree, head, op, values, position)      # refs.data: refs itself
        if rest in ("parent", "parent_id") and self.is_page_field(head):
            inner = self.ref_parent_leaf(tree, rest, op, subfield_values(head, values))
        else:
            inner = self.leaf(tree, rest, op, subfield_values(head, values), position + len(head) + 1)
        if head == "parent":
            # `parent.num_children` is a sub-selector there (`parent=[num_children=3]`), and so
            # is a find operator on the parent's path (is_parent_path_find): the parent found
            # by the outer include= and as the user may view it (see sub_access), where other
            # subfields join it whatever it is
            if rest in CHILD_COUNT_NAMES or self.is_parent_path_find(name, op):
                return with_parent(Query(inner, self.outer_threshold, user_access=self.sub_access))
            return with_parent(Query(inner, None))
        if head in ("children", "child"):
            return with_child(self.children_query(inner, rest))
        field = self.field(tree, head, position)
        target = self.field_target(tree, field, position)
        if not isinstance(target, RefColumn):
            raise self.error(tree, f"field {head!r} has no subfields", position, name,
                             "subfields work on parent (parent.title), children "
                             "(children.title), Page fields (ref.title, ref.count) and text "
                             "fields (title.data: exact, case and accents count)")
        threshold = self.referenced_threshold(rest, op)
        return Leaf(target, "=", (Query(self.with_group(head, inner), threshold,
                                        user_access=threshold is not None and self.outer_checks_access),))

    @staticmethod
    def is_parent_path_find(name: str, op: str) -> bool:
        """Whether `name op x` is a find operator on the parent's path (`parent.path%=x`,
        `parent.url^=/a/`), which ProcessWire answers by a find of its own of the pages whose
        path matches, with the outer include= and the user's view access
        (PageFinder::getQueryNativeField, "partial match of path"), where `parent.path=/a/`
        names the parent by its path, whatever its status."""
        return name in ("parent.path", "parent.url") and op in FIND_OPERATORS

    def referenced_threshold(self, rest: str, op: str) -> int | None:
        """The statuses of the referenced pages that `ref.rest op x` looks at. A column that
        ProcessWire compares in its join of them (FieldtypePage::getMatchQueryNative: `ref.name=x`,
        `ref.id>5`) takes them whatever their status; so does any other subfield in a find, which
        FieldtypePage::getMatchQueryCustom asks with include=all. In `pages.get()` (findAll) that
        find has the selector's include= instead, include=hidden when it names none, and its
        check_access= (no check when it names none). `ref.path` and `ref.url` are the reference
        itself there (getMatchQuery reads them as its `data`, as `ref.id`), so any status too."""
        if (not self.find_all or rest in ("path", "url")
                or (rest in REF_NATIVE_NAMES and op in ORDER_OPERATORS)):
            return None
        return None if self.outer_threshold is None else max(self.outer_threshold, INCLUDE["hidden"])

    def is_ref_row_column(self, tree: Selector, head: str, rest: str, position: int) -> bool:
        """Whether `head.rest` is `refs.data`, which ProcessWire reads as `refs` itself (a bare
        Page field compares its table's `data` column: `refs.data=0` is the pages referencing
        nothing). `refs.sort` (a reference's position) and `refs.pages_id`, other columns of
        that table there, are refused by name rather than as unknown."""
        if not isinstance(self.field_target(tree, self.field(tree, head, position), position), RefColumn):
            return False
        if rest == "data":
            return True
        raise self.error(tree, f"{head}.{rest} (a column of the Page field's own table) is not "
                         "supported", position, f"{head}.{rest}",
                         f"{head}.count>0 tests whether it holds any page")

    def field(self, tree: Selector, name: str, position: int, what: str = "field") -> Any:
        field = self.site.fields.get(name)
        if field is None:
            searchable = [f.name for f in self.site.fields if f.type.searchable]  # no "pass"
            close = [match for match in difflib.get_close_matches(   # not the name itself
                name, list(KEYS) + ["parent.<field>"] + searchable, n=2) if match != name][:1]
            hint = f"did you mean {close[0]!r}?" if close else \
                "known: " + ", ".join(sorted(searchable) + list(KEYS[:14]))
            raise self.error(tree, f"unknown {what} {name!r}", position, name, hint)
        self.depends.append(("fields", name, field))
        if not field.type.searchable:
            raise self.error(tree, f"field {name!r} cannot be used in selectors", position, name,
                             f"{field.type.name} fields are never searchable (a password's hash "
                             "could leak through a find)")
        return field

    def is_empty_value(self, name: str, value: Value) -> bool:
        """ProcessWire's Fieldtype::isEmptyValue for a custom field: "" for text, "" and "0"
        for numbers, checkboxes, dates and Page fields (PHP's empty(); a date's 0 is its
        blank); False for the other keys and kinds."""
        field = self.site.fields.get(name)
        kind = field.type.kind if field is not None else None
        text = value.text.strip()
        if value.sub is not None or kind not in ("text", "int", "float", "datetime", "page"):
            return False
        return text == "" or (kind != "text" and text == "0")

    def is_page_field(self, name: str) -> bool:
        field = self.site.fields.get(name)
        return field is not None and field.type.kind == "page"

    def ref_target(self, tree: Selector, name: str, position: int) -> RefColumn | None:
        """The target of the Page field `name`; None when `name` is no Page field."""
        if not self.is_page_field(name):
            return None
        target = self.field_target(tree, self.field(tree, name, position), position)
        assert isinstance(target, RefColumn)
        return target

    def sub_queries(self, values: tuple[Value, ...]) -> tuple[Query, ...]:
        """The plans of `values` when every one is a [...] sub-selector; else none."""
        if not values or any(value.sub is None for value in values):
            return ()
        return tuple(self.sub_query(value.sub) for value in values)

    def sub_query(self, sub: Selector) -> Query:
        """The plan of a [...] sub-selector. In `pages.get()` (findAll) the outer include= sets
        no status filter, so PageFinder::preProcessSubSelector has none to copy into it: it
        finds as a find() naming no include= does (its own include= still counts)."""
        if not self.find_all:
            return self._query([sub], top=False)
        outer = self.outer_threshold
        self.outer_threshold = DEFAULT_THRESHOLD
        try:
            return self._query([sub], top=False)
        finally:
            self.outer_threshold = outer

    def field_target(self, tree: Selector, field: Any, position: int) -> FieldColumn | RefColumn:
        kind = field.type.kind
        if kind == "page":
            return RefColumn(field.name, field.table)
        if kind not in BLANK:
            raise self.error(tree, f"field {field.name!r} ({field.type.name}) cannot be used in "
                             "selectors", position, field.name)
        return FieldColumn(field.name, field.table, kind, bool(field.type.folded))

    # -- kinds of leaves ---------------------------------------------------------------------
    def wrong_operator(self, tree: Selector, name: str, op: str, allowed: str) -> SelectorError:
        return self.error(tree, f"operator {op} does not apply to {name}", self._operator_at,
                          op, f"{name} takes {allowed}")

    def id_leaf(self, tree: Selector, target: Column | RefColumn, name: str, op: str,
                values: tuple[Value, ...], by_name: bool = False) -> Leaf:
        """Page ids: numbers, paths ("/a/b/") and sub-selectors ([...]). As ProcessWire reads
        a value that is no number: a parent's is a path from home (`parent=about` is
        `parent=/about/`, PageFinder::getQueryNativeField), a Page field's a page name
        (`refs=about`: a page of any status so named, FieldtypePage::getMatchQuery). With
        `by_name`, a value without "/" is such a name there too (see ref_parent_leaf)."""
        is_ref = isinstance(target, RefColumn)
        if op not in ORDER_OPERATORS:
            raise self.wrong_operator(tree, name, op, "= != < > <= >=")
        out: list[Any] = []
        for value in values:
            text = value.text.strip()
            named = name != "id" and value.sub is None and (
                (names_a_page(text) if op == "=" else is_page_name(text))
                or is_ref and only_spaces(value))   # `refs=" "`: no such page
            if value.sub is not None:
                if op != "=":
                    raise self.error(tree, f"a sub-selector needs = or != on {name}", value.position, text)
                out.append(self.sub_query(value.sub))
            elif text.startswith("/") or named and not is_ref and (not by_name or "/" in text):
                if op != "=":
                    raise self.error(tree, f"a path needs = or != on {name}", value.position, text)
                out.append(PathRef(trimmed_path(text)))
            elif named:
                if op != "=":
                    raise self.error(tree, f"a page name needs = or != on {name}", value.position, text)
                out.append(Query(self.name_leaf(tree, "=", (value,)), None))
            elif is_ref and text in ("", "0") and op == "=":
                out.append(None)      # no page referenced
            else:
                out.append(self.integer(tree, name, value))
        return Leaf(target, op, tuple(out))

    def ref_parent_leaf(self, tree: Selector, name: str, op: str, values: tuple[Value, ...]) -> Leaf:
        """`refs.parent op v` asked of a referenced page: FieldtypePage::getMatchQueryNative
        reads a value that is no number through `$pages->get()`, so `refs.parent=tags` is the
        page named tags, of any status, wherever it is (here every page so named, as for
        `refs=tags`), where the page's own `parent=tags` is the path /tags/."""
        return self.id_leaf(tree, Column("parent_id", "id"), name, op, values, by_name=True)

    def template_leaf(self, tree: Selector, op: str, values: tuple[Value, ...]) -> Leaf:
        if op != "=":
            raise self.wrong_operator(tree, "template", op, "= and != only")
        ids = []
        for value in values:
            text = value.text.strip()
            if value.sub is not None:
                raise self.error(tree, "template does not take a sub-selector", value.position, text)
            key: str | int = int(text) if text.isdecimal() and text.isascii() and len(text) < 12 else text
            if key in ("", 0):
                ids.append(0)        # no template, as ProcessWire reads it: no page has it
                continue
            template = self.site.templates.get(key)
            if template is None:
                names = [t.name for t in self.site.templates]
                close = difflib.get_close_matches(text, names, n=1)
                raise self.error(tree, f"unknown template {text!r}", value.position, text,
                                 f"did you mean {close[0]!r}?" if close else
                                 "known: " + ", ".join(sorted(names)))
            self.depends.append(("templates", key, template))
            ids.append(template.id)
        return Leaf(Column("templates_id", "id"), "=", tuple(ids))

    def has_parent_leaf(self, tree: Selector, op: str, values: tuple[Value, ...]) -> Leaf:
        if op != "=":
            raise self.wrong_operator(tree, "has_parent", op, "= and != only")
        out: list[Any] = []
        for value in values:
            text = value.text.strip()
            if value.sub is not None:      # the pages below any page it finds
                out.append(self.sub_query(value.sub))
                continue
            # a value that is no number is a path from home, as ProcessWire reads it
            out.append(normal_path(text) if text.startswith("/") or names_a_page(text)
                       else self.integer(tree, "has_parent", value))
        return Leaf(Ancestors(), "=", tuple(out))

    def status_leaf(self, tree: Selector, op: str, values: tuple[Value, ...]) -> Leaf:
        if op not in ORDER_OPERATORS and op != "&":
            raise self.wrong_operator(tree, "status", op, "= != & < > <= >=")
        out = []
        for value in values:
            text = value.text.strip().lower()
            if text in STATUS_NAMES:
                out.append(STATUS_NAMES[text])
            elif value.sub is None and text.isdecimal() and text.isascii() and len(text) < 12:
                out.append(int(text))
            else:
                raise self.error(tree, f"unknown status {value.text!r}", value.position, value.text,
                                 "use a number or one of " + ", ".join(STATUS_NAMES))
        # '=' tests bits, as ProcessWire's status selector does; `status&3072` (its bitwise
        # and operator) is the same test: any of the bits
        return Leaf(StatusColumn(), "&" if op in ("=", "&") else op, tuple(out))

    def text_leaf(self, tree: Selector, target: Target, name: str, op: str,
                  values: tuple[Value, ...]) -> Node:
        """Text, by ProcessWire's rules for empty values: `f=` matches pages storing nothing,
        every other operator matches only stored text, and an empty value (`f*=`, `f<`)
        matches nothing."""
        if op not in TEXT_OPERATORS:
            raise self.wrong_operator(tree, name, op, "= != < > <= >= *= ^= $= %= %^= %$= "
                                      + " ".join(WORD_OPERATORS))
        folded = not isinstance(target, FieldColumn) or target.folded
        out: list[Any] = []
        required: dict[int, Words] = {}      # by the index of a ^=, $= or *= value in out
        # the words are asked of the field's folded copy: a module's fieldtype may keep none
        # (Fieldtype.folded), and then its phrase alone answers
        field = self.site.fields.get(target.field) if isinstance(target, FieldColumn) else None
        has_fold = field is not None and field.type.folded
        for value in values:
            if value.sub is not None:
                raise self.error(tree, f"{name} does not take a sub-selector", value.position, value.text,
                                 "sub-selectors [...] work on Page fields, parent and id")
            text = fold_value(target, value.text).strip()     # ProcessWire trims too
            if op != "=" and not text:
                continue
            if only_spaces(value) and isinstance(target, FieldColumn):
                out.append(value.text)      # `title=" "`: a value no stored text equals
                continue
            if isinstance(target, PathColumn) and op == "=" and text:
                text = trimmed_path(text)
            if op in PHRASE_OPERATORS and len(text) > MATCH_MAX_LENGTH or (
                    op in WORD_OPERATORS and max(map(len, text.split()), default=0) > MATCH_MAX_LENGTH):
                # the selector itself is left out of the message: it is that long
                raise SelectorError("a value is too long for a text match", position=value.position,
                                    hint=f"{op} takes a {'word' if op in WORD_OPERATORS else 'phrase'} "
                                         f"of at most {MATCH_MAX_LENGTH:,} characters")
            if op in WORD_OPERATORS:
                any_word, match = WORD_OPERATORS[op]
                found = value_words(text)
                if match == "last":
                    found = last_word_once(found, value.text.strip())
                # the joined words are the value's parts between ASCII spaces, as written
                # (getBooleanModeWords explodes the value it was given at " ")
                joined = () if match == "part" else joined_words(value.text.strip())
                written = joined if isinstance(target, FieldColumn) and folded else ()
                out.append(Words(found, any_word, match, tuple(fold_value(target, token) for token in joined),
                                 written))
            elif op in ("*=", "^=", "$="):
                # `*=item_` asks the index for "item": "ItemB" matches (value_words)
                found = value_words(text) if op == "*=" else ()
                if len(found) == 1 and len(found[0]) >= INDEX_MIN_LENGTH:
                    # one word its fulltext index holds (three characters or more, InnoDB's
                    # least): ProcessWire asks the index alone, for a word starting so, and
                    # the punctuation around it counts for nothing ("/path", "@site")
                    text = found[0]
                # ProcessWire matches ^=, $= and a *= of several words by RLIKE, which sees
                # accents; a *= of one word by its fulltext index alone, which does not,
                # unless the word is too short for the index (under three characters)
                regex = op != "*=" or len(found) > 1 or (len(found) == 1 and len(found[0]) < 3)
                accents = value.text.strip() if isinstance(target, FieldColumn) and folded and regex else ""
                out.append(Phrase(text, {"*=": "word", "^=": "start", "$=": "end"}[op],
                                  self.lead_junk(target), accents))
                if has_fold and (indexed := indexed_words(op, value.text)):
                    required[len(out) - 1] = indexed
            else:
                out.append(text)
        blank = isinstance(target, FieldColumn) and op == "=" and "" in out
        leaf = Leaf(target, "~=" if op in WORD_OPERATORS else op, tuple(out), blank)
        if not required:
            return leaf
        # ProcessWire narrows `^=`, `$=` and `*=` by its fulltext index first (indexed_words).
        # A text the phrase matches holds those words unless a "_" glues one to another word,
        # so only a text holding a "_" pays their regular expressions (a LIKE tells the rest:
        # on SQLite each expression is a Python call per row)
        index_target = replace(target, folded=True)
        no_underscore = Not(Leaf(index_target, "%=", ("_",)))
        return AnyOf(tuple(
            AllOf((Leaf(target, op, (phrase,)),
                   AnyOf((no_underscore, Leaf(index_target, "~=", (required[i],))))))
            if i in required else Leaf(target, op, (phrase,)) for i, phrase in enumerate(out)))

    def name_leaf(self, tree: Selector, op: str, values: tuple[Value, ...]) -> Leaf:
        """A page's name as ProcessWire's PageFinder::getQueryNativeField matches it: every
        value is made a page name first (`name_value`: "Café" is "caf", "foo bar" is
        "foo-bar"); `~=` takes the value's space-separated words, each a whole word of the
        name (RLIKE '\\bword\\b': "-" and "." separate, "_" joins); `^=` and `%^=` are a prefix,
        `$=` and `%$=` a suffix, and every other find operator (`*=`, `%=`, the word
        operators) a substring (LIKE '%value%'), so `name*=oo` finds "foo-bar". An empty
        value is compared as it is: `name%=` and `name>=` find every page, `name=` none."""
        if op not in TEXT_OPERATORS:
            raise self.wrong_operator(tree, "name", op, "= != < > <= >= *= ^= $= %= %^= %$= "
                                      + " ".join(WORD_OPERATORS))
        for value in values:
            if value.sub is not None:
                raise self.error(tree, "name does not take a sub-selector", value.position,
                                 value.text, "sub-selectors [...] work on Page fields, parent and id")
        target = Column("name", "name")
        if op == "~=":
            out: list[Any] = []
            for value in values:
                found = tuple(word for word in map(name_value, value.text.strip().split(" ")) if word)
                out.append(Words(found) if found else "")
            if "" in out:               # no word left: RLIKE '\\b\\b' holds for every name
                return Leaf(target, "%=", ("",))
            return Leaf(target, "~=", tuple(out))
        texts = tuple(name_value(value.text.strip()) for value in values)
        if op in ("=", "<", ">", "<=", ">="):
            return Leaf(target, op, texts)
        return Leaf(target, NAME_FIND.get(op, "%="), texts)

    def lead_junk(self, target: Target) -> tuple[tuple[str, str], ...] | None:
        """[low, high) ranges holding every text that may start with what `^=` skips
        (whitespace, tags), so `^=` reads those and its first word's range by the index:
        single-line text is stored trimmed, so only "<" and (in the fold, where NFKD may turn
        a spacing accent such as "´" into a space) text below "!" remain; names and paths
        start with neither. None: no index to read by (Textarea), a scan with LIKE."""
        if not isinstance(target, FieldColumn):
            return ()
        field = self.site.fields.get(target.field)
        if field is None or not field.type.indexed:
            return None
        return (("", "!"), ("<", "=")) if target.folded else (("<", "="),)

    def ordered_leaf(self, tree: Selector, target: Target, name: str, op: str,
                     values: tuple[Value, ...], stored_only: bool = False) -> Node:
        """Numbers and dates: = != < > <= >=; a date field also %= and ^= (partial_date_leaf)."""
        if op in PARTIAL_DATE_OPERATORS and target.kind == "datetime" and isinstance(target, FieldColumn):
            return self.partial_date_leaf(tree, target, name, op, values)
        if op not in ORDER_OPERATORS:
            raise self.wrong_operator(tree, name, op, "= != < > <= >= (it is not text)" + (
                "; %= ^= a partial date" if target.kind == "datetime"
                and isinstance(target, FieldColumn) else ""))
        kind = target.kind
        out: list[Any] = []
        for value in values:
            text = value.text.strip()
            if value.sub is not None:
                raise self.error(tree, f"{name} does not take a sub-selector", value.position, text)
            if kind == "datetime":
                if is_empty_date(target, text):
                    out.append(None)
                    continue
                self.volatile = self.volatile or is_relative(text)
                try:
                    out.append(parse_date(text, self.now))
                except DateValueError as exc:
                    raise self.error(tree, str(exc), value.position, text) from None
            elif not text and isinstance(target, FieldColumn) and not only_spaces(value):
                out.append(BLANK[kind])
            elif kind == "float":
                out.append(self.number(tree, name, value, floats=True, whole_range=False))
            else:
                out.append(self.number(tree, name, value, floats=isinstance(target, FieldColumn)))
        if op == "=" and kind == "int" and isinstance(target, FieldColumn):
            # No whole number equals 2.5, so such a value is dropped here: SQL compares it so
            # everywhere but in MariaDB's index lookups, which round it and find the 3s
            whole = [(value, number) for value, number in zip(values, out)
                     if not (isinstance(number, float) and not number.is_integer())]
            if not whole:
                return AnyOf(())
            values, out = tuple(value for value, _ in whole), [number for _, number in whole]
        if stored_only and isinstance(target, FieldColumn) and kind in ("int", "float"):
            # the positive of `!qty<5`: a stored value below 5, and for a whole number not 0,
            # which ProcessWire does not store
            stored = Leaf(target, op, tuple(out))
            return stored if kind == "float" else AllOf((stored, Not(Leaf(target, "=", (0,)))))
        if isinstance(target, FieldColumn) or (isinstance(target, (ChildCount, RefCount))
                                               and op == "<="):
            return self.zero_rule(target, op, values, tuple(out))
        return Leaf(target, op, tuple(out))

    def partial_date_leaf(self, tree: Selector, target: FieldColumn, name: str, op: str,
                          values: tuple[Value, ...]) -> Leaf:
        """ProcessWire's partial date match (FieldtypeDatetime::getMatchQuery): `when^=2024-01`
        is a stored date whose text `YYYY-MM-DD HH:MM:SS` starts so, `when%=10-04` one holding
        it anywhere. "/" and "." read as "-" unless the value is only digits; nothing but
        digits, hyphens and spaces is taken."""
        out = []
        for value in values:
            text = value.text.strip()
            if value.sub is not None:
                raise self.error(tree, f"{name} does not take a sub-selector", value.position, text)
            if not text.isdecimal():
                text = text.replace("/", "-").replace(".", "-")
            if not re.fullmatch(r"[0-9 -]*[0-9][0-9 -]*", text):
                raise self.error(tree, f"{name}{op} takes a partial date of digits, hyphens and "
                                 f"spaces (2024-01, 2024-01-05 10), not {value.text!r}",
                                 value.position, value.text)
            out.append(text)
        return Leaf(target, op, tuple(out))

    @staticmethod
    def zero_rule(target: Target, op: str, values: tuple[Value, ...], numbers: tuple[Any, ...]) -> Node:
        """ProcessWire's zero-is-empty rule for a number, checkbox or date field (PageFinder::
        whereEmptyValuePossible; FieldtypeMulti::getMatchQuery and getQueryNumChildren for
        counts), value by value: whether a page storing no value (or 0) matches, and with
        which operator stored values compare.

        Pages storing nothing match `qty=0`, `qty<5` and `qty>-1`, never `qty<=0` or `qty>=0`.
        ProcessWire stores no 0 for a whole number or checkbox, so a stored 0 counts as nothing
        there (`qty<=0` is `qty<0`, `qty>=0` is `qty>0`); a float's 0.0 it stores, so `price>=0`
        finds it. An empty value is 0, except that ProcessWire reads `qty>` (empty) as every
        page not below 0 (`price>`: pages storing nothing or above 0) and `date>` / `date>=`
        (empty) as every page storing a date. A count (`num_children`, `ref.count`) of 0 takes
        part in every comparison but `<=0`, which finds nothing.
        """
        kind = getattr(target, "kind", "int")
        groups: dict[tuple[str, bool], list[Any]] = {}
        dated: list[Node] = []
        for value, number in zip(values, numbers):
            text = value.text.strip()
            empty = is_empty_date(target, text) if kind == "datetime" else not text
            if not isinstance(target, FieldColumn):              # a count: only `<=0` differs
                key = ("<", False) if number == 0 else (op, False)
            elif kind == "datetime":
                if empty and op in (">", ">="):
                    dated.append(Not(Leaf(target, "=", (None,), True)))
                    continue
                key = (op, compare(op, None, number))
            elif op in ("<=", ">=") and number == 0 and not (op == ">=" and empty):
                # no page storing nothing; a stored 0 counts as nothing for a whole number
                # (ProcessWire stores none) and as a value for a float (it stores 0.0)
                key = (op if kind == "float" else op[0], False)
            elif op == ">" and empty:
                key = (">" if kind == "float" else ">=", True)
            else:
                key = (op, compare(op, BLANK[kind], number))
            groups.setdefault(key, []).append(number)
        leaves = [Leaf(target, key_op, tuple(numbers_of), blank)
                  for (key_op, blank), numbers_of in groups.items()] + dated
        return leaves[0] if len(leaves) == 1 else AnyOf(tuple(leaves))

    # -- values ------------------------------------------------------------------------------
    def integer(self, tree: Selector, name: str, value: Value) -> int:
        number = self.number(tree, name, value, floats=False)
        assert isinstance(number, int)
        return number

    def number(self, tree: Selector, name: str, value: Value, floats: bool,
               whole_range: bool = True) -> int | float:
        """The value as a number; past a 64-bit whole number's range (which no driver binds)
        an error, unless `whole_range` is False: a Float field's values reach a double's
        range (it stores 1e20, and ProcessWire's `price=1e20` finds it)."""
        text = value.text.strip()
        number: int | float | None = None
        if is_sql_number(text):
            try:
                number = int(text)
            except ValueError:
                number = self._float(text) if floats else None
        if (not whole_range and (number is None or abs(number) > INT_LIMIT) and is_sql_number(text)
                and any(char.isdigit() for char in text)):      # not "inf" or "nan"
            with contextlib.suppress(ValueError):
                number = float(text)
            if number is not None and math.isinf(number):     # "1e400": past a double's range
                raise self.error(tree, f"{name}: {value.text!r} is out of range",
                                 value.position, value.text)
        if number is None:
            raise self.error(tree, f"{name} needs a {'number' if floats else 'whole number'}, "
                             f"not {value.text!r}", value.position, value.text)
        if whole_range and abs(number) > INT_LIMIT:
            raise self.error(tree, f"{name}: {value.text!r} is out of range", value.position, value.text)
        return number

    @staticmethod
    def _float(text: str) -> float | None:
        if not is_sql_number(text):
            return None
        try:
            number = float(text)
        except ValueError:
            return None
        return number if number == number and abs(number) != float("inf") else None


def with_view(query: Query, view: Any, every: bool = False) -> Query:
    """`query` with the acting user's view filter (cms.access.ViewFilter) on it, which it
    applies where it checks access, and on every sub-query run as a find of the user's own
    (`user_access`); with `every`, on every sub-query whatever its own selector said (a
    selector the user typed: `[... check_access=0]` or `children.f` under `include=all`
    must not lift that user's own limits)."""
    return replace(query, where=_viewed(query.where, view, every), access=view)


def _viewed(node: Node, view: Any, every: bool) -> Node:
    """`node` with its sub-queries viewed, the same object where nothing under it changes."""
    if isinstance(node, Leaf):
        values = tuple(_viewed_value(value, view, every) for value in node.values)
        return replace(node, values=values) if any(map(operator.is_not, values, node.values)) else node
    if isinstance(node, (AllOf, AnyOf)):
        items = tuple(_viewed(item, view, every) for item in node.items)
        return type(node)(items) if any(map(operator.is_not, items, node.items)) else node
    if isinstance(node, Not):
        item = _viewed(node.item, view, every)
        return Not(item) if item is not node.item else node
    return node


def _viewed_value(value: Any, view: Any, every: bool) -> Any:
    if isinstance(value, (ParentsOf, ReferencedBy)):
        query = _viewed_query(value.query, view, every)
        return value if query is value.query else replace(value, query=query)
    return _viewed_query(value, view, every) if isinstance(value, Query) else value


def _viewed_query(query: Query, view: Any, every: bool) -> Query:
    where = _viewed(query.where, view, every)
    viewed = query.user_access or every
    if where is query.where and not viewed:
        return query
    return replace(query, where=where, access=view if viewed else query.access)


def has_user_access(node: Node) -> bool:
    """Whether a sub-query under `node` is a find of the user's own (`Query.user_access`)."""
    if isinstance(node, Leaf):
        queries = (v.query if isinstance(v, (ParentsOf, ReferencedBy)) else v
                   for v in node.values if isinstance(v, (Query, ParentsOf, ReferencedBy)))
        return any(query.user_access or has_user_access(query.where) for query in queries)
    if isinstance(node, (AllOf, AnyOf)):
        return any(has_user_access(item) for item in node.items)
    return isinstance(node, Not) and has_user_access(node.item)


def with_child(*queries: Query) -> Leaf:
    """The pages having a child that one of `queries` finds."""
    return Leaf(Column("id", "id"), "=", tuple(ParentsOf(query) for query in queries))


def with_parent(query: Query) -> Leaf:
    """The pages whose parent `query` finds."""
    return Leaf(Column("parent_id", "id"), "=", (query,))


def references_nothing(target: RefColumn) -> Node:
    """The pages whose Page field `target` references no page."""
    return Not(Leaf(target, "=", (Query(AllOf(()), None),)))


def references_nothing_or(target: RefColumn, query: Query) -> Node:
    """The pages whose Page field `target` references nothing or some page `query` finds: how
    ProcessWire negates a condition on the referenced pages, one referenced page at a time."""
    return AnyOf((references_nothing(target), Leaf(target, "=", (query,))))


def only_spaces(value: Value) -> bool:
    """A quoted value of spaces alone (`title=" "`): a value, not the empty one. ProcessWire
    asks `isEmptyValue` before it trims the value, so it matches no stored text, names no page
    (`refs=" "`), and a number is refused here as any other value that is no number."""
    return value.quoted and value.text != "" and not value.text.strip()


def subfield_values(head: str, values: tuple[Value, ...]) -> tuple[Value, ...]:
    """The values of `head.f`: for the parent or a referenced page (`parent.title=" "`)
    ProcessWire trims a value before it asks whether it is empty, so spaces alone are empty;
    the children's sub-find (`children.title=" "`) keeps them as written."""
    if head in ("children", "child"):
        return values
    return tuple(replace(value, text="") if only_spaces(value) else value for value in values)


def is_empty_date(target: Target, text: str) -> bool:
    """A date field's empty value: nothing, or 0 (FieldtypeDatetime::_sanitizeValue takes PHP's
    empty(), so `when=0` is the pages storing no date and `when!=0` those storing one)."""
    return isinstance(target, FieldColumn) and text in ("", "0")


def is_partial_date(leaf: Leaf) -> bool:
    """A Datetime field's `%=` or `^=` (Planner.partial_date_leaf): its values are text to find
    in the date's text `YYYY-MM-DD HH:MM:SS`."""
    return leaf.target.kind == "datetime" and leaf.op in PARTIAL_DATE_OPERATORS


def is_sql_number(text: str) -> bool:
    """Whether Python's int()/float() may read `text` as SQL would: not "1_000" (1000 to
    Python, 1 to MySQL) nor digits of other scripts ("١٢" is 12 to Python, text to SQL)."""
    return text.isascii() and "_" not in text


def is_page_name(text: str) -> bool:
    """A value that no number is read from (`about`, `x1`; not `12`, `-3` or `1.5`): where
    ProcessWire takes a page's id it reads such a value as a path or a name."""
    return bool(text) and Planner._float(text) is None


def names_a_page(text: str) -> bool:
    """A value that `=` and the find operators read as a page's name or path, not its id,
    where a page is asked for (a Page field, parent=, has_parent=): anything but ASCII digits,
    as ProcessWire's ctype_digit tests (FieldtypePage::getMatchQuery, PageFinder), so
    `refs%=1.2`, `refs=-1` and `parent=1e2` name pages where `parent<1.5` or `refs>-1`
    compare numbers (is_page_name)."""
    return bool(text) and not (text.isascii() and text.isdecimal())


def trimmed_path(text: str) -> str:
    """ "//a/b//" -> "/a/b/": a path= or parent= value with the slashes at its ends trimmed, as
    ProcessWire reads them (PageFinder's path join rtrims the value and joins home for an empty
    part before the first name; parent= goes through $pages->get(), which trims too); a doubled
    slash inside still names no page, and `//` alone none either."""
    inner = text.strip().strip("/")
    return normal_path(inner) if inner else normal_path(text)


def normal_path(text: str) -> str:
    """ "/a/b", "/a/b/" -> "/a/b/" (paths are lowercase, as page names are)."""
    path = text.strip().casefold()
    if not path.startswith("/"):
        path = "/" + path
    if not path.endswith("/"):
        path += "/"
    return path
