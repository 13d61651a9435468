"""The demo: built once, the user's changes kept on later starts, the import paced to be seen."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from cms.demo import setup_demo
from cms.render import Input, render_page
from cms.site import PACKAGE_TEMPLATES
from cms.tasker import TaskState


def test_a_renamed_about_page_is_not_built_again(site):
    first = setup_demo(site)
    assert first["password"] and first["created_tasks"]
    about = site.pages.get("/about/")
    about.title = "About us"
    about.name = "about-us"
    about.save()
    site.pages.get("/dictionary/").trash()
    again = setup_demo(site)
    assert again["password"] is None and not again["created_tasks"]
    assert site.pages.count("template=basic-page, title*=About, include=all") == 1
    assert not site.pages.get("/about/") and not site.pages.get("/dictionary/")
    assert again["importer"] is not None


@pytest.mark.slow
def test_the_import_keeps_its_pace_and_the_task_says_how_far_it_got(site):
    info = setup_demo(site)
    site.modules.save_config("Dictionary", max_words=60, words_per_second=100)
    tasker = site.modules.get("Tasker")
    began = time.monotonic()
    while tasker.is_active(info["importer"]):
        tasker.execute_task(info["importer"], {"timeout": time.time() + 10, "invoker": "test"})
    took = time.monotonic() - began
    assert 0.55 < took < 5                  # 60 words at 100 a second
    task = tasker.get_task_by_id(info["importer"].id)
    assert int(task.get("task_state")) == TaskState.FINISHED
    assert site.pages.count(f"parent={info['dictionary'].id}, template=word") == 60


def imported_forty_words(site):
    """The demo with its import run to the end over 40 words: (tasker, importer, the
    selector of the words it made)."""
    info = setup_demo(site)
    site.modules.save_config("Dictionary", max_words=40, words_per_second=0)
    tasker = site.modules.get("Tasker")
    importer = info["importer"]
    tasker.execute_task(importer, {"timeout": time.time() + 10, "invoker": "test"})
    words = f"parent={info['dictionary'].id}, template=word, include=all"
    assert site.pages.count(words) == 40
    return tasker, importer, words


def test_the_import_run_again_from_zero_adds_no_second_copy(site):
    """Kill or Reset, then Activate, imported every word again as "a-1", "a-2" ..."""
    tasker, importer, words = imported_forty_words(site)
    site.pages.delete(site.pages.find_one(f"{words}, sort=-name"))       # one goes missing
    tasker.restart_task(importer)              # reset to 0% and active again
    tasker.execute_task(importer, {"timeout": time.time() + 10, "invoker": "test"})
    assert int(tasker.get_task_by_id(importer.id).get("task_state")) == TaskState.FINISHED
    assert site.pages.count(words) == 40                      # the missing one is back
    assert site.pages.count(f"{words}, name$=-1") == 0


def test_visitors_see_the_demo_imports_progress(site):
    setup_demo(site)
    dictionary = site.pages.get("/dictionary/")
    with site.as_user(None):
        site.users.login_as(None)                              # a visitor
        html = site.render_page(dictionary)
        tasks = dictionary.children("template=tasker-task, include=hidden")
    assert [t.title for t in tasks] == ["Import the dictionary", "Purge the dictionary"]
    assert "Import the dictionary" in html
    assert "<p>0 words.</p>" in html                         # nothing imported yet
    with site.transaction():                                # one commit: the count is the point
        words = [site.pages.add("word", dictionary, title=f"word {n}") for n in range(1001)]
    assert "<p>1,001 words.</p>" in site.render_page(dictionary)
    last = render_page(site, dictionary, input=Input({}, (), 11))    # /page11: a hundred a page
    assert last.count('<li><a href="/dictionary/word-') == 1
    assert "aria-label='Page 11, current page'" in last and "href='/dictionary/page10'" in last
    # the pager is a navigation landmark of its own, not a list given that role (axe: a <ul>
    # may not be role="navigation", as ProcessWire's default markup makes it)
    assert "<nav class='pager' aria-label='Pagination links'><ul class='MarkupPagerNav'>" in last
    assert "role='navigation'" not in last and '<nav aria-label="Site">' in last
    with site.transaction():
        for word in words[1:]:
            site.pages.delete(word)
    assert "<p>1 word.</p>" in site.render_page(dictionary)


def test_the_checkouts_templates_are_the_ones_the_package_carries():
    # templates/ beside run.py is what a site made in the checkout finds first; the package's
    # copy is what an installed site falls back to: one must not drift from the other.
    checkout = Path(__file__).resolve().parent.parent / "templates"
    names = sorted(p.name for p in checkout.glob("*.html"))
    assert names == sorted(p.name for p in PACKAGE_TEMPLATES.glob("*.html"))
    for name in names:
        assert (checkout / name).read_text() == (PACKAGE_TEMPLATES / name).read_text(), name


def test_the_import_run_again_from_zero_in_several_steps_adds_no_second_copy(site, monkeypatch):
    """Kill (or Reset) then Activate in the admin: the worker runs the import again in
    5-second steps. Only the first of them looked the words up, so every later step of the
    run added the words already there again as "word-1", with a warning for each (thousands
    in the demo, 4,412 in one kill at 28%)."""
    tasker, importer, words = imported_forty_words(site)
    tasker.restart_task(importer)              # reset to 0% and active again
    calls = iter(range(10 ** 6))
    allowed = tasker.progress.allowed_to_execute
    # each step ends after ten words, as a worker's time box ends a long import's steps
    monkeypatch.setattr(tasker, "allowed_to_execute",
                        lambda task, options: next(calls) % 11 != 10 and allowed(task, options))
    steps = 0
    while tasker.is_active(importer) and steps < 20:
        tasker.execute_task(importer, {"timeout": time.time() + 10, "invoker": "test"})
        steps += 1
    assert steps > 1
    assert int(tasker.get_task_by_id(importer.id).get("task_state")) == TaskState.FINISHED
    assert site.pages.count(f"{words}, name$=-1") == 0
    assert site.pages.count(words) == 40
