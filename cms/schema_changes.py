"""A counter in `meta` that every change of fields or templates bumps, so that other sites (the
server's threads, other processes) reload their fields and templates before they use them.

`note_change(site)` is called by the API that changes the schema; `refresh(site)` by a caller
that keeps a site for a long time (each web request begins with it): one small query, and a
reload only when the counter moved.
"""
from __future__ import annotations

import time
import weakref
from typing import TYPE_CHECKING

from .schema import get_meta, set_meta

if TYPE_CHECKING:
    from .site import Site

KEY = "schema_changes"
_seen: weakref.WeakKeyDictionary[Site, int] = weakref.WeakKeyDictionary()
_looked: weakref.WeakKeyDictionary[Site, float] = weakref.WeakKeyDictionary()


def note_change(site: Site) -> None:
    """Count one change of fields or templates (this site has seen it already)."""
    count = int(get_meta(site, KEY, 0) or 0) + 1   # type: ignore[arg-type]
    set_meta(site, KEY, count)
    _seen[site] = count


def refresh(site: Site, max_age: float = 0.0) -> bool:
    """Reload fields and templates if another site changed them since this one last looked.

    With `max_age`, a site that looked less than that many seconds ago does not look again
    (callers that answer many small requests, such as a status poll, save the query).
    """
    now = time.monotonic()
    if max_age and now - _looked.get(site, -max_age) < max_age:
        return False
    _looked[site] = now
    count = int(get_meta(site, KEY, 0) or 0)   # type: ignore[arg-type]
    if _seen.get(site) == count:
        return False
    if site in _seen:
        site.load_schema()
    _seen[site] = count
    return True
