"""DAS storm noise: band energy, spectra, weather, regression, sources, synthetic storms.

Implements the workflow of Shen & Zhu (2023, GJI 235:2122) as reusable functions over
DASCore patches and spools: :mod:`~geohazard.das.io` (reading any path, spool or patch),
:mod:`~geohazard.das.geometry` (channel positions, GeoPackage),
:mod:`~geohazard.das.quantity` (strain rate, strain or velocity, from the file),
:mod:`~geohazard.das.energy` (streamed, resumable band energy; its kernel, bands and
windows in :mod:`~geohazard.das.bandpower`, :mod:`~geohazard.das.bands`,
:mod:`~geohazard.das.windows`), :mod:`~geohazard.das.patches` (band energy as DASCore
patches),
:mod:`~geohazard.das.weather`, :mod:`~geohazard.das.regression`,
:mod:`~geohazard.das.sources`, :mod:`~geohazard.das.spectra`,
:mod:`~geohazard.das.synthetic` and :mod:`~geohazard.das.pipeline` (end to end).

Public names load on first use (``import geohazard.das`` imports neither DASCore nor
numpy)::

    from geohazard.das import AnalysisConfig, analyze, energy_patches, read_patch
"""

from __future__ import annotations

from geohazard._lazy import lazy_exports

_EXPORTS = {
    "DASFile": "io", "scan_path": "io", "read_patch": "io", "read_geometry": "io",
    "channel_table": "io", "band_energy": "energy", "patch_band_energy": "energy",
    "spool_band_energy": "energy", "compute_band_energy": "energy", "EnergyConfig": "energy",
    "parse_bands": "energy", "WeatherColumns": "weather", "read_weather": "weather",
    "resample_to_windows": "weather", "Thresholds": "regression", "classify_windows": "regression",
    "fit_lines": "regression", "find_events": "regression", "find_sources": "sources",
    "channel_spectra": "spectra", "find_resonances": "spectra", "StormConfig": "synthetic",
    "preset": "synthetic", "simulate_storms": "synthetic", "AnalysisConfig": "pipeline",
    "AnalysisResult": "pipeline", "analyze": "pipeline", "energy_patches": "patches",
    "scan_source": "io", "Quantity": "quantity", "quantity_of": "quantity",
    "write_geopackage": "geometry", "BandClippedWarning": "bands",
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
