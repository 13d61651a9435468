"""The signals that stop a command, in one place: Ctrl-C (SIGINT), SIGTERM (systemd, `kill`,
`timeout`) and SIGHUP (the terminal that started the command closed).

Every command that runs steps or serves (`cron`, `worker`, `tasks run`, `serve`, the demo)
takes the three alike: left to Python's default, SIGHUP killed the process mid-step, and the
step's work since its last save was lost with no row in its task's steps. A step process (a
runner's child, Run now's) ignores all three: the kernel sends the hang-up to the whole
process group, and its supervisor decides when its step stops.

A command started with the hang-up ignored (`nohup python run.py worker &`, or a service
manager that asks for it) was asked to outlive its terminal: it keeps SIGHUP ignored, and only
SIGINT and SIGTERM stop it. That is read once, when this module is first imported (as the
command starts, before any handler of ours is in place).
"""
from __future__ import annotations

import signal

HANGUP_IGNORED = signal.getsignal(signal.SIGHUP) is signal.SIG_IGN      # nohup
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM) + (() if HANGUP_IGNORED else (signal.SIGHUP,))


def ignore_stop_signals() -> None:
    """Ignore the stop signals in this process (a step process: its supervisor stops it)."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)


def stop_signals_ignored() -> bool:
    """Whether this process ignores the stop signals, as a step process does: then no
    KeyboardInterrupt or handler's sys.exit() comes from outside the step."""
    return all(signal.getsignal(signum) is signal.SIG_IGN for signum in STOP_SIGNALS)
