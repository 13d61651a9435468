"""Findings of the review of 3626fd2..2752141 (access parity: locked pages, a Page field as
the guest reads it): each test fails on 2752141."""
from __future__ import annotations

from cms import Page

PASSWORD = "a long passphrase 123"


def holders_of_a_draft(site, count=3):
    """`count` pages whose `refs` hold a draft and a published page (draft first)."""
    site.fields.add("refs", "Page", multiple=True)
    site.templates.add("item", fields=["title", "refs"])
    pub = site.pages.add("item", 1, "pub", title="Pub")
    draft = site.pages.add("item", 1, "draft", title="Draft")
    draft.add_status(Page.STATUS_UNPUBLISHED)
    draft.save()
    for i in range(count):
        site.pages.add("item", 1, f"h{i}", title=f"H{i}", refs=[draft.id, pub.id])
    return pub, draft


def test_a_batch_read_by_code_does_not_give_the_guest_its_drafts(site):
    # load_references_of_batch reads the field for every page of the find at the first read
    # and keeps the result for each page's next read, keyed by the ids and `deletions` only:
    # whoever reads next gets what the first reader was allowed to see
    pub, draft = holders_of_a_draft(site)
    found = site.pages.find("template=item, name^=h, sort=name")
    assert found[0].refs.ids() == [draft.id, pub.id]            # code: every one
    with site.as_user("guest"):
        assert found[1].refs.ids() == [pub.id]                  # gave [draft, pub]


def test_a_batch_read_by_the_guest_does_not_hide_references_from_code(site):
    pub, draft = holders_of_a_draft(site)
    with site.as_user("guest"):
        found = site.pages.find("template=item, name^=h, sort=name")
        assert found[0].refs.ids() == [pub.id]
    assert found[1].refs.ids() == [draft.id, pub.id]            # gave [pub]: a save drops draft
