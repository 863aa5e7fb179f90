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

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from geohazard.exceptions import DASError, DataFileNotFoundError, ParameterError

log = logging.getLogger(__name__)

SPEED_TO_MPS = {"m/s": 1.0, "mps": 1.0, "knots": 0.514444, "kt": 0.514444, "kts": 0.514444,
                "mph": 0.44704, "km/h": 1 / 3.6, "kmh": 1 / 3.6, "kph": 1 / 3.6}
DEPTH_TO_MM = {"mm": 1.0, "in": 25.4, "inch": 25.4, "inches": 25.4, "cm": 10.0}
PER_HOUR = {"h": 1.0, "hr": 1.0, "hour": 1.0, "min": 60.0, "minute": 60.0, "s": 3600.0,
            "sec": 3600.0}
RATE_TO_MMPH = {f"{d}/{t}": DEPTH_TO_MM[d] * PER_HOUR[t] for d in DEPTH_TO_MM for t in PER_HOUR}
RATE_TO_MMPH |= {"mmph": 1.0, "inph": 25.4, "mmhr": 1.0}
MAX_WIND_MPS = 150.0  # above the strongest gust ever measured (113 m/s): a unit mistake
MAX_RAIN_MMPH = 2000.0  # above the one-minute world record (31 mm in 1 min ~ 1900 mm/h)
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


_DEPTH_RE = r"(mm|cm|in|inch|inches)"
_PER_RE = r"(h|hr|hour|min|minute|s|sec)"
_RATE_UNIT_RES = (  # on a lower-case name whose separators became single spaces
    re.compile(rf"(?<![a-z]){_DEPTH_RE} ?(?:/|per|p) ?{_PER_RE}(?![a-z])"),  # mm/h, mm per h
    re.compile(rf"(?<![a-z]){_DEPTH_RE} {_PER_RE} ?\^?-1(?![0-9])"),  # mm h-1, mm h^-1
    re.compile(rf"(?<![a-z]){_DEPTH_RE} {_PER_RE}(?![a-z0-9])"),  # precip_mm_hr
)
_RATE_WORD_RE = re.compile(r"(?<![a-z])(rate|intensity|per ?(h|hr|hour|min|minute|s|sec)|ph)"
                           r"(?![a-z])|/ ?(h|hr|hour|min|s)(?![a-z])")


def _norm_name(name: str) -> str:
    return re.sub(r"[\s_\[\](),;:.]+", " ", str(name).lower()).strip()


def _rate_in_name(low: str) -> str | None:
    """Canonical rate unit (``"mm/h"``) named in a normalised column name, or None."""
    for pattern in _RATE_UNIT_RES:
        m = pattern.search(low)
        if m:
            depth = {"inch": "in", "inches": "in"}.get(m.group(1), m.group(1))
            return f"{depth}/{m.group(2)}"
    return None


def parse_precip_units(text: str) -> tuple[str, bool]:
    """Unit given by the user (``--precip-units``): ``(unit, is_rate)``.

    Depth units (``mm``, ``in``, ``cm``) mean an accumulation over each row's interval;
    rate units (``mm/h``, ``in/h``, ``mm per hour``, ``mmph``...) a mean rate.
    """
    low = _norm_name(text).replace(" ", "")
    low = re.sub(r"per", "/", low)
    if low in DEPTH_TO_MM:
        return low, False
    if low in RATE_TO_MMPH:
        return low, True
    rate = _rate_in_name(_norm_name(text))
    if rate is not None and rate in RATE_TO_MMPH:
        return rate, True
    raise ParameterError(f"--precip-units {text!r} unknown; use an accumulation per row "
                         f"(mm, in, cm) or a rate (mm/h, in/h, mm/min)")


def _precip_unit(name: str, given: str | None, path: Path | str = "") -> tuple[str, bool]:
    """Unit of precipitation column ``name`` and whether it is a rate.

    A unit given explicitly wins.  Otherwise the name must state it: a rate spelling
    (``mm_per_h``, ``mm/h``, ``mmph``, ``mm h-1``) or a depth unit (``precip_mm``,
    ``Precip (in)``).  A name that says "rate" without a unit, or no unit at all, is
    refused rather than guessed (a rate read as an accumulation is off by the number
    of rows per hour).
    """
    if given:
        return parse_precip_units(given)
    low = _norm_name(name)
    rate = _rate_in_name(low)
    if rate is not None:
        return rate, True
    where = f"{path}: " if str(path) else ""
    tokens = set(re.split(r"[ /]+", low))
    depth = next((u for u in sorted(DEPTH_TO_MM, key=len, reverse=True) if u in tokens), None)
    if _RATE_WORD_RE.search(low) or "rate" in low.replace(" ", ""):
        raise DASError(f"{where}precipitation column '{name}' looks like a rate but its unit "
                       "is ambiguous; give it with --precip-units (e.g. mm/h or in/h)")
    if depth is None:
        raise DASError(f"{where}precipitation column '{name}' states no unit; give it with "
                       "--precip-units (mm or in per row, or a rate such as mm/h)")
    return {"inch": "in", "inches": "in"}.get(depth, depth), False


def _to_utc(values: pd.Series, tz: str, where: str) -> pd.DatetimeIndex:
    try:
        t = pd.to_datetime(values, utc=False, format="mixed")
        idx = pd.DatetimeIndex(t)
        if idx.tz is None:
            idx = idx.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
        idx = idx.tz_convert("UTC").as_unit("ns")
    except (ValueError, TypeError, OverflowError) as exc:
        raise DASError(f"{where}: cannot parse times in column '{values.name}' "
                       f"({_first_line(exc)})") from None
    odd = np.flatnonzero((idx.year < 1900) | (idx.year > 2200))
    if odd.size:
        raise DASError(f"{where}: column '{values.name}' row {odd[0] + 2}: time "
                       f"'{values.iloc[odd[0]]}' read as {idx[odd[0]]}, outside 1900-2200")
    return idx


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def check_timezone(tz: str) -> str:
    """Return ``tz`` if it names a time zone (``--timezone``), else raise."""
    try:
        pd.Timestamp("2000-01-01").tz_localize(tz)
    except Exception:  # zoneinfo/pytz raise KeyError subclasses, ValueError or TypeError
        raise ParameterError(f"--timezone {tz!r} is not a known time zone "
                             "(e.g. UTC, America/New_York)") from None
    return tz


def _check_file(path: Path, what: str = "weather file") -> None:
    if not path.exists():
        raise DataFileNotFoundError(f"{path}: {what} not found")
    if path.is_dir():
        raise DASError(f"{path}: is a directory, not a {what} (--weather takes one file)")


def _read_table(path: Path) -> pd.DataFrame:
    import csv

    try:
        return pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise DASError(f"{path}: weather file is empty") from None
    except (ValueError, csv.Error, OSError) as exc:  # parser, decoding, bad gzip
        raise DASError(f"{path}: not a readable CSV ({_first_line(exc)})") from None


def read_weather_csv(path: str | Path, columns: WeatherColumns | None = None) -> pd.DataFrame:
    """Read a generic weather CSV into the standard table (see module notes).

    Raises
    ------
    DASError
        Unreadable file, missing columns, unparseable values, values outside their
        physical range, or a precipitation unit that the column name does not state
        (give ``precip_units``, CLI ``--precip-units``).
    """
    p = Path(path)
    _check_file(p)
    cfg = columns or WeatherColumns()
    check_timezone(cfg.timezone)
    if cfg.time_label not in ("end", "start"):
        raise ParameterError(f"time_label must be 'end' or 'start', got {cfg.time_label!r}")
    raw = _read_table(p)
    if raw.empty:
        raise DASError(f"{p}: weather file has a header but no data rows")
    cols = [str(c) for c in raw.columns]
    raw.columns = cols
    tcol = _require(cfg.time, _find(cols, ("time", "date", "valid")), "time", cols, p)
    wcol = _require(cfg.wind, _find(cols, ("wind", "speed", "sknt"), ("gust", "dir")),
                    "wind", cols, p)
    gcol = _require(cfg.gust, _find(cols, ("gust",), ("dir",)), "gust", cols, p, needed=False)
    pcol = _require(cfg.precip, _find(cols, ("precip", "rain", "prcp")), "precip", cols, p)
    wunit = _wind_unit(wcol, cfg.wind_units, p)
    punit, is_rate = _precip_unit(pcol, cfg.precip_units, p)
    times = _to_utc(raw[tcol], cfg.timezone, str(p))
    bad = np.flatnonzero(times.isna())
    if bad.size:
        raise DASError(f"{p}: unparseable time in row {bad[0] + 2} ('{raw[tcol].iloc[bad[0]]}')")
    df = pd.DataFrame({
        "wind": _numeric(raw[wcol], p, wcol) * SPEED_TO_MPS[wunit],
        "gust": (_numeric(raw[gcol], p, gcol) * SPEED_TO_MPS[wunit]) if gcol else np.nan,
        "precip": _numeric(raw[pcol], p, pcol),
    })
    df.index = times
    out = _standardise(df, punit, is_rate, cfg.time_label == "start")
    _check_range(out, p, {"wind_mps": wcol, "gust_mps": gcol, "rain_mmph": pcol})
    return out


def _wind_unit(wcol: str, given: str | None, path: Path) -> str:
    if given:
        unit = given.strip().lower()
        if unit not in SPEED_TO_MPS:
            raise ParameterError(f"--wind-units {given!r} unknown; use one of "
                                 f"{sorted(SPEED_TO_MPS)}")
        return unit
    unit = _unit_from_name(wcol, SPEED_TO_MPS)
    if unit is None:
        log.warning("%s: wind column '%s' states no unit; assuming m/s (set --wind-units)",
                    path, wcol)
        return "m/s"
    return unit


def _check_range(out: pd.DataFrame, path: Path, names: dict[str, str | None]) -> None:
    """Refuse values outside their physical range (a unit or column mistake)."""
    limits = {"wind_mps": (MAX_WIND_MPS, "m/s", "--wind-units"),
              "gust_mps": (MAX_WIND_MPS, "m/s", "--wind-units"),
              "rain_mmph": (MAX_RAIN_MMPH, "mm/h", "--precip-units")}
    for col, (top, unit, flag) in limits.items():
        vals = out[col].to_numpy(float)
        bad = np.flatnonzero((vals < 0) | (vals > top) | np.isinf(vals))
        if bad.size:
            i = int(bad[0])
            raise DASError(f"{path}: column '{names[col]}' at {out.index[i]}: {vals[i]:g} {unit}"
                           f" is outside 0..{top:g} {unit}; check the value and {flag}")


def _require(given: str | None, found: str | None, label: str, cols: list[str], path: Path,
             needed: bool = True) -> str | None:
    """The column named by the user (``--{label}-col``) or detected; raise if absent."""
    if given is not None:
        if given not in cols:
            raise DASError(f"{path}: --{label}-col '{given}' is not a column (columns: {cols})")
        return given
    if found is None and needed:
        raise DASError(f"{path}: no {label} column found among {cols}; name it with "
                       f"--{label}-col")
    return found


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
    return out


# ------------------------------------------------------------------ ASOS one-minute
_ASOS_HEAD = re.compile(r"^(\d{5})(\w{4}) ?(\w{3})(\d{8})(\d{4})(\d{4})")


def _asos_time(line: str, path: Path, lineno: int) -> tuple[pd.Timestamp, str]:
    m = _ASOS_HEAD.match(line)
    if not m:
        raise DASError(f"{path}: line {lineno}: not an ASOS one-minute record")
    date, lst, utc = m.group(4), m.group(5), m.group(6)
    try:  # local standard time, offset below
        t_lst = pd.Timestamp(f"{date[:4]}-{date[4:6]}-{date[6:]} {lst[:2]}:{lst[2:]}", tz="UTC")
    except ValueError:
        raise DASError(f"{path}: line {lineno}: invalid date/time '{date}{lst}'") from None
    offset = (int(utc[:2]) * 60 + int(utc[2:]) - int(lst[:2]) * 60 - int(lst[2:])) % 1440
    if offset > 720:
        offset -= 1440
    return t_lst + pd.Timedelta(minutes=offset), line[m.end():]


def _asos_lines(path: Path) -> list[str]:
    _check_file(path, "ASOS file")
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
    _check_file(p, "ISD-Lite file")
    names = ["year", "month", "day", "hour", "temp", "dew", "slp", "wdir", "wspd", "sky",
             "p1", "p6"]
    try:
        raw = pd.read_csv(p, sep=r"\s+", header=None, names=names, compression="infer")
    except (ValueError, OSError) as exc:  # parser errors, bad gzip
        raise DASError(f"{p}: not an ISD-Lite file ({_first_line(exc)})") from None
    if raw.empty:
        raise DASError(f"{p}: ISD-Lite file holds no records")
    raw = raw.apply(pd.to_numeric, errors="coerce")
    if raw.isna().any().any():
        row = int(np.flatnonzero(raw.isna().any(axis=1))[0]) + 1
        raise DASError(f"{p}: line {row} has fewer than 12 numeric fields")
    try:
        times = pd.to_datetime(raw[["year", "month", "day", "hour"]].astype(int)
                               ).dt.tz_localize("UTC")
    except (ValueError, OverflowError) as exc:
        raise DASError(f"{p}: invalid date ({_first_line(exc)})") from None
    wind = raw["wspd"].where(raw["wspd"] != -9999) / 10.0
    p1 = raw["p1"].where(raw["p1"] != -9999).replace(-1, 0) / 10.0
    df = pd.DataFrame({"interval_s": 3600.0, "wind_mps": wind.to_numpy(), "gust_mps": np.nan,
                       "rain_mmph": p1.to_numpy()}, index=pd.DatetimeIndex(times, name="time"))
    return df[~df.index.duplicated()].sort_index()


def _head(path: Path, n: int = 400) -> str:
    _check_file(path)
    try:
        if path.suffix == ".gz":
            import gzip

            with gzip.open(path, "rt", errors="replace") as fh:
                return fh.read(n)
        with path.open(errors="replace") as fh:
            return fh.read(n)
    except (OSError, EOFError) as exc:  # unreadable, bad gzip
        raise DASError(f"{path}: cannot read weather file ({_first_line(exc)})") from None


def read_weather(path: str | Path, fmt: str = "auto", columns: WeatherColumns | None = None,
                 precip_path: str | Path | None = None) -> pd.DataFrame:
    """Read weather in any supported format (``auto``, ``csv``, ``asos``, ``isd``).

    Raises
    ------
    DASError
        The file is unreadable, is a directory, or its content is invalid.
    ParameterError
        Unknown format, units or time zone.
    """
    p = Path(path)
    if fmt not in ("auto", "csv", "asos", "isd"):
        raise ParameterError(f"--weather-format {fmt!r} unknown; use auto, csv, asos or isd")
    if precip_path is not None:
        _check_file(Path(precip_path), "ASOS precipitation file (--asos-precip)")
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
    if columns is not None and (columns.precip_units or columns.wind_units):
        log.warning("%s: %s weather states its own units; --precip-units/--wind-units "
                    "ignored", p, fmt.upper())
    if fmt == "asos":
        return read_asos_1min(p, precip_path)
    if fmt == "isd":
        return read_isd_lite(p)
    raise ParameterError(f"--weather-format {fmt!r} unknown; use auto, csv, asos or isd")


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
