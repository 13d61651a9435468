"""How Tasker's callers name a task and themselves: a page or an id, and who acts.

Every service takes tasks as the callers give them (a task page, its id, or its id as text);
these two functions turn that into what the services store.
"""
from __future__ import annotations

from typing import Any

from ..digits import int_of_digits, shown_number
from ..page import MAX_ID, NullPage, Page
from .errors import TaskError


def task_id_of(task: Any) -> int:
    """The id of a task given as a page, an id or an id as text (TaskError otherwise, and for
    an id no page can have: SQLite raised OverflowError for one past 64 bits)."""
    if isinstance(task, NullPage):
        raise TaskError("the task was not found (a NullPage was given)")
    if isinstance(task, Page) and not task.id:
        raise TaskError("the task page has not been saved")
    task_id = given_id(task)
    if not 0 < task_id <= MAX_ID:
        raise TaskError(f"page {shown_number(task if isinstance(task, str) else task_id)} "
                        "is not a task")
    return task_id


def given_id(task: Any) -> int:
    """The page id `task` names, in any range (0 for a NullPage; past MAX_ID for an id of
    thousands of digits): a page's id, an int, or an id as text; TaskError for anything else
    (None, a float, a name), as for a wrong type every call taking a task says the same."""
    if isinstance(task, Page):
        return task.id
    if isinstance(task, int) and not isinstance(task, bool):
        return task
    if isinstance(task, str) and task.strip().isdecimal():
        return int_of_digits(task)
    raise TaskError(f"a task is a page or a page id, not {task!r}")


def acting_name(site: Any, by: str | None = None) -> str:
    """Who acts, for the history: `by` if given, else the current user's name, else "api"."""
    if by:
        return str(by)[:128]
    user = site.acting_user()
    name = getattr(user, "name", "") if user else ""
    return name or "api"
