"""Band energy per channel per window, streamed from files with bounded memory.

Definition
----------
For a window of ``n`` samples ``x_j`` of one channel (strain rate) with DFT
``X_k = sum_j x_j exp(-2 pi i j k / n)``, the energy in band ``[f_lo, f_hi)`` is

    E = (1 / n**2) * sum_{k : f_lo <= k fs / n < f_hi} w_k |X_k|**2,

with ``w_k = 2`` for ``0 < k < n/2`` and ``w_k = 1`` at 0 and the Nyquist bin (the
band includes the Nyquist bin when ``f_hi`` reaches it).  By Parseval's theorem this is
exactly the **mean squared strain rate of the band-passed signal** (ideal brick-wall
filter over the window), in (data units)**2, e.g. (nanostrain/s)**2.  Bands starting
above 0 Hz exclude the mean.  Data stored as strain are differentiated in the
frequency domain (``|X_k|**2 * (2 pi f_k)**2``) so the result is still strain rate.
``to_db`` gives ``10 log10 E`` (= 20 log10 of the band RMS).

Windows are aligned to multiples of the window length since the UNIX epoch (UTC), so
runs over different file sets produce the same windows.  A window is reported when at
least ``min_coverage`` of its samples exist; its ``coverage`` column says how many.

Streaming and resuming
----------------------
:func:`compute_band_energy` walks the windows in chunks; each chunk reads only the
file slices it needs (one file open at a time), so peak memory is set by the chunk
size, not by the number of files.  Each finished chunk is written atomically as a
Parquet part file in ``out_dir``; the set of finished windows is read back from those
parts, so a rerun skips them and no window is ever written twice.  With
``final=False`` (data still arriving) an incomplete last window waits for the next run.
``engine="dask"`` computes chunks as Dask tasks (threads, processes or a distributed
Client); this process writes the parts, so resuming works the same way.  On a
:mod:`distributed <geohazard.distributed>` cluster each chunk is one task carrying file
descriptions and settings; the workers read the files; a task lost with its worker is
recomputed elsewhere and its part (named after its windows, replaced atomically) is
written once.

The hot loop transposes each window, ``CHANNEL_BLOCK`` channels at a time, into a
channel-major buffer (Numba) and runs ``scipy.fft.rfft`` along contiguous rows; the band
sums are fused (Numba).  :func:`patch_band_energy` and :func:`spool_band_energy` give
the same numbers from an in-memory DASCore patch or any DASCore spool.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.fft as sp_fft

from geohazard.das.io import NS, DASFile, SliceReader, channel_table, scan_path
from geohazard.das.store import EnergyStore, file_identities
from geohazard.exceptions import DASError, ParameterError

__all__ = ["DEFAULT_BANDS", "EnergyConfig", "EnergyStore", "band_energy", "band_label",
           "compute_band_energy", "parse_bands", "resolve_bands", "validate_bands"]

log = logging.getLogger(__name__)

DEFAULT_BANDS: tuple[tuple[float, float], ...] = ((0.5, 8.0), (2.0, 8.0), (8.0, 125.0))
CHANNEL_BLOCK = 256  # channels transformed at a time: bounds the FFT buffers
NYQUIST_TOLERANCE = 1e-4  # relative: interrogator clocks are off nominal by ppm


def band_label(band: tuple[float, float]) -> str:
    """Column label of a band, e.g. ``'0.5-8Hz'``."""
    return f"{band[0]:g}-{band[1]:g}Hz"


def parse_bands(text: str) -> tuple[tuple[float, float], ...]:
    """Parse ``"0.5-8,2-8,8-125"`` into band tuples (Hz)."""
    bands = []
    for part in text.split(","):
        try:
            lo, hi = (float(v) for v in part.strip().split("-"))
        except ValueError:
            raise ParameterError(f"band '{part}': expected LOW-HIGH in Hz, e.g. 2-8") from None
        bands.append((lo, hi))
    return validate_bands(bands)


def validate_bands(bands: Iterable[Sequence[float]]) -> tuple[tuple[float, float], ...]:
    """Check each band is finite with ``0 <= lo < hi``; return them as tuples."""
    out = []
    for band in bands:
        try:
            lo, hi = float(band[0]), float(band[1])
        except (TypeError, ValueError, IndexError):
            raise ParameterError(f"band {band!r} (--bands): expected (low, high) in Hz"
                                 ) from None
        if not (0 <= lo < hi < np.inf):
            raise ParameterError(f"band {lo:g}-{hi:g} Hz (--bands): need 0 <= low < high, "
                                 "both finite")
        out.append((lo, hi))
    if not out:
        raise ParameterError("at least one frequency band is required (--bands)")
    if len({band_label(b) for b in out}) < len(out):
        raise ParameterError(f"--bands: a band is given twice in {[band_label(b) for b in out]}")
    return tuple(out)


def resolve_bands(bands: Iterable[Sequence[float]], fs: float, window_s: float | None = None,
                  clip: bool = False) -> tuple[tuple[float, float], ...]:
    """Bands checked against data sampled at ``fs``: never silently past Nyquist.

    Parameters
    ----------
    bands
        Frequency bands ``(lo, hi)`` in Hz.
    fs
        Sampling rate of the data, Hz.
    window_s
        Window length, s: when given, each band must hold at least one frequency bin.
    clip
        Clip bands reaching above the Nyquist frequency to it (the default bands); the
        returned bands, and so every label, show the clipped edge (``8-50Hz``).
        Otherwise such a band (a user's ``--bands``) is refused.

    Returns
    -------
    tuple of (float, float)
    """
    nyq = fs / 2
    out = []
    for lo, hi in validate_bands(bands):
        label = band_label((lo, hi))
        if lo >= nyq:
            raise ParameterError(f"band {label} (--bands) starts at or above the Nyquist "
                                 f"frequency {nyq:g} Hz of data sampled at {fs:g} Hz")
        if hi > nyq * (1 + NYQUIST_TOLERANCE):
            if not clip:
                raise ParameterError(f"band {label} (--bands) reaches above the Nyquist "
                                     f"frequency {nyq:g} Hz of data sampled at {fs:g} Hz; "
                                     f"use at most {lo:g}-{nyq:g}")
            hi = float(f"{nyq:.6g}")  # as labelled; within the tolerance of Nyquist
            log.info("band %s clipped to %s at the Nyquist frequency", label,
                     band_label((lo, hi)))
        out.append((lo, hi))
    if window_s is not None:
        n = int(round(window_s * fs))
        if n < 2:
            raise ParameterError(f"--window {window_s:g} s holds {n} sample(s) at {fs:g} Hz; "
                                 "need at least 2")
        for band in out:
            try:
                _band_bins(n, fs, band)
            except ParameterError as exc:
                raise ParameterError(f"{exc} (--window/--bands)") from None
    return validate_bands(out)


def _band_bins(n: int, fs: float, band: tuple[float, float]) -> tuple[int, int]:
    """Bin range ``[k0, k1)`` of ``band`` for an ``n``-point real FFT."""
    n_freq = n // 2 + 1
    lo, hi = band
    if lo >= fs / 2:
        raise ParameterError(f"band {band_label(band)} starts above the Nyquist frequency "
                             f"{fs / 2:g} Hz")
    k0 = int(np.ceil(lo * n / fs - 1e-9))
    k1 = n_freq if hi >= fs / 2 else int(np.ceil(hi * n / fs - 1e-9))
    if k1 <= k0:
        raise ParameterError(
            f"band {band_label(band)} holds no frequency bin for a window of {n} samples "
            f"at {fs:g} Hz (resolution {fs / n:.3g} Hz): lengthen the window"
        )
    return k0, k1


def band_energy(
    block: np.ndarray,
    fs: float,
    bands: Sequence[tuple[float, float]] = DEFAULT_BANDS,
    *,
    strain: bool = False,
    workers: int | None = None,
) -> np.ndarray:
    """Band energy (mean squared band-passed strain rate) of one window.

    Parameters
    ----------
    block
        Samples, shape ``(time, channel)`` (or ``(time,)``).
    fs
        Sampling rate, Hz.
    bands
        Frequency bands ``(lo, hi)`` in Hz; ``hi`` above Nyquist is clipped to it.
    strain
        True when ``block`` holds strain: it is differentiated to strain rate.
    workers
        Threads for the FFT (scipy.fft); None uses 1.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_band, channel)`` (or ``(n_band,)``), float64, >= 0.  Channels with
        no finite sample are NaN; missing samples inside a channel are set to its mean.
    """
    x = np.asarray(block)
    squeeze = x.ndim == 1
    out = band_energy_pieces([x[:, None] if squeeze else x], fs, bands, strain=strain,
                             workers=workers)
    return out[:, 0] if squeeze else out


def band_energy_pieces(
    pieces: Sequence[np.ndarray],
    fs: float,
    bands: Sequence[tuple[float, float]] = DEFAULT_BANDS,
    *,
    strain: bool = False,
    workers: int | None = None,
) -> np.ndarray:
    """:func:`band_energy` of the time-concatenation of ``pieces`` (each ``(time, channel)``).

    The pieces (e.g. slices of consecutive files) are transposed, ``CHANNEL_BLOCK``
    channels at a time, straight into a channel-major buffer, so the FFT runs along
    contiguous memory, no concatenated copy is made and the work buffers stay small.
    With ``workers > 1`` the channel blocks are shared among that many threads (one
    buffer each); the result does not depend on ``workers``.
    """
    from geohazard.das._kernels import band_sums, transpose_into

    n = sum(p.shape[0] for p in pieces)
    if n < 2:
        raise ParameterError(f"window holds {n} sample(s); need at least 2")
    ranges = [_band_bins(n, fs, b) for b in bands]
    kmin, kmax = min(r[0] for r in ranges), max(r[1] for r in ranges)
    dtype = np.float64 if any(p.dtype == np.float64 for p in pieces) else np.float32
    weights = np.full(kmax - kmin, 2.0)
    if kmin == 0:
        weights[0] = 1.0
    if n % 2 == 0 and kmax == n // 2 + 1:
        weights[-1] = 1.0
    if strain:
        weights = weights * (2 * np.pi * np.arange(kmin, kmax) * fs / n) ** 2
    weights /= float(n) ** 2
    k0 = np.array([r[0] for r in ranges], dtype=np.int64)
    k1 = np.array([r[1] for r in ranges], dtype=np.int64)
    n_ch = pieces[0].shape[1]
    step = max(1, min(n_ch, CHANNEL_BLOCK))
    out = np.empty((len(ranges), n_ch))
    blocks = [(c0, min(c0 + step, n_ch)) for c0 in range(0, n_ch, step)]
    n_threads = max(1, min(int(workers or 1), len(blocks)))

    def run(todo: list[tuple[int, int]]) -> None:
        buf = np.empty((step, n), dtype)  # (channel, time), reused for this thread's blocks
        for c0, c1 in todo:
            view = buf[:c1 - c0]
            off = 0
            for p in pieces:
                transpose_into(np.asarray(p[:, c0:c1]), view[:, off:off + p.shape[0]])
                off += p.shape[0]
            view, dead = _fill_gaps(view)
            spec = sp_fft.rfft(view, axis=1)  # (channel, F)
            out[:, c0:c1] = band_sums(spec, kmin, weights, k0, k1)
            if dead is not None:
                out[:, c0 + np.flatnonzero(dead)] = np.nan

    if n_threads == 1:
        run(blocks)
    else:  # channel blocks in threads: the kernels and the FFT release the GIL
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(n_threads) as pool:
            list(pool.map(run, [blocks[i::n_threads] for i in range(n_threads)]))
    return out


def _fill_gaps(x: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Replace NaN/inf samples by their channel's mean; flag channels with no data.

    ``x`` is ``(channel, time)``.  The check costs one reduction; rows are rewritten
    only when something is missing.
    """
    bad_rows = ~np.isfinite(x.sum(axis=1))
    if not bad_rows.any():
        return x, None
    rows = np.flatnonzero(bad_rows)
    sub = x[rows]
    ok = np.isfinite(sub)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(ok, sub, 0).sum(1) / ok.sum(1)
    x[rows] = np.where(ok, sub, np.nan_to_num(mean)[:, None])
    dead = np.zeros(x.shape[0], bool)
    dead[rows] = ok.sum(1) == 0
    return x, dead


def to_db(energy: np.ndarray | pd.Series | pd.DataFrame, floor: float = 1e-30) -> Any:
    """Energy in decibels, ``10 log10(max(E, floor))`` (= 20 log10 of band RMS)."""
    return 10.0 * np.log10(np.maximum(energy, floor))


# ------------------------------------------------------------------ config & store
@dataclass(frozen=True)
class EnergyConfig:
    """Settings of a band-energy run.

    Attributes
    ----------
    bands
        Frequency bands in Hz.
    window_s
        Window length in s; windows start at multiples of it since the epoch (UTC).
    min_coverage
        Fraction of a window's samples that must exist for it to be reported.
    chunk_windows
        Windows per chunk (one part file each): memory grows with it, not with files.
    channels
        Optional ``(first, stop)`` channel range to process.
    workers
        Threads per window: channel blocks (transpose, FFT, band sums) run in parallel.
    """

    bands: tuple[tuple[float, float], ...] = DEFAULT_BANDS
    window_s: float = 60.0
    min_coverage: float = 0.9
    chunk_windows: int = 10
    channels: tuple[int, int] | None = None
    workers: int = 1

    def __post_init__(self) -> None:
        validate_bands(self.bands)
        if not 0 < self.window_s < np.inf:
            raise ParameterError(f"window_s (--window) must be positive and finite, got "
                                 f"{self.window_s}")
        if not 0 < self.min_coverage <= 1:
            raise ParameterError(f"min_coverage must be in (0, 1], got {self.min_coverage}")
        if self.chunk_windows < 1:
            raise ParameterError(f"chunk_windows must be >= 1, got {self.chunk_windows}")
        if self.workers < 1:
            raise ParameterError(f"workers (--fft-threads) must be >= 1, got {self.workers}")
        if self.channels is not None and not 0 <= self.channels[0] < self.channels[1]:
            raise ParameterError(f"channels must be (first, stop) with 0 <= first < stop, "
                                 f"got {self.channels}")

    @property
    def window_ns(self) -> int:
        """Window length in ns."""
        return int(round(self.window_s * NS))


def _fingerprint(cfg: EnergyConfig, first: DASFile) -> dict[str, Any]:
    return {
        "bands": [list(b) for b in cfg.bands], "window_s": cfg.window_s,
        "min_coverage": cfg.min_coverage, "channels": cfg.channels,
        "fs": round(first.fs, 6), "n_channel": first.n_channel,
    }


def _store_meta(cfg: EnergyConfig, files: list[DASFile], strain: bool) -> dict[str, Any]:
    first = files[0]
    chans = channel_table(first.n_channel, first.distance)
    return _fingerprint(cfg, first) | {
        "data_units": first.data_units, "data_type": first.data_type, "strain_input": strain,
        "definition": "mean squared band-passed strain rate over the window (Parseval, "
                      "ideal band), units (data units)^2",
        "distance_m": chans["distance_m"].tolist(),
        "files": [str(f.path) for f in files][:1000],
    }


# ------------------------------------------------------------------ chunk worker
def _window_pieces(
    reader: SliceReader, files: list[DASFile], t_lo: int, t_hi: int
) -> list[np.ndarray]:
    """Slices of all files inside ``[t_lo, t_hi)``, in time order (not copied)."""
    pieces = []
    for info in files:
        if info.t0_ns >= t_hi or info.t_end_ns <= t_lo:
            continue
        piece = reader.read_range(info, t_lo, t_hi)
        if piece.shape[0]:
            pieces.append(piece)
    return pieces


def _window_block(
    reader: SliceReader, files: list[DASFile], t_lo: int, t_hi: int
) -> tuple[np.ndarray | None, int]:
    """Samples of all files inside ``[t_lo, t_hi)``, concatenated in time."""
    pieces = _window_pieces(reader, files, t_lo, t_hi)
    if not pieces:
        return None, 0
    block = pieces[0] if len(pieces) == 1 else np.concatenate(pieces, axis=0)
    return block, block.shape[0]


def process_windows(
    files: list[DASFile], starts: Sequence[int], cfg: EnergyConfig, strain: bool = False
) -> pd.DataFrame:
    """Band energy of the windows starting at ``starts`` (ns): a long table.

    Columns: ``time`` (window start, UTC), ``channel``, one column per band,
    ``coverage``.  Windows below ``cfg.min_coverage`` are left out.
    """
    if not files:
        return _rows_to_table([], cfg)
    first = files[0]
    reader = SliceReader(slice(*cfg.channels) if cfg.channels else None)
    n_expected = cfg.window_s * first.fs
    rows: list[tuple[int, np.ndarray, float]] = []
    try:
        for t0 in starts:
            pieces = _window_pieces(reader, files, t0, t0 + cfg.window_ns)
            n = sum(p.shape[0] for p in pieces)
            cover = n / n_expected
            if not pieces or cover < cfg.min_coverage - 1e-9 or n < 2:
                continue
            energy = band_energy_pieces(pieces, first.fs, cfg.bands, strain=strain,
                                        workers=cfg.workers)
            rows.append((t0, energy, min(cover, 1.0)))
    finally:
        reader.close()
    return _rows_to_table(rows, cfg)


def _rows_to_table(rows: list[tuple[int, np.ndarray, float]], cfg: EnergyConfig) -> pd.DataFrame:
    labels = [band_label(b) for b in cfg.bands]
    if not rows:
        cols = {"time": pd.Series([], dtype="datetime64[ns, UTC]"),
                "channel": pd.Series([], dtype=np.int32)}
        cols.update({lab: pd.Series([], dtype=float) for lab in labels})
        cols["coverage"] = pd.Series([], dtype=np.float32)
        return pd.DataFrame(cols)
    n_ch = rows[0][1].shape[1]
    ch0 = cfg.channels[0] if cfg.channels else 0
    times = np.repeat(np.array([r[0] for r in rows], dtype="datetime64[ns]"), n_ch)
    data: dict[str, Any] = {
        "time": pd.DatetimeIndex(times).tz_localize("UTC"),
        "channel": np.tile(np.arange(ch0, ch0 + n_ch, dtype=np.int32), len(rows)),
    }
    stacked = np.stack([r[1] for r in rows])  # (window, band, channel)
    for i, lab in enumerate(labels):
        data[lab] = stacked[:, i, :].ravel()
    data["coverage"] = np.repeat(np.array([r[2] for r in rows], dtype=np.float32), n_ch)
    return pd.DataFrame(data)


def patch_band_energy(patch: Any, cfg: EnergyConfig | None = None,
                      strain: bool | None = None) -> pd.DataFrame:
    """Band energy of an in-memory DASCore :class:`~dascore.Patch`, epoch-aligned windows.

    Same table and numbers as :func:`compute_band_energy` on the file the patch came
    from (``channel`` is the index along the patch's non-time axis).

    Parameters
    ----------
    patch
        A 2-D patch with a ``time`` dimension.
    cfg
        Bands and window settings.
    strain
        Treat data as strain (default: from ``patch.attrs.data_type``).
    """
    cfg = cfg or EnergyConfig()
    p = patch.transpose("time", ...)
    times = p.get_coord("time").values.astype("datetime64[ns]").astype(np.int64)
    if times.size < 2:
        raise DASError("patch holds fewer than 2 time samples")
    dt = float(np.median(np.diff(times)))
    if not dt > 0:
        raise DASError("patch times are not increasing")
    cfg = replace(cfg, bands=resolve_bands(cfg.bands, 1e9 / dt, cfg.window_s,
                                           clip=cfg.bands == DEFAULT_BANDS))
    if strain is None:
        strain = str(p.attrs.data_type or "").lower() == "strain"
    data = np.asarray(p.data)
    if cfg.channels:
        data = data[:, slice(*cfg.channels)]
    w = cfg.window_ns
    rows = []
    for t0 in range((int(times[0]) // w) * w, int(times[-1]) + 1, w):
        i0, i1 = np.searchsorted(times, [t0, t0 + w])
        n = int(i1 - i0)
        if n < 2 or n / (cfg.window_s * 1e9 / dt) < cfg.min_coverage - 1e-9:
            continue
        energy = band_energy_pieces([data[i0:i1]], 1e9 / dt, cfg.bands, strain=strain,
                                    workers=cfg.workers)
        rows.append((t0, energy, min(n * dt / w, 1.0)))
    return _rows_to_table(rows, cfg)


def spool_band_energy(spool: Any, cfg: EnergyConfig | None = None,
                      strain: bool | None = None) -> pd.DataFrame:
    """Band energy over a DASCore spool: DASCore merges the files and cuts the windows.

    The spool is trimmed to the first epoch-aligned window start and chunked with
    ``spool.chunk(time=window_s)``, so windows match :func:`compute_band_energy`.  This
    is the DASCore-native route (any spool: directory, file list, in memory); it is not
    resumable and slower than the streaming engine, which it serves to cross-check.
    """
    cfg = cfg or EnergyConfig()
    contents = spool.get_contents()
    if contents.empty:
        raise DASError("spool holds no patches")
    t_min = pd.Timestamp(contents["time_min"].min()).as_unit("ns").value
    start = -(-t_min // cfg.window_ns) * cfg.window_ns  # ceil to the window grid
    chunks = spool.select(time=(np.datetime64(start, "ns"), None)).chunk(
        time=cfg.window_s, keep_partial=True)
    tables = [patch_band_energy(p, cfg, strain) for p in chunks]
    out = pd.concat(tables, ignore_index=True) if tables else _rows_to_table([], cfg)
    return out.drop_duplicates(["time", "channel"]).sort_values(
        ["time", "channel"], ignore_index=True)


# ------------------------------------------------------------------ driver
def plan_windows(files: list[DASFile], cfg: EnergyConfig) -> list[int]:
    """Start times (ns) of all windows touched by the data, epoch-aligned."""
    w = cfg.window_ns
    starts: set[int] = set()
    for info in files:
        first = (info.t0_ns // w) * w
        last_sample = info.t0_ns + int(round((info.n_time - 1) * info.dt_ns))
        last = (last_sample // w) * w
        starts.update(range(first, last + 1, w))
    return sorted(starts)


def compute_band_energy(
    source: str | Path | list[DASFile],
    out_dir: str | Path,
    cfg: EnergyConfig | None = None,
    *,
    engine: str = "serial",
    n_workers: int = 2,
    progress: Callable[[int, int], None] | None = None,
    strain: bool | None = None,
    final: bool = True,
    client: Any = None,
) -> EnergyStore:
    """Stream band energy from a file or directory into a resumable store.

    Parameters
    ----------
    source
        A DAS file, a directory of files, or the result of :func:`scan_path`.
    out_dir
        Store directory (created; reused on reruns: finished windows are skipped).
    cfg
        Band/window settings.
    engine
        ``"serial"`` (one process, streaming) or ``"dask"`` (chunks as Dask tasks on
        the current Dask scheduler or distributed Client; parts are written by this
        process as tasks finish, ``n_workers`` chunks in flight per batch).
    n_workers
        Chunks computed at a time with the Dask engine.
    progress
        Called as ``progress(done_chunks, total_chunks)``.
    strain
        Treat data as strain (differentiate); default from the file's data type.
    final
        False for data that is still arriving: the window holding the last sample is
        left for a later run unless it is complete, so it is never recorded half full.
    client
        A :class:`distributed.Client` (see :mod:`geohazard.distributed`): each chunk of
        windows is a task carrying file descriptions and settings; the workers read
        their files, this process writes each part as its task finishes.  Implies
        ``engine="dask"``; the result is bit-identical to a serial run.

    Returns
    -------
    EnergyStore
        Its ``meta()["bands"]`` are the bands computed: the default bands clipped at
        the Nyquist frequency (labels show the clipped edge); other bands reaching
        past it are refused.  Windows touched by input files that changed since the
        store was written (size, mtime, header hash, sampling, channels) are recomputed.
    """
    cfg = cfg or EnergyConfig()
    files = scan_path(source) if not isinstance(source, list) else source
    if not files:
        raise DASError("no DAS files to process")
    if engine not in ("serial", "dask"):
        raise ParameterError(f"--engine must be 'serial' or 'dask', got {engine!r}")
    if int(n_workers) < 1:
        raise ParameterError(f"--workers must be >= 1, got {n_workers}")
    first = files[0]
    cfg = replace(cfg, bands=resolve_bands(cfg.bands, first.fs, cfg.window_s,
                                           clip=cfg.bands == DEFAULT_BANDS))
    if strain is None:
        strain = first.data_type.lower() == "strain"
    identities = file_identities(files)  # read before the first write
    store = EnergyStore(out_dir)
    store.check_or_init(_store_meta(cfg, files, strain))
    store.sync_files(identities, cfg.window_ns)
    done = store.finished()
    todo = [t for t in plan_windows(files, cfg) if t not in done]
    if not final and todo:
        last = files[-1]
        if todo[-1] + cfg.window_ns > last.t0_ns + (last.n_time - 0.5) * last.dt_ns:
            todo = todo[:-1]
    chunks = [todo[i:i + cfg.chunk_windows] for i in range(0, len(todo), cfg.chunk_windows)]
    log.info("%d windows to compute (%d already done) in %d chunks", len(todo), len(done),
             len(chunks))
    if client is None and engine == "dask":
        from geohazard.distributed import active_client

        client = active_client()
    if client is not None:
        from geohazard.das.scale import run_chunks

        run_chunks(client, files, chunks, cfg, store, strain, progress)
        return store
    runner = _run_dask if engine == "dask" else _run_serial
    runner(files, chunks, cfg, store, strain, progress, n_workers)
    return store


def _files_for(files: list[DASFile], chunk: list[int], cfg: EnergyConfig) -> list[DASFile]:
    lo, hi = chunk[0], chunk[-1] + cfg.window_ns
    return [f for f in files if f.t0_ns < hi and f.t_end_ns > lo]


def _run_serial(files, chunks, cfg, store, strain, progress, n_workers) -> None:  # noqa: ANN001
    for i, chunk in enumerate(chunks):
        table = process_windows(_files_for(files, chunk, cfg), chunk, cfg, strain)
        if len(table):
            store.write_part(table)
        if progress:
            progress(i + 1, len(chunks))


def _run_dask(files, chunks, cfg, store, strain, progress, n_workers) -> None:  # noqa: ANN001
    import dask

    done = 0
    step = max(1, int(n_workers))
    for b in range(0, len(chunks), step):
        batch = chunks[b:b + step]
        tasks = [dask.delayed(process_windows)(_files_for(files, c, cfg), c, cfg, strain)
                 for c in batch]
        for table in dask.compute(*tasks):
            if len(table):
                store.write_part(table)
        done += len(batch)
        if progress:
            progress(done, len(chunks))


def energy_array(table: pd.DataFrame, bands: Sequence[tuple[float, float]]) -> Any:
    """Pivot a long energy table into an ``xarray.DataArray`` (band, time, channel)."""
    import xarray as xr

    times = np.sort(table["time"].unique())
    chans = np.sort(table["channel"].unique())
    ti = np.searchsorted(times, table["time"].to_numpy())
    ci = np.searchsorted(chans, table["channel"].to_numpy())
    labels = [band_label(b) for b in bands]
    data = np.full((len(labels), len(times), len(chans)), np.nan)
    for i, lab in enumerate(labels):
        data[i, ti, ci] = table[lab].to_numpy()
    return xr.DataArray(
        data, dims=("band", "time", "channel"),
        coords={"band": labels, "time": pd.DatetimeIndex(times).tz_convert(None),
                "channel": chans},
        attrs={"long_name": "band energy (mean squared strain rate)"},
    )
