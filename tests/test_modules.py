"""The module registry: discovery, install on first use, upgrades, settings every process sees."""
from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path

import pytest
from conftest import PYTHON

import cms
from cms import Module, ModuleError

COUNTER = textwrap.dedent('''
    import cms

    class Counter(cms.Module):
        """Counts page saves; keeps its settings in the database."""
        info = {"title": "Counter", "version": "1.0.0", "summary": "counts saves"}
        config_defaults = {"step": 1, "label": "saves"}

        def install(self):
            self.site.fields.add("save_count", "Integer", min=0)

        def init(self):
            self.saves = 0
            self.site.add_hook_after("Pages::saved", self.count)

        def count(self, event):
            self.saves += self.config["step"]
''')


def write_module(site, filename: str, source: str):
    folder = Path(site.site_dir) / "modules"
    folder.mkdir(exist_ok=True)
    path = folder / filename
    path.write_text(source)
    return path


def make_module(version: str = "1.0.0", fail_install: bool = False):
    class Greeter(Module):
        info = {"title": "Greeter", "version": version, "summary": "says hello"}
        config_defaults = {"greeting": "hello"}
        installs = 0
        upgrades: list = []

        def install(self):
            type(self).installs += 1
            if fail_install:
                raise RuntimeError("the mail server is unreachable")

        def upgrade(self, from_version, to_version):
            type(self).upgrades.append((from_version, to_version))

    return Greeter


def test_get_installs_a_module_on_first_use(site):
    Greeter = site.modules.register(make_module())
    assert not site.modules.is_installed("Greeter")

    greeter = site.modules.get("Greeter")

    assert isinstance(greeter, Greeter) and greeter.name == "Greeter"
    assert site.modules.is_installed(Greeter) and site.modules.is_installed(greeter)
    assert site.modules.get(Greeter) is greeter
    assert Greeter.installs == 1
    assert "Greeter" in site.modules.known()


def test_get_module_without_install_refuses_an_uninstalled_module(site):
    site.modules.register(make_module())
    with pytest.raises(ModuleError, match="not installed"):
        site.modules.get_module("Greeter", install=False)


def test_a_module_whose_install_raises_is_not_installed(site):
    site.modules.register(make_module(fail_install=True))

    with pytest.raises(ModuleError, match="Greeter.*failed to install.*mail server"):
        site.modules.get("Greeter")
    assert not site.modules.is_installed("Greeter")
    with pytest.raises(ModuleError):
        site.modules.get("Greeter")


def test_a_failed_install_leaves_none_of_its_fields_templates_or_pages(site):
    """Nothing is stored when an error is raised: a second try starts from a clean site (its
    page is `shelf`, not `shelf-1`)."""
    pages_before = site.pages.count("include=all")
    site.pages.add("basic-page", 1, "kept", title="Kept")        # made before: stays

    class Shelf(cms.Module):
        fail = True

        def install(self) -> None:
            self.site.fields.add("shelf_code", "Text")
            self.site.templates.add("shelf", fields=["title", "shelf_code"])
            shelf = self.site.pages.add("shelf", 1, "shelf", title="Shelf", shelf_code="A1")
            self.site.pages.add("shelf", shelf, "inner", title="Inner")
            if Shelf.fail:
                raise RuntimeError("the disk is full")

    site.modules.register(Shelf)
    with pytest.raises(ModuleError, match="Shelf.*failed to install.*disk is full"):
        site.modules.install("Shelf")
    assert not site.modules.is_installed("Shelf")
    assert site.fields.get("shelf_code") is None and site.templates.get("shelf") is None
    assert site.pages.count("include=all") == pages_before + 1 and site.pages.get("/kept/")
    Shelf.fail = False
    site.modules.install("Shelf")
    assert site.pages.get("/shelf/inner/").shelf_code == "" and site.pages.get("/shelf/").shelf_code == "A1"


def test_uninstall_runs_the_modules_uninstall_and_forgets_its_settings(site):
    uninstalled = []

    class Temporary(Module):
        config_defaults = {"level": 1}

        def uninstall(self):
            uninstalled.append(True)

    site.modules.register(Temporary)
    site.modules.save_config("Temporary", level=5)

    site.modules.uninstall("Temporary")

    assert uninstalled == [True]
    assert not site.modules.is_installed("Temporary")
    assert site.modules.get_config("Temporary") == {"level": 1}
    with pytest.raises(ModuleError, match="not installed"):
        site.modules.uninstall("Temporary")


def test_a_changed_version_runs_upgrade_once(site, tmp_path, db_url):
    site.modules.register(make_module("1.0.0"))
    site.modules.get("Greeter")

    later = cms.boot(db_url, site_dir=tmp_path)        # the next release, in a new process
    Greeter2 = later.modules.register(make_module("1.1.0"))
    later.modules.get("Greeter")
    again = cms.boot(db_url, site_dir=tmp_path)
    again.modules.register(Greeter2)
    again.modules.get("Greeter")

    assert Greeter2.upgrades == [("1.0.0", "1.1.0")]
    assert later.db.scalar("SELECT version FROM modules WHERE class = 'Greeter'") == "1.1.0"
    later.close()
    again.close()


def test_config_has_defaults_and_refuses_unknown_keys(site):
    site.modules.register(make_module())

    assert site.modules.get_config("Greeter") == {"greeting": "hello"}
    assert site.modules.save_config("Greeter", greeting="hi") == {"greeting": "hi"}
    assert site.modules.get("Greeter").config == {"greeting": "hi"}
    with pytest.raises(ModuleError, match="no setting 'greting'"):
        site.modules.save_config("Greeter", greting="hi")


def test_a_site_module_is_discovered_and_can_hook_page_saves(site):
    write_module(site, "counter.py", COUNTER)

    counter = site.modules.get("Counter")
    site.pages.add("basic-page", 1, "about", title="About")

    assert type(counter).__name__ == "Counter"
    assert counter.saves == 1
    assert "save_count" in site.fields


@pytest.mark.slow
def test_config_saved_in_one_process_is_read_in_another(site, run_env):
    write_module(site, "counter.py", COUNTER)
    site.modules.save_config("Counter", step=5)

    read = subprocess.run(
        [PYTHON, "-c", "import cms, json; site = cms.boot(); "
         "print(json.dumps(site.modules.get_config('Counter'))); "
         "site.modules.save_config('Counter', label='page saves')"],
        env=run_env, capture_output=True, text=True, timeout=120)

    assert read.returncode == 0, read.stderr
    assert json.loads(read.stdout) == {"step": 5, "label": "saves"}
    assert site.modules.get_config("Counter") == {"step": 5, "label": "page saves"}


def test_two_processes_saving_settings_at_once_both_keep_theirs(site, db_url):
    """save_config reads the stored settings under a row lock: the second writer waits for
    the first to commit and merges into its result, where on the server engines it merged
    into what it read before and undid the first one's setting."""
    import threading
    import time
    site.modules.get("Tasker")
    other = cms.boot(db_url, site_dir=site.site_dir)     # another process's connection
    read = site.db.one
    read_done = threading.Event()

    def slow_read(text, params=()):
        row = read(text, params)
        if text.startswith("SELECT data FROM modules"):
            read_done.set()
            time.sleep(0.4)                 # the other writer comes in here
        return row

    site.db.one = slow_read
    try:
        first = threading.Thread(target=site.modules.save_config, args=("Tasker",),
                                 kwargs={"max_running": 4})
        first.start()
        assert read_done.wait(10)
        other.modules.save_config("Tasker", log_max_lines=7)
        first.join(10)
    finally:
        site.db.one = read
        other.close()
    stored = site.modules.get_config("Tasker")
    assert (stored["max_running"], stored["log_max_lines"]) == (4, 7)


def test_a_module_file_added_while_the_process_runs_is_found_when_asked_for(site):
    """A server or worker that looked in modules/ at its start finds a file dropped in later
    at the first call for it, where it said 'not found' (and a worker failed the task)."""
    assert "Counter" not in site.modules.known()          # looked once already
    write_module(site, "counter.py", COUNTER)
    assert type(site.modules.get("Counter")).__name__ == "Counter"
    with pytest.raises(ModuleError, match="module 'Nowhere' not found"):
        site.modules.get("Nowhere")


def test_a_site_module_with_a_syntax_error_is_reported_and_the_others_still_load(site):
    broken = write_module(site, "broken.py", "import cms\n\nclass Broken(cms.Module)\n    pass\n")
    write_module(site, "counter.py", COUNTER)

    assert site.modules.get("Counter")
    assert len(site.modules.load_errors) == 1
    assert f"{broken}:3" in site.modules.load_errors[0]
    assert any(str(broken) in n.text for n in site.notices.errors())


def test_a_site_module_fixed_while_the_process_runs_loads_at_the_next_call(site):
    """A file that failed to load is tried again once it changes, where it stayed failed until
    the worker restarted; unchanged, it is not loaded (and reported) again at every call."""
    broken = write_module(site, "counter.py", "import cms\n\nclass Counter(cms.Module)\n    pass\n")
    with pytest.raises(ModuleError, match="'Counter' not found"):
        site.modules.get("Counter")
    with pytest.raises(ModuleError, match="'Counter' not found"):
        site.modules.get("Counter")
    assert len(site.modules.load_errors) == 1

    broken.write_text(COUNTER)
    os.utime(broken, ns=(broken.stat().st_atime_ns, broken.stat().st_mtime_ns + 1_000_000))
    assert type(site.modules.get("Counter")).__name__ == "Counter"
    assert len(site.modules.load_errors) == 1


def test_a_site_module_that_fails_on_import_names_its_file_and_line(site):
    path = write_module(site, "failing.py", "import cms\n\nraise ImportError('no module named foo')\n")

    assert "Tasker" in site.modules.known()
    assert f"{path}:3" in site.modules.load_errors[0]
    assert "ImportError" in site.modules.load_errors[0]


def test_a_missing_module_names_itself_and_where_it_was_looked_for(site):
    with pytest.raises(ModuleError) as error:
        site.modules.get("Nonexistent")

    message = str(error.value)
    assert "'Nonexistent'" in message
    assert site.site_dir in message and "modules" in message
    assert "entry points 'cms.modules'" in message


def test_modules_offered_by_installed_packages_are_found(site, tmp_path, monkeypatch):
    packages = tmp_path / "packages"
    dist = packages / "cms_hello_plugin-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: cms-hello-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[cms.modules]\nHello = cms_hello_plugin:Hello\n")
    (packages / "cms_hello_plugin.py").write_text(
        "import cms\n\nclass Hello(cms.Module):\n    info = {'title': 'Hello', 'version': '1.0'}\n")
    monkeypatch.syspath_prepend(str(packages))

    hello = site.modules.get("Hello")

    assert type(hello).__module__ == "cms_hello_plugin"
    assert site.modules.is_installed("Hello")


def test_register_refuses_what_is_not_a_module(site):
    with pytest.raises(ModuleError, match="not a subclass of cms.Module"):
        site.modules.register(dict)


def test_settings_take_their_defaults_types_and_limits(site):
    tasker = site.modules.get("Tasker")
    saved = site.modules.save_config("Tasker", max_running="4", lease_seconds=45.0,
                                     enable_cron="0")
    assert (saved["max_running"], saved["lease_seconds"], saved["enable_cron"]) == (4, 45, 0)
    for bad, words in (({"max_running": "many"}, "whole number"),
                       ({"lease_seconds": 0}, "from 1 to 86400"),
                       ({"max_running": 2, "max_attempts": "-1"}, "at least 1")):
        with pytest.raises(cms.ValidationError, match=words):
            site.modules.save_config("Tasker", **bad)
    assert tasker.config["max_running"] == 4 and tasker.config["max_attempts"] == 3


def test_a_module_says_where_it_came_from(site, tmp_path):
    (tmp_path / "modules").mkdir()
    (tmp_path / "modules" / "local.py").write_text(
        "import cms\n\nclass Local(cms.Module):\n    pass\n")
    site.modules.register(type("Scripted", (Module,), {}))
    assert site.modules.source("Local") == "site"
    assert site.modules.source("Tasker") == "built-in"
    assert site.modules.source("Scripted") == "code"
    site.modules.install("Local")
    assert "Local" in site.modules.installed()


def test_a_module_a_script_registered_does_not_trouble_later_processes(site, db_url, tmp_path):
    class Scripted(Module):
        task_methods = ("work",)

        def work(self, page, task_data, options):
            return True

    site.modules.register(Scripted)
    site.modules.install(Scripted)
    later = cms.boot(db_url, site_dir=tmp_path)
    assert not later.modules.load_errors and not later.notices.errors()
    assert "Scripted" in later.modules.installed()
    later.close()
    again = cms.boot(db_url, site_dir=tmp_path)
    again.modules.uninstall("Scripted")            # found nowhere: forgotten with a warning
    assert "Scripted" not in again.modules.installed()
    assert "did not run" in again.notices.warnings()[-1].text
    again.close()


def test_a_module_of_another_python_module_does_not_replace_one_registered_under_its_name(site):
    """A script's `class Dictionary(cms.Module)` (the seed example's name) replaced the demo's
    module of that name without a word."""
    import cms
    from cms.demo import Dictionary as Builtin
    assert site.modules.get_class("Dictionary") is Builtin
    Mine = type("Dictionary", (cms.Module,), {"__module__": "my_script"})
    with pytest.raises(cms.ModuleError, match=r"registered already \(cms\.demo\.Dictionary\)"):
        site.modules.register(Mine)
    assert site.modules.get_class("Dictionary") is Builtin
    assert site.modules.register(Mine, "MyDictionary") is Mine
    Again = type("Dictionary", (cms.Module,), {"__module__": "cms.demo"})   # a file loaded anew
    assert site.modules.register(Again) is Again


def test_two_site_module_files_with_one_class_name_report_it_and_the_others_still_load(site):
    """A copy of a module file left in modules/ (glossary_old.py beside glossary.py) defines a
    class of a name registered already: the refusal came out of every later module lookup
    (`get("Counter")` raised "a module named 'Glossary' is registered already"), files after
    it were never loaded, and nothing was reported. It is reported as a load error, as a file
    that fails to import is, and the other files load."""
    write_module(site, "glossary.py", "import cms\n\nclass Glossary(cms.Module):\n    pass\n")
    copy = write_module(site, "glossary_old.py", "import cms\n\nclass Glossary(cms.Module):\n    pass\n")
    write_module(site, "counter.py", COUNTER)
    assert site.modules.get("Counter")
    assert site.modules.get_class("Glossary").__module__ == "cms_site_modules.glossary"
    assert len(site.modules.load_errors) == 1
    assert str(copy) in site.modules.load_errors[0] and "Glossary" in site.modules.load_errors[0]


def test_a_class_given_for_a_name_another_class_holds_is_refused_not_swapped(site):
    """`create_task(MyDictionary, ...)` (via modules.name_of) on a site where the demo's
    Dictionary was registered used the demo's class, by name, without a word."""
    import cms
    site.modules.get_class("Dictionary")                  # the demo's, as a demo site loads it
    Mine = type("Dictionary", (cms.Module,), {"__module__": "my_script"})
    with pytest.raises(cms.ModuleError, match="registered already"):
        site.modules.name_of(Mine)
    Counter = type("Counter", (cms.Module,), {"__module__": "my_script"})
    assert site.modules.name_of(Counter) == "Counter" and site.modules.get_class("Counter") is Counter
    assert site.modules.name_of(Counter) == "Counter"     # the same class again: no refusal
