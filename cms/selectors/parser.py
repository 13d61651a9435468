"""Selector strings -> a syntax tree that remembers where every token stood.

The grammar is ProcessWire's:

    selector   := item ("," item)*
    item       := "(" selector ")"                     an OR-group: one of the groups must match
                | name "=" "(" selector ")"            a named OR-group: one per name must match
                | ["!"] [group] fields operator values a condition (! negates it)
    group      := [name] "@"                           @refs.title=x, @refs.qty=3: one referenced
                                                       page meets every condition of the group
    fields     := field ("|" field)*                   any of the fields may match
    field      := identifier ("." identifier)*         parent.title, ref.title
    values     := value ("|" value)*                   any of the values may match
    value      := '"' text '"' | "'" text "'" | "[" selector "]" | bare text

Bare text runs to the next "," or "|" (or to the ")" / "]" that closes the group it is in)
and is trimmed; quotes keep commas, pipes and operators. Inside quotes a backslash escapes the
quote character and the backslash itself. Positions are offsets into the string given, so an
error can point at the mistake however deeply it is nested.

This module knows only syntax: which names are fields, what a value means and whether an
operator fits a field is decided by the compiler.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import SelectorError

# Longest first, so "!=" is not read as "!" and "=". Any operator but "!=" may be negated by a
# leading "!" ("title!%=foo" is "!title%=foo"), as in ProcessWire.
OPERATORS = ("~|*=", "~|%=", "~|+=", "**+=", "%^=", "%$=", "~|=", "~*=", "~~=", "~%=", "~+=",
             "**=", "*+=", "!=", "<=", ">=", "*=", "~=", "^=", "$=", "%=", "=", "<", ">", "&")
OPERATOR_CHARS = frozenset("=!<>*~^$%#&@|+")
IDENTIFIER_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
IDENTIFIER_CHARS = IDENTIFIER_START | frozenset("0123456789")
CLOSERS = {"(": ")", "[": "]"}
WHITESPACE = " \t\r\n"
MAX_DEPTH = 16        # nested groups and sub-selectors; deeper is surely a mistake (or an attack)
MAX_FIELD_PARTS = 8   # parent.parent.title ...
ESCAPED_PIPE = re.compile(r"\\+\|")
GROUP_PREFIX = re.compile(r"[-_a-zA-Z0-9]*@")   # Selectors::extractGroup's name@


@dataclass(frozen=True, slots=True)
class Value:
    """One value of a condition: text (quotes removed), or a sub-selector in brackets."""

    text: str
    position: int
    quoted: bool = False
    sub: Selector | None = None


@dataclass(frozen=True, slots=True)
class Condition:
    """`[!]field|field op value|value`: true when any field matches any value. `group` is the
    name before an `@` (`@refs.title`: "", `a@refs.title`: "a"), None without one."""

    fields: tuple[str, ...]
    operator: str
    values: tuple[Value, ...]
    negated: bool
    position: int
    field_positions: tuple[int, ...]
    operator_position: int
    group: str | None = None


@dataclass(frozen=True, slots=True)
class Group:
    """A parenthesised selector. Groups with the same name (unnamed ones share "") form one set,
    of which at least one group must match."""

    name: str
    selector: Selector
    position: int


@dataclass(frozen=True, slots=True)
class Selector:
    """The items of a selector, all of which must match. `text` is the whole string parsed."""

    items: tuple[Condition | Group, ...]
    text: str


def parse(text: str) -> Selector:
    """Parse a selector string; raise SelectorError naming the position for anything malformed."""
    if not isinstance(text, str):
        raise SelectorError(f"a selector is a string, not {type(text).__name__}")
    return _Parser(text).parse()


class _Parser:
    """A hand-written recursive descent over one string (a few microseconds per selector)."""

    def __init__(self, text: str):
        self.text = text
        self.pos = 0
        self.depth = 0
        self._check_characters()

    def _check_characters(self) -> None:
        """Refuse what no database can bind: NUL and lone surrogates."""
        for index, char in enumerate(self.text):
            if char == "\x00" or "\ud800" <= char <= "\udfff":
                raise self.error("character not allowed in a selector", index, repr(char)[1:-1],
                                 "remove NUL characters and unpaired surrogates")

    def error(self, message: str, position: int, token: str = "", hint: str = "") -> SelectorError:
        return SelectorError(message, selector=self.text, position=position, token=token, hint=hint)

    def token_at(self, position: int) -> str:
        """A short excerpt to show beside an error."""
        return self.text[position:position + 12]

    def skip_ws(self) -> None:
        text, pos = self.text, self.pos
        while pos < len(text) and text[pos] in WHITESPACE:
            pos += 1
        self.pos = pos

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    # -- structure ----------------------------------------------------------------------------
    def parse(self) -> Selector:
        selector = self.selector(closer="")
        if self.pos < len(self.text):
            char = self.text[self.pos]
            raise self.error(f"unexpected {char!r}", self.pos, char,
                             f"there is no matching opening {'(' if char == ')' else '['}")
        return selector

    def selector(self, closer: str) -> Selector:
        """Items up to `closer` (or the end of the string at top level)."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"groups and sub-selectors nest more than {MAX_DEPTH} deep", self.pos,
                             self.token_at(self.pos))
        items: list[Condition | Group] = []
        while True:
            self.skip_ws()
            char = self.peek()
            if char == "" or (closer and char == closer) or (not closer and char in ")]"):
                break
            if char == ",":
                self.pos += 1      # empty items (", ,", a trailing comma) are harmless
                continue
            items.append(self.item(closer))
            self.skip_ws()
            char = self.peek()
            if char == ",":
                self.pos += 1
            elif char and not (closer and char == closer) and not (not closer and char in ")]"):
                raise self.error("',' expected between selectors", self.pos, self.token_at(self.pos),
                                 "separate selectors with commas, and quote values that hold "
                                 "commas, pipes or brackets")
        self.depth -= 1
        return Selector(tuple(items), self.text)

    def group(self, name: str, start: int) -> Group:
        """The body of "(...)"; `self.pos` is at the opening parenthesis."""
        open_at = self.pos
        self.pos += 1
        body = self.selector(closer=")")
        if self.peek() != ")":
            raise self.error("unclosed '('", open_at, "(", "add the closing ')'")
        self.pos += 1
        if not body.items:
            raise self.error("empty group '()'", open_at, "()", "put selectors inside the parentheses")
        return Group(name, body, start)

    def item(self, closer: str) -> Condition | Group:
        start = self.pos
        if self.peek() == "(":
            return self.group("", start)
        negated = False
        if self.peek() == "!":
            negated = True
            self.pos += 1
            self.skip_ws()
        group = self.group_prefix()
        fields, field_positions = self.fields()
        self.skip_ws()
        operator_position = self.pos
        operator = self.operator(fields[-1])
        if operator == "=" and not negated and group is None and len(fields) == 1 and "." not in fields[0]:
            self.skip_ws()
            if self.peek() == "(":
                return self.group(fields[0], start)
        values = self.values(closer)
        return Condition(tuple(fields), operator, tuple(values), negated, start, tuple(field_positions),
                         operator_position, group)

    def group_prefix(self) -> str | None:
        """The name of the group a condition joins (`@refs.title=x`: "", `a@refs.title=x`:
        "a"), None when it names none."""
        match = GROUP_PREFIX.match(self.text, self.pos)
        if match is None:
            return None
        self.pos = match.end()
        return match.group()[:-1]

    # -- tokens -------------------------------------------------------------------------------
    def identifier(self) -> str:
        text, start = self.text, self.pos
        if start >= len(text) or text[start] not in IDENTIFIER_START:
            found = self.token_at(start) if start < len(text) else "end of selector"
            raise self.error("field name expected", start, found,
                             "a selector looks like field=value; field names are letters, "
                             "digits and _")
        pos = start + 1
        while pos < len(text) and text[pos] in IDENTIFIER_CHARS:
            pos += 1
        self.pos = pos
        return text[start:pos]

    def field(self) -> str:
        start = self.pos
        parts = [self.identifier()]
        while self.peek() == ".":
            self.pos += 1
            parts.append(self.identifier())
        if len(parts) > MAX_FIELD_PARTS:
            raise self.error(f"more than {MAX_FIELD_PARTS} parts in a field name", start,
                             self.text[start:self.pos])
        return ".".join(parts)

    def fields(self) -> tuple[list[str], list[int]]:
        names, positions = [], []
        while True:
            self.skip_ws()
            positions.append(self.pos)
            names.append(self.field())
            self.skip_ws()
            if self.peek() != "|":
                return names, positions
            self.pos += 1

    def operator(self, after: str) -> str:
        text, start = self.text, self.pos
        end = start
        while end < len(text) and text[end] in OPERATOR_CHARS:
            end += 1
        run = text[start:end]
        if not run:
            found = self.token_at(start) if start < len(text) else "end of selector"
            raise self.error(f"operator expected after {after!r}", start, found,
                             f"use one of {' '.join(OPERATORS[2:])}")
        negation = "!" if run.startswith("!") and not run.startswith("!=") else ""
        for operator in OPERATORS:
            # The longest operator the run starts with: "title*=%" is *= and the value "%".
            if run.startswith(negation + operator) and (operator != "!=" or not negation):
                self.pos = start + len(negation) + len(operator)
                return negation + operator
        raise self.error(f"unknown operator {run!r}", start, run,
                         f"use one of {' '.join(OPERATORS[2:])}")

    def values(self, closer: str) -> list[Value]:
        values = [self.value(closer)]
        while self.peek() == "|":
            self.pos += 1
            values.append(self.value(closer))
        return values

    def value(self, closer: str) -> Value:
        self.skip_ws()
        char, start = self.peek(), self.pos
        if char in ("'", '"'):
            value = Value(self.quoted(char), start, quoted=True)
        elif char == "[":
            self.pos += 1
            body = self.selector(closer="]")
            if self.peek() != "]":
                raise self.error("unclosed '['", start, "[", "add the closing ']'")
            self.pos += 1
            value = Value(self.text[start:self.pos], start, sub=body)
        else:
            value = Value(self.bare(closer), start)
        self.skip_ws()
        return value

    def quoted(self, quote: str) -> str:
        text, start = self.text, self.pos
        pos = start + 1
        out: list[str] = []
        while pos < len(text):
            char = text[pos]
            if char == "\\" and pos + 1 < len(text) and text[pos + 1] in (quote, "\\"):
                out.append(text[pos + 1])
                pos += 2
                continue
            if char == quote:
                self.pos = pos + 1
                return "".join(out)
            out.append(char)
            pos += 1
        raise self.error("unclosed quote", start, text[start:start + 12],
                         f"add the closing {quote} (write \\{quote} for a quote inside the value)")

    def bare(self, closer: str) -> str:
        """An unquoted value, up to a comma, a `|` or the closer. `\\|` is a `|` of the value
        (ProcessWire's Selectors::extractValue: the backslashes before it go)."""
        text, pos = self.text, self.pos
        stops = {",", "|"}
        if closer:
            stops.add(closer)
        end = pos
        escaped = False
        while end < len(text) and (text[end] not in stops
                                   or (text[end] == "|" and end > pos and text[end - 1] == "\\")):
            escaped = escaped or text[end] == "|"
            end += 1
        self.pos = end
        value = text[pos:end].strip()
        return ESCAPED_PIPE.sub("|", value) if escaped else value
