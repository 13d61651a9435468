"""Find over HTTP: typed and built selectors, chosen columns, pages of results, errors."""
from __future__ import annotations

import re
from urllib.parse import urlencode


def find(client, **params):
    return client.get("/admin/find/?" + urlencode(params, doseq=True))


def result_ids(answer):
    if 'id="find-results"' not in answer.text:          # no page found: no table
        return []
    table = answer.text.split('id="find-results"', 1)[1].split("</table>", 1)[0]
    return [int(i) for i in re.findall(r'href="/admin/page/(\d+)/edit"', table)]


def test_a_typed_selector_lists_its_pages_in_pages_of_rows(site, superuser):
    site.fields.add("rank", "Integer")
    site.templates.add("item", fields=["title", "rank"])
    items = [site.pages.add("item", 1, title=f"Item {n:02}", rank=n) for n in range(30)]
    site.pages.add("basic-page", 1, title="Item elsewhere")
    first = find(superuser, selector="template=item, rank>=3, sort=rank", columns="title,rank")
    assert first.status == 200
    assert "27 page(s) found" in first.text
    assert result_ids(first) == [p.id for p in items[3:28]]
    assert 'title="sort by rank"' in first.text and 'title="sort by template"' not in first.text
    next_link = re.search(r'href="([^"]+)" rel="next"', first.text).group(1).replace("&amp;", "&")
    second = superuser.get(next_link)
    assert result_ids(second) == [p.id for p in items[28:30]]


def test_a_selector_is_built_from_the_form_and_shown(site, superuser):
    site.templates.add("item")
    wanted = site.pages.add("item", 1, title='Say "hello"')
    site.pages.add("item", 1, title="Other")
    site.pages.add("basic-page", 1, title='Say "hello" too')
    answer = find(superuser, template="item", field="title", op="*=", value='"hello"',
                  selector="ignored=1", build="1", column=["title", "name"])
    assert answer.status == 200
    assert result_ids(answer) == [wanted.id]
    assert 'value="template=item, title*=&#34;\\&#34;hello\\&#34;&#34;"' in answer.text
    assert 'title="sort by name"' in answer.text
    # the field menu offers what a selector may search: no password, which it refuses
    menu = answer.text.split('<select name="field">', 1)[1].split("</select>", 1)[0]
    assert '<option value="title"' in menu and '<option value="pass"' not in menu


def test_a_bad_selector_shows_its_error_and_where(superuser):
    answer = find(superuser, selector="title=a, foo bar")
    assert answer.status == 400
    assert "operator expected" in answer.text and "position 13" in answer.text
    assert "title=a, foo bar\n" + " " * 13 + "^</pre>" in answer.text
    unknown = find(superuser, selector="nosuchfield=1")
    assert unknown.status == 400 and "nosuchfield" in unknown.text


def test_a_large_result_is_counted_up_to_the_cap(site, superuser, monkeypatch):
    from cms.web import admin_find
    monkeypatch.setattr(admin_find, "COUNT_CAP", 20)
    for n in range(30):
        site.pages.add("basic-page", 1, f"w{n:02d}", title=f"Zq {n:02d}")
    first = find(superuser, selector="title^=Zq, sort=title", per="25")
    assert "25+ page(s) found" in first.text      # at least what is shown and 'rel="next"' in first.text
    assert ">last<" not in first.text
    assert len(result_ids(first)) == 25
    second = find(superuser, selector="title^=Zq, sort=title", per="25", start="25")
    assert len(result_ids(second)) == 5 and "30 page(s) found" in second.text


def test_the_parent_column_shows_each_pages_parent_path(site, superuser):
    top = site.pages.add("basic-page", 1, "top", title="Top")
    middle = site.pages.add("basic-page", top, "middle", title="Middle")
    site.pages.add("basic-page", middle, "leaf", title="Leaf")
    answer = find(superuser, selector="id>0, include=all, sort=id, name=home|top|middle|leaf",
                  columns="name,parent")
    rows = re.findall(r"<tr><td><a [^>]*>([^<]*)</a></td><td>([^<]*)</td></tr>", answer.text)
    assert rows == [("home", ""), ("top", "/"), ("middle", "/top/"), ("leaf", "/top/middle/")]


def test_a_limit_in_the_selector_is_the_page_size_as_in_the_lister(site, superuser):
    site.templates.add("item")
    items = [site.pages.add("item", 1, title=f"Item {n}") for n in range(5)]
    first = find(superuser, selector="template=item, sort=id, limit=2", per="50")
    assert result_ids(first) == [p.id for p in items[:2]]
    assert "5 page(s) found, showing 1–2" in first.text and "page 1 of 3" in first.text
    assert "Per page 2 (the selector" in first.text and 'name="per"' not in first.text
    last = re.search(r'href="([^"]+)">last</a>', first.text).group(1).replace("&amp;", "&")
    assert result_ids(superuser.get(last)) == [items[4].id]
    unlimited = find(superuser, selector="template=item, sort=id", per="25")
    assert result_ids(unlimited) == [p.id for p in items] and 'name="per"' in unlimited.text


def header_link(answer, column):
    found = re.search(rf'<a href="([^"]+)" class="sort-link[^"]*" title="sort by {column}"',
                      answer.text)
    return found.group(1).replace("&amp;", "&") if found else None


def test_a_column_header_sorts_by_it_and_again_the_other_way(site, superuser):
    site.fields.add("rank", "Integer")
    site.fields.add("refs", "Page")
    site.templates.add("item", fields=["title", "rank", "refs"])
    items = [site.pages.add("item", 1, title=f"Item {n}", rank=(n * 7) % 5) for n in range(5)]
    items[4].set_and_save("refs", items[1])
    first = find(superuser, selector="template=item, sort=-id, limit=3", columns="title,rank,refs")
    assert result_ids(first) == [p.id for p in reversed(items)][:3]
    assert "<td>Item 1</td>" in first.text                      # a Page field: its page's title
    assert header_link(first, "refs") is None                   # page references: no sort
    by_rank = superuser.get(header_link(first, "rank"))
    assert 'value="template=item, limit=3, sort=rank"' in by_rank.text     # the box says so
    assert result_ids(by_rank) == [p.id for p in sorted(items, key=lambda p: p.rank)][:3]
    assert 'aria-sort="ascending"' in by_rank.text
    reversed_rank = superuser.get(header_link(by_rank, "rank"))
    assert 'value="template=item, limit=3, sort=-rank"' in reversed_rank.text
    assert result_ids(reversed_rank) == [p.id for p in sorted(items, key=lambda p: -p.rank)][:3]
    assert header_link(reversed_rank, "rank").endswith("sort%3Drank&start=0") or \
        "sort%3Drank" in header_link(reversed_rank, "rank")


def test_sorted_by_replaces_only_the_top_level_sorts():
    from cms.web.admin_find import split_sorts, with_sort

    def sorted_by(selector, key):
        return with_sort(split_sorts(selector)[0], key)

    assert sorted_by("template=item", "title") == "template=item, sort=title"
    assert sorted_by("", "title") == "sort=title"
    assert sorted_by("sort=name, template=item", "-title") == "template=item, sort=-title"
    assert sorted_by("template=item, sort=name, sort=id, limit=5", "id") == \
        "template=item, limit=5, sort=id"
    assert sorted_by('title="a, sort=b", sort=name', "id") == 'title="a, sort=b", sort=id'
    assert sorted_by("(sort=x, title=a), (title=b), sort=name", "id") == \
        "(sort=x, title=a), (title=b), sort=id"
    assert split_sorts("template=item, sort=-modified, sort=id") == ("template=item", "-modified")
    assert sorted_by("template=item, title=(", "id") == "template=item, title=(, sort=id"


def test_a_typed_include_all_does_not_lift_the_users_own_view_access(site, superuser,
                                                                     admin_server):
    """An editor typing `include=all, template=user` listed every user's e-mail; Find keeps
    the user's view access whatever the selector says (check_access=0 too)."""
    from webclient import PASSWORD, Client
    site.users.add_role("editor", ["page-edit"])
    site.users.add("ed", PASSWORD, roles=["editor"])
    public = site.pages.add("basic-page", 1, title="Public")
    editor = Client(admin_server)
    editor.login("ed")
    for selector in ("include=all, template=user", "check_access=0, template=user",
                     "include=all, template=role"):
        answer = find(editor, selector=selector, columns="name,email")
        assert answer.status == 200 and result_ids(answer) == [], selector
        assert "@" not in answer.text.split('id="find-results"', 1)[-1]
    assert public.id in result_ids(find(editor, selector="include=all, title=Public"))
    users = find(superuser, selector="include=all, template=user")
    assert site.users.get("ed").id in result_ids(users)      # the superuser sees them all
    # a Page field's column names only the referenced pages the user may view
    site.fields.add("refs", "Page", multiple=True)
    site.templates["basic-page"].add_field("refs")
    site.templates.add("members", fields=["title"]).set_access(view=[], edit=[])
    club = site.pages.add("members", 1, "club", title="Secret club")
    public.refs = [club, site.pages.get(1)]
    public.save()
    seen = find(editor, selector="title=Public", columns="title,refs").text
    assert "Secret club" not in seen and "<td>Home</td>" in seen
    assert "Secret club, Home" in find(superuser, selector="title=Public", columns="title,refs").text
    editor.close()


def test_the_builders_operators_say_what_they_mean(superuser):
    form = find(superuser).text
    assert '<option value="=" selected>= equals</option>' in form
    assert '<option value="~|=">~|= contains any of the words</option>' in form


def test_a_start_past_the_end_counts_what_is_there(site, superuser, monkeypatch):
    from cms.web import admin_find
    monkeypatch.setattr(admin_find, "COUNT_CAP", 20)
    for n in range(30):
        site.pages.add("basic-page", 1, f"w{n:02d}", title=f"Zq {n:02d}")
    answer = find(superuser, selector="title^=Zq", start="999999")
    assert result_ids(answer) == [] and "20+ page(s) found" in answer.text


def test_a_start_past_the_end_leads_back_to_the_first_page(site, superuser):
    """Past the last page Find said "30 page(s) found" and nothing else: no row, no pager, no
    link back (the task list says "No tasks this far on" and links its first page)."""
    for n in range(30):
        site.pages.add("basic-page", 1, f"w{n:02d}", title=f"Zq {n:02d}")
    answer = find(superuser, selector="title^=Zq", start="900")
    assert result_ids(answer) == [] and "30 page(s) found" in answer.text
    back = re.search(r'<a href="([^"]+)">Back to the first page</a>', answer.text)
    assert back, "no way back from past the end"
    assert result_ids(superuser.get(back.group(1).replace("&amp;", "&")))[:1] != []


def test_a_selector_that_takes_too_long_is_stopped_and_says_so(site, superuser, monkeypatch):
    """An OR list of two thousand %= values held a server thread for 16 s; sixteen such
    requests, every thread."""
    from cms.web import admin_find
    monkeypatch.setattr(admin_find, "FIND_SECONDS", 0.05)
    with site.transaction():
        for i in range(1000):          # the OR list below reads them for 0.2 s or more
            site.pages.add("basic-page", 1, f"p{i}", title=f"page number {i} of many")
    slow = "title%=" + "|".join(f"zz{i}" for i in range(2000))
    answer = find(superuser, selector=slow)
    assert answer.status == 400 and "took more than 0.05 s and was stopped" in answer.text
    quick = find(superuser, selector="title%=number 12")
    assert quick.status == 200 and "page number 12 of many" in quick.text
    assert site.db.scalar("SELECT COUNT(*) FROM pages") > 1000        # the site still answers


def test_a_sort_by_a_parents_or_referenced_pages_field_reads_only_pages_the_user_may_view(
        site, superuser, admin_server):
    """`sort=parent.code` (and `sort=ref.code`) joined the parent (or the referenced page)
    whatever the user may view: an editor who may not view a page, but may view a page below
    it (or one referring to it), read its value by where that page sorted among pages of
    their own whose parents hold values they chose, a binary search a letter at a time.
    `parent.code=x` as a condition already finds nothing there; a sort must tell no more:
    what the editor's Find answers does not change when a page they may not view does."""
    from webclient import PASSWORD, Client
    site.users.add_role("editor", ["page-edit"])
    site.users.add("ed", PASSWORD, roles=["editor"])
    site.templates["home"].set_access(view=["guest"], edit=["editor"])
    site.fields.add("code", "Text")
    site.fields.add("ref", "Page")
    site.templates.add("members", fields=["title", "code"]).set_access(view=[], edit=[])
    site.templates.add("notice", fields=["title", "code", "ref"]).set_access(
        view=["editor"], edit=["editor"])
    club = site.pages.add("members", 1, "club", title="Club", code="m-secret")
    inside = site.pages.add("notice", club, "inside", title="Inside", ref=club)
    low = site.pages.add("notice", site.pages.add("notice", 1, "a", title="A", code="a"), "low",
                         title="Low")
    high = site.pages.add("notice", site.pages.add("notice", 1, "z", title="Z", code="z"), "high",
                          title="High")
    low.ref, high.ref = site.pages.get("/a/"), site.pages.get("/z/")
    low.save()
    high.save()
    editor = Client(admin_server)
    editor.login("ed")
    ids = f"id={inside.id}|{low.id}|{high.id}"

    def orders():
        return [result_ids(find(editor, selector=f"{ids}, sort={key}"))
                for key in ("parent.code", "-parent.code", "ref.code", "-ref.code")]

    before = orders()
    assert all(sorted(found) == sorted([inside.id, low.id, high.id]) for found in before)
    club.code = "zz-changed"            # a value the editor may not read
    club.save()
    assert orders() == before
    editor.close()
