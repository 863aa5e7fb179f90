"""The vectorised likelihood against a slow per-event loop; windows; intensity."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import integrate

from geohazard.forecast.recast.data import (
    Normaliser,
    full_batch,
    gap_arrays,
    make_batch,
    window_bounds,
)
from geohazard.forecast.recast.estimator import Recast
from geohazard.forecast.recast.model import NetConfig, RecastNet, gap_terms

from ._synth import small_sequence


def _model(seed: int = 0, features: tuple[str, ...] = ()) -> tuple[Recast, Normaliser]:
    torch.manual_seed(seed)
    seq = small_sequence(80, seed=seed + 10, features=bool(features))
    norm = Normaliser.fit(seq, 0.01, features)
    net = RecastNet(NetConfig(n_inputs=norm.n_inputs, n_features=len(features), hidden=8,
                              n_components=4, dropout=0.1))
    with torch.no_grad():  # make the context matter
        for p in net.parameters():
            p.add_(0.3 * torch.randn_like(p))
    model = Recast()
    model.net_, model.normaliser_ = net.eval().requires_grad_(False), norm
    return model, norm


def _slow_log_likelihood(model: Recast, seq) -> tuple[float, float]:
    """Per-event loop: one GRU step at a time, scored on (t_nll_start, t_end]."""
    net, norm = model.net_, model.normaliser_
    scale = norm.time_scale
    h = torch.zeros(1, 1, net.config.hidden)
    prev, ll, ll_mag = seq.t_start, 0.0, 0.0
    for t, m in zip([*seq.times, None], [*seq.magnitudes, None], strict=True):
        d = net.time_dist(h[0, 0])
        end = seq.t_end if t is None else t
        if end > seq.t_nll_start:
            tau = torch.tensor(end - prev, dtype=torch.float32) / scale
            if t is None:
                ll += float(d.log_survival(tau))
            else:
                ll += float(d.log_prob(tau)) - math.log(scale)
                b = norm.b * math.exp(float(net.mag_head(h[0, 0])))
                beta = b * math.log(10)
                ll_mag += math.log(beta) - beta * max(m - norm.mag_min, 0.0)
            if prev < seq.t_nll_start:
                e = torch.tensor(seq.t_nll_start - prev, dtype=torch.float32) / scale
                ll -= float(d.log_survival(e))
        if t is None:
            break
        x = torch.tensor([[[(math.log(t - prev) - norm.log_tau_mean) / norm.log_tau_std,
                            (m - norm.mag_mean) / norm.mag_std]]], dtype=torch.float32)
        _, h = net.encoder.rnn(x, h)
        prev = t
    return ll, ll_mag


@pytest.mark.parametrize("seed", [0, 1])
def test_log_likelihood_equals_slow_loop(seed: int) -> None:
    model, _ = _model(seed)
    seq = small_sequence(50, seed=seed)
    res = model.log_likelihood(seq, include_magnitude=True)
    slow_time, slow_mag = _slow_log_likelihood(model, seq)
    assert res.extra["ll_time"] == pytest.approx(slow_time, rel=1e-5, abs=1e-4)
    assert res.extra["ll_magnitude_learned"] == pytest.approx(slow_mag, rel=1e-5, abs=1e-4)
    assert res.log_likelihood == pytest.approx(slow_time + slow_mag, rel=1e-5, abs=1e-4)
    assert res.n_events == seq.n_scored and res.days == seq.scored_days


def test_windows_with_enough_warmup_sum_to_the_full_likelihood() -> None:
    model, norm = _model(2)
    seq = small_sequence(70, seed=3)
    arrays = gap_arrays(seq, norm)
    full = gap_terms(model.net_, full_batch(arrays), norm.time_scale, norm.b, norm.mag_min)
    wins = window_bounds(arrays, 7, offset=3)
    assert sum(e - s for s, e in wins) == arrays.n_gaps - arrays.first_scored
    exact = gap_terms(model.net_, make_batch(arrays, wins, warmup=10_000), norm.time_scale,
                      norm.b, norm.mag_min)
    assert float(exact.time.sum()) == pytest.approx(float(full.time.sum()), rel=1e-5)
    short = gap_terms(model.net_, make_batch(arrays, wins, warmup=0), norm.time_scale,
                      norm.b, norm.mag_min)
    assert float(short.time.sum()) != pytest.approx(float(full.time.sum()), rel=1e-5)


def test_intensity_integrates_to_the_compensator() -> None:
    model, norm = _model(4)
    seq = small_sequence(20, seed=5)
    # over the survival gap, integral of lambda = -log S(t_end - t_last)
    t_last, t_end = float(seq.times[-1]), seq.t_end
    # integrate in log(t - t_last): the hazard may be singular at the last event
    x = np.logspace(-14, np.log10(t_end - t_last), 40_001)
    lam = model.intensity(seq, t_last + x)
    comp = integrate.trapezoid(lam * x, np.log(x))
    arrays = gap_arrays(seq, norm)
    ctx, _ = model.net_.encoder(torch.from_numpy(arrays.inputs).unsqueeze(0))
    d = model.net_.time_dist(ctx[0, -1])
    log_s = float(d.log_survival(torch.tensor((t_end - t_last) / norm.time_scale)))
    assert comp == pytest.approx(-log_s, rel=1e-3)


def test_unfitted_model_raises() -> None:
    from geohazard.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        Recast().log_likelihood(small_sequence(20))


def test_missing_feature_is_a_clear_error() -> None:
    from geohazard.exceptions import InputError

    model, _ = _model(0, features=("depth",))
    with pytest.raises(InputError, match="depth"):
        model.log_likelihood(small_sequence(30, features=False))


def test_coincident_events_give_a_finite_clamped_likelihood() -> None:
    from geohazard.catalog.core import EventSequence

    model, _ = _model(1)
    base = small_sequence(40, seed=6)
    times = base.times.copy()
    times[20] = times[19]  # zero gap
    seq = EventSequence(times, base.magnitudes, 0.0, base.t_end, base.t_nll_start, 2.0)
    nudged = times.copy()
    nudged[20] += 1e-10  # the clamp value
    ref = EventSequence(nudged, base.magnitudes, 0.0, base.t_end, base.t_nll_start, 2.0)
    a = model.log_likelihood(seq).log_likelihood
    assert np.isfinite(a)
    # the density clamps the gap at 1e-10 days and the input at 1e-9 days: same terms
    assert a == pytest.approx(model.log_likelihood(ref).log_likelihood, rel=1e-6)


@pytest.mark.parametrize(("joint", "flows"), [(False, False), (True, True)])
def test_feature_loss_trains_the_encoder_only_when_joint(joint: bool, flows: bool) -> None:
    torch.manual_seed(0)
    net = RecastNet(NetConfig(n_inputs=4, n_features=2, hidden=8, n_components=3,
                              feature_components=3, joint_features=joint))
    ctx, _ = net.encoder(torch.randn(2, 5, 4))
    nll = -net.feature_dist(ctx).log_prob(torch.randn(2, 5, 2)).sum()
    nll.backward()
    grads = [p.grad for p in net.encoder.parameters()]
    got = any(g is not None and float(g.abs().sum()) > 0 for g in grads)
    assert got is flows
    assert any(float(p.grad.abs().sum()) > 0 for p in net.feat_head.parameters())
