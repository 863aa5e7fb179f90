"""Catalogs to and from the field's own objects: ObsPy (and QuakeML through it) and pyCSEP.

- :func:`to_obspy` / :func:`from_obspy`: an :class:`obspy.core.event.Catalog` with one
  ``Event`` per row (preferred origin: time, latitude, longitude, depth in metres; preferred
  magnitude with its type), and back. A catalog without locations gives origins with time
  only. Reading back gives the same events to the microsecond and the same magnitudes.
- :func:`write_quakeml`: QuakeML 1.2 through ObsPy, written atomically.
- :func:`to_csep`: a pyCSEP :class:`~csep.core.catalogs.CSEPCatalog` (origin times in epoch
  milliseconds, as pyCSEP keeps them), ready for pyCSEP's tests and plots.

ObsPy and pyCSEP are imported only when these are called.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geohazard.catalog.core import Catalog, CatalogMetadata
from geohazard.exceptions import CatalogError
from geohazard.io_utils import atomic_path

__all__ = ["from_obspy", "is_obspy_catalog", "to_csep", "to_obspy", "write_quakeml"]

_ID_PREFIX = "smi:local/geohazard"


def is_obspy_catalog(obj: Any) -> bool:
    """True for an :class:`obspy.core.event.Catalog` (checked without importing ObsPy)."""
    return any(cls.__module__.startswith("obspy") and cls.__name__ == "Catalog"
               for cls in type(obj).__mro__)


def _value(row: pd.Series, column: str) -> float | None:
    if column not in row.index:
        return None
    value = row[column]
    return None if value is None or pd.isna(value) else float(value)


def to_obspy(catalog: Catalog) -> Any:
    """The catalog as an :class:`obspy.core.event.Catalog` (one event per row).

    Depths are written in metres (QuakeML's unit) from the catalog's kilometres; a
    ``mag_type`` column, when present, becomes each magnitude's type, and an ``event_id``
    column the event's resource id.
    """
    from obspy import UTCDateTime
    from obspy.core.event import Catalog as ObsCatalog
    from obspy.core.event import Event, Magnitude, Origin, ResourceIdentifier

    df = catalog.to_pandas()
    events = []
    for i, row in enumerate(df.itertuples(index=False)):
        rec = pd.Series(row._asdict())
        t = pd.Timestamp(rec["time"])
        depth_km = _value(rec, "depth")
        origin = Origin(time=UTCDateTime(ns=int(t.value)),
                        latitude=_value(rec, "latitude"), longitude=_value(rec, "longitude"),
                        depth=None if depth_km is None else depth_km * 1000.0)
        mag_type = rec.get("mag_type") if "mag_type" in rec.index else None
        magnitude = Magnitude(mag=float(rec["magnitude"]), origin_id=origin.resource_id,
                              magnitude_type=None if mag_type is None or pd.isna(mag_type)
                              else str(mag_type))
        ev_id = rec.get("event_id") if "event_id" in rec.index else None
        rid = f"{_ID_PREFIX}/{ev_id if ev_id is not None and not pd.isna(ev_id) else i + 1}"
        event = Event(resource_id=ResourceIdentifier(rid), origins=[origin],
                      magnitudes=[magnitude])
        event.preferred_origin_id = origin.resource_id
        event.preferred_magnitude_id = magnitude.resource_id
        events.append(event)
    md = catalog.metadata
    return ObsCatalog(events=events, description=md.name or None,
                      resource_id=ResourceIdentifier(f"{_ID_PREFIX}/catalog"))


def from_obspy(events: Any, metadata: CatalogMetadata | None = None) -> Catalog:
    """A :class:`Catalog` from an :class:`obspy.core.event.Catalog`.

    Each event's preferred origin and magnitude (else the first) give time, location,
    depth (km) and magnitude; an event without either is refused, naming its position.
    """
    from geohazard.catalog.io import _clean_frame, obspy_to_frame

    if not is_obspy_catalog(events):
        raise CatalogError(f"expected an obspy Catalog, got {type(events).__name__}")
    name = getattr(events, "description", None) or "obspy"
    frame = _clean_frame(obspy_to_frame(events, source=str(name)), Path(str(name)))
    meta = metadata or CatalogMetadata(name=str(name), source="obspy")
    return Catalog(frame, meta)


def write_quakeml(catalog: Catalog, path: str | Path) -> Path:
    """Write the catalog as QuakeML 1.2 (atomically) and return the path."""
    p = Path(path)
    obs = to_obspy(catalog)
    with atomic_path(p) as tmp:
        obs.write(str(tmp), format="QUAKEML")
    return p


def to_csep(catalog: Catalog, region: Any = None, catalog_id: int = 0) -> Any:
    """The catalog as a pyCSEP :class:`~csep.core.catalogs.CSEPCatalog`.

    Parameters
    ----------
    catalog
        The catalog; events without a location get latitude and longitude NaN (pyCSEP's
        temporal tests do not use them).
    region
        A pyCSEP region to attach (needed for spatial tests and ``filter_spatial``).
    catalog_id
        pyCSEP's catalog id.
    """
    from csep.core.catalogs import CSEPCatalog

    df = catalog.to_pandas()
    n = len(df)
    ev = np.zeros(n, dtype=CSEPCatalog.dtype)
    ids = df["event_id"].astype(str).to_numpy() if "event_id" in df else np.arange(1, n + 1)
    ev["id"] = np.asarray(ids).astype("S256")
    ev["origin_time"] = pd.DatetimeIndex(df["time"]).as_unit("ns").asi8 // 1_000_000
    for col in ("latitude", "longitude", "depth"):
        ev[col] = df[col].to_numpy(np.float64) if col in df else np.nan
    ev["magnitude"] = df["magnitude"].to_numpy(np.float64)
    return CSEPCatalog(data=ev, catalog_id=catalog_id, region=region,
                       name=catalog.metadata.name or None, compute_stats=False)
