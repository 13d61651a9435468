"""The Modules screen over HTTP: list, install, settings checked by the module, uninstall."""
from __future__ import annotations

import textwrap

import pytest
from webclient import FormValues, schema_seen_now

GREETER = textwrap.dedent('''
    import cms

    class Greeter(cms.Module):
        info = {"title": "Greeter", "version": "1.2.0", "summary": "Says hello on every save"}
        config_defaults = {"greeting": "hello", "times": 1, "loud": False}
        config_limits = {"times": (1, 10)}

        def install(self):
            self.site.fields.add("greeting_seen", "Checkbox")

        def uninstall(self):
            self.site.fields.delete("greeting_seen")
            self.warning("Greeter took its field with it")
''')


@pytest.fixture
def greeter(tmp_path):
    """A Greeter module in the site's modules/ folder, there before the server starts."""
    (tmp_path / "modules").mkdir(exist_ok=True)
    (tmp_path / "modules" / "greeter.py").write_text(GREETER)


def row_of(answer, name):
    return answer.text.split(f'data-module="{name}"', 1)[1].split("</tr>", 1)[0]


def test_a_module_is_installed_configured_and_uninstalled(site, greeter, superuser):
    token = superuser.token()
    listed = superuser.get("/admin/modules/")
    row = row_of(listed, "Greeter")
    assert "Says hello on every save" in row and "1.2.0" in row and "site" in row
    assert "available" in row and "/admin/modules/Greeter/install" in row
    assert "installed" in row_of(listed, "Tasker")
    assert superuser.post("/admin/modules/Greeter/install", {"csrf_token": token}).status == 303
    assert site.modules.is_installed("Greeter") and "greeting_seen" in site.fields
    form = superuser.get("/admin/modules/Greeter/settings")
    assert 'name="greeting"' in form.text and 'value="hello"' in form.text
    saved = superuser.post("/admin/modules/Greeter/settings", {
        "csrf_token": token, "greeting": "hi", "times": "3", "loud": "1"})
    assert saved.status == 303
    assert site.modules.get_config("Greeter") == {"greeting": "hi", "times": 3, "loud": True}
    refused = superuser.post("/admin/modules/Greeter/settings", {
        "csrf_token": token, "greeting": "hey", "times": "11"})
    assert refused.status == 400
    beside = refused.text.split('id="field-times"', 1)[1].split("</div>", 1)[0]
    assert "from 1 to 10" in beside and 'value="11"' in beside
    assert site.modules.get_config("Greeter")["greeting"] == "hi"
    gone = superuser.post("/admin/modules/Greeter/uninstall", {"csrf_token": token, "confirmed": "1"})
    shown = superuser.get(gone.location)
    assert "Uninstalled the module Greeter" in shown.text
    assert "Greeter took its field with it" in shown.text
    assert not site.modules.is_installed("Greeter")
    site.fields.load()
    assert "greeting_seen" not in site.fields


def test_tasker_settings_are_validated(site, superuser):
    token = superuser.token()
    form = superuser.get("/admin/modules/Tasker/settings")
    assert 'name="lease_seconds"' in form.text and 'type="checkbox" name="enable_cron"' in form.text
    # each input says what it is, with units, its key, default and bounds
    assert "Cron and worker: seconds per step" in form.text
    assert "lease_seconds, default 30; 1 to 86400" in form.text
    assert "max_running, default 0; at least 0" in form.text
    base = {"csrf_token": token, "enable_cron": "1", "ajax_timeout": "5",
            "lazy_cron_timeout": "15", "cron_timeout": "55", "lease_seconds": "30",
            "max_running": "2", "max_attempts": "3", "log_max_lines": "1000",
            "retention_days": "30", "max_idle_steps": "100"}
    for key, bad, words in (("max_running", "two", "whole number"),
                            ("lease_seconds", "0", "from 1 to 86400"),
                            ("max_attempts", "0", "at least 1")):
        answer = superuser.post("/admin/modules/Tasker/settings", {**base, key: bad})
        assert answer.status == 400
        beside = answer.text.split(f'id="field-{key}"', 1)[1].split("</div>", 1)[0]
        assert words in beside, (key, beside)
        assert site.modules.get_config("Tasker")["max_running"] == 0
    saved = superuser.post("/admin/modules/Tasker/settings", base)
    assert saved.status == 303
    config = site.modules.get_config("Tasker")
    assert config["max_running"] == 2 and config["enable_lazy_cron"] == 0
    assert config["enable_cron"] == 1


@pytest.fixture
def broken(tmp_path):
    (tmp_path / "modules").mkdir(exist_ok=True)
    (tmp_path / "modules" / "broken.py").write_text("import cms\nraise RuntimeError('oops')\n")


def test_a_module_that_fails_to_load_is_named_with_the_reason(site, broken, superuser):
    listed = superuser.get("/admin/modules/")
    assert listed.status == 200
    assert "broken.py failed to load" in listed.text and "oops" in listed.text


def test_tasker_settings_saved_untouched_stay_as_they_were(site, superuser):
    site.modules.get("Tasker")
    site.modules.save_config("Tasker", max_running=3, enable_lazy_cron=0, debug=1,
                             lease_seconds=45)
    before = site.modules.get_config("Tasker")
    form = FormValues(superuser.get("/admin/modules/Tasker/settings").text, 'id="module-settings"')
    assert superuser.post("/admin/modules/Tasker/settings", form.pairs).status == 303
    assert site.modules.get_config("Tasker") == before


def test_every_bad_setting_is_marked_at_once(site, superuser):
    """Three settings typed wrong: only the first was marked, the others stood unmarked until
    the first was put right and the form sent again (the page editor marks every field)."""
    form = FormValues(superuser.get("/admin/modules/Tasker/settings").text, 'id="module-settings"')
    values = dict(form.pairs)
    values.update({"ajax_timeout": "abc", "lease_seconds": "0", "max_running": "-1"})
    answer = superuser.post("/admin/modules/Tasker/settings", values)
    assert answer.status == 400
    for key, words in (("ajax_timeout", "whole number"), ("lease_seconds", "from 1 to 86400"),
                       ("max_running", "at least 0")):
        beside = answer.text.split(f'id="field-{key}"', 1)[1].split("</div>", 1)[0]
        assert words in beside, (key, beside)
    assert site.modules.get_config("Tasker")["lease_seconds"] == 30


def test_the_tasks_screens_say_tasker_is_not_installed_after_its_uninstall(site, superuser,
                                                                            admin_server):
    """Each server thread keeps the Tasker it loaded: after an uninstall on the Modules screen
    its template was gone and every Tasks screen answered "Something went wrong"; a thread
    that had not loaded it installed it again, unasked."""
    token = superuser.token()
    for _ in range(8):                     # every server thread loads Tasker
        assert superuser.get("/admin/tasks/").status == 200
    gone = superuser.post("/admin/modules/Tasker/uninstall", {"csrf_token": token, "confirmed": "1"})
    assert "Uninstalled the module Tasker" in superuser.get(gone.location).text
    schema_seen_now(admin_server)          # as a second later: the threads see the schema
    for _ in range(8):
        listed = superuser.get("/admin/tasks/")
        assert listed.status == 404 and "Tasker is not installed" in listed.text
        status = superuser.get("/admin/tasks/api?id=1&cmd=status")
        assert status.status == 404 and status.json()["status"] is False
    assert not site.modules.is_installed("Tasker")
    assert superuser.post("/admin/modules/Tasker/install", {"csrf_token": token}).status == 303
    assert superuser.get("/admin/tasks/").status == 200
