"""``geohazard etas``: fit, score and simulate temporal ETAS."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import typer

from geohazard.cli._common import JsonOpt, SeedOpt, console, emit_json, kv_table

app = typer.Typer(help="Temporal ETAS: maximum-likelihood fit, scoring, simulation.",
                  no_args_is_help=True)

CatalogArg = Annotated[Path, typer.Argument(help="Catalog file (CSV + JSON sidecar with Mc "
                                            "and split dates, any readable format, or a "
                                            "t_days simulated catalog).")]
ParamsOpt = Annotated[Path, typer.Option("--params", help="JSON with mu, k, alpha, c, p (as "
                                         "written by 'etas fit --json', or the paper's file).")]


def _load_catalog(path: Path):  # noqa: ANN202 - Catalog, imported lazily
    from geohazard.catalog.io import read_catalog
    from geohazard.exceptions import CatalogError

    cat = read_catalog(path)
    if cat.metadata.mag_completeness is None:
        raise CatalogError(f"{path}: no mag_completeness in the sidecar; ETAS needs Mc")
    return cat.above_completeness()


def _load_splits(path: Path) -> tuple[str, float, dict[str, Any]]:
    """(name, Mc, split -> EventSequence): train/val/test, or "all" without split dates."""
    from geohazard.catalog.io import detect_format, read_sequence
    from geohazard.exceptions import CatalogError, DataFileNotFoundError

    if not path.exists():
        raise DataFileNotFoundError(f"{path}: catalog file not found")
    if detect_format(path) == "days":  # simulated catalog with t_days (e.g. ETAS_synthetic)
        seq = read_sequence(path)
        if seq.mag_completeness is None:
            raise CatalogError(f"{path}: no mag_completeness in the sidecar; ETAS needs Mc")
        return path.stem, seq.mag_completeness, {"all": seq}
    cat = _load_catalog(path)
    mc = float(cat.metadata.mag_completeness)
    if not cat.metadata.has_splits:
        return cat.metadata.name, mc, {"all": cat.to_sequence()}
    return cat.metadata.name, mc, {s: cat.to_sequence(s) for s in ("train", "val", "test")}


def _load_params(path: Path, catalog_name: str) -> tuple[Any, dict[str, Any]]:
    from geohazard.exceptions import DataFileNotFoundError, InputError
    from geohazard.forecast.etas.params import ETASParams

    if not path.exists():
        raise DataFileNotFoundError(f"{path}: parameter file not found")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: invalid JSON ({exc.msg} at line {exc.lineno})") from None
    if isinstance(raw, dict) and "catalogs" in raw:
        if catalog_name not in raw["catalogs"]:
            raise InputError(f"{path}: no entry for catalog '{catalog_name}' "
                             f"(has {sorted(raw['catalogs'])})")
        raw = raw["catalogs"][catalog_name]
    if not isinstance(raw, dict):
        raise InputError(f"{path}: expected a JSON object of ETAS parameters")
    try:
        return ETASParams.from_dict(raw), raw
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None


def _scores(model: Any, splits: dict[str, Any]) -> dict[str, dict[str, Any]]:
    keys = ("nll_per_day", "nll_per_event", "n_events", "days", "includes_magnitude")
    out = {}
    for split, seq in splits.items():
        res = model.log_likelihood(seq).to_dict()
        out[split] = {k: res[k] for k in keys}
    return out


def _render(title: str, summary: dict[str, Any], scores: dict[str, Any]) -> None:
    se = summary.get("se", {})
    rows: dict[str, Any] = {}
    for name, value in summary["params"].items():
        err = se.get(name)
        rows[name] = f"{value:.6g}" + (f" ± {err:.3g}" if err is not None and
                                       math.isfinite(err) else "")
    rows["branching ratio"] = summary["branching_ratio"]
    rows["b-value (GR)"] = summary["b_value"]
    for split, res in scores.items():
        rows[f"{split} NLL/day"] = f"{res['nll_per_day']:.5f}  ({res['nll_per_event']:.5f}/event,"\
            f" {res['n_events']} events)"
    if "report" in summary:
        rep = summary["report"]
        rows["converged"] = f"{rep['converged']} ({rep['n_iter']} iterations)"
        rows["fit seconds"] = rep["fit_seconds"]
    console.print(kv_table(title, rows))


@app.command()
def fit(
    catalog: CatalogArg,
    json_out: JsonOpt = None,
    constrained: Annotated[bool, typer.Option("--constrained", help="Subcritical fit: "
                                              "p >= p-min and branching ratio <= n-max.")]
    = False,
    p_min: Annotated[float, typer.Option("--p-min", help="Lower bound of p when constrained.")]
    = 1.01,
    n_max: Annotated[float, typer.Option("--n-max", help="Upper bound of the branching ratio "
                                         "when constrained.")] = 0.99,
    taper_days: Annotated[float | None, typer.Option("--taper-days", help="Fixed exponential "
                                                     "taper of the Omori kernel (days).")]
    = None,
    n_starts: Annotated[int, typer.Option("--starts", help="Starting points.")] = 3,
    fixed_alpha: Annotated[str | None, typer.Option(
        "--fixed-alpha", help="Hold alpha at this value, or 'b' for the b-value.")] = None,
) -> None:
    """Fit ETAS on the train split; print params ± se, branching ratio and NLL per split.

    Without split dates (or for a ``t_days`` simulated catalog) the whole catalog is fitted.
    """
    from geohazard.forecast.etas.model import ETAS

    name, _, splits = _load_splits(catalog)
    key = "train" if "train" in splits else "all"
    alpha: float | str | None = fixed_alpha
    if fixed_alpha not in (None, "b"):
        try:
            alpha = float(fixed_alpha)
        except ValueError:
            from geohazard.exceptions import ParameterError

            raise ParameterError(f"--fixed-alpha must be a number or 'b', got {fixed_alpha!r}"
                                 ) from None
    model = ETAS(constrained=constrained, p_min=p_min, n_max=n_max, taper_days=taper_days,
                 n_starts=n_starts, fixed_alpha=alpha)
    with console.status(f"fitting ETAS on {catalog.name} ({key})"):
        model.fit(splits[key])
    summary = model.summary()
    scores = _scores(model, splits)
    _render(f"ETAS fit: {name}", summary, scores)
    emit_json(json_out, {"catalog": str(catalog), **summary, "scores": scores})


@app.command()
def score(catalog: CatalogArg, params: ParamsOpt, json_out: JsonOpt = None) -> None:
    """Score given parameters on the train/val/test splits (the RECAST paper's way)."""
    from geohazard.forecast.etas.model import ETAS

    name, mc, splits = _load_splits(catalog)
    theta, raw = _load_params(params, name)
    b = float(raw.get("b_value", 1.0))
    model = ETAS.from_params(theta, mc, b=b)
    summary = model.summary()
    scores = _scores(model, splits)
    _render(f"ETAS score: {name}", summary, scores)
    emit_json(json_out, {"catalog": str(catalog), **summary, "scores": scores})


@app.command()
def simulate(
    params: ParamsOpt,
    out: Annotated[Path, typer.Option("--out", help="Output catalog CSV (project format, "
                                      "with a JSON sidecar).")],
    days: Annotated[float, typer.Option("--days", help="Length of the simulated window.")]
    = 3650.0,
    mc: Annotated[float, typer.Option("--mc", help="Magnitude of completeness.")] = 2.0,
    b: Annotated[float, typer.Option("--b", help="Gutenberg-Richter b-value.")] = 1.0,
    m_max: Annotated[float, typer.Option("--m-max", help="Maximum magnitude.")] = 8.0,
    start: Annotated[str, typer.Option("--start", help="UTC time of day 0 (ignored with "
                                       "--history: the window starts at its end).")]
    = "2000-01-01",
    history: Annotated[Path | None, typer.Option("--history", help="Simulate a continuation "
                                                 "of this catalog (its Mc is used).")] = None,
    allow_explosive: Annotated[bool, typer.Option("--allow-explosive")] = False,
    seed: SeedOpt = None,
    json_out: JsonOpt = None,
) -> None:
    """Simulate an ETAS catalog (or a continuation of one) and write it as CSV."""
    from geohazard.forecast.etas.params import MagnitudeLaw
    from geohazard.forecast.etas.simulate import simulate_continuations

    theta, _ = _load_params(params, "")
    hist_seq, origin, t0, name = None, start, 0.0, "ETAS simulation"
    if history is not None:
        cat = _load_catalog(history)
        mc = float(cat.metadata.mag_completeness)
        hist_seq = cat.to_sequence()
        origin, t0, name = cat.origin, hist_seq.t_end, f"ETAS continuation of {cat.metadata.name}"
    law = MagnitudeLaw(b=b, mc=mc, m_max=m_max)
    with console.status("simulating"):
        sims = simulate_continuations(theta, law, hist_seq, t0, days, 1, seed,
                                      allow_explosive=allow_explosive)
    cat_out = _to_catalog(sims.times, sims.magnitudes, origin, t0, days, mc, name)
    from geohazard.catalog.io import write_catalog

    write_catalog(cat_out, out)
    figures = {"events": int(sims.times.size), "days": days, "params": theta.to_dict(),
               "branching_ratio": theta.branching_ratio(law), "out": str(out)}
    console.print(kv_table("ETAS simulation", figures))
    emit_json(json_out, figures)


def _to_catalog(times, mags, origin, t0, days, mc, name):  # noqa: ANN001, ANN202
    """Simulated days -> a :class:`Catalog` with UTC times and a sidecar."""
    import pandas as pd

    from geohazard.catalog.core import Catalog, CatalogMetadata, to_utc

    origin = to_utc(origin, "--start")
    stamps = origin + pd.to_timedelta(times * 86_400e9, unit="ns")
    meta = CatalogMetadata(name=name, source="geohazard etas simulate", mag_completeness=mc,
                           start=origin + pd.to_timedelta(t0 * 86_400e9, unit="ns"),
                           end=origin + pd.to_timedelta((t0 + days) * 86_400e9, unit="ns"))
    return Catalog({"time": stamps, "magnitude": mags}, meta)
