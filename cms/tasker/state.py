"""Task states, as the original Tasker numbers them, and how a state reads to a person."""
from __future__ import annotations

from enum import IntEnum


class TaskState(IntEnum):
    """The state stored in a task's `task_state` field.

    ACTIVE means ready to run (a runner may claim it); WAITING means it waits to be activated
    (new tasks start here; a suspend sends a task back here). FINISHED, KILLED and FAILED are
    final until someone activates, resets or restarts the task.
    """

    UNKNOWN = 0
    ACTIVE = 1
    WAITING = 2
    FINISHED = 3
    KILLED = 4
    FAILED = 5

    @property
    def label(self) -> str:
        return self.name.lower()


# A task in one of these states is "live": it counts for the duplicate check of create_task.
LIVE_STATES = frozenset({TaskState.ACTIVE, TaskState.WAITING})

# What a state reads as while a step still runs: the change lands when the step stops.
_WHILE_RUNNING = {
    TaskState.ACTIVE: "running",
    TaskState.WAITING: "suspending",
    TaskState.KILLED: "killing",
    TaskState.FINISHED: "finishing",
    TaskState.FAILED: "failing",
}


_BY_NUMBER = {state.value: state for state in TaskState}


def as_state(value: object) -> TaskState:
    """A TaskState from an int (unknown numbers read as UNKNOWN); a dict lookup, as a step
    converts several and calling the enum costs eight times more."""
    found = _BY_NUMBER.get(value)    # type: ignore[call-overload]
    if found is not None:
        return found
    try:
        return _BY_NUMBER.get(int(value), TaskState.UNKNOWN)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return TaskState.UNKNOWN


def state_info(state: int, running: int | bool = False) -> str:
    """The state as a word for the admin: `active`, `waiting` ..., or `running`, `suspending`,
    `killing` while a step still runs."""
    state = as_state(state)
    if running:
        return _WHILE_RUNNING.get(state, state.label)
    return state.label
