"""Defects found by a second fresh-eyes review of the session's changes (sanitizer, selectors'
text operators, page traversal), each stated with what a user would see."""
from __future__ import annotations

import pytest
from conftest import ENGINE
from tasker_support import prepare_counter_site

from cms.sanitizer import Sanitizer

sanitizer = Sanitizer()
pytest_plugins = ("tasker_fixtures",)      # fixtures: shared_site, tasker, cli
prepare_shared_site = prepare_counter_site


def test_int_of_thousands_of_digits_is_past_a_float_not_a_crash():
    # ProcessWire 3.0.256: $sanitizer->int(str_repeat("9", 5000)) is 0 ((int) of INF), as for
    # the 400 digits test_pw_sanitizer_diff states; here more than the 4,300 digits Python
    # converts raised ValueError (a form posting such a number answered 500)
    assert sanitizer.int("9" * 5000) == 0
    assert sanitizer.int("-" + "9" * 5000, min=None) == 0
    assert sanitizer.int("9" * 5000, default=7) == 7
    assert sanitizer.int(" 12" + "0" * 4400 + "abc") == 0


def test_a_module_fieldtype_without_a_fold_column_takes_starts_ends_and_contains(site):
    # A module's fieldtype (register_fieldtype) compares text by default and keeps no `fold`
    # column (Fieldtype.folded is False). `^=`, `$=` and a `*=` of several words asked the
    # fulltext emulation's words of that column ("no such column"); the phrase alone answers.
    from cms.fieldtypes import FIELDTYPES, Fieldtype, register_fieldtype

    class Plain(Fieldtype):
        name = "TestPlainText"

    register_fieldtype(Plain())
    try:
        site.fields.add("plain", "TestPlainText")
        site.templates.add("item", fields=["title", "plain"])
        site.pages.add("item", 1, "a", title="A", plain="Apple pie recipe")
        site.pages.add("item", 1, "b", title="B", plain="Cherry tart")
        for selector in ('plain^="Apple pie"', 'plain$="pie recipe"', 'plain*="pie recipe"',
                         'plain^="Apple pie"|"Cherry tart"'):
            assert "a" in [page.name for page in site.pages.find(f"template=item, {selector}")], selector
        assert [page.name for page in site.pages.find('template=item, plain*="Cherry tart"')] == ["b"]
    finally:
        FIELDTYPES.pop("TestPlainText", None)


def test_tasks_list_takes_a_state_of_thousands_of_digits_as_an_unknown_state(tasker, cli):
    # `tasks list --state 999...` (5,000 digits) printed Python's ValueError traceback (int()
    # reads at most 4,300 digits) where any other unknown state is a usage error (exit 2)
    code, _, err = cli("tasks", "list", "--state", "9" * 5000)
    assert code == 2 and "unknown state" in err
    code, out, err = cli("tasks", "list", "--state", "0" * 5000 + "1")      # active, as "1"
    assert code == 0, err


def test_a_task_id_of_thousands_of_digits_is_no_task_not_a_crash(tasker):
    """Every Tasker method takes a task id as text (as `tasks` commands pass it): 5,000 digits
    raised Python's ValueError (int() reads at most 4,300), where a page id past 64 bits is
    "not a task"."""
    from cms.tasker import TaskError
    with pytest.raises(TaskError, match="is not a task"):
        tasker.get_state("9" * 5000)
    with pytest.raises(TaskError, match="is not a task"):
        tasker.get_state("9" * 25)


def test_the_tasks_screen_takes_a_state_of_thousands_of_digits_as_none(superuser):
    # /admin/tasks/?state=999... (5,000 digits) answered 500 (int() reads at most 4,300
    # digits), where ?state=99, no state either, is answered (400: no such state; the list
    # shows every task beneath the error)
    assert superuser.get("/admin/tasks/?state=99").status == 400
    long = superuser.get("/admin/tasks/?state=" + "9" * 5000)
    assert long.status == 400 and "There is no task state" in long.text


def test_the_find_screen_shows_a_limit_of_thousands_of_digits_as_a_selector_error(superuser):
    # /admin/find/?selector=limit=999... (5,000 digits) answered 500 (int() reads at most
    # 4,300 digits), where limit=9999999999999 (past the most a limit may be) is answered 400
    # with the selector's error on the screen
    past = superuser.get("/admin/find/?selector=limit%3D9999999999999")
    assert past.status == 400 and "limit must be a whole number" in past.text
    answer = superuser.get("/admin/find/?selector=limit%3D" + "9" * 5000)
    assert answer.status == 400 and "limit must be a whole number" in answer.text


def test_an_id_of_thousands_of_digits_names_no_page(site):
    # ProcessWire 3.0.256: $pages->get("999...") (5,000 digits) is a NullPage, as for 25 digits
    # here; get(), users.get() and next_until() raised Python's ValueError (int() reads at most
    # 4,300 digits)
    big = "9" * 5000
    assert not site.pages.get(big) and not site.pages.get("9" * 25)
    assert not site.users.get(big)
    site.templates.add("item", fields=["title"])
    first = site.pages.add("item", 1, "a", title="A")
    second = site.pages.add("item", 1, "b", title="B")
    assert second in first.next_until(big)


@pytest.mark.skipif(ENGINE != "sqlite", reason="SQLite's REGEXP is a Python call per row")
def test_several_words_starting_ending_or_contained_cost_one_regex_per_row(site, monkeypatch):
    # `*=`, `^=` and `$=` of several words also ask the words ProcessWire asks its fulltext
    # index for (plan.indexed_words), which only a "_" beside a word can refuse once the
    # phrase matched: each was a regular expression more per row (on SQLite a Python call),
    # so `title*="pie recipe"` over 20,000 pages took three times as long as before
    import cms.db.sqlite
    site.templates.add("item", fields=["title"])
    for i in range(20):
        site.pages.add("item", 1, f"p{i}", title=f"Word{i} pie recipe")
    site.pages.add("item", 1, "glued", title="Word pie_ recipe")
    calls = []
    compiled = cms.db.sqlite._compiled
    monkeypatch.setattr(cms.db.sqlite, "_compiled",
                        lambda pattern: calls.append(pattern) or compiled(pattern))
    assert len(site.pages.find_ids('title*="pie recipe"')) == 20
    assert len(calls) <= 21                    # the phrase's, once per row holding "RECIPE"
    calls.clear()
    assert len(site.pages.find_ids('title$="word3 pie recipe"')) == 1
    assert len(calls) <= 21
    # the words still count where a "_" glues one: `*="pie_ recipe"` wants the word "pie"
    assert site.pages.find_ids('title*="pie_ recipe"') == []
