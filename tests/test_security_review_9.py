"""A ninth hostile review, as an editor, of the page editor's merge of what its inputs showed
(`editor-was`, new on 2026-12-07) and of Find. Nothing here failed: these hold what was tried,
so a change to the merge or to Find's access cannot open it unseen."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from webclient import PASSWORD, Client

from cms.web.form_merge import WAS, digest


@pytest.fixture
def editor(site, admin_server):
    """A client logged in as `ed`, who edits the pages of template `section` only; pages of
    template `private` are viewed and edited by superusers alone."""
    role = site.users.add_role("editor", ["page-edit", "page-delete", "page-add", "page-create"])
    site.users.add("ed", PASSWORD, roles=["editor"])
    site.fields.add("related", "Page", label="Related", multiple=True)
    site.fields.add("secret", "Text", label="Secret")
    site.templates.add("section", fields=["title", "related"])
    site.templates["section"].set_access(view=["guest"], edit=[role], add=[role], create=[role])
    site.templates.add("private", fields=["title", "secret"])
    site.templates["private"].set_access(view=[], edit=[])
    client = Client(admin_server)
    client.login("ed")
    yield client
    client.close()


def test_a_forged_shown_digest_does_not_let_an_editor_name_a_page_they_may_not_view(site, editor):
    """A Page field's input sent with a digest saying the form showed what was typed (so the
    merge reads it as left alone and keeps what is stored) is still refused as the plain save
    refuses it, before the merge: the page is not named, nothing is stored."""
    news = site.pages.add("section", 1, "news", title="News")
    hidden = site.pages.add("private", 1, "plans", title="Plans", secret="s3")
    typed = str(hidden.id)
    answer = editor.post(
        f"/admin/page/{news.id}/edit",
        [
            ("csrf_token", editor.token()),
            ("title", "News"),
            ("name", "news"),
            ("related", typed),
            (WAS, f"related:{digest(typed)}"),
            (WAS, f"title:{digest('News')}"),
        ],
    )
    assert answer.status == 400
    assert f"names a page that does not exist: {typed}" in answer.text
    assert "plans" not in answer.text
    assert site.pages.get(news.id).related.ids() == []


def test_a_forged_shown_digest_keeps_the_stored_value_never_an_empty_required_one(site, editor):
    """An empty title sent as "left as shown" (a forged digest of an empty title) is merged as
    an input left alone: the stored title stays, where the plain save refuses the empty one.
    Either way no page is saved without its required title."""
    news = site.pages.add("section", 1, "news", title="News")
    answer = editor.post(
        f"/admin/page/{news.id}/edit",
        [("csrf_token", editor.token()), ("title", ""), ("name", "news"), (WAS, f"title:{digest('')}")],
    )
    assert answer.status == 303
    assert site.pages.get(news.id).title == "News"


@pytest.mark.parametrize(
    "selector",
    [
        "id=[template=private, check_access=0]",
        "id=[secret=s3, include=all]",
        "template=private, include=all, check_access=0",
        "children.secret=s3, include=all",
        "(template=private), (secret=s3), check_access=0",
    ],
)
def test_a_selector_typed_in_find_reaches_no_page_the_editor_may_not_view(site, editor, selector):
    """Find enforces the editor's view access whatever the selector typed lifts, in a
    sub-selector, an OR-group or a `children.` condition: no private page is listed, and no
    page is listed for what a private page holds."""
    section = site.pages.add("section", 1, "news", title="News")
    hidden = site.pages.add("private", section, "plans", title="Plans", secret="s3")
    answer = editor.get("/admin/find/?selector=" + quote(selector))
    listed = set(re.findall(r'href="/admin/page/(\d+)/edit"', answer.text))
    assert answer.status == 200
    assert str(hidden.id) not in listed and str(section.id) not in listed
