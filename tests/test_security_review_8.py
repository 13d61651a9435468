"""An eighth hostile review, of what landed on 2026-12-07: the login form that keeps a form
sent after the login ended, the page editor's merge of two tabs' saves, the tree's filter as
typed, and the rewritten relative dates. Each test failed before its fix."""
from __future__ import annotations

from urllib.parse import quote

import pytest

from cms.errors import SelectorError, ValidationError


def test_a_relative_date_in_the_year_0000_is_refused_as_a_date_it_cannot_read(site):
    """"first day of january 0000" reached datetime.replace(year=0), whose ValueError no caller
    catches: a selector holding it (Find, the API) answered 500, and the page editor's
    Datetime input too, where every other year out of range is refused with a message."""
    site.fields.add("when", "Datetime", label="When")
    site.templates.add("event", fields=["title", "when"])
    event = site.pages.add("event", 1, "meetup", title="Meetup")
    with pytest.raises(SelectorError, match="outside the years 1000..9999"):
        site.pages.find('when<"first day of january 0000"')
    with pytest.raises(ValidationError):
        event.set("when", "last day of february 0000")


def test_the_tree_s_filter_of_a_title_in_another_script_finds_that_title_alone(site, superuser):
    """The filter looks in the names too only when the text gives a page name, as `name%=`
    of nothing matches every page. It asked `sanitizer.page_name`, which spells "Москва" out
    as "moskva", where the selector reads a name value without what is outside ASCII
    (`name_value`: nothing at all): every child was listed as matching a Russian or Greek
    title typed into the filter."""
    cities = site.pages.add("basic-page", 1, "cities", title="Cities")
    with site.transaction():
        for n in range(60):
            site.pages.add("basic-page", cities, f"city-{n:02d}", title=f"City {n:02d}")
    site.pages.add("basic-page", cities, "moscow", title="Москва")
    found = superuser.get(f"/admin/page/{cities.id}/children?q={quote('Москва')}",
                          headers={"X-Requested-With": "fetch"})
    assert found.status == 200
    assert "1 matching children" in found.text and "City 00" not in found.text
