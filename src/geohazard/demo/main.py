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
from geohazard.catalog.summary import summarize
from geohazard.examples import etas_catalog
from geohazard.exceptions import InputError
from geohazard.io_utils import ensure_dir, write_json_atomic
from geohazard.plotting.catalog import save_plots
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
    user_catalog: bool = False
    artefacts: dict[str, Any] = field(default_factory=dict)


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


def _flat(prefix: str, data: dict[str, Any]) -> dict[str, Any]:
    return {f"{prefix}{k}": v for k, v in data.items() if not isinstance(v, (dict, list))}


def step_etas(ctx: DemoContext) -> dict[str, Any]:
    """Simulate an ETAS catalog, fit it, compare with the truth (and fit a small user catalog)."""
    from geohazard.demo.etas import run_demo as etas_demo

    res = etas_demo(ctx.catalog if ctx.user_catalog else None, ctx.out_dir / "etas", ctx.seed)
    ctx.report.heading("ETAS: simulate, fit, recover the truth")
    ctx.report.table(
        ["parameter", "true", "estimate", "standard error", "z"],
        [[k, res["truth"][k], res["estimate"][k], res["se"][k], res["z"][k]]
         for k in res["truth"]])
    ctx.report.key_values({"events": res["events"], "expected events": res["expected_events"],
                           "branching ratio (true / fitted)":
                           f"{res['branching_ratio_true']:.3f} / {res['branching_ratio_fit']:.3f}",
                           "fit seconds": res["fit_seconds"]})
    return res


def step_recast(ctx: DemoContext) -> dict[str, Any]:
    """Train a small RECAST on the demo catalog's splits for about 30 s."""
    from geohazard.demo.recast import run_demo as recast_demo

    res = recast_demo(ctx.catalog, ctx.out_dir / "recast", ctx.seed, budget_s=30.0)
    ctx.artefacts["recast_checkpoint"] = res["checkpoint"]
    ctx.report.heading("RECAST: neural temporal point process")
    ctx.report.table(["split", "NLL/day (time)", "NLL/day (time + magnitude)", "events"],
                     [[k, v["nll_per_day_time"], v["nll_per_day_time_mag"], v["n_events"]]
                      for k, v in res["splits"].items()])
    ctx.report.key_values({"epochs": res["epochs"], "training seconds": res["wall_s"]})
    return res


def step_forecast(ctx: DemoContext) -> dict[str, Any]:
    """14-day forecasts from the test start with Poisson, ETAS and RECAST, and a backtest."""
    import pandas as pd

    from geohazard.report.forecast import backtest_section, forecast_section
    from geohazard.workflows.forecast import fit_models, forecast_job

    cat = ctx.catalog
    md = cat.metadata
    if not md.has_splits:
        return {"skipped": "catalog has no split dates"}
    t0 = md.test_start
    fitted = {k: (m, {}) for k, (m, _) in
              fit_models(cat, ["poisson", "etas"], t0, seed=ctx.seed).items()}
    ckpt = ctx.artefacts.get("recast_checkpoint")
    if ckpt is not None:
        fitted.update(fit_models(cat, ["recast"], t0, checkpoint=Path(ckpt)))
        fitted["recast"] = (fitted["recast"][0], {})
    end = min(md.end, t0 + pd.Timedelta(days=14.0 * 12))  # at most 12 windows
    run = forecast_job(cat, fitted, t0, days=14.0, samples=2000, seed=ctx.seed,
                       backtest_end=end, backtest_samples=500,
                       report=ctx.out_dir / "forecast" / "report.html",
                       title=f"forecast: {md.name}")
    for fc in run.forecasts:
        forecast_section(ctx.report, fc, run.observed)
    backtest_section(ctx.report, run.backtest)
    return {"forecasts": run.summaries,
            "observed_in_first_window": 0 if run.observed is None else int(run.observed.size),
            "backtest": {k: v.to_dict() for k, v in run.backtest.summaries.items()},
            "report": str(run.report),
            "prospective": _prospective(ctx, {k: m for k, (m, _) in fitted.items()}, t0)}


def _prospective(ctx: DemoContext, models: dict[str, Any], t0: Any) -> dict[str, Any]:
    """A month of daily forecasts into an archive, scored, with the record report."""
    import pandas as pd

    from geohazard.workflows.forecast import evaluate_job, prospective_job

    archive = ctx.out_dir / "forecast" / "archive.sqlite"
    fitted = {k: (m, {"params_hash": f"demo-{k}"}) for k, m in models.items()}
    run = prospective_job(ctx.catalog, archive, t0, t0 + pd.Timedelta(days=29), fitted=fitted,
                          every=1.0, days=14.0, samples=300, seed=ctx.seed)
    path = ctx.out_dir / "forecast" / "record.html"
    ev = evaluate_job(ctx.catalog, archive, seed=ctx.seed, report=path,
                      title=f"prospective record: {ctx.catalog.metadata.name}")
    ctx.report.heading("Prospective record (daily 14-day forecasts)")
    ctx.report.table(["model", "forecasts", "95% coverage", "mean count log-score"],
                     [[s.model, s.n_windows, s.coverage_95, s.mean_log_score]
                      for s in ev.summaries.values()])
    return {"issued": len(run.issued), "already_archived": run.skipped,
            "evaluated": len(ev.rows), "summaries": {k: v.to_dict()
                                                     for k, v in ev.summaries.items()},
            "report": str(path)}


def step_das(ctx: DemoContext) -> dict[str, Any]:
    """Simulate a small storm on a fiber, analyse it and check against the truth."""
    from geohazard.demo.das import run_demo as das_demo

    res = das_demo(ctx.out_dir / "das", ctx.seed)
    ctx.report.heading("DAS storm noise")
    ctx.report.key_values(_flat("", res))
    return res


def step_landslide(ctx: DemoContext) -> dict[str, Any]:
    """Synthetic landslides and susceptibility, then issue 15's chain on the same terrain.

    The chain (amplification, amplified scenario shaking and Newmark, modes of synthetic
    landslides, post-seismic decay) is stored under ``chain``.
    """
    from geohazard.demo.landslide import run_demo as landslide_demo
    from geohazard.demo.landslide_causes import run_chain

    res = landslide_demo(ctx.out_dir / "landslide", ctx.seed)
    ctx.report.heading("Earthquake-induced landslides")
    ctx.report.key_values(_flat("", res))
    res["chain"] = run_chain(ctx.out_dir / "landslide", ctx.seed, ctx.report)
    return res


Step = Callable[[DemoContext], dict[str, Any]]
STEPS: list[tuple[str, Step]] = [
    ("catalog", step_catalog),
    ("etas", step_etas),
    ("recast", step_recast),
    ("forecast", step_forecast),
    ("das", step_das),
    ("landslide", step_landslide),
]


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
    if seed < 0:
        raise InputError(f"--seed must be >= 0, got {seed}")
    catalog = read_catalog(catalog_path) if catalog_path else etas_catalog(rng=seed)
    out = ensure_dir(out_dir)  # after the inputs are read: a bad catalog leaves no folder
    ctx = DemoContext(out, seed, catalog, HtmlReport("geohazard demo"),
                      user_catalog=catalog_path is not None)
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
