"""Earthquake-induced landslides: terrain and fault factors, susceptibility, Newmark, scaling.

Modules (import them directly; nothing heavy is imported with the package):

``raster``
    Raster I/O on :class:`xarray.DataArray` with rioxarray CRS: read, align, write, cell sizes.
``terrain``
    Slope, aspect, relief and curvatures with true cell sizes; windowed and Dask runs.
``hydrology``
    D8 upslope area and the topographic wetness index.
``faults``
    Fault reading, distance to fault, hanging wall / footwall and active-side classification.
``inventory``
    Landslide inventories (polygons or points) to raster masks and cell tables.
``factors``
    Per-class statistics: number density, area percentage, frequency ratio, information value.
``susceptibility``
    Logistic regression and random forest on cells, balanced sampling, blocked cross-validation.
``pipeline``
    Fit, blocked validation, GeoTIFF map, figures and HTML report in one call.
``synthetic``
    Synthetic terrain, fault and landslides drawn from a known logistic model.
``newmark``, ``usgs``, ``shakemap``, ``groundmotion``, ``scaling``
    Newmark displacement, the USGS global model, ShakeMap grids, scenario shaking and
    magnitude-landslide scaling.
``amplification``, ``shaking_relation``
    Vs30 from slope and topographic amplification by frequency-scaled curvature (windowed),
    applied to PGA/PGV; landslide density and frequency ratio by PGA class.
``modes``
    Fall / slide / avalanche / deformation from polygon metrics on a DEM (Hungr et al. 2014).
``evolution``, ``recovery``
    Exponential and power-law decay of post-earthquake landslide activity; published
    recovery and decay times.
``demo``
    A tiny synthetic susceptibility run used by ``geohazard demo``.
"""

from __future__ import annotations

__all__: list[str] = []
