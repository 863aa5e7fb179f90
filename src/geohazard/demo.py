"""The main job on an embedded default: ``geohazard demo``.

Runs every system end to end on data the package makes itself (no download), or on a
user catalog with ``--catalog``, and writes figures, a JSON summary and an HTML report.
Each step is a function ``step(ctx) -> dict``; the summary maps step names to results.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geohazard.catalog import Catalog, read_catalog
from geohazard.catalog.summary import save_plots, summarize
from geohazard.examples import synthetic_catalog
from geohazard.io_utils import write_json_atomic
from geohazard.report._html import HtmlReport

log = logging.getLogger(__name__)


@dataclass
class DemoContext:
    """State handed from step to step."""

    out_dir: Path
    seed: int
    catalog: Catalog
    report: HtmlReport
    results: dict[str, Any] = field(default_factory=dict)


def step_catalog(ctx: DemoContext) -> dict[str, Any]:
    """Catalog statistics (Mc, b-value, splits) and plots."""
    summary = summarize(ctx.catalog)
    plots = save_plots(ctx.catalog, ctx.out_dir / "catalog")
    ctx.report.heading("Catalog")
    rows = {"events": summary["events"], "first event": summary["first_event"],
            "last event": summary["last_event"], **{f"Mc ({k})": v
                                                    for k, v in summary["mc"].items()}}
    for method, bv in summary.get("b_value", {}).items():
        rows[f"b ({method})"] = f"{bv['b']:.3f} ± {bv['se']:.3f}"
    for split, n in summary.get("splits", {}).items():
        rows[f"scored events, {split}"] = n
    ctx.report.key_values(rows)
    for p in plots:
        ctx.report.figure(p, p.stem.replace("_", " "))
    return summary


Step = Callable[[DemoContext], dict[str, Any]]
STEPS: list[tuple[str, Step]] = [("catalog", step_catalog)]


def run_demo(
    out_dir: str | Path = "geohazard-demo",
    catalog_path: str | Path | None = None,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run all demo steps and write ``summary.json`` and ``report.html`` into ``out_dir``.

    Parameters
    ----------
    out_dir
        Output folder (created).
    catalog_path
        A real catalog to use instead of the embedded synthetic one.
    seed
        Seed of every random step.
    progress
        Called with each step's name as it starts (the CLI shows it).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    catalog = read_catalog(catalog_path) if catalog_path else synthetic_catalog(rng=seed)
    ctx = DemoContext(out, seed, catalog, HtmlReport("geohazard demo"))
    ctx.report.paragraph(
        f"Catalog: {catalog.metadata.name} ({len(catalog)} events). Seed {seed}.", "note")
    timings: dict[str, float] = {}
    for name, step in STEPS:
        if progress is not None:
            progress(name)
        t0 = time.perf_counter()
        ctx.results[name] = step(ctx)
        timings[name] = time.perf_counter() - t0
    ctx.results["timings_s"] = timings
    write_json_atomic(out / "summary.json", ctx.results)
    ctx.report.write(out / "report.html")
    return ctx.results
