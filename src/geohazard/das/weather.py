"""Weather ingest and alignment to DAS energy windows.

Every reader returns a :class:`pandas.DataFrame` indexed by **UTC interval end**
(``time``), with columns ``interval_s`` (length of the interval the row describes),
``wind_mps``, ``gust_mps`` (NaN if absent) and ``rain_mmph`` (mean rain rate over the
interval; accumulations are divided by the interval length).  A row at time ``t``
describes ``(t - interval_s, t]`` (the meteorological convention for accumulations;
instantaneous or averaged winds are given the same interval).

Formats: a generic CSV (configurable columns and units), ASOS one-minute data
(DSI-6405 wind, DSI-6406 precipitation; local standard time converted to UTC with the
offset coded in each record) and NOAA ISD-Lite (hourly, UTC).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from geohazard.exceptions import DASError, DataFileNotFoundError, ParameterError

SPEED_TO_MPS = {"m/s": 1.0, "mps": 1.0, "knots": 0.514444, "kt": 0.514444, "kts": 0.514444,
                "mph": 0.44704, "km/h": 1 / 3.6, "kmh": 1 / 3.6, "kph": 1 / 3.6}
DEPTH_TO_MM = {"mm": 1.0, "in": 25.4, "inch": 25.4, "inches": 25.4, "cm": 10.0}
RATE_TO_MMPH = {"mm/h": 1.0, "mmph": 1.0, "mm/hr": 1.0, "in/h": 25.4, "in/hr": 25.4,
                "inph": 25.4, "mm/min": 60.0, "mm/s": 3600.0}
COLUMNS = ["interval_s", "wind_mps", "gust_mps", "rain_mmph"]


@dataclass(frozen=True)
class WeatherColumns:
    """Column names and units of a generic weather CSV (None: detect).

    Attributes
    ----------
    time, wind, gust, precip
        Column names.  Detection looks for names containing ``time``/``date``,
        ``wind``/``speed`` (not gust/dir), ``gust``, ``precip``/``rain``.
    wind_units
        One of :data:`SPEED_TO_MPS` keys; detected from the column name
        (``_mps``, ``_kt``, ``_mph``, ``(knots)``...), default m/s.
    precip_units
        A depth unit (accumulation over the interval: mm, in) or a rate unit (mm/h,
        in/h); detected from the column name, default mm (accumulation).
    timezone
        Zone of naive times (default UTC); aware times are converted to UTC.
    time_label
        ``"end"`` (row describes the interval ending at its time) or ``"start"``.
    """

    time: str | None = None
    wind: str | None = None
    gust: str | None = None
    precip: str | None = None
    wind_units: str | None = None
    precip_units: str | None = None
    timezone: str = "UTC"
    time_label: str = "end"


def _find(cols: list[str], include: tuple[str, ...], exclude: tuple[str, ...] = ()) -> str | None:
    for c in cols:
        low = c.lower()
        if any(k in low for k in include) and not any(k in low for k in exclude):
            return c
    return None


def _unit_from_name(name: str, table: dict[str, float]) -> str | None:
    low = name.lower()
    tokens = re.split(r"[\s_()\[\],]+", low)
    for unit in sorted(table, key=len, reverse=True):
        if unit in tokens or f"({unit})" in low or f"[{unit}]" in low:
            return unit
    return None


def _precip_unit(name: str, given: str | None) -> tuple[str, bool]:
    """Unit and whether it is a rate."""
    unit = given or _unit_from_name(name, RATE_TO_MMPH) or _unit_from_name(name, DEPTH_TO_MM)
    unit = (unit or "mm").lower()
    if unit in RATE_TO_MMPH:
        return unit, True
    if unit in DEPTH_TO_MM:
        return unit, False
    raise ParameterError(f"precipitation unit {unit!r} unknown; use one of "
                         f"{sorted(DEPTH_TO_MM) + sorted(RATE_TO_MMPH)}")


def _to_utc(values: pd.Series, tz: str, where: str) -> pd.DatetimeIndex:
    try:
        t = pd.to_datetime(values, utc=False, format="mixed")
    except (ValueError, TypeError) as exc:
        raise DASError(f"{where}: cannot parse times ({exc})") from None
    idx = pd.DatetimeIndex(t)
    if idx.tz is None:
        idx = idx.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
    return idx.tz_convert("UTC")


def read_weather_csv(path: str | Path, columns: WeatherColumns | None = None) -> pd.DataFrame:
    """Read a generic weather CSV into the standard table (see module notes)."""
    p = Path(path)
    if not p.exists():
        raise DataFileNotFoundError(f"{p}: weather file not found")
    cfg = columns or WeatherColumns()
    raw = pd.read_csv(p)
    cols = list(raw.columns)
    tcol = _require(cfg.time or _find(cols, ("time", "date", "valid")), "time", cols, p)
    wcol = _require(cfg.wind or _find(cols, ("wind", "speed", "sknt"), ("gust", "dir")),
                    "wind", cols, p)
    gcol = cfg.gust or _find(cols, ("gust",), ("dir",))
    pcol = _require(cfg.precip or _find(cols, ("precip", "rain", "prcp")), "precip", cols, p)
    times = _to_utc(raw[tcol], cfg.timezone, str(p))
    bad = np.flatnonzero(times.isna())
    if bad.size:
        raise DASError(f"{p}: unparseable time in row {bad[0] + 2} ('{raw[tcol].iloc[bad[0]]}')")
    wunit = (cfg.wind_units or _unit_from_name(wcol, SPEED_TO_MPS) or "m/s").lower()
    if wunit not in SPEED_TO_MPS:
        raise ParameterError(f"wind unit {wunit!r} unknown; use one of {sorted(SPEED_TO_MPS)}")
    punit, is_rate = _precip_unit(pcol, cfg.precip_units)
    df = pd.DataFrame({
        "wind": _numeric(raw[wcol], p, wcol) * SPEED_TO_MPS[wunit],
        "gust": (_numeric(raw[gcol], p, gcol) * SPEED_TO_MPS[wunit]) if gcol else np.nan,
        "precip": _numeric(raw[pcol], p, pcol),
    })
    df.index = times
    if cfg.time_label not in ("end", "start"):
        raise ParameterError(f"time_label must be 'end' or 'start', got {cfg.time_label!r}")
    return _standardise(df, punit, is_rate, cfg.time_label == "start")


def _require(col: str | None, label: str, cols: list[str], path: Path) -> str:
    if col is None or col not in cols:
        raise DASError(f"{path}: no {label} column found among {cols}; name it explicitly")
    return col


def _numeric(col: pd.Series, path: Path, name: str) -> pd.Series:
    vals = pd.to_numeric(col.replace({"M": np.nan, "": np.nan, "T": 0.0}), errors="coerce")
    bad = np.flatnonzero(vals.isna() & col.notna() & ~col.astype(str).isin(["M", "", "nan"]))
    if bad.size:
        raise DASError(f"{path}: column '{name}' row {bad[0] + 2}: non-numeric value "
                       f"'{col.iloc[bad[0]]}'")
    return vals.astype(float)


def _intervals(index: pd.DatetimeIndex) -> np.ndarray:
    """Length (s) of each row's interval.

    The spacing to the previous row, capped at the typical spacing so that a gap is not
    spread over the row after it.
    """
    t = index.as_unit("ns").asi8 / 1e9
    if t.size < 2:
        return np.full(t.size, 60.0)
    d = np.diff(t)
    nominal = float(np.median(d[d > 0])) if np.any(d > 0) else 60.0
    return np.minimum(np.r_[nominal, d], nominal)


def _standardise(df: pd.DataFrame, punit: str, is_rate: bool, start_label: bool) -> pd.DataFrame:
    df = df[~df.index.duplicated(keep="first")].sort_index()
    interval = _intervals(df.index)
    if start_label:  # shift to interval ends
        df.index = df.index + pd.to_timedelta(np.r_[interval[1:], interval[-1:]], unit="s")
        interval = _intervals(df.index)
    if is_rate:
        rate = df["precip"] * RATE_TO_MMPH[punit]
    else:
        rate = df["precip"] * DEPTH_TO_MM[punit] / (interval / 3600.0)
    out = pd.DataFrame({"interval_s": interval, "wind_mps": df["wind"].to_numpy(),
                        "gust_mps": df["gust"].to_numpy() if "gust" in df else np.nan,
                        "rain_mmph": rate.to_numpy()}, index=df.index)
    out.index.name = "time"
    if (out["rain_mmph"] < 0).any() or (out["wind_mps"] < 0).any():
        row = int(np.flatnonzero((out["rain_mmph"] < 0) | (out["wind_mps"] < 0))[0])
        raise DASError(f"negative wind or precipitation at {out.index[row]}")
    return out


# ------------------------------------------------------------------ ASOS one-minute
_ASOS_HEAD = re.compile(r"^(\d{5})(\w{4}) ?(\w{3})(\d{8})(\d{4})(\d{4})")


def _asos_time(line: str, path: Path, lineno: int) -> tuple[pd.Timestamp, str]:
    m = _ASOS_HEAD.match(line)
    if not m:
        raise DASError(f"{path}: line {lineno}: not an ASOS one-minute record")
    date, lst, utc = m.group(4), m.group(5), m.group(6)
    t_lst = pd.Timestamp(f"{date}{lst}", tz="UTC")  # local standard time, offset below
    offset = (int(utc[:2]) * 60 + int(utc[2:]) - int(lst[:2]) * 60 - int(lst[2:])) % 1440
    if offset > 720:
        offset -= 1440
    return t_lst + pd.Timedelta(minutes=offset), line[m.end():]


def _asos_lines(path: Path) -> list[str]:
    if not path.exists():
        raise DataFileNotFoundError(f"{path}: ASOS file not found")
    return [ln.rstrip("\n") for ln in path.read_text(errors="replace").splitlines() if ln.strip()]


def read_asos_6405(path: str | Path) -> pd.DataFrame:
    """ASOS one-minute page-1 data (DSI-6405): 2-minute mean wind and 5-s gust, knots.

    The wind fields are the four integers after the visibility block: direction and
    speed of the 2-minute mean wind, direction and speed of the peak 5-second wind.
    Returns ``time`` (UTC), ``wind_mps``, ``gust_mps``.
    """
    p = Path(path)
    rows = []
    for i, line in enumerate(_asos_lines(p), start=1):
        t, rest = _asos_time(line, p, i)
        ints = _first_int_run(rest.split(), 4)
        if ints is None:
            rows.append((t, np.nan, np.nan))
        else:
            rows.append((t, ints[1] * SPEED_TO_MPS["kt"], ints[3] * SPEED_TO_MPS["kt"]))
    df = pd.DataFrame(rows, columns=["time", "wind_mps", "gust_mps"]).set_index("time")
    return df[~df.index.duplicated()].sort_index()


def _first_int_run(tokens: list[str], k: int) -> list[int] | None:
    run: list[int] = []
    for tok in tokens:
        if re.fullmatch(r"\d+", tok):
            run.append(int(tok))
            if len(run) == k:
                return run
        else:
            run = []
    return None


def read_asos_6406(path: str | Path) -> pd.DataFrame:
    """ASOS one-minute page-2 data (DSI-6406): one-minute precipitation in inches.

    The precipitation amount is the first decimal number after the precipitation
    identifier (``NP``, ``R-``, ``R+``...); ``M`` means missing.
    Returns ``time`` (UTC) and ``rain_mmph``.
    """
    p = Path(path)
    rows = []
    for i, line in enumerate(_asos_lines(p), start=1):
        t, rest = _asos_time(line, p, i)
        tokens = rest.split()
        amount = np.nan
        for tok in tokens[1:]:
            if re.fullmatch(r"\d*\.\d+", tok):
                amount = float(tok)
                break
            if tok == "M":
                break
        rows.append((t, amount * 25.4 * 60.0))  # in per minute -> mm/h
    df = pd.DataFrame(rows, columns=["time", "rain_mmph"]).set_index("time")
    return df[~df.index.duplicated()].sort_index()


def read_asos_1min(wind_path: str | Path, precip_path: str | Path | None = None) -> pd.DataFrame:
    """Merge DSI-6405 wind and (optional) DSI-6406 precipitation into the standard table."""
    wind = read_asos_6405(wind_path)
    if precip_path is not None:
        wind = wind.join(read_asos_6406(precip_path), how="outer")
    else:
        wind["rain_mmph"] = np.nan
    wind.insert(0, "interval_s", 60.0)
    wind.index.name = "time"
    return wind[COLUMNS]


# ------------------------------------------------------------------ ISD-Lite
def read_isd_lite(path: str | Path) -> pd.DataFrame:
    """NOAA ISD-Lite hourly file (UTC): wind (0.1 m/s) and 1-h precipitation (0.1 mm).

    Missing is -9999; a trace (-1) counts as 0.  The 1-h precipitation is the
    accumulation over the hour ending at the observation time.
    """
    p = Path(path)
    if not p.exists():
        raise DataFileNotFoundError(f"{p}: ISD-Lite file not found")
    names = ["year", "month", "day", "hour", "temp", "dew", "slp", "wdir", "wspd", "sky",
             "p1", "p6"]
    try:
        raw = pd.read_csv(p, sep=r"\s+", header=None, names=names, compression="infer")
    except (ValueError, pd.errors.ParserError) as exc:
        raise DASError(f"{p}: not an ISD-Lite file ({exc})") from None
    if raw.isna().any().any():
        row = int(np.flatnonzero(raw.isna().any(axis=1))[0]) + 1
        raise DASError(f"{p}: line {row} has fewer than 12 fields")
    times = pd.to_datetime(raw[["year", "month", "day", "hour"]]).dt.tz_localize("UTC")
    wind = raw["wspd"].where(raw["wspd"] != -9999) / 10.0
    p1 = raw["p1"].where(raw["p1"] != -9999).replace(-1, 0) / 10.0
    df = pd.DataFrame({"interval_s": 3600.0, "wind_mps": wind.to_numpy(), "gust_mps": np.nan,
                       "rain_mmph": p1.to_numpy()}, index=pd.DatetimeIndex(times, name="time"))
    return df[~df.index.duplicated()].sort_index()


def _head(path: Path, n: int = 400) -> str:
    if not path.exists():
        raise DataFileNotFoundError(f"{path}: weather file not found")
    if path.suffix == ".gz":
        import gzip

        with gzip.open(path, "rt", errors="replace") as fh:
            return fh.read(n)
    with path.open(errors="replace") as fh:
        return fh.read(n)


def read_weather(path: str | Path, fmt: str = "auto", columns: WeatherColumns | None = None,
                 precip_path: str | Path | None = None) -> pd.DataFrame:
    """Read weather in any supported format (``auto``, ``csv``, ``asos``, ``isd``)."""
    p = Path(path)
    if fmt == "auto":
        head = _head(p)
        if _ASOS_HEAD.match(head):
            fmt = "asos"
        elif re.match(r"^\d{4}\s+\d{1,2}\s+\d{1,2}\s+\d{1,2}\s", head):
            fmt = "isd"
        else:
            fmt = "csv"
    if fmt == "csv":
        return read_weather_csv(p, columns)
    if fmt == "asos":
        return read_asos_1min(p, precip_path)
    if fmt == "isd":
        return read_isd_lite(p)
    raise ParameterError(f"weather format {fmt!r} unknown; use auto, csv, asos or isd")


# ------------------------------------------------------------------ alignment
def resample_to_windows(weather: pd.DataFrame, window_starts: pd.DatetimeIndex | np.ndarray,
                        window_s: float, min_coverage: float = 0.5) -> pd.DataFrame:
    """Time-weighted mean of each weather column over each energy window.

    Each row is a constant value over ``(time - interval_s, time]``; a window's value is
    the mean over the part of the window covered by valid rows.  Windows covered less
    than ``min_coverage`` (gaps, missing values) get NaN.  Works for weather finer or
    coarser than the windows (hourly ISD-Lite spreads over 60 one-minute windows).

    Returns
    -------
    pandas.DataFrame
        Indexed by window start (UTC): ``wind_mps``, ``gust_mps``, ``rain_mmph`` and
        ``coverage`` of each (``wind_coverage``, ``rain_coverage``).
    """
    starts = pd.DatetimeIndex(window_starts)
    if starts.tz is None:
        starts = starts.tz_localize("UTC")
    w0 = starts.as_unit("ns").asi8 / 1e9
    w1 = w0 + window_s
    end = weather.index.as_unit("ns").asi8 / 1e9
    beg = end - weather["interval_s"].to_numpy(float)
    out = pd.DataFrame(index=starts)
    for col, cov_name in (("wind_mps", "wind_coverage"), ("gust_mps", None),
                          ("rain_mmph", "rain_coverage")):
        vals = weather[col].to_numpy(float) if col in weather else np.full(end.size, np.nan)
        mean, cover = _interval_mean(beg, end, vals, w0, w1)
        out[col] = np.where(cover >= min_coverage, mean, np.nan)
        if cov_name:
            out[cov_name] = cover
    out.index.name = "time"
    return out


def _interval_mean(beg: np.ndarray, end: np.ndarray, vals: np.ndarray, w0: np.ndarray,
                   w1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean of piecewise-constant ``vals`` on [beg, end) over windows [w0, w1)."""
    ok = np.isfinite(vals)
    b, e, v = beg[ok], end[ok], vals[ok]
    order = np.argsort(b)
    b, e, v = b[order], e[order], v[order]
    # cumulative integral and covered time at the sorted interval edges
    edges = np.unique(np.r_[b, e])
    dens_v = np.zeros(edges.size)
    dens_c = np.zeros(edges.size)
    i0, i1 = np.searchsorted(edges, b), np.searchsorted(edges, e)
    np.add.at(dens_v, i0, v)
    np.add.at(dens_v, i1, -v)
    np.add.at(dens_c, i0, 1.0)
    np.add.at(dens_c, i1, -1.0)
    level_v, level_c = np.cumsum(dens_v)[:-1], np.minimum(np.cumsum(dens_c)[:-1], 1.0)
    widths = np.diff(edges)
    cum_v = np.r_[0.0, np.cumsum(level_v * widths)]
    cum_c = np.r_[0.0, np.cumsum(level_c * widths)]
    if edges.size == 0:
        return np.full(w0.size, np.nan), np.zeros(w0.size)
    iv = np.interp(w1, edges, cum_v) - np.interp(w0, edges, cum_v)
    ic = np.interp(w1, edges, cum_c) - np.interp(w0, edges, cum_c)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(ic > 0, iv / ic, np.nan)
    return mean, ic / (w1 - w0)
