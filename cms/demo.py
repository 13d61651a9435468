"""The demo: a Dictionary module whose tasks import a real English word list and purge it.

`setup_demo(site)` builds the demo site once (home, about, a Dictionary page, an admin user and
two tasks) and remembers what it built (`meta` row `demo`), so a page the user renamed, moved
or deleted is left as the user made it on later starts. The module is also the reference for
writing a task method: it resumes from `records_processed`, saves at milestones, and stops
when `allowed_to_execute` says its time (or memory) is up.

The import is paced (`words_per_second`, 250 by default: 20,000 words take about 80 seconds)
so that someone who starts the demo and opens the admin sees the bar, rate and ETA move
(the demo site's worker runs 5-second steps, Tasker's `cron_timeout`, so the rate is known
early); 0 imports as fast as the machine can. These are settings on the Modules screen.
"""
from __future__ import annotations

import secrets
import time
from typing import Any

from .module import Module
from .page import ADMIN_ID, HOME_ID, NOT_FOUND_ID, TRASH_ID, Page
from .schema import get_meta, set_meta

MILESTONE = 500
DEMO_STEP_SECONDS = 5


def word_list(limit: int) -> list[str]:
    """Words of the public-domain `web2` list, evenly sampled down to `limit` (0 = all)."""
    from english_words import get_english_words_set
    words = sorted(get_english_words_set(["web2"], lower=True))
    if limit and len(words) > limit:
        step = len(words) / limit
        words = [words[int(i * step)] for i in range(limit)]
    return words


class Dictionary(Module):
    """Imports words as pages under a dictionary page, and purges them again."""

    info = {"title": "Dictionary (demo)", "version": "1.0.0",
            "summary": "Imports an English word list as pages, one per word, as a Tasker task."}
    config_defaults = {"max_words": 20000, "words_per_second": 250}
    config_limits = {"max_words": (0, None), "words_per_second": (0, 100000)}
    config_labels = {"max_words": "Words to import (0: the whole list)",
                     "words_per_second": "Import pace, words per second (0: full speed)"}
    task_methods = ("import_words", "purge_dictionary")

    def install(self) -> None:
        self.site.fields.add("body", "Textarea", label="Body")
        self.site.templates.add("dictionary", fields=["title", "body"], page_numbers=True)
        self.site.templates.add("word", fields=["title"], no_children=True)

    @property
    def tasker(self) -> Any:
        return self.site.modules.get("Tasker")

    def import_words(self, page: Page, task_data: dict, options: dict) -> bool:
        """Add one page per word under `page`, resuming at `records_processed`."""
        tasker, task = self.tasker, options["task"]
        config = self.config
        words = word_list(int(config["max_words"]))
        pace = float(config.get("words_per_second") or 0)
        task_data["max_records"] = len(words)
        done = task_data["records_processed"]
        first, began = done, time.monotonic()
        task_data.setdefault("milestone", done + MILESTONE)
        # Started again from 0 (reset, or killed and run again) over words already imported:
        # each is looked up, so a second run adds what is missing instead of "a-1", "a-2" ...
        # The choice is made at the run's first step and kept in task_data, so the run's later
        # steps look up too (a reset clears it; a first run over an empty page looks nothing up).
        look_up = task_data.setdefault("look_up", int(done == 0 and page.num_children > 0))
        while done < len(words):
            if not tasker.allowed_to_execute(task, options):
                return True          # time is up: the next step resumes from the saved cursor
            word = words[done]
            name = self.site.sanitizer.page_name(word)
            if not (look_up and self.site.pages.get_by_path(f"{page.path}{name}/")):
                self.site.pages.add("word", page, name, title=word)
            done += 1
            task_data["records_processed"] = done
            if tasker.save_progress_at_milestone(task, task_data):
                task_data["milestone"] = done + MILESTONE
            if pace:
                ahead = (done - first) / pace - (time.monotonic() - began)
                if ahead > 0:
                    time.sleep(ahead)
        task_data["task_done"] = 1
        self.message(f"imported {done} words into {page.path}")
        return True

    def purge_dictionary(self, page: Page, task_data: dict, options: dict) -> bool:
        """Delete the word pages under `page`, a batch at a time, as the seed's example does."""
        tasker, task = self.tasker, options["task"]
        if not task_data.get("max_records"):
            task_data["max_records"] = self.site.pages.count(f"parent={page.id}, template=word, include=all")
        task_data.setdefault("milestone", task_data["records_processed"] + MILESTONE)
        while True:
            if not tasker.allowed_to_execute(task, options):
                return True
            batch = self.site.pages.find(f"parent={page.id}, template=word, include=all, limit=100")
            if not batch:
                break
            for word in batch:
                self.site.pages.delete(word)
                task_data["records_processed"] += 1
            if tasker.save_progress_at_milestone(task, task_data):
                task_data["milestone"] = task_data["records_processed"] + MILESTONE
        task_data["task_done"] = 1
        return True


def takes_the_demo(site: Any) -> bool:
    """Whether `python run.py` may build the demo on this site: a new one (no page but home,
    the admin's, the trash and the 404 page), or one the demo built (its record, or its two
    pages from before it kept one). A site with pages of its own would be given the demo's
    pages, module, tasks and an "admin" superuser."""
    if get_meta(site, "demo") or (site.pages.get("/about/") and site.pages.get("/dictionary/")):
        return True
    fixed = (HOME_ID, ADMIN_ID, TRASH_ID, NOT_FOUND_ID)
    return not site.pages.count(f"has_parent!={ADMIN_ID}, id!={'|'.join(map(str, fixed))}, include=all")


def setup_demo(site: Any, admin_name: str = "admin") -> dict[str, Any]:
    """Build what the demo lacks; return what to tell the person at the terminal.

    What was built once is remembered by id and never built again, so the user's changes
    stay. The admin password is generated and returned only when the user is created, so it
    is printed once. `importer` is the import task (a NullPage when it was deleted).
    """
    tasker = site.modules.get("Tasker")
    dictionary_module = site.modules.get("Dictionary")
    home = site.pages.get(1)
    built: dict[str, int] = dict(get_meta(site, "demo") or {})     # type: ignore[call-overload]
    if not built and not site.templates.get("basic-page").has_field("body"):
        site.templates.get("basic-page").add_field("body")
    if "about" not in built:
        about = site.pages.get("/about/") or site.pages.add(
            "basic-page", home, "about", title="About this demo",
            body="A ProcessWire-style page tree with Tasker. Sign in to the admin to watch the "
                 "dictionary import run.")
        built["about"] = about.id
    created_tasks = False
    if "dictionary" not in built:
        dictionary = site.pages.get("/dictionary/")
        if not dictionary:
            dictionary = site.pages.add("dictionary", home, "dictionary", title="Dictionary",
                                        body="English words, imported by a Tasker task.")
            importer = tasker.create_task(dictionary_module, "import_words", dictionary,
                                          "Import the dictionary")
            purger = tasker.create_task(dictionary_module, "purge_dictionary", dictionary,
                                        "Purge the dictionary")
            tasker.add_dependency(purger, importer)
            # The dictionary page shows its tasks' progress to visitors: this demo opens task
            # pages to guests on purpose (by default only tasker-admin roles see them).
            site.templates[tasker.TEMPLATE].set_access(view=["guest"])
            # Short worker steps: the task page shows a rate and an ETA within seconds, and
            # the import visibly resumes step after step (this demo site's setting only).
            site.modules.save_config("Tasker", cron_timeout=DEMO_STEP_SECONDS)
            tasker.activate_task(importer)
            built["importer"] = importer.id
            created_tasks = True
        built["dictionary"] = dictionary.id
    if "importer" not in built and site.pages.get(built["dictionary"]):   # built before `demo`
        found = tasker.get_tasks(f'parent={built["dictionary"]}, title="Import the dictionary"')
        if found:
            built["importer"] = found[0].id
    set_meta(site, "demo", built)
    password = None
    if not site.users.get(admin_name):
        password = secrets.token_urlsafe(12)
        site.users.add(admin_name, password, roles=("superuser",))
    importer = tasker.get_task_by_id(built["importer"]) if built.get("importer") else None
    return {"admin": admin_name, "password": password,
            "dictionary": site.pages.get(built["dictionary"]), "created_tasks": created_tasks,
            "importer": importer or None,
            "words_per_second": site.modules.get_config("Dictionary")["words_per_second"]}
