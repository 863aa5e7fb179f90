"""Flow routing kernels (Numba): priority-flood sink filling and D8 accumulation."""

from __future__ import annotations

import heapq

import numba
import numpy as np

_DR = np.array([-1, -1, -1, 0, 0, 1, 1, 1], dtype=np.int64)
_DC = np.array([-1, 0, 1, -1, 1, -1, 0, 1], dtype=np.int64)


@numba.njit(cache=True)
def _is_border(z: np.ndarray, i: int, j: int, dr: np.ndarray,
               dc: np.ndarray) -> bool:  # pragma: no cover
    ny, nx = z.shape
    if i == 0 or j == 0 or i == ny - 1 or j == nx - 1:
        return True
    for k in range(8):
        if np.isnan(z[i + dr[k], j + dc[k]]):
            return True
    return False


@numba.njit(cache=True)
def _flood(z: np.ndarray, dr: np.ndarray, dc: np.ndarray) -> np.ndarray:  # pragma: no cover
    ny, nx = z.shape
    out = z.copy()
    seen = np.zeros((ny, nx), dtype=np.bool_)
    heap = [(0.0, np.int64(0))]
    heap.pop()
    for i in range(ny):
        for j in range(nx):
            if np.isnan(z[i, j]):
                seen[i, j] = True
            elif _is_border(z, i, j, dr, dc):
                seen[i, j] = True
                heapq.heappush(heap, (z[i, j], np.int64(i * nx + j)))
    while len(heap) > 0:
        zc, idx = heapq.heappop(heap)
        i, j = idx // nx, idx % nx
        for k in range(8):
            a, b = i + dr[k], j + dc[k]
            if a < 0 or b < 0 or a >= ny or b >= nx or seen[a, b]:
                continue
            seen[a, b] = True
            floor = np.nextafter(zc, np.inf)
            if out[a, b] < floor:
                out[a, b] = floor
            heapq.heappush(heap, (out[a, b], np.int64(a * nx + b)))
    return out


def priority_flood(z: np.ndarray) -> np.ndarray:
    """Fill depressions so every cell drains to the edge or to nodata (Barnes et al. 2014).

    Flats get a tiny (one-ulp per cell) gradient towards their outlet, so D8 routing
    crosses them.

    Parameters
    ----------
    z
        Elevations, shape ``(ny, nx)``, NaN for nodata.

    Returns
    -------
    numpy.ndarray
        Filled elevations (``>= z`` everywhere).
    """
    return _flood(np.ascontiguousarray(z, dtype=np.float64), _DR, _DC)


@numba.njit(cache=True)
def _d8(z: np.ndarray, dy: np.ndarray, dx: np.ndarray, dr: np.ndarray,
        dc: np.ndarray) -> np.ndarray:  # pragma: no cover
    ny, nx = z.shape
    area = np.zeros((ny, nx))
    for i in range(ny):
        for j in range(nx):
            area[i, j] = np.nan if np.isnan(z[i, j]) else dy[i] * dx[i]
    order = np.argsort(-z.ravel())  # NaN sorts last
    for idx in order:
        i, j = idx // nx, idx % nx
        if np.isnan(z[i, j]):
            continue
        best, bi, bj = 0.0, -1, -1
        for k in range(8):
            a, b = i + dr[k], j + dc[k]
            if a < 0 or b < 0 or a >= ny or b >= nx or np.isnan(z[a, b]):
                continue
            ddy = dr[k] * 0.5 * (dy[i] + dy[a])
            ddx = dc[k] * dx[i]
            g = (z[i, j] - z[a, b]) / np.sqrt(ddy * ddy + ddx * ddx)
            if g > best:
                best, bi, bj = g, a, b
        if bi >= 0:
            area[bi, bj] += area[i, j]
    return area


def d8_accumulation(z: np.ndarray, dy: np.ndarray, dx: np.ndarray) -> np.ndarray:
    """Upslope area in m² by D8 (O'Callaghan & Mark 1984), each cell counting itself.

    Parameters
    ----------
    z
        Elevations, shape ``(ny, nx)``, NaN for nodata (fill sinks first).
    dy, dx
        Metre cell sizes per row, shape ``(ny,)``.

    Returns
    -------
    numpy.ndarray
        Accumulated area, NaN where ``z`` is NaN.
    """
    return _d8(np.ascontiguousarray(z, dtype=np.float64), np.asarray(dy, dtype=np.float64),
               np.asarray(dx, dtype=np.float64), _DR, _DC)
