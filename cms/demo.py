"""The demo: a Dictionary module whose tasks import a real English word list and purge it.

`setup_demo(site)` builds the demo site once (home, about, a Dictionary page, an admin user and
two tasks); running it again reuses what is there. The module is also the reference for
writing a task method: it resumes from `records_processed`, saves at milestones, and stops
when `allowed_to_execute` says its time (or memory) is up.
"""
from __future__ import annotations

import secrets
from typing import Any

from .module import Module
from .page import Page

MILESTONE = 500


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
    config_defaults = {"max_words": 20000}
    task_methods = ("import_words", "purge_dictionary")

    def install(self) -> None:
        self.site.fields.add("body", "Textarea", label="Body")
        self.site.templates.add("dictionary", fields=["title", "body"])
        self.site.templates.add("word", fields=["title"], no_children=True)

    @property
    def tasker(self) -> Any:
        return self.site.modules.get("Tasker")

    def import_words(self, page: Page, task_data: dict, options: dict) -> bool:
        """Add one page per word under `page`, resuming at `records_processed`."""
        tasker, task = self.tasker, options["task"]
        words = word_list(int(self.config["max_words"]))
        task_data["max_records"] = len(words)
        done = task_data["records_processed"]
        task_data.setdefault("milestone", done + MILESTONE)
        while done < len(words):
            if not tasker.allowed_to_execute(task, options):
                return True          # time is up: the next step resumes from the saved cursor
            word = words[done]
            self.site.pages.add("word", page, title=word)
            done += 1
            task_data["records_processed"] = done
            if tasker.save_progress_at_milestone(task, task_data):
                task_data["milestone"] = done + MILESTONE
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


def setup_demo(site: Any, admin_name: str = "admin") -> dict[str, Any]:
    """Build the demo site if it is not there; return what to tell the person at the terminal.

    The admin password is generated and returned only when the user is created, so it is
    printed once.
    """
    tasker = site.modules.get("Tasker")
    dictionary_module = site.modules.get("Dictionary")
    home = site.pages.get(1)
    if not site.templates.get("basic-page").has_field("body"):
        site.templates.get("basic-page").add_field("body")
    about = site.pages.get("/about/")
    if not about:
        about = site.pages.add("basic-page", home, "about", title="About this demo",
                               body="A ProcessWire-style page tree with Tasker. Sign in to the "
                                    "admin to watch the dictionary import run.")
    dictionary = site.pages.get("/dictionary/")
    created_tasks = False
    if not dictionary:
        dictionary = site.pages.add("dictionary", home, "dictionary", title="Dictionary",
                                    body="English words, imported by a Tasker task.")
        importer = tasker.create_task(dictionary_module, "import_words", dictionary,
                                      "Import the dictionary")
        purger = tasker.create_task(dictionary_module, "purge_dictionary", dictionary,
                                    "Purge the dictionary")
        tasker.add_dependency(purger, importer)
        tasker.activate_task(importer)
        created_tasks = True
    password = None
    if not site.users.get(admin_name):
        password = secrets.token_urlsafe(12)
        site.users.add(admin_name, password, roles=("superuser",))
    return {"admin": admin_name, "password": password, "dictionary": dictionary,
            "created_tasks": created_tasks}
