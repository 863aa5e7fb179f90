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
    from geohazard.report.demo import catalog_section

    summary = summarize(ctx.catalog)
    plots = save_plots(ctx.catalog, ctx.out_dir / "catalog")
    catalog_section(ctx.report, summary, plots)
    return summary


def _flat(prefix: str, data: dict[str, Any]) -> dict[str, Any]:
    return {f"{prefix}{k}": v for k, v in data.items() if not isinstance(v, (dict, list))}


def step_etas(ctx: DemoContext) -> dict[str, Any]:
    """Simulate an ETAS catalog, fit it, compare with the truth (and fit a small user catalog)."""
    from geohazard.demo.etas import run_demo as etas_demo
    from geohazard.report.demo import etas_section

    res = etas_demo(ctx.catalog if ctx.user_catalog else None, ctx.out_dir / "etas", ctx.seed)
    etas_section(ctx.report, res)
    return res


def step_recast(ctx: DemoContext) -> dict[str, Any]:
    """Train a small RECAST on the demo catalog's splits for about 30 s."""
    from geohazard.demo.recast import run_demo as recast_demo
    from geohazard.report.demo import recast_section

    res = recast_demo(ctx.catalog, ctx.out_dir / "recast", ctx.seed, budget_s=30.0)
    ctx.artefacts["recast_checkpoint"] = res["checkpoint"]
    recast_section(ctx.report, res)
    return res


def step_forecast(ctx: DemoContext) -> dict[str, Any]:
    """14-day forecasts from the test start with Poisson, ETAS and RECAST, and a backtest."""
    import pandas as pd

    from geohazard.report.forecast import backtest_section, combined_verdict, comparison_section
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
    ctx.report.link("Forecast report", run.report, "fan charts, comparison and backtest",
                    base=ctx.out_dir)
    comparison_section(ctx.report, run.forecasts, run.observed, run.backtest)
    backtest_section(ctx.report, run.backtest, origin=cat.origin)
    ctx.report.summary(*combined_verdict(
        run.backtest.summaries, f"backtest, {len(run.backtest.windows)} windows of 14 days "
        f"from {t0:%Y-%m-%d}"))
    return {"forecasts": run.summaries,
            "observed_in_first_window": 0 if run.observed is None else int(run.observed.size),
            "backtest": {k: v.to_dict() for k, v in run.backtest.summaries.items()},
            "report": str(run.report),
            "prospective": _prospective(ctx, {k: m for k, (m, _) in fitted.items()}, t0)}


def _prospective(ctx: DemoContext, models: dict[str, Any], t0: Any) -> dict[str, Any]:
    """A month of daily forecasts into an archive, scored, with the record report."""
    import pandas as pd

    from geohazard.report.forecast import combined_verdict
    from geohazard.workflows.forecast import evaluate_job, prospective_job

    archive = ctx.out_dir / "forecast" / "archive.sqlite"
    fitted = {k: (m, {"params_hash": f"demo-{k}"}) for k, m in models.items()}
    run = prospective_job(ctx.catalog, archive, t0, t0 + pd.Timedelta(days=29), fitted=fitted,
                          every=1.0, days=14.0, samples=300, seed=ctx.seed)
    path = ctx.out_dir / "forecast" / "record.html"
    ev = evaluate_job(ctx.catalog, archive, seed=ctx.seed, report=path,
                      title=f"prospective record: {ctx.catalog.metadata.name}")
    ctx.report.link("Prospective record", path, "a month of daily 14-day forecasts, scored",
                    base=ctx.out_dir)
    ctx.report.heading("Prospective record (daily 14-day forecasts)")
    ctx.report.table(["model", "forecasts", "95% coverage (fraction)",
                      "mean count log-score (nats per forecast)", "mean PIT"],
                     [[s.model, s.n_windows, s.coverage_95, s.mean_log_score, s.mean_pit]
                      for s in ev.summaries.values()])
    ctx.report.summary(*combined_verdict(
        ev.summaries, f"prospective month, {len(ev.rows)} daily 14-day forecasts"))
    return {"issued": len(run.issued), "already_archived": run.skipped,
            "evaluated": len(ev.rows), "summaries": {k: v.to_dict()
                                                     for k, v in ev.summaries.items()},
            "report": str(path)}


def step_das(ctx: DemoContext) -> dict[str, Any]:
    """Simulate a small storm on a fiber, analyse it and check against the truth."""
    from geohazard.demo.das import run_demo as das_demo
    from geohazard.report.demo import das_section

    res = das_demo(ctx.out_dir / "das", ctx.seed)
    if res.get("report"):
        ctx.report.link("DAS storm-noise report", res["report"], "the synthetic storm analysed",
                        base=ctx.out_dir)
    das_section(ctx.report, res)
    return res


def step_landslide(ctx: DemoContext) -> dict[str, Any]:
    """Synthetic landslides and susceptibility, then issue 15's chain on the same terrain.

    The chain (amplification, amplified scenario shaking and Newmark, modes of synthetic
    landslides, post-seismic decay) is stored under ``chain``.
    """
    from geohazard.demo.landslide import run_demo as landslide_demo
    from geohazard.demo.landslide_causes import run_chain
    from geohazard.report.demo import landslide_section

    res = landslide_demo(ctx.out_dir / "landslide", ctx.seed)
    if res.get("report"):
        ctx.report.link("Landslide susceptibility report", res["report"],
                        "validation, model and factor statistics", base=ctx.out_dir)
    landslide_section(ctx.report, res)
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
#: The optional extra each step needs (a step not listed needs the core only).
STEP_EXTRAS: dict[str, str] = {"recast": "forecast", "forecast": "forecast", "das": "das",
                               "landslide": "landslide"}


def _skipped_steps(steps: list[tuple[str, Step]]) -> dict[str, str]:
    """Step name -> one line saying which extra it needs, for extras not installed here."""
    from geohazard.extras import MissingExtraError, require

    skipped: dict[str, str] = {}
    for name, _ in steps:
        extra = STEP_EXTRAS.get(name)
        if extra is None:
            continue
        try:
            require(extra)
        except MissingExtraError as exc:
            skipped[name] = str(exc)
    return skipped


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
    data = (f"the catalog {catalog.metadata.name}" if catalog_path
            else "embedded synthetic data with known truths")
    ctx.report.paragraph(
        f"Every system end to end on {data} ({len(catalog)} events in the catalog); "
        f"seed {seed}. The summary gives each "
        "system's headline; the sections below and the linked reports give the detail.",
        "note")
    timings: dict[str, float] = {}
    skipped = _skipped_steps(STEPS)
    for name, message in skipped.items():
        log.warning("demo: skipping %s: %s", name, message)
        ctx.report.summary(f"Skipped {name}: {message}.", "warn")
    for name, step in STEPS:
        if name in skipped:
            continue
        if progress is not None:
            progress(name)
        t0 = time.perf_counter()
        ctx.results[name] = step(ctx)
        timings[name] = time.perf_counter() - t0
    ctx.results["timings_s"] = timings
    if skipped:
        ctx.results["skipped"] = skipped
    write_json_atomic(out / "summary.json", ctx.results)
    ctx.report.write(out / "report.html")
    return ctx.results
