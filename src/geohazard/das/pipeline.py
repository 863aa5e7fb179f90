"""End-to-end storm-noise analysis: files + weather -> tables, figures, report.

Steps (each a library function usable on its own):

1. :func:`~geohazard.das.io.scan_source` describes the files (DASCore or FORESEE), or the
   patches of a DASCore ``Spool``, and what they measure (strain rate, strain, velocity:
   :mod:`~geohazard.das.quantity`), which names the energy and its units everywhere;
2. :func:`~geohazard.das.energy.compute_band_energy` streams band energy into a
   resumable store (``OUT/energy``);
3. weather is read and averaged over the energy windows, windows are classified;
4. per channel: energy against wind in dry windows, against rain rate (pooled and per
   storm event), event slope against rain volume;
5. pole and drain candidates are grouped into sources and mapped;
6. resonance peaks of the pole channels are tracked against wind;
7. tables (Parquet + CSV), ``channels.gpkg`` (channels and sources as GeoPackage point
   layers, when the geometry gives map coordinates and their CRS) and ``summary.json``
   are written; figures and ``report.html``
   by a ``render`` callable handed in from above (this package never draws:
   :func:`geohazard.report.das.render_analysis` is the standard one).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, field_validator, model_validator

from geohazard.config import RunConfig
from geohazard.das import regression as rg
from geohazard.das.energy import (
    DEFAULT_BANDS,
    EnergyConfig,
    band_label,
    compute_band_energy,
    resolve_bands,
    to_db,
    validate_bands,
)
from geohazard.das.geometry import has_coordinates, write_geopackage
from geohazard.das.io import DASFile, channel_table, read_geometry, scan_source
from geohazard.das.quantity import Quantity
from geohazard.das.sources import find_sources
from geohazard.das.spectra import resonance_summary, resonance_tracks, window_psd
from geohazard.das.weather import WeatherColumns, read_weather, resample_to_windows
from geohazard.distributed import open_client
from geohazard.exceptions import DASError, ParameterError
from geohazard.io_utils import atomic_path, write_json_atomic

log = logging.getLogger(__name__)


_POS = {"gt": 0, "allow_inf_nan": False}
_NONNEG = {"ge": 0, "allow_inf_nan": False}


class AnalysisConfig(RunConfig):
    """Settings of :func:`analyze` (loadable from YAML/TOML; CLI flags override).

    Every value is checked against its physical range when the config is made (a
    :class:`~geohazard.exceptions.InputError` names the key); the bands are checked
    against the data's Nyquist frequency when the files are known.
    """

    bands: tuple[tuple[float, float], ...] = DEFAULT_BANDS
    window_s: float = Field(60.0, **_POS)
    min_coverage: float = Field(0.9, gt=0, le=1)
    chunk_windows: int = Field(10, ge=1)
    spacing_m: float | None = Field(None, **_POS)
    channel_offset: int = Field(0, ge=0)
    wind_band: int = Field(0, ge=0)
    drain_band: int = Field(1, ge=0)
    broadband_band: int = Field(2, ge=0)
    wind_response: Literal["energy", "rms", "db"] = "rms"
    rain_response: Literal["energy", "rms", "db"] = "energy"
    robust: bool = False
    wind_threshold_mps: float = Field(5.0, **_POS)
    rain_threshold_mmph: float = Field(0.1, **_POS)
    heavy_threshold_mmph: float = Field(7.6, **_POS)
    dry_buffer_s: float = Field(0.0, **_NONNEG)
    event_gap_s: float | None = Field(None, **_POS)
    min_event_windows: int = Field(3, ge=1)
    z_min: float = Field(4.0, **_POS)
    r2_min: float = Field(0.5, ge=0, le=1)
    max_gap: int = Field(1, ge=0)
    engine: Literal["serial", "dask"] = "serial"
    scheduler: str | None = None  # Dask scheduler address (tcp://host:port): implies dask
    n_workers: int = Field(2, ge=1)
    fft_workers: int = Field(1, ge=1)
    resonance_windows: int = Field(120, ge=1)
    live: bool = False
    skip_unknown: bool = False
    crs: str | None = None  # CRS of projected x/y geometry (EPSG:32611); lon/lat: EPSG:4326
    db: bool = False
    figures: bool = True  # asks ``render`` for figures
    report: bool = True  # asks ``render`` for report.html

    @field_validator("bands")
    @classmethod
    def _check_bands(cls, value: tuple[tuple[float, float], ...]
                     ) -> tuple[tuple[float, float], ...]:
        try:
            return validate_bands(value)
        except ParameterError as exc:
            raise ValueError(str(exc)) from None

    @field_validator("crs")
    @classmethod
    def _check_crs(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            from pyproj import CRS
        except ImportError:  # checked when the GeoPackage is written
            return value
        try:
            CRS.from_user_input(value)
        except Exception as exc:  # noqa: BLE001 - pyproj's CRSError and kin
            raise ValueError(f"{value!r} is not a CRS pyproj knows ({exc})") from None
        return value

    @field_validator("scheduler")
    @classmethod
    def _check_scheduler(cls, value: str | None) -> str | None:
        from geohazard.distributed import check_scheduler

        try:
            return check_scheduler(value)
        except ParameterError as exc:
            raise ValueError(str(exc)) from None

    @model_validator(mode="after")
    def _check_thresholds(self) -> AnalysisConfig:
        if self.heavy_threshold_mmph < self.rain_threshold_mmph:
            raise ValueError(f"heavy_threshold_mmph {self.heavy_threshold_mmph:g} is below "
                             f"rain_threshold_mmph {self.rain_threshold_mmph:g}")
        return self

    def energy_config(self) -> EnergyConfig:
        """The band-energy part of the settings."""
        return EnergyConfig(bands=tuple(self.bands), window_s=self.window_s,
                            min_coverage=self.min_coverage, chunk_windows=self.chunk_windows,
                            workers=self.fft_workers)

    def thresholds(self) -> rg.Thresholds:
        """Window classification thresholds."""
        return rg.Thresholds(self.wind_threshold_mps, self.rain_threshold_mmph,
                             self.heavy_threshold_mmph, self.dry_buffer_s)


Renderer = Callable[["AnalysisResult", AnalysisConfig], dict[str, Any]]


@dataclass
class AnalysisResult:
    """Tables and figures of one analysis (all tables also written to ``out_dir``)."""

    out_dir: Path
    energy: Any  # xarray.DataArray (band, time, channel)
    channels: pd.DataFrame
    windows: pd.DataFrame
    wind_fits: pd.DataFrame
    rain_fits: pd.DataFrame
    events: pd.DataFrame
    event_fits: pd.DataFrame
    volume_fits: pd.DataFrame
    sources: pd.DataFrame
    resonances: pd.DataFrame
    resonance_fits: pd.DataFrame = field(default_factory=pd.DataFrame)
    spectra: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    quantity: Quantity = field(default_factory=Quantity)  # what the samples are


def _band(cfg: AnalysisConfig, index: int) -> str:
    """Label of band ``index``; indices past the last band fall back to the last one."""
    if index < 0:
        raise ParameterError(f"band index {index} must be >= 0")
    return band_label(cfg.bands[min(index, len(cfg.bands) - 1)])


def prepare(path: str | Path | Any, weather_path: str | Path | pd.DataFrame, out_dir: str | Path,
            geometry_path: str | Path | None = None, cfg: AnalysisConfig | None = None,
            weather_format: str = "auto", weather_columns: WeatherColumns | None = None,
            ) -> tuple[list[DASFile], AnalysisConfig, pd.DataFrame, pd.DataFrame]:
    """Read and check every input of :func:`analyze`; nothing is written.

    Returns the scanned files (or patches of a DASCore spool), the settings with bands
    resolved against the data's Nyquist frequency (the default bands clipped to it,
    labelled as clipped; other bands past it refused), the channel table and the
    weather table.

    Raises
    ------
    InputError
        Any invalid file, setting or combination (weather not overlapping the data,
        geometry missing the data channels, bands past Nyquist, an output path that is
        a file).  Data shorter than one window are refused by
        :func:`~geohazard.das.energy.compute_band_energy`, also before any write.
    """
    cfg = cfg or AnalysisConfig()
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise DASError(f"{out}: --out must be a directory, but it is a file")
    files = scan_source(path, skip_unknown=cfg.skip_unknown)
    first = files[0]
    bands = resolve_bands(cfg.bands, first.fs, cfg.window_s,
                          clip="bands" not in cfg.model_fields_set)
    cfg = cfg.model_copy(update={"bands": bands})
    if any(i >= len(bands) for i in (cfg.wind_band, cfg.drain_band, cfg.broadband_band)):
        log.warning("only %d band(s): wind, drain and broadband fits fall back to band %s",
                    len(bands), band_label(bands[-1]))
    geometry = read_geometry(geometry_path) if geometry_path else None
    chans = channel_table(first.n_channel, first.distance, cfg.spacing_m, geometry,
                          cfg.channel_offset)
    weather = weather_path if isinstance(weather_path, pd.DataFrame) else \
        read_weather(weather_path, weather_format, weather_columns)
    _check_overlap(weather, files, weather_path)
    return files, cfg, chans, weather


def _check_overlap(weather: pd.DataFrame, files: list[DASFile], source: Any) -> None:
    """Refuse weather that does not cover any of the DAS data (e.g. a wrong time zone)."""
    name = "weather table" if isinstance(source, pd.DataFrame) else str(source)
    missing = [c for c in ("interval_s", "wind_mps", "rain_mmph") if c not in weather]
    if missing or not isinstance(weather.index, pd.DatetimeIndex):
        what = ", ".join(missing) if missing else "a time index"
        raise DASError(f"{name}: not a standard weather table (missing {what}; see "
                       "geohazard.das.weather)")
    if weather.empty:
        raise DASError(f"{name}: weather table holds no rows")
    end = weather.index.as_unit("ns").asi8
    beg = end - (weather["interval_s"].to_numpy(float) * 1e9).astype(np.int64)
    d0, d1 = files[0].t0_ns, max(f.t_end_ns for f in files)
    if beg.min() >= d1 or end.max() <= d0:
        fmt = "%Y-%m-%d %H:%M:%S"
        raise DASError(
            f"{name}: weather covers {pd.Timestamp(int(beg.min())).strftime(fmt)} to "
            f"{pd.Timestamp(int(end.max())).strftime(fmt)} UTC, the DAS data "
            f"{pd.Timestamp(int(d0)).strftime(fmt)} to {pd.Timestamp(int(d1)).strftime(fmt)}"
            " UTC: no overlap (check the files and --timezone)")


def _fit_table(fit: pd.DataFrame, channels: pd.DataFrame, band: str, resp: str,
               robust: bool, quantity: Quantity) -> pd.DataFrame:
    fit.insert(0, "channel", channels["channel"].to_numpy())
    fit.insert(1, "distance_m", channels["distance_m"].to_numpy())
    fit["band"], fit["response"] = band, resp
    fit["response_units"] = quantity.response_units(resp)
    fit["method"] = "huber" if robust else "ols"
    return fit


def fit_relations(energy: Any, wx: pd.DataFrame, channels: pd.DataFrame,
                  cfg: AnalysisConfig, quantity: Quantity | None = None
                  ) -> dict[str, pd.DataFrame]:
    """Wind fits (dry windows), pooled rain fits, storm events, event and volume fits.

    ``quantity`` (what the samples are) gives each fit table its ``response_units``.
    """
    quantity = quantity or Quantity()
    wb, db_, bb = _band(cfg, cfg.wind_band), _band(cfg, cfg.drain_band), \
        _band(cfg, cfg.broadband_band)
    y_wind = rg.response(energy.sel(band=wb).values, cfg.wind_response)
    wind = rg.fit_lines(wx["wind_mps"].to_numpy(), y_wind, wx["dry"].to_numpy(),
                        robust=cfg.robust)
    wind = _fit_table(wind, channels, wb, cfg.wind_response, cfg.robust, quantity)
    rain_parts, ev_parts = [], []
    gap = cfg.event_gap_s if cfg.event_gap_s is not None else 10 * cfg.window_s
    events = rg.find_events(wx, cfg.rain_threshold_mmph, gap, cfg.min_event_windows)
    for band in dict.fromkeys((db_, bb)):
        e = energy.sel(band=band).values
        fit = rg.fit_lines(wx["rain_mmph"].to_numpy(), rg.response(e, cfg.rain_response),
                           robust=cfg.robust)
        rain_parts.append(_fit_table(fit, channels, band, cfg.rain_response, cfg.robust,
                                     quantity))
        if len(events):
            ef = rg.event_fits(wx, e, events, robust=cfg.robust, kind=cfg.rain_response)
            ef["band"] = band
            ev_parts.append(ef)
    ev_fits = pd.concat(ev_parts, ignore_index=True) if ev_parts else pd.DataFrame()
    return {"wind_fits": wind, "rain_fits": pd.concat(rain_parts, ignore_index=True),
            "events": events, "event_fits": ev_fits}


def _volume_fits(ev_fits: pd.DataFrame, sources: pd.DataFrame) -> pd.DataFrame:
    if ev_fits.empty or sources.empty:
        return pd.DataFrame()
    drains = sources.loc[sources["kind"] == "drain"]
    chans = [c for r in drains.itertuples() for c in range(r.channel_start, r.channel_end + 1)]
    parts = []
    for band, grp in ev_fits.groupby("band"):
        vf = rg.volume_fits(grp, np.array(chans))
        if not vf.empty:
            vf["band"] = band
            parts.append(vf)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _resonances(files: list[DASFile], sources: pd.DataFrame, wx: pd.DataFrame,
                cfg: AnalysisConfig) -> pd.DataFrame:
    poles = sources.loc[sources["kind"] == "pole", "peak_channel"].tolist() \
        if not sources.empty else []
    dry = wx.index[wx["dry"].to_numpy() & wx["wind_mps"].notna().to_numpy()]
    if not poles or len(dry) == 0:
        return pd.DataFrame()
    pick = np.unique(np.linspace(0, len(dry) - 1, min(cfg.resonance_windows, len(dry))
                                 ).astype(int))
    starts = dry[pick].as_unit("ns").asi8
    tracks = resonance_tracks(files, poles, starts, cfg.window_s)
    tracks = tracks.merge(wx[["wind_mps"]], left_on="time", right_index=True, how="left")
    return tracks


def _calm_windy_spectra(files: list[DASFile], res: AnalysisResult, window_s: float
                        ) -> dict[str, Any]:
    """PSD of the most wind-sensitive pole channel in its calmest and windiest dry window."""
    tracks = res.resonances.dropna(subset=["wind_mps"])
    ch = int(res.resonance_fits.sort_values("amp_wind_slope").iloc[-1]["channel"])
    sel = tracks.loc[tracks["channel"] == ch]
    out: dict[str, Any] = {"channel": ch, "psd_units": res.quantity.psd_units}
    for label, row in (("calm", sel.loc[sel["wind_mps"].idxmin()]),
                       ("windy", sel.loc[sel["wind_mps"].idxmax()])):
        freqs, psd = window_psd(files, ch, pd.Timestamp(row["time"]).value, window_s)
        out[label] = {"wind_mps": float(row["wind_mps"]), "freqs": freqs, "psd": psd}
    return out


def analyze(path: str | Path | Any, weather_path: str | Path | pd.DataFrame,
            out_dir: str | Path, geometry_path: str | Path | None = None,
            cfg: AnalysisConfig | None = None, weather_format: str = "auto",
            weather_columns: WeatherColumns | None = None,
            progress: Callable[[int, int], None] | None = None,
            render: Renderer | None = None) -> AnalysisResult:
    """Run the whole storm-noise analysis and write its outputs to ``out_dir``.

    Every input is read and checked (:func:`prepare`) before anything is written.

    Parameters
    ----------
    path
        DAS file or directory, or a DASCore ``Spool`` (or ``Patch``) already open:
        its patches are read from the spool window by window.
    weather_path
        Weather file (generic CSV, ASOS one-minute or ISD-Lite), or a table already
        in the standard form of :mod:`geohazard.das.weather`.
    out_dir
        Output directory; ``out_dir/energy`` is the resumable band-energy store.
    geometry_path
        Optional geometry CSV (channel, distance, lat/lon or x/y).
    cfg
        Settings.
    weather_format, weather_columns
        See :func:`geohazard.das.weather.read_weather`.
    progress
        Band-energy progress callback ``(done_chunks, total_chunks)``.
    render
        Draws figures and writes the report (``cfg.figures``, ``cfg.report``), e.g.
        :func:`geohazard.report.das.render_analysis`; returns entries for the summary.
        None writes tables and ``summary.json`` only.
    """
    out = Path(out_dir)
    tick = time.perf_counter()
    files, cfg, chans, weather = prepare(path, weather_path, out, geometry_path, cfg,
                                         weather_format, weather_columns)
    energy = _energy(files, cfg, out, progress)
    t_energy = time.perf_counter() - tick
    result = _relations(files, cfg, out, energy, chans, weather)
    result.summary = summarize(result, files, cfg, t_energy)
    write_outputs(result, cfg, render)
    return result


def _energy(files: list[DASFile], cfg: AnalysisConfig, out: Path,
            progress: Callable[[int, int], None] | None) -> Any:
    """Band energy of ``files`` (resumable store ``out/energy``) as a DataArray with units."""
    with open_client(cfg.scheduler, cfg.engine, n_workers=cfg.n_workers) as client:
        store = compute_band_energy(files, out / "energy", cfg.energy_config(),
                                    engine=cfg.engine, n_workers=cfg.n_workers,
                                    progress=progress, final=not cfg.live, client=client)
    energy = store.to_array(cfg.bands)
    quantity = files[0].quantity
    energy.attrs.update(long_name=f"band energy ({quantity.energy_name})",
                        units=quantity.energy_units)
    return energy


def _relations(files: list[DASFile], cfg: AnalysisConfig, out: Path, energy: Any,
               chans: pd.DataFrame, weather: pd.DataFrame) -> AnalysisResult:
    """Windows, fits, sources and resonances of computed band energy."""
    quantity = files[0].quantity
    chans = chans.loc[chans["channel"].isin(energy.channel.values)].reset_index(drop=True)
    wx = rg.classify_windows(
        resample_to_windows(weather, energy.time.values, cfg.window_s), cfg.thresholds())
    if int(wx["dry"].sum()) < 3:
        log.warning("only %d dry windows with weather: wind fits need at least 3",
                    int(wx["dry"].sum()))
    fits = fit_relations(energy, wx, chans, cfg, quantity)
    rain = fits["rain_fits"]
    sources = find_sources(fits["wind_fits"], rain.loc[rain["band"] == _band(cfg, cfg.drain_band)],
                           chans, cfg.z_min, cfg.r2_min, cfg.max_gap)
    result = AnalysisResult(
        out_dir=out, energy=energy, channels=chans, windows=wx, sources=sources,
        volume_fits=_volume_fits(fits["event_fits"], sources),
        resonances=_resonances(files, sources, wx, cfg), quantity=quantity, **fits)
    if not result.resonances.empty:
        result.resonance_fits = resonance_summary(result.resonances)
        result.spectra = _calm_windy_spectra(files, result, cfg.window_s)
    return result


def summarize(res: AnalysisResult, files: list[DASFile], cfg: AnalysisConfig,
              t_energy: float) -> dict[str, Any]:
    """Figures of an analysis as a JSON-ready dict."""
    duration = sum(f.n_time * f.dt_ns for f in files) / 1e9
    wb = _band(cfg, cfg.wind_band)
    top = res.wind_fits.nlargest(5, "slope")[["channel", "slope", "r2"]]
    res_tab = res.resonances
    reson = {}
    if not res_tab.empty:
        for ch, grp in res_tab.groupby("channel"):
            reson[int(ch)] = float(grp["peak_freq_hz"].median())
    return {
        "n_files": len(files), "n_channels": int(res.energy.sizes["channel"]),
        "fs_hz": files[0].fs, "data_duration_s": duration, **res.quantity.to_dict(),
        "n_windows": int(res.energy.sizes["time"]), "window_s": cfg.window_s,
        "bands": [band_label(b) for b in cfg.bands],
        "energy_seconds": t_energy, "energy_x_realtime": duration / max(t_energy, 1e-9),
        "window_classes": res.windows["klass"].value_counts().to_dict(),
        "n_dry_windows": int(res.windows["dry"].sum()),
        "wind_band": wb, "wind_response": cfg.wind_response,
        "wind_response_units": res.quantity.response_units(cfg.wind_response),
        "top_wind_channels": top.to_dict(orient="records"),
        "events": res.events.assign(start=res.events.get("start", pd.Series()).astype(str),
                                    end=res.events.get("end", pd.Series()).astype(str)
                                    ).to_dict(orient="records"),
        "sources": res.sources.to_dict(orient="records"),
        "pole_channels": _source_channels(res.sources, "pole"),
        "drain_channels": _source_channels(res.sources, "drain"),
        "resonance_peak_hz": reson,
        "resonances": res.resonance_fits.to_dict(orient="records"),
    }


def _source_channels(sources: pd.DataFrame, kind: str) -> list[int]:
    if sources.empty:
        return []
    sel = sources.loc[sources["kind"] == kind]
    return [c for r in sel.itertuples() for c in range(r.channel_start, r.channel_end + 1)]


def _write_table(df: pd.DataFrame, path: Path) -> None:
    if df is None or df.empty:
        return
    with atomic_path(path.with_suffix(".parquet")) as tmp:
        df.to_parquet(tmp, index=not isinstance(df.index, pd.RangeIndex))
    with atomic_path(path.with_suffix(".csv")) as tmp:
        df.to_csv(tmp, index=not isinstance(df.index, pd.RangeIndex))


def write_outputs(res: AnalysisResult, cfg: AnalysisConfig,
                  render: Renderer | None = None) -> None:
    """Write tables, the dB energy table, figures and report (via ``render``), summary."""
    tables = res.out_dir / "tables"
    for name in ("channels", "windows", "wind_fits", "rain_fits", "events", "event_fits",
                 "volume_fits", "sources", "resonances", "resonance_fits"):
        _write_table(getattr(res, name), tables / name)
    if cfg.db:
        db = to_db(res.energy).to_dataframe(name="energy_db").reset_index()
        db["units"] = res.quantity.db_reference
        _write_table(db, tables / "energy_db")
    gpkg = write_channels_gpkg(res, cfg)
    if gpkg is not None:
        res.summary["geopackage"] = gpkg.name  # beside summary.json
    if render is not None and (cfg.figures or cfg.report):
        res.summary.update(render(res, cfg))
    write_json_atomic(res.out_dir / "summary.json", res.summary)


def write_channels_gpkg(res: AnalysisResult, cfg: AnalysisConfig) -> Path | None:
    """``channels.gpkg``: channels (with their wind and rain fits) and sources as points.

    Written when the geometry gives map coordinates: longitude/latitude (EPSG:4326) or
    projected x/y with ``cfg.crs``; otherwise (or without geopandas) a log line says why
    not and None is returned.
    """
    chans = res.channels
    if not has_coordinates(chans):
        return None
    if cfg.crs is None and not {"longitude", "latitude"} <= set(chans.columns):
        log.warning("the geometry gives projected x/y but no CRS: channels.gpkg not written "
                    "(set crs, e.g. EPSG:32611)")
        return None
    table = chans.copy()
    wind = res.wind_fits.set_index("channel")
    table["wind_slope"] = table["channel"].map(wind["slope"])
    table["wind_r2"] = table["channel"].map(wind["r2"])
    table["wind_slope_units"] = f"{wind['response_units'].iat[0]} per m/s" if len(wind) else ""
    drain = res.rain_fits.loc[res.rain_fits["band"] == _band(cfg, cfg.drain_band)]
    table["rain_slope"] = table["channel"].map(drain.set_index("channel")["slope"])
    try:
        return write_geopackage(table, res.out_dir / "channels.gpkg", cfg.crs,
                                sources=res.sources)
    except DASError as exc:
        log.warning("channels.gpkg not written: %s", exc)
        return None
