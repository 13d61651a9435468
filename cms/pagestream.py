"""What `pages.find_many()` gives: ProcessWire's findMany() answer, a PageArray whose pages
load in chunks as they are iterated. Here the ids are read in chunks too (a keyset walk,
cms.selectors.engine.iter_query), so memory stays flat however many pages match."""
from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .page import Page
    from .pages import Pages
    from .selectors.plan import Query


class PageStream:
    """The matching pages, read `chunk` at a time on each pass of a `for`.

    `total` (every match, as a PageArray's) and `len()` (the pages a pass yields: start and
    limit applied) cost one COUNT, when first asked; an empty answer tests false, as
    `count($items)` does there. The selector was checked, and narrowed to the pages the
    acting user may view (SelectorEngine.for_user), at the call."""

    def __init__(self, pages: Pages, query: Query, chunk: int, page_num: int):
        self._pages, self._query, self._chunk, self._page_num = pages, query, chunk, page_num
        self._total: int | None = None

    def __iter__(self) -> Iterator[Page]:
        pages, batch = self._pages, []
        for page_id in pages.site.selectors.iter_query(self._query, self._chunk, self._page_num):
            batch.append(page_id)
            if len(batch) >= self._chunk:
                yield from pages.get_many(batch)
                batch = []
        if batch:
            yield from pages.get_many(batch)

    @property
    def total(self) -> int:
        if self._total is None:
            self._total = self._pages.site.selectors.count_query(self._query)
        return self._total

    def __len__(self) -> int:
        left = max(0, self.total - self._query.paged(self._page_num))
        return left if self._query.limit is None else min(left, self._query.limit)

    def __bool__(self) -> bool:
        return len(self) > 0

    def __repr__(self) -> str:
        return f"<PageStream of {self.total}>"
