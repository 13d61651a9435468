"""Tasker: long jobs as tasks (hidden child pages) run in time-boxed, resumable steps.

    from cms.tasker import Tasker, TaskState, TaskError
    tasker = site.modules.get("Tasker")

See `tasker.py` for the module and the files beside it for each part; README.md in this folder
has a worked example (the original module's dictionary purge, in Python).
"""
# claim.py's heartbeat() is not exported here: the submodule heartbeat.py takes that name on the
# package as soon as it loads. Import it as `from cms.tasker.claim import heartbeat`.
from .claim import Claim, claim_next, claim_task, reap_expired, release
from .errors import ClaimLost, TaskError
from .state import TaskState, state_info
from .tasker import Tasker

__all__ = ["Tasker", "TaskState", "TaskError", "ClaimLost", "Claim", "claim_next", "claim_task",
           "release", "reap_expired", "state_info"]
