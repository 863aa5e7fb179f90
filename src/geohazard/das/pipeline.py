"""End-to-end storm-noise analysis: files + weather -> tables, figures, report.

Steps (each a library function usable on its own):

1. :func:`~geohazard.das.io.scan_path` describes the files (DASCore or FORESEE);
2. :func:`~geohazard.das.energy.compute_band_energy` streams band energy into a
   resumable store (``OUT/energy``);
3. weather is read and averaged over the energy windows, windows are classified;
4. per channel: energy against wind in dry windows, against rain rate (pooled and per
   storm event), event slope against rain volume;
5. pole and drain candidates are grouped into sources and mapped;
6. resonance peaks of the pole channels are tracked against wind;
7. tables (Parquet + CSV), figures, ``report.html`` and ``summary.json`` are written.
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

from geohazard.config import RunConfig
from geohazard.das import regression as rg
from geohazard.das.energy import (
    DEFAULT_BANDS,
    EnergyConfig,
    band_label,
    compute_band_energy,
    to_db,
)
from geohazard.das.io import DASFile, channel_table, read_geometry, scan_path
from geohazard.das.sources import find_sources
from geohazard.das.spectra import resonance_summary, resonance_tracks, window_psd
from geohazard.das.weather import WeatherColumns, read_weather, resample_to_windows
from geohazard.exceptions import DASError
from geohazard.io_utils import atomic_path, write_json_atomic

log = logging.getLogger(__name__)


class AnalysisConfig(RunConfig):
    """Settings of :func:`analyze` (loadable from YAML/TOML; CLI flags override)."""

    bands: tuple[tuple[float, float], ...] = DEFAULT_BANDS
    window_s: float = 60.0
    min_coverage: float = 0.9
    chunk_windows: int = 10
    spacing_m: float | None = None
    channel_offset: int = 0
    wind_band: int = 0
    drain_band: int = 1
    broadband_band: int = 2
    wind_response: Literal["energy", "rms", "db"] = "rms"
    rain_response: Literal["energy", "rms", "db"] = "energy"
    robust: bool = False
    wind_threshold_mps: float = 5.0
    rain_threshold_mmph: float = 0.1
    heavy_threshold_mmph: float = 7.6
    dry_buffer_s: float = 0.0
    event_gap_s: float | None = None
    min_event_windows: int = 3
    z_min: float = 4.0
    r2_min: float = 0.5
    max_gap: int = 1
    engine: Literal["serial", "dask"] = "serial"
    n_workers: int = 2
    fft_workers: int = 1
    resonance_windows: int = 120
    live: bool = False
    db: bool = False
    figures: bool = True
    report: bool = True

    def energy_config(self) -> EnergyConfig:
        """The band-energy part of the settings."""
        return EnergyConfig(bands=tuple(self.bands), window_s=self.window_s,
                            min_coverage=self.min_coverage, chunk_windows=self.chunk_windows,
                            workers=self.fft_workers)

    def thresholds(self) -> rg.Thresholds:
        """Window classification thresholds."""
        return rg.Thresholds(self.wind_threshold_mps, self.rain_threshold_mmph,
                             self.heavy_threshold_mmph, self.dry_buffer_s)


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


def _band(cfg: AnalysisConfig, index: int) -> str:
    """Label of band ``index``; indices past the last band fall back to the last one."""
    if index < 0:
        raise DASError(f"band index {index} must be >= 0")
    return band_label(cfg.bands[min(index, len(cfg.bands) - 1)])


def _fit_table(fit: pd.DataFrame, channels: pd.DataFrame, band: str, resp: str,
               robust: bool) -> pd.DataFrame:
    fit.insert(0, "channel", channels["channel"].to_numpy())
    fit.insert(1, "distance_m", channels["distance_m"].to_numpy())
    fit["band"], fit["response"] = band, resp
    fit["method"] = "huber" if robust else "ols"
    return fit


def fit_relations(energy: Any, wx: pd.DataFrame, channels: pd.DataFrame,
                  cfg: AnalysisConfig) -> dict[str, pd.DataFrame]:
    """Wind fits (dry windows), pooled rain fits, storm events, event and volume fits."""
    wb, db_, bb = _band(cfg, cfg.wind_band), _band(cfg, cfg.drain_band), \
        _band(cfg, cfg.broadband_band)
    y_wind = rg.response(energy.sel(band=wb).values, cfg.wind_response)
    wind = rg.fit_lines(wx["wind_mps"].to_numpy(), y_wind, wx["dry"].to_numpy(),
                        robust=cfg.robust)
    wind = _fit_table(wind, channels, wb, cfg.wind_response, cfg.robust)
    rain_parts, ev_parts = [], []
    gap = cfg.event_gap_s if cfg.event_gap_s is not None else 10 * cfg.window_s
    events = rg.find_events(wx, cfg.rain_threshold_mmph, gap, cfg.min_event_windows)
    for band in dict.fromkeys((db_, bb)):
        e = energy.sel(band=band).values
        fit = rg.fit_lines(wx["rain_mmph"].to_numpy(), rg.response(e, cfg.rain_response),
                           robust=cfg.robust)
        rain_parts.append(_fit_table(fit, channels, band, cfg.rain_response, cfg.robust))
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
    out: dict[str, Any] = {"channel": ch}
    for label, row in (("calm", sel.loc[sel["wind_mps"].idxmin()]),
                       ("windy", sel.loc[sel["wind_mps"].idxmax()])):
        freqs, psd = window_psd(files, ch, pd.Timestamp(row["time"]).value, window_s)
        out[label] = {"wind_mps": float(row["wind_mps"]), "freqs": freqs, "psd": psd}
    return out


def analyze(path: str | Path, weather_path: str | Path | pd.DataFrame, out_dir: str | Path,
            geometry_path: str | Path | None = None, cfg: AnalysisConfig | None = None,
            weather_format: str = "auto", weather_columns: WeatherColumns | None = None,
            progress: Callable[[int, int], None] | None = None) -> AnalysisResult:
    """Run the whole storm-noise analysis and write its outputs to ``out_dir``.

    Parameters
    ----------
    path
        DAS file or directory.
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
    """
    cfg = cfg or AnalysisConfig()
    out = Path(out_dir)
    tick = time.perf_counter()
    files = scan_path(path)
    store = compute_band_energy(files, out / "energy", cfg.energy_config(), engine=cfg.engine,
                                n_workers=cfg.n_workers, progress=progress, final=not cfg.live)
    t_energy = time.perf_counter() - tick
    energy = store.to_array(cfg.bands)
    geometry = read_geometry(geometry_path) if geometry_path else None
    chans = channel_table(files[0].n_channel, files[0].distance, cfg.spacing_m, geometry,
                          cfg.channel_offset)
    chans = chans.loc[chans["channel"].isin(energy.channel.values)].reset_index(drop=True)
    weather = weather_path if isinstance(weather_path, pd.DataFrame) else \
        read_weather(weather_path, weather_format, weather_columns)
    wx = rg.classify_windows(
        resample_to_windows(weather, energy.time.values, cfg.window_s), cfg.thresholds())
    if int(wx["dry"].sum()) < 3:
        log.warning("only %d dry windows with weather: wind fits need at least 3",
                    int(wx["dry"].sum()))
    fits = fit_relations(energy, wx, chans, cfg)
    rain = fits["rain_fits"]
    sources = find_sources(fits["wind_fits"], rain.loc[rain["band"] == _band(cfg, cfg.drain_band)],
                           chans, cfg.z_min, cfg.r2_min, cfg.max_gap)
    result = AnalysisResult(
        out_dir=out, energy=energy, channels=chans, windows=wx, sources=sources,
        volume_fits=_volume_fits(fits["event_fits"], sources),
        resonances=_resonances(files, sources, wx, cfg), **fits)
    if not result.resonances.empty:
        result.resonance_fits = resonance_summary(result.resonances)
        result.spectra = _calm_windy_spectra(files, result, cfg.window_s)
    result.summary = summarize(result, files, cfg, t_energy)
    write_outputs(result, cfg)
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
        "fs_hz": files[0].fs, "data_duration_s": duration,
        "n_windows": int(res.energy.sizes["time"]), "window_s": cfg.window_s,
        "bands": [band_label(b) for b in cfg.bands],
        "energy_seconds": t_energy, "energy_x_realtime": duration / max(t_energy, 1e-9),
        "window_classes": res.windows["klass"].value_counts().to_dict(),
        "n_dry_windows": int(res.windows["dry"].sum()),
        "wind_band": wb, "wind_response": cfg.wind_response,
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


def write_outputs(res: AnalysisResult, cfg: AnalysisConfig) -> None:
    """Write tables, the dB energy table (optional), figures, report and summary."""
    tables = res.out_dir / "tables"
    for name in ("channels", "windows", "wind_fits", "rain_fits", "events", "event_fits",
                 "volume_fits", "sources", "resonances", "resonance_fits"):
        _write_table(getattr(res, name), tables / name)
    if cfg.db:
        db = to_db(res.energy).to_dataframe(name="energy_db").reset_index()
        _write_table(db, tables / "energy_db")
    figures: dict[str, Path] = {}
    if cfg.figures:
        from geohazard.plotting.das import save_analysis_figures

        figures = save_analysis_figures(res, res.out_dir / "figures")
    if cfg.report:
        from geohazard.report.das import write_report

        res.summary["report"] = str(write_report(res, res.out_dir / "report.html", figures))
    write_json_atomic(res.out_dir / "summary.json", res.summary)
