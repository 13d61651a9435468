"""The transaction a step runs in, and the batch a runner keeps open across short steps.

A step runs in a transaction of its own, or, when the runner left one open after a short step
(a batch, see step.py), in a savepoint inside it. At the step's saves it commits part way and
begins again (only at the top level: a module's own nested `site.transaction()` defers it); at
its end it commits, rolls back, or stays open as the batch for the runner's next claimed step.
A rollback inside a batch goes back to the step's savepoint only: the steps before it commit.

`undone` is told whenever work since the last commit is rolled back, so the step can write its
log lines again in the next transaction.

On the server engines a step's session is ended by the server once it sits idle inside its
transaction for longer than the step's time box plus its lease (`idle_limit`): a runner frozen
mid-step (SIGSTOP, a paused VM) inside the module's own transaction held its task's row, which
the reaper skips, and the page rows it wrote, for as long as it stayed frozen. A step that
keeps to its time box is never idle that long; its heartbeat cannot tell a frozen runner from
a busy one, as it cannot renew a row its own step holds.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from ..db.base import HeldTransaction
    from .claim import Claim, ClaimAhead
    from .step import StepRunner


class Batch:
    """A transaction that a step left open for the runner's next claimed step."""

    __slots__ = ("txn", "started", "steps", "claims")

    def __init__(self, txn: HeldTransaction, started: float, claim: Claim):
        self.txn = txn              # the open transaction, still attached
        self.started = started      # monotonic seconds when it began
        self.steps = 1              # steps that ran in it so far
        self.claims = [claim]       # theirs: still held if the batch rolls back (see end_batch)


class StepTransaction:
    """One step's transaction (or savepoint in a batch), from `begin` to `end`."""

    __slots__ = ("runner", "claim", "undone", "txn", "level", "open", "batch", "began",
                 "committed", "tuned", "ahead", "idle_limit")

    def __init__(self, runner: StepRunner, claim: Claim, undone: Callable[[], None],
                 ahead: ClaimAhead | None = None, idle_limit: float = 0.0):
        self.runner = runner
        self.claim = claim
        self.undone = undone
        self.txn: Any = None             # HeldTransaction: the step's, or its savepoint in a batch
        self.level = 0                   # transaction_level() at the step's top
        self.open = False
        self.batch: Batch | None = None  # the open batch this step runs in (as a savepoint)
        self.began = time.monotonic()    # when its transaction (or its batch's) began
        self.committed = False           # it committed part way (a long step)
        self.tuned: object = None        # what storage.step_started changed
        self.ahead = ahead               # the runner's claims queued behind this step
        self.idle_limit = idle_limit     # seconds its session may idle in its transaction (0: no end)

    def begin(self) -> None:
        runner = self.runner
        db = runner.site.db
        batch = runner.batch
        if batch is None:
            db.limit_idle_transaction(self.idle_limit)
            self.txn = db.hold_transaction(runner.storage.begin_step)
        else:               # the batch's transaction is open: this step is a savepoint in it
            self.txn = db.hold_savepoint("tasker_step")
            self.batch, self.began = batch, batch.started
        self.level = db.transaction_level()
        self.open = True

    def at_top(self) -> bool:
        """No `site.transaction()` of the module's is open (so a commit may happen now)."""
        return self.runner.site.db.transaction_level() == self.level

    def commit(self) -> None:
        """Commit what the step did so far and begin again (top level only)."""
        storage = self.runner.storage
        if self.tuned is None:       # a step that commits part way: tune for that, once
            self.tuned = storage.step_started()
        held: list[Claim] = []       # claims this commit settles: held still if it fails
        try:
            if self.batch is not None:   # commit the batch with it; the step goes on alone
                held += self._leave_batch()
            if self.ahead is not None and (self.ahead.queued() or self.ahead.out()):
                # a long step: the tasks claimed after it go back to other runners in this
                # commit (and are held again if it fails)
                held += self.ahead.give_back(self.runner.tasker)
            self.txn.commit()
        except BaseException:
            self.runner.rolled_back.extend(held)
            raise
        self.open = False
        if not self.committed:       # and let titles wait for their index over several commits
            self.runner.site.pages.text_index.widen()
        self.committed = True
        storage.give_way()
        storage.begin_step()
        self.open = True

    def end(self, commit: bool, keep_open: bool = False) -> bool:
        """Leave the transaction, committing or rolling back; `keep_open` leaves a successful
        step's transaction open as a batch for the runner's next claimed step. True when what
        the step wrote is committed for good (not when it stays open in a batch)."""
        runner = self.runner
        if self.committed:           # widened at its first commit (narrow may run twice)
            runner.site.pages.text_index.narrow(move=commit and self.open)
        if self.tuned is not None:
            saved, self.tuned = self.tuned, None
            try:
                runner.storage.step_ended(saved)
            except Exception:
                pass          # a lost connection: the next one starts with the defaults
        if self.txn is None:         # begin() failed before the transaction: nothing to leave,
            return False             # and the step's own error is the one to report
        self.txn.detach()
        if not self.open:
            return False
        self.open = False
        if not commit:
            self._rollback()
            return False
        batch = self.batch
        if batch is not None:
            try:
                self.txn.commit()               # RELEASE SAVEPOINT: the step is part of the batch
            except BaseException:
                self._rollback()
                raise
            self.batch = None
            batch.steps += 1
            batch.claims.append(self.claim)
            if keep_open:
                return False
        elif keep_open:
            self.txn.attach()
            runner.batch = Batch(self.txn, self.began, self.claim)
            return False
        try:
            if batch is not None:
                runner.end_batch(batch)
            else:
                self.txn.commit()
            runner.storage.give_way()
        except BaseException:
            if batch is None:
                self._rollback()
            else:                                   # end_batch rolled it back
                self.undone()
            raise
        return True

    def _leave_batch(self) -> list[Claim]:
        """Release this step's savepoint and take over the batch's transaction as its own;
        the claims of the steps before it in the batch."""
        batch = self.batch
        assert batch is not None
        self.txn.detach()
        self.txn.commit()                       # RELEASE SAVEPOINT
        self.txn, self.batch = batch.txn, None
        self.runner.batch = None
        return batch.claims

    def _rollback(self) -> None:
        """Undo the step; in a batch only back to its savepoint, and the steps before it commit."""
        runner = self.runner
        batch, self.batch = self.batch, None
        try:
            if batch is None:
                self.txn.rollback()
            else:
                try:
                    self.txn.rollback()         # ROLLBACK TO SAVEPOINT
                    self.txn.commit()           # and release it
                except BaseException as exc:
                    # The savepoint went with the whole transaction (SQLite rolls it back by
                    # itself on a full disk; a lost connection): so did the batch, whose claims
                    # end_batch keeps to give back. Raised, this error took the place of the
                    # one that ended the step, and stopped the runner's process.
                    runner.end_batch(batch, commit=False)
                    if not isinstance(exc, Exception):
                        raise               # Ctrl-C meanwhile: the runner stops
                else:
                    runner.end_batch(batch)
        finally:
            self.undone()      # what it wrote since its last commit is to be written again
