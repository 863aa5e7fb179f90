"""``geohazard landslide`` factor and susceptibility commands.

Commands ``terrain``, ``fault-factors``, ``factors`` and ``susceptibility``;
:func:`register` attaches them to the ``landslide`` Typer app of
:mod:`geohazard.cli.landslide`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from geohazard.cli._common import (
    EngineOpt,
    JsonOpt,
    SchedulerOpt,
    SeedOpt,
    console,
    emit_json,
    err_console,
    kv_table,
)
from geohazard.cli._landslide_hazard import check_choice, check_flag, cli_terms
from geohazard.exceptions import InputError, ParameterError

#: Library names that the messages of these commands show as flags.
_FLAGS = {"crs=": "--crs", "tile": "--tile", "radius": "--radius", "n_folds": "--folds",
          "block_size": "--block-size", "balance": "--balance", "n_estimators": "--trees",
          "search_radius_m": "--search-km"}

FactorOpt = Annotated[list[str], typer.Option(
    "--factor", help="NAME=RASTER; repeat. The first one defines the grid.")]
BinsOpt = Annotated[list[str] | None, typer.Option(
    "--bins", help="NAME=K (quantile classes) or NAME=e0,e1,...; repeat.")]
CrsOpt = Annotated[str | None, typer.Option(
    "--crs", help="CRS for files that have none (rasters, inventory); never assumed.")]


def _pairs(items: list[str] | None, what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise InputError(f"{what} must look like NAME=VALUE, got {item!r}")
        if name.strip() in out:
            raise InputError(f"{what} {name.strip()} is given twice")
        out[name.strip()] = value.strip()
    return out


def _load_factors(items: list[str], crs: str | None, categorical: set[str]) -> dict[str, Any]:
    from geohazard.landslide import raster as rst
    from geohazard.landslide.checks import require_data

    paths = _pairs(items, "--factor")
    if not paths:
        raise InputError("give at least one --factor NAME=RASTER")
    names = list(paths)
    out: dict[str, Any] = {}
    with cli_terms(_FLAGS):
        for n in names:
            da = rst.read_raster(paths[n], name=n, crs=crs)
            require_data(da, f"--factor {n}={paths[n]}")
            if out:
                ref = out[names[0]]
                da = rst.align_to(da, ref, "nearest" if n in categorical else "bilinear")
                _warn_partial(da, ref, f"--factor {n}={paths[n]}")
            out[n] = da
    return out


def _warn_partial(da: Any, ref: Any, what: str, min_share: float = 0.9) -> None:
    """Say loudly when a factor covers only part of the reference factor's cells."""
    import numpy as np

    ok_ref = np.isfinite(ref.values)
    share = float(np.isfinite(da.values)[ok_ref].mean()) if ok_ref.any() else 1.0
    if share < min_share:
        err_console.print(f"[bold yellow]warning:[/] {what} covers {100 * share:.0f}% of the "
                      "grid's cells; the rest are left out of every statistic")


def _parse_bins(text: str) -> int | list[float]:
    import math

    try:
        bins = int(text) if "," not in text else [float(v) for v in text.split(",")]
    except ValueError as exc:
        raise InputError(f"--bins value {text!r} is not K or e0,e1,...") from exc
    if isinstance(bins, int):
        check_flag("n_bins", bins, "--bins")
    elif not all(math.isfinite(e) for e in bins) or len(bins) < 2 or any(
            b <= a for a, b in zip(bins, bins[1:], strict=False)):
        raise InputError(f"--bins edges {text!r} must be 2 or more finite, increasing numbers")
    return bins


def _bin_map(bins: list[str] | None, factor: list[str]) -> dict[str, int | list[float]]:
    """``--bins`` per factor; a name that is no ``--factor`` is refused, not ignored."""
    bin_map = {k: _parse_bins(v) for k, v in _pairs(bins, "--bins").items()}
    unknown = sorted(set(bin_map) - set(_pairs(factor, "--factor")))
    if unknown:
        raise InputError(f"--bins names {', '.join(unknown)}, which is no --factor")
    return bin_map


def _products(text: str, local: tuple[str, ...]) -> list[str]:
    wanted = [p.strip() for p in text.split(",") if p.strip()]
    known = (*local, "twi")
    bad = [p for p in wanted if p not in known]
    if bad or not wanted:
        raise ParameterError(f"--products: unknown {', '.join(bad) or '(none given)'}; "
                             f"choose from {', '.join(known)}")
    return wanted


def terrain(
    dem: Annotated[Path, typer.Argument(help="DEM raster (any GDAL format), metres.")],
    out: Annotated[Path, typer.Option("--out", help="Output folder of GeoTIFFs.")],
    products: Annotated[str, typer.Option(
        "--products", help="Comma list of slope_deg, aspect_deg, curvature, "
        "profile_curvature, plan_curvature, relief, twi.")
    ] = "slope_deg,aspect_deg,curvature,relief",
    tile: Annotated[int, typer.Option("--tile", help="Window size in cells.")] = 1024,
    radius: Annotated[int, typer.Option("--radius", help="Relief radius, cells.")] = 3,
    crs: CrsOpt = None,
    json_out: JsonOpt = None,
    scheduler: SchedulerOpt = None,
    engine: EngineOpt = "serial",
) -> None:
    """Slope, aspect, curvature, relief (windowed, bounded memory) and TWI (in memory)."""
    import time

    import numpy as np

    from geohazard.cli._common import check_cluster_flags
    from geohazard.distributed import open_client
    from geohazard.landslide import hydrology as hyd
    from geohazard.landslide import raster as rst
    from geohazard.landslide import terrain as ter
    from geohazard.landslide.checks import remove_new_dirs

    wanted = _products(products, ter.LOCAL_PRODUCTS)
    check_flag("tile", tile, "--tile")
    check_flag("radius", radius, "--radius")
    check_cluster_flags(scheduler, engine)
    local = tuple(p for p in wanted if p != "twi")
    t0 = time.perf_counter()
    with cli_terms(_FLAGS), remove_new_dirs(out), open_client(scheduler, engine) as client:
        twi = hyd.twi(rst.read_raster(dem, crs=crs)) if "twi" in wanted else None  # in memory
        paths = _local_products(dem, out, local, tile, radius, crs, client)
        if twi is not None:
            paths["twi"] = rst.write_geotiff(twi, out / "twi.tif")
    secs = time.perf_counter() - t0
    stats: dict[str, Any] = {"dem": str(dem), "seconds": secs}
    for name, path in paths.items():
        v = rst.read_raster(path).values
        stats[name] = {"path": str(path), "mean": float(np.nanmean(v)),
                       "min": float(np.nanmin(v)), "max": float(np.nanmax(v))}
    console.print(kv_table("terrain", {k: (v["path"] if isinstance(v, dict) else v)
                                       for k, v in stats.items()}))
    emit_json(json_out, stats)


def _local_products(dem: Path, out: Path, local: tuple[str, ...], tile: int, radius: int,
                    crs: Any, client: Any) -> dict[str, Path]:
    """The windowed local products, here or one task per tile on a cluster (equal)."""
    from geohazard.landslide import terrain as ter
    from geohazard.landslide.scale import terrain_on_cluster

    if not local:
        return {}
    if client is not None:
        return terrain_on_cluster(dem, out, client, local, tile=tile, radius=radius, crs=crs)
    return ter.terrain_geotiff(dem, out, local, tile=tile, radius=radius, crs=crs,
                               progress=True)


def fault_factors(
    faults: Annotated[Path, typer.Option("--faults", help="GeoJSON, shapefile or GeoPackage.")],
    ref: Annotated[Path, typer.Option("--ref", help="Raster defining the output grid.")],
    out: Annotated[Path, typer.Option("--out", help="Output folder.")],
    right_hand_rule: Annotated[bool, typer.Option(
        "--right-hand-rule", help="Faults without a dip direction dip right of the trace.")
    ] = False,
    search_km: Annotated[float, typer.Option("--search-km", help="Fault search radius.")] = 200,
    crs: CrsOpt = None,
    json_out: JsonOpt = None,
    scheduler: SchedulerOpt = None,
    engine: EngineOpt = "serial",
) -> None:
    """Distance to fault and hanging-wall / footwall / active-side rasters, traces as GPKG.

    With ``--scheduler`` or ``--engine dask`` each band of 256 rows is a task on the
    cluster's workers, which open ``--ref`` at the same path; the rasters equal a serial run.
    """
    from geohazard.cli._common import check_cluster_flags
    from geohazard.distributed import open_client
    from geohazard.landslide import faults as flt
    from geohazard.landslide import raster as rst
    from geohazard.landslide.checks import remove_new_dirs
    from geohazard.landslide.scale import fault_factors_on_cluster
    from geohazard.landslide.vector import fault_traces_with_side, write_gpkg

    check_flag("search_km", search_km, "--search-km")
    check_cluster_flags(scheduler, engine)
    settings = {"search_radius_m": search_km * 1000.0, "right_hand_rule": right_hand_rule,
                "progress": True}
    with cli_terms(_FLAGS), remove_new_dirs(out):
        fl = flt.read_faults(faults)
        grid = rst.read_raster(ref, crs=crs, chunks=2048)  # lazy: only the grid is used
        with open_client(scheduler, engine) as client:
            if client is None:
                paths = flt.fault_factors_geotiff(fl, grid, out, **settings)
            else:
                paths = fault_factors_on_cluster(fl, ref, out, client, crs=crs, **settings)
        gpkg = write_gpkg(fault_traces_with_side(fl, right_hand_rule=right_hand_rule),
                          out / "faults.gpkg", layer="faults")
    side = rst.read_raster(paths["side"], chunks=2048).data
    dist = rst.read_raster(paths["distance_m"], chunks=2048).data
    res = {"distance_tif": str(paths["distance_m"]), "side_tif": str(paths["side"]),
           "signed_distance_tif": str(paths["signed_distance_m"]),
           "side_class_tif": str(paths["side_class"]), "faults_gpkg": str(gpkg),
           "hanging_wall_cells": int((side == 1).sum().compute()),
           "footwall_cells": int((side == -1).sum().compute()),
           "unknown_cells": int((side == 0).sum().compute()),
           "distance_m_max": float(dist.max().compute())}
    console.print(kv_table("fault factors", res))
    emit_json(json_out, res)


def factors(
    inventory: Annotated[Path, typer.Option("--inventory", help="Landslide polygons/points.")],
    factor: FactorOpt,
    out: Annotated[Path, typer.Option("--out", help="CSV table to write.")],
    bins: BinsOpt = None,
    classes_dir: Annotated[Path | None, typer.Option(
        "--classes-dir", help="Also write each factor's classes as NAME_classes.tif here, "
        "with a colour table and class names (QGIS shows them as they are).")] = None,
    crs: CrsOpt = None,
    json_out: JsonOpt = None,
) -> None:
    """Per-class number density, area percentage, frequency ratio and information value."""
    import pandas as pd

    from geohazard.io_utils import write_text_atomic
    from geohazard.landslide import factors as fac
    from geohazard.landslide import inventory as inv

    bin_map = _bin_map(bins, factor)
    rasters = _load_factors(factor, crs, set(_pairs(factor, "--factor")) - set(bin_map))
    ref = next(iter(rasters.values()))
    with cli_terms(_FLAGS):
        ds = inv.inventory_rasters(inv.read_inventory(inventory, crs=crs), ref)
        tables = {n: fac.factor_statistics(da, ds, bins=bin_map.get(n)) for n, da in
                  rasters.items()}
    df = pd.concat([t.assign(factor=n) for n, t in tables.items()], ignore_index=True)
    write_text_atomic(out, df.to_csv(index=False))
    if classes_dir is not None:
        from geohazard.landslide.categorical import write_class_geotiff

        for n, da in rasters.items():
            codes, scheme = fac.factor_classes(da, bin_map.get(n))
            write_class_geotiff(codes, classes_dir / f"{n}_classes.tif", scheme)
    console.print(kv_table("factor statistics", {
        "landslides": ds.attrs["n_landslides"], "outside grid": ds.attrs["n_outside_grid"],
        "factors": ", ".join(tables), "table": str(out)}))
    emit_json(json_out, {"table": str(out), "n_landslides": ds.attrs["n_landslides"],
                         "factors": {n: t.to_dict(orient="records") for n, t in tables.items()}})


def susceptibility(
    inventory: Annotated[Path, typer.Option("--inventory", help="Landslide polygons/points.")],
    factor: FactorOpt,
    out: Annotated[Path, typer.Option("--out", help="Output folder.")],
    method: Annotated[str, typer.Option("--method", help="logistic or random_forest.")
                      ] = "logistic",
    categorical: Annotated[list[str] | None, typer.Option(
        "--categorical", help="Class factor name; repeat.")] = None,
    balance: Annotated[float, typer.Option("--balance", help="Stable cells per landslide "
                                           "cell.")] = 1.0,
    block_size: Annotated[float | None, typer.Option(
        "--block-size", help="Spatial CV block side (CRS units).")] = None,
    folds: Annotated[int, typer.Option("--folds", help="Cross-validation folds.")] = 5,
    trees: Annotated[int, typer.Option("--trees", help="Random-forest trees.")] = 200,
    report: Annotated[bool, typer.Option("--report/--no-report", help="HTML report.")] = True,
    crs: CrsOpt = None,
    seed: SeedOpt = None,
    json_out: JsonOpt = None,
) -> None:
    """Fit, validate on spatial blocks, map susceptibility to GeoTIFF and report."""
    from geohazard.landslide import inventory as inv
    from geohazard.workflows.landslide import susceptibility_job

    cats = list(categorical or [])
    _check_susceptibility_flags(method, cats, factor, balance, block_size, folds, trees)
    check_flag("seed", seed, "--seed")
    rasters = _load_factors(factor, crs, set(cats))
    ref = next(iter(rasters.values()))
    with cli_terms(_FLAGS):
        gdf = inv.read_inventory(inventory, crs=crs)
        ds = inv.inventory_rasters(gdf, ref)
    with console.status(f"fitting {method} with blocked cross-validation"), cli_terms(_FLAGS):
        res = susceptibility_job(rasters, ds["mask"].rio.write_crs(ref.rio.crs), out,
                                 report=report, landslides=gdf, method=method,
                                 categorical=cats, balance=balance, block_size=block_size,
                                 n_folds=folds, n_estimators=trees, inventory=ds, rng=seed)
    console.print(kv_table("susceptibility", {
        "method": method, "cells": res["n_cells"], "landslide cells": res["n_landslide_cells"],
        "held-out AUC": res["cv"]["auc_mean"], "AUC std": res["cv"]["auc_std"],
        "prediction-rate AUC": res["cv"]["prediction_rate"]["auc"],
        "GeoTIFF": res["susceptibility_tif"], "GeoPackage": res["landslides_gpkg"],
        "report": res.get("report", "-")}))
    emit_json(json_out, res)


def _check_susceptibility_flags(method: str, cats: list[str], factor: list[str],
                                balance: float, block_size: float | None, folds: int,
                                trees: int) -> None:
    from geohazard.landslide.susceptibility import METHODS

    check_choice(method, METHODS, "--method")
    unknown = sorted(set(cats) - set(_pairs(factor, "--factor")))
    if unknown:
        raise InputError(f"--categorical names {', '.join(unknown)}, which is no --factor")
    check_flag("balance", balance, "--balance")
    check_flag("block_size", block_size, "--block-size")
    check_flag("n_folds", folds, "--folds")
    check_flag("n_estimators", trees, "--trees")


def register(app: typer.Typer) -> None:
    """Attach the factor and susceptibility commands to ``app``."""
    app.command("terrain")(terrain)
    app.command("fault-factors")(fault_factors)
    app.command("factors")(factors)
    app.command("susceptibility")(susceptibility)
