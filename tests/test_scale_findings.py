"""Slow paths found on a 200,000-page site (REPORT.md of the scale audit): each test pins the
shape that keeps a request from growing with the site, by its statements or its query plan."""
from __future__ import annotations

import pytest
from conftest import ENGINE, statements_of

sqlite_only = pytest.mark.skipif(ENGINE != "sqlite", reason="reads SQLite's trace and query plans")


@pytest.fixture
def tagged(site):
    """Tags, and items holding them."""
    site.fields.add("tags", "Page", multiple=True)
    site.templates.add("tag", fields=["title"])
    site.templates.add("item", fields=["title", "tags"])
    with site.transaction():
        tags = [site.pages.add("tag", 1, f"tag-{n}", title=f"Tag {n}") for n in range(5)]
        for n in range(60):
            site.pages.add("item", 1, f"item-{n}", title=f"Item {n}", tags=[tags[n % 5], tags[(n + 1) % 5]])
    site.db.execute("ANALYZE TABLE field_tags" if site.db.engine == "mariadb" else "ANALYZE")
    return site, tags


@sqlite_only
def test_a_page_field_match_reads_the_holders_by_the_fields_index_not_every_page(tagged):
    site, tags = tagged
    found, seen = statements_of(site, lambda: site.pages.find(f"tags={tags[2].id}, limit=5"))
    assert found.total == 24 and all(tags[2] in page.tags for page in found)
    select = next(s for s in seen if s.startswith("SELECT p.id FROM pages p"))
    plan = [row[-1] for row in site.db.all("EXPLAIN QUERY PLAN " + select)]
    assert not any(step.startswith("SCAN p") for step in plan), plan
    assert any("field_tags_data" in step for step in plan), plan


def test_the_users_list_reads_every_users_roles_in_one_query_not_one_per_user(site, superuser,
                                                                             monkeypatch):
    from cms.users import Users
    site.users.add_role("member", permissions=["page-view"])
    with site.transaction():
        for n in range(30):
            site.users.add(f"member{n}", "a long passphrase", roles=["member"])
    asked: list[int] = []
    grants = Users.grants

    def counted(self, user_id):
        asked.append(user_id)
        return grants(self, user_id)
    monkeypatch.setattr(Users, "grants", counted)
    listed = superuser.get("/admin/access/users/")
    assert listed.status == 200 and listed.text.count("guest, member") == 30
    assert len(asked) <= 2, f"{len(asked)} reads of a user's roles for one list"
    assert site.users.role_names_of([site.users.get("member3").id, site.users.get("admin").id]) == {
        site.users.get("member3").id: ["guest", "member"],
        site.users.get("admin").id: site.users.role_names("admin")}


@sqlite_only
def test_a_page_field_read_on_each_page_of_a_find_reads_the_pages_held_once_not_per_page(tagged):
    site, tags = tagged
    site.fields.add("author", "Page")
    site.templates["item"].add_field("author")
    with site.transaction():
        for item in site.pages.find("template=item"):
            item.author = tags[item.sort % 5]
            item.save()
    found = site.pages.find("template=item, limit=40")

    def listing():
        return [(item.title, [tag.title for tag in item.tags], item.author.title) for item in found]
    rows, seen = statements_of(site, listing)
    n = int(rows[7][0].split()[1])
    assert rows[7][1] == [f"Tag {n % 5}", f"Tag {(n + 1) % 5}"] and len(rows) == 40
    assert [row[2] for row in rows] == [tags[item.sort % 5].title for item in found]
    assert len(seen) <= 4, f"{len(seen)} statements for a list of 40 pages' tags and author"
    # read again, a field reads the database again (the pages held are never kept stale)
    first = found.first()
    site.db.execute("UPDATE field_title SET data = 'Renamed' WHERE pages_id = ?", (first.tags.first().id,))
    assert first.tags.first().title == "Renamed"
    first.tags = [tags[4]]
    assert [tag.title for tag in first.tags] == ["Tag 4"]


@sqlite_only
def test_a_move_rewrites_only_the_access_rows_that_change(site):
    site.templates.add("section", fields=["title"])
    site.templates.add("private", fields=["title"]).set_access(view=[], edit=[])
    site.templates.add("open", fields=["title"]).set_access(view=["guest"], edit=[])
    with site.transaction():
        a = site.pages.add("section", 1, "a", title="A")
        b = site.pages.add("section", 1, "b", title="B")
        closed = site.pages.add("private", 1, "closed", title="Closed")
        branch = site.pages.add("section", a, "branch", title="Branch")
        for n in range(40):
            child = site.pages.add("section", branch, f"c{n}", title=f"C{n}")
            if n % 10 == 0:
                site.pages.add("open", child, "own", title="Own access")

    def access_writes(target):
        page = site.pages.get(branch.id)
        page.parent = target
        _, seen = statements_of(site, page.save)
        return [s for s in seen if "pages_access" in s and not s.startswith("SELECT")]
    assert access_writes(b) == []                    # home governs it before and after
    assert access_writes(closed) != []               # now "private" governs the branch
    assert site.users.access.governing_id(site.pages.get("/closed/branch/c3/").id) == \
        site.templates["private"].id
    assert site.users.access.governing_id(site.pages.get("/closed/branch/c30/own/").id) == \
        site.templates["open"].id
    assert access_writes(a) != []                    # and back: home again
    assert site.users.access.governing_id(site.pages.get("/a/branch/c3/").id) == \
        site.users.access.home_template_id
    with site.as_user(site.users.guest()):
        assert site.pages.count("has_parent=/a/branch/") == 44


def test_a_login_as_the_guest_upgrades_an_older_hash_instead_of_failing(site, monkeypatch):
    # found while building the audit's site with a cheaper work factor: every web login of a
    # user whose hash predates the current work factor was refused (PermissionDenied as guest)
    site.users.add_role("member", permissions=["page-view"])
    site.users.add("mia", "a long passphrase", roles=["member"])
    stored = site.db.scalar("SELECT data FROM field_pass WHERE pages_id = ?", (site.users.get("mia").id,))
    monkeypatch.setenv("CMS_PASSWORD_ITERATIONS", "1500")
    site.users.login_as(site.users.guest())          # as a web request before the login
    user = site.users.authenticate("mia", "a long passphrase")
    assert user and user.name == "mia"
    upgraded = site.db.scalar("SELECT data FROM field_pass WHERE pages_id = ?", (user.id,))
    assert upgraded != stored and upgraded.split("$")[1] == "1500"
    assert site.users.authenticate("mia", "a long passphrase") == user


@sqlite_only
def test_the_trees_rows_read_their_governing_template_once_for_the_page_of_rows(site):
    from cms.web.admin_pages import children_of
    site.templates.add("section", fields=["title"])
    site.users.add_role("editor", permissions=["page-edit", "page-add", "page-create", "page-delete",
                                               "page-move", "page-sort"])
    site.templates["home"].set_access(view=["guest"], edit=["editor"], add=["editor"], create=["editor"])
    site.users.add("ed", "a long passphrase", roles=["editor"])
    with site.transaction():
        parent = site.pages.add("section", 1, "parent", title="Parent")
        for n in range(50):
            site.pages.add("section", parent, f"c{n}", title=f"C{n}")
    with site.as_user("ed"):
        (nodes, total), seen = statements_of(site, lambda: children_of(site.pages.get(parent.id), 0))
        assert total == 50 and len(nodes) == 50
        assert all(row.editable and row.movable and row.trashable for row in nodes)
        governing = [s for s in seen if "FROM pages_access WHERE pages_id" in s]
        assert len(governing) <= 3, f"{len(governing)} reads of a governing template for 50 rows"
        # a page moved under another access is governed anew, also on the same object
        site.templates.add("private", fields=["title"]).set_access(view=[], edit=[])
    closed = site.pages.add("private", 1, "closed", title="Closed")
    with site.as_user("ed"):
        child = site.pages.find(f"parent={parent.id}, limit=2").first()
        assert child.editable()
    child.parent = closed
    child.save()
    with site.as_user("ed"):
        assert not child.editable() and not child.viewable()


@sqlite_only
def test_the_trees_counts_of_children_a_user_sees_are_one_grouped_count_for_the_page_of_rows(site):
    from cms.web.admin_pages import children_of, visible_children_of
    site.templates.add("section", fields=["title"])
    site.templates.add("private", fields=["title"]).set_access(view=[], edit=[])
    site.users.add_role("editor", permissions=["page-edit"])
    site.users.add("ed", "a long passphrase", roles=["editor"])
    with site.transaction():
        parent = site.pages.add("section", 1, "parent", title="Parent")
        for n in range(30):
            row = site.pages.add("section", parent, f"c{n}", title=f"C{n}")
            for k in range(n % 4):                    # 0-3 children, one of them private
                site.pages.add("private" if k == 1 else "section", row, f"k{k}", title=f"K{k}")
    expected = {f"c{n}": (n % 4) - (1 if n % 4 >= 2 else 0) for n in range(30)}
    with site.as_user("ed"):
        (nodes, total), seen = statements_of(site, lambda: children_of(site.pages.get(parent.id), 0))
        assert {row.page.name: row.num_children for row in nodes} == expected
        counts = [s for s in seen if "COUNT(" in s]
        assert len(counts) <= 2, f"{len(counts)} counts for a page of 30 rows"
        assert visible_children_of(site, [1])[1] == 2            # home: the section and 404, no admin
    assert visible_children_of(site, [1])[1] == 4                # and the admin and trash


@sqlite_only
def test_emptying_the_trash_deletes_each_page_in_a_transaction_of_its_own(site):
    site.templates.add("section", fields=["title"])
    with site.transaction():
        for n in range(5):
            branch = site.pages.add("section", 1, f"b{n}", title=f"B{n}")
            for m in range(20):
                site.pages.add("section", branch, f"c{m}", title=f"C{m}")
            site.pages.trash(branch)
    deleted, seen = statements_of(site, site.pages.empty_trash)
    assert deleted == 105 and site.pages.count("has_parent=7, include=all") == 0
    # no savepoint per page inside one long transaction (its journal is kept in memory)
    assert not [s for s in seen if s.startswith("SAVEPOINT")]
    assert sum(s.startswith("BEGIN") for s in seen) >= 5
    # inside a caller's transaction it stays in that transaction
    with site.transaction():
        site.pages.trash(site.pages.add("section", 1, "late", title="Late"))
        assert site.pages.empty_trash() == 1


def test_setting_a_field_to_the_value_it_holds_is_no_change(tagged):
    """The admin's form sets every field it shows: a page holding 5,000 references rewrote
    them all at each save though none changed (ProcessWire tracks a change only when the
    value differs)."""
    site, tags = tagged
    item = site.pages.get("/item-0/")
    item.title = "Item 0"
    item.tags = [tags[0], tags[1]]
    assert not item.is_changed("title") and not item.is_changed("tags")
    if ENGINE == "sqlite":
        _, seen = statements_of(site, item.save)
        assert not [s for s in seen if "field_tags" in s or "field_title" in s], seen
    item.tags = [tags[1]]
    item.title = "Item zero"
    assert item.is_changed("title") and item.is_changed("tags")
    item.save()
    again = site.pages.get(item.id)
    assert (again.title, again.tags.ids()) == ("Item zero", [tags[1].id])


def test_a_page_deleted_after_its_holders_find_is_not_in_a_later_read_of_the_field(tagged):
    """The pages a Page field holds are read for the whole find at the first read; another
    holder's first read later must still drop a page deleted meanwhile (Pages.referenced: 'a
    deleted page simply drops out'), as it did when each read read the pages then."""
    site, tags = tagged
    first, second = site.pages.find("template=item, sort=name, limit=2")
    assert tags[1] in first.tags              # reads the pages `second` holds too
    site.pages.delete(site.pages.get(tags[1].id))
    assert [tag.id for tag in second.tags] == [tags[2].id]


@sqlite_only
def test_an_access_rebuild_writes_only_the_rows_that_change(site):
    site.templates.add("section", fields=["title"])
    site.templates.add("members", fields=["title"])
    with site.transaction():
        open_part = site.pages.add("section", 1, "open", title="Open")
        members = site.pages.add("members", 1, "members", title="Members")
        for n in range(120):
            site.pages.add("section", open_part, f"o{n}", title=f"O{n}")
        for n in range(30):
            site.pages.add("section", members, f"m{n}", title=f"M{n}")
    site.templates["section"].set_access(view=["guest"])        # every section page has a row
    _, seen = statements_of(site, lambda: site.templates["members"].set_access(view=["guest"]))
    writes = [s for s in seen if s.startswith(("INSERT INTO pages_access", "DELETE FROM pages_access"))]
    assert len(writes) <= 2, f"{len(writes)} writes where one page's row changed"
    governing = dict(site.db.all("SELECT pages_id, templates_id FROM pages_access"))
    assert governing[members.id] == members.template.id
    assert all(governing[p.id] == p.template.id for p in site.pages.find("template=section, include=all"))
