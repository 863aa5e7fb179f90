"""Frequency bands: parsing, checking, and resolving against the data's Nyquist frequency.

A band is ``(lo, hi)`` in Hz, half-open ``[lo, hi)`` except that it includes the Nyquist
bin when ``hi`` reaches it.  Its label gives its true edges (``"8-50Hz"``): a band clipped
at the Nyquist frequency is named by the clipped edge, never by the edge asked for, and the
clipping is logged as a warning.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from geohazard.exceptions import ParameterError

__all__ = ["DEFAULT_BANDS", "BandClippedWarning", "band_label", "named_bands", "parse_bands",
           "resolve_bands", "validate_bands"]

log = logging.getLogger(__name__)

DEFAULT_BANDS: tuple[tuple[float, float], ...] = ((0.5, 8.0), (2.0, 8.0), (8.0, 125.0))
NYQUIST_TOLERANCE = 1e-4  # relative: interrogator clocks are off nominal by ppm
#: bins: a band edge this close to a frequency bin is taken to be on it.  With float POSIX
#: timestamps a FORESEE file's fs is ~6e-10 off nominal, so without the snap an edge exactly
#: on a bin (8 Hz in 10-s windows) would take that bin when the file is read directly and not
#: when the same data comes through a DASCore patch (whole-ns clock). Bands are ``[lo, hi)``
#: in bins, whatever the clock's last digits.
BIN_SNAP = 1e-3


class BandClippedWarning(UserWarning):
    """A band reached above the Nyquist frequency and was clipped to it."""


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


def named_bands(bands: Mapping[str, Sequence[float]] | Iterable[Sequence[float]]
                ) -> tuple[tuple[str | None, tuple[float, float]], ...]:
    """``(name, band)`` pairs from a mapping ``name -> (lo, hi)`` or unnamed bands."""
    if isinstance(bands, Mapping):
        names = [str(k) for k in bands]
        if any(not n.strip() for n in names):
            raise ParameterError(f"band names must not be empty, got {names}")
        return tuple(zip(names, validate_bands(bands.values()), strict=True))
    return tuple((None, b) for b in validate_bands(bands))


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
        returned bands, and so every label, show the clipped edge (``8-50Hz``), and a
        warning is logged.  Otherwise such a band (a user's ``--bands``) is refused.

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
            log.warning("band %s clipped to %s at the Nyquist frequency of data sampled at "
                        "%g Hz", label, band_label((lo, hi)), fs)
        out.append((lo, hi))
    if window_s is not None:
        n = int(round(window_s * fs))
        if n < 2:
            raise ParameterError(f"--window {window_s:g} s holds {n} sample(s) at {fs:g} Hz; "
                                 "need at least 2")
        for band in out:
            try:
                band_bins(n, fs, band)
            except ParameterError as exc:
                raise ParameterError(f"{exc} (--window/--bands)") from None
    return validate_bands(out)


def band_bins(n: int, fs: float, band: tuple[float, float]) -> tuple[int, int]:
    """Bin range ``[k0, k1)`` of ``band`` for an ``n``-point real FFT."""
    n_freq = n // 2 + 1
    lo, hi = band
    if lo >= fs / 2:
        raise ParameterError(f"band {band_label(band)} starts above the Nyquist frequency "
                             f"{fs / 2:g} Hz")
    # BIN_SNAP: a ppb clock offset (float POSIX timestamps) must not flip a bin at an edge
    k0 = int(np.ceil(lo * n / fs - BIN_SNAP))
    k1 = n_freq if hi >= fs / 2 else int(np.ceil(hi * n / fs - BIN_SNAP))
    if k1 <= k0:
        raise ParameterError(
            f"band {band_label(band)} holds no frequency bin for a window of {n} samples "
            f"at {fs:g} Hz (resolution {fs / n:.3g} Hz): lengthen the window"
        )
    return k0, k1
