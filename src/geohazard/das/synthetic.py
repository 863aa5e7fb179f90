"""Synthetic storms recorded by a telecom fiber, with known truth.

The simulated strain rate (nanostrain/s) along ``n_channels`` channels is the sum of

* **background**: white noise of RMS ``background_rms`` on every channel;
* **generic wind noise**: 0.5-8 Hz noise of RMS ``wind_coupling * wind`` on every channel;
* **light poles**: a resonance (centre ``f0`` in 1-3 Hz, quality factor ``q``) whose RMS
  amplitude is ``slope * taper * wind`` on the pole's channels (linear in wind speed);
* **storm drains**: 2-8 Hz noise whose energy (mean square) is
  ``coef * (1 + volume_gain * V_event) * taper * rain_rate`` and broadband noise
  (8 Hz to Nyquist) of energy ``broadband * taper * rain_rate`` (linear in rain rate,
  with an event slope that grows with the storm's rain volume ``V_event`` in mm);
* **traffic**: vehicles driving along a road section, short 3-20 Hz bursts.

Every component is scaled per window to its exact RMS, so the band energy of a pole
channel in 0.5-8 Hz is ``(slope * taper * wind)**2 + (wind_coupling * wind)**2`` plus
small background terms: its band RMS grows linearly with wind speed with slope
``sqrt((slope * taper)**2 + wind_coupling**2)`` (the truth written to ``truth.json``).

Files use the FORESEE layout: HDF5 with ``raw`` (time x channel, float32) and
``timestamp`` (POSIX seconds, float64), no spacing metadata.  The weather CSV has
``time`` (UTC, end of each interval), ``wind_speed_mps``, ``wind_gust_mps`` and
``precip_mm`` (accumulation over the interval).  ``geometry.csv`` gives each channel's
distance, latitude and longitude along an L-shaped route.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geohazard.exceptions import ParameterError
from geohazard.io_utils import atomic_path, write_json_atomic
from geohazard.rng import RNGLike, as_generator


@dataclass(frozen=True)
class Pole:
    """A light pole shaking the fiber near ``center`` (channel)."""

    center: int
    slope: float  # RMS strain rate per m/s at the centre channel
    f0: float = 2.0
    q: float = 8.0


@dataclass(frozen=True)
class Drain:
    """A storm drain near ``center``: energy per mm/h in 2-8 Hz and in the broadband."""

    center: int
    coef: float
    broadband: float


@dataclass(frozen=True)
class Storm:
    """A rain event: ``n_windows`` long with a triangular hyetograph peaking at ``peak``."""

    n_windows: int
    peak_mmph: float
    wind_mps: float = 3.0


@dataclass(frozen=True)
class StormConfig:
    """Everything that defines a synthetic storm data set (see module notes)."""

    n_channels: int = 96
    spacing_m: float = 2.0
    fs: float = 100.0
    window_s: float = 10.0
    file_windows: int = 6
    start: str = "2021-09-01T00:00:00"
    n_dry: int = 150
    dry_gap: int = 12
    wind_range: tuple[float, float] = (1.0, 14.0)
    storms: tuple[Storm, ...] = (Storm(30, 6.0), Storm(40, 15.0), Storm(50, 30.0))
    poles: tuple[Pole, ...] = (Pole(20, 1.0, 1.6), Pole(62, 1.6, 2.4))
    drains: tuple[Drain, ...] = (Drain(40, 0.6, 0.25), Drain(84, 1.0, 0.4))
    volume_gain: float = 0.3
    background_rms: float = 0.3
    wind_coupling: float = 0.05
    taper_sigma: float = 1.0
    taper_half_width: int = 2
    traffic_rate: float = 0.3
    traffic_amp: float = 1.0
    road: tuple[int, int] = (0, 48)

    def check(self) -> None:
        """Raise :class:`ParameterError` on inconsistent settings."""
        if self.fs < 20:
            raise ParameterError(f"fs={self.fs} Hz: need >= 20 Hz to hold the 0.5-8 Hz band")
        items: list[Pole | Drain] = [*self.poles, *self.drains]
        for item in items:
            if not 0 <= item.center < self.n_channels:
                raise ParameterError(f"channel {item.center} outside 0..{self.n_channels - 1}")
        if self.file_windows < 1 or self.window_s * self.fs < 16:
            raise ParameterError("window too short or file_windows < 1")
        if self.n_channels < 1 or not 0 < self.spacing_m < np.inf:
            raise ParameterError(f"n_channels={self.n_channels}, spacing_m={self.spacing_m}: "
                                 "need at least one channel and a positive spacing")
        if self.n_dry < 0 or self.dry_gap < 0 or any(s.n_windows < 1 for s in self.storms):
            raise ParameterError("n_dry and dry_gap must be >= 0 and storms >= 1 window long")

    @property
    def n_samples(self) -> int:
        """Samples per window."""
        return int(round(self.window_s * self.fs))


PRESETS: dict[str, dict[str, Any]] = {
    "test": {},
    "demo": {"n_channels": 64, "n_dry": 90, "poles": (Pole(14, 1.0, 1.6), Pole(40, 1.6, 2.4)),
             "drains": (Drain(28, 0.6, 0.25), Drain(54, 1.0, 0.4)), "road": (0, 32),
             "storms": (Storm(20, 6.0), Storm(26, 15.0), Storm(32, 30.0))},
    "paper": {"n_channels": 160, "fs": 250.0, "window_s": 60.0, "file_windows": 1,
              "n_dry": 60, "dry_gap": 6,
              "storms": (Storm(15, 5.0), Storm(20, 12.0), Storm(30, 40.0)),
              "poles": (Pole(30, 1.0, 1.5), Pole(80, 1.4, 2.2), Pole(130, 0.8, 2.8)),
              "drains": (Drain(55, 0.6, 0.25), Drain(105, 1.0, 0.4), Drain(150, 0.8, 0.3)),
              "road": (0, 80)},
}


def preset(name: str, **overrides: Any) -> StormConfig:
    """A named configuration (``test``, ``demo``, ``paper``) with overrides."""
    if name not in PRESETS:
        raise ParameterError(f"--preset {name!r} unknown; choose from {sorted(PRESETS)}")
    return StormConfig(**(PRESETS[name] | overrides))


# ------------------------------------------------------------------ weather series
def weather_series(cfg: StormConfig, rng: RNGLike = None) -> pd.DataFrame:
    """Per-window wind speed, rain rate and event id for the whole simulation.

    A dry windy period (wind an AR(1) walk across ``wind_range``) is followed by the
    storms, each preceded by ``dry_gap`` calm dry windows.
    """
    gen = as_generator(rng)
    lo, hi = cfg.wind_range
    wind = np.empty(cfg.n_dry)
    level = 0.5 * (lo + hi)
    for i in range(cfg.n_dry):  # AR(1) walk reflected into the range
        level = level + 0.85 * (0.5 * (lo + hi) - level) * 0.1 + gen.normal(0, 1.6)
        level = float(np.clip(level, lo, hi))
        wind[i] = level
    winds, rains, events = [wind], [np.zeros(cfg.n_dry)], [np.full(cfg.n_dry, -1)]
    for k, storm in enumerate(cfg.storms):
        gap_wind = np.clip(gen.normal(2.0, 0.5, cfg.dry_gap), 0.3, None)
        tri = 1.0 - np.abs(np.linspace(-1, 1, storm.n_windows + 2)[1:-1])
        rate = storm.peak_mmph * tri
        w = np.clip(gen.normal(storm.wind_mps, 0.7, storm.n_windows), 0.3, None)
        winds += [gap_wind, w]
        rains += [np.zeros(cfg.dry_gap), rate]
        events += [np.full(cfg.dry_gap, -1), np.full(storm.n_windows, k)]
    df = pd.DataFrame({"wind_mps": np.concatenate(winds), "rain_mmph": np.concatenate(rains),
                       "event": np.concatenate(events)})
    t0 = pd.Timestamp(cfg.start, tz="UTC")
    df.insert(0, "time", t0 + pd.to_timedelta(np.arange(len(df)) * cfg.window_s, unit="s"))
    return df


# ------------------------------------------------------------------ signal pieces
def _unit_rms(x: np.ndarray) -> np.ndarray:
    rms = np.sqrt(np.mean(x * x, axis=0))
    return x / np.where(rms > 0, rms, 1.0)


def band_noise(gen: np.random.Generator, n: int, m: int, fs: float, lo: float,
               hi: float, shape: np.ndarray | None = None) -> np.ndarray:
    """``m`` columns of unit-RMS noise confined to ``[lo, hi)`` Hz, shape ``(n, m)``."""
    f = np.fft.rfftfreq(n, 1 / fs)
    mask = (f >= lo) & (f < hi)
    amp = mask * (1.0 if shape is None else shape)
    spec = (gen.standard_normal((f.size, m)) + 1j * gen.standard_normal((f.size, m)))
    return _unit_rms(np.fft.irfft(spec * amp[:, None], n, axis=0))


def resonance(gen: np.random.Generator, n: int, fs: float, f0: float, q: float) -> np.ndarray:
    """Unit-RMS random vibration of a damped oscillator (f0, Q), kept within 0.5-8 Hz."""
    f = np.fft.rfftfreq(n, 1 / fs)
    shape = 1.0 / np.sqrt((1 - (f / f0) ** 2) ** 2 + (f / (f0 * q)) ** 2)
    return band_noise(gen, n, 1, fs, 0.5, 8.0, shape)[:, 0]


def taper(cfg: StormConfig, center: int) -> tuple[np.ndarray, np.ndarray]:
    """Channels near ``center`` and their Gaussian weights (1 at the centre)."""
    h = cfg.taper_half_width
    ch = np.arange(max(center - h, 0), min(center + h, cfg.n_channels - 1) + 1)
    return ch, np.exp(-0.5 * ((ch - center) / cfg.taper_sigma) ** 2)


def event_slopes(cfg: StormConfig, weather: pd.DataFrame) -> list[dict[str, Any]]:
    """Per storm: volume (mm), peak rate and the drain-centre 2-8 Hz energy slope."""
    out = []
    for k, storm in enumerate(cfg.storms):
        rate = weather.loc[weather["event"] == k, "rain_mmph"].to_numpy()
        volume = float(rate.sum() * cfg.window_s / 3600.0)
        out.append({"event": k, "volume_mm": volume, "peak_mmph": storm.peak_mmph,
                    "gain": 1.0 + cfg.volume_gain * volume})
    return out


def _add_traffic(block: np.ndarray, cfg: StormConfig, gen: np.random.Generator) -> None:
    n = block.shape[0]
    for _ in range(gen.poisson(cfg.traffic_rate)):
        burst_n = int(2.0 * cfg.fs)
        env = np.exp(-0.5 * ((np.arange(burst_n) - burst_n / 2) / (0.3 * cfg.fs)) ** 2)
        burst = band_noise(gen, burst_n, 1, cfg.fs, 3.0, min(20.0, 0.45 * cfg.fs))[:, 0] * env
        speed = gen.uniform(8.0, 15.0)
        t_start = gen.uniform(-0.5, 1.0) * n
        lo, hi = cfg.road
        for ch in range(lo, min(hi, cfg.n_channels)):
            i0 = int(t_start + (ch - lo) * cfg.spacing_m / speed * cfg.fs)
            a, b = max(i0, 0), min(i0 + burst_n, n)
            if b > a:
                block[a:b, ch] += cfg.traffic_amp * burst[a - i0:b - i0]


def simulate_window(cfg: StormConfig, wind: float, rain: float, gain: float,
                    gen: np.random.Generator) -> np.ndarray:
    """One window of strain rate, shape ``(n_samples, n_channels)``, float32."""
    n, c = cfg.n_samples, cfg.n_channels
    block = cfg.background_rms * gen.standard_normal((n, c))
    if cfg.wind_coupling > 0:
        block += cfg.wind_coupling * wind * band_noise(gen, n, c, cfg.fs, 0.5, 8.0)
    for pole in cfg.poles:
        ch, w = taper(cfg, pole.center)
        block[:, ch] += np.outer(resonance(gen, n, cfg.fs, pole.f0, pole.q),
                                 pole.slope * w * wind)
    if rain > 0:
        for drain in cfg.drains:
            ch, w = taper(cfg, drain.center)
            block[:, ch] += np.outer(band_noise(gen, n, 1, cfg.fs, 2.0, 8.0)[:, 0],
                                     np.sqrt(drain.coef * gain * w * rain))
            block[:, ch] += np.outer(band_noise(gen, n, 1, cfg.fs, 8.0, cfg.fs)[:, 0],
                                     np.sqrt(drain.broadband * w * rain))
    if cfg.traffic_rate > 0:
        _add_traffic(block, cfg, gen)
    return block.astype(np.float32)


# ------------------------------------------------------------------ writers
def write_foresee(path: str | Path, data: np.ndarray, t0_s: float, fs: float,
                  data_type: str = "strain_rate", units: str = "") -> Path:
    """Write a FORESEE-layout HDF5 file atomically (``raw`` time x channel, ``timestamp``).

    ``data_type`` and ``units`` (when given) are attributes of ``raw``: the quantity
    the samples hold (:mod:`geohazard.das.quantity`); synthetic storms are strain rate
    in arbitrary units.
    """
    import h5py

    with atomic_path(path) as tmp, h5py.File(tmp, "w") as h5:
        raw = h5.create_dataset("raw", data=data)
        if data_type:
            raw.attrs["data_type"] = data_type
        if units:
            raw.attrs["units"] = units
        h5.create_dataset("timestamp", data=t0_s + np.arange(data.shape[0]) / fs)
    return Path(path)


def truth_dict(cfg: StormConfig, weather: pd.DataFrame) -> dict[str, Any]:
    """Truth of a simulation: per-channel wind slopes, pole/drain channels, event slopes."""
    wind_slope = np.full(cfg.n_channels, cfg.wind_coupling)
    poles = []
    for pole in cfg.poles:
        ch, w = taper(cfg, pole.center)
        wind_slope[ch] = np.sqrt((pole.slope * w) ** 2 + cfg.wind_coupling ** 2)
        poles.append(asdict(pole) | {"channels": ch.tolist(),
                                     "slopes": wind_slope[ch].tolist()})
    events = event_slopes(cfg, weather)
    drains = []
    for drain in cfg.drains:
        ch, w = taper(cfg, drain.center)
        drains.append(asdict(drain) | {
            "channels": ch.tolist(),
            "event_slopes": [drain.coef * e["gain"] for e in events]})
    return {
        "config": asdict(cfg), "wind_slope_rms_0.5-8Hz": wind_slope.tolist(),
        "wind_response": "rms", "poles": poles, "drains": drains, "events": events,
        "definition": "wind slopes: band RMS (sqrt of mean squared strain rate) per m/s "
                      "in 0.5-8 Hz; drain event slopes: 2-8 Hz energy per mm/h at the "
                      "drain centre channel",
    }


def fiber_geometry(cfg: StormConfig, origin: tuple[float, float] = (40.7934, -77.8600)
                   ) -> pd.DataFrame:
    """An L-shaped fiber route under streets: channel, distance, latitude, longitude.

    The first half runs east from ``origin`` (State College, PA by default), the second
    half north; positions use a local flat-earth approximation (metres to degrees).
    """
    dist = np.arange(cfg.n_channels) * cfg.spacing_m
    half = dist[cfg.n_channels // 2]
    east = np.minimum(dist, half)
    north = np.maximum(dist - half, 0.0)
    lat0, lon0 = origin
    m_per_deg = 111_320.0
    return pd.DataFrame({
        "channel": np.arange(cfg.n_channels), "distance_m": dist,
        "latitude": lat0 + north / m_per_deg,
        "longitude": lon0 + east / (m_per_deg * np.cos(np.radians(lat0))),
    })


@dataclass
class SimulationResult:
    """Paths written by :func:`simulate_storms` and the truth they encode."""

    files: list[Path]
    weather_csv: Path
    truth_json: Path
    truth: dict[str, Any] = field(repr=False)
    geometry_csv: Path | None = None


def _file_names(cfg: StormConfig) -> list[str]:
    """Names of the DAS files a simulation with ``cfg`` writes."""
    n_win = cfg.n_dry + sum(cfg.dry_gap + s.n_windows for s in cfg.storms)
    t0 = pd.Timestamp(cfg.start, tz="UTC").timestamp()
    return [f"foresee_{pd.Timestamp(t0 + i * cfg.window_s, unit='s'):%Y%m%dT%H%M%S}.h5"
            for i in range(0, n_win, cfg.file_windows)]


def _check_out_dir(out: Path, cfg: StormConfig, overwrite: bool) -> list[Path]:
    """Refuse an output folder holding another simulation; return files to remove."""
    if out.exists() and not out.is_dir():
        raise ParameterError(f"{out}: --out must be a directory, but it is a file")
    das = out / "das"
    present = sorted(das.iterdir()) if das.is_dir() else []
    ours = set(_file_names(cfg))
    foreign = [f for f in present if not (f.name.startswith("foresee_") and f.suffix == ".h5")]
    if foreign:
        raise ParameterError(f"{out}: das/ holds files a simulation did not write "
                             f"({foreign[0].name}); choose another --out")
    stale = [f for f in present if f.name not in ours]
    truth_path = out / "truth.json"
    same = True
    if truth_path.exists():
        try:
            old = json.loads(truth_path.read_text()).get("config")
        except (ValueError, OSError, AttributeError):
            old = None
        same = old == json.loads(json.dumps(asdict(cfg)))
    if (stale or not same) and not overwrite:
        raise ParameterError(f"{out}: already holds a simulation with other settings (another"
                             " --preset); choose another --out or pass --overwrite")
    return stale


def simulate_storms(out_dir: str | Path, cfg: StormConfig | None = None,
                    rng: RNGLike = None, progress: Any = None,
                    overwrite: bool = False) -> SimulationResult:
    """Simulate storms and write DAS files, ``weather.csv`` and ``truth.json``.

    Parameters
    ----------
    out_dir
        Output directory (``das/`` holds the HDF5 files).
    cfg
        Simulation settings (default :class:`StormConfig`).
    rng
        Random generator or seed (an integer seed must be >= 0).
    progress
        Optional callable ``progress(done_windows, total_windows)``.
    overwrite
        Replace a simulation with other settings found in ``out_dir`` (its DAS files
        are removed first).  Without it such a folder is refused, so two simulations
        are never mixed; rerunning the same settings into a folder is allowed.
    """
    cfg = cfg or StormConfig()
    cfg.check()
    if isinstance(rng, int | np.integer) and not isinstance(rng, bool) and rng < 0:
        raise ParameterError(f"--seed {rng}: a seed must be >= 0")
    gen = as_generator(rng)
    out = Path(out_dir)
    for stale in _check_out_dir(out, cfg, overwrite):
        stale.unlink()
    weather = weather_series(cfg, gen)
    files = _write_das_files(out, cfg, weather, gen, progress)
    weather_csv = _write_weather_csv(out / "weather.csv", cfg, weather)
    geometry_csv = out / "geometry.csv"
    with atomic_path(geometry_csv) as tmp:
        fiber_geometry(cfg).to_csv(tmp, index=False)
    truth = truth_dict(cfg, weather)
    truth_json = write_json_atomic(out / "truth.json", truth)
    return SimulationResult(files, weather_csv, truth_json, truth, geometry_csv)


def _write_das_files(out: Path, cfg: StormConfig, weather: pd.DataFrame,
                     gen: np.random.Generator, progress: Any = None) -> list[Path]:
    """Simulate every window in order and write ``cfg.file_windows`` windows per file."""
    gains = {e["event"]: e["gain"] for e in event_slopes(cfg, weather)}
    t0 = pd.Timestamp(cfg.start, tz="UTC").timestamp()
    files, buf = [], []
    n_win = len(weather)
    for i, row in enumerate(weather.itertuples()):
        gain = gains.get(int(row.event), 1.0)
        buf.append(simulate_window(cfg, row.wind_mps, row.rain_mmph, gain, gen))
        if len(buf) == cfg.file_windows or i == n_win - 1:
            first = i + 1 - len(buf)
            start = t0 + first * cfg.window_s
            name = pd.Timestamp(start, unit="s").strftime("%Y%m%dT%H%M%S")
            files.append(write_foresee(out / "das" / f"foresee_{name}.h5",
                                       np.concatenate(buf), start, cfg.fs))
            buf = []
        if progress:
            progress(i + 1, n_win)
    return files


def _write_weather_csv(path: Path, cfg: StormConfig, weather: pd.DataFrame) -> Path:
    """The weather as a station would report it: times at the end of each interval."""
    wx = pd.DataFrame({
        "time": (weather["time"] + pd.Timedelta(seconds=cfg.window_s)).dt.strftime(
            "%Y-%m-%dT%H:%M:%SZ"),
        "wind_speed_mps": weather["wind_mps"].round(4),
        "wind_gust_mps": (1.4 * weather["wind_mps"]).round(4),
        "precip_mm": (weather["rain_mmph"] * cfg.window_s / 3600.0).round(9),
    })
    with atomic_path(path) as tmp:
        wx.to_csv(tmp, index=False)
    return path
