"""URL segments and page numbers (ProcessWire's urlSegments and allowPageNum): a URL below a
page's own renders that page where its template allows it, and is not found elsewhere."""
from __future__ import annotations

import pytest
from webclient import Client, running_server

from cms import ValidationError
from cms.page import Page
from cms.render import Input

BLOG = """\
segs={{ input.url_segment_str }};
one={{ input.url_segment1 }};
last={{ input.url_segment(-1) }};
num={{ input.page_num }};
{% if input.url_segment(1) == "missing" %}{{ not_found() }}{% endif %}
{% set items = page.children("limit=10") %}
items={% for c in items %}{{ c.name }},{% endfor %};
{{ items.render_pager() }}
"""


@pytest.fixture
def sites(site, tmp_path):
    """/blog/ (segments and page numbers, 25 children and a real child `news`), /shop/ (only
    the segments "feed" and tag/<word>), /about/ (neither) and /draft/ (segments, unpublished)."""
    folder = tmp_path / "templates"           # the site's own template files
    folder.mkdir()
    (folder / "blog.html").write_text(BLOG)
    (folder / "shop.html").write_text(BLOG)
    site.templates.add("blog", fields=["title"], url_segments=True, page_numbers=True)
    site.templates.add("shop", fields=["title"], url_segments=["feed", "regex:^tag/[a-z]+$"])
    blog = site.pages.add("blog", 1, "blog", title="Blog")
    with site.transaction():
        for n in range(25):
            site.pages.add("basic-page", blog, f"c{n:02d}", title=f"C {n}")
    site.pages.add("basic-page", blog, "news", title="News")
    site.pages.add("shop", 1, "shop", title="Shop")
    site.pages.add("basic-page", 1, "about", title="About")
    site.pages.add("blog", 1, "draft", title="Draft", status=Page.STATUS_ON | Page.STATUS_UNPUBLISHED)
    return folder


@pytest.fixture
def visitor(site, sites, db_url, tmp_path):
    with running_server(db_url, tmp_path) as server:
        client = Client(server)
        yield client
        client.close()


def lines(answer) -> dict[str, str]:
    return {name: value.rstrip(";") for name, value in
            (line.split("=", 1) for line in answer.text.splitlines() if "=" in line and "<" not in line)}


def test_segments_after_a_pages_url_render_it_with_them(visitor):
    plain = lines(visitor.get("/blog/"))
    assert plain["segs"] == "" and plain["num"] == "1"
    for url in ("/blog/tag/news-2024/", "/blog/tag/news-2024"):       # a slash or none
        answer = visitor.get(url)
        assert answer.status == 200
        assert lines(answer) | {"items": ""} == {"segs": "tag/news-2024", "one": "tag",
                                                  "last": "news-2024", "num": "1", "items": ""}


def test_a_page_number_renders_that_page_of_the_finds_and_the_pager_links_so(visitor):
    second = visitor.get("/blog/page2")
    assert second.status == 200
    assert lines(second)["items"] == ",".join(f"c{n:02d}" for n in range(10, 20)) + ","
    assert lines(second)["num"] == "2" and lines(second)["segs"] == ""
    assert "<a href='/blog/page3'><span>3</span></a>" in second.text
    assert "<a href='/blog/'><span>1</span></a>" in second.text
    assert lines(visitor.get("/blog/page3/"))["items"] == "c20,c21,c22,c23,c24,news,"
    # on such a template the URL says the page: ?page= is not read, as in ProcessWire
    assert lines(visitor.get("/blog/?page=2"))["num"] == "1"
    both = visitor.get("/blog/tag/x/page2?q=a")
    assert lines(both)["segs"] == "tag/x" and lines(both)["num"] == "2"
    assert "<a href='/blog/tag/x/page3?q=a'><span>3</span></a>" in both.text


@pytest.mark.parametrize("url, location", [          # as ProcessWire 3.0.256 answers
    ("/blog/page1", "/blog/"), ("/blog/page02", "/blog/page2"), ("/blog/page0/", "/blog/"),
    ("/blog/tag/page1?x=1", "/blog/tag?x=1"), ("/about/page1", "/about/"),
    ("/Blog/page2", "/blog/page2"), ("/blog/News", "/blog/news/"), ("/ABOUT/", "/about/"),
    ("/Blog/x/", "/blog/x/"), ("/about/index.php", "/about/"), ("/about/INDEX.html", "/about/"),
])
def test_a_page_number_or_a_path_spelled_otherwise_is_redirected(visitor, url, location):
    answer = visitor.get(url)
    assert answer.status == 301 and answer.location.endswith(location)


@pytest.mark.parametrize("url", [
    "/blog/page1000", "/blog/missing/",           # past 999; the template's own not_found()
    "/blog/Bad%20Seg/", "/blog/a~b/", "/blog/" + "s/" * 21, "/blog/" + "s/" * 20 + "page2",
    "/blog/" + "x" * 129 + "/", "/blog//x", "/blog/x//",
    "/shop/other/", "/shop/tag/Red/", "/shop/feed/x/", "/shop/page2", "/shop/Page2",
    "/about/x/", "/about/page2", "/draft/x/", "/nowhere/x/", "/http404/",
])
def test_what_a_template_does_not_allow_is_not_found(visitor, url):
    answer = visitor.get(url)
    assert answer.status == 404 and "segs=" not in answer.text


def test_segments_are_kept_as_typed(visitor):
    for segment in ("-x", "a.", "_a", "Page2", "A1b"):
        answer = visitor.get(f"/blog/{segment}")
        assert answer.status == 200 and lines(answer)["segs"] == segment
        assert lines(answer)["num"] == "1"
    assert lines(visitor.get("/blog/" + "s/" * 19 + "page2"))["num"] == "2"    # 20 parts


def test_only_the_rules_a_template_lists_are_allowed(visitor):
    assert lines(visitor.get("/shop/feed/"))["segs"] == "feed"
    assert lines(visitor.get("/shop/tag/red/"))["segs"] == "tag/red"


def test_a_page_at_the_path_wins_over_a_segment(visitor):
    answer = visitor.get("/blog/news/")
    assert answer.status == 200 and "segs=" not in answer.text and "News" in answer.text


def test_segment_rules_are_checked_when_set(site):
    with pytest.raises(ValidationError, match="no regular expression"):
        site.templates.add("bad", fields=["title"], url_segments=["regex:("])
    with pytest.raises(ValidationError, match="segment strings"):
        site.templates.add("bad", fields=["title"], url_segments=[""])
    with pytest.raises(ValidationError, match="takes a bool"):
        site.templates.add("bad", fields=["title"], url_segments="feed")
    assert "bad" not in site.templates
    template = site.templates.add("ok", fields=["title"], url_segments=[" /feed/ ", "regex:^a"])
    assert template.settings["url_segments"] == ["feed", "regex:^a"]
    assert template.allows_url_segments("feed") and template.allows_url_segments("a/b")
    assert not template.allows_url_segments("feed/x") and not template.allows_url_segments("b")


def test_input_reads_segments_as_processwire_does():
    given = Input({}, ("a", "b", "c"))
    assert [given.url_segment(n) for n in (1, 3, 4, -1, -3, -4, 0)] == ["a", "c", "", "c", "a", "", ""]
    assert (given.url_segment1, given.url_segment2, given.url_segment3) == ("a", "b", "c")
    assert given.url_segment_str == "a/b/c" and Input().url_segment1 == ""
