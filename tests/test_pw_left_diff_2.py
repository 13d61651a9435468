"""Loose ends of the earlier comparisons, and a randomized differential of the PageArray API,
settled against ProcessWire 3.0.256.

Each expected answer was recorded in ProcessWire 3.0.256 (blank profile, MariaDB 10.11, PHP
8.2, as the superuser) by a PHP script that bootstraps its index.php and prints what its API
returned; each test's comment says what it answered.
"""
from __future__ import annotations

import pytest

import cms
from cms import Page
from cms.errors import PageError, ValidationError


# -- loose ends --------------------------------------------------------------------------------
def test_a_save_of_the_parent_alone_leaves_a_held_rename_for_the_next_save(site):
    # ProcessWire: $page->name = 'c2'; $page->title = 'C2'; $page->parent = $b;
    # $page->save('parent') stores /b/c2/ (the rename too, every property; the title waits).
    # README's row on `page.save("parent")`: here a save of one property saves that property
    # alone, other changes waiting for the next save; the rename was written (and still
    # listed as unsaved), and `renamed` fired.
    b = site.pages.add("basic-page", 1, "b", title="B")
    c = site.pages.add("basic-page", 1, "c", title="C")
    renamed: list[str | None] = []
    site.add_hook_after("Pages::renamed", lambda e: renamed.append(e.arguments[0].name))
    c.name = "c2"
    c.title = "C2"
    c.parent = b
    c.save("parent")
    stored = site.pages.get(c.id)
    assert (stored.path, stored.title) == ("/b/c/", "C")
    assert c.path == "/b/c/" and c.name == "c2" and c.is_changed("name")
    assert renamed == []
    c.save()
    stored = site.pages.get(c.id)
    assert (stored.path, stored.title) == ("/b/c2/", "C2")
    assert renamed == ["c2"]


def test_restore_reads_a_sort_past_the_column_s_range_as_its_largest(site):
    # ProcessWire: a trashed page renamed "ID.1.99999999999999999999_a" (or a sort of
    # 9223372036854775807 or 2147483648) is restored to /a/ with sort 2147483647, what its
    # INT column keeps of it. Here restore() raised OverflowError on SQLite (past 64 bits)
    # and DataError on PostgreSQL and MariaDB (past 32).
    page = site.pages.add("basic-page", 1, "a", title="A")
    for sort in ("99999999999999999999", "9223372036854775807", "2147483648"):
        page.trash()
        page.name = f"{page.id}.1.{sort}_a"
        page.save()
        page.restore()
        stored = site.pages.get(page.id)
        assert (stored.path, stored.sort, stored.is_trash()) == ("/a/", 2147483647, False)


def test_a_sort_the_column_cannot_hold_is_a_page_error(site):
    # ProcessWire stores $page->sort = 2147483648 as 2147483647 (its INT column, MySQL not
    # strict). Here SQLite stored it, past 64 bits raised OverflowError, and PostgreSQL and
    # MariaDB a DataError: one clear error on every engine, as for other values a column
    # cannot hold (README: a value that would change without a word is refused).
    page = site.pages.add("basic-page", 1, "a", title="A")
    for sort in (2**31, -2**31 - 1, 2**64):
        with pytest.raises(PageError, match="sort"):
            page.sort = sort
    page.sort = 2**31 - 1
    page.save()
    assert site.pages.get(page.id).sort == 2**31 - 1


def test_a_status_set_by_a_save_ready_hook_fires_status_changed(site):
    # ProcessWire, a saveReady hook adding hidden to "a" (status 1), removing unpublished from
    # "b" (2049), adding it to "c" (1), on a save of the title: no statusChangeReady (it ran
    # before saveReady), saved lists title and status, then statusChanged with statusPrevious
    # the stored status, and published (b) or unpublished (c). Here status_changed did not
    # fire, nor published or unpublished, and status_previous was None.
    ids = [site.pages.add("basic-page", 1, name, title=name).id for name in "abc"]
    b = site.pages.get(ids[1])
    b.add_status(Page.STATUS_UNPUBLISHED)
    b.save()
    events: list[tuple] = []
    for name in ("status_change_ready", "saved", "status_changed", "published", "unpublished",
                 "publish_ready", "unpublish_ready"):
        site.add_hook_before(f"Pages::{name}", lambda e, name=name: events.append(
            (name, e.arguments[0].status, e.arguments[0].status_previous)))

    def ready(event):
        page = event.arguments[0]
        if page.name == "a":
            page.add_status(Page.STATUS_HIDDEN)
        elif page.name == "b":
            page.remove_status(Page.STATUS_UNPUBLISHED)
        else:
            page.add_status(Page.STATUS_UNPUBLISHED)
    site.add_hook_after("Pages::save_ready", ready)
    changes: list[list[str]] = []
    site.add_hook_after("Pages::saved", lambda e: changes.append(sorted(e.arguments[1])))
    seen = []
    for page_id in ids:
        page = site.pages.get(page_id)
        page.title = "X"
        page.save()
        seen.append(list(events))
        events.clear()
    assert seen == [
        [("saved", 1025, 1), ("status_changed", 1025, 1)],
        [("saved", 1, 2049), ("status_changed", 1, 2049), ("published", 1, 2049)],
        [("saved", 2049, 1), ("status_changed", 2049, 1), ("unpublished", 2049, 1)],
    ]
    assert changes == [["status", "title"]] * 3
    assert [site.pages.get(i).status for i in ids] == [1025, 1, 2049]


def test_parent_id_reads_a_value_as_parent_does(site):
    # ProcessWire reads `parent.id` as `parent` (PageFinder::getQueryNativeField: parent with
    # the subfield id, path or url is the parent_id column, a value of anything but digits a
    # path from home): parent.id=1.5 and parent.id=1e2 are the children of /1.5/ and /1e2/,
    # parent.id=abc finds nothing, parent.id=0 is home, parent.id<2 takes home (parent 0) and
    # home's children, parent.id!=1.5 every page but /1.5/kid/. Here 1.5, 1e2 and abc were
    # SelectorErrors, and parent.id=0 or <2 left home out (the parent was joined).
    one_five = site.pages.add("basic-page", 1, "1.5", title="A")
    kid = site.pages.add("basic-page", one_five, "kid", title="K")
    one_e2 = site.pages.add("basic-page", 1, "1e2", title="C")
    kid2 = site.pages.add("basic-page", one_e2, "kid2", title="K2")

    def paths(selector):
        return [p.path for p in site.pages.find(f"{selector}, include=all, sort=id")]
    assert paths("parent.id=1.5") == ["/1.5/kid/"]
    assert paths("parent.id=1e2") == ["/1e2/kid2/"]
    assert paths("parent.id=abc") == []
    assert paths("parent.id=abc|/1.5/") == ["/1.5/kid/"]
    assert paths("parent.id=0") == ["/"]
    assert paths("parent.id<2") == paths("parent<2")
    assert paths("parent.id<2")[0] == "/"
    every = paths("id>0")
    assert paths("parent.id!=1.5") == [path for path in every if path != kid.path]
    assert kid2.path in paths("parent.id!=1.5")


def test_exact_name_says_taken_of_a_name_in_use_not_of_an_id(site):
    # ProcessWire's admin has no such check (it sanitizes the name typed); ours refuses a name
    # it would change, and says whether what it would become is taken. A user named "46"
    # typed as " 46" was "would be saved as '46'; type that" (users.get("46") reads an id),
    # " 45" with 45 the id of "ann" was "which is taken", and a permission's name was looked
    # for among the roles.
    named = site.users.add("46", "a long passphrase", roles=())
    ann = site.users.add("ann", "a long passphrase", roles=())
    assert named.name == "46" and ann.id != 46
    with pytest.raises(ValidationError, match="'46', which is taken"):
        site.users.exact_name(" 46")
    with pytest.raises(ValidationError, match=f"saved as '{ann.id}'"):
        site.users.exact_name(f" {ann.id}")
    with pytest.raises(ValidationError, match="'page-edit', which is taken"):
        site.users.exact_name(" page-edit", "permission")
    with pytest.raises(ValidationError, match="'guest', which is taken"):
        site.users.exact_name(" guest", "role")
    assert site.users.exact_name("46") == "46"


# -- the PageArray API, against ProcessWire's PageArray/WireArray ----------------------------
# A randomized differential (3,200 cases over 40 seeds: pages of three templates with text,
# number, checkbox, date and Page fields; arrays changed by chains of the methods below) ran
# each case in ProcessWire 3.0.256 and here; these tests hold what it found, each with
# ProcessWire's answer.
def abc(site):
    site.fields.add("tags", "Page", multiple=True)
    site.templates.add("tagged", fields=["title", "tags"])
    a, b, c = (site.pages.add("tagged", 1, name, title=name.upper()) for name in "abc")
    d = site.pages.add("basic-page", 1, "d", title="D")
    return a, b, c, d


def test_add_moves_a_page_the_array_holds_to_its_end(site):
    # ProcessWire's WireArray::add() "avoid[s] two copies of the same item, re-add[s] it to
    # the end": find("name=a|b|c|d, sort=name")->add($a) is b, c, d, a; append($b) is a, c,
    # d, b; push($c) is a, b, d, c; and on a Page field, $b->tags holding a, c is c, a after
    # add($a). Here add(), append() and push() left the page where it was.
    a, b, c, d = abc(site)

    def names(array):
        return [page.name for page in array]
    found = site.pages.find("name=a|b|c|d, sort=name")
    assert names(found.add(site.pages.get(a.id))) == ["b", "c", "d", "a"]
    found = site.pages.find("name=a|b|c|d, sort=name")
    assert names(found.append(b)) == ["a", "c", "d", "b"]
    found = site.pages.find("name=a|b|c|d, sort=name")
    assert names(found.push(c)) == ["a", "b", "d", "c"]
    b.tags = [a, c]
    b.tags.add(a)
    b.save()
    assert names(site.pages.get(b.id).tags) == ["c", "a"]


def test_a_page_fields_count_is_read_through_a_dotted_name(site):
    # ProcessWire: $b->get('tags.count') is 2 for b holding a and c, 0 for a page holding
    # none, null for a page whose template has no tags; find("name=a|b|c|d, sort=name")
    # ->explode('tags.count') is [0, 2, 0, null] and implode(',', 'tags.count') "0,2,0". Here
    # get("tags.count") was None (the first page's "count"), so explode gave Nones and
    # implode "".
    a, b, c, d = abc(site)
    b.tags = [a, c]
    b.save()
    assert [site.pages.get(p.id).get("tags.count") for p in (b, a, d)] == [2, 0, None]
    found = site.pages.find("name=a|b|c|d, sort=name")
    assert found.explode("tags.count") == [0, 2, 0, None]
    assert found.implode(",", "tags.count") == "0,2,0"


def test_a_minus_after_a_sort_key_sorts_descending(site):
    # ProcessWire's PageFinder (getQuerySortSelector: "-" first or last, trimmed) and
    # WireArray::sort ("prepend or append a minus") read `name-` as `-name`: find("template=
    # permission, sort=name-") lists user-admin first, as sort=-name does, and so do
    # $array->sort("name-") and $array->find("sort=name-, limit=3"). Here it was a
    # SelectorError: unknown sort field 'name-'.
    a, b, c, d = abc(site)

    def names(array):
        return [page.name for page in array]
    assert names(site.pages.find("template=tagged, sort=name-")) == ["c", "b", "a"]
    found = site.pages.find("name=a|b|c|d, sort=name")
    assert names(found.find("sort=name-, limit=3")) == ["d", "c", "b"]
    assert names(found.sort("template, name-")) == ["d", "c", "b", "a"]


def test_prepend_holds_a_page_given_twice_once(site):
    # ProcessWire: a PageArray given c, a, c holds a, c (add() re-adds c at the end), and
    # find("name=a|b|c|d, sort=name")->prepend() of it is a, c, b, d: no page is held twice.
    # Here prepend(c, a, c) held c twice: c, a, c, b, d.
    a, b, c, d = abc(site)
    found = site.pages.find("name=a|b|c|d, sort=name")
    assert [page.name for page in found.prepend(c, a, c)] == ["a", "c", "b", "d"]
    found = site.pages.find("name=a|b|c|d, sort=name")
    assert [page.name for page in found.prepend([d, d])] == ["d", "a", "b", "c"]


# What ProcessWire 3.0.256 answered for find("template=tb, sort=name") of p1 .. p6 (qty 5, 3,
# none, 8, 3, 1), each on a fresh array; the randomized differential found these alike.
ALIKE = [
    (lambda a, g: a.slice(-2), ["p5", "p6"]),
    (lambda a, g: a.slice(1, 2), ["p2", "p3"]),
    (lambda a, g: a.slice(-4, -1), ["p3", "p4", "p5"]),
    (lambda a, g: a.slice(-10, 2), ["p1", "p2"]),
    (lambda a, g: a.eq(-1), "p6"), (lambda a, g: a.eq(6), None), (lambda a, g: a.eq(-6), "p1"),
    (lambda a, g: a.get_next(g("p6")), None), (lambda a, g: a.get_prev(g("p1")), None),
    (lambda a, g: a.get_next(g("p3")), "p4"),
    (lambda a, g: a.reverse(), ["p6", "p5", "p4", "p3", "p2", "p1"]),
    (lambda a, g: [a.shift(), a], ["p1", ["p2", "p3", "p4", "p5", "p6"]]),
    (lambda a, g: [a.pop(), a], ["p6", ["p1", "p2", "p3", "p4", "p5"]]),
    (lambda a, g: a.insert_before(g("p6"), g("p2")), ["p1", "p6", "p2", "p3", "p4", "p5"]),
    (lambda a, g: a.insert_after(g("p1"), g("p4")), ["p2", "p3", "p4", "p1", "p5", "p6"]),
    (lambda a, g: a.find("qty>2, start=1"), ["p2", "p4", "p5"]),
    (lambda a, g: a.find("qty>2, limit=0"), ["p1", "p2", "p4", "p5"]),
    (lambda a, g: a.find("qty>1, sort=-qty, limit=2"), ["p4", "p1"]),
    (lambda a, g: a.not_("qty=3, name=p6"), ["p1", "p3", "p4"]),
    (lambda a, g: a.not_("qty<4, limit=2"), ["p1", "p4"]),
    (lambda a, g: a.filter("qty=3|8"), ["p2", "p4", "p5"]),
    (lambda a, g: a.find_one("qty=3"), "p2"),
    (lambda a, g: a.get("qty>4"), "p1"), (lambda a, g: a.get("p4"), "p4"), (lambda a, g: a.get(0), "p1"),
    (lambda a, g: a.has("qty>9"), False), (lambda a, g: a.has("p2"), True),
    (lambda a, g: a.remove("qty=3"), ["p1", "p3", "p4", "p6"]),
    (lambda a, g: a.remove(g("p4")), ["p1", "p2", "p3", "p5", "p6"]),
    (lambda a, g: a.sort("qty, -name"), ["p3", "p6", "p5", "p2", "p1", "p4"]),
    (lambda a, g: a.implode(",", "qty"), "5,3,8,3,1"),
    (lambda a, g: a.implode(" ", "title"), "P1 P2 P3 P4 P5 P6"),
    (lambda a, g: a.count(), 6),
]


def test_the_page_array_api_answers_as_processwire_s(site):
    site.fields.add("qty", "Integer")
    site.templates.add("tb", fields=["title", "qty"])
    for name, qty in (("p1", 5), ("p2", 3), ("p3", None), ("p4", 8), ("p5", 3), ("p6", 1)):
        site.pages.add("tb", 1, name, title=name.upper(), **({} if qty is None else {"qty": qty}))

    def plain(value):
        if isinstance(value, cms.Page):
            return value.name if value else None
        if isinstance(value, (cms.PageArray, list)):
            return [plain(each) for each in value]
        return value
    for call, answer in ALIKE:
        array = site.pages.find("template=tb, sort=name")
        assert plain(call(array, lambda name: site.pages.get(f"name={name}"))) == answer
    paged = site.pages.find("template=tb, sort=name, limit=2, start=2")
    assert (plain(paged), paged.total, paged.start, paged.limit) == (["p3", "p4"], 6, 2, 2)
