"""The band-energy kernel: mean square of the band-passed signal of one window.

For a window of ``n`` samples ``x_j`` of one channel with DFT
``X_k = sum_j x_j exp(-2 pi i j k / n)``, the energy in band ``[f_lo, f_hi)`` is

    E = (1 / n**2) * sum_{k : f_lo <= k fs / n < f_hi} w_k |X_k|**2,

with ``w_k = 2`` for ``0 < k < n/2`` and ``w_k = 1`` at 0 and the Nyquist bin.  By
Parseval's theorem this is exactly the **mean square of the band-passed signal** (ideal
brick-wall filter over the window) in (data units)**2: mean squared strain rate for
strain-rate data, mean squared velocity for velocity data (see
:mod:`geohazard.das.quantity`).  Strain is differentiated in the frequency domain
(``|X_k|**2 * (2 pi f_k)**2``), so its energy is that of strain rate.  ``to_db`` gives
``10 log10 E`` (= 20 log10 of the band RMS), in dB re 1 (data units)**2.

Each window is transposed, ``CHANNEL_BLOCK`` channels at a time, into a channel-major
buffer (Numba) and ``scipy.fft.rfft`` runs along contiguous rows; the band sums are fused
(Numba).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import scipy.fft as sp_fft

from geohazard.das.bands import DEFAULT_BANDS, band_bins
from geohazard.exceptions import ParameterError

__all__ = ["CHANNEL_BLOCK", "band_energy", "band_energy_pieces", "to_db"]

CHANNEL_BLOCK = 256  # channels transformed at a time: bounds the FFT buffers


def band_energy(
    block: np.ndarray,
    fs: float,
    bands: Sequence[tuple[float, float]] = DEFAULT_BANDS,
    *,
    strain: bool = False,
    workers: int | None = None,
) -> np.ndarray:
    """Band energy (mean square of the band-passed signal) of one window.

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


def _band_weights(n: int, fs: float, bands: Sequence[tuple[float, float]], strain: bool
                  ) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """``(kmin, weights over bins kmin.., k0 per band, k1 per band)`` of an ``n``-point window."""
    ranges = [band_bins(n, fs, b) for b in bands]
    kmin, kmax = min(r[0] for r in ranges), max(r[1] for r in ranges)
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
    return kmin, weights, k0, k1


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
    n = sum(p.shape[0] for p in pieces)
    if n < 2:
        raise ParameterError(f"window holds {n} sample(s); need at least 2")
    plan = _band_weights(n, fs, bands, strain)
    dtype = np.float64 if any(p.dtype == np.float64 for p in pieces) else np.float32
    n_ch = pieces[0].shape[1]
    step = max(1, min(n_ch, CHANNEL_BLOCK))
    out = np.empty((len(plan[2]), n_ch))
    blocks = [(c0, min(c0 + step, n_ch)) for c0 in range(0, n_ch, step)]
    n_threads = max(1, min(int(workers or 1), len(blocks)))

    def run(todo: list[tuple[int, int]]) -> None:
        buf = np.empty((step, n), dtype)  # (channel, time), reused for this thread's blocks
        for c0, c1 in todo:
            out[:, c0:c1] = _block_energy(pieces, c0, c1, buf[:c1 - c0], plan)

    if n_threads == 1:
        run(blocks)
    else:  # channel blocks in threads: the kernels and the FFT release the GIL
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(n_threads) as pool:
            list(pool.map(run, [blocks[i::n_threads] for i in range(n_threads)]))
    return out


def _block_energy(pieces: Sequence[np.ndarray], c0: int, c1: int, view: np.ndarray,
                  plan: tuple[int, np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
    """Band energy of channels ``c0:c1`` through the ``(channel, time)`` buffer ``view``."""
    from geohazard.das._kernels import band_sums, transpose_into

    kmin, weights, k0, k1 = plan
    off = 0
    for p in pieces:
        transpose_into(np.asarray(p[:, c0:c1]), view[:, off:off + p.shape[0]])
        off += p.shape[0]
    view, dead = _fill_gaps(view)
    spec = sp_fft.rfft(view, axis=1)  # (channel, F)
    energy = band_sums(spec, kmin, weights, k0, k1)
    if dead is not None:
        energy[:, np.flatnonzero(dead)] = np.nan
    return energy


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
