"""Batched conditional simulation: structure and distributional checks (KS, PIT)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import stats

from geohazard.exceptions import ParameterError
from geohazard.forecast.base import PointProcessModel
from geohazard.forecast.recast.data import Normaliser, gap_arrays
from geohazard.forecast.recast.distributions import WeibullMixture
from geohazard.forecast.recast.estimator import Recast
from geohazard.forecast.recast.model import NetConfig, RecastNet

from ._synth import small_sequence


def _model(features: tuple[str, ...] = (), seed: int = 0) -> Recast:
    torch.manual_seed(seed)
    seq = small_sequence(80, seed=seed + 10, features=bool(features))
    norm = Normaliser.fit(seq, 0.01, features)
    net = RecastNet(NetConfig(n_inputs=norm.n_inputs, n_features=len(features), hidden=8,
                              n_components=4, dropout=0.1))
    with torch.no_grad():
        for p in net.parameters():
            p.add_(0.3 * torch.randn_like(p))
    model = Recast()
    model.net_, model.normaliser_ = net.eval().requires_grad_(False), norm
    return model


def _history_dist(model: Recast, history):
    norm = model.normaliser_
    arrays = gap_arrays(history, norm)
    ctx, _ = model.net_.encoder(torch.from_numpy(arrays.inputs).unsqueeze(0))
    return _double(model.net_.time_dist(ctx[0, -1])), ctx[0, -1]


def _double(d: WeibullMixture) -> WeibullMixture:
    return WeibullMixture(d.log_weights.double(), d.log_rates.double(), d.shapes.double())


def test_model_satisfies_the_shared_protocol() -> None:
    assert isinstance(_model(), PointProcessModel)


def test_continuations_are_well_formed_and_reproducible() -> None:
    model = _model()
    hist = small_sequence(40, seed=1)
    a = model.sample(hist, 5.0, 300, rng=7)
    b = model.sample(hist, 5.0, 300, rng=7)
    np.testing.assert_array_equal(a.times, b.times)
    assert a.n_samples == 300 and a.offsets[-1] == a.times.size
    assert a.t_start == hist.t_end and a.t_end == pytest.approx(hist.t_end + 5.0)
    assert np.all((a.times > hist.t_end) & (a.times <= hist.t_end + 5.0))
    for i in range(a.n_samples):
        assert np.all(np.diff(a.sample(i)[0]) >= 0)
    assert np.all(a.magnitudes >= model.normaliser_.mag_min)
    assert a.counts.std() > 0  # samples stop on their own


def test_first_gap_is_conditioned_on_the_elapsed_time() -> None:
    model = _model(seed=1)
    hist = small_sequence(40, seed=2)
    scale = model.normaliser_.time_scale
    t_last = float(hist.times[-1])
    e = (hist.t_end - t_last) / scale
    D = 3.0
    dist, _ = _history_dist(model, hist)
    n = 4000
    cont = model.sample_with_features(hist, D, n, rng=3, max_events=1)[0]
    firsts = np.array([cont.times[cont.offsets[i]] for i in range(n) if cont.counts[i] > 0])
    s_e = math.exp(float(dist.log_survival(torch.tensor(e, dtype=torch.float64))))
    s_end = math.exp(float(dist.log_survival(torch.tensor(e + D / scale,
                                                          dtype=torch.float64))))
    p_none = s_end / s_e
    n_none = n - firsts.size
    assert abs(n_none - n * p_none) < 4 * math.sqrt(n * p_none * (1 - p_none)) + 1

    def cdf(t: np.ndarray) -> np.ndarray:
        x = torch.from_numpy((np.asarray(t) - t_last) / scale)
        s = dist.log_survival(x).exp().numpy()
        return (s_e - s) / (s_e - s_end)

    assert stats.kstest(firsts, cdf).pvalue > 1e-3


def test_second_gap_and_magnitudes_follow_the_updated_state() -> None:
    """PIT of the second gap under the state updated with the first simulated event."""
    model = _model(seed=2)
    net, norm = model.net_, model.normaliser_
    hist = small_sequence(30, seed=4)
    n = 1500
    cont = model.sample_with_features(hist, 1e7, n, rng=5, max_events=2)[0]
    assert np.all(cont.counts == 2)
    t1, t2 = cont.times[0::2], cont.times[1::2]
    m1, m2 = cont.magnitudes[0::2], cont.magnitudes[1::2]
    gap1 = t1 - float(hist.times[-1])
    _, ctx0 = _history_dist(model, hist)
    beta1 = norm.b * math.log(10) * torch.exp(net.mag_head(ctx0)).double().item()
    u_m1 = 1 - np.exp(-beta1 * (m1 - norm.mag_min))
    assert stats.kstest(u_m1, "uniform").pvalue > 1e-3
    x = np.column_stack([(np.log(gap1) - norm.log_tau_mean) / norm.log_tau_std,
                         (m1 - norm.mag_mean) / norm.mag_std]).astype(np.float32)
    h0 = net.encoder.rnn(torch.from_numpy(
        gap_arrays(hist, norm).inputs[:-1]).unsqueeze(0))[1]
    with torch.no_grad():
        _, h = net.encoder.rnn(torch.from_numpy(x).unsqueeze(1), h0.expand(1, n, -1)
                               .contiguous())
        dist = _double(net.time_dist(h[0]))
        u = -torch.expm1(dist.log_survival(torch.from_numpy((t2 - t1) / norm.time_scale)))
        beta2 = norm.b * math.log(10) * torch.exp(net.mag_head(h[0])).double().squeeze(-1)
    assert stats.kstest(u.numpy(), "uniform").pvalue > 1e-3
    u_m2 = 1 - np.exp(-beta2.numpy() * (m2 - norm.mag_min))
    assert stats.kstest(u_m2, "uniform").pvalue > 1e-3


def test_fixed_b_magnitudes_follow_gutenberg_richter() -> None:
    model = _model()
    cont = model.sample(small_sequence(30), 5.0, 200, rng=1, magnitudes="gr")
    norm = model.normaliser_
    law = stats.expon(loc=norm.mag_min, scale=1 / (norm.b * math.log(10)))
    assert stats.kstest(cont.magnitudes, law.cdf).pvalue > 1e-3


def test_features_can_be_predicted_or_held_fixed() -> None:
    model = _model(features=("depth",))
    hist = small_sequence(40, seed=3, features=True)
    cont, feats = model.sample_with_features(hist, 3.0, 50, rng=2, features="fixed")
    assert feats.names == ("depth",) and feats.values.shape == (cont.times.size, 1)
    np.testing.assert_allclose(feats.values, hist.features["depth"][-1])
    cont, feats = model.sample_with_features(hist, 3.0, 50, rng=2, features="predict")
    assert np.isfinite(feats.values).all() and feats.values.std() > 0


def test_bad_arguments_raise() -> None:
    model = _model()
    with pytest.raises(ParameterError, match="duration_days"):
        model.sample(small_sequence(20), 0.0, 10)
    with pytest.raises(ParameterError, match="n_samples"):
        model.sample(small_sequence(20), 1.0, 0)


def _prefix(seq, n: int, t_end: float):  # noqa: ANN001, ANN202
    from geohazard.catalog.core import EventSequence

    return EventSequence(seq.times[:n], seq.magnitudes[:n], seq.t_start, t_end, seq.t_start,
                         seq.mag_completeness)


def test_growing_history_reuses_the_encoder_state_with_identical_samples() -> None:
    full = small_sequence(60, seed=3)
    day1 = _prefix(full, 30, float(full.times[30]))
    day2 = _prefix(full, 45, float(full.times[45]))
    cached = _model()
    cached.sample(day1, 2.0, 50, rng=1)
    a = cached.sample(day2, 2.0, 200, rng=5)  # encodes only events 30..44
    assert cached._state_cache.hits == 1
    b = _model().sample(day2, 2.0, 200, rng=5)  # a fresh model encodes everything
    np.testing.assert_allclose(a.times, b.times, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(a.offsets, b.offsets)
    # a history that does not extend the cached one is encoded from scratch
    other = small_sequence(45, seed=4)
    c = cached.sample(other, 2.0, 100, rng=2)
    d = _model().sample(other, 2.0, 100, rng=2)
    assert cached._state_cache.hits == 1
    np.testing.assert_array_equal(c.offsets, d.offsets)
