"""The layering rules of the code base, checked on its source (see the README's "Architecture").

They keep the next person from depending on what a module keeps to itself: peewee's internals
stay behind `cms/db/`, no module imports another's private names, and Tasker is a facade over
services rather than one class assembled from mixins.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

CMS = Path(__file__).resolve().parent.parent / "cms"
# peewee's internals: its exception wrapper, connection state, lock timeout and the
# transaction stack (cms/db/base.py HeldTransaction is the one place that works it).
PEEWEE_PRIVATE = {"__exception_wrapper__", "_state", "_timeout", "push_transaction",
                  "pop_transaction", "transaction_depth"}


def modules(under: Path = CMS) -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text(), str(path))) for path in sorted(under.rglob("*.py"))]


def where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(CMS.parent)}:{getattr(node, 'lineno', 0)}"


def peewee_offences(path: Path, tree: ast.Module) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in PEEWEE_PRIVATE:
            found.append(f"{where(path, node)} .{node.attr}")
        # commit(False) / rollback(False) end a peewee transaction without beginning the next,
        # which only a HeldTransaction should do.
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("commit", "rollback") and node.args
                and isinstance(node.args[0], ast.Constant) and node.args[0].value is False):
            found.append(f"{where(path, node)} .{node.func.attr}(False)")
    return found


def private_imports(path: Path, tree: ast.Module) -> list[str]:
    return [f"{where(path, node)} {node.module}.{alias.name}" for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) for alias in node.names
            if alias.name.startswith("_") and not alias.name.startswith("__")]


def test_peewee_internals_are_used_only_inside_cms_db():
    assert [found for path, tree in modules() if not path.is_relative_to(CMS / "db")
            for found in peewee_offences(path, tree)] == []


def test_no_module_imports_another_modules_private_names():
    assert [found for path, tree in modules() for found in private_imports(path, tree)] == []


def test_the_checks_find_a_planted_offence():
    """An empty answer above means clean code, not a walk that saw nothing."""
    path = CMS / "planted.py"
    tree = ast.parse("from .base import _hidden\nx = db.pw.push_transaction(t)\ntxn.commit(False)\n")
    assert private_imports(path, tree) == ["cms/planted.py:1 base._hidden"]
    assert sorted(peewee_offences(path, tree)) == ["cms/planted.py:2 .push_transaction",
                                           "cms/planted.py:3 .commit(False)"]
    assert len(modules()) > 50


def test_tasker_is_a_facade_over_services_not_a_class_of_mixins():
    from cms.tasker import Tasker
    from cms.tasker.lifecycle import Lifecycle
    from cms.tasker.log import TaskLog
    from cms.tasker.progress import Progress
    from cms.tasker.status import TaskStatuses
    from cms.tasker.step import StepRunner

    mixins = [f"{where(path, node)} {node.name}" for path, tree in modules(CMS / "tasker")
              for node in ast.walk(tree) if isinstance(node, ast.ClassDef)
              and node.name.endswith("Mixin")]
    assert mixins == []
    own_bases = [base for base in Tasker.__mro__ if base.__module__.startswith("cms.tasker")]
    assert own_bases == [Tasker]
    for service in (Lifecycle, TaskLog, Progress, TaskStatuses, StepRunner):
        assert not issubclass(Tasker, service) and service.__mro__[1:] == (object,)


def test_tasker_services_use_no_private_name_of_another_object():
    """Inside cms/tasker an attribute that starts with "_" is read only on `self` (or `cls`): a
    service calls another's public methods, never its internals."""
    allowed = {"os._exit"}
    found = []
    for path, tree in modules(CMS / "tasker"):
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and node.attr.startswith("_")
                    and not node.attr.startswith("__")
                    and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
                    and ast.unparse(node) not in allowed):
                found.append(f"{where(path, node)} {ast.unparse(node)}")
    assert found == []


TASK_TABLE_SQL = re.compile(
    r"\b(FROM|INTO|UPDATE|JOIN|TABLE)\s+tasker_(tasks|deps|next|history|steps|lock)\b", re.IGNORECASE)


def task_table_sql(path: Path, tree: ast.Module) -> list[str]:
    return [f"{where(path, node)} {node.value[:60]!r}" for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and TASK_TABLE_SQL.search(node.value)]


def test_every_statement_on_the_task_tables_lives_in_tasker_sql():
    """cms/tasker/sql.py holds the statements, install.py the tables; the CLI, the web and the
    services go through them (and so through TaskState's numbers, never a typed `state <> 3`)."""
    owners = {CMS / "tasker" / "sql.py", CMS / "tasker" / "install.py"}
    assert [found for path, tree in modules() if path not in owners
            for found in task_table_sql(path, tree)] == []
    planted = ast.parse('X = "SELECT state FROM tasker_tasks WHERE pages_id = ?"')
    assert task_table_sql(CMS / "planted.py", planted) == [
        "cms/planted.py:1 'SELECT state FROM tasker_tasks WHERE pages_id = ?'"]
    statements = (CMS / "tasker" / "sql.py").read_text()
    assert not re.search(r"state\s*(<>|=|!=)\s*\d", statements)


def test_every_module_says_what_it_owns():
    missing = [str(path.relative_to(CMS.parent)) for path, tree in modules()
               if len((ast.get_docstring(tree) or "").split()) < 5]
    assert missing == []


def test_the_web_layer_has_one_error_class_and_builds_its_json_error_once():
    classes = [f"{path.name} {node.name}" for path, tree in modules(CMS / "web")
               for node in ast.walk(tree) if isinstance(node, ast.ClassDef)
               and any(isinstance(base, ast.Name) and base.id.endswith(("Exception", "Error"))
                       for base in node.bases)]
    assert classes == ["answers.py HttpError"]
    builders = [path.name for path, tree in modules(CMS / "web") for node in ast.walk(tree)
                if isinstance(node, ast.Dict) and any(
                    isinstance(key, ast.Constant) and key.value == "task_state_info"
                    for key in node.keys) and any(
                    isinstance(value, ast.Constant) and value.value is False for value in node.values)]
    assert builders == ["answers.py"]
