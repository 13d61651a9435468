"""Two tabs (or two users) saving one admin form: the save applies what its person changed.

Every edit form of the admin (the page editor, Setup's fields and templates, Access's users
and roles, a module's settings) carries a digest of what each of its inputs showed (`WAS`,
hidden inputs "key:digest"). A save merges what was sent with what is stored now, input by
input (`merge`): an input changed from what it showed is applied; one left as shown keeps
what another save stored since (`Merged.kept`, said in a notice); one changed here and there
is refused beside its input (`CHANGED_ELSEWHERE`, answered 409) with what was typed kept,
and the form shown again carries the digests of what is stored now, so saving it again puts
what was typed in place, as the person then chose. Neither save locks the item, as in
ProcessWire, which applies every input that differs from what is stored (the stale ones too).

A group of boxes (a user's roles, a role's permissions, a template's allowed parents) is one
input per box, keyed "roles=editor" (`boxes`), so two tabs ticking different boxes keep both.
A form whose item was deleted meanwhile is answered by `not_found`, which says so.
"""
from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any, Iterable, NamedTuple

import bottle

from .forms import names_list

if TYPE_CHECKING:
    from .app import Context

# The hidden inputs' name: with a hyphen, which no field name nor module setting holds, as the
# page editor's own inputs are named apart from its fields'.
WAS = "editor-was"
CHANGED_ELSEWHERE = ("saved elsewhere (in another tab or by another user) after this form was "
                     "opened, and changed here too: what you typed is kept here, not saved. Save "
                     "again to put it in place of that, or open the form anew to see it")


def digest(value: Any) -> str:
    """A short digest of a value as an input shows it. A textarea's lines end as the browser
    sends them (CRLF) or as stored (LF): alike here, or a textarea left alone would read as
    changed."""
    text = str(value).replace("\r\n", "\n")
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def digests(inputs: dict[str, Any]) -> dict[str, str]:
    """The digest of each input's value, by key: what a form carries as `WAS`."""
    return {key: digest(value) for key, value in inputs.items()}


def was_shown(form: Any) -> dict[str, str]:
    """The digests a posted form carries, by key (none from a script that sends none)."""
    return dict(item.rpartition(":")[::2] for item in names_list(form, WAS))


def merge(key: str, was: dict[str, str], stored: dict[str, str], mine: str) -> str:
    """How an input's value (its digest `mine`) joins what is stored: "apply" it; "keep" the
    stored value, which another save changed since the form showed `was` while this input
    was left as it showed; or "conflict", both changed it otherwise. An input of a form that
    carries no digest of it (a script's) is applied."""
    shown = was.get(key)
    if shown is None or stored[key] == shown or mine == stored[key]:
        return "apply"
    return "keep" if mine == shown else "conflict"


class Merged(NamedTuple):
    """A form's inputs merged with what is stored: the values to save (and to show again),
    the labels of those kept as stored, and the conflicts by input name."""
    values: dict[str, Any]
    kept: list[str]
    errors: dict[str, str]


def merge_inputs(form: Any, stored: dict[str, Any], sent: dict[str, Any],
                 labels: dict[str, str]) -> Merged:
    """`sent` (the form's inputs, by key) merged with `stored` (the same keys, the item as
    stored now, as the form would show it). `labels` names the inputs (a box's group) for the
    notice of those kept. A conflict's error is placed under its input's name (a box's group),
    its value kept as sent.

    A box of a name that is no option is not stored: left as shown, its option was deleted
    since, and it is left out; else it is applied (the save refuses it by name). A box the
    form carries no digest of, while it carries others, was not shown (a role added since the
    form was opened): it stays as stored, as the page editor's checkboxes not shown do. Any
    other input without its digest (a script's) is applied."""
    was = was_shown(form)
    now = digests(stored)
    values: dict[str, Any] = {}
    kept: list[str] = []
    errors: dict[str, str] = {}
    for key, mine in sent.items():
        name, _, option = key.partition("=")
        if key not in stored:
            if was.get(key) != digest(mine):   # a box of a name there is none of: the save
                values[key] = mine              # refuses it by name
            continue                            # left as shown, of an option deleted since
        if option and was and key not in was:     # a box not shown: as stored
            values[key] = stored[key]
            continue
        how = merge(key, was, now, digest(mine))
        values[key] = stored[key] if how == "keep" else mine
        if how == "keep":
            label = labels.get(name, name)
            kept.append(f"{label} ({option})" if option else label)
        elif how == "conflict":
            errors[name] = CHANGED_ELSEWHERE
    return Merged(values, kept, errors)


def boxes(name: str, options: Iterable[str], ticked: Iterable[str]) -> dict[str, bool]:
    """A group of boxes as inputs: one key per option ("roles=editor"), True when ticked. The
    options are those offered and those ticked (a script may send one not offered, which
    the save then refuses by name)."""
    ticked = list(ticked)
    return {f"{name}={option}": option in ticked for option in dict.fromkeys([*options, *ticked])}


def ticked(name: str, inputs: dict[str, Any]) -> list[str]:
    """The options of the group `name` ticked in `inputs`, in their order there."""
    prefix = name + "="
    return [key[len(prefix):] for key, on in inputs.items() if key.startswith(prefix) and on]


def names_said(names: list[str]) -> str:
    """Names as a sentence lists them: "Title", "Title and Name", "Title, Name and Hidden"."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def kept_notice(kept: list[str]) -> str:
    """The notice of a save that kept inputs as another save left them."""
    them = "it" if len(kept) == 1 else "them"
    return (f"Kept {names_said(kept)} as saved elsewhere (in another tab or by another user) "
            f"after this form was opened: you left {them} as the form showed {them}")


def refused_status(errors: dict[str, str]) -> int:
    """A refused save's status: 409 when an input changed here and elsewhere, else 400."""
    return 409 if CHANGED_ELSEWHERE in errors.values() else 400


def not_found(ctx: Context, what: str) -> bottle.HTTPResponse:
    """The 404 answer for an item there is none of. A form posted for it says that the item
    was deleted after the form was opened (another tab, another user) and nothing was saved,
    where "there is no role 45" left the person wondering where their changes went."""
    message = f"there is no {what}"
    if ctx.request.method == "POST":
        message += (": it was deleted (in another tab or by another user) after this form was "
                    "opened, so nothing was saved")
    return bottle.HTTPResponse(ctx.render("error.html", status=404, message=message), status=404)
