"""The EarthquakeNPP protocol (Stockman, Lawson & Werner, arXiv 2410.08226): data, splits, scores.

Written from the protocol, not copied from its code. A dataset is an EarthquakeNPP-format CSV
(``time`` UTC, ``longitude``, ``latitude``, ``magnitude``; optional projected ``x``, ``y`` in
km) plus a config (:class:`NPPConfig`, YAML) with the split dates, the completeness rule and
the region. ``SanJac_10`` ships with the package (:func:`load_npp_config` with no path).

Conventions (as the benchmark's ETAS and Poisson scoring)::

    time          days since ``auxiliary_start``; windows half-open [start, end)
    catalog       events in [auxiliary_start, test_end) inside the region polygon, with the
                  magnitude binned (round half up to ``delta_m``) and kept by ``mc_rule``
    auxiliary     [auxiliary_start, train_start): conditions (source-only), never scored
    fit           train + val, [train_start, test_start), as in the benchmark's ETAS
    test          events in [test_start, test_end), i = 1..N, t_0 = test_start
    TLL_i         log lambda_g(t_i) - int_{t_(i-1)}^{t_i} lambda_g(s) ds      (per day)
    SLL_i         log lambda(t_i, x_i) - log lambda_g(t_i) = log f(x_i | t_i)  (per km2)

every intensity conditioned on the full history since ``auxiliary_start``. Reported: the
means of ``TLL_i`` and ``SLL_i`` over the test events (``tll_events``, the benchmark's
figure), and ``tll`` which also subtracts the survival term from the last event to
``test_end`` (the exact log-likelihood per event). The magnitude density is not scored.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from geohazard.catalog.io import parse_utc
from geohazard.exceptions import CatalogError, DataFileNotFoundError, InputError, ParameterError

log = logging.getLogger(__name__)

SPLITS = ("auxiliary_start", "train_start", "val_start", "test_start", "test_end")
DAY = pd.Timedelta(days=1)


# ----------------------------------------------------------------------------- config
@dataclass(frozen=True)
class NPPConfig:
    """Splits, completeness rule and region of one EarthquakeNPP dataset.

    Attributes
    ----------
    name
        Dataset name (``"SanJac_10"``).
    auxiliary_start, train_start, val_start, test_start, test_end
        Split boundaries (UTC), increasing; windows are half-open.
    mc, mc_rule, delta_m
        Keep events whose magnitude, binned round-half-up to ``delta_m`` (0: no binning),
        is ``>= mc`` (``mc_rule=">="``) or ``> mc``.
    region_lat, region_lon
        Polygon vertices in degrees.
    earth_radius_km
        Sphere radius of great-circle distances (the benchmark's ETAS: 6378.1 km).
    """

    name: str
    auxiliary_start: pd.Timestamp
    train_start: pd.Timestamp
    val_start: pd.Timestamp
    test_start: pd.Timestamp
    test_end: pd.Timestamp
    mc: float
    mc_rule: str
    delta_m: float
    region_lat: tuple[float, ...]
    region_lon: tuple[float, ...]
    earth_radius_km: float = 6378.1
    source: str = ""
    area_km2: float = field(init=False)

    def __post_init__(self) -> None:
        _check_config(self)
        object.__setattr__(self, "area_km2", polygon_area_km2(self.region_lon, self.region_lat))

    def days(self, name: str) -> float:
        """Split boundary ``name`` in days since ``auxiliary_start``."""
        return float((getattr(self, name) - self.auxiliary_start) / DAY)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description."""
        out: dict[str, Any] = {"name": self.name, "source": self.source}
        out.update({s: getattr(self, s).isoformat() for s in SPLITS})
        out.update(mc=self.mc, mc_rule=self.mc_rule, delta_m=self.delta_m,
                   region={"latitude": list(self.region_lat),
                           "longitude": list(self.region_lon)},
                   earth_radius_km=self.earth_radius_km, area_km2=self.area_km2)
        return out


def _check_config(cfg: NPPConfig) -> None:
    where = f"config {cfg.source or cfg.name}"
    stamps = [getattr(cfg, s) for s in SPLITS]
    for a, b, sa, sb in zip(stamps, stamps[1:], SPLITS, SPLITS[1:], strict=False):
        if not a < b:
            raise ParameterError(f"{where}: {sa} ({a}) must be before {sb} ({b})")
    if not math.isfinite(cfg.mc):
        raise ParameterError(f"{where}: mc must be a finite magnitude, got {cfg.mc}")
    if cfg.mc_rule not in (">=", ">"):
        raise ParameterError(f"{where}: mc_rule must be '>=' or '>', got {cfg.mc_rule!r}")
    if not (math.isfinite(cfg.delta_m) and 0.0 <= cfg.delta_m <= 1.0):
        raise ParameterError(f"{where}: delta_m must be in [0, 1], got {cfg.delta_m}")
    lat, lon = np.asarray(cfg.region_lat, float), np.asarray(cfg.region_lon, float)
    if lat.size < 3 or lat.size != lon.size:
        raise ParameterError(f"{where}: region needs >= 3 vertices with as many latitudes "
                             f"as longitudes (got {lat.size} and {lon.size})")
    if not (np.all(np.abs(lat) <= 90) and np.all(np.abs(lon) <= 180)):
        raise ParameterError(f"{where}: region latitude must be in [-90, 90] and longitude "
                             "in [-180, 180]")
    if not (math.isfinite(cfg.earth_radius_km) and 6000 < cfg.earth_radius_km < 6500):
        raise ParameterError(f"{where}: earth_radius_km must be about 6371, "
                             f"got {cfg.earth_radius_km}")


def polygon_area_km2(lon: tuple[float, ...], lat: tuple[float, ...]) -> float:
    """Area of a lon/lat polygon in km2 on an Albers equal-area projection (WGS84).

    The standard parallels are the polygon's southern and northern latitude, as the
    benchmark's ``polygon_surface``; the edges are straight lines in the projected plane.
    """
    from pyproj import CRS, Transformer

    lat_a, lon_a = np.asarray(lat, float), np.asarray(lon, float)
    crs = CRS.from_proj4(f"+proj=aea +lat_1={float(lat_a.min())!r} +lat_2={float(lat_a.max())!r} "
                         "+datum=WGS84 +units=m +no_defs")
    x, y = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lon_a, lat_a)
    x, y = np.asarray(x), np.asarray(y)
    area = 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))
    if not area > 0:
        raise ParameterError("region polygon has zero area")
    return area / 1e6


def load_npp_config(path: str | Path | None = None) -> NPPConfig:
    """Read a YAML config (the shipped ``SanJac_10`` when ``path`` is None)."""
    import yaml

    if path is None:
        text = (resources.files("geohazard") / "data" / "npp_SanJac_10.yaml").read_text()
        source = "SanJac_10 (package data)"
    else:
        path = Path(path)
        if not path.is_file():
            raise DataFileNotFoundError(f"--config {path}: no such file")
        text, source = path.read_text(encoding="utf-8", errors="replace"), str(path)
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(f"config {source}: not valid YAML ({str(exc).splitlines()[0]})"
                         ) from None
    if not isinstance(raw, dict):
        raise InputError(f"config {source}: expected a mapping of settings")
    return config_from_dict(raw, source)


def config_from_dict(raw: dict[str, Any], source: str = "") -> NPPConfig:
    """Build an :class:`NPPConfig` from a mapping (the YAML's contents)."""
    where = f"config {source}" if source else "config"
    missing = [k for k in (*SPLITS, "mc", "region") if k not in raw]
    if missing:
        raise InputError(f"{where}: missing key(s) {', '.join(missing)}")
    region = raw["region"]
    if not isinstance(region, dict) or not {"latitude", "longitude"} <= set(region):
        raise InputError(f"{where}: region must have 'latitude' and 'longitude' lists")
    try:
        stamps = {s: _utc(raw[s]) for s in SPLITS}
        return NPPConfig(
            name=str(raw.get("name", Path(source).stem or "npp")), **stamps,
            mc=float(raw["mc"]), mc_rule=str(raw.get("mc_rule", ">=")),
            delta_m=float(raw.get("delta_m", 0.0)),
            region_lat=tuple(float(v) for v in region["latitude"]),
            region_lon=tuple(float(v) for v in region["longitude"]),
            earth_radius_km=float(raw.get("earth_radius_km", 6378.1)), source=source)
    except (TypeError, ValueError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(f"{where}: {exc}") from None


def _utc(value: Any) -> pd.Timestamp:
    ts = pd.Timestamp(str(value))
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


# ----------------------------------------------------------------------------- data
@dataclass(frozen=True, eq=False)
class NPPData:
    """One dataset under the protocol: arrays sorted by time (float64 days since aux start).

    Attributes
    ----------
    t, lat, lon, m
        (n,) times in days, degrees and binned magnitudes of the kept events.
    x, y
        (n,) projected km: the CSV's columns when present (for EarthquakeNPP files,
        ``x`` is northing and ``y`` easting), else an azimuthal equidistant projection
        (sphere R = 6371 km) centred on the catalog mean.
    config
        The :class:`NPPConfig`.
    n_outside
        Events in the time window dropped for lying outside the region polygon.
    """

    t: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    m: np.ndarray
    x: np.ndarray
    y: np.ndarray
    config: NPPConfig
    n_outside: int = 0
    source: str = ""

    def index(self, split: str) -> int:
        """Index of the first event at or after split boundary ``split``."""
        return int(np.searchsorted(self.t, self.config.days(split), side="left"))

    @property
    def test_slice(self) -> slice:
        """Events scored: [test_start, test_end)."""
        return slice(self.index("test_start"), self.t.size)

    def counts(self) -> dict[str, int]:
        """Events per window: auxiliary, train, val, test."""
        idx = [self.index(s) for s in SPLITS[:-1]] + [self.t.size]
        return {name: idx[k + 1] - idx[k] for k, name in
                enumerate(("auxiliary", "train", "val", "test"))}


def bin_magnitudes(m: np.ndarray, delta_m: float) -> np.ndarray:
    """Round half up to multiples of ``delta_m`` (identity when 0)."""
    if delta_m <= 0:
        return np.asarray(m, float)
    return np.floor(np.asarray(m, float) / delta_m + 0.5 + 1e-9) * delta_m


def read_npp_catalog(path: str | Path, config: NPPConfig | None = None) -> NPPData:
    """Read an EarthquakeNPP-format CSV and apply the config's window, region and Mc rule."""
    config = config or load_npp_config()
    path = Path(path)
    if path.is_dir():
        raise CatalogError(f"catalog {path}: is a directory, expected a CSV file")
    if not path.is_file():
        raise DataFileNotFoundError(f"catalog {path}: no such file")
    try:
        df = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise CatalogError(f"catalog {path}: not a readable CSV ({exc})") from None
    return npp_data_from_frame(df, config, source=str(path))


def _column(df: pd.DataFrame, name: str, where: str) -> np.ndarray:
    if name not in df.columns:
        raise CatalogError(f"{where}: missing column '{name}'")
    values = pd.to_numeric(df[name], errors="coerce").to_numpy(np.float64)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        raise CatalogError(f"{where}: column '{name}' row {int(bad[0]) + 1} is not a finite "
                           f"number ({str(df[name].iloc[bad[0]])!r})")
    return values


def _times(df: pd.DataFrame, where: str) -> pd.DatetimeIndex:
    if "time" not in df.columns:
        raise CatalogError(f"{where}: missing column 'time'")
    times = parse_utc(df["time"])
    bad = np.flatnonzero(times.isna().to_numpy())
    if bad.size:
        raise CatalogError(f"{where}: column 'time' row {int(bad[0]) + 1} is not a date "
                           f"({str(df['time'].iloc[bad[0]])!r})")
    return pd.DatetimeIndex(times)


def npp_data_from_frame(df: pd.DataFrame, config: NPPConfig, source: str = "frame"
                        ) -> NPPData:
    """Apply the protocol's filters to a table with time, longitude, latitude, magnitude."""
    where = f"catalog {source}"
    times = _times(df, where)
    lon, lat = _column(df, "longitude", where), _column(df, "latitude", where)
    mag = _column(df, "magnitude", where)
    if np.any(np.abs(lat) > 90) or np.any(np.abs(lon) > 180):
        raise CatalogError(f"{where}: latitude/longitude out of range (degrees expected)")
    bad = np.flatnonzero((mag < -3) | (mag > 10))
    if bad.size:
        raise CatalogError(f"{where}: column 'magnitude' row {int(bad[0]) + 1} is outside "
                           f"[-3, 10] ({mag[bad[0]]:g})")
    has_xy = {"x", "y"} <= set(df.columns)
    x, y = ((_column(df, "x", where), _column(df, "y", where)) if has_xy else (lon, lat))
    order = np.argsort(times.asi8, kind="stable")
    t = ((times - config.auxiliary_start) / DAY).to_numpy(np.float64)[order]
    lon, lat, mag, x, y = (a[order] for a in (lon, lat, mag, x, y))
    in_time = (t >= 0) & (t < config.days("test_end"))
    inside = in_region(lon, lat, config)
    m = bin_magnitudes(mag, config.delta_m)
    tol = 1e-9
    above = m >= config.mc - tol if config.mc_rule == ">=" else m > config.mc + tol
    keep = in_time & inside & above
    if not keep.any():
        raise CatalogError(f"{where}: no events in [{config.auxiliary_start.date()}, "
                           f"{config.test_end.date()}) inside the region with M "
                           f"{config.mc_rule} {config.mc}")
    if not has_xy:
        x, y = project_aeqd(lon[keep], lat[keep])
    else:
        x, y = x[keep], y[keep]
    data = NPPData(t=t[keep], lat=lat[keep], lon=lon[keep], m=m[keep], x=x, y=y,
                   config=config, n_outside=int(np.sum(in_time & above & ~inside)),
                   source=source)
    _check_windows(data, where)
    return data


def _check_windows(data: NPPData, where: str) -> None:
    counts = data.counts()
    empty = [k for k in ("train", "test") if counts[k] == 0]
    if empty:
        raise CatalogError(f"{where}: no events in the {' and '.join(empty)} window(s) of "
                           f"config {data.config.name}")
    if np.any(np.diff(data.t) <= 0):
        log.warning("%s: tied event times; intensities at ties use strictly earlier events",
                    where)


def in_region(lon: np.ndarray, lat: np.ndarray, config: NPPConfig) -> np.ndarray:
    """Points inside or on the boundary of the config's polygon (shapely ``intersects``)."""
    import shapely

    poly = shapely.Polygon(list(zip(config.region_lon, config.region_lat, strict=True)))
    return np.asarray(shapely.intersects_xy(poly, lon, lat), bool)


def project_aeqd(lon: np.ndarray, lat: np.ndarray, radius_km: float = 6371.0
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Azimuthal equidistant (sphere) about the mean point: (northing, easting) km.

    The EarthquakeNPP convention: ``x`` is the northing and ``y`` the easting.
    """
    p0, l0 = np.radians(np.mean(lat)), np.radians(np.mean(lon))
    p, dl = np.radians(lat), np.radians(lon) - l0
    cos_c = np.sin(p0) * np.sin(p) + np.cos(p0) * np.cos(p) * np.cos(dl)
    c = np.arccos(np.clip(cos_c, -1.0, 1.0))
    k = np.where(c > 0, radius_km * c / np.where(c > 0, np.sin(c), 1.0), radius_km)
    north = k * (np.cos(p0) * np.sin(p) - np.sin(p0) * np.cos(p) * np.cos(dl))
    east = k * np.cos(p) * np.sin(dl)
    return north, east


# ----------------------------------------------------------------------------- scores
class NPPModel(Protocol):
    """What :func:`score_model` needs from a model fitted under the protocol."""

    name: str

    def fit(self, data: NPPData) -> NPPModel:
        """Fit on the fit window with the auxiliary window as history."""

    def temporal_terms(self, data: NPPData) -> tuple[np.ndarray, np.ndarray, float]:
        """``log lambda_g(t_i)`` (N,), ``int_{t_(i-1)}^{t_i} lambda_g`` (N,), tail integral."""

    def log_spatial_density(self, data: NPPData) -> np.ndarray:
        """``log f(x_i | t_i)`` per km2 for the N test events."""


@dataclass(frozen=True)
class NPPScores:
    """Per-test-event temporal and spatial log-likelihoods of one model.

    Attributes
    ----------
    model
        Model name.
    tll, sll
        (N,) ``TLL_i`` (per day) and ``SLL_i`` (per km2).
    tail
        ``int_{t_N}^{test_end} lambda_g``: the survival term after the last test event.
    """

    model: str
    tll: np.ndarray
    sll: np.ndarray
    tail: float
    seed: int | None = None
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def n_events(self) -> int:
        """Test events scored."""
        return int(self.tll.size)

    def summary(self) -> dict[str, float]:
        """Means per test event: ``tll_events`` (benchmark), ``tll`` (with tail), ``sll``."""
        n = max(self.n_events, 1)
        tll_events = float(np.mean(self.tll))
        return {"tll_events": tll_events, "tll": tll_events - self.tail / n,
                "sll": float(np.mean(self.sll)),
                "ll": tll_events + float(np.mean(self.sll))}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (per-event arrays left out)."""
        return {"model": self.model, "seed": self.seed, "n_events": self.n_events,
                "tail": self.tail, **self.summary(), "info": self.info}


def score_model(model: NPPModel, data: NPPData, seed: int | None = None) -> NPPScores:
    """Per-event TLL and SLL of a fitted model on the test window of ``data``."""
    log_lg, comp, tail = model.temporal_terms(data)
    log_f = model.log_spatial_density(data)
    n = data.t[data.test_slice].size
    for name, arr in (("log lambda_g", log_lg), ("compensator", comp), ("log density", log_f)):
        if np.shape(arr) != (n,):
            raise InputError(f"model {model.name}: {name} has shape {np.shape(arr)}, "
                             f"expected ({n},)")
    return NPPScores(model=model.name, tll=np.asarray(log_lg) - np.asarray(comp),
                     sll=np.asarray(log_f, float), tail=float(tail), seed=seed,
                     info=getattr(model, "info_", {}))


# ----------------------------------------------------------------------------- Poisson
class PoissonNPP:
    """Homogeneous Poisson process, uniform over the region (the benchmark's baseline).

    The rate is the count of events in [auxiliary_start, test_start] over that span, in
    events per day per km2, so ``TLL = log(mu A) - mu A T_test / N`` and ``SLL = -log A``.
    """

    name = "poisson"

    def fit(self, data: NPPData) -> PoissonNPP:
        """Estimate the rate on auxiliary + train + val."""
        span = data.config.days("test_start")
        n = int(np.sum(data.t <= span))
        self.rate_per_day_ = n / span
        self.info_ = {"rate_per_day": self.rate_per_day_, "n_fit": n, "fit_days": span}
        return self

    def _check(self) -> None:
        if not hasattr(self, "rate_per_day_"):
            from geohazard.exceptions import NotFittedError

            raise NotFittedError("PoissonNPP is not fitted; call fit() first")

    def temporal_terms(self, data: NPPData) -> tuple[np.ndarray, np.ndarray, float]:
        """Constant log rate; compensator = rate x inter-event time."""
        self._check()
        t = data.t[data.test_slice]
        gaps = np.diff(np.concatenate([[data.config.days("test_start")], t]))
        tail = self.rate_per_day_ * (data.config.days("test_end") - t[-1])
        return np.full(t.size, math.log(self.rate_per_day_)), self.rate_per_day_ * gaps, tail

    def log_spatial_density(self, data: NPPData) -> np.ndarray:
        """Uniform over the region: ``-log A``."""
        self._check()
        return np.full(data.t[data.test_slice].size, -math.log(data.config.area_km2))
