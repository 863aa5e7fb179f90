"""Numba kernels of the band-energy hot loop (cache-blocked transpose, fused band sums)."""

from __future__ import annotations

import numba
import numpy as np

_TILE = 64


@numba.njit(cache=True, nogil=True)
def transpose_into(src: np.ndarray, dst: np.ndarray) -> None:  # pragma: no cover - jitted
    """Write ``src`` (time, channel) into ``dst`` (channel, time), tile by tile.

    ``dst`` may be a column slice of a larger buffer; values are cast to its dtype.
    """
    n, m = src.shape
    for i0 in range(0, n, _TILE):
        i1 = min(i0 + _TILE, n)
        for j0 in range(0, m, _TILE):
            j1 = min(j0 + _TILE, m)
            for i in range(i0, i1):
                for j in range(j0, j1):
                    dst[j, i] = src[i, j]


@numba.njit(cache=True, nogil=True)
def band_sums(spec: np.ndarray, kmin: int, weights: np.ndarray, k0: np.ndarray,
              k1: np.ndarray) -> np.ndarray:  # pragma: no cover - jitted
    """``out[b, c] = sum_{k0[b] <= k < k1[b]} weights[k - kmin] * |spec[c, k]|**2``."""
    n_ch = spec.shape[0]
    n_band = k0.size
    out = np.zeros((n_band, n_ch))
    for c in range(n_ch):
        for b in range(n_band):
            acc = 0.0
            for k in range(k0[b], k1[b]):
                z = spec[c, k]
                acc += weights[k - kmin] * (z.real * z.real + z.imag * z.imag)
            out[b, c] = acc
    return out
