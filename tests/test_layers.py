"""The import graph runs one way (DESIGN.md): a test that walks every module with ``ast``.

Layers, lowest first::

    exceptions                                 the error hierarchy
    io_utils, rng, config, distributed         shared base
    catalog                                    the event table everyone reads
    forecast | das | landslide                 compute, return frozen results; siblings
    examples, testing                          synthetic truths and oracles built on them
    plotting -> report                         render results (a report may embed plots)
    workflows                                  each end-to-end job written once
    demo                                       the main job on embedded data
    cli                                        parse, call one workflow, render

A module may import its own package and anything in a lower layer; nothing imports upward,
and the three domain packages never import one another.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "geohazard"

RANK = {
    "exceptions": -1, "_lazy": -1,
    "io_utils": 0, "rng": 0, "config": 0, "validation": 0, "distributed": 0, "extras": 0,
    "catalog": 1,
    "forecast": 2, "das": 2, "landslide": 2,
    "examples": 3, "testing": 3,
    "plotting": 4,
    "report": 5,
    "workflows": 6,
    "demo": 7,
    "cli": 8,
}


def _unit(module: str) -> str | None:
    """``geohazard.forecast.etas.model`` -> ``forecast``; ``geohazard`` itself -> None."""
    parts = module.split(".")
    if parts[0] != "geohazard" or len(parts) < 2:
        return None
    return parts[1]


def _module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every ``geohazard.*`` module imported by ``path`` (absolute and relative), with lines."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            found.append((node.lineno, mod))
            found += [(node.lineno, f"{mod}.{a.name}") for a in node.names
                      if mod == "geohazard"]
    return [(line, m) for line, m in found if m.startswith("geohazard")]


def _violations() -> list[str]:
    bad = []
    for path in sorted(SRC.rglob("*.py")):
        own = _unit(_module_name(path))
        if own is None or own not in RANK:
            continue
        for line, mod in _imports(path):
            other = _unit(mod)
            if other is None or other == own or other == "__version__":
                continue
            if other not in RANK:
                bad.append(f"{path.relative_to(SRC)}:{line} imports unknown unit {mod}")
            elif RANK[other] >= RANK[own]:
                bad.append(f"{path.relative_to(SRC)}:{line} ({own}) imports {mod} ({other})")
    return bad


def test_every_unit_has_a_layer():
    units = {p.stem if p.is_file() else p.name for p in SRC.iterdir()
             if (p.suffix == ".py" or (p.is_dir() and (p / "__init__.py").exists()))
             and p.name != "__init__.py"}
    assert units <= set(RANK), f"give these a layer in RANK: {sorted(units - set(RANK))}"


def test_imports_run_one_way():
    bad = _violations()
    assert not bad, "imports against the layer direction:\n" + "\n".join(bad)


@pytest.mark.parametrize(("source", "expected"), [
    ("from geohazard.plotting.das import x\n", "geohazard.plotting.das"),
    ("from ..report import _html\n", "geohazard.report"),
    ("import geohazard.cli.main\n", "geohazard.cli.main"),
])
def test_the_walker_sees_imports(tmp_path, monkeypatch, source, expected):
    """The walker finds absolute, relative and dotted imports (so the main test can fail)."""
    pkg = tmp_path / "geohazard" / "das"
    pkg.mkdir(parents=True)
    mod = pkg / "pipeline.py"
    mod.write_text(source)
    monkeypatch.setattr(__import__(__name__, fromlist=["SRC"]), "SRC", tmp_path / "geohazard")
    assert any(m.startswith(expected) for _, m in _imports(mod))
