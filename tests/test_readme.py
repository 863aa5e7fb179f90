"""The README's Python examples run as written against the public API (issue 12)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_there_is_an_example_per_system():
    text = "\n".join(BLOCKS)
    for package in ("geohazard.catalog", "geohazard.forecast", "geohazard.das",
                    "geohazard.landslide"):
        assert f"from {package} import" in text, package
    assert "Recast" in text and "ETAS" in text


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_example_runs(code, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    exec(compile(code, str(README), "exec"), {"__name__": "readme_example"})  # noqa: S102
