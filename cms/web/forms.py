"""What the admin's forms share: a refused value's message placed beside the input it came from.

The API raises `ValidationError(field=..., rule=...)`; a form knows which of its inputs a rule
or a field name belongs to and shows the message there, or above the form when none fits.
"""
from __future__ import annotations

from typing import Any

from ..errors import CmsError, ValidationError
from ..page import PageArray


def place_error(exc: CmsError, inputs_by_key: dict[str, str], errors: dict[str, str]) -> None:
    """Put `exc`'s message beside the input named for its rule or field (else under "_").
    Beside the input of its field, the message leaves out the API's "field 'email': ", as
    the page editor's do: the input's label names it."""
    key, message = "_", str(exc)
    if isinstance(exc, ValidationError):
        for candidate in (exc.rule, exc.field):
            if candidate and candidate in inputs_by_key:
                key = inputs_by_key[candidate]
                break
        if exc.field in inputs_by_key:
            message = without_field_name(message, exc.field)
    errors[key] = message


def without_field_name(message: str, name: str) -> str:
    """An API message as shown beside its field's input, whose label names the field already:
    without the "field 'email': " it starts with."""
    return message.removeprefix(f"field {name!r}: ")


def checked(form: Any, name: str) -> bool:
    """A checkbox: sent (with any value) means on."""
    return bool(form.getunicode(name))


def as_text(raw: str) -> str:
    """A value as bottle keeps it (the bytes sent, one latin-1 character each) read as UTF-8;
    bytes that are no UTF-8 become U+FFFD. bottle's own `decode()` raises on them, which made
    `?selector=%ff` a 500."""
    return raw.encode("latin-1", "replace").decode("utf-8", "replace")


def names_list(form: Any, name: str) -> list[str]:
    """Every value of a repeated input (checkboxes, ordered lists), blanks left out."""
    return [value for value in (as_text(v).strip() for v in form.getall(name)) if value]


def all_items(form: Any) -> list[tuple[str, str]]:
    """Every (name, value) of a form, in order, as text."""
    return [(as_text(name), as_text(value)) for name, value in form.allitems()]


def page_ids_text(value: Any) -> str:
    """A Page field's value as the page editor's input holds it: its page ids, comma separated
    ("" for none); Find's column shows their titles instead.
    Tested by type: a NullPage answers every attribute, so `hasattr(value, "ids")` cannot tell."""
    ids = value.ids() if isinstance(value, PageArray) else [value.id] if value else []
    return ", ".join(str(i) for i in ids)


def selector_quoted(value: str) -> str:
    """A value as a selector reads it back exactly (in double quotes, escaped)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
