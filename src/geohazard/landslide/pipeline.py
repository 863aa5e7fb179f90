"""End-to-end susceptibility run: fit, blocked validation, map, figures and HTML report.

The CLI (``geohazard landslide susceptibility``) and the demo call :func:`run_susceptibility`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from geohazard.exceptions import ParameterError
from geohazard.io_utils import write_json_atomic
from geohazard.landslide import factors as fac
from geohazard.landslide import raster as rst
from geohazard.landslide import susceptibility as sus
from geohazard.landslide.checks import check_param, remove_new_dirs, require_data
from geohazard.rng import RNGLike, as_generator

log = logging.getLogger(__name__)

__all__ = ["Renderer", "default_block_size", "run_susceptibility"]

Renderer = Callable[..., Path]  # (out_dir, summary, map, landslide, cv, tables) -> report path


def default_block_size(ref: xr.DataArray, n_blocks_per_side: int = 5) -> float:
    """Block side (CRS units) giving about ``n_blocks_per_side`` blocks along the short side."""
    x, y = np.asarray(ref.x), np.asarray(ref.y)
    span = min(abs(x[-1] - x[0]), abs(y[-1] - y[0]))
    if span <= 0:
        raise ParameterError("grid too small for spatial blocks")
    return float(span / n_blocks_per_side) * 1.0001


def _factor_tables(factors: Mapping[str, xr.DataArray], inventory: xr.Dataset,
                   categorical: Sequence[str], n_bins: int) -> dict[str, Any]:
    tables = {}
    for name, da in factors.items():
        bins = None if name in categorical else n_bins
        tables[name] = fac.factor_statistics(da, inventory, bins=bins)
    return tables


def run_susceptibility(
    factors: Mapping[str, xr.DataArray], landslide: xr.DataArray, out_dir: str | Path, *,
    method: str = "logistic", categorical: Sequence[str] = (), balance: float | None = 1.0,
    block_size: float | None = None, n_folds: int = 5, n_estimators: int = 200,
    n_bins: int = 10, inventory: xr.Dataset | None = None, render: Renderer | None = None,
    rng: RNGLike = None,
) -> dict[str, Any]:
    """Fit a susceptibility model, validate it on spatial blocks, map it and report.

    Parameters
    ----------
    factors
        Factor rasters on one grid (name -> raster).
    landslide
        Boolean landslide cells on that grid.
    out_dir
        Output folder: ``susceptibility.tif``, ``summary.json``, ``factors.csv``, PNG
        figures and ``report.html``.
    method, categorical, balance, n_estimators
        The :class:`~geohazard.landslide.susceptibility.SusceptibilityModel`:
        ``"logistic"`` or ``"random_forest"``; class factors (lithology, land cover);
        stable cells sampled per landslide cell (None: all cells); trees of the forest.
    block_size, n_folds
        Spatial block side (default: 5 blocks along the short side) and folds of the
        blocked cross-validation.
    n_bins
        Quantile classes of continuous factors in the factor statistics.
    inventory
        Inventory rasters (:func:`inventory.inventory_rasters`) for the factor statistics;
        derived from ``landslide`` (one landslide per cell) when omitted.
    render
        Figures and report writer (the domain package never draws), called as
        ``render(out_dir, summary, map, landslide, cv, tables)``; it may add to the summary
        and returns the report's path or None. None writes the map, tables and summary only.
    rng
        Generator or seed.

    Returns
    -------
    dict
        Summary (also written to ``summary.json``).
    """
    if isinstance(rng, int | np.integer):
        check_param("seed", rng)
    gen = as_generator(rng)
    _check_settings(factors, method=method, categorical=categorical, balance=balance,
                    block_size=block_size, n_folds=n_folds, n_estimators=n_estimators,
                    n_bins=n_bins)
    model = sus.SusceptibilityModel(method=method, categorical=tuple(categorical),
                                    balance=balance, n_estimators=n_estimators)
    table, bs, cv = _fit(factors, landslide, model, block_size, n_folds, gen)
    smap = sus.predict_map(cv.model, factors)
    inv = inventory if inventory is not None else _inventory_from_mask(landslide)
    tables = _factor_tables(factors, inv, categorical, n_bins)
    summary = {"method": method, "n_cells": len(table),
               "n_landslide_cells": int(table.landslide.sum()), "block_size": bs,
               "model": cv.model.summary(), "cv": cv.to_dict()}
    draw = None if render is None else (lambda o, s: render(o, s, smap, landslide, cv, tables))
    return _write_run(Path(out_dir), summary, smap, tables, draw)


def _fit(factors: Mapping[str, xr.DataArray], landslide: xr.DataArray,
         model: sus.SusceptibilityModel, block_size: float | None, n_folds: int,
         gen: np.random.Generator) -> tuple[Any, float, sus.CVResult]:
    """Cell table, block side, blocked validation and the mapped model."""
    table = sus.cell_table(factors, landslide)
    _check_table(table)
    bs = _block_size(next(iter(factors.values())), table, block_size, n_folds)
    return table, bs, _validate_and_fit(model, table, bs, n_folds, gen)


def _write_run(out: Path, summary: dict[str, Any], smap: xr.DataArray,
               tables: Mapping[str, Any], render: Callable[..., Path] | None
               ) -> dict[str, Any]:
    """Everything is computed: write the map, tables, report and summary, or leave nothing."""
    with remove_new_dirs(out):
        out.mkdir(parents=True, exist_ok=True)
        tif = rst.write_geotiff(smap, out / "susceptibility.tif")
        _write_tables(tables, out / "factors.csv")
        summary.update(susceptibility_tif=str(tif), factors_csv=str(out / "factors.csv"))
        if render is not None:
            path = render(out, summary)
            if path is not None:
                summary["report"] = str(path)
        write_json_atomic(out / "summary.json", summary)
    return summary


def _block_size(ref: xr.DataArray, table: Any, block_size: float | None, n_folds: int) -> float:
    """The cross-validation block side, checked to give at least ``n_folds`` blocks."""
    bs = block_size if block_size is not None else default_block_size(ref)
    n_blocks = np.unique(sus.spatial_blocks(table["x"].to_numpy(), table["y"].to_numpy(),
                                            bs)).size
    if not 2 <= n_folds <= n_blocks:
        raise ParameterError(f"n_folds={n_folds} needs 2..{n_blocks} (the number of spatial "
                             f"blocks of side {bs:g}); lower n_folds or block_size")
    return bs


def _validate_and_fit(model: sus.SusceptibilityModel, table: Any, bs: float, n_folds: int,
                      gen: np.random.Generator) -> sus.CVResult:
    """Blocked cross-validation, then the mapped model fitted once on all cells.

    The mapped model takes the generator's next draw after the validation's, as it always
    has, so maps and coefficients equal those of earlier releases; its success rate is the
    one reported.
    """
    def final(_: int) -> sus.SusceptibilityModel:
        return sus.SusceptibilityModel(**model.get_params()).set_params(
            random_state=int(gen.integers(2**31 - 1))).fit(table)

    return sus.blocked_cross_validation(model, table, block_size=bs, n_folds=n_folds,
                                        rng=gen, final=final)


def _check_settings(factors: Mapping[str, xr.DataArray], *, method: str,
                    categorical: Sequence[str], balance: float | None,
                    block_size: float | None, n_folds: int, n_estimators: int,
                    n_bins: int) -> None:
    """Refuse bad settings and empty factors before anything is computed or written."""
    if method not in sus.METHODS:
        raise ParameterError(f"method must be one of {sus.METHODS}, got {method!r}")
    if not factors:
        raise ParameterError("give at least one factor raster")
    unknown = sorted(set(categorical) - set(factors))
    if unknown:
        raise ParameterError(f"categorical factor(s) {unknown} are not among the factors "
                             f"{list(factors)}")
    if balance is not None:
        check_param("balance", balance)
    if block_size is not None:
        check_param("block_size", block_size)
    check_param("n_folds", n_folds)
    check_param("n_estimators", n_estimators)
    check_param("n_bins", n_bins)
    for name, da in factors.items():
        what = f"factor {name} ({da.attrs.get('source', 'in memory')})"
        require_data(da, what)
        lo, hi = float(np.nanmin(da.values)), float(np.nanmax(da.values))
        if lo == hi and name not in categorical:
            raise ParameterError(f"{what} is constant ({lo:g}): it carries no information; "
                                 "leave it out")


def _check_table(table: Any) -> None:
    """Refuse a cell table without both landslide and stable cells."""
    if len(table) == 0:
        raise ParameterError("no cell has a value in every factor (their valid cells do not "
                             "overlap)")
    n_ls = int(table["landslide"].sum())
    if n_ls == 0 or n_ls == len(table):
        raise ParameterError(f"{n_ls} of the {len(table)} cells with every factor are "
                             "landslide cells; a susceptibility model needs both landslide "
                             "and stable cells")


def _inventory_from_mask(landslide: xr.DataArray) -> xr.Dataset:
    from geohazard.landslide.inventory import cell_area_m2

    m = np.asarray(landslide.values).astype(bool)
    return xr.Dataset({"count": (("y", "x"), m.astype(np.int32)),
                       "fraction": (("y", "x"), m.astype(np.float32)),
                       "mask": (("y", "x"), m),
                       "area_m2": (("y", "x"), cell_area_m2(landslide))},
                      coords={"y": landslide.y, "x": landslide.x})


def _write_tables(tables: Mapping[str, Any], path: Path) -> None:
    import pandas as pd

    from geohazard.io_utils import write_text_atomic

    frames = [t.assign(factor=name) for name, t in tables.items()]
    df = pd.concat(frames, ignore_index=True)
    cols = ["factor"] + [c for c in df.columns if c != "factor"]
    write_text_atomic(path, df[cols].to_csv(index=False))
