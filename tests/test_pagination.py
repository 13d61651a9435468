"""Pagination as ProcessWire does it: a find with a `limit` pages itself by `?page=N` while a page
is rendered, and `render_pager()` writes MarkupPagerNav's links. The pager's numbers and markup
are those ProcessWire 3.0.256's PagerNav and MarkupPagerNav give for the same figures (their
code run under PHP 8.2 with the same totals, limits and page numbers)."""
from __future__ import annotations

import pytest
from markupsafe import Markup
from webclient import Client, running_server

from cms.pagination import pager_items, render_pager, rendering
from cms.render import Input, render_page

# (total, per page, page, links) -> ProcessWire's pager: [n] the current page, … a separator,
# Prev:n / Next:n the page they link to
PROCESSWIRE_PAGERS = [
    ((10, 10, 1, 10), ""),
    ((11, 10, 2, 10), "Prev:1 1 [2]"),
    ((50, 10, 6, 10), "Prev:5 1 2 3 4 5"),
    ((101, 25, 3, 3), "Prev:2 1 2 [3] 4 5 Next:4"),
    ((150, 10, 4, 5), "Prev:3 1 2 3 [4] 5 … 15 Next:5"),
    ((150, 10, 12, 5), "Prev:11 1 … 11 [12] 13 14 15 Next:13"),
    ((1000, 10, 1, 10), "[1] 2 3 4 5 6 7 8 9 10 … 100 Next:2"),
    ((1000, 10, 6, 10), "Prev:5 1 2 3 4 5 [6] 7 8 9 10 … 100 Next:7"),
    ((1000, 10, 7, 10), "Prev:6 1 … 3 4 5 6 [7] 8 9 10 11 12 … 100 Next:8"),
    ((1000, 10, 96, 10), "Prev:95 1 … 91 92 93 94 95 [96] 97 98 99 100 Next:97"),
    ((1000, 10, 100, 10), "Prev:99 1 … 91 92 93 94 95 96 97 98 99 [100]"),
    ((5000, 25, 200, 3), "Prev:199 1 … 198 199 [200]"),
]

# MarkupPagerNav's render() with its defaults, for 45 items, 10 a page, on page 2 of /dictionary/
PROCESSWIRE_MARKUP = (
    "\n<ul class='MarkupPagerNav' role='navigation' aria-label='Pagination links'>"
    "\n\t<li aria-label='Previous page' class='MarkupPagerNavPrevious MarkupPagerNavFirst'>"
    "<a href='/dictionary/'><span>Prev</span></a></li>"
    "\n\t<li aria-label='Page 1' class='MarkupPagerNavFirstNum'>"
    "<a href='/dictionary/'><span>1</span></a></li>"
    "\n\t<li aria-label='Page 2, current page' class='MarkupPagerNavOn' aria-current='true'>"
    "<a href='/dictionary/?page=2'><span>2</span></a></li>"
    "\n\t<li aria-label='Page 3'><a href='/dictionary/?page=3'><span>3</span></a></li>"
    "\n\t<li aria-label='Page 4'><a href='/dictionary/?page=4'><span>4</span></a></li>"
    "\n\t<li aria-label='Page 5' class='MarkupPagerNavLastNum'>"
    "<a href='/dictionary/?page=5'><span>5</span></a></li>"
    "\n\t<li aria-label='Next page' class='MarkupPagerNavNext MarkupPagerNavLast'>"
    "<a href='/dictionary/?page=3'><span>Next</span></a></li>"
    "\n</ul>")

LISTING = """\
items={% for c in items %}{{ c.name }},{% endfor %};
child={{ page.child().name }}
one={{ pages.find_one("parent=" ~ page.id ~ ", limit=5").name }}
fixed={% for c in page.children("limit=2, start=0") %}{{ c.name }},{% endfor %};
ids={{ pages.find_ids("parent=" ~ page.id ~ ", limit=3")|join(",") }}
count={{ pages.count("parent=" ~ page.id ~ ", limit=3") }}
within={{ items.find("limit=2").first().name }}
all={{ page.children()|length }}
{{ items.render_pager() }}
"""


def shown(items) -> str:
    out = []
    for item in items:
        if item.kind == "separator":
            out.append("…")
        elif item.kind == "current":
            out.append(f"[{item.label}]")
        elif item.kind in ("previous", "next"):
            out.append(f"{item.label}:{item.number}")
        else:
            out.append(item.label)
    return " ".join(out)


@pytest.mark.parametrize("figures, expected", PROCESSWIRE_PAGERS)
def test_the_pager_chooses_the_numbers_processwire_does(figures, expected):
    total, per_page, page, links = figures
    assert shown(pager_items(total, per_page, page, links)) == expected


def test_the_pager_markup_is_markup_pager_navs():
    assert render_pager(45, 10, 10, base_url="/dictionary/") == PROCESSWIRE_MARKUP
    assert render_pager(45, 10, None, base_url="/dictionary/") == ""      # no limit: one page
    assert render_pager(0, 0, 10, base_url="/dictionary/") == ""
    with pytest.raises(ValueError, match="at least one item per page"):
        pager_items(10, 0, 1)


def test_a_pager_outside_a_rendered_page_needs_its_url():
    with pytest.raises(ValueError, match="base_url="):
        render_pager(45, 0, 10)
    custom = render_pager(45, 0, 10, base_url="/x/", links=2, previous_label="<",
                          next_label="more <b>", list_class="pager")
    assert "<ul class='pager' " in custom and "<span>more &lt;b&gt;</span>" in custom
    assert custom.count("<a href=") == 4            # 1 2 … 5 Next: two numbers as asked


def test_the_list_markup_is_the_template_s_own_as_markup_pager_nav_s_list_markup():
    # MarkupPagerNav's listMarkup, listClass and listAriaLabel: {class} and {aria-label} are
    # put in escaped, an empty class attribute is dropped, {out} takes the items
    nav = render_pager(45, 10, 10, base_url="/dictionary/", list_aria_label="Pages of <words>",
                       list_markup="<nav aria-label='{aria-label}'><ul class='{class}'>{out}</ul></nav>")
    items = PROCESSWIRE_MARKUP.split(">", 1)[1].rsplit("\n</ul>", 1)[0]
    assert nav == f"<nav aria-label='Pages of &lt;words&gt;'><ul class='MarkupPagerNav'>{items}</ul></nav>"
    bare = render_pager(45, 10, 10, base_url="/d/", list_class="",
                        list_markup="<ol class='{class}'>{out}</ol>")
    assert bare.startswith("<ol>\n\t<li aria-label='Previous page'")
    given_as_markup = render_pager(45, 10, 10, base_url="/d/", list_markup=Markup("<ol>{out}</ol>"))
    assert "<li aria-label='Page 1'" in given_as_markup       # the items are not escaped again


@pytest.fixture
def listing(site, tmp_path):
    """A page of template `listing` with 25 children c00 ... c24, and the listing's file."""
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "listing.html").write_text(
        '{% set items = page.children("limit=10") %}' + LISTING)
    site.config.templates_dirs = (str(folder), *site.config.templates_dirs)
    site.templates.add("listing", fields=["title"])
    parent = site.pages.add("listing", 1, "list", title="List")
    with site.transaction():
        for n in range(25):
            site.pages.add("basic-page", parent, f"c{n:02d}", title=f"C {n}")
    return parent


def rendered(site, listed, **params) -> dict[str, str]:
    html = render_page(site, listed, input=Input(params))
    lines = {name: value.rstrip(";") for name, value in
             (line.split("=", 1) for line in html.splitlines() if "=" in line and "<" not in line)}
    lines["pager"] = html[html.find("<ul"):]
    return lines


def test_a_find_with_a_limit_starts_on_the_requested_page(site, listing):
    first = rendered(site, listing)
    assert first["items"] == ",".join(f"c{n:02d}" for n in range(10)) + ","
    second = rendered(site, listing, page="2")
    assert second["items"] == ",".join(f"c{n:02d}" for n in range(10, 20)) + ","
    assert rendered(site, listing, page="3")["items"] == ",".join(f"c{n:02d}" for n in range(20, 25)) + ","
    assert rendered(site, listing, page="9")["items"] == ""          # past the end: none
    assert rendered(site, listing, page="two")["items"] == first["items"]    # not a number: 1
    # what ProcessWire leaves alone: findOne (child, find_one), a start= given, a count, a find
    # without limit, and a PageArray's own find of its pages
    assert second["child"] == "c00" and second["one"] == "c00"
    assert second["fixed"] == "c00,c01,"
    assert second["count"] == "25" and second["all"] == "25"
    assert second["within"] == "c10"
    # find_ids pages as find does (ProcessWire's findIDs goes through the same PageFinder)
    assert second["ids"] == ",".join(str(site.pages.get(f"/list/c{n:02d}/").id) for n in (3, 4, 5))
    # after the render, a find from Python starts at its beginning again
    assert site.pages.find(f"parent={listing.id}, limit=10").first().name == "c00"


def test_the_pager_links_the_pages_of_the_rendered_find(site, listing):
    second = rendered(site, listing, page="2", q="a&b <c>")
    pager = second["pager"]
    assert "aria-label='Page 2, current page' class='MarkupPagerNavOn' aria-current='true'" in pager
    # the request's other parameters are kept, escaped, page 1 has no page=
    assert "<a href='/list/?q=a%26b+%3Cc%3E&amp;page=3'><span>3</span></a>" in pager
    assert "<a href='/list/?q=a%26b+%3Cc%3E'><span>1</span></a>" in pager
    assert "<c>" not in pager
    assert rendered(site, listing)["pager"].count("<li") == 4       # 1 2 3 Next


def test_a_page_rendered_inside_another_keeps_the_requested_page(site, listing):
    with rendering("/outer/", {"page": "2"}, 2):
        inner = rendered(site, listing, page="3")      # the outer request's page and URL
    assert inner["items"] == ",".join(f"c{n:02d}" for n in range(10, 20)) + ","
    assert "href='/outer/?page=3'" in inner["pager"]


def test_the_public_site_pages_a_list_and_keeps_the_menu_whole(site, listing, db_url, tmp_path):
    with running_server(db_url, tmp_path) as server:
        visitor = Client(server)
        answer = visitor.get("/list/?page=2")
        assert answer.status == 200 and "items=c10,c11," in answer.text
        assert "aria-current='true'><a href='/list/?page=2'>" in answer.text
        home = visitor.get("/?page=2")           # home lists 20 a page: page 2 is empty
        assert home.status == 200 and 'href="/list/"' in home.text      # the layout's menu
        assert "<ul>" not in home.text.split("</header>")[1]
        visitor.close()


def test_a_crawler_walking_the_pages_keeps_the_compiled_statements_bounded(site, listing):
    """Each page number is another start for the same plan: its compiled statements are kept
    up to a bound, not one per page number ever asked for."""
    from cms.selectors.engine import STATEMENTS_PER_PLAN
    for number in range(1, 3 * STATEMENTS_PER_PLAN):
        rendered(site, listing, page=str(number))
    kept = max(len(planned.statements) for planned in site.selectors._plans.values())
    assert 2 <= kept <= STATEMENTS_PER_PLAN
    assert rendered(site, listing, page="2")["items"].startswith("c10,")     # still right
