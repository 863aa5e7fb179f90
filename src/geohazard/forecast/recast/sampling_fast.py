"""The fast RECAST sampling loop: one fused float32 step per event, no extra features.

Each step of :func:`run_steps` draws the next event of every continuation still running,
with a handful of batched kernels:

- one ``addmm`` gives the time decoder's ``3K`` outputs and the magnitude decoder's one
  for all active continuations (``(n, 3K + 1)``, float32);
- the mixture component comes from one uniform per continuation by inverse CDF
  (``searchsorted`` on the cumulated softmax weights) instead of ``K`` Gumbel draws;
- only the chosen component's log-rate and shape are transformed (``clamp``,
  ``softplus``), then the gap ``X = (E / b) ** (1 / k)``, ``E ~ Exp(1)``, is computed in
  float64 from those ``n`` values;
- continuations past the horizon are dropped before the marks are drawn, so the
  magnitude draw and the GRU update (one ``gru_cell``) run only on the survivors.

The laws are those of :func:`~geohazard.forecast.recast.sampling.simulate_reference`
(the step-by-step sampler written with the distribution objects): the same weights, the
same component law, the same conditional Weibull and Gutenberg-Richter draws, the same
GRU update; only the order in which random numbers are consumed differs.
The first gap, conditioned on the time elapsed since the last observed event, is drawn by
the caller with :meth:`WeibullMixture.sample`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as tnf

from geohazard.forecast.recast.data import _MIN_GAP, Normaliser
from geohazard.forecast.recast.distributions import _TINY, LN10
from geohazard.forecast.recast.model import _LOG_RATE_CLAMP, RecastNet

log = logging.getLogger(__name__)


TAIL_BELOW = 64  # continuations left when the compiled tail kernel takes over


@dataclass(frozen=True)
class _Weights:
    """The network's weights as plain tensors for the fused step."""

    head_w: torch.Tensor  # (3K + 1, C): time decoder rows, then the magnitude row
    head_b: torch.Tensor  # (3K + 1,)
    w_ih: torch.Tensor  # (3C, n_inputs)
    w_hh: torch.Tensor  # (3C, C)
    b_ih: torch.Tensor  # (3C,)
    b_hh: torch.Tensor  # (3C,)
    K: int

    @classmethod
    def of(cls, net: RecastNet) -> _Weights:
        rnn = net.encoder.rnn
        return cls(torch.cat((net.time_head.weight, net.mag_head.weight)).detach().contiguous(),
                   torch.cat((net.time_head.bias, net.mag_head.bias)).detach().contiguous(),
                   rnn.weight_ih_l0.detach(), rnn.weight_hh_l0.detach(),
                   rnn.bias_ih_l0.detach(), rnn.bias_hh_l0.detach(), net.config.n_components)


@dataclass
class Active:
    """Running continuations: ids (n,), states (n, C) float32, last times and counts (n,)."""

    ids: torch.Tensor  # int64
    h: torch.Tensor  # float32
    last_t: torch.Tensor  # float64, days
    counts: torch.Tensor  # int64

    def take(self, keep: torch.Tensor) -> None:
        """Keep only the rows ``keep`` (an index tensor)."""
        self.ids, self.h = self.ids[keep], self.h[keep]
        self.last_t, self.counts = self.last_t[keep], self.counts[keep]


@dataclass
class Steps:
    """Per-step records (continuation ids, times, magnitudes) in the order drawn."""

    ids: list[np.ndarray]
    times: list[np.ndarray]
    mags: list[np.ndarray]


def _gap(out: torch.Tensor, K: int, gen: torch.Generator) -> torch.Tensor:
    """(n,) next gaps in decoder units, drawn from the mixture given by ``out`` (n, 3K+1)."""
    n = out.shape[0]
    cdf = torch.softmax(out[:, :K], dim=-1).cumsum_(-1)  # (n, K)
    u = torch.rand(n, 1, generator=gen) * cdf[:, -1:]
    comp = torch.searchsorted(cdf, u, right=True).clamp_max_(K - 1)  # (n, 1)
    log_b = out[:, K:2 * K].gather(1, comp).squeeze(1).clamp(-_LOG_RATE_CLAMP, _LOG_RATE_CLAMP)
    k = tnf.softplus(out[:, 2 * K:3 * K].gather(1, comp).squeeze(1)) + 1e-3
    expo = torch.empty(n, dtype=torch.float64).exponential_(generator=gen)
    # X = (E / b) ** (1 / k), in float64 from the float32 decoder outputs
    return torch.exp((torch.log(expo.clamp_min(_TINY)) - log_b.double()) / k.double())


def _mags(out_mag: torch.Tensor, norm: Normaliser, learned: bool,
          gen: torch.Generator) -> torch.Tensor:
    """(n,) float64 magnitudes: Gutenberg-Richter with the learned or the fixed b."""
    expo = torch.empty(out_mag.shape[0], dtype=torch.float64).exponential_(generator=gen)
    if learned:
        beta = norm.b * torch.exp(out_mag.double().clamp(-3.0, 3.0)) * LN10
        return norm.mag_min + expo / beta
    return norm.mag_min + expo / (norm.b * LN10)


def _inputs(norm: Normaliser, gap_days: torch.Tensor, mag: torch.Tensor) -> torch.Tensor:
    """(n, 2) float32 GRU inputs of the new events."""
    z_t = (torch.log(gap_days.clamp_min(_MIN_GAP)) - norm.log_tau_mean) / norm.log_tau_std
    z_m = (mag - norm.mag_mean) / norm.mag_std
    return torch.stack((z_t, z_m), dim=1).float()


def _stop_full(act: Active, max_events: int) -> None:
    full = act.counts >= max_events
    if bool(full.any()):
        log.warning("%d continuations reached max_events=%d and were stopped",
                    int(full.sum()), max_events)
        act.take(torch.nonzero(~full).squeeze(1))


def record(steps: Steps, act: Active, gap_days: torch.Tensor, mag: torch.Tensor,
           norm: Normaliser, w: _Weights | None, max_events: int) -> None:
    """Record the new events of ``act`` (all alive) and advance their states."""
    t_new = act.last_t + gap_days
    steps.ids.append(act.ids.numpy())
    steps.times.append(t_new.numpy())
    steps.mags.append(mag.numpy())
    act.last_t, act.counts = t_new, act.counts + 1
    if w is not None:
        act.h = torch.gru_cell(_inputs(norm, gap_days, mag), act.h, w.w_ih, w.w_hh,
                               w.b_ih, w.b_hh)
    _stop_full(act, max_events)


def run_steps(net: RecastNet, norm: Normaliser, act: Active, t1: float, learned: bool,
              gen: torch.Generator, max_events: int, steps: Steps, elapsed: float,
              tail_rng: np.random.Generator, tail_below: int | None = None) -> None:
    """Draw events until every continuation in ``act`` has passed ``t1`` (days).

    The first gap is drawn given ``X > elapsed`` (decoder units) from the distribution
    objects; the following ones by the fused step while more than ``tail_below``
    continuations run, and the last ones each to its end by the compiled tail kernel
    (drawing from ``tail_rng``).
    """
    w = _Weights.of(net)
    scale = norm.time_scale
    tail_below = TAIL_BELOW if tail_below is None else tail_below
    first = True
    while act.ids.numel():
        if not first and act.ids.numel() <= tail_below:
            _run_tail(act, w, norm, t1, learned, max_events, tail_rng, steps)
            return
        out = torch.addmm(w.head_b, act.h, w.head_w.t())  # (n, 3K + 1)
        if first:
            e = torch.full((act.ids.numel(),), elapsed, dtype=torch.float64)
            gap_days = net.time_dist(act.h).sample(e, generator=gen) * scale
            first = False
        else:
            gap_days = _gap(out, w.K, gen) * scale
        alive = act.last_t + gap_days <= t1
        if not bool(alive.all()):
            keep = torch.nonzero(alive).squeeze(1)
            if not keep.numel():
                return
            act.take(keep)
            out, gap_days = out[keep], gap_days[keep]
        mag = _mags(out[:, 3 * w.K], norm, learned, gen)
        record(steps, act, gap_days, mag, norm, w, max_events)


def _run_tail(act: Active, w: _Weights, norm: Normaliser, t1: float, learned: bool,
              max_events: int, rng: np.random.Generator, steps: Steps) -> None:
    from geohazard.forecast.recast import _kernels

    params = np.array([norm.time_scale, norm.log_tau_mean, norm.log_tau_std, norm.mag_mean,
                       norm.mag_std, norm.b, norm.mag_min], np.float64)
    rows, times, mags, n_full = _kernels.tail(
        act.h.numpy(), act.last_t.numpy(), act.counts.numpy(), t1, w.head_w.numpy(),
        w.head_b.numpy(), w.w_ih.numpy(), w.w_hh.numpy(), w.b_ih.numpy(), w.b_hh.numpy(),
        w.K, params, learned, max_events, rng)
    if n_full:
        log.warning("%d continuations reached max_events=%d and were stopped",
                    n_full, max_events)
    steps.ids.append(act.ids.numpy()[rows])
    steps.times.append(times)
    steps.mags.append(mags)


def one_thread() -> _Threads:
    """Context manager running torch on one intra-op thread (restored on exit)."""
    return _Threads(1)


class _Threads:
    def __init__(self, n: int) -> None:
        self.n, self.prev = n, 0

    def __enter__(self) -> None:
        self.prev = torch.get_num_threads()
        if self.prev != self.n:
            torch.set_num_threads(self.n)

    def __exit__(self, *exc: object) -> None:
        if self.prev != self.n:
            torch.set_num_threads(self.prev)


