"""`user passwd`, `user list` and `role list` in a folder that holds no site: like `tasks`,
cron and check, they refuse it and leave it as it was (they made an empty `site.db` there and
answered as if the site had lost its users)."""
from __future__ import annotations

from test_walkthrough_findings_3 import run_cms


def test_user_and_role_commands_in_a_folder_without_a_site_refuse_and_make_nothing(
        tmp_path, monkeypatch, capsys):
    """`user list` in the home folder built a new site there and listed its one user, guest:
    an owner would read that as every account gone. `user passwd admin` answered "no user
    'admin'". Both now name the missing database; `user add` and `role add` still make a new
    site's database, as the README's "a site of your own" says."""
    monkeypatch.delenv("CMS_DATABASE_URL", raising=False)
    empty = tmp_path / "not-a-site"
    empty.mkdir()
    monkeypatch.setattr("sys.stdin.readline", lambda: "battery staple\n")
    for args, named in ((["user", "list"], "user list"), (["user", "list", "--json"], "user list"),
                        (["user", "passwd", "admin"], "user passwd"), (["role", "list"], "role list")):
        code, out, err = run_cms(capsys, "--site", str(empty), *args)
        assert code == 1, (args, out, err)
        assert out == "", args
        assert err.strip() == (
            f"cms: error: there is no site database at {empty / 'site.db'}: "
            f"{named} works on an existing site; run it in the site's folder or give --site or --db"
        ), args
        assert list(empty.iterdir()) == [], args


def test_user_list_still_lists_an_existing_site_s_users(site, monkeypatch, capsys):
    """The refusal is for a missing database only: the same command on the site lists it."""
    site.users.add("editor", "battery staple", roles=["guest"])
    monkeypatch.setenv("CMS_DATABASE_URL", site.db.url)
    code, out, err = run_cms(capsys, "--site", str(site.site_dir), "user", "list")
    assert code == 0, err
    assert "editor" in out and "guest" in out
