"""A stateful property test: random adds, moves, renames, trashes, restores and deletes keep the
tree sound (paths unique and right, parent chains end at home, nothing orphaned)."""
from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

import cms

NAMES = st.sampled_from(["a", "b", "c", "a-1", "d", "crème"])


def check_tree(site: cms.Site) -> None:
    db = site.db
    rows = db.all("SELECT p.id, p.parent_id, p.name, pp.path FROM pages p "
                  "LEFT JOIN pages_paths pp ON pp.pages_id = p.id")
    by_id = {r[0]: r for r in rows}
    paths = [r[3] for r in rows]
    assert None not in paths, "every page has a path"
    assert len(paths) == len(set(paths)), "paths are unique"
    assert db.scalar("SELECT COUNT(*) FROM pages_paths") == len(rows), "no orphaned path rows"
    for page_id, parent_id, name, path in rows:
        if page_id == 1:
            assert path == "/"
            continue
        assert parent_id in by_id, f"page {page_id} has no parent"
        assert path == by_id[parent_id][3] + name + "/", f"path of {page_id} follows its parent"
        chain, seen = page_id, set()
        while chain != 1:
            assert chain not in seen, "no cycles"
            seen.add(chain)
            chain = by_id[chain][1]
    for page_id in by_id:
        real = sum(1 for r in rows if r[1] == page_id)
        assert site.pages.num_children(page_id) == real
    trash = by_id[7][3]
    for page_id, _, _, path in rows:
        status = db.scalar("SELECT status FROM pages WHERE id = ?", (page_id,))
        in_trash = path.startswith(trash) and path != trash
        assert bool(status & cms.Page.STATUS_TRASH) == in_trash, f"trash status of {page_id}"


def test_random_tree_operations_keep_the_tree_sound(site):
    site.templates.add("node", fields=["title"])

    class TreeMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            # Each example starts from the bare tree, so examples replay the same way.
            site.db.execute("DELETE FROM pages WHERE id > 27")

        def user_pages(self) -> list[int]:
            return [r[0] for r in site.db.all("SELECT id FROM pages WHERE id > 27 ORDER BY id")]

        @rule(name=NAMES, parent_index=st.integers(0, 50))
        def add(self, name, parent_index):
            parents = [1] + [p for p in self.user_pages()
                             if not site.pages.get(p).is_trash()]
            site.pages.add("node", parents[parent_index % len(parents)], name, title=name)

        @rule(index=st.integers(0, 50), destination=st.integers(0, 50))
        def move(self, index, destination):
            pages = self.user_pages()
            if not pages:
                return
            page = site.pages.get(pages[index % len(pages)])
            if page.is_trash():
                return
            options = [1] + pages
            page.parent = options[destination % len(options)]
            try:
                page.save()
            except cms.PageError as exc:
                assert "under itself" in str(exc) or "trash" in str(exc)

        @rule(index=st.integers(0, 50), name=NAMES)
        def rename(self, index, name):
            pages = self.user_pages()
            if pages:
                page = site.pages.get(pages[index % len(pages)])
                if not page.is_trash():
                    page.name = name
                    page.save()

        @rule(index=st.integers(0, 50))
        def trash(self, index):
            pages = self.user_pages()
            if pages:
                site.pages.get(pages[index % len(pages)]).trash()

        @rule(index=st.integers(0, 50))
        def restore(self, index):
            pages = [p for p in self.user_pages() if site.pages.get(p).parent_id == 7]
            if pages:
                try:
                    site.pages.get(pages[index % len(pages)]).restore()
                except cms.PageError as exc:
                    assert "cannot be restored" in str(exc)

        @rule(index=st.integers(0, 50))
        def delete(self, index):
            pages = self.user_pages()
            if pages:
                page = site.pages.get(pages[index % len(pages)])
                if page:
                    site.pages.delete(page, recursive=True)

        @invariant()
        def sound(self):
            check_tree(site)

    run_state_machine_as_test(TreeMachine, settings=settings(
        max_examples=settings.default.max_examples // 2 or 1, stateful_step_count=15, deadline=None))
