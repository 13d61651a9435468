"""JSON answers, the web layer's one error class, and its one JSON error answer.

Routes raise `HttpError(message, status)` for a request they refuse: 400 for bad input, 403
(with `login=True` when the user lacks a right: a guest is sent to log in instead, as for
`cms.PermissionDenied` raised by the site's own access checks), 404, 413 ... The app turns it
into the page or JSON answer. JSON errors keep the original Tasker's keys, so the admin's
script reads an error as it reads a status.
"""
from __future__ import annotations

import json
from typing import Any

import bottle


class HttpError(Exception):
    """A request the server refuses, with the HTTP status that says why. `login`: the user
    lacks a right, so a guest is sent to log in instead of shown the refusal."""

    def __init__(self, message: str, status: int = 400, *, login: bool = False):
        super().__init__(message)
        self.status = status
        self.login = login


def json_response(data: Any, status: int = 200) -> bottle.HTTPResponse:
    """A JSON answer (the public site's too, which gets no admin headers): never cached and
    never sniffed as HTML, whatever the strings in it hold."""
    return bottle.HTTPResponse(json.dumps(data), status=status, headers={
        "Content-Type": "application/json", "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff"})


def error_json(message: str, status: int, task: Any = None, now: Any = None) -> bottle.HTTPResponse:
    """A refusal as JSON, in the shape of a task's status answer (`status: false`); `now`, the
    task's status as stored (Tasker.get_status), fills its state, so a refused command does
    not say the task is in state 0."""
    from ..tasker.state import state_info
    return json_response({"taskid": getattr(task, "id", 0) or 0,
                          "taskinfo": (task.get("title") or "") if task is not None else "",
                          "task_state": now.state if now else 0,
                          "task_state_info": state_info(now.state, now.running) if now else "",
                          "status": False, "status_html": "", "result": message,
                          "message": message, "progress": now.progress if now else 0,
                          "task_running": int(now.running) if now else 0, "log": []}, status)
