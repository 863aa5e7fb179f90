"""Spectra, spectrograms and resonance peaks (light-pole modes) per channel.

Power spectral densities are Welch estimates (Hann windows, 50 % overlap) of strain
rate, in (data units)**2 / Hz.  A resonance is a local maximum of the PSD in
``[fmin, fmax]`` (default 1-8 Hz) that stands ``prominence_db`` above its surroundings.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import signal

from geohazard.das.io import DASFile, SliceReader
from geohazard.exceptions import ParameterError


def channel_spectra(block: np.ndarray, fs: float, nperseg: int | None = None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Welch PSD of every channel.

    Parameters
    ----------
    block
        Samples, shape ``(time, channel)``.
    fs
        Sampling rate, Hz.
    nperseg
        Segment length (default: 4 s of data, at most the block length).

    Returns
    -------
    freqs, psd
        Shapes ``(F,)`` and ``(F, channel)``.
    """
    n = block.shape[0]
    seg = min(n, nperseg or int(4 * fs))
    if seg < 8:
        raise ParameterError(f"block of {n} samples too short for a spectrum")
    return signal.welch(block, fs=fs, nperseg=seg, axis=0, detrend="constant")


def channel_spectrogram(trace: np.ndarray, fs: float, seg_s: float = 4.0
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Spectrogram of one channel: ``freqs (F,), times (T,) s, psd (F, T)``."""
    seg = min(trace.size, max(8, int(seg_s * fs)))
    return signal.spectrogram(trace, fs=fs, nperseg=seg, noverlap=seg // 2)


def find_resonances(freqs: np.ndarray, psd: np.ndarray, fmin: float = 1.0, fmax: float = 8.0,
                    prominence_db: float = 6.0) -> pd.DataFrame:
    """Resonance peaks of one PSD, strongest first.

    Returns
    -------
    pandas.DataFrame
        freq_hz, psd, prominence_db.
    """
    band = (freqs >= fmin) & (freqs <= fmax)
    if band.sum() < 3:
        raise ParameterError(f"fewer than 3 frequencies in {fmin}-{fmax} Hz")
    db = 10 * np.log10(np.maximum(psd[band], 1e-30))
    idx, props = signal.find_peaks(db, prominence=prominence_db)
    out = pd.DataFrame({"freq_hz": freqs[band][idx], "psd": psd[band][idx],
                        "prominence_db": props["prominences"]})
    return out.sort_values("psd", ascending=False, ignore_index=True)


def resonance_tracks(files: list[DASFile], channels: Sequence[int], starts: Sequence[int],
                     window_s: float, fmin: float = 1.0, fmax: float = 8.0) -> pd.DataFrame:
    """Dominant 1-8 Hz peak of selected channels in each window.

    Parameters
    ----------
    files
        Scanned files (:func:`geohazard.das.io.scan_path`).
    channels
        Channels to follow (e.g. the peak channels of pole candidates).
    starts
        Window starts, ns since the epoch.
    window_s
        Window length, s.

    Returns
    -------
    pandas.DataFrame
        time, channel, peak_freq_hz, peak_psd, band_psd (mean PSD in fmin-fmax).
    """
    from geohazard.das.windows import _window_block

    chans = np.asarray(sorted(set(int(c) for c in channels)))
    if chans.size == 0:
        return pd.DataFrame(columns=["time", "channel", "peak_freq_hz", "peak_psd", "band_psd"])
    reader = SliceReader(slice(int(chans.min()), int(chans.max()) + 1))
    fs = files[0].fs
    rows = []
    try:
        for t0 in starts:
            block, n = _window_block(reader, files, int(t0), int(t0 + window_s * 1e9))
            if block is None or n < 16:
                continue
            freqs, psd = channel_spectra(block[:, chans - chans.min()].astype(float), fs)
            band = (freqs >= fmin) & (freqs <= fmax)
            k = np.argmax(psd[band], axis=0)
            for j, ch in enumerate(chans):
                rows.append((t0, ch, freqs[band][k[j]], psd[band][k[j], j],
                             psd[band][:, j].mean()))
    finally:
        reader.close()
    out = pd.DataFrame(rows, columns=["time", "channel", "peak_freq_hz", "peak_psd",
                                      "band_psd"])
    out["time"] = pd.to_datetime(out["time"].astype("int64"), utc=True)
    return out


def resonance_summary(tracks: pd.DataFrame) -> pd.DataFrame:
    """Per channel: typical resonance frequency and how peak and amplitude follow wind.

    ``amp`` is the RMS amplitude density ``sqrt(band_psd)``; with a pole whose shaking
    grows linearly with wind it is linear in wind speed.  ``freq_wind_slope`` shows
    whether the mode frequency drifts with wind (Hz per m/s).
    """
    from geohazard.das.regression import fit_lines

    rows = []
    for ch, grp in tracks.dropna(subset=["wind_mps"]).groupby("channel"):
        wind = grp["wind_mps"].to_numpy()
        amp = np.sqrt(grp["band_psd"].to_numpy())
        f_fit = fit_lines(wind, grp["peak_freq_hz"].to_numpy())
        a_fit = fit_lines(wind, amp)
        q1, q3 = np.percentile(grp["peak_freq_hz"], [25, 75])
        rows.append({"channel": int(ch), "peak_freq_hz": float(grp["peak_freq_hz"].median()),
                     "peak_freq_iqr_hz": float(q3 - q1),
                     "freq_wind_slope": float(f_fit["slope"].iat[0]),
                     "amp_wind_slope": float(a_fit["slope"].iat[0]),
                     "amp_wind_r2": float(a_fit["r2"].iat[0]), "n": len(grp)})
    return pd.DataFrame(rows)


def window_psd(files: list[DASFile], channel: int, start_ns: int, window_s: float
               ) -> tuple[np.ndarray, np.ndarray]:
    """Welch PSD of one channel over one window: ``freqs, psd``."""
    from geohazard.das.windows import _window_block

    reader = SliceReader(slice(int(channel), int(channel) + 1))
    try:
        block, n = _window_block(reader, files, int(start_ns), int(start_ns + window_s * 1e9))
    finally:
        reader.close()
    if block is None:
        raise ParameterError(f"no data for channel {channel} in the window at {start_ns} ns")
    freqs, psd = channel_spectra(block.astype(float), files[0].fs)
    return freqs, psd[:, 0]
