"""``geohazard etas``: fit, score and simulate temporal ETAS."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import typer

from geohazard.cli._common import (
    JsonOpt,
    SeedOpt,
    console,
    emit_json,
    err_console,
    kv_table,
)

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


def _load_params(path: Path, catalog_name: str) -> tuple[Any, float | None]:
    """(ETASParams, b_value or None) from a parameter file; errors name the file."""
    from geohazard.forecast.etas.params import read_params

    return read_params(path, catalog_name)


def _check_fit_flags(n_starts: int, n_max: float, p_min: float, taper_days: float | None,
                     constrained: bool, fixed_alpha: str | None) -> float | str | None:
    """Validate ``etas fit``'s flags by name; return the fixed alpha (number, 'b' or None)."""
    from geohazard.catalog.checks import check, fmt_number
    from geohazard.exceptions import ParameterError

    check(n_starts, "starts", "--starts")
    check(n_max, "n_max", "--n-max")
    check(p_min, "p_min", "--p-min")
    if taper_days is not None:
        check(taper_days, "taper_days", "--taper-days")
    if constrained and p_min <= 1.0 and taper_days is None:
        raise ParameterError(f"--p-min must exceed 1 with --constrained and no --taper-days "
                             f"(the Omori integral diverges for p <= 1), got {fmt_number(p_min)}")
    if fixed_alpha in (None, "b"):
        return fixed_alpha
    try:
        alpha = float(fixed_alpha)
    except ValueError:
        raise ParameterError(f"--fixed-alpha must be a number or 'b', got {fixed_alpha!r}"
                             ) from None
    return check(alpha, "fixed_alpha", "--fixed-alpha")


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
    n = summary["branching_ratio"]
    rows["branching ratio"] = f"{n:.6g} (explosive: n >= 1)" if n >= 1 else n
    rows["b-value (GR)"] = summary["b_value"]
    for split, res in scores.items():
        rows[f"{split} NLL/day"] = f"{res['nll_per_day']:.5f}  ({res['nll_per_event']:.5f}/event,"\
            f" {res['n_events']} events)"
    if "converged" in summary.get("report", {}):
        rep = summary["report"]
        bounds = f"; at bounds: {', '.join(rep['at_bounds'])}" if rep["at_bounds"] else ""
        rows["converged"] = f"{rep['converged']} ({rep['n_iter']} iterations{bounds})"
        rows["fit seconds"] = rep["fit_seconds"]
    console.print(kv_table(title, rows))
    for text in summary.get("report", {}).get("warnings", ()):
        err_console.print(f"[bold yellow]warning:[/bold yellow] {text}", highlight=False,
                          soft_wrap=True)


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
    from geohazard.catalog.checks import check_output
    from geohazard.exceptions import InputError
    from geohazard.forecast.etas.model import ETAS

    check_output(json_out, "--json")
    alpha = _check_fit_flags(n_starts, n_max, p_min, taper_days, constrained, fixed_alpha)
    name, _, splits = _load_splits(catalog)
    key = "train" if "train" in splits else "all"
    model = ETAS(constrained=constrained, p_min=p_min, n_max=n_max, taper_days=taper_days,
                 n_starts=n_starts, fixed_alpha=alpha)
    with console.status(f"fitting ETAS on {catalog.name} ({key})"):
        try:
            model.fit(splits[key])
        except InputError as exc:
            where = "the whole catalog" if key == "all" else f"the {key} split"
            raise type(exc)(f"{catalog}: fitting {where}: {exc}") from None
    summary = model.summary()
    scores = _scores(model, splits)
    _render(f"ETAS fit: {name}", summary, scores)
    emit_json(json_out, {"catalog": str(catalog), **summary, "scores": scores})


@app.command()
def score(catalog: CatalogArg, params: ParamsOpt, json_out: JsonOpt = None) -> None:
    """Score given parameters on the train/val/test splits (the RECAST paper's way)."""
    from geohazard.catalog.checks import check_output
    from geohazard.forecast.etas.model import ETAS, fit_warnings

    check_output(json_out, "--json")
    name, mc, splits = _load_splits(catalog)
    theta, b = _load_params(params, name)
    model = ETAS.from_params(theta, mc, b=1.0 if b is None else b)
    summary = model.summary()
    summary["report"] = {"warnings": fit_warnings(theta, model.mag_law_, (),
                                                  what="ETAS parameters")}
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
    from geohazard.catalog.checks import check_output
    from geohazard.catalog.io import output_format, write_catalog
    from geohazard.forecast.etas.params import MagnitudeLaw

    _check_simulate_flags(days, mc, b, m_max, seed, history is not None)
    output_format(out)
    check_output(out, "--out")
    check_output(json_out, "--json")
    theta, _ = _load_params(params, "")
    hist_seq, origin, t0, name = None, start, 0.0, "ETAS simulation"
    if history is not None:
        hist_seq, origin, name, mc = _history(history, m_max)
        t0 = hist_seq.t_end
    origin = _check_window(origin, t0, days, history is not None)
    law = MagnitudeLaw(b=b, mc=mc, m_max=m_max)
    with console.status("simulating"):
        sims = _simulate(theta, law, hist_seq, t0, days, seed, allow_explosive, params)
    cat_out = _to_catalog(sims.times, sims.magnitudes, origin, t0, days, mc, name)
    write_catalog(cat_out, out)
    figures = {"events": int(sims.times.size), "days": days, "params": theta.to_dict(),
               "branching_ratio": theta.branching_ratio(law), "out": str(out)}
    console.print(kv_table("ETAS simulation", figures))
    emit_json(json_out, figures)


def _history(path: Path, m_max: float) -> tuple[Any, Any, str, float]:
    """(sequence, origin, name, Mc) of the catalog ``etas simulate --history`` continues."""
    cat = _load_catalog(path)
    mc = float(cat.metadata.mag_completeness)
    seq = cat.to_sequence()
    _check_m_max(m_max, f"the history's Mc {mc:g}", mc)
    return seq, cat.origin, f"ETAS continuation of {cat.metadata.name}", mc


def _simulate(theta: Any, law: Any, history: Any, t0: float, days: float, seed: int | None,
              allow_explosive: bool, params: Path) -> Any:
    """One continuation; an explosive refusal names the parameter file and the flag."""
    from geohazard.exceptions import ExplosiveProcessError
    from geohazard.forecast.etas.simulate import simulate_continuations

    try:
        return simulate_continuations(theta, law, history, t0, days, 1, seed,
                                      allow_explosive=allow_explosive)
    except ExplosiveProcessError as exc:
        text = str(exc).replace("refusing to simulate it unless explosive simulation is "
                                "allowed explicitly", "pass --allow-explosive to simulate "
                                "anyway (event counts are capped)")
        raise ExplosiveProcessError(f"{params}: {text}") from None


def _check_simulate_flags(days: float, mc: float, b: float, m_max: float, seed: int | None,
                          has_history: bool) -> None:
    """Validate ``etas simulate``'s numeric flags against their ranges, by flag name."""
    from geohazard.catalog.checks import check

    check(days, "days", "--days")
    check(b, "b", "--b")
    check(m_max, "m_max", "--m-max")
    if seed is not None:
        check(seed, "seed", "--seed")
    if not has_history:
        check(mc, "mc", "--mc")
        _check_m_max(m_max, f"--mc {mc:g}", mc)


def _check_m_max(m_max: float, what: str, mc: float) -> None:
    from geohazard.exceptions import ParameterError

    if not m_max > mc:
        raise ParameterError(f"--m-max {m_max:g} must exceed {what}")


def _check_window(origin, t0: float, days: float, has_history: bool):  # noqa: ANN001, ANN202
    """Day 0 as UTC; the simulated window must end before pandas' last date (2262)."""
    import pandas as pd

    from geohazard.catalog.core import to_utc
    from geohazard.exceptions import ParameterError

    origin = to_utc(origin, "--start")
    last = pd.Timestamp.max.tz_localize("UTC")
    if (last - origin) / pd.Timedelta(days=1) <= t0 + days:
        start = "the history's end" if has_history else f"--start {origin:%Y-%m-%d}"
        raise ParameterError(f"--days {days:g} from {start} runs past {last:%Y-%m-%d}, the "
                             "last representable date; simulate a shorter window")
    return origin


def _to_catalog(times, mags, origin, t0, days, mc, name):  # noqa: ANN001, ANN202
    """Simulated days since ``origin`` -> a :class:`Catalog` of ``(t0, t0 + days]``."""
    from geohazard.catalog.core import Catalog, CatalogMetadata

    meta = CatalogMetadata(name=name, source="geohazard etas simulate", mag_completeness=mc,
                           extra={"simulated": True})
    cat = Catalog.from_days(times, mags, origin, metadata=meta)  # day 0 at origin
    return cat.with_metadata(start=cat.utc_of(t0), end=cat.utc_of(t0 + days))
