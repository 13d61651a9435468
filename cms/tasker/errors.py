"""Tasker's exceptions: `TaskError` for anything a caller asked that cannot be done."""
from __future__ import annotations

from ..errors import CmsError

# How a task in the trash comes back, for the refusals that name it: no `tasks` command restores
# a page, so "restore its page first" alone left a terminal user with nowhere to go.
HOW_TO_RESTORE = "Restore on the admin's Trash screen (/admin/trash/), or page.restore() in Python"


class TaskError(CmsError):
    """A task that cannot be created, found or changed; the message names what and why.

    Nothing is stored when it is raised.
    """


class ClaimLost(TaskError):
    """Raised inside a running step whose claim went to another runner (its lease expired).

    The step's uncommitted work is rolled back before this is raised, and nothing the step does
    afterwards is committed: the task belongs to the other runner now.
    """
