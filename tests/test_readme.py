"""The README's Python examples run as written (in a fresh site directory)."""
from __future__ import annotations

import re

import pytest
from conftest import ROOT

BLOCKS = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_python_example_runs(index, tmp_path, db_url, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CMS_DATABASE_URL", db_url)
    monkeypatch.delenv("CMS_SITE_DIR", raising=False)
    namespace: dict = {"__name__": "readme_example"}
    exec(compile(BLOCKS[index], f"README.md example {index + 1}", "exec"), namespace)
