"""Earthquake-induced landslides: terrain and fault factors, susceptibility, Newmark, scaling.

The public names below load on first use, so nothing heavy is imported with the package::

    from geohazard.landslide import SusceptibilityModel, read_raster, slope_deg, jibson_2007

Modules:

``raster``
    Raster I/O on :class:`xarray.DataArray` with rioxarray CRS: read, align, write, cell sizes.
``terrain``
    Slope, aspect, relief and curvatures with true cell sizes; windowed and Dask runs.
``hydrology``
    D8 upslope area and the topographic wetness index.
``faults``, ``fault_reading``
    Fault reading, distance to fault, hanging wall / footwall and active-side classification.
``vector``, ``categorical``
    GeoPackage outputs with a CRS (landslides with their susceptibility and class, fault
    traces with their side); class GeoTIFFs with a colour table and class names.
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
"""

from __future__ import annotations

from geohazard._lazy import lazy_exports

_EXPORTS = {
    "read_raster": "raster", "write_geotiff": "raster", "align_to": "raster",
    "slope_deg": "terrain", "aspect_deg": "terrain", "curvature": "terrain",
    "local_relief": "terrain", "twi": "hydrology", "flow_accumulation": "hydrology",
    "read_faults": "faults", "fault_factors": "faults", "read_inventory": "inventory",
    "inventory_rasters": "inventory", "factor_statistics": "factors",
    "SusceptibilityModel": "susceptibility", "cell_table": "susceptibility",
    "blocked_cross_validation": "susceptibility", "predict_map": "susceptibility",
    "roc_auc": "susceptibility", "run_susceptibility": "pipeline", "factor_of_safety": "newmark",
    "critical_acceleration": "newmark", "jibson_2007": "newmark", "saygili_rathje_2008": "newmark",
    "bray_travasarou_2007": "newmark", "newmark_maps": "newmark", "run_jessee2018": "usgs",
    "read_shakemap_grid": "shakemap", "Rupture": "groundmotion",
    "scenario_shaking": "groundmotion", "vs30_from_slope": "groundmotion",
    "fit_scaling": "scaling", "topographic_amplification": "amplification",
    "pga_landslide_relation": "shaking_relation", "classify_modes": "modes", "run_modes": "modes",
    "fit_decay": "evolution", "fit_evolution": "evolution", "published_recovery_times": "recovery",
    "synthetic_case": "synthetic", "write_gpkg": "vector", "landslide_points": "vector",
    "landslides_with_susceptibility": "vector", "fault_traces_with_side": "vector",
    "susceptibility_classes": "vector", "write_class_geotiff": "categorical",
    "read_class_geotiff": "categorical", "ClassScheme": "categorical",
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
