"""Access control as ProcessWire has it: template access and its inheritance, each page
permission checked where the change happens (Pages), finds filtered by view access, the public
site and the admin following the same rules, and family rules no one can break."""
from __future__ import annotations

import subprocess

import pytest
from conftest import PYTHON, ROOT
from webclient import PASSWORD, Client, make_task, running_server, schema_seen_now

import cms
from cms import NullPage, Page, ValidationError
from cms.errors import PageError, PermissionDenied, SelectorError


@pytest.fixture
def tree(site):
    """A superuser, an editor whose role holds only page-edit (the issue's attacker), a member
    role for a members-only branch, and some pages."""
    site.users.add("admin", PASSWORD)
    site.users.add_role("editor", ["page-edit"])
    site.users.add("ed", PASSWORD, roles=["editor"])
    site.users.add_role("member", ["page-view"])
    site.users.add("mia", PASSWORD, roles=["member"])
    site.templates.add("members", fields=["title"])
    site.templates["members"].set_access(view=["member"])
    members = site.pages.add("members", 1, "members", title="Members")
    inner = site.pages.add("basic-page", members, "inner", title="Inner")
    deep = site.pages.add("basic-page", inner, "deep", title="Deep")
    about = site.pages.add("basic-page", 1, "about", title="About")
    return site, {"members": members, "inner": inner, "deep": deep, "about": about}


def grant(site, role_name: str, *permissions: str) -> None:
    """Give a role more permissions, as an admin would in the role's page."""
    role = site.users.role(role_name)
    role.set("permissions", [*role.permissions.ids(),
                             *(site.users.add_permission(p).id for p in permissions)])
    role.save()


def names(pages) -> list[str]:
    return sorted(p.name for p in pages)


# -- the critical one: an editor may not lock the superuser out --------------------------------
def test_an_editor_cannot_move_the_superusers_user_page(tree):
    site, _ = tree
    admin = site.users.get("admin")
    with site.as_user("ed"):
        page = site.pages.get(admin.id)
        page.parent = 1
        with pytest.raises((PermissionDenied, PageError)):
            page.save()
    assert site.pages.get(admin.id).path == "/admin/access/users/admin/"
    assert site.users.authenticate("admin", PASSWORD) is not None


def test_no_one_moves_or_trashes_users_roles_and_permissions(tree):
    site, _ = tree
    for path in ("/admin/access/users/ed/", "/admin/access/roles/editor/",
                 "/admin/access/permissions/page-edit/"):
        page = site.pages.get(path)
        page.parent = 1
        with pytest.raises(PageError, match="stay where they were put|system page"):
            page.save()                       # even code with every right
        with pytest.raises(PageError):
            site.pages.trash(site.pages.get(path))
        assert site.pages.get(path).path == path


def test_an_editor_cannot_trash_a_role_or_add_under_users(tree):
    site, _ = tree
    with site.as_user("ed"):
        with pytest.raises(PermissionDenied) as refused:   # asked first: not a system-page
            site.pages.trash(site.pages.get("/admin/access/roles/editor/"))  # message naming it
        assert "/admin/access/" not in str(refused.value)
        with pytest.raises(PermissionDenied, match="page-add"):
            site.pages.add("basic-page", "/admin/access/users/", "intruder", title="Intruder")
    assert not site.pages.get("/admin/access/users/intruder/")
    assert site.pages.get("/admin/access/roles/editor/").path == "/admin/access/roles/editor/"


def test_task_pages_stay_where_tasker_put_them(tree, tmp_path):
    site, pages = tree
    prepare_site_modules(site, tmp_path)
    task = make_task(site)
    page = site.pages.get(task.id)
    page.parent = pages["about"]
    with pytest.raises(PageError, match="stay where they were put"):
        page.save()
    assert site.pages.get(task.id).parent_id == 1
    assert site.db.scalar("SELECT parent_id FROM tasker_tasks WHERE pages_id = ?", (task.id,)) == 1


def prepare_site_modules(site, folder):
    (folder / "modules").mkdir(exist_ok=True)
    from webclient import JOBS
    (folder / "modules" / "webjobs.py").write_text(JOBS)
    site.modules.get("Tasker")


# -- each permission, checked in Pages ---------------------------------------------------------
def test_editing_needs_page_edit_through_the_templates_edit_roles(tree):
    site, pages = tree
    with site.as_user("ed"):
        about = site.pages.get(pages["about"].id)
        about.title = "Changed"
        with pytest.raises(PermissionDenied, match="page-edit"):
            about.save()
    assert site.pages.get(pages["about"].id).title == "About"
    site.templates["home"].set_access(view=["guest"], edit=["editor"])
    with site.as_user("ed"):
        about = site.pages.get(pages["about"].id)
        assert about.editable()
        about.set_and_save("title", "Changed")
    assert site.pages.get(pages["about"].id).title == "Changed"


@pytest.mark.parametrize("permission, act", [
    ("page-delete", lambda site, p: site.pages.trash(p)),
    ("page-move", lambda site, p: (setattr(p, "parent", site.pages.get("/members/")), p.save())),
    ("page-lock", lambda site, p: (p.add_status(Page.STATUS_LOCKED), p.save())),
    ("page-sort", lambda site, p: (setattr(p, "sort", 99), p.save())),
])
def test_each_change_needs_its_own_permission(tree, permission, act):
    site, pages = tree
    site.templates["home"].set_access(view=["guest"], edit=["editor"], add=["editor"])
    site.templates["members"].set_access(view=["member"], edit=["editor"], add=["editor"])
    grant(site, "editor", "page-add")
    with site.as_user("ed"):
        with pytest.raises(PermissionDenied, match=permission):
            act(site, site.pages.get(pages["about"].id))
    grant(site, "editor", permission)
    before = site.pages.get(pages["about"].id)
    with site.as_user("ed"):
        act(site, site.pages.get(pages["about"].id))
    after = site.pages.get(pages["about"].id)
    assert (after.path, after.status, after.sort) != (before.path, before.status, before.sort)


def test_adding_needs_page_add_on_the_parent_and_page_create_for_the_template(tree):
    site, pages = tree
    site.users.add_role("author", ["page-edit", "page-add", "page-create"])
    site.users.add("al", PASSWORD, roles=["author"])
    with site.as_user("al"):
        with pytest.raises(PermissionDenied, match="page-add"):
            site.pages.add("basic-page", pages["about"], "child", title="Child")
    site.templates["home"].set_access(view=["guest"], edit=["author"], add=["author"])
    site.templates["members"].set_access(view=["member"], create=[])
    with site.as_user("al"):
        assert pages["about"].addable() and pages["about"].addable(template="basic-page")
        assert not pages["about"].addable(template="members")
        site.pages.add("basic-page", pages["about"], "child", title="Child")
        with pytest.raises(PermissionDenied, match="page-create"):
            site.pages.add("members", pages["about"], "club", title="Club")
    assert site.pages.get("/about/child/") and not site.pages.get("/about/club/")


def test_page_edit_adds_and_creates_through_the_templates_lists_as_in_processwire(tree):
    # ProcessWire stores no page-add or page-create permission: a role the template's add or
    # create roles name adds and creates with page-edit (User::hasPagePermission); round 10
    # against ProcessWire 3.0.256
    site, pages = tree
    site.templates["home"].set_access(view=["guest"], edit=["editor"])
    with site.as_user("ed"):                                   # page-edit only, in no list
        assert not pages["about"].addable()
    site.templates["home"].set_access(view=["guest"], edit=["editor"], add=["editor"])
    with site.as_user("ed"):          # may add here, but no template is one it may create
        assert not pages["about"].addable() and not pages["about"].addable(template="basic-page")
    site.templates["home"].set_access(view=["guest"], add=["editor"], create=["editor"])
    with site.as_user("ed"):          # creating with page-edit asks an edit role too
        assert not pages["about"].addable(template="basic-page")
    site.templates["home"].set_access(view=["guest"], edit=["editor"], add=["editor"], create=["editor"])
    with site.as_user("ed"):
        assert pages["about"].addable() and pages["about"].addable(template="home")
        site.pages.add("basic-page", pages["about"], "child", title="Child")
    assert site.pages.get("/about/child/")
    site.users.add_role("viewer", ["page-view"])               # listed, but no page-edit
    site.users.add("vi", PASSWORD, roles=["viewer"])
    site.templates["home"].set_access(view=["guest"], edit=["editor"], add=["editor", "viewer"])
    with site.as_user("vi"):
        assert not pages["about"].addable()


def test_trashing_sorting_and_locking_need_the_page_editable_too(tree):
    # ProcessWire's deleteable() is `editable() && page-delete`, sortable() `editable() &&
    # page-sort`: a role holding page-delete but not page-edit trashes nothing
    site, pages = tree
    site.users.add_role("cleaner", ["page-delete", "page-sort", "page-lock"])
    site.users.add("cl", PASSWORD, roles=["cleaner"])
    site.templates["home"].set_access(view=["guest"], edit=["cleaner"])
    with site.as_user("cl"):
        about = site.pages.get(pages["about"].id)
        assert not about.editable() and not about.trashable()
        with pytest.raises(PermissionDenied, match="page-delete"):
            site.pages.trash(about)
        order = [p.id for p in site.pages.get(1).children("include=all")]
        with pytest.raises(PermissionDenied, match="page-edit"):   # page-sort alone does not
            site.pages.shift(about, up=about.id != order[0])
    assert not site.pages.get(pages["about"].id).is_trash()
    assert [p.id for p in site.pages.get(1).children("include=all")] == order
    grant(site, "cleaner", "page-edit")
    with site.as_user("cl"):
        assert site.pages.get(pages["about"].id).trashable()


def test_a_page_field_takes_only_pages_the_user_may_view(tree):
    """A reference to a user page, then Find on `ref.email^=a`, read another user's address a
    letter at a time (a Page field's subfield is a plain join, as in ProcessWire)."""
    site, pages = tree
    site.fields.add("ref", "Page", multiple=True)
    site.templates["basic-page"].add_field("ref")
    site.templates["home"].set_access(view=["guest"], edit=["editor"], add=["editor"],
                                      create=["editor"])
    grant(site, "editor", "page-add", "page-create")
    admin_id = site.users.get("admin").id
    with site.as_user("ed"):
        about = site.pages.get(pages["about"].id)
        for hidden in (admin_id, pages["members"].id):
            about.ref = [pages["deep"].id if hidden != admin_id else 1, hidden]
            with pytest.raises(ValidationError, match=f"names a page that does not exist: {hidden}"):
                about.save()
        about = site.pages.get(pages["about"].id)
        about.ref = [1]
        about.save()
        with pytest.raises(ValidationError, match="does not exist"):
            site.pages.add("basic-page", pages["about"], "spy", title="Spy", ref=[admin_id])
        note = site.pages.add("basic-page", pages["about"], "note", title="Note", ref=[1])
    assert site.pages.get(pages["about"].id).ref.ids() == [1]
    assert note.id and not site.pages.get("/about/spy/")
    about = site.pages.get(pages["about"].id)          # one set by a superuser stays
    about.ref = [1, admin_id]
    about.save()
    with site.as_user("ed"):
        about = site.pages.get(pages["about"].id)
        about.title = "About us"
        about.save()
        about.ref = [admin_id, 1]                       # reordered: nothing new
        about.save()
    assert site.pages.get(pages["about"].id).ref.ids() == [admin_id, 1]


def test_a_typed_selector_lifts_no_access_in_its_sub_selectors_either(tree):
    """Find forced check_access on the outer query only: `[... check_access=0]`,
    `children.f` under an outer include=all, and nested children=[...] from home read any
    page's fields (a user's email, a letter at a time) by the count of matches."""
    site, pages = tree
    site.fields.add("secret", "Text")
    site.templates["members"].add_field("secret")
    members = site.pages.get(pages["members"].id)
    members.secret = "TOPSECRET"
    members.save()
    site.templates.add("open", fields=["title"]).set_access(view=["guest"])
    site.pages.add("open", members, "open", title="Open")   # a viewable child of a hidden page
    admin = site.users.get("admin")
    admin.email = "root@example.org"
    admin.save()
    lifting = ["children.secret^=TOP, check_access=0", "children.secret^=TOP, include=all",
               "parent=[secret^=TOP, check_access=0]", "parent=[secret^=TOP, include=all]",
               "id=1, children=[children=[children=[children=[email^=root, include=all], "
               "include=all], include=all], include=all]"]
    with site.as_user("ed"):
        for selector in lifting:
            assert site.pages.find_ids(selector), selector        # code may lift it ...
            assert site.pages.find_ids(selector, enforce_access=True) == [], selector  # ... Find not
            assert site.pages.find(selector, enforce_access=True).total == 0, selector
        deep = ("id=1, children=[children=[children=[children=[name=admin, roles=superuser, "
                "include=all], include=all], include=all], include=all]")
        try:                      # too deep for SQLite's parser with the checks: refused
            assert site.pages.find_ids(deep, enforce_access=True) == []
        except SelectorError as exc:
            assert "nests too deeply" in str(exc)
        # what the user may view is still found through sub-selectors
        assert site.pages.find_ids("children.title=About", enforce_access=True) == [1]
    viewable = site.pages.add("basic-page", pages["about"], "kid", title="Kid")
    with site.as_user("ed"):
        assert site.pages.find_ids("parent=[name=about]", enforce_access=True) == [viewable.id]


def test_a_typed_selector_reads_no_unviewable_parent_or_referenced_page(tree):
    """One dot on the parent or a Page field is a plain join for code (as in ProcessWire), but
    a selector a user types reads only pages that user may view through it."""
    site, pages = tree
    site.fields.add("secret", "Text")
    site.fields.add("ref", "Page")
    site.templates["members"].add_field("secret")
    members = site.pages.get(pages["members"].id)
    members.secret = "TOPSECRET"
    members.save()
    site.templates.add("open", fields=["title", "ref"]).set_access(view=["guest"])
    admin = site.users.get("admin")
    admin.email = "root@example.org"
    admin.save()
    child = site.pages.add("open", members, "open", title="Open", ref=admin.id)
    with site.as_user("ed"):
        for selector in ("parent.secret^=TOP", "parent.title=Members", "ref.email^=root",
                         "ref.name=admin"):
            assert site.pages.find_ids(selector) == [child.id], selector
            assert site.pages.find_ids(selector, enforce_access=True) == [], selector
        assert site.pages.find_ids("title=Open", enforce_access=True) == [child.id]


def test_a_user_saves_their_own_email_and_password_and_nothing_else_of_a_user(tree):
    """Pages itself answers for the Profile screen, a script acting as the user and the API."""
    site, _ = tree
    with site.as_user("ed"):
        ed = site.users.get("ed")
        ed.email = "ed@example.org"
        ed.save()
        site.users.set_password(site.users.get("ed"), "another long passphrase")
        mine = site.users.get("ed")
        mine.roles = [site.users.role("guest"), site.users.role("superuser")]
        with pytest.raises(PermissionDenied):
            mine.save()
        mia = site.users.get("mia")
        mia.email = "taken@example.org"
        with pytest.raises(PermissionDenied):
            mia.save()
    assert site.users.get("ed").get("email") == "ed@example.org"
    assert site.users.authenticate("ed", "another long passphrase")
    assert sorted(site.users.get("ed").role_names()) == ["editor", "guest"]
    assert not site.users.get("mia").get("email")


def test_superuser_and_code_outside_a_request_may_do_everything(tree):
    site, pages = tree
    site.pages.trash(site.pages.get(pages["about"].id))          # no user set: every right
    site.pages.restore(site.pages.get(pages["about"].id))
    with site.as_user("admin"):
        site.pages.add("basic-page", "/admin/access/", "notes", title="Notes")
    assert site.pages.get("/admin/access/notes/")


# -- view access and inheritance ----------------------------------------------------------------
def test_pages_inherit_access_from_the_nearest_template_that_defines_it(tree):
    site, pages = tree
    guest = site.users.guest()
    for name in ("members", "inner", "deep"):
        assert not pages[name].viewable(guest)
        assert pages[name].viewable(site.users.get("mia"))
    assert pages["about"].viewable(guest)
    site.templates.add("open", fields=["title"])
    site.templates["open"].set_access(view=["guest"])
    hall = site.pages.add("open", pages["inner"], "hall", title="Hall")
    nook = site.pages.add("basic-page", hall, "nook", title="Nook")
    assert hall.viewable(guest) and nook.viewable(guest)      # nearest ancestor wins


def test_moving_a_page_moves_it_into_its_new_parents_access(tree):
    site, pages = tree
    guest = site.users.guest()
    about = site.pages.get(pages["about"].id)
    child = site.pages.add("basic-page", about, "child", title="Child")
    about.parent = pages["members"]
    about.save()
    assert not site.pages.get(child.id).viewable(guest)
    about.parent = 1
    about.save()
    assert site.pages.get(child.id).viewable(guest)


def test_a_template_that_stops_defining_access_hands_its_pages_to_the_ancestors(tree):
    site, pages = tree
    guest = site.users.guest()
    site.templates["members"].set_access()
    assert all(site.pages.get(pages[n].id).viewable(guest) for n in ("members", "inner", "deep"))
    site.templates["members"].set_access(view=["member"])
    assert not site.pages.get(pages["deep"].id).viewable(guest)


def test_find_count_and_children_honour_view_access(tree):
    site, pages = tree
    everything = "template=members|basic-page, name=members|inner|deep|about"
    assert names(site.pages.find(everything)) == ["about", "deep", "inner", "members"]
    with site.as_user(None):
        site.users.login_as(None)                               # a guest, as a web request
        assert names(site.pages.find(everything)) == ["about"]
        assert site.pages.count(everything) == 1
        assert site.pages.find(everything + ", limit=1").total == 1
        assert len(site.pages.get(pages["members"].id).children()) == 0
        assert names(site.pages.find(everything + ", check_access=0")) == [
            "about", "deep", "inner", "members"]
        assert len(site.pages.find(everything + ", include=all")) == 4
        assert list(site.pages.find_many(everything)) == [site.pages.get(pages["about"].id)]
    with site.as_user("mia"):
        assert names(site.pages.find(everything)) == ["about", "deep", "inner", "members"]


def test_unpublished_pages_are_viewable_only_by_those_who_may_edit_them(tree):
    site, pages = tree
    draft = site.pages.add("basic-page", 1, "draft", title="Draft",
                           status=Page.STATUS_ON | Page.STATUS_UNPUBLISHED)
    assert not draft.viewable(site.users.get("ed"))
    site.templates["home"].set_access(view=["guest"], edit=["editor"])
    assert draft.viewable(site.users.get("ed"))
    assert not draft.viewable(site.users.guest())


def test_a_find_shows_trashed_pages_only_to_those_who_may_edit_them(tree):
    # ProcessWire gives a trashed page the trash's access, so its guest finds none by
    # status=trash; here a trashed page keeps its access and needs page-edit, as to view it
    site, pages = tree
    about, deep, members = (pages[name].id for name in ("about", "deep", "members"))
    site.pages.trash(site.pages.get(about))
    site.pages.trash(site.pages.get(deep))
    trashed = f"status=trash, id={about}|{deep}, sort=-id"
    assert site.pages.find(trashed).ids() == [about, deep]
    for user in (None, "mia", "ed"):
        with site.as_user(user):
            if user is None:
                site.users.login_as(None)                       # a guest, as a web request
            assert site.pages.find(trashed).ids() == [], user
            assert site.pages.find(f"include=trash, id={about}|{members}").ids() == (
                [members] if user == "mia" else [])             # only members view members
            assert site.pages.find_one(trashed) == NullPage()
            assert site.pages.find(trashed + ", include=all").ids() == [about, deep]   # lifts access
    site.templates["home"].set_access(view=["guest"], edit=["editor"])
    with site.as_user("ed"):                                    # may edit what home governs
        assert site.pages.find(trashed).ids() == [about]
        assert site.pages.count(f"include=trash, id={about}|{deep}") == 1


def test_find_one_gives_a_page_the_user_may_not_view_only_as_processwire_does(tree):
    # PagesLoader::findOne drops a found page that is not viewable unless the selector says
    # include= (include=unpublished: if it would be viewable published) or check_access=0
    site, pages = tree
    draft = site.pages.add("basic-page", pages["about"], "draft", title="Draft",
                           status=Page.STATUS_ON | Page.STATUS_UNPUBLISHED)
    secret = site.pages.add("basic-page", pages["inner"], "secret", title="Secret",
                            status=Page.STATUS_ON | Page.STATUS_UNPUBLISHED)
    with site.as_user(None):
        site.users.login_as(None)                               # a guest, as a web request
        assert site.pages.find(f"id={draft.id}, status=unpublished").ids() == [draft.id]
        assert site.pages.find_one(f"id={draft.id}, status=unpublished") == NullPage()
        assert site.pages.find_one(f"id={draft.id}, include=unpublished") == draft
        assert site.pages.find_one(f"id={draft.id}, include=all") == draft
        assert site.pages.find_one(f"id={draft.id}, status=unpublished, check_access=0") == draft
        assert site.pages.find_one(f"id={draft.id}, include=hidden, status=unpublished") == NullPage()
        assert site.pages.find_one(f"id={secret.id}, include=unpublished") == NullPage()  # members'
        assert site.pages.find_one(f"id={secret.id}, include=all") == secret
        assert site.pages.find_one("name=about") == pages["about"]          # viewable: as before
    site.templates["home"].set_access(view=["guest"], edit=["editor"])
    with site.as_user("ed"):                                    # may edit it: viewable
        assert site.pages.find_one(f"id={draft.id}, status=unpublished") == draft


def test_sub_finds_of_fields_and_sub_selectors_see_only_what_the_user_may_view(tree):
    # ProcessWire 3.0.256 runs `children.<field>` and a [...] sub-selector as finds of their
    # own for the user (answers of a run on generated data): the guest cannot test the
    # values of pages it may not view through them; `children.<column>` is a plain join
    site, pages = tree
    secret = site.pages.add("members", pages["about"], "secret", title="Secret O'Brien")
    site.pages.add("basic-page", secret, "kid", title="Kid")
    about, members = pages["about"].id, pages["members"].id
    with site.as_user(None):
        site.users.login_as(None)                               # a guest, as a web request
        assert site.pages.find("children.title%=Brien").ids() == []
        assert site.pages.count("children.title%=Brien") == 0
        assert site.pages.find("children.title%=Brien, check_access=0").ids() == [about]
        assert site.pages.find("children.name=secret").ids() == [about]      # a column of pages
        assert site.pages.find("has_parent=[title%=Brien]").ids() == []
        # the outer check_access=0 or include=all does not reach into [...]; its own does
        assert site.pages.find("id=[template=members], check_access=0").ids() == []
        assert site.pages.find("id=[template=members], include=all").ids() == []
        assert site.pages.find("id=[template=members, check_access=0], check_access=0").ids() == [
            members, secret.id]
    with site.as_user("mia"):                                   # members view members
        assert site.pages.find("children.title%=Brien").ids() == [about]
        assert site.pages.find("id=[template=members], check_access=0").ids() == [members, secret.id]


def test_two_dots_and_a_parents_child_count_see_only_pages_the_user_may_view(site):
    # ProcessWire 3.0.256 rewrites `a.b.c=v` as the sub-selector `a=[b.c=v]` and
    # `parent.num_children` as `parent=[num_children...]`, finds of the user's own: the guest
    # may not test the page in the middle when it may not view it, whatever the outer
    # check_access= says (ProcessWire's answers on this tree, as the guest)
    site.fields.add("refs", "Page", multiple=True)
    site.users.add_role("member", ["page-view"])
    site.templates.add("secret", fields=["title", "refs"]).set_access(view=["member"])
    site.templates.add("open", fields=["title", "refs"]).set_access(view=["guest", "member"])
    add = site.pages.add
    s2 = add("secret", 1, "s2", title="S2")
    x = add("open", s2, "x", title="X")
    m = add("secret", s2, "m", title="M")
    add("open", m, "o", title="O")
    a = add("open", 1, "a", title="A", refs=[m])
    b = add("open", 1, "b", title="B")
    add("secret", b, "c", title="C", refs=[a])
    add("open", 1, "r", title="R", refs=[x, a])
    answers = {
        "refs.parent.name=s2": ["r"], "refs.parent.name=s2, check_access=0": ["r"],
        "refs.template.name=secret": [], "refs.title.data=M": [], "refs.refs.count>0": ["r"],
        "parent.parent.name=s2": [], "parent.num_children>0": ["a", "b", "r"],
        "children.refs.name=a": [], "refs.title=M": ["a"],           # one dot: a join, as there
        # the outer include=all reaches those finds, check_access=0 only parent.num_children's
        "refs.parent.name=s2, include=all": ["a", "r"], "parent.parent.name=s2, include=all": ["o"],
        "parent.num_children>0, check_access=0": ["a", "b", "c", "m", "o", "r", "x"],
    }
    with site.as_user(None):
        site.users.login_as(None)                               # a guest, as a web request
        for selector, expected in answers.items():
            found = [p.name for p in site.pages.find(f"{selector}, name=a|b|c|m|o|r|x, sort=name")]
            assert found == expected, selector
    assert [p.name for p in site.pages.find("refs.template.name=secret")] == ["a"]  # superuser
    assert site.pages.find("children.refs.name=a").ids() == [1, b.id]    # home: r refers to a


def test_owner_selectors_find_owners_the_user_may_view(tree):
    # PageFinder::getQueryOwnerField finds the owners for the user, unless the outer
    # check_access=0 or include=all lifts it
    site, pages = tree
    site.fields.add("refs", "Page", multiple=True)
    site.templates["members"].add_field("refs")
    site.templates["basic-page"].add_field("refs")
    site.pages.add("members", pages["members"], "board", title="Board", refs=[pages["about"]])
    site.pages.add("basic-page", 1, "news", title="News", refs=[pages["inner"]])
    about = pages["about"].id
    with site.as_user(None):
        site.users.login_as(None)                               # a guest, as a web request
        assert site.pages.find("refs__owner.title=Board").ids() == []
        assert site.pages.find("refs__owner.title=Board, check_access=0").ids() == [about]
        assert site.pages.find("refs__owner.title=Board, include=all").ids() == [about]
        assert site.pages.find("refs__owner.title=News").ids() == []     # inner: members only
        assert site.pages.find("refs__owner.title=News, check_access=0").ids() == [pages["inner"].id]
    with site.as_user("mia"):
        assert site.pages.find("refs__owner.title=Board").ids() == [about]


def test_every_role_views_what_its_templates_let_it_view_as_in_processwire(tree):
    # ProcessWire gives page-view to every role it loads (Roles::loaded) and its finds ask only
    # for a view role: a role stored without page-view still views the templates naming it
    site, pages = tree
    viewer = site.users.add_role("viewer")
    assert [p.name for p in viewer.get("permissions")] == ["page-view"]
    viewer.set("permissions", [])                       # stored without it, as code may do
    viewer.save()
    site.users.add("vic", PASSWORD, roles=["viewer"])
    site.templates["members"].set_access(view=["member", "viewer"])
    with site.as_user("vic"):
        assert site.pages.find("template=members").ids() == [pages["members"].id]
        assert site.pages.get(pages["members"].id).viewable()
        assert not site.pages.get(pages["members"].id).editable()


def test_viewable_asks_for_a_template_file_only_when_told(tree):
    # ProcessWire's viewable() is false for a page whose template has no file; here that is
    # `viewable(template_file=True)`, and viewable() answers access alone (README)
    site, pages = tree
    members = site.pages.get(pages["members"].id)           # template "members": no file
    inner = site.pages.get(pages["inner"].id)               # basic-page.html
    mia = site.users.get("mia")
    assert members.viewable(mia) and not members.viewable(mia, template_file=True)
    assert inner.viewable(mia, template_file=True)
    assert not inner.viewable(site.users.guest(), template_file=True)    # access first


def test_set_access_refuses_bad_input_and_changes_nothing(tree):
    site, _ = tree
    members = site.templates["members"]
    before = dict(members.settings)
    with pytest.raises(ValidationError, match="unknown role 'nobody'"):
        members.set_access(view=["nobody"])
    with pytest.raises(ValidationError, match="view= takes a list of role names"):
        members.set_access(view="member")
    with pytest.raises(ValidationError, match="view= takes a list of role names"):
        members.set_access(view="", edit=["member"])    # an empty string is no list either
    with pytest.raises(ValidationError, match="home template must define access"):
        site.templates["home"].set_access()
    assert members.settings == before
    assert members.access_roles() == {"view": ["member"], "edit": [], "create": [], "add": []}


def test_an_access_change_and_its_rebuild_commit_together_or_not_at_all(tree, monkeypatch):
    """A template that starts defining access rebuilds pages_access in the transaction that
    stores its settings: a rebuild that fails leaves the old access and the old table, where
    the table had been emptied in a commit of its own (every page public to guests until some
    later rebuild) and the settings stored in another."""
    site, pages = tree
    site.templates.add("open-one", fields=["title"])
    stored = site.db.scalar("SELECT COUNT(*) FROM pages_access")
    assert stored >= 3                                    # members, inner, deep at least

    def broken(*args, **kwargs):
        raise RuntimeError("the disk filled up")

    monkeypatch.setattr(type(site.users.access), "_governed_rows", broken)
    with pytest.raises(RuntimeError):
        site.templates["open-one"].set_access(view=["guest"])
    monkeypatch.undo()
    assert site.db.scalar("SELECT COUNT(*) FROM pages_access") == stored
    assert not site.templates["open-one"].settings.get("use_roles")
    assert "use_roles" not in site.db.scalar("SELECT data FROM templates WHERE name = 'open-one'")
    with site.as_user("guest"):
        assert site.pages.count(f"has_parent={pages['members'].id}") == 0


def test_a_process_with_an_old_copy_of_a_template_keeps_anothers_access_change(tree, db_url,
                                                                              tmp_path):
    """set_settings merges into the settings as stored (read under a row lock), not into this
    process's copy: a worker setting a label must not revert the admin's access change made a
    moment before."""
    site, pages = tree
    other = cms.boot(db_url, site_dir=tmp_path)       # another process, its copy loaded now
    try:
        site.templates["basic-page"].set_access(view=["member"], edit=["editor"])
        other.templates["basic-page"].set_settings(label="Plain page")
        stored = site.db.scalar("SELECT data FROM templates WHERE name = 'basic-page'")
        assert '"use_roles": true' in stored and "Plain page" in stored
        assert other.templates["basic-page"].access_roles()["view"] == ["member"]
        site.templates["members"].set_access()         # an unrelated rebuild
        with site.as_user("guest"):
            assert not site.pages.get(pages["about"].id).viewable()
    finally:
        other.close()


def test_another_process_sees_an_access_change_within_a_second(tree, db_url, tmp_path):
    site, pages = tree
    other = cms.boot(db_url, site_dir=tmp_path)
    try:
        other.users.login_as(None)
        assert len(other.pages.find("name=inner")) == 0
        site.templates["members"].set_access(view=["guest"])
        other._schema_seen = (0.0, other._schema_seen[1])      # a second later
        assert other.refresh_schema()
        assert len(other.pages.find("name=inner")) == 1
    finally:
        other.close()


# -- the web follows the same rules ------------------------------------------------------------
@pytest.fixture
def web(tree, db_url, tmp_path):
    site, pages = tree
    prepare_site_modules(site, tmp_path)
    with running_server(db_url, tmp_path) as server:
        yield site, pages, server


def test_an_editor_cannot_move_the_superuser_out_over_http(web):
    site, pages, server = web
    admin_page = site.users.get("admin")
    editor = Client(server)
    editor.login("ed")
    answer = editor.post(f"/admin/page/{admin_page.id}/move", {"csrf_token": editor.token(),
                                                               "parent": "/"})
    assert answer.status in (400, 403)
    answer = editor.post(f"/admin/page/{site.users.role('editor').id}/trash",
                         {"csrf_token": editor.token(), "confirmed": "1"})
    assert site.pages.get("/admin/access/roles/editor/")
    answer = editor.post("/admin/page/add?parent=" + str(site.pages.get("/admin/access/users/").id),
                         {"csrf_token": editor.token(), "template": "basic-page", "title": "X"})
    assert answer.status == 403
    assert site.pages.get(admin_page.id).path == "/admin/access/users/admin/"
    superuser = Client(server)
    superuser.login("admin")
    assert superuser.get("/admin/").status == 200


def test_the_public_site_gives_a_guest_the_404_page_for_what_it_may_not_view(web):
    site, pages, server = web
    visitor = Client(server)
    answer = visitor.get("/members/inner/")
    assert answer.status == 404 and "Inner" not in answer.text
    assert visitor.get("/about/").status == 200
    member = Client(server)           # members log in at the admin's login form
    form = member.get("/admin/login")
    member.post("/admin/login", {"username": "mia", "password": PASSWORD, "csrf_token": form.csrf()})
    assert member.get("/members/inner/").status == 200


def test_the_tree_offers_only_what_the_user_may_do(web):
    site, pages, server = web
    editor = Client(server)
    editor.login("ed")
    tree = editor.get("/admin/page/1/children", headers={"X-Requested-With": "fetch"})
    assert tree.status == 200
    assert f"/admin/page/{pages['about'].id}/move" not in tree.text
    assert f"/admin/page/add?parent={pages['about'].id}" not in tree.text
    assert editor.get(f"/admin/page/{pages['about'].id}/move").status == 403
    site.templates["home"].set_access(view=["guest"], edit=["editor"])
    grant(site, "editor", "page-move")
    server.web.access.ttl = 0
    schema_seen_now(server)
    editor = Client(server)
    editor.login("ed")
    assert editor.get(f"/admin/page/{pages['about'].id}/move").status == 200
    # A typed path or id of a page the editor may not view answers as one that does not exist.
    for typed in ("/members/inner/", str(pages["inner"].id), "/no/such/"):
        refused = editor.post(f"/admin/page/{pages['about'].id}/move",
                              {"csrf_token": editor.token(), "parent": typed})
        assert refused.status == 400 and f"there is no page {typed!r} to move to" in \
            refused.text.replace("&#39;", "'"), typed
    assert site.pages.get(pages["about"].id).parent.id == 1
    # View only for a page that renders: members' template has no file
    admin = Client(server)
    admin.login("admin")
    rows = admin.get("/admin/page/1/children", headers={"X-Requested-With": "fetch"}).text
    assert 'href="/about/" target="_blank"' in rows and 'href="/members/" target="_blank"' not in rows


# -- the command line --------------------------------------------------------------------------
def cli(run_env, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, str(ROOT / "run.py"), *args], input=stdin, env=run_env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_role_add_and_user_add_with_a_role(site, run_env):
    done = cli(run_env, "role", "add", "writer", "--permission", "page-edit",
               "--permission", "page-add")
    assert done.returncode == 0, done.stderr
    assert "role 'writer' added" in done.stdout and "page-edit, page-add" in done.stdout
    done = cli(run_env, "user", "add", "wendy", "--role", "writer", stdin=PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    assert "guest, writer" in done.stdout
    again = cli(run_env, "role", "add", "writer")
    assert again.returncode == 1 and "exists already" in again.stderr
    bad = cli(run_env, "role", "add", "odd", "--permission", "page-fly")
    assert bad.returncode == 1 and "unknown permission 'page-fly'" in bad.stderr
    listed = cli(run_env, "role", "list", "--json")
    assert '"writer"' in listed.stdout and "odd" not in listed.stdout


def test_reordering_children_needs_page_sort_on_the_parent(tree):
    site, pages = tree
    first = site.pages.add("basic-page", pages["about"], "first", title="First")
    second = site.pages.add("basic-page", pages["about"], "second", title="Second")
    site.templates["home"].set_access(view=["guest"], edit=["editor"])
    with site.as_user("ed"):
        with pytest.raises(PermissionDenied, match="page-sort"):
            site.pages.reorder(pages["about"], [second.id, first.id])
        with pytest.raises(PermissionDenied, match="page-sort"):
            site.pages.shift(site.pages.get(second.id), up=True)
    assert [p.name for p in site.pages.get(pages["about"].id).children()] == ["first", "second"]
    grant(site, "editor", "page-sort")
    with site.as_user("ed"):
        site.pages.reorder(pages["about"], [second.id, first.id])
    assert [p.name for p in site.pages.get(pages["about"].id).children()] == ["second", "first"]


def test_a_request_reads_its_users_roles_once_and_keeps_them_for_the_caches_time(site):
    """A public page checks the user's grants against the page and filters its finds by them:
    AccessCache keeps them `ttl` seconds, as it keeps whether the user may do a thing."""
    from cms.web.app import AccessCache
    now = [100.0]
    cache = AccessCache(ttl=2.0, clock=lambda: now[0])
    guest = site.users.guest()
    assert not cache.grants(site, guest).holds("comment-post")
    grant(site, "guest", "comment-post")
    assert not cache.grants(site, guest).holds("comment-post")   # kept
    now[0] += 2.5
    assert cache.grants(site, guest).holds("comment-post")       # read again
    site.users.login_as(guest, cache.grants(site, guest))
    assert site.acting_grants() is cache.grants(site, guest)


def test_a_permission_asked_of_the_cache_with_the_requests_grants_reads_no_roles_again(site,
                                                                                       monkeypatch):
    from cms.web.app import AccessCache
    cache = AccessCache(ttl=2.0)
    guest = site.users.guest()
    grant(site, "guest", "comment-post")
    grants = cache.grants(site, guest)
    monkeypatch.setattr(site.users, "grants", lambda user_id: pytest.fail("roles read again"))
    assert cache.can(site, guest, "comment-post", grants)
    assert not cache.can(site, guest, "page-delete", grants)
