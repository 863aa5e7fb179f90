"""Batched conditional simulation from a trained RECAST network.

``N`` continuations of ``D`` days after ``history.t_end`` share the encoder state of the
whole history. The first inter-event time of every continuation is drawn conditioned on
the time already elapsed since the last observed event (``X > elapsed``); after that each
continuation evolves its own GRU state and stops on its own when it passes the horizon, so
the work per step shrinks to the continuations still running.

:func:`simulate` runs the fused float32 steps of
:mod:`~geohazard.forecast.recast.sampling_fast` (a compiled kernel finishes the last few
continuations, and another encodes the history) on one torch thread, so a busy machine
slows it in proportion instead of stalling intra-op threads. :func:`simulate_reference`,
the step-by-step sampler written with the distribution objects, draws the same laws; it
serves models with extra features and is the reference the fused sampler is tested against.
:class:`~geohazard.forecast.recast.estimator.Recast` samples a model without extra features
with the torch-free numpy sampler (:mod:`~geohazard.forecast.recast.sampling_np`), tested
against both.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import torch

from geohazard.catalog.core import EventSequence
from geohazard.exceptions import ParameterError
from geohazard.forecast.base import Continuations
from geohazard.forecast.recast.data import _MIN_GAP, Normaliser, gap_arrays
from geohazard.forecast.recast.model import RecastNet
from geohazard.forecast.recast.sampling_common import (  # noqa: F401 - re-exported
    FeatureMode,
    HistoryStateCache,
    MagnitudeMode,
    SimulatedFeatures,
    check_args,
)
from geohazard.forecast.recast.sampling_common import Recorder as _Recorder
from geohazard.forecast.recast.sampling_fast import Active, Steps, one_thread, run_steps
from geohazard.rng import RNGLike, as_generator

log = logging.getLogger(__name__)

def _history_state(net: RecastNet, norm: Normaliser, history: EventSequence,
                   cache: HistoryStateCache | None = None) -> torch.Tensor:
    """(1, 1, C) encoder state after all history events (zeros for an empty history)."""
    C = net.config.hidden
    if len(history) == 0:
        return torch.zeros(1, 1, C)
    rows = gap_arrays(history, norm).inputs[:-1]  # (N, n_inputs)
    n0 = cache.prefix_length(net, rows) if cache is not None else 0
    h0 = cache.state if (cache is not None and n0 > 0) else None
    if n0 == rows.shape[0] and h0 is not None:
        h_last = torch.from_numpy(h0.copy()).reshape(1, 1, C)
    else:
        start = None if h0 is None else torch.from_numpy(h0.copy()).reshape(1, 1, C)
        h_last = _scan(net, rows[n0:], start)
    if cache is not None:
        cache.store(net, rows, n0, h_last.reshape(C).numpy())
    return h_last


def _scan(net: RecastNet, rows: np.ndarray, h0: torch.Tensor | None) -> torch.Tensor:
    """(1, 1, C) GRU state after ``rows`` (N, n_inputs), from ``h0`` (zeros when None).

    The input projection is one matrix product; the recurrence runs in a compiled loop
    (:func:`~geohazard.forecast.recast._kernels.gru_scan`), the arithmetic of torch's GRU.
    """
    from geohazard.forecast.recast._kernels import gru_scan

    rnn = net.encoder.rnn
    C = net.config.hidden
    x = torch.from_numpy(np.ascontiguousarray(rows, dtype=np.float32))  # (N, n_inputs)
    gi = torch.addmm(rnn.bias_ih_l0, x, rnn.weight_ih_l0.t()).detach().numpy()  # (N, 3C)
    h = (np.zeros(C, np.float32) if h0 is None
         else h0.detach().reshape(C).numpy().astype(np.float32))
    h = gru_scan(gi, rnn.weight_hh_l0.detach().numpy(), rnn.bias_hh_l0.detach().numpy(), h)
    return torch.from_numpy(h).reshape(1, 1, C)


@torch.no_grad()
def simulate(net: RecastNet, norm: Normaliser, history: EventSequence, duration_days: float,
             n_samples: int, rng: RNGLike = None, *, magnitudes: MagnitudeMode = "learned",
             features: FeatureMode = "predict", max_events: int = 100_000,
             cache: HistoryStateCache | None = None,
             ) -> tuple[Continuations, SimulatedFeatures]:
    """Simulate ``n_samples`` continuations of ``duration_days`` after ``history.t_end``.

    Parameters
    ----------
    net, norm
        Trained network (put in eval mode here) and its normaliser.
    history
        All events before the forecast start ``history.t_end``.
    duration_days
        Horizon D.
    n_samples
        Number of continuations N.
    rng
        Seed or Generator.
    magnitudes
        ``learned`` (conditional Gutenberg-Richter) or ``gr`` (fixed MLE b, the paper).
    features
        ``predict`` (sample from the feature decoder) or ``fixed`` (repeat the last
        observed event's features).
    max_events
        Safety cap per continuation (a continuation reaching it stops, with a warning).
    cache
        Reuse the encoder state of an earlier history that this one extends.

    Returns
    -------
    tuple
        :class:`Continuations` and the :class:`SimulatedFeatures` of its events.
    """
    check_args(duration_days, n_samples, magnitudes)
    if norm.feature_names:  # extra features: the step-by-step sampler
        with one_thread():
            return simulate_reference(net, norm, history, duration_days, n_samples, rng,
                                      magnitudes=magnitudes, features=features,
                                      max_events=max_events, cache=cache)
    net.eval()
    seeds = as_generator(rng).integers(2**62, size=2)
    gen = torch.Generator().manual_seed(int(seeds[0]))
    t0, t1 = float(history.t_end), float(history.t_end) + float(duration_days)
    with one_thread():
        state = _start(net, norm, history, n_samples, cache)
        act = Active(torch.arange(n_samples), state.h[0], torch.from_numpy(state.last_t),
                     torch.zeros(n_samples, dtype=torch.int64))
        steps = Steps([], [], [])
        run_steps(net, norm, act, t1, magnitudes == "learned", gen, max_events, steps,
                  float(state.elapsed[0]), np.random.default_rng(int(seeds[1])))
    rec = _Recorder()
    rec.ids, rec.times, rec.mags = steps.ids, steps.times, steps.mags
    cont_obj, feats = rec.build(n_samples, t0, t1, 0)
    return cont_obj, SimulatedFeatures(norm.feature_names, feats)


@torch.no_grad()
def simulate_reference(net: RecastNet, norm: Normaliser, history: EventSequence,
                       duration_days: float, n_samples: int, rng: RNGLike = None, *,
                       magnitudes: MagnitudeMode = "learned", features: FeatureMode = "predict",
                       max_events: int = 100_000, cache: HistoryStateCache | None = None,
                       ) -> tuple[Continuations, SimulatedFeatures]:
    """The step-by-step sampler written with the distribution objects (as :func:`simulate`).

    Used for models with extra features, and in tests as the reference law of the fused
    sampler (:mod:`~geohazard.forecast.recast.sampling_fast`), which draws the same laws.
    """
    check_args(duration_days, n_samples, magnitudes)
    net.eval()
    gen = torch.Generator().manual_seed(int(as_generator(rng).integers(2**62)))
    t0, t1 = float(history.t_end), float(history.t_end) + float(duration_days)
    state = _start(net, norm, history, n_samples, cache)
    draw = _Draw(magnitudes, features, _fixed_features(norm, history), gen, max_events)
    rec = _Recorder()
    while state.idx.size and _advance(net, norm, state, t1, draw, rec):
        pass
    cont_obj, feats = rec.build(n_samples, t0, t1, len(norm.feature_names))
    return cont_obj, SimulatedFeatures(norm.feature_names, feats)


@dataclass
class _State:
    """The active continuations: ids, encoder state (1, n, C), last times, elapsed, counts."""

    idx: np.ndarray
    h: torch.Tensor
    last_t: np.ndarray
    elapsed: torch.Tensor
    counts: np.ndarray


@dataclass(frozen=True)
class _Draw:
    """How the next event's marks are drawn, from which generator, up to which count."""

    magnitudes: MagnitudeMode
    features: FeatureMode
    fixed: np.ndarray
    gen: torch.Generator
    max_events: int


def _start(net: RecastNet, norm: Normaliser, history: EventSequence, n_samples: int,
           cache: HistoryStateCache | None) -> _State:
    """All continuations at the forecast start, sharing the history's encoder state."""
    t_last0 = float(history.times[-1]) if len(history) else float(history.t_start)
    h = _history_state(net, norm, history, cache).expand(1, n_samples, -1).contiguous()
    elapsed = torch.full((n_samples,), (float(history.t_end) - t_last0) / norm.time_scale,
                         dtype=torch.float64)
    return _State(np.arange(n_samples), h, np.full(n_samples, t_last0), elapsed,
                  np.zeros(n_samples, np.int64))


def _advance(net: RecastNet, norm: Normaliser, st: _State, t1: float, draw: _Draw,
             rec: _Recorder) -> bool:
    """One event for every active continuation still before ``t1``; False when none is."""
    ctx = st.h[0]  # (n_active, C)
    gap = net.time_dist(ctx).sample(st.elapsed, generator=draw.gen).numpy() * norm.time_scale
    t_new = st.last_t[st.idx] + gap
    alive = t_new <= t1
    if not alive.any():
        return False
    keep = np.flatnonzero(alive)
    ctx_k = ctx[keep]
    mag = _sample_mag(net, norm, ctx_k, draw.magnitudes, draw.gen)
    z_feat, raw_feat = _sample_features(net, norm, ctx_k, draw.features, draw.fixed, draw.gen)
    ids = st.idx[keep]
    rec.add(ids, t_new[keep], mag, raw_feat)
    inp = _encode(norm, gap[keep], mag, z_feat)  # (k, 1, n_inputs)
    _, h_new = net.encoder.rnn(inp, st.h[:, keep].contiguous())
    st.last_t[ids] = t_new[keep]
    st.counts[ids] += 1
    cont = st.counts[ids] < draw.max_events
    if not cont.all():
        log.warning("%d continuations reached max_events=%d and were stopped",
                    int((~cont).sum()), draw.max_events)
    st.idx, st.h = ids[cont], h_new[:, torch.from_numpy(np.flatnonzero(cont))]
    st.elapsed = torch.zeros(st.idx.size, dtype=torch.float64)
    return True


def _encode(norm: Normaliser, gap: np.ndarray, mag: np.ndarray, z_feat: np.ndarray
            ) -> torch.Tensor:
    cols = [(np.log(np.maximum(gap, _MIN_GAP)) - norm.log_tau_mean) / norm.log_tau_std,
            (mag - norm.mag_mean) / norm.mag_std]
    x = np.column_stack([*cols, z_feat]) if z_feat.shape[1] else np.column_stack(cols)
    return torch.from_numpy(x.astype(np.float32)).unsqueeze(1)


def _sample_mag(net: RecastNet, norm: Normaliser, ctx: torch.Tensor, mode: MagnitudeMode,
                gen: torch.Generator) -> np.ndarray:
    if mode == "learned":
        dist = net.mag_dist(ctx, norm.b, norm.mag_min)
    elif mode == "gr":
        dist = net.mag_dist(ctx, norm.b, norm.mag_min)
        dist.b = torch.full_like(dist.b, norm.b)
    else:
        raise ParameterError(f"magnitudes must be 'learned' or 'gr', got {mode!r}")
    return dist.sample(generator=gen).numpy()


def _fixed_features(norm: Normaliser, history: EventSequence) -> np.ndarray:
    if not norm.feature_names:
        return np.zeros(0)
    if len(history) == 0:
        return np.asarray(norm.feature_mean, np.float64)
    return np.array([float(np.asarray(history.features[f])[-1]) for f in norm.feature_names])


def _sample_features(net: RecastNet, norm: Normaliser, ctx: torch.Tensor, mode: FeatureMode,
                     fixed: np.ndarray, gen: torch.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Normalised and physical features of the new events, each (k, F)."""
    k, n_feat = ctx.shape[0], len(norm.feature_names)
    if n_feat == 0:
        return np.zeros((k, 0)), np.zeros((k, 0))
    mean, std = np.asarray(norm.feature_mean), np.asarray(norm.feature_std)
    if mode == "fixed":
        raw = np.broadcast_to(fixed, (k, n_feat)).copy()
        return (raw - mean) / std, raw
    if mode != "predict":
        raise ParameterError(f"features must be 'predict' or 'fixed', got {mode!r}")
    dist = net.feature_dist(ctx)
    z = dist.sample(generator=gen).double().numpy()
    return z, z * std + mean
