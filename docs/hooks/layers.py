"""MkDocs hook: the layer table of the Architecture page, read from ``tests/test_layers.py``.

The page holds the marker ``<!-- layers-table -->``; this hook replaces it with one row per
layer of the ``RANK`` table that the import-direction test enforces, so the page and the
test cannot disagree. A unit without a description here stops the build.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError

MARKER = "<!-- layers-table -->"
TEST = Path(__file__).resolve().parents[2] / "tests" / "test_layers.py"

#: What goes in each unit of ``geohazard``.
WHAT = {
    "exceptions": "the error hierarchy: one root `GeohazardError`, each class also a builtin "
                  "(`InputError(ValueError, GeohazardError)`)",
    "io_utils": "atomic writes (temporary file + rename), strict JSON (null, never NaN)",
    "rng": "`RNGLike` and `as_generator`: randomness is passed in, never seeded globally",
    "config": "`RunConfig`: pydantic run settings from YAML/TOML/JSON, flags override",
    "validation": "one `Range` type and number format for parameter checks",
    "_lazy": "one helper that makes each subpackage's public names load on first use",
    "distributed": "one way to name a Dask cluster (`--scheduler`, `--engine dask`)",
    "extras": "the optional extras' modules and the one-line message when one is missing",
    "catalog": "the immutable, validated `Catalog`, readers/writers, Mc and b-value",
    "forecast": "ETAS, RECAST, Poisson and smoothed seismicity; forecasts, evaluation, the "
                "pyCSEP adapter, archive, prospective loop",
    "das": "band energy, spectra, weather, regression, sources, synthetic storms, pipeline",
    "landslide": "rasters, terrain, faults, factors, susceptibility, Newmark, USGS model, "
                 "scenario shaking, scaling, amplification, modes, evolution",
    "examples": "synthetic factories with known truths, shared by docs, tests and the demo",
    "testing": "oracles for tests: direct O(N²) sums, brute-force scores",
    "plotting": "`f(obj, ax=None) -> Axes`, one module per system",
    "report": "self-contained HTML reports (may embed plots)",
    "workflows": "each end-to-end job written once (fit → issue → evaluate → archive → "
                 "report; DAS analyze → write; landslide susceptibility)",
    "demo": "`geohazard demo`: the main job on embedded data, built on workflows",
    "cli": "Typer root and one thin sub-app per system: parse, call one workflow, render",
}


def _rank() -> dict[str, int]:
    tree = ast.parse(TEST.read_text(encoding="utf-8"))
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and getattr(node.targets[0], "id", None) == "RANK"):
            return ast.literal_eval(node.value)
    raise PluginError(f"architecture page: no RANK table in {TEST}")


def table() -> str:
    """The Markdown table of layers, lowest first."""
    by_rank: dict[int, list[str]] = defaultdict(list)
    for unit, rank in _rank().items():
        if unit not in WHAT:
            raise PluginError(f"architecture page: layer unit '{unit}' of {TEST.name} has no "
                              f"description in {Path(__file__).name}")
        by_rank[rank].append(unit)
    lines = ["| Layer | Units | What goes there |", "|---|---|---|"]
    for i, rank in enumerate(sorted(by_rank)):
        units = by_rank[rank]
        names = ", ".join(f"`{u}`" for u in units)
        what = "; ".join(f"**{u}**: {WHAT[u]}" if len(units) > 1 else WHAT[u] for u in units)
        lines.append(f"| {i} | {names} | {what} |")
    return "\n".join(lines)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Put the layer table in place of the marker."""
    if MARKER in markdown:
        return markdown.replace(MARKER, table())
    return markdown
