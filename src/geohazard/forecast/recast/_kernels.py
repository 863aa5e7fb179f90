"""Numba kernels of the RECAST network for sequential work: history scans and sample tails.

Torch dispatches every small operation separately, which costs tens of microseconds per GRU
step when there is one sequence (encoding a 100,000-event history) or a handful of
continuations (the long tail of a sample whose last continuations run thousands of events).
These kernels run the same arithmetic (float32 weights and states, float64 times) in one
compiled loop, one continuation after another, on the calling thread only.

Shapes: ``C`` hidden size, ``K`` mixture components; the decoder rows ``head_w`` are the
time decoder's ``3K`` (logits, log-rates, raw shapes) followed by the magnitude row.
"""

from __future__ import annotations

import math

import numba
import numpy as np

# no 'nnan'/'ninf': a gap can overflow to inf (it then ends its continuation)
_FM = {"contract", "arcp", "reassoc", "afn"}
_LOG_RATE_CLAMP = 30.0
_TINY = 1e-30
_MIN_GAP = 1e-9
LN10 = math.log(10.0)


@numba.njit(cache=True, fastmath=_FM)
def _gru_step(h: np.ndarray, gi: np.ndarray, w_hh: np.ndarray, b_hh: np.ndarray,
              gh: np.ndarray) -> None:  # pragma: no cover - compiled
    """``h <- GRU(h)`` in place, given the input projection ``gi`` (3C,), as torch's GRU."""
    C = h.shape[0]
    for j in range(3 * C):
        acc = b_hh[j]
        for k in range(C):
            acc += w_hh[j, k] * h[k]
        gh[j] = acc
    for j in range(C):
        r = 1.0 / (1.0 + math.exp(-(gi[j] + gh[j])))
        z = 1.0 / (1.0 + math.exp(-(gi[C + j] + gh[C + j])))
        n = math.tanh(gi[2 * C + j] + r * gh[2 * C + j])
        h[j] = n + z * (h[j] - n)


@numba.njit(cache=True, fastmath=_FM)
def gru_scan(gi: np.ndarray, w_hh: np.ndarray, b_hh: np.ndarray,
             h: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    """State after running the GRU over inputs whose projections ``gi`` (N, 3C) are given.

    ``gi = inputs @ w_ih.T + b_ih`` (float32); ``h`` (C,) is the initial state, updated in
    place and returned.
    """
    gh = np.empty(w_hh.shape[0], np.float32)
    for t in range(gi.shape[0]):
        _gru_step(h, gi[t], w_hh, b_hh, gh)
    return h


@numba.njit(cache=True, fastmath=_FM)
def _softplus(x: float) -> float:  # pragma: no cover - compiled
    return x if x > 20.0 else math.log1p(math.exp(x))  # torch's threshold


@numba.njit(cache=True, fastmath=_FM)
def _draw_gap(out: np.ndarray, K: int, u: float, expo: float) -> float:  # pragma: no cover
    """Gap (decoder units): component by inverse CDF of the softmax weights, then Weibull."""
    mx = out[0]
    for k in range(1, K):
        mx = max(mx, out[k])
    total = 0.0
    for k in range(K):
        total += math.exp(out[k] - mx)
    target = u * total
    comp, cum = K - 1, 0.0
    for k in range(K):
        cum += math.exp(out[k] - mx)
        if cum > target:
            comp = k
            break
    log_b = min(max(out[K + comp], -_LOG_RATE_CLAMP), _LOG_RATE_CLAMP)
    shape = _softplus(out[2 * K + comp]) + 1e-3
    return math.exp((math.log(max(expo, _TINY)) - log_b) / shape)


@numba.njit(cache=True, fastmath=_FM)
def _decode(h: np.ndarray, head_w: np.ndarray, head_b: np.ndarray,
            out: np.ndarray) -> None:  # pragma: no cover - compiled
    for j in range(head_w.shape[0]):
        acc = head_b[j]
        for k in range(h.shape[0]):
            acc += head_w[j, k] * h[k]
        out[j] = acc


@numba.njit(cache=True)
def _grow(a: np.ndarray, n: int) -> np.ndarray:  # pragma: no cover - compiled
    if n < a.shape[0]:
        return a
    b = np.empty(2 * a.shape[0], a.dtype)
    b[:a.shape[0]] = a
    return b


@numba.njit(cache=True, fastmath=_FM)
def tail(h0: np.ndarray, last_t: np.ndarray, counts: np.ndarray, t1: float,
         head_w: np.ndarray, head_b: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray,
         b_ih: np.ndarray, b_hh: np.ndarray, K: int, norm: np.ndarray, learned: bool,
         max_events: int, rng: np.random.Generator
         ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:  # pragma: no cover - compiled
    """Run each continuation (rows of ``h0`` (m, C)) to the horizon ``t1``, one by one.

    ``norm`` holds ``time_scale, log_tau_mean, log_tau_std, mag_mean, mag_std, b,
    mag_min``. Returns the rows, times and magnitudes of the new events (grouped by row,
    in time order within a row) and the number of rows stopped at ``max_events``.
    """
    scale, ltm, lts, mm, ms, b0, mag_min = (norm[0], norm[1], norm[2], norm[3], norm[4],
                                            norm[5], norm[6])
    C = h0.shape[1]
    out = np.empty(head_w.shape[0], np.float32)
    gi = np.empty(3 * C, np.float32)
    gh = np.empty(3 * C, np.float32)
    h = np.empty(C, np.float32)
    rows = np.empty(1024, np.int64)
    times = np.empty(1024, np.float64)
    mags = np.empty(1024, np.float64)
    n, n_full = 0, 0
    for i in range(h0.shape[0]):
        h[:] = h0[i]
        t, c = last_t[i], counts[i]
        while True:
            _decode(h, head_w, head_b, out)
            u = rng.random()
            gap = _draw_gap(out, K, u, rng.standard_exponential()) * scale
            if not t + gap <= t1:
                break
            expo = rng.standard_exponential()
            b = b0 * math.exp(min(max(float(out[3 * K]), -3.0), 3.0)) if learned else b0
            mag = mag_min + expo / (b * LN10)
            t += gap
            rows, times, mags = _grow(rows, n), _grow(times, n), _grow(mags, n)
            rows[n], times[n], mags[n] = i, t, mag
            n += 1
            c += 1
            if c >= max_events:
                n_full += 1
                break
            x0 = (math.log(max(gap, _MIN_GAP)) - ltm) / lts
            x1 = (mag - mm) / ms
            for j in range(3 * C):
                gi[j] = b_ih[j] + w_ih[j, 0] * np.float32(x0) + w_ih[j, 1] * np.float32(x1)
            _gru_step(h, gi, w_hh, b_hh, gh)
    return rows[:n], times[:n], mags[:n], n_full


def warm_up() -> None:
    """Load the compiled kernels now (from numba's cache; compiled on the very first use).

    The first call of any compiled function in a process also initialises LLVM (about half a
    second); a caller that times its sampling calls, or wants the cost paid at start-up, calls
    this first.
    """
    C, K = 2, 2
    f32 = np.float32
    gru_scan(np.zeros((1, 3 * C), f32), np.zeros((3 * C, C), f32), np.zeros(3 * C, f32),
             np.zeros(C, f32))
    tail(np.zeros((1, C), f32), np.zeros(1), np.zeros(1, np.int64), -1.0,
         np.zeros((3 * K + 1, C), f32), np.zeros(3 * K + 1, f32), np.zeros((3 * C, 2), f32),
         np.zeros((3 * C, C), f32), np.zeros(3 * C, f32), np.zeros(3 * C, f32), K, np.ones(7),
         True, 1, np.random.default_rng(0))
