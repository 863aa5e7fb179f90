"""The immutable earthquake :class:`Catalog` and its point-process view, :class:`EventSequence`.

Conventions
-----------
- A catalog keeps UTC timestamps (``datetime64[ns, UTC]``); point-process code works in
  float64 **days** since the catalog's start (``metadata.start``, or the first event).
- A sequence's inter-event times end with the survival gap from the last event to ``t_end``.
- RECAST-paper splits: every split's sequence starts at the catalog start; train is scored
  on ``(train_start, val_start]``, val on ``(val_start, test_start]`` and test on
  ``(test_start, end]``. Events at or after ``t_end`` are not part of the sequence.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from geohazard.exceptions import CatalogError

log = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("time", "magnitude")
OPTIONAL_COLUMNS = ("latitude", "longitude", "depth", "x", "y")
Split = Literal["train", "val", "test"]
SPLITS: tuple[Split, ...] = ("train", "val", "test")
_DAY_NS = 86_400 * 10**9
#: Nanoseconds per unit of the resolutions :meth:`Catalog.from_days` rounds times to
_UNIT_NS = {"ns": 1, "us": 10**3, "ms": 10**6, "s": 10**9}


def to_utc(value: Any, what: str = "time") -> pd.Timestamp:
    """Parse ``value`` into a UTC :class:`pandas.Timestamp` (naive times are taken as UTC)."""
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise CatalogError(f"{what}: cannot parse {value!r} as a time ({exc})") from None
    if ts is pd.NaT:
        raise CatalogError(f"{what}: missing time")
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


@dataclass(frozen=True)
class CatalogMetadata:
    """Frozen description of a catalog, mirroring the JSON sidecar.

    Attributes
    ----------
    name, source
        Identification and provenance.
    mag_completeness
        Magnitude of completeness Mc; events are strictly above it (paper convention).
    mag_roundoff
        Magnitude bin width (rounding) of the reported magnitudes, e.g. 0.1 or 0.01.
    start, end
        Observation window; time zero of the point-process view is ``start``.
    train_start, val_start, test_start
        The RECAST paper's split dates.
    extra
        Any other sidecar keys, kept verbatim.
    """

    name: str = ""
    source: str = ""
    mag_completeness: float | None = None
    mag_roundoff: float = 0.0
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    train_start: pd.Timestamp | None = None
    val_start: pd.Timestamp | None = None
    test_start: pd.Timestamp | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    _TIME_FIELDS = ("start", "end", "train_start", "val_start", "test_start")

    def __post_init__(self) -> None:
        for key in self._TIME_FIELDS:
            value = getattr(self, key)
            if value is not None:
                object.__setattr__(self, key, to_utc(value, what=f"metadata '{key}'"))
        dates = [getattr(self, k) for k in self._TIME_FIELDS if k != "end"] + [self.end]
        present = [d for d in dates if d is not None]
        if present != sorted(present):
            raise CatalogError(
                "metadata: split dates must satisfy start <= train_start <= val_start "
                f"<= test_start <= end, got {[str(d) for d in dates]}"
            )

    @property
    def has_splits(self) -> bool:
        """True when train/val/test start dates are all known."""
        return None not in (self.train_start, self.val_start, self.test_start)

    def replace(self, **changes: Any) -> CatalogMetadata:
        """Return a copy with ``changes`` applied."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping in the sidecar's key names."""
        out: dict[str, Any] = {"name": self.name, "source": self.source}
        if self.mag_completeness is not None:
            out["mag_completeness"] = self.mag_completeness
        out["mag_roundoff_error"] = self.mag_roundoff
        for key in self._TIME_FIELDS:
            value = getattr(self, key)
            if value is not None:
                out[key] = value.isoformat()
        out.update(dict(self.extra))
        return out


@dataclass(frozen=True)
class EventSequence:
    """A temporal point-process realisation on ``[t_start, t_end]`` in days.

    Attributes
    ----------
    times
        (N,) float64 event times in days since the catalog start, sorted, all < ``t_end``.
    magnitudes
        (N,) float64 magnitudes.
    t_start, t_end
        Observation window in days (``t_start`` is 0 for catalog-derived sequences).
    t_nll_start
        Events in ``(t_nll_start, t_end]`` are scored; earlier ones are history.
    mag_completeness
        Mc of the catalog (None if unknown).
    origin
        UTC timestamp of ``t = 0``.
    features
        Optional extra per-event features, name -> (N,) array (depth, x, y ...).
    """

    times: np.ndarray
    magnitudes: np.ndarray
    t_start: float
    t_end: float
    t_nll_start: float
    mag_completeness: float | None = None
    origin: pd.Timestamp | None = None
    features: Mapping[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        times = np.ascontiguousarray(self.times, dtype=np.float64)
        mags = np.ascontiguousarray(self.magnitudes, dtype=np.float64)
        if times.shape != mags.shape or times.ndim != 1:
            raise CatalogError("sequence: times and magnitudes must be 1-D of equal length")
        if not self.t_start <= self.t_nll_start <= self.t_end:
            raise CatalogError(
                f"sequence: need t_start <= t_nll_start <= t_end, got "
                f"{self.t_start}, {self.t_nll_start}, {self.t_end}"
            )
        if times.size and (times[0] < self.t_start or times[-1] > self.t_end):
            raise CatalogError("sequence: event times fall outside [t_start, t_end]")
        if times.size > 1 and np.any(np.diff(times) < 0):
            raise CatalogError("sequence: event times must be sorted")
        for arr in (times, mags):
            arr.flags.writeable = False
        object.__setattr__(self, "times", times)
        object.__setattr__(self, "magnitudes", mags)

    def __len__(self) -> int:
        return int(self.times.size)

    @property
    def inter_times(self) -> np.ndarray:
        """(N + 1,) gaps: first from ``t_start``, last the survival gap to ``t_end``."""
        return np.diff(np.concatenate(([self.t_start], self.times, [self.t_end])))

    @property
    def scored(self) -> np.ndarray:
        """(N,) boolean mask of events in ``(t_nll_start, t_end]``."""
        return window_mask(self.times, self.t_nll_start, self.t_end)

    @property
    def n_scored(self) -> int:
        """Number of events in the scored interval."""
        return int(self.scored.sum())

    @property
    def scored_days(self) -> float:
        """Length of the scored interval in days (the NLL-per-day divisor)."""
        return float(self.t_end - self.t_nll_start)

    def utc_of(self, days: Any) -> pd.Timestamp | pd.DatetimeIndex:
        """UTC time of ``days`` since :attr:`origin`, as :meth:`Catalog.utc_of`."""
        if self.origin is None:
            raise CatalogError("sequence has no origin: its days have no UTC time")
        return utc_of_days(days, self.origin)


class Catalog:
    """An immutable, validated earthquake catalog.

    Parameters
    ----------
    data
        Table with required columns ``time`` (parsed to UTC) and ``magnitude``, and
        optional ``latitude``, ``longitude``, ``depth``, ``x``, ``y`` (other columns kept).
    metadata
        Frozen :class:`CatalogMetadata`; defaults to an empty one.
    validate
        Sort by time (with a warning when needed) and check required columns.

    Notes
    -----
    Every operation returns a new object; the underlying arrays are read-only.
    """

    __slots__ = ("_data", "_metadata")

    def __init__(
        self,
        data: pd.DataFrame | Mapping[str, Any],
        metadata: CatalogMetadata | None = None,
        *,
        validate: bool = True,
    ) -> None:
        df = pd.DataFrame(data).copy()
        if validate:
            df = _validate_frame(df, source=(metadata.name if metadata else "") or "catalog")
        for col in df.columns:
            if not isinstance(df[col].dtype, np.dtype):
                continue  # an extension column (UTC times): to_numpy() would build a copy
            arr = df[col].to_numpy()
            if isinstance(arr, np.ndarray):
                arr.flags.writeable = False
        self._data = df
        self._metadata = metadata or CatalogMetadata()

    # -- basic access -----------------------------------------------------------------
    @property
    def metadata(self) -> CatalogMetadata:
        """The frozen metadata."""
        return self._metadata

    @property
    def columns(self) -> list[str]:
        """Column names."""
        return list(self._data.columns)

    @property
    def times(self) -> pd.DatetimeIndex:
        """UTC event times."""
        return pd.DatetimeIndex(self._data["time"])

    @property
    def magnitudes(self) -> np.ndarray:
        """(N,) magnitudes (read-only)."""
        return self._data["magnitude"].to_numpy(dtype=np.float64)

    def __len__(self) -> int:
        return len(self._data)

    def __getitem__(self, column: str) -> np.ndarray:
        if column not in self._data.columns:
            raise KeyError(f"catalog has no column {column!r}; columns are {self.columns}")
        return self._data[column].to_numpy()

    def __repr__(self) -> str:
        name = self.metadata.name or "Catalog"
        if len(self) == 0:
            return f"<{name}: 0 events>"
        return (
            f"<{name}: {len(self)} events, {self.times[0]:%Y-%m-%d} to {self.times[-1]:%Y-%m-%d}, "
            f"M {self.magnitudes.min():.2f}-{self.magnitudes.max():.2f}>"
        )

    def to_pandas(self) -> pd.DataFrame:
        """A copy of the table as a DataFrame."""
        return self._data.copy()

    # -- the field's own objects (geohazard.catalog.interop) ---------------------------
    def to_obspy(self) -> Any:
        """The catalog as an :class:`obspy.core.event.Catalog` (write QuakeML from it)."""
        from geohazard.catalog.interop import to_obspy

        return to_obspy(self)

    @classmethod
    def from_obspy(cls, events: Any, metadata: CatalogMetadata | None = None) -> Catalog:
        """A catalog from an :class:`obspy.core.event.Catalog` (preferred origins)."""
        from geohazard.catalog.interop import from_obspy

        return from_obspy(events, metadata)

    def to_csep(self, region: Any = None) -> Any:
        """The catalog as a pyCSEP :class:`~csep.core.catalogs.CSEPCatalog`."""
        from geohazard.catalog.interop import to_csep

        return to_csep(self, region)

    @property
    def is_simulated(self) -> bool:
        """True for a simulated catalog (sidecar ``"simulated": true``), not observations."""
        return bool(self.metadata.extra.get("simulated", False))

    @property
    def coverage_end(self) -> pd.Timestamp:
        """End of the time span the catalog covers (UTC).

        The sidecar ``end`` when given, else the last event time. When the catalog stops
        implausibly long before its sidecar ``end`` (:meth:`coverage_shortfall`), the
        events evidently end early and the last event time is returned: no window after it
        is covered by data.
        """
        md_end = self.metadata.end
        if len(self) == 0:
            if md_end is None:
                raise CatalogError(f"catalog '{self.metadata.name}' is empty and has no "
                                   "sidecar 'end': it covers no time")
            return md_end
        if md_end is None or self.coverage_shortfall() is not None:
            return self.times[-1]
        return md_end

    def coverage_shortfall(self) -> tuple[pd.Timestamp, pd.Timestamp] | None:
        """``(last event, sidecar end)`` when the events stop implausibly early, else None.

        Implausible: the quiet stretch from the last event to the sidecar ``end`` is longer
        than every gap between consecutive events, and the catalog's mean rate would put at
        least 10 events in it (a Poisson process leaves it empty with probability < 5e-5).
        """
        md_end = self.metadata.end
        if md_end is None or len(self) < 2:
            return None
        days = self.days()
        tail = self.day_of(md_end) - float(days[-1])
        span = float(days[-1] - min(days[0], 0.0))
        if tail <= 0 or span <= 0:
            return None
        longest = float(np.max(np.diff(days)))
        if tail > longest and tail * len(self) / span >= 10.0:
            return self.times[-1], md_end
        return None

    def check_covered(self, when: Any, what: str = "time") -> pd.Timestamp:
        """Return ``when`` as UTC; raise :class:`CatalogError` unless the catalog covers it.

        A time is covered when it lies between :attr:`origin` and :attr:`coverage_end`.
        """
        ts = to_utc(when, what)
        start, end = self.origin, self.coverage_end
        if ts < start:
            raise CatalogError(f"{what} {ts} is before the start of the data (catalog "
                               f"'{self.metadata.name}' starts {start}): there is no history")
        if ts > end:
            raise CatalogError(f"{what} {ts} is after the end of the data (catalog "
                               f"'{self.metadata.name}': {_coverage_text(self)})")
        return ts

    @property
    def origin(self) -> pd.Timestamp:
        """Time zero of the point-process view: ``metadata.start`` or the first event."""
        if self.metadata.start is not None:
            return self.metadata.start
        if len(self) == 0:
            raise CatalogError("empty catalog has no origin; set metadata.start")
        return self.times[0]

    # -- derived copies ---------------------------------------------------------------
    def with_metadata(self, **changes: Any) -> Catalog:
        """Return a copy whose metadata has ``changes`` applied."""
        return Catalog(self._data, self.metadata.replace(**changes), validate=False)

    def select(self, **ranges: tuple[Any, Any] | Any) -> Catalog:
        """Select events by keyword ranges, ``column=(low, high)``, bounds inclusive.

        ``None`` leaves a side open; times accept strings or timestamps.
        Example: ``cat.select(time=("2010", "2012"), magnitude=(2.5, None))``.
        """
        mask = np.ones(len(self), dtype=bool)
        for column, bounds in ranges.items():
            if column not in self._data.columns:
                raise CatalogError(f"select: catalog has no column '{column}'")
            if not isinstance(bounds, tuple) or len(bounds) != 2:
                raise CatalogError(f"select: '{column}' needs a (low, high) tuple")
            low, high = bounds
            values = self._data[column]
            if column == "time":
                low = None if low is None else to_utc(low, "select time")
                high = None if high is None else to_utc(high, "select time")
            if low is not None:
                mask &= (values >= low).to_numpy()
            if high is not None:
                mask &= (values <= high).to_numpy()
        return Catalog(self._data.loc[mask].reset_index(drop=True), self.metadata, validate=False)

    def above_completeness(self, mc: float | None = None) -> Catalog:
        """Events with magnitude strictly above ``mc`` (default: ``metadata.mag_completeness``)."""
        mc = self.metadata.mag_completeness if mc is None else mc
        if mc is None:
            raise CatalogError("above_completeness: no Mc given and none in metadata")
        keep = self.magnitudes > mc
        out = Catalog(self._data.loc[keep].reset_index(drop=True), self.metadata, validate=False)
        return out.with_metadata(mag_completeness=float(mc))

    # -- point-process view -----------------------------------------------------------
    def days(self) -> np.ndarray:
        """(N,) float64 days since :attr:`origin`."""
        return _days_between(self.times, self.origin)

    def day_of(self, when: Any) -> float:
        """Float64 days from :attr:`origin` to ``when``."""
        return float(_days_between(pd.DatetimeIndex([to_utc(when)]), self.origin)[0])

    def utc_of(self, days: Any) -> pd.Timestamp | pd.DatetimeIndex:
        """UTC time of ``days`` since :attr:`origin` (the inverse of :meth:`day_of`).

        A scalar gives a Timestamp, an array a DatetimeIndex; both rounded to the nanosecond.
        """
        return utc_of_days(days, self.origin)

    def in_window(self, t0: float, t1: float) -> np.ndarray:
        """(N,) bool: events in the half-open window ``(t0, t1]`` of days since the origin.

        The one window test of forecasts and their scores: an event at ``t0`` belongs to the
        window before.
        """
        return window_mask(self.days(), t0, t1)

    @classmethod
    def from_days(cls, days: Any, magnitudes: Any, origin: Any, *,
                  metadata: CatalogMetadata | None = None,
                  resolution: Literal["ns", "us", "ms", "s"] = "ns", **columns: Any) -> Catalog:
        """A catalog from float64 ``days`` since ``origin`` (UTC) and magnitudes.

        Parameters
        ----------
        days, magnitudes
            (N,) event times in days since ``origin`` and their magnitudes.
        origin
            UTC time of day 0; it becomes the metadata ``start`` unless that is set.
        metadata
            Metadata of the new catalog (default: only ``start``).
        resolution
            Times are rounded to this unit after ``origin`` (``"ms"``, as real catalogs
            store them; default the nanosecond).
        **columns
            Further (N,) columns, e.g. ``longitude``, ``latitude``.
        """
        start = to_utc(origin, "origin")
        md = metadata or CatalogMetadata()
        if md.start is None:
            md = md.replace(start=start)
        if resolution not in _UNIT_NS:
            raise CatalogError(f"from_days: resolution must be one of {list(_UNIT_NS)}, "
                               f"got {resolution!r}")
        unit = _UNIT_NS[resolution]
        ticks = np.round(np.asarray(days, dtype=np.float64) * (_DAY_NS // unit))
        times = start + pd.to_timedelta(ticks.astype(np.int64) * unit, unit="ns")
        return cls({"time": times, "magnitude": np.asarray(magnitudes), **columns}, md)

    def split_bounds(self, split: Split) -> tuple[float, float]:
        """``(t_nll_start, t_end)`` in days for a RECAST-paper split."""
        md = self.metadata
        if not md.has_splits:
            raise CatalogError(
                f"catalog '{md.name}' has no train/val/test split dates in its metadata"
            )
        if split not in SPLITS:
            raise CatalogError(f"unknown split {split!r}; use one of {SPLITS}")
        end = self.coverage_end
        key = {"train": "train_start", "val": "val_start", "test": "test_start"}[split]
        edges = {"train": (md.train_start, md.val_start), "val": (md.val_start, md.test_start),
                 "test": (md.test_start, end)}
        lo, hi = edges[split]
        if lo >= end or hi > end:
            bad, name = (lo, key) if lo >= end else (hi, _SPLIT_END[split])
            raise CatalogError(
                f"catalog '{md.name}': split date '{name}' = {bad} lies beyond the data "
                f"({_coverage_text(self)}); fix the sidecar's split dates")
        return self.day_of(lo), self.day_of(hi)

    def to_sequence(
        self,
        split: Split | None = None,
        *,
        t_end: Any = None,
        t_nll_start: Any = None,
        features: tuple[str, ...] = (),
    ) -> EventSequence:
        """Point-process view of the catalog.

        Parameters
        ----------
        split
            ``"train"``, ``"val"`` or ``"test"``: window from the catalog start to the
            split's end, scored from the split's start (the RECAST paper's convention).
            None: the whole catalog, scored from its start.
        t_end, t_nll_start
            Explicit window end / scoring start (UTC times); override ``split``.
        features
            Extra columns to carry as per-event features.
        """
        if split is not None:
            nll0, end = self.split_bounds(split)
        else:
            nll0 = 0.0
            md_end = self.metadata.end
            end = self.day_of(md_end) if md_end is not None else (
                float(self.days()[-1]) if len(self) else 0.0)
        if t_end is not None:
            end = self.day_of(t_end)
            if end < 0:
                raise CatalogError(f"window end {to_utc(t_end)} is before the start of catalog "
                                   f"'{self.metadata.name}' ({self.origin})")
        if t_nll_start is not None:
            nll0 = self.day_of(t_nll_start)
        days = self.days()
        keep = (days >= 0.0) & (days < end) if split is not None or t_end is not None else (
            days >= 0.0) & (days <= end)
        feats = {name: np.asarray(self[name], dtype=np.float64)[keep] for name in features}
        return EventSequence(
            times=days[keep], magnitudes=self.magnitudes[keep], t_start=0.0, t_end=float(end),
            t_nll_start=float(nll0), mag_completeness=self.metadata.mag_completeness,
            origin=self.origin, features=feats,
        )

    def split_counts(self) -> dict[str, int]:
        """Number of scored events per split (train / val / test)."""
        return {s: self.to_sequence(s).n_scored for s in SPLITS}


_SPLIT_END = {"train": "val_start", "val": "test_start", "test": "end"}


def _coverage_text(cat: Catalog) -> str:
    """How far a catalog's data reach, for error messages."""
    md = cat.metadata
    if len(cat) == 0:
        return f"no events; sidecar end {md.end}"
    last = cat.times[-1]
    if md.end is None:
        return f"last event {last}, no sidecar 'end'"
    if cat.coverage_shortfall() is not None:
        return f"events stop at {last}, long before the sidecar 'end' {md.end}"
    return f"sidecar 'end' {md.end}, last event {last}"


def window_mask(days: np.ndarray, t0: float, t1: float) -> np.ndarray:
    """(N,) bool: ``days`` in the half-open window ``(t0, t1]`` (see :meth:`Catalog.in_window`).

    For loops over many windows of one catalog, with its :meth:`Catalog.days` computed once.
    """
    days = np.asarray(days)
    return (days > t0) & (days <= t1)


def utc_of_days(days: Any, origin: pd.Timestamp) -> pd.Timestamp | pd.DatetimeIndex:
    """UTC time of float64 ``days`` since ``origin``, rounded to the nanosecond.

    The one days -> UTC conversion (:meth:`Catalog.utc_of`, :meth:`EventSequence.utc_of` and
    forecasts' dates all use it), for code that holds an origin but no catalog.
    """
    arr = np.asarray(days, dtype=np.float64)
    ns = np.round(arr * _DAY_NS).astype(np.int64) + origin.as_unit("ns").value
    out = pd.to_datetime(ns.ravel(), unit="ns", utc=True)
    return out[0] if arr.ndim == 0 else out


def _days_between(times: pd.DatetimeIndex, origin: pd.Timestamp) -> np.ndarray:
    """Float64 days, exact to the nanosecond integer difference."""
    ns = times.as_unit("ns").asi8 - origin.as_unit("ns").value
    return ns.astype(np.float64) / _DAY_NS


def _validate_frame(df: pd.DataFrame, source: str) -> pd.DataFrame:
    """Check required columns, coerce types, sort by time."""
    for col in REQUIRED_COLUMNS:
        if col not in df.columns:
            raise CatalogError(
                f"{source}: missing required column '{col}' (columns: {list(df.columns)})"
            )
    if not isinstance(df["time"].dtype, pd.DatetimeTZDtype):
        df["time"] = pd.to_datetime(df["time"], utc=True)
    else:
        df["time"] = df["time"].dt.tz_convert("UTC")
    df["time"] = df["time"].dt.as_unit("ns")
    for col in ("magnitude", *OPTIONAL_COLUMNS):
        if col in df.columns:
            df[col] = pd.to_numeric(df[col], errors="raise").astype(np.float64)
    for col in REQUIRED_COLUMNS:
        bad = np.flatnonzero(df[col].isna().to_numpy())
        if bad.size:
            raise CatalogError(f"{source}: column '{col}' is missing a value at row {bad[0]}")
    if not df["time"].is_monotonic_increasing:
        log.warning("%s: events were not sorted by time; sorted them", source)
        df = df.sort_values("time", kind="stable")
    return df.reset_index(drop=True)
