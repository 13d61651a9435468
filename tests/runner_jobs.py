"""A site module for the runner tests, copied into the test site's `modules/counter.py`, so cron
and worker subprocesses booting the same site find it by name.
"""
import time
from pathlib import Path

import cms

HELD = []       # what `hold` keeps, for the life of the step process


class Counter(cms.Module):
    info = {"title": "Runner test jobs", "version": "1.0.0", "summary": "Task methods for runner tests"}
    task_methods = ("bump", "wait", "import_rows", "fail", "stubborn", "explode")

    @property
    def tasker(self):
        return self.site.modules.get("Tasker")

    def bump(self, page, data, options):
        """Add one to the page's `hits`: run twice, a counter would show 2."""
        hits = page.get("hits") or 0
        time.sleep(data.get("delay", 0))        # widens the window a double run would need
        page.set_and_save("hits", hits + 1)
        data["task_done"] = 1
        return True

    def wait(self, page, data, options):
        """A step that waits on I/O (`seconds`), then finishes."""
        time.sleep(data.get("seconds", 0.02))
        data["task_done"] = 1
        return True

    def import_rows(self, page, data, options):
        """Add `row-N` child pages up to `total`, one per record; a milestone every `every`."""
        tasker, task = self.tasker, options["task"]
        total, every = data["total"], data.get("every", 10)
        data["max_records"] = total
        data["milestone"] = data["records_processed"] + every
        while data["records_processed"] < total:
            if not tasker.allowed_to_execute(task, options):
                return True
            n = data["records_processed"]
            self.site.pages.add("row", page, f"row-{n}", title=f"Row {n}")
            data["records_processed"] = n + 1
            if data.get("delay"):
                time.sleep(data["delay"])
            if tasker.save_progress_at_milestone(task, data):
                data["milestone"] = data["records_processed"] + every
        data["task_done"] = 1
        return True

    def explode(self, page, data, options):
        """Bump the counter, then raise: the bump must be rolled back."""
        page.set_and_save("hits", (page.get("hits") or 0) + 1)
        raise RuntimeError("the parser choked")

    def fail(self, page, data, options):
        """A step that reports failure."""
        self.error("the source file is missing")
        return False

    def shrug(self, page, data, options):
        """Adds a row, then returns None (a forgotten `return`): neither True nor False."""
        self.site.pages.add("row", page, "shrugged", title="Shrugged")
        data["records_processed"] = 1

    def exit_now(self, page, data, options):
        """Ends its process at once with exit code `code`, as a crashing C extension might."""
        import os
        os._exit(data.get("code", 3))

    def leak(self, page, data, options):
        """Grows by 10 MB every 20 ms up to `mb` MB, ignoring allowed_to_execute, then holds it
        for `seconds`: a leaking step."""
        hoard = []
        for _ in range(data.get("mb", 500) // 10):
            hoard.append(b"x" * (10 * 2**20))
            time.sleep(0.02)
        time.sleep(data.get("seconds", 30))
        data["task_done"] = 1
        return True

    def hold(self, page, data, options):
        """Keeps `mb` MB for the life of its process, as a slow leak across steps would (less
        than the 16 MB a step may grow by before its process is killed), and finishes after
        `seconds`."""
        HELD.append(b"x" * (data.get("mb", 12) * 2**20))
        time.sleep(data.get("seconds", 0))
        data["task_done"] = 1
        return True

    def stubborn(self, page, data, options):
        """Ignores its timeout and swallows every exception a signal could raise. Touches
        `data["started"]` (a file path), when given, as its step begins."""
        if data.get("started"):
            Path(data["started"]).touch()
        end = time.time() + data.get("seconds", 3600)
        while time.time() < end:
            try:
                time.sleep(0.05)
            except BaseException:
                pass
        data["task_done"] = 1
        return True

    def quit(self, page, data, options):
        """Bumps the counter, then calls sys.exit(`code`), as a command-line library's error
        path in module code might."""
        import sys
        page.set_and_save("hits", (page.get("hits") or 0) + 1)
        sys.exit(data.get("code", 0))

    def interrupt(self, page, data, options):
        """Bumps the counter, then raises KeyboardInterrupt, as module code might (a library
        that turns its own signal handling into one)."""
        page.set_and_save("hits", (page.get("hits") or 0) + 1)
        raise KeyboardInterrupt

    def fill_disk(self, page, data, options):
        """Caps the SQLite file a few pages above its size on this step's connection (PRAGMA
        max_page_count), then adds rows until SQLite says the disk is full: a disk filling
        up mid-step, where SQLite rolls the whole transaction back by itself."""
        import os
        db = self.site.db
        db.execute(f"PRAGMA max_page_count = {db.scalar('PRAGMA page_count') + 4}")
        for n in range(100000):
            self.site.pages.add("row", page, f"fill-{n}", title=os.urandom(100).hex())
        data["task_done"] = 1
        return True
