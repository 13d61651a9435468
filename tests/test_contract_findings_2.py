"""The public contract (DESIGN.md) called as a module developer new to the product calls it:
what a probe of every section (/work/notes/contract_probe.py) found the code did otherwise."""
from __future__ import annotations

import pytest

import cms


@pytest.fixture
def limited(site):
    """A template whose fields have typed limits: an Integer's min and max, a Float's min and
    a Text's maxlength."""
    site.fields.add("task_level", "Integer", min=0, max=10)
    site.fields.add("price", "Float", min=0)
    site.fields.add("code", "Text", maxlength=5)
    site.templates.add("limited", fields=["title", "task_level", "price", "code"])
    return site.pages.add("limited", 1, "limited", title="Limited", task_level=3, price=1.5, code="ab")


LIMITS = [("task_level", 11, "max"), ("task_level", -1, "min"), ("price", -0.5, "min"),
          ("code", "abcdef", "maxlength")]


@pytest.mark.parametrize("name, value, rule", LIMITS)
def test_a_value_past_a_typed_limit_may_be_assigned_and_every_save_refuses_it(site, limited, name,
                                                                             value, rule):
    # DESIGN.md: "typed limits (an Integer's min/max) are checked on every save". The value
    # was refused when assigned (`page.task_level = 11` raised), so `p.x = v` followed by a
    # save in a `try` never reached the save: the check is the save's, as the contract says,
    # and as ProcessWire's `$page->x = v` and Django's `obj.x = v` take any value until saved.
    page = site.pages.get(limited.id)
    setattr(page, name, value)
    assert page.get(name) == value
    for save in (page.save, lambda: page.save(name), lambda: page.set_and_save(name, value)):
        with pytest.raises(cms.ValidationError) as refused:
            save()
        assert (refused.value.field, refused.value.rule) == (name, rule)
        assert name in str(refused.value)
    stored = site.pages.get(limited.id)
    assert (stored.task_level, stored.price, stored.code) == (3, 1.5, "ab")     # nothing stored


def test_a_typed_limit_holds_for_a_value_a_save_ready_hook_sets(site, limited):
    # every save: also what a hook changes on its way to the database
    site.pages.add_hook_after("save_ready", lambda event: event.arguments[0].set("task_level", 99))
    page = site.pages.get(limited.id)
    page.title = "Renamed"
    with pytest.raises(cms.ValidationError, match="maximum 10"):
        page.save()
    assert site.pages.get(limited.id).title == "Limited"
    with pytest.raises(cms.ValidationError, match="maximum 10"):
        site.pages.add("limited", 1, "hooked", title="Hooked")
    assert not site.pages.get("/hooked/")


def test_values_given_to_add_and_new_are_still_checked_at_once(site, limited):
    # pages.new() says "values are checked now", so create_task's TaskError comes before
    # anything is written: a value past a limit given to add() or new() is refused there
    before = site.pages.count("include=all")
    for name, value, rule in LIMITS:
        with pytest.raises(cms.ValidationError) as refused:
            site.pages.new("limited", 1, "new", title="New", **{name: value})
        assert refused.value.rule == rule
        with pytest.raises(cms.ValidationError):
            site.pages.add("limited", 1, "added", title="Added", **{name: value})
    assert site.pages.count("include=all") == before


def test_a_template_file_added_to_the_site_folder_replaces_the_packaged_one_at_once(site, tmp_path):
    # DESIGN.md: the site's templates/ are found first, then the package's copy; the README:
    # "a file added or removed counts within a second". A file added to the site's folder
    # while the process ran never did: Jinja kept the package's copy it had loaded (its
    # check asks only whether that file changed), so a running server showed the packaged
    # basic-page.html until it was restarted.
    page = site.pages.add("basic-page", 1, "about", title="About")
    assert "<h1>About</h1>" in site.render_page(page)             # the package's file
    folder = tmp_path / "templates"
    folder.mkdir(exist_ok=True)
    (folder / "basic-page.html").write_text("custom: {{ page.title }}")
    assert site.render_page(page) == "custom: About"
    (folder / "_layout.html").write_text("layout of the site")    # a file others extend
    (folder / "basic-page.html").unlink()
    assert site.render_page(page) == "layout of the site"
    (folder / "_layout.html").unlink()
    assert "<h1>About</h1>" in site.render_page(page)             # the package's again


@pytest.mark.parametrize("value", [True, 1.5, None, [1], "/nope/"])
def test_a_parent_that_names_no_page_is_a_page_error_and_moves_nothing(site, value):
    # `p.parent = other` (DESIGN.md) read anything through int(): True and 1.5 moved the page
    # under home without a word, None and a path raised TypeError and ValueError, which are
    # no CmsError. Now a value that is no page, id or path is a PageError, as add() refuses it.
    folder = site.pages.add("basic-page", 1, "folder", title="Folder")
    page = site.pages.add("basic-page", folder, "page", title="Page")
    with pytest.raises(cms.PageError):
        page.parent = value
        page.save()
    assert site.pages.get(page.id).path == "/folder/page/"


def test_a_parent_is_set_from_a_page_its_id_or_its_path_as_add_takes_one(site):
    folder = site.pages.add("basic-page", 1, "folder", title="Folder")
    other = site.pages.add("basic-page", 1, "other", title="Other")
    page = site.pages.add("basic-page", "/folder/", "page", title="Page")
    for parent, path in (("/other/", "/other/page/"), (folder.id, "/folder/page/"),
                         (str(other.id), "/other/page/"), (folder, "/folder/page/")):
        page.parent = parent
        page.save()
        assert site.pages.get(page.id).path == path


@pytest.mark.parametrize("status", [None, 3.5, True, "1024"])
def test_a_status_that_is_no_bit_or_name_is_a_page_error(site, status):
    # add_status("sparkly") said "unknown status ...; known: ..."; add_status(None) or 3.5
    # raised TypeError from `|` (no CmsError), and True set the "on" bit as the number 1
    page = site.pages.add("basic-page", 1, "p", title="P")
    for call in (page.add_status, page.remove_status, page.has_status):
        with pytest.raises(cms.PageError, match="status"):
            call(status)
    assert site.pages.get(page.id).status == cms.Page.STATUS_ON


@pytest.mark.parametrize("value", [None, 1, "/p/"])
def test_delete_given_no_page_object_says_what_it_takes(site, value):
    # `site.pages.delete(p)` (DESIGN.md) given an id, a path or None raised AttributeError
    # ("'int' object has no attribute 'id'"); now a PageError that says to pass the page
    site.pages.add("basic-page", 1, "p", title="P")
    with pytest.raises(cms.PageError, match="site.pages.get"):
        site.pages.delete(value)
    assert site.pages.get("/p/")


@pytest.mark.parametrize("template", [None, 5.0])
def test_add_given_no_template_says_what_it_takes(site, template):
    # `site.pages.add(None, home)` raised AttributeError ("'NoneType' object has no attribute
    # 'has_field'"); a template is a Template or its name (or id, as templates[...] reads it)
    before = site.pages.count("include=all")
    with pytest.raises(cms.CmsError, match="template"):
        site.pages.add(template, 1, "x", title="X")
    assert site.pages.count("include=all") == before


def a_second_later(site) -> None:
    """What `Site.refresh_schema` sees once its second has passed (as webclient.schema_seen_now)."""
    site._schema_seen = (0.0, site._schema_seen[1])


def test_an_access_change_made_elsewhere_reaches_pages_loaded_before_it(site, tmp_path):
    # DESIGN.md: access changes made by any process are seen by every running process within
    # a second. A find saw them, but `page.viewable(user)` of a page loaded before answered
    # by the access its template had then, for ever: the page held that Template object (the
    # schema reload makes new ones), and the access questions never asked for a reload.
    site.users.add_role("editor", permissions=["page-edit"])
    site.users.add("ed", "a long passphrase", roles=["editor"])
    site.templates.add("members", fields=["title"])
    page = site.pages.add("members", 1, "club", title="Club")
    guest, ed = site.users.get("guest"), site.users.get("ed")
    assert page.viewable(guest) and not page.editable(ed)
    other = cms.boot(site.db.url, site_dir=tmp_path)
    try:
        other.templates["members"].set_access(view=["superuser"], edit=["editor"])
    finally:
        other.close()
    a_second_later(site)
    assert not page.viewable(guest) and page.editable(ed)
    assert not site.pages.get(page.id).viewable(guest)
