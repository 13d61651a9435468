"""The documentation's examples run as written (README.md, cms/tasker/README.md, DESIGN.md):
what running each of them found the code or the text did otherwise."""
from __future__ import annotations

import inspect

import cms.tasker


def test_every_name_cms_tasker_exports_is_what_it_names_never_a_submodule():
    # cms/tasker/README.md: "`heartbeat(tasker, claim)` extends its lease". cms.tasker listed
    # `heartbeat` among its exports, imported from claim.py, but loading the package then
    # loaded its submodule heartbeat.py, whose name took the attribute's place: `from
    # cms.tasker import heartbeat` (or `import *`) gave the module, and the call as written
    # raised "TypeError: 'module' object is not callable".
    modules = [name for name in cms.tasker.__all__ if inspect.ismodule(getattr(cms.tasker, name))]
    assert modules == []
