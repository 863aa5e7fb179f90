"""PGA-landslide relation: landslide density and frequency ratio by PGA class (issue 15).

The Tibetan Plateau review's Fig. 4 relates landslide density to peak ground acceleration.
:func:`pga_landslide_relation` computes it for one inventory on the grid of a PGA raster,
with and without topographic amplification (:mod:`geohazard.landslide.amplification`),
using the class statistics of :func:`geohazard.landslide.factors.factor_statistics`
(landslide area density ``area_pct``, number density, frequency ratio ``fr``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from geohazard.exceptions import ParameterError
from geohazard.landslide.checks import check_param

__all__ = ["DEFAULT_PGA_EDGES", "PgaRelation", "pga_landslide_relation"]

#: PGA class edges in g (0.1 g steps up to 1 g, then open-ended to 5 g).
DEFAULT_PGA_EDGES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 5.0)


@dataclass(frozen=True)
class PgaRelation:
    """Landslide statistics per PGA class (frozen).

    Attributes
    ----------
    tables
        ``"without amplification"`` and, when given, ``"with amplification"`` to a
        factor-statistics table (one row per PGA class).
    edges
        PGA class edges in g.
    spearman
        Rank correlation of class-median PGA and landslide area density, per table.
    """

    tables: dict[str, pd.DataFrame]
    edges: tuple[float, ...]
    spearman: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        cols = ["label", "class_area_km2", "n_landslides", "landslide_area_km2",
                "number_density_per_km2", "area_pct", "fr"]
        return {"edges_g": list(self.edges), "spearman": self.spearman,
                "tables": {k: t[cols].to_dict(orient="records") for k, t in
                           self.tables.items()}}


def pga_landslide_relation(pga_g: xr.DataArray, inventory: xr.Dataset, *,
                           amplification: xr.DataArray | None = None,
                           edges: Sequence[float] = DEFAULT_PGA_EDGES) -> PgaRelation:
    """Landslide density and frequency ratio by PGA class.

    Parameters
    ----------
    pga_g
        PGA raster in g on the inventory's grid.
    inventory
        :func:`~geohazard.landslide.inventory.inventory_rasters` on that grid.
    amplification
        Topographic amplification factor (any grid); adds the "with amplification" table.
    edges
        Class edges in g (strictly increasing).

    Returns
    -------
    PgaRelation
    """
    from scipy.stats import spearmanr

    from geohazard.landslide.amplification import apply_amplification
    from geohazard.landslide.factors import factor_statistics

    e = tuple(float(v) for v in edges)
    if len(e) < 2 or np.any(np.diff(e) <= 0):
        raise ParameterError(f"PGA class edges must increase strictly, got {list(e)}")
    check_param("pga_g", pga_g.values, "PGA")
    layers = {"without amplification": pga_g}
    if amplification is not None:
        layers["with amplification"] = apply_amplification(pga_g, amplification)
    tables, rho = {}, {}
    mids = 0.5 * (np.asarray(e[:-1]) + np.asarray(e[1:]))
    for name, da in layers.items():
        t = factor_statistics(da.rename("pga_g"), inventory, bins=list(e))
        tables[name] = t
        ok = t["n_cells"].to_numpy() > 0
        r = spearmanr(mids[ok], t["area_pct"].to_numpy()[ok]).statistic if ok.sum() > 2 \
            else float("nan")
        rho[name] = float(r)
    return PgaRelation(tables, e, rho)
