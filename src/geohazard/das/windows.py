"""Epoch-aligned windows: the band-energy settings, the window plan and the long table.

Windows are aligned to multiples of the window length since the UNIX epoch (UTC), so
runs over different file sets produce the same windows.  A window is reported when at
least ``min_coverage`` of its samples exist; its ``coverage`` column says how many.
Data that cover no window that well (a file shorter than one window) are refused with a
message naming the file and the window, before anything is computed or written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from geohazard.das.bandpower import band_energy_pieces
from geohazard.das.bands import DEFAULT_BANDS, band_label, validate_bands
from geohazard.das.io import NS, DASFile, SliceReader
from geohazard.exceptions import DASError, ParameterError

__all__ = ["EnergyConfig", "check_covered", "plan_windows", "process_windows"]


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


def window_coverage(files: list[DASFile], t0: int, cfg: EnergyConfig) -> float:
    """Fraction of the samples of the window starting at ``t0`` (ns) that ``files`` hold.

    From the files' extents: nothing is read.
    """
    w = cfg.window_ns
    n = sum(max(0, f.index_at(t0 + w) - f.index_at(t0)) for f in files
            if f.t0_ns < t0 + w and f.t_end_ns > t0)
    return n / (cfg.window_s * files[0].fs)


def check_covered(files: list[DASFile], cfg: EnergyConfig, source: Any = None) -> None:
    """Refuse data in which no window reaches ``cfg.min_coverage`` (e.g. too short a file).

    Raises
    ------
    DASError
        Naming the file (or ``source``), its duration and the window (``--window``).
    """
    if not files or any(window_coverage(files, t0, cfg) >= cfg.min_coverage - 1e-9
                        for t0 in plan_windows(files, cfg)):
        return
    name = source if source is not None else (
        files[0].path if len({f.path for f in files}) == 1 else f"{files[0].path} and "
        f"{len(files) - 1} more file(s)")
    held = sum(f.n_time * f.dt_ns for f in files) / NS
    if held < cfg.window_s * cfg.min_coverage:
        why = f"holds {held:g} s of data, shorter than one {cfg.window_s:g} s window"
    else:
        why = (f"holds {held:g} s of data, but no {cfg.window_s:g} s window (windows start "
               f"at multiples of it since the epoch) is {cfg.min_coverage:.0%} covered")
    raise DASError(f"{name}: {why} (--window); use a shorter --window")


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


def _files_for(files: list[DASFile], chunk: list[int], cfg: EnergyConfig) -> list[DASFile]:
    lo, hi = chunk[0], chunk[-1] + cfg.window_ns
    return [f for f in files if f.t0_ns < hi and f.t_end_ns > lo]


def process_windows(
    files: list[DASFile], starts: Sequence[int], cfg: EnergyConfig, strain: bool = False
) -> pd.DataFrame:
    """Band energy of the windows starting at ``starts`` (ns): a long table.

    Columns: ``time`` (window start, UTC), ``channel``, one column per band,
    ``coverage``.  Windows below ``cfg.min_coverage`` are left out.
    """
    if not files:
        return rows_to_table([], cfg)
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
    return rows_to_table(rows, cfg)


def rows_to_table(rows: list[tuple[int, np.ndarray, float]], cfg: EnergyConfig
                  ) -> pd.DataFrame:
    """Long table (``time``, ``channel``, one column per band, ``coverage``) of window rows."""
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


_rows_to_table = rows_to_table  # the name before the split of energy.py
