"""Earthquake catalogs: the immutable :class:`Catalog`, readers/writers and statistics.

Public names load on first use (``import geohazard.catalog`` imports no pandas)::

    from geohazard.catalog import Catalog, read_catalog, write_catalog, b_value
    cat = read_catalog("SCEDC.csv").select(magnitude=(3.0, None))
    days = cat.days(); cat.utc_of(days[-1]) == cat.times[-1]
"""

from __future__ import annotations

from geohazard._lazy import lazy_exports

_EXPORTS = {
    "SPLITS": "core", "Catalog": "core", "CatalogMetadata": "core", "EventSequence": "core",
    "to_utc": "core", "read_catalog": "io", "write_catalog": "io", "read_sequence": "io",
    "read_sidecar": "io", "BValue": "stats", "b_value": "stats", "b_positive": "stats",
    "mc_maxc": "stats", "mc_bvalue_stability": "stats", "fmd": "stats",
    "magnitude_resolution": "stats", "summarize": "summary", "LocalProjection": "geo",
    "project_catalog": "geo",
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
