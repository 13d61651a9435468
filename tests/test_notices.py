"""Notices: what a module tells the person at the screen also reaches Python's logging."""
from __future__ import annotations

import logging

from cms import Module


class Importer(Module):
    pass


def test_a_modules_messages_reach_the_notices_and_the_log(site, caplog):
    importer = Importer(site)

    with caplog.at_level(logging.INFO, logger="cms"):
        importer.message("imported 200 words")
        importer.warning("3 duplicates skipped")
        importer.error("the source file ended early")

    assert [(n.kind, n.text, n.source) for n in site.notices] == [
        ("message", "imported 200 words", "Importer"),
        ("warning", "3 duplicates skipped", "Importer"),
        ("error", "the source file ended early", "Importer"),
    ]
    assert [(r.name, r.levelno, r.getMessage()) for r in caplog.records] == [
        ("cms.Importer", logging.INFO, "imported 200 words"),
        ("cms.Importer", logging.WARNING, "3 duplicates skipped"),
        ("cms.Importer", logging.ERROR, "the source file ended early"),
    ]
    assert [n.text for n in site.notices.warnings()] == ["3 duplicates skipped"]
    assert [n.text for n in site.notices.errors()] == ["the source file ended early"]


def test_debug_notices_are_logged_but_kept_only_in_debug_mode(site, caplog):
    with caplog.at_level(logging.DEBUG, logger="cms"):
        Importer(site).message("row 17 parsed", debug=True)

    assert len(site.notices) == 0
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [(logging.DEBUG, "row 17 parsed")]
    site.notices.debug = True
    Importer(site).message("row 18 parsed", debug=True)
    assert [n.text for n in site.notices] == ["row 18 parsed"]


def test_listeners_see_every_notice(site):
    seen = []
    site.notices.listen(seen.append)
    Importer(site).warning("slow source")
    site.notices.unlisten(seen.append)
    Importer(site).warning("still slow")

    assert [n.text for n in seen] == ["slow source"]


def test_cms_debug_turns_debug_notices_on_and_0_or_off_turns_them_off(site, monkeypatch):
    import cms
    for value, debug in (("1", True), ("yes", True), ("0", False), ("off", False), ("", False)):
        monkeypatch.setenv("CMS_DEBUG", value)
        booted = cms.boot(site.db.url, site_dir=site.site_dir)
        try:
            assert booted.notices.debug is debug, value
        finally:
            booted.close()
