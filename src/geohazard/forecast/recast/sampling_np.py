"""RECAST sampling without torch: numpy float32 batched steps and the compiled kernels.

Issuing a forecast from a checkpoint runs this module alone (with the weights read from
the checkpoint's sidecar, :mod:`~geohazard.forecast.recast.weights`), so the process never
imports torch, whose import alone costs about a second. Each step of :func:`run_steps_np`
mirrors :func:`~geohazard.forecast.recast.sampling_fast.run_steps` in law:

- states are feature-major, ``H`` (C, n); one float32 matrix product gives, for every
  active continuation, the time decoder's ``3K`` outputs, the magnitude decoder's one and
  the GRU's hidden projection ``W_hh h + b_hh`` (``(3K + 1 + 3C, n)``), so the reductions
  over mixture components run down contiguous rows;
- the mixture component comes from one uniform per continuation by inverse CDF on the
  cumulated (unnormalised) softmax weights; only the chosen component's log-rate and shape
  are transformed (the same clamp and softplus constants), and the gap
  ``X = (E / b) ** (1 / k)``, ``E ~ Exp(1)``, is computed in float64;
- magnitudes are Gutenberg-Richter with the learned (clamped) or the fixed b; the GRU
  update is ``torch.nn.GRUCell``'s: ``r, z = sigmoid(W_i x + b_i + W_h h + b_h)``,
  ``n = tanh(W_in x + b_in + r (W_hn h + b_hn))``, ``h' = n + z (h - n)``; marks and
  states are computed for every continuation of the step and those past the horizon are
  dropped afterwards (their draws are discarded, which leaves the laws unchanged).

The first gap is conditioned on the time elapsed since the last observed event
(``X > elapsed``): every continuation starts from the history's state, so the component
posterior ``w_i S_i(e) / S(e)`` is computed once (float64) and the gap is
``(e^k + E / b)^(1/k)``, as :meth:`WeibullMixture.sample` draws it. A long tail of few
continuations is finished by the compiled kernel
(:func:`~geohazard.forecast.recast._kernels.tail`), and a long history is encoded by the
compiled scan; otherwise nothing here needs Numba, whose import and first kernel load cost
about 0.45 s a process. Random numbers come from numpy Generators seeded from the caller's
seed; BLAS runs on one thread during the call (steady on a busy machine).
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from geohazard.forecast.recast.inputs import _MIN_GAP, Normaliser
from geohazard.forecast.recast.sampling_common import (
    HistoryStateCache,
    Recorder,
    SimulatedFeatures,
    check_args,
)
from geohazard.rng import RNGLike, as_generator

if TYPE_CHECKING:
    from geohazard.catalog.core import EventSequence
    from geohazard.forecast.base import Continuations
    from geohazard.forecast.recast.weights import NetWeights

log = logging.getLogger(__name__)

SCAN_COMPILED_ABOVE = 100_000  # history events above which the compiled scan encodes them
TAIL_BELOW = 32  # continuations left from which a step counts as a tail step
TAIL_STEPS = 256  # tail steps in numpy before the compiled kernel takes over
_LOG_RATE_CLAMP = 30.0  # as model._LOG_RATE_CLAMP
_TINY = 1e-30  # as distributions._TINY
LN10 = float(np.log(10.0))


def history_state(w: NetWeights, norm: Normaliser, history: EventSequence,
                  cache: HistoryStateCache | None = None) -> np.ndarray:
    """(C,) float32 encoder state after all history events (zeros for an empty history).

    Up to ``SCAN_COMPILED_ABOVE`` events the recurrence runs in numpy (about 5 us an event);
    above, in the compiled scan (:func:`~geohazard.forecast.recast._kernels.gru_scan`,
    about 0.15 us an event, after Numba's import and load, about 0.45 s once a process).
    The method depends on the history's length alone, and a cached state is reused only
    when it was computed the same way, so a history's state is always the same numbers.
    """
    from geohazard.forecast.recast.inputs import gap_arrays

    if len(history) == 0:
        return np.zeros(w.hidden, np.float32)
    rows = gap_arrays(history, norm).inputs[:-1]  # (N, n_inputs) float32
    method = "compiled" if rows.shape[0] > SCAN_COMPILED_ABOVE else "numpy"
    n0 = cache.prefix_length(w, rows, method) if cache is not None else 0
    h = (cache.state.copy() if (cache is not None and n0 > 0)
         else np.zeros(w.hidden, np.float32))
    if n0 < rows.shape[0]:
        h = _scan(w, rows[n0:], h, method == "compiled")
    if cache is not None:
        cache.store(w, rows, n0, h, method)
    return h


def _scan(w: NetWeights, rows: np.ndarray, h: np.ndarray, compiled: bool) -> np.ndarray:
    """(C,) state after the GRU ran over ``rows`` (N, n_inputs) from ``h`` (C,).

    The input projections ``W_ih x + b_ih`` are elementwise products (the same numbers
    whatever the rows are split into); the recurrence is sequential.
    """
    C = w.hidden
    if compiled:
        from geohazard.forecast.recast._kernels import gru_scan

        gi = _project(rows, w.w_ih, w.b_ih)  # (N, 3C)
        return gru_scan(gi, w.w_hh, w.b_hh, h.copy())
    gi = _project(rows, w.in_w[:, :-1], w.in_w[:, -1])  # reset and update rows halved
    w_hh, b_hh = w.step_w[-3 * C:], w.step_b[-3 * C:, 0]
    for g in gi:
        gh = w_hh @ h
        gh += b_hh
        rz = np.tanh(g[:2 * C] + gh[:2 * C])
        rz *= np.float32(0.5)
        rz += np.float32(0.5)
        cand = np.tanh(g[2 * C:] + rz[:C] * gh[2 * C:])
        h = cand + rz[C:] * (h - cand)
    return h


def _project(rows: np.ndarray, w_ih: np.ndarray, b_ih: np.ndarray) -> np.ndarray:
    """(N, 3C) float32 ``rows @ w_ih.T + b_ih``, elementwise (no BLAS blocking)."""
    out = np.empty((rows.shape[0], w_ih.shape[0]), np.float32)
    out[:] = b_ih
    for j in range(rows.shape[1]):
        out += rows[:, j:j + 1] * w_ih[:, j]
    return out


@dataclass
class ActiveNp:
    """Running continuations: ids (n,), states (C, n) float32, last times and counts (n,)."""

    ids: np.ndarray  # int64
    h: np.ndarray  # float32, feature-major
    last_t: np.ndarray  # float64, days
    counts: np.ndarray  # int64

    def take(self, keep: np.ndarray) -> None:
        """Keep only the continuations ``keep`` (an index array)."""
        self.ids, self.h = self.ids[keep], self.h[:, keep]
        self.last_t, self.counts = self.last_t[keep], self.counts[keep]


def simulate_np(w: NetWeights, norm: Normaliser, history: EventSequence,
                duration_days: float, n_samples: int, rng: RNGLike = None, *,
                magnitudes: str = "learned", max_events: int = 100_000,
                cache: HistoryStateCache | None = None,
                ) -> tuple[Continuations, SimulatedFeatures]:
    """Simulate ``n_samples`` continuations of ``duration_days`` after ``history.t_end``.

    As :func:`~geohazard.forecast.recast.sampling.simulate` (same arguments and results) for
    a model without extra features, drawing the same laws without torch.
    """
    check_args(duration_days, n_samples, magnitudes)
    if norm.feature_names:
        from geohazard.exceptions import InputError

        raise InputError("the numpy RECAST sampler serves models without extra features; "
                         f"this one has {list(norm.feature_names)}")
    seeds = as_generator(rng).integers(2**62, size=2)
    t0, t1 = float(history.t_end), float(history.t_end) + float(duration_days)
    t_last0 = float(history.times[-1]) if len(history) else float(history.t_start)
    rec = Recorder()
    with _one_blas_thread(), np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        h = history_state(w, norm, history, cache)
        act = ActiveNp(np.arange(n_samples), np.repeat(h[:, None], n_samples, axis=1),
                       np.full(n_samples, t_last0), np.zeros(n_samples, np.int64))
        run_steps_np(w, norm, act, t1, magnitudes == "learned", max_events, rec,
                     (t0 - t_last0) / norm.time_scale, np.random.default_rng(int(seeds[0])),
                     np.random.default_rng(int(seeds[1])))
    cont, feats = rec.build(n_samples, t0, t1, 0)
    return cont, SimulatedFeatures((), feats)


def run_steps_np(w: NetWeights, norm: Normaliser, act: ActiveNp, t1: float, learned: bool,
                 max_events: int, rec: Recorder, elapsed: float, gen: np.random.Generator,
                 tail_rng: np.random.Generator) -> None:
    """Draw events until every continuation in ``act`` has passed ``t1`` (days).

    The first gap is drawn given ``X > elapsed`` (decoder units; all continuations share
    the starting state), the following ones by the batched step. Each step updates the
    states of all continuations, then keeps those still before ``t1`` and under
    ``max_events`` (cheaper than selecting the decoder outputs first). A tail that runs
    more than ``TAIL_STEPS`` steps with at most ``TAIL_BELOW`` continuations (a long
    sequence of events, where each numpy step costs tens of microseconds) is finished by
    the compiled kernel (:func:`~geohazard.forecast.recast._kernels.tail`).
    """
    K, scale = w.K, norm.time_scale
    first, tail_steps = True, 0
    while act.ids.size:
        n = act.ids.size
        tail_steps += not first and n <= TAIL_BELOW  # the first gap is conditional
        if tail_steps > TAIL_STEPS:
            _run_tail(act, w, norm, t1, learned, max_events, tail_rng, rec)
            return
        out = w.step(act.h)  # (3K + 1 + 3C, n)
        if first:
            gap_days = _first_gap(out[:, 0], K, elapsed, n, gen) * scale
            first = False
        else:
            gap_days = _gap(out, K, gen) * scale
        t_new = act.last_t + gap_days
        alive = t_new <= t1
        mag = _mags(out[3 * K], norm, learned, gen)
        rec.add(act.ids[alive], t_new[alive], mag[alive])
        act.h = _gru(w, norm, act.h, out[3 * K + 1:], gap_days, mag)
        act.last_t, act.counts = t_new, act.counts + 1
        go = alive & (act.counts < max_events)
        if not go.all():
            _stopped_full(int(np.count_nonzero(alive)) - int(np.count_nonzero(go)), max_events)
            act.take(np.flatnonzero(go))


def _stopped_full(n_full: int, max_events: int) -> None:
    if n_full:
        log.warning("%d continuations reached max_events=%d and were stopped",
                    n_full, max_events)


def _softplus(x: np.ndarray) -> np.ndarray:
    """Softplus as torch computes it (threshold 20), in the dtype of ``x``."""
    return np.where(x > 20.0, x, np.log1p(np.exp(np.minimum(x, np.float32(20.0)))))


def _gap(out: np.ndarray, K: int, gen: np.random.Generator) -> np.ndarray:
    """(n,) next gaps in decoder units, from the mixtures in rows ``[0, 3K)`` of ``out``."""
    n = out.shape[1]
    logits = out[:K]  # (K, n)
    weights = np.exp(logits - logits.max(axis=0))  # unnormalised softmax, float32
    cdf = _cumulate(K) @ weights  # (K, n): running sums down the components
    u = gen.random(n, dtype=np.float32) * cdf[K - 1]
    # searchsorted(cdf, u, right=True): the components whose running sum is <= u
    comp = np.minimum(np.add.reduce(cdf <= u, axis=0, dtype=np.intp), K - 1)
    cols = np.arange(n)
    log_b = np.clip(out[K + comp, cols], -_LOG_RATE_CLAMP, _LOG_RATE_CLAMP)
    k = _softplus(out[2 * K + comp, cols]) + np.float32(1e-3)
    expo = gen.standard_exponential(n)
    # X = (E / b) ** (1 / k), in float64 from the float32 decoder outputs
    return np.exp((np.log(np.maximum(expo, _TINY)) - log_b.astype(np.float64))
                  / k.astype(np.float64))


@functools.cache
def _cumulate(K: int) -> np.ndarray:
    """(K, K) float32 lower-triangular ones: ``_cumulate(K) @ x`` sums ``x`` down axis 0."""
    return np.tril(np.ones((K, K), np.float32))


def _first_gap(col: np.ndarray, K: int, elapsed: float, n: int,
               gen: np.random.Generator) -> np.ndarray:
    """(n,) first gaps (decoder units) given ``X > elapsed``, from one decoder column."""
    logits = col[:K] - col[:K].max()
    log_w = logits - np.log(np.exp(logits).sum())  # log_softmax, float32
    log_b = np.clip(col[K:2 * K], -_LOG_RATE_CLAMP, _LOG_RATE_CLAMP).astype(np.float64)
    k = (_softplus(col[2 * K:3 * K]) + np.float32(1e-3)).astype(np.float64)
    if elapsed > 0:
        log_he = log_b + k * np.log(max(elapsed, _TINY))  # log(b e^k)
    else:
        log_he = np.full(K, -np.inf)
    post = log_w.astype(np.float64) - np.exp(log_he)  # unnormalised log posterior
    cdf = np.exp(post - post.max()).cumsum()
    comp = np.minimum(np.searchsorted(cdf, gen.random(n) * cdf[-1], side="right"), K - 1)
    expo = gen.standard_exponential(n)
    # log(b x^k) = logaddexp(log(b e^k), log E)  ->  x = exp((that - log b) / k)
    log_hx = np.logaddexp(log_he[comp], np.log(np.maximum(expo, _TINY)))
    return np.exp((log_hx - log_b[comp]) / k[comp])


def _mags(out_mag: np.ndarray, norm: Normaliser, learned: bool,
          gen: np.random.Generator) -> np.ndarray:
    """(n,) float64 magnitudes: Gutenberg-Richter with the learned or the fixed b."""
    expo = gen.standard_exponential(out_mag.shape[0])
    if learned:
        beta = norm.b * np.exp(np.clip(out_mag.astype(np.float64), -3.0, 3.0)) * LN10
        return norm.mag_min + expo / beta
    return norm.mag_min + expo / (norm.b * LN10)


def _gru(w: NetWeights, norm: Normaliser, h: np.ndarray, gh: np.ndarray,
         gap_days: np.ndarray, mag: np.ndarray) -> np.ndarray:
    """(C, n) states after the events (``gap_days``, ``mag``), as ``torch.nn.GRUCell``.

    ``gh`` (3C, n) is ``W_hh h + b_hh`` with the reset and update rows halved (as
    ``w.in_w``), so ``sigmoid(a) = (1 + tanh(a / 2)) / 2`` is one ``tanh`` of the sum.
    """
    C = w.hidden
    x = np.empty((3, gap_days.size), np.float32)  # inputs and a row of ones (the bias)
    x[0] = (np.log(np.maximum(gap_days, _MIN_GAP)) - norm.log_tau_mean) / norm.log_tau_std
    x[1] = (mag - norm.mag_mean) / norm.mag_std
    x[2] = 1.0
    gi = w.in_w @ x  # (3C, n): W_ih x + b_ih
    rz = np.tanh(np.add(gi[:2 * C], gh[:2 * C], out=gi[:2 * C]), out=gi[:2 * C])
    rz *= np.float32(0.5)
    rz += np.float32(0.5)  # reset gate rows [0, C), update gate rows [C, 2C)
    cand = rz[:C] * gh[2 * C:]
    cand += gi[2 * C:]
    np.tanh(cand, out=cand)
    out = h - cand
    out *= rz[C:]
    out += cand
    return out


def _run_tail(act: ActiveNp, w: NetWeights, norm: Normaliser, t1: float, learned: bool,
              max_events: int, rng: np.random.Generator, rec: Recorder) -> None:
    from geohazard.forecast.recast import _kernels

    params = np.array([norm.time_scale, norm.log_tau_mean, norm.log_tau_std, norm.mag_mean,
                       norm.mag_std, norm.b, norm.mag_min], np.float64)
    rows, times, mags, n_full = _kernels.tail(
        np.ascontiguousarray(act.h.T), act.last_t, act.counts, t1, w.head_w, w.head_b, w.w_ih,
        w.w_hh, w.b_ih, w.b_hh, w.K, params, learned, max_events, rng)
    if n_full:
        log.warning("%d continuations reached max_events=%d and were stopped",
                    n_full, max_events)
    rec.add(act.ids[rows], times, mags)


class _one_blas_thread:  # noqa: N801 - used as a function
    """BLAS on one thread inside the block (threadpoolctl; a no-op where it is missing)."""

    def __enter__(self) -> None:
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:  # pragma: no cover - installed with scikit-learn
            self.limits = None
            return
        self.limits = threadpool_limits(1, user_api="blas")

    def __exit__(self, *exc: object) -> None:
        if self.limits is not None:
            self.limits.restore_original_limits()
