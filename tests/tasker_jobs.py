"""A site module for the Tasker tests: copied into the test site's `modules/` folder, so a
worker subprocess booting the same site finds it by name, as a real site's module would be.

Each method follows the task contract: it gets the page, the task data and the options,
resumes from `records_processed`, and returns True (False = failed).
"""
import threading
import time

import cms


class Jobs(cms.Module):
    info = {"title": "Test jobs", "version": "1.0.0", "summary": "Task methods for the tests"}
    task_methods = ("count", "noop")

    @property
    def tasker(self):
        return self.site.modules.get("Tasker")

    def archive(self, page, data, options):
        """Trashes the page it works on as its last act (`done`: 1), or before a step that
        goes on (`done`: 0)."""
        self.site.pages.trash(page)
        data["task_done"] = data.get("done", 1)
        return True

    def count(self, page, data, options):
        """Add one child page `rec-N` per record until `total`; a milestone every `every`."""
        tasker, task = self.tasker, options["task"]
        total, every = data["total"], data.get("every", 100)
        data["max_records"] = total
        data.setdefault("milestone", data["records_processed"] + every)
        while data["records_processed"] < total:
            if not tasker.allowed_to_execute(task, options):
                return True
            n = data["records_processed"]
            if data.get("act_at") == n:
                self.act(task, data.pop("act"))
            self.site.pages.add("basic-page", page, f"rec-{n}", title=f"record {n}")
            data["records_processed"] = n + 1
            if data.get("pause"):
                time.sleep(data["pause"])
            if tasker.save_progress_at_milestone(task, data):
                data["milestone"] = data["records_processed"] + every
        data["task_done"] = 1
        return True

    def act(self, task, what):
        """Something that happens to a running step, as another process or a signal would do it."""
        tasker = self.tasker
        if what == "interrupt":
            tasker.interrupt("the worker got SIGTERM")
        elif what == "kill":
            tasker.stop_task(task, kill=True, by="admin")
        elif what == "suspend":
            tasker.stop_task(task, by="admin")
        elif what == "reset":
            tasker.reset_progress(task, by="admin")
        elif what == "lose":      # as if the lease ran out and another runner claimed the task
            self.site.db.execute("UPDATE tasker_tasks SET token = 'stolen' WHERE pages_id = ?",
                                 (task.id,))

    def noop(self, page, data, options):
        data["task_done"] = 1
        return True

    def move_away(self, page, data, options):
        """Changes what names its work, then counts a step; done on the second."""
        data["pageid"], data["module"] = 999_999, "Elsewhere"
        data["seen_page"] = page.id
        data["records_processed"] = data.get("records_processed", 0) + 1
        self.tasker.save_progress(options["task"], data)
        data["pageid"] = None
        data["task_done"] = 1 if data["records_processed"] >= 2 else 0
        return True

    def half(self, page, data, options):
        """Does half of the work per step: finished on the second step."""
        data["records_processed"] += 1
        data["max_records"] = 2
        data["task_done"] = 1 if data["records_processed"] >= 2 else 0
        return True

    def refuse(self, page, data, options):
        """Adds a page, says why, and returns False: a failed task."""
        self.site.pages.add("basic-page", page, "refused", title="refused")
        data["records_processed"] = 1
        self.warning("the input looks wrong")
        return False

    def boom(self, page, data, options):
        """Saves 3 records at a milestone, adds 2 more pages, then raises."""
        tasker, task = self.tasker, options["task"]
        for n in range(5):
            self.site.pages.add("basic-page", page, f"rec-{n}", title=f"record {n}")
            data["records_processed"] = n + 1
            if n == 2:
                data["milestone"] = 3
                tasker.save_progress_at_milestone(task, data)
        self.message("about to break")
        raise RuntimeError("the import file is corrupt")

    def progress_down(self, page, data, options):
        """Reports 60% then 30%: stored progress must stay at 60."""
        tasker, task = self.tasker, options["task"]
        data["progress"] = 60
        tasker.save_progress(task, data)
        data["progress"] = 30
        tasker.save_progress(task, data)
        return True

    def nested(self, page, data, options):
        """Reaches a milestone inside its own transaction, then fails the inner block."""
        tasker, task = self.tasker, options["task"]
        self.site.pages.add("basic-page", page, "outer", title="outer")
        data["records_processed"] = 1
        data["milestone"] = 1
        tasker.save_progress_at_milestone(task, data)          # top level: commits
        try:
            with self.site.transaction():
                self.site.pages.add("basic-page", page, "inner", title="inner")
                data["records_processed"] = 2
                data["milestone"] = 2
                tasker.save_progress_at_milestone(task, data)  # nested: commit deferred
                raise ValueError("inner block fails")
        except ValueError:
            data["records_processed"] = 1
        data["task_done"] = 1
        return True

    def skip_a_record(self, page, data, options):
        """Saves inside its own transaction, which a bad record then rolls back; skips the
        record and goes on from its new cursor (the step ends without another save)."""
        tasker, task = self.tasker, options["task"]
        try:
            with self.site.transaction():
                self.message("cursor moved to B")
                data["cursor"] = "B"
                tasker.save_progress(task, data)
                raise ValueError("record B is bad")
        except ValueError:
            self.warning("record B skipped")
        return True

    def fail_in_block(self, page, data, options):
        """Saves half way inside its own transaction, then fails in it."""
        tasker, task = self.tasker, options["task"]
        data["max_records"] = 10
        with self.site.transaction():
            data["records_processed"] = 5
            tasker.save_progress(task, data)
            raise RuntimeError("record 6 is bad")

    def chatty(self, page, data, options):
        """Says `lines` messages, `errors` errors and `warnings` warnings, and one debug line;
        with `elsewhere`, another thread says something at the same time."""
        for n in range(data.get("lines", 1)):
            self.message(f"line {n}")
        for n in range(data.get("errors", 0)):
            self.error(f"error {n}")
        for n in range(data.get("warnings", 0)):
            self.warning(f"warning {n}")
        self.message("debug detail", debug=True)
        if data.get("elsewhere"):
            other = threading.Thread(target=self.message, args=("said in another thread",))
            other.start()
            other.join()
        data["progress"] = 35
        return True

    def sleepy(self, page, data, options):
        """Computes without saving for `seconds` (a heartbeat keeps the lease)."""
        end = time.time() + data["seconds"]
        while time.time() < end:
            time.sleep(0.05)
        data["task_done"] = 1
        return True

    def raise_first(self, page, data, options):
        """Fails before its first statement (after a save with `after_save`)."""
        if data.get("after_save"):
            self.site.pages.add("basic-page", page, "saved-first", title="Saved first")
            data["records_processed"] = 1
            self.tasker.save_progress(options["task"], data)
        raise ValueError("record 2 cannot be parsed")

    def busy_then_fail(self, page, data, options):
        """Its first statement finds the lock taken (the test arms that); it goes on, adds a
        page, and fails: nothing of the step may stay."""
        from cms.errors import DatabaseBusy
        try:
            self.site.pages.add("basic-page", page, "first", title="First")
        except DatabaseBusy:
            self.message("the database was busy; going on")
        self.site.pages.add("basic-page", page, "second", title="Second")
        raise RuntimeError("after the second page")

    def fetch_and_store(self, page, data, options):
        """Waits for an answer (no database: the test's `answers` queue, after it says so on
        `waiting`), stores it and saves; twice."""
        tasker, task = self.tasker, options["task"]
        for round in (1, 2):
            type(self).waiting.put(round)
            type(self).answers.get(timeout=30)
            self.site.pages.add("basic-page", page, f"answer-{round}", title=f"Answer {round}")
            data["records_processed"] = round
            tasker.save_progress(task, data)
        data["task_done"] = 1
        return True

    def odd(self, page, data, options):
        """Adds a page, then returns `data["returns"]` (None, a dict, ...): neither True nor False."""
        self.site.pages.add("basic-page", page, "odd", title="odd")
        data["records_processed"] = 1
        return data.get("returns")

    def lock_trouble(self, page, data, options):
        """Adds a page, then fails on a lock timeout that module code wrapped in its own error."""
        from cms.tasker.storage import WriteLockTimeout
        self.site.pages.add("basic-page", page, "trouble", title="trouble")
        data["records_processed"] = 1
        try:
            raise WriteLockTimeout("the SQLite database stayed locked by another writer for 10 s")
        except WriteLockTimeout as exc:
            raise RuntimeError("could not save the record") from exc

    def touch_locked(self, page, data, options):
        """Updates the page's row with a short lock wait (a row another connection may hold)."""
        db = self.site.db
        if db.engine == "postgresql":
            db.execute("SET LOCAL lock_timeout = '200ms'")
        elif db.engine == "mariadb":
            db.execute("SET SESSION innodb_lock_wait_timeout = 1")
        try:
            db.execute("UPDATE pages SET status = status WHERE id = ?", (page.id,))
        finally:
            if db.engine == "mariadb":
                db.execute("SET SESSION innodb_lock_wait_timeout = 50")
        data["task_done"] = 1
        return True

    def stand_still(self, page, data, options):
        """Returns True and, once its `moves` are used up, changes nothing: a stuck task."""
        if data.get("moves"):
            data["moves"] -= 1
        return True

    def purge_dictionary(self, dict_page, task_data, options):
        """The seed's example: delete the dictionary's word pages, stopping when time is over."""
        tasker = self.tasker
        words_selector = "template=basic-page, include=all"        # not the task page itself
        task_data["task_done"] = 0
        if not task_data["max_records"]:
            task_data["max_records"] = self.site.pages.count(f"parent={dict_page.id}, {words_selector}")
        while True:
            if options["timeout"] and options["timeout"] <= time.time():   # time is over
                return True          # progress is saved; the next step resumes here
            words = dict_page.children(f"{words_selector}, limit=10")
            if not words:
                break
            for word in words:
                self.site.pages.delete(word)
                task_data["records_processed"] += 1
                time.sleep(task_data.get("pause", 0))
            tasker.save_progress(options["task"], task_data)
        task_data["progress"] = 100
        task_data["task_done"] = 1
        return True
