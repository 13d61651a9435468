"""A seventh hostile review, over HTTP as a visitor, an editor and a user who only steers tasks
(after test_security_review_6.py): each test failed before its fix."""
from __future__ import annotations

import time
from urllib.parse import quote

import pytest
from webclient import PASSWORD, Client, make_task, state_of

from cms.errors import PageError, SelectorError, ValidationError
from cms.tasker import TaskState


def editor(site, server) -> Client:
    """A client logged in as `ed`, whose role edits, adds, sorts and moves pages under home."""
    site.users.add_role("editor", ["page-edit", "page-add", "page-create", "page-sort", "page-move"])
    site.templates["home"].set_access(view=["guest"], edit=["editor"], add=["editor"],
                                      create=["editor"])
    site.users.add("ed", PASSWORD, roles=["editor"])
    client = Client(server)
    client.login("ed")
    return client


# -- where an action without a script goes back to ---------------------------------------------
def test_an_action_whose_back_url_holds_a_control_character_is_done_and_goes_to_the_list(
        site, superuser):
    """An action without the admin's script goes back to its form's `back` (a task list's
    URL). One holding a NUL (`/admin/tasks/%00`, or any control character) made bottle refuse
    the Location header: the action was done, but the answer was a 500 with a traceback in
    the server's log. Such a URL is no page of the list: the browser goes to the task list,
    as the login's `next=` is refused for a control character."""
    task = make_task(site, "Suspended with a NUL")
    site.modules.get("Tasker").activate_task(task)
    for back in ("/admin/tasks/\x00", "/admin/tasks/?q=a\x01b", "/admin/tasks/\x7f"):
        answer = superuser.post(f"/admin/tasks/{task.id}/action",
                                {"cmd": "suspend", "csrf_token": superuser.token(), "back": back})
        assert answer.status == 303, answer
        assert answer.location == "/admin/tasks/"
        assert state_of(site, task) == int(TaskState.WAITING)
        site.modules.get("Tasker").activate_task(task)


# -- the tree's drag and drop --------------------------------------------------------------------
def test_a_reorder_naming_more_ids_than_sqlite_binds_is_refused_as_naming_no_child(
        site, admin_server):
    """The tree's drag and drop posts the ids of the children in their new order, and
    Pages.reorder read their sort values in one statement binding every id. An editor's
    form of 300,000 ids (2.4 MB, under the 8 MiB a body may be) passed the 250,000 values a
    SQLite statement binds ("too many SQL variables"): a 500 and a traceback, for anyone who
    may sort a page's children. Such a list names pages that are no children of the page,
    and is refused so, as a short one is; the API refuses it alike."""
    ed = editor(site, admin_server)
    child = site.pages.add("basic-page", 1, "child", title="Child")
    many = [child.id, *range(10 ** 6, 10 ** 6 + 300_000)]
    try:
        site.pages.reorder(1, many)
        raise AssertionError("a reorder naming pages that are no children was taken")
    except PageError as exc:
        assert "is not a child of page 1" in str(exc)
    answer = ed.post("/admin/page/1/sort", {"csrf_token": ed.token(), "order": ",".join(map(str, many))},
                     headers={"X-Requested-With": "fetch"})
    assert answer.status == 400, answer
    assert answer.json() == {"status": False,
                             "message": f"page {10 ** 6} is not a child of page 1; only siblings "
                                        "can be reordered"}
    ed.close()


# -- text whose reading took time growing as its square or cube ------------------------------------
# Each case below held a server thread, and with it Python's GIL (so every other request of the
# server process waited), for tens of seconds: a pure-Python regular expression backtracked over
# a long run of characters. A run a hundred times longer held it for hours.
QUICKLY = 2.0       # seconds: each case takes milliseconds now, 10 s or more before


def took(call, refused: type[Exception] | None = None) -> float:
    """Seconds `call()` took; it raises `refused` when given."""
    started = time.monotonic()
    if refused is None:
        call()
    else:
        with pytest.raises(refused):
            call()
    return time.monotonic() - started


def test_a_date_followed_by_a_long_run_of_spaces_is_read_at_once(site):
    """A date in a selector (`created>"..."`, typed in Find by any editor) or typed into a
    Datetime field (the page editor) is read by parse_date, which first drops a trailing
    " UTC" with `\\s+(utc|gmt|z)$`: searched at every space of a run that no zone ends, the
    run was scanned again from each (20,000 spaces: over 10 s). The zone is looked for from the
    run's first space only; the value is refused as before, at once."""
    site.fields.add("when", "Datetime", label="When")
    site.templates.add("event", fields=["title", "when"])
    event = site.pages.new("event", 1, "event", title="Event")
    value = "2020 a" + " " * 20_000 + "x"
    assert took(lambda: site.pages.find(f'created>"{value}"'), SelectorError) < QUICKLY
    assert took(lambda: event.set("when", value), ValidationError) < QUICKLY
    # and a zone after spaces is still dropped
    assert site.pages.find('created>"2020-01-01   UTC"').total == site.pages.find(
        "created>2020-01-01").total


def found_or_refused(selector: str, site) -> None:
    """A find that answers, or refuses the selector (SQLite's LIKE takes at most 50,000 bytes)."""
    try:
        site.pages.find(selector)
    except SelectorError:
        pass


def test_a_phrase_of_countless_angle_brackets_is_planned_at_once(site):
    """Before `*=`, `^=` and `$=` match as a phrase, the words a fulltext index would be asked
    for are read from the value with its tags taken out, `<[^>]*>` replaced by a space. With
    no ">" after them, each "<" of the value was tried against the rest of it: Find's
    `title^="<<<...<"` of 100,000 (a URL of 300 KB) held the server for 15 s. Tags end at the
    value's last ">", so nothing after it is tried; the words read are the same."""
    brackets = "<" * 100_000
    for op in ("*=", "^=", "$="):
        assert took(lambda: found_or_refused(f'title{op}"{brackets}"', site)) < QUICKLY, op
    from cms.selectors.plan import indexed_words
    assert indexed_words("^=", "alpha <b>beta</b> gamma <") == indexed_words("^=", "alpha beta gamma <")


def test_a_phrase_at_the_start_or_end_of_text_with_long_runs_of_spaces_is_matched_at_once(site):
    """`$=` matches a phrase at the end of a text before any whitespace, punctuation and
    closing tags, `^=` at its start after whitespace and tags (ProcessWire's RLIKE). On
    SQLite Python's re runs that expression on each stored text the LIKE lets through, and its
    three runs of whitespace in a row (`\\s*[[:punct:]]*\\s*(<[^>]+>)*\\s*$`, each able to
    match nothing) shared out a run of spaces in every way before failing: a body of "word",
    2,000 spaces and "x" held the server thread and the GIL for 26 s when anybody's find
    asked `body$=word` (4,000 spaces: 150 s; an editor stores such a body, and types the
    find in Find), and `^=` took time growing as the square of the leading spaces. The same
    texts match, written so that a run of spaces has one place to go."""
    site.fields.add("body", "Textarea", label="Body")
    site.templates["basic-page"].add_field("body")
    site.pages.add("basic-page", 1, "trailing", title="Trailing", body="word" + " " * 2_000 + "x")
    site.pages.add("basic-page", 1, "leading", title="Leading", body=" " * 100_000 + "x word")
    assert took(lambda: site.pages.find("body$=word")) < QUICKLY
    assert took(lambda: site.pages.find("body^=word")) < QUICKLY
    # what matches is unchanged: spaces, punctuation and tags at either end
    site.pages.add("basic-page", 1, "ends", title="Ends", body="<p>a last word.</p>\n")
    site.pages.add("basic-page", 1, "starts", title="Starts", body=" \n<p><b> word first</b>")
    assert {p.name for p in site.pages.find("body$=word")} == {"ends", "leading"}
    assert {p.name for p in site.pages.find('body$="last word"')} == {"ends"}
    assert {p.name for p in site.pages.find("body^=word")} == {"starts", "trailing"}


def test_a_value_too_long_for_the_engine_s_regular_expressions_is_the_selector_s_error(
        site, admin_server):
    """SQLite's LIKE takes a pattern of at most 50,000 bytes: a longer value is refused as
    the selector's error ("a value is too long for a text match", 400 in Find). PostgreSQL
    ("regular expression is too complex") and MariaDB ("regular expression is too large")
    refuse the expression a long `^=`, `$=` or `*=` value makes, and that error reached the
    server as a failure of its own: Find answered 500, with a traceback in the log, for an
    editor's selector. It is the selector's error on every engine."""
    for value in ("é" * 50_000, "<" * 100_000):
        for op in ("^=", "$=", "*="):
            found_or_refused(f'title{op}"{value}"', site)     # nothing else raised
        with pytest.raises(SelectorError, match="too long for a text match"):
            site.pages.find(f'title$="{value}"')
    ed = editor(site, admin_server)
    answer = ed.get("/admin/find/?selector=" + quote('title$="' + "<" * 100_000 + '"', safe="<"))
    assert answer.status == 400, answer
    assert "a value is too long for a text match" in answer.text
    ed.close()


def test_a_phrase_before_a_long_run_of_punctuation_and_tags_is_matched_at_once(site):
    """After `$=`'s phrase may come punctuation, then tags (`word.</p>`); both may be made
    of the same characters (`<!>` is punctuation and a tag), and the matcher tried every
    split of such a run between them, and after a phrase of punctuation, from every place
    the phrase matched: a stored body of "a", 1,000 `<!>` and "x" (3 KB) held `body$="!"`
    for 10 s (the time growing as the cube of the run), and 20,000 of them `body$=a` for
    over 10 s. The punctuation now stops only where
    the run does, or at its last "<" that may open a tag holding more than punctuation: the
    same texts match, each run read a few times over."""
    site.fields.add("body", "Textarea", label="Body")
    site.templates["basic-page"].add_field("body")
    site.pages.add("basic-page", 1, "short", title="Short", body="a" + "<!>" * 1_000 + "x")
    assert took(lambda: site.pages.find('body$="!"')) < QUICKLY
    site.pages.add("basic-page", 1, "long", title="Long", body="a" + "<!>" * 20_000 + "x")
    assert took(lambda: site.pages.find("body$=a")) < QUICKLY
    # what matches is unchanged: punctuation, then tags, one "<" of them opening a tag
    for name, body in (("dot", "the end.</p>"), ("tag", "the end<!-- x -->"), ("both", "the end!!<<b c>"),
                       ("angles", "the end<.<i>"), ("after", "the end</p>.")):
        site.pages.add("basic-page", 1, name, title=name, body=body)
    assert {p.name for p in site.pages.find("body$=end")} == {"dot", "tag", "both", "angles"}


def test_a_text_match_over_two_thousand_characters_is_refused_before_the_engine_compiles_it(site):
    """`*=`, `^=` and `$=` (a phrase) and the word operators (each word) match by regular
    expressions, which PostgreSQL compiled in time growing as the square of their length:
    `title^=` of 50,000 "é" held a connection for 20 s before PostgreSQL called it too
    complex, `title~=` of one 20,000-letter word 4 s. A phrase or word of up to 2,000
    characters is matched; a longer one is the selector's error on every engine, told with
    the limit and without the selector's own text."""
    site.fields.add("body", "Textarea", label="Body")
    site.templates["basic-page"].add_field("body")
    site.pages.add("basic-page", 1, "long", title="Long", body="é" * 2_000)
    for op in ("^=", "$=", "*=", "~=", "~~=", "~|*="):
        assert [p.name for p in site.pages.find(f'body{op}"{"é" * 2_000}"')] == ["long"], op
        with pytest.raises(SelectorError, match="too long for a text match") as refused:
            site.pages.find(f'body{op}"{"é" * 2_001}"')
        assert "2,000 characters" in str(refused.value)
        assert len(str(refused.value)) < 200
        assert took(lambda: found_or_refused(f'body{op}"{"é" * 50_000}"', site)) < QUICKLY
        assert took(lambda: found_or_refused(f'body{op}"{"é-" * 25_000}"', site)) < QUICKLY
    # many words, each under the limit, are each an expression of their own
    assert site.pages.find(f'body~="{" ".join(["é" * 1_000] * 20)}"').count() == 0
    # a LIKE (`%=`) and equality take any length
    assert [p.name for p in site.pages.find(f'body%="{"é" * 2_000}"')] == ["long"]
    assert site.pages.find(f'body="{"é" * 2_001}"').count() == 0
