"""ProcessWire selectors: parsed to a tree, planned against the site, compiled to one SQL query.

    engine = SelectorEngine(site)                    # site.selectors
    engine.select("template=post, title*=word, sort=-created, limit=20", want_total=True)
    engine.count("parent=/blog/")
    for page_id in engine.iter_ids("has_parent=/archive/"): ...

parser.py knows the syntax, plan.py the meaning of names and values, compiler.py the SQL,
engine.py runs it, reference.py re-implements the meaning in plain Python for the tests.
"""
from .engine import SelectorEngine, SelectResult
from .parser import parse

__all__ = ["SelectorEngine", "SelectResult", "parse"]
