"""The module registry: discovery, install on first use, upgrades, and settings in the database.

Modules come from three places, looked at in this order: the site directory's `modules/`
folder (each `*.py` file and package, imported by file location), installed packages' entry
points in the group `cms.modules`, and the modules this package ships (Tasker and the
demo's Dictionary). A module is known by its class name; a task stores that name so a worker
process finds the same class.
"""
from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import importlib.util
import inspect
import json
import logging
import sys
import threading
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import peewee

from .db.base import utcnow
from .errors import ModuleError
from .module import Module

if TYPE_CHECKING:
    from .site import Site

log = logging.getLogger("cms.modules")

# `modules.flags`: installed by a script that registered the class itself (not in modules/, not
# an entry point): other processes cannot find it, and need not complain.
FLAG_FROM_CODE = 1
_TOLD: set[tuple[str, str]] = set()   # (site folder, what was said): logged once per process
SITE_PACKAGE = "cms_site_modules."             # what the site's modules/ files are loaded as
BUILTIN = {
    "Tasker": "cms.tasker:Tasker",
    "Dictionary": "cms.demo:Dictionary",
}


def raised(exc: BaseException) -> str:
    """What a module's own code raised as it loaded, for a report. A SystemExit there (its
    file or init() calling sys.exit(), argparse reading the host's command line, a library's
    error path) is the module failing to load, as an exception is: not an Exception, it went
    past every handler of the site's boot and ended the process booting the site, so a worker
    lost each step process as it was replaced, and then stopped (exit 0), its tasks of every
    module left active. KeyboardInterrupt (Ctrl-C) still ends a boot."""
    if isinstance(exc, SystemExit):
        return f"sys.exit({exc.code!r})"
    return f"{type(exc).__name__}: {exc}"


@contextlib.contextmanager
def exits_refused(name: str) -> Iterator[None]:
    """Run a module's own code (its constructor, init(), upgrade()) with a SystemExit it
    raises made the ModuleError of a module that failed to load (see `raised`)."""
    try:
        yield
    except SystemExit as exc:
        raise ModuleError(f"module {name!r} called {raised(exc)} as it loaded (in its "
                          "constructor, init() or upgrade()): a module that cannot work "
                          "raises an exception; it does not end the process loading it") from exc


def newer_version(stored: str, code: str) -> bool:
    """Whether a module's stored version is past its code's (`1.10.0` after `1.9.2`): a later
    release upgraded it, and this code must not run its upgrade() backwards on that data. A
    version not in dotted numbers is never called newer (such a change upgrades, as before)."""
    def key(version: str) -> tuple[int, ...] | None:
        parts = version.split(".")
        return tuple(map(int, parts)) if all(part.isdigit() for part in parts) else None
    stored_key, code_key = key(stored), key(code)
    return stored_key is not None and code_key is not None and stored_key > code_key


def refuse_newer(name: str, stored: str, code: str) -> None:
    """Raise ModuleError when a later release upgraded the module past this code's version."""
    if newer_version(stored, code):
        raise ModuleError(f"module {name!r} is at version {stored} in the database, newer than "
                          f"this code's {code}: a later release upgraded it; run that release "
                          "(nothing was changed)")


class Modules:
    """`site.modules`: register, find, install, uninstall modules and keep their settings."""

    def __init__(self, site: Site):
        self.site = site
        self._classes: dict[str, type[Module]] = {}
        self._instances: dict[str, Module] = {}
        self.load_errors: list[str] = []
        self.searched: list[str] = []
        self._discovered = False
        self._loaded_files: dict[str, int] = {}  # names in modules/ loaded here: their mtime
        self._failed_files: dict[str, int] = {}  # name -> mtime of the copy that failed to load
        self._ready: set[str] = set()     # names whose install and version check ran here
        self.installing: set[str] = set()   # names whose install() runs now, in this process
        self._from_entry_points: set[str] = set()

    # -- discovery ----------------------------------------------------------------------------
    def discover(self) -> None:
        """Find site modules and entry-point modules (once per process)."""
        if self._discovered:
            return
        self._discovered = True
        self.searched.append(str(Path(self.site.site_dir) / "modules"))
        self._scan_folder()
        self.searched.append("entry points 'cms.modules'")
        for entry in importlib.metadata.entry_points(group="cms.modules"):
            try:
                self.register(entry.load(), entry.name)
                self._from_entry_points.add(entry.name)
            except Exception as exc:
                self._report(f"module entry point {entry.name!r} ({entry.value}) failed to load: {exc}")
        self.searched.append("built-in modules (" + ", ".join(BUILTIN) + ")")

    def _scan_folder(self) -> bool:
        """Load the site's modules/ files not loaded yet by this process; True when one loaded.
        A file dropped in while a server or worker runs is found at the first call for a
        module this process does not know (get_class), instead of failing that task for good;
        a file that failed to load is tried again once it changes (its error fixed), not at
        every call. A file loaded once is never loaded again in this process."""
        folder = Path(self.site.site_dir) / "modules"
        if not folder.is_dir():
            return False
        new = False
        for path in sorted(folder.iterdir()):
            if path.suffix == ".py" and not path.name.startswith("_"):
                source, package = path, False
            elif path.is_dir() and (path / "__init__.py").is_file():
                source, package = path / "__init__.py", True
            else:
                continue
            if path.name in self._loaded_files:
                continue
            changed = source.stat().st_mtime_ns
            if self._failed_files.get(path.name) == changed:
                continue
            if self._load_file(path.name if package else path.stem, source, package):
                self._loaded_files[path.name] = changed
                self._failed_files.pop(path.name, None)
                new = True
            else:
                self._failed_files[path.name] = changed
        return new

    def _changed_files(self) -> list[str]:
        """The files of modules/ changed since this process loaded them (never loaded again
        here: a module added to one is found only by a process started since)."""
        folder = Path(self.site.site_dir) / "modules"
        changed = []
        for file, loaded in self._loaded_files.items():
            source = folder / file / "__init__.py" if (folder / file).is_dir() else folder / file
            try:
                if source.stat().st_mtime_ns != loaded:
                    changed.append(file)
            except OSError:          # removed since: nothing to load again
                pass
        return changed

    def _load_file(self, stem: str, path: Path, package: bool = False) -> bool:
        name = f"{SITE_PACKAGE}{stem}"
        try:
            spec = importlib.util.spec_from_file_location(
                name, path, submodule_search_locations=[str(path.parent)] if package else None)
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
        except SyntaxError as exc:
            sys.modules.pop(name, None)
            self._report(f"site module {exc.filename}:{exc.lineno}: syntax error: {exc.msg}")
            return False
        except (Exception, SystemExit) as exc:     # SystemExit: see `raised`
            sys.modules.pop(name, None)
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            self._report(f"site module {path} failed to load at {frame.filename}:{frame.lineno}: "
                         f"{raised(exc)}")
            return False
        loaded = True
        for value in vars(module).values():
            if (inspect.isclass(value) and issubclass(value, Module) and value is not Module
                    and value.__module__ == name):
                try:
                    self.register(value)
                except ModuleError as exc:       # a name another file took (a copy left there)
                    self._report(f"site module {path}: {exc}")
                    loaded = False               # tried again once the file changes
        return loaded

    def _report(self, text: str) -> None:
        """Keep `text` in `load_errors` (the Modules screen) at every boot, but log it once a
        process: cron, its supervisor's thread and its step process each boot the site, and a
        missing module's paragraph stood three times in cron's log every minute."""
        self.load_errors.append(text)
        self.site.notices.error(text, source="modules", debug=not self._first_time(text))

    def _first_time(self, what: str) -> bool:
        """True the first time this process says `what` of this site (see _TOLD): a boot
        repeats what the boot before it said, and the log should not."""
        told = (str(self.site.site_dir), what)
        if told in _TOLD:
            return False
        _TOLD.add(told)
        return True

    # -- registry -----------------------------------------------------------------------------
    def register(self, cls: type[Module], name: str | None = None) -> type[Module]:
        """Make a module class known under `name` (default: its class name). Usable as a decorator.

        A name registered already is refused for a class of another Python module: a script's
        `class Dictionary(cms.Module)` replaced the demo's module of that name without a word
        (and other processes kept running the demo's). The same class, or the class of the same
        name and module again (a site module file loaded anew), replaces it. The class of a
        site module file that a script imported again through sys.path (`from modules.catalog
        import Catalog`) is that file's: the class the site loaded is kept, and returned."""
        if not (inspect.isclass(cls) and issubclass(cls, Module)):
            raise ModuleError(f"{cls!r} is not a subclass of cms.Module")
        name = name or cls.__name__
        known = self._classes.get(name)
        if known is not None and known.__module__ != cls.__module__ and \
                known.__module__.startswith(SITE_PACKAGE) and one_definition(known, cls):
            return known
        if known is not None and known is not cls and (known.__qualname__, known.__module__) != (
                cls.__qualname__, cls.__module__):
            raise ModuleError(f"a module named {name!r} is registered already ({known.__module__}."
                              f"{known.__qualname__}): give yours another name")
        cls.module_name = name  # type: ignore[attr-defined]
        self._classes[name] = cls
        self._instances.pop(name, None)
        return cls

    def name_of(self, module: str | type[Module] | Module) -> str:
        """The registered name of a module given as name, class or instance."""
        if isinstance(module, str):
            return module
        if isinstance(module, Module):
            return module.name
        if inspect.isclass(module) and issubclass(module, Module):
            name = getattr(module, "module_name", module.__name__)
            if self._classes.get(name) is not module:
                # registered now, or refused by register: another class under that name (the
                # demo's Dictionary) was used in its place, without a word
                self.register(module, name)
            return name
        raise ModuleError(f"{module!r} is not a module (give a name, a Module class or instance)")

    def get_class(self, name: str) -> type[Module]:
        """The class registered as `name`; raises ModuleError naming where it looked."""
        self.discover()
        cls = self._classes.get(name)
        if cls is None and name in BUILTIN:
            path, attr = BUILTIN[name].split(":")
            cls = self.register(getattr(importlib.import_module(path), attr), name)
        if cls is None and self._scan_folder():
            cls = self._classes.get(name)
        if cls is None:
            # what it found, and a file that did not load, say more than where it looked
            # when the name is misspelt or its file is broken (the load error was a log line);
            # not the boot's failure to load this very module, which repeats this message
            own = f"installed module {name!r} could not be loaded: "
            failed = "".join(f"; {error}" for error in self.load_errors[-3:]
                             if not error.startswith(own))
            stale = "".join(f"; modules/{file} changed after this process loaded it: restart the "
                            "process (server, worker) to load it again" for file in self._changed_files())
            raise ModuleError(f"module {name!r} not found; looked in: {'; '.join(self.searched)}; "
                              f"modules found: {', '.join(self.known())}{failed}{stale}")
        return cls

    def known(self) -> list[str]:
        """Every module name this process can find."""
        self.discover()
        return sorted(set(self._classes) | set(BUILTIN))

    def source(self, name: str) -> str:
        """Where a known module came from: "site" (the modules/ folder), "entry point",
        "built-in", or "code" (registered by a script or another module)."""
        cls = self.get_class(name)
        if cls.__module__.startswith(SITE_PACKAGE):
            return "site"
        if name in self._from_entry_points:
            return "entry point"
        if name in BUILTIN:
            path, attr = BUILTIN[name].split(":")
            if getattr(importlib.import_module(path), attr) is cls:
                return "built-in"
        return "code"

    def installed(self) -> list[str]:
        """The names of the installed modules, as the database lists them (a module that can
        no longer be found is listed too)."""
        return [row[0] for row in self.site.db.all("SELECT class FROM modules ORDER BY class")]

    # -- install ------------------------------------------------------------------------------
    def _row(self, name: str) -> tuple | None:
        return self.site.db.one("SELECT version, data FROM modules WHERE class = ?", (name,))

    def is_installed(self, module: str | type[Module] | Module) -> bool:
        return self._row(self.name_of(module)) is not None

    def get(self, module: str | type[Module] | Module) -> Module:
        """The module's instance, installed first if it is not yet (as ProcessWire does)."""
        return self.get_module(module)

    def loaded(self, name: str) -> Module | None:
        """The module's instance if this process has loaded it already, else None (nothing is
        loaded or installed: for code that only acts on a module in use, at shutdown)."""
        return self._instances.get(name)

    def get_module(self, module: str | type[Module] | Module, install: bool = True) -> Module:
        """Like `get`; with `install=False` an uninstalled module raises instead of installing."""
        name = self.name_of(module)
        instance = self._instances.get(name)
        if instance is not None and (not install or name in self._ready):
            return instance
        cls = self.get_class(name)
        row = self._row(name)
        if row is None:
            if not install:
                raise ModuleError(f"module {name!r} is not installed")
            self.install(name)
            row = self._row(name)
        instance = self._instances.get(name)
        version = str(cls.info.get("version", ""))
        with exits_refused(name):
            if instance is None:
                instance = self._start(name, cls(self.site))
            if row is not None and row[0] != version:
                self._upgrade(name, instance, version)
        self._ready.add(name)
        return instance

    def _upgrade(self, name: str, instance: Module, version: str) -> None:
        """Run the module's `upgrade()` once however many processes boot the new release at
        once: under the schema lock, from the version stored then, on the fields and templates
        stored then. A process that read the old version at boot and waited for the lock finds
        the upgrade done (or half its own work done by another: it ran on what it had read at
        boot, added a template's new fields again and failed on the duplicate key)."""
        with self.site.db.schema_lock():
            row = self._row(name)
            self.site.load_schema()
            if row is None or row[0] == version:
                return
            refuse_newer(name, row[0], version)
            instance.upgrade(row[0], version)
            self.site.db.execute("UPDATE modules SET version = ? WHERE class = ?", (version, name))
        self.site.notices.message(f"module {name} upgraded from {row[0]} to {version}", source="modules")

    def pending_upgrades(self) -> list[str]:
        """The installed modules whose stored version is not their code's, as "Tasker 1.4.0
        to 1.5.0": each upgrades when it is next loaded. A module that cannot be found is left
        out (loading it reports that); one a later release upgraded raises ModuleError."""
        pending = []
        for name, stored in self.site.db.all("SELECT class, version FROM modules ORDER BY id"):
            try:
                version = str(self.get_class(name).info.get("version", ""))
            except ModuleError:
                continue
            refuse_newer(name, stored, version)
            if stored != version:
                pending.append(f"{name} {stored} to {version}")
        return pending

    def load_installed(self) -> list[str]:
        """Load every installed module once (its `init()` adds its hooks), as ProcessWire's
        autoload modules: boot calls this, so the server, cron and worker all see the same hooks.

        A module that was installed but can no longer be found or loaded is reported and
        skipped; the others still load. One that a script registered and installed itself
        (not in modules/ nor an entry point) is only logged: other processes were never meant
        to find it. Returns the names loaded.
        """
        loaded = []
        for name, flags in self.site.db.all("SELECT class, flags FROM modules ORDER BY id"):
            try:
                self.get_module(name, install=False)
                loaded.append(name)
            except ModuleError as exc:
                if (flags or 0) & FLAG_FROM_CODE and name not in self._classes:
                    if self._first_time(f"installed by a script: {name}"):
                        log.info("module %r was installed by a script that registered it; this "
                                 "process does not have it (put it in %s to load it everywhere)",
                                 name, Path(self.site.site_dir) / "modules")
                else:
                    self._report(f"installed module {name!r} could not be loaded: {exc}")
            except Exception as exc:
                self._report(f"installed module {name!r} could not be loaded: {exc}")
        return loaded

    def install(self, module: str | type[Module] | Module) -> Module:
        """Run the module's `install()` and mark it installed; if `install()` raises, it is not."""
        name = self.name_of(module)
        cls = self.get_class(name)
        if self._row(name) is not None:
            return self.get_module(name)
        with exits_refused(name):
            instance = self._instances.get(name) or cls(self.site)
        trail = InstallTrail(self.site)
        self.installing.add(name)
        try:
            instance.install()
        except (Exception, SystemExit) as exc:     # SystemExit: see `raised`
            try:
                trail.undo()
            except Exception as undo_exc:       # the install's own error is the one to report
                log.warning("module %s: could not undo its failed install: %s", name, undo_exc)
            raise ModuleError(f"module {name!r} failed to install: {raised(exc)}") from exc
        finally:
            self.installing.discard(name)
            trail.close()
        flags = FLAG_FROM_CODE if self.source(name) == "code" else 0
        try:
            # a savepoint inside a caller's transaction (a Tasker step's): on PostgreSQL the
            # failed INSERT would abort that whole transaction
            with self.site.db.transaction():
                self.site.db.execute(
                    "INSERT INTO modules (class, flags, version, data, created) VALUES (?, ?, ?, ?, ?)",
                    (name, flags, str(cls.info.get("version", "")), "{}",
                     self.site.db.dt_param(utcnow())))
        except peewee.IntegrityError:
            pass   # another process installed it at the same moment
        with exits_refused(name):
            self._start(name, instance)
        self._ready.add(name)
        self.site.notices.message(f"module {name} installed", source="modules")
        return instance

    def _start(self, name: str, instance: Module) -> Module:
        """Keep the instance and run its `init()`; one whose init() raises is not kept, nor
        the hooks it added, so the next get() tries again instead of handing out a module
        that never started."""
        self._instances[name] = instance
        hooks = self.site.hooks
        before = hooks.ids()
        try:
            instance.init()
        except BaseException:
            self._instances.pop(name, None)
            for hook_id in hooks.ids() - before:    # and the hooks it added before it failed
                hooks.remove(hook_id)
            raise
        return instance

    def uninstall(self, module: str | type[Module] | Module) -> None:
        """Run the module's `uninstall()` and forget it; its settings go too."""
        name = self.name_of(module)
        if self._row(name) is None:
            raise ModuleError(f"module {name!r} is not installed")
        instance = self._instances.get(name)
        if instance is None:
            try:
                instance = self.get_class(name)(self.site)
            except ModuleError:
                instance = None      # gone: forget it, though its own uninstall() cannot run
                self.site.notices.warning(f"module {name!r} is not found here, so its "
                                          "uninstall() did not run; it is forgotten",
                                          source="modules")
        if instance is not None:
            instance.uninstall()
        self.site.db.execute("DELETE FROM modules WHERE class = ?", (name,))
        self._instances.pop(name, None)
        self._ready.discard(name)

    # -- settings -----------------------------------------------------------------------------
    def close(self) -> None:
        """Let every module loaded here end what it started (`Module.close`); one that fails
        is logged and the others still close."""
        for name, instance in list(self._instances.items()):
            try:
                instance.close()
            except Exception as exc:
                log.warning("module %s did not close cleanly: %s: %s", name, type(exc).__name__, exc)

    def get_config(self, module: str | type[Module] | Module) -> dict[str, Any]:
        """Settings as stored in the database (every process sees the same), over the defaults."""
        name = self.name_of(module)
        defaults = dict(self.get_class(name).config_defaults)
        row = self._row(name)
        stored = json.loads(row[1]) if row and row[1] else {}
        return {**defaults, **stored}

    def save_config(self, module: str | type[Module] | Module, **values: Any) -> dict[str, Any]:
        """Store settings (merged with what was stored); unknown keys are refused, and values
        the module's `check_config` refuses (ValidationError naming the setting)."""
        name = self.name_of(module)
        cls = self.get_class(name)
        unknown = set(values) - set(cls.config_defaults)
        if cls.config_defaults and unknown:
            raise ModuleError(f"module {name!r} has no setting {sorted(unknown)[0]!r}; "
                              f"known: {', '.join(sorted(cls.config_defaults))}")
        values = cls.check_config(values)
        try:
            json.dumps(values)
        except (TypeError, ValueError) as exc:
            raise ModuleError(f"settings for {name!r} must be JSON values: {exc}") from None
        if self._row(name) is None:
            self.install(name)
        db = self.site.db
        with self.site.transaction():     # read under a row lock: two processes' settings both stay
            row = db.one("SELECT data FROM modules WHERE class = ?" + db.for_update, (name,))
            stored = json.loads(row[0]) if row and row[0] else {}
            stored.update(values)
            db.execute("UPDATE modules SET data = ? WHERE class = ?", (json.dumps(stored), name))
        return {**cls.config_defaults, **stored}


class InstallTrail:
    """What a module's `install()` adds, undone when it raises: "nothing is stored when an
    error is raised", and a second try must not find half of the first (a page named `x-1`).

    Schema changes cannot share a transaction with the pages (MariaDB commits at each), so
    the undo is by hand: the pages this thread added (with what is below them), then the
    templates and the fields that did not exist before. Tables a module creates for itself
    stay; an install creates them if missing."""

    def __init__(self, site: Site):
        self.site = site
        self.thread = threading.get_ident()
        self.pages: list[int] = []
        self.fields = self._names("fields")
        self.templates = self._names("templates")
        self.hook = site.pages.add_hook_after("added", self._added)

    def _names(self, table: str) -> set[str]:
        return {row[0] for row in self.site.db.all(f"SELECT name FROM {table}")}

    def _added(self, event: Any) -> None:
        if threading.get_ident() == self.thread:
            self.pages.append(event.arguments[0].id)

    def close(self) -> None:
        self.site.pages.remove_hook(self.hook)

    def undo(self) -> None:
        site = self.site
        for page_id in reversed(self.pages):
            page = site.pages.get(page_id)
            if page:
                site.pages.delete(page, recursive=True)
        site.load_schema()
        for name in self._names("templates") - self.templates:
            site.templates.delete(name)
        for name in self._names("fields") - self.fields:
            site.fields.delete(name)


def one_definition(one: type, other: type) -> bool:
    """Whether two classes are one definition loaded twice under two module names: the same
    qualified name in the same source file."""
    if one.__qualname__ != other.__qualname__:
        return False
    try:
        return Path(inspect.getfile(one)).resolve() == Path(inspect.getfile(other)).resolve()
    except (TypeError, OSError):        # defined where no file says (a built-in, __main__ gone)
        return False
