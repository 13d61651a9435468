"""The public site: pages rendered with their template files, the 404 page, who may see what,
and a task's public page with its live JSON."""
from __future__ import annotations

import pytest
from webclient import PASSWORD, Client, running_server

import cms
from cms.page import Page
from cms.render import TemplateFileMissing, has_template_file, render_page


@pytest.fixture
def pages(site):
    """A small tree: about (published), secret (hidden), draft (unpublished), old (trashed)."""
    home = site.pages.get(1)
    site.users.add("admin", PASSWORD)
    made = {
        "about": site.pages.add("basic-page", home, "about", title="About us"),
        "secret": site.pages.add("basic-page", home, "secret", title="Secret plans",
                                 status=Page.STATUS_ON | Page.STATUS_HIDDEN),
        "draft": site.pages.add("basic-page", home, "draft", title="Draft news",
                                status=Page.STATUS_ON | Page.STATUS_UNPUBLISHED),
        "old": site.pages.add("basic-page", home, "old", title="Old news"),
    }
    made["old"].trash()
    return made


@pytest.fixture
def server(site, pages, db_url, tmp_path):
    with running_server(db_url, tmp_path) as running:
        yield running


@pytest.fixture
def visitor(server):
    client = Client(server)
    yield client
    client.close()


def test_home_and_a_page_render_with_their_templates(visitor, pages):
    home = visitor.get("/")
    assert home.status == 200
    assert "<h1>Home</h1>" in home.text
    assert 'href="/about/"' in home.text          # the published child is listed
    about = visitor.get("/about/")
    assert about.status == 200 and "<h1>About us</h1>" in about.text
    assert "text/html" in about.headers["Content-Type"]


def test_a_visitor_gets_no_session_cookie(visitor):
    assert visitor.get("/").headers.get("Set-Cookie") is None
    assert visitor.get("/about/").headers.get("Set-Cookie") is None


def test_a_path_without_its_slash_is_redirected(visitor):
    answer = visitor.get("/about?x=1")
    assert answer.status == 301
    assert answer.location == "/about/?x=1"


def test_hidden_pages_are_viewable_by_url_but_not_listed(visitor):
    assert visitor.get("/secret/").status == 200
    assert "/secret/" not in visitor.get("/").text


def test_unpublished_and_trashed_pages_are_not_for_guests(visitor, pages):
    for path in ("/draft/", pages["old"].path, "/trash/"):
        answer = visitor.get(path)
        assert answer.status == 404, path
        assert "Draft news" not in answer.text and "Old news" not in answer.text


def test_editors_may_view_unpublished_pages(visitor):
    visitor.login()
    answer = visitor.get("/draft/")
    assert answer.status == 200 and "Draft news" in answer.text


def test_the_layout_offers_an_edit_link_to_those_who_may_edit(site, visitor, pages):
    about = pages["about"]
    assert "Edit this page" not in visitor.get("/about/").text      # a guest
    assert about.edit_url == f"/admin/page/{about.id}/edit"
    visitor.login()
    answer = visitor.get("/about/")
    assert f'<a class="edit" href="{about.edit_url}">Edit this page</a>' in answer.text
    assert visitor.get(about.edit_url).status == 200
    assert site.users.get("admin").is_logged_in() and not site.users.get("guest").is_logged_in()


def test_unknown_paths_get_the_404_page(visitor):
    answer = visitor.get("/no/such/page/")
    assert answer.status == 404
    assert "404 Not Found" in answer.text      # the 404 page's title, rendered by its template
    assert '<a href="/">Go to the home page</a>' in answer.text and "<header>" in answer.text
    icon = visitor.get("/favicon.ico")
    assert icon.status == 200 and icon.headers["Content-Type"] == "image/svg+xml"
    weird = visitor.get("/%3Cscript%3Ealert(1)%3C/script%3E/")
    assert weird.status == 404 and "<script>alert(1)" not in weird.text


def test_a_page_whose_template_has_no_file_is_not_viewable(site, visitor):
    site.templates.add("no-file", fields=["title"])
    site.pages.add("no-file", 1, "bare", title="Bare")
    assert visitor.get("/bare/").status == 404


def test_a_template_file_added_counts_once_the_kept_answer_is_a_second_old(site, tmp_path, monkeypatch):
    site.templates.add("later", fields=["title"])
    page = site.pages.add("later", 1, "later", title="Later")
    assert not has_template_file(site, page) and not page.viewable(template_file=True)
    (tmp_path / "templates").mkdir(exist_ok=True)
    (tmp_path / "templates" / "later.html").write_text("{{ page.title }}")
    assert not has_template_file(site, page)                   # kept for a second
    monkeypatch.setattr(cms.render, "FILE_CHECK_SECONDS", 0.0)     # ... which has passed
    assert has_template_file(site, page) and page.viewable(template_file=True)


def test_the_site_folder_overrides_the_packaged_templates(site, pages, tmp_path):
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "basic-page.html").write_text("custom: {{ page.title }}")
    fresh = cms.boot(site.db.url, site_dir=tmp_path)   # template folders are read per site
    try:
        assert render_page(fresh, fresh.pages.get("/about/")) == "custom: About us"
        assert "<h1>Home</h1>" in render_page(fresh, fresh.pages.get(1))   # from the package
    finally:
        fresh.close()


def test_an_empty_number_or_date_prints_nothing(site, tmp_path):
    site.fields.add("qty", "Integer")
    site.fields.add("due", "Datetime")
    site.templates.add("stock", fields=["title", "qty", "due"])
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "stock.html").write_text("[{{ page.qty }}|{{ page.due }}|{{ page.refs }}]")
    fresh = cms.boot(site.db.url, site_dir=tmp_path)
    try:
        empty = fresh.pages.add("stock", 1, "empty", title="Empty")
        assert render_page(fresh, empty) == "[||]"
        assert render_page(fresh, fresh.pages.add("stock", 1, "full", title="Full", qty=0)) == "[0||]"
    finally:
        fresh.close()


def test_titles_are_escaped_in_templates(site, visitor):
    site.pages.add("basic-page", 1, "xss", title="<script>alert(1)</script>")
    answer = visitor.get("/xss/")
    assert "<script>alert(1)</script>" not in answer.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in answer.text


def test_page_render_is_hookable(site, pages):
    def mark(event):
        event.return_value += f"<!-- {event.object.id} -->"
    hook = site.add_hook_after("Page::render", mark)
    html = pages["about"].render()
    assert html.endswith(f"<!-- {pages['about'].id} -->")
    site.remove_hook(hook)

    def replace(event):
        event.replace = True
        event.return_value = "replaced"
    site.add_hook_before("Page::render", replace)
    assert site.render_page(pages["about"]) == "replaced"


def test_rendering_without_a_template_file_says_which(site):
    site.templates.add("nofile2", fields=["title"])
    page = site.pages.add("nofile2", 1, "x", title="X")
    with pytest.raises(TemplateFileMissing, match="nofile2.html"):
        render_page(site, page)


def test_a_public_page_says_how_it_may_be_kept(site, admin_server):
    """No header kept a page rendered for a logged-in editor out of a shared cache."""
    from webclient import Client
    page = site.pages.add("basic-page", 1, "about", title="About")
    guest = Client(admin_server)
    seen = guest.get(page.url)
    assert seen.status == 200 and seen.headers["X-Content-Type-Options"] == "nosniff"
    assert "private" not in (seen.headers.get("Cache-Control") or "")
    editor = Client(admin_server)
    editor.login()
    mine = editor.get(page.url)
    assert mine.status == 200 and mine.headers["Cache-Control"] == "private, no-cache"
    guest.close()
    editor.close()
