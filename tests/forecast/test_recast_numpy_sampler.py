"""The numpy RECAST sampler (no torch) draws the laws of the torch samplers.

``simulate_np`` (feature-major numpy float32 steps, numpy or compiled history scan, a
compiled kernel for long tails) against the fused torch sampler ``simulate`` and the
step-by-step reference ``simulate_reference``: the means and quantiles of the window count
distribution, pooled over many seeds, agree within their sampling error, and magnitudes
follow the same law; a model with other weights is told apart by the same comparison.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import stats

from geohazard.exceptions import InputError, ParameterError
from geohazard.forecast.recast import sampling_np
from geohazard.forecast.recast.data import gap_arrays
from geohazard.forecast.recast.estimator import Recast
from geohazard.forecast.recast.sampling import simulate, simulate_reference
from geohazard.forecast.recast.sampling_common import HistoryStateCache
from geohazard.forecast.recast.sampling_np import history_state, simulate_np
from geohazard.forecast.recast.weights import NetWeights

from .recast._synth import small_sequence
from .test_recast_sampler_law import DAYS, _net, _pooled, _same_law


def _weights(net) -> NetWeights:  # noqa: ANN001
    state = {k: v.detach().numpy().copy() for k, v in net.state_dict().items()}
    return NetWeights.of(state, net.config.n_components)


@pytest.fixture(scope="module")
def setup():  # noqa: ANN201
    """A small model, its numpy weights and a history; torch on one thread."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    net, norm = _net(0)
    yield net, _weights(net), norm, small_sequence(50, seed=3)
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def fused(setup):  # noqa: ANN201
    """Pooled counts and magnitudes of the fused torch sampler (learned magnitudes)."""
    net, _, norm, hist = setup
    return _pooled(simulate, net, norm, hist)


def test_count_distribution_matches_the_fused_torch_sampler(setup, fused) -> None:
    _, w, norm, hist = setup
    new, mags_new = _pooled(simulate_np, w, norm, hist)
    ref, mags_ref = fused
    assert new.mean() > 3 and new.std() > 1  # a window with work in it (and a tail)
    assert _same_law(new, ref), (new.mean(), ref.mean(),
                                 np.quantile(new, [.1, .5, .9]), np.quantile(ref, [.1, .5, .9]))
    assert stats.ks_2samp(mags_new, mags_ref).pvalue > 1e-4


def test_count_distribution_matches_the_reference_sampler(setup) -> None:
    net, w, norm, hist = setup
    new, _ = _pooled(simulate_np, w, norm, hist, magnitudes="gr")
    ref, mags_ref = _pooled(simulate_reference, net, norm, hist, magnitudes="gr")
    assert _same_law(new, ref)
    law = stats.expon(loc=norm.mag_min, scale=1 / (norm.b * np.log(10)))
    assert stats.kstest(mags_ref, law.cdf).pvalue > 1e-4


@pytest.mark.parametrize(("tail_below", "tail_steps", "scan_above"),
                         [(0, 0, 10**9), (10**9, 0, 0), (10**9, 10**9, 0)],
                         ids=["numpy-only", "compiled-only", "compiled-scan-numpy-steps"])
def test_every_path_matches_the_fused_sampler(setup, fused, monkeypatch, tail_below,
                                              tail_steps, scan_above) -> None:
    """All-numpy, all-compiled (scan and tail kernel) and mixed runs each draw the law."""
    _, w, norm, hist = setup
    monkeypatch.setattr(sampling_np, "TAIL_BELOW", tail_below)
    monkeypatch.setattr(sampling_np, "TAIL_STEPS", tail_steps)
    monkeypatch.setattr(sampling_np, "SCAN_COMPILED_ABOVE", scan_above)
    new, _ = _pooled(simulate_np, w, norm, hist)
    assert _same_law(new, fused[0])


def test_the_comparison_tells_another_model_apart(setup, fused) -> None:
    _, _, norm, hist = setup
    other, _ = _net(1, jitter=0.6)
    new, _ = _pooled(simulate_np, _weights(other), norm, hist)
    assert not _same_law(new, fused[0])


def test_history_scans_equal_the_torch_gru(setup, monkeypatch) -> None:
    net, w, norm, _ = setup
    seq = small_sequence(300, seed=8)
    rows = gap_arrays(seq, norm).inputs[:-1]
    with torch.no_grad():
        _, want = net.encoder.rnn(torch.from_numpy(rows).unsqueeze(0))
    want = want.reshape(-1).numpy()
    for above in (10**9, 0):  # the numpy scan, then the compiled one
        monkeypatch.setattr(sampling_np, "SCAN_COMPILED_ABOVE", above)
        np.testing.assert_allclose(history_state(w, norm, seq), want, atol=2e-5)


def test_a_cached_state_is_reused_only_when_computed_the_same_way(setup, monkeypatch) -> None:
    _, w, norm, _ = setup
    full = small_sequence(200, seed=4)
    cache = HistoryStateCache()
    fresh = history_state(w, norm, full)
    history_state(w, norm, _prefix(full, 120), cache)
    np.testing.assert_array_equal(history_state(w, norm, full, cache), fresh)  # bit for bit
    assert cache.hits == 1
    monkeypatch.setattr(sampling_np, "SCAN_COMPILED_ABOVE", 150)  # the full history: compiled
    compiled = history_state(w, norm, full, cache)
    assert cache.hits == 1  # the numpy prefix state was not extended by the compiled scan
    np.testing.assert_array_equal(compiled, history_state(w, norm, full))


def _prefix(seq, n: int):  # noqa: ANN001, ANN202
    from geohazard.catalog.core import EventSequence

    return EventSequence(seq.times[:n], seq.magnitudes[:n], seq.t_start, float(seq.times[n]),
                         seq.t_start, seq.mag_completeness)


def test_seeded_runs_repeat_and_seeds_differ(setup) -> None:
    _, w, norm, hist = setup
    a, _ = simulate_np(w, norm, hist, DAYS, 300, 5)
    b, _ = simulate_np(w, norm, hist, DAYS, 300, 5)
    c, _ = simulate_np(w, norm, hist, DAYS, 300, 6)
    np.testing.assert_array_equal(a.times, b.times)
    np.testing.assert_array_equal(a.magnitudes, b.magnitudes)
    assert a.times.size != c.times.size or not np.array_equal(a.times, c.times)
    assert np.all((a.times > hist.t_end) & (a.times <= hist.t_end + DAYS))
    for i in range(a.n_samples):
        assert np.all(np.diff(a.sample(i)[0]) >= 0)


def test_max_events_stops_continuations_in_both_paths(setup, monkeypatch, caplog) -> None:
    _, w, norm, hist = setup
    for tail_steps in (0, 10**9):  # the compiled tail kernel at once, or never
        monkeypatch.setattr(sampling_np, "TAIL_BELOW", 10**9)
        monkeypatch.setattr(sampling_np, "TAIL_STEPS", tail_steps)
        cont, _ = simulate_np(w, norm, hist, 1e6, 50, 1, max_events=3)
        assert np.all(cont.counts == 3)
        assert np.all(np.diff(cont.times.reshape(50, 3), axis=1) >= 0)
    assert "max_events=3" in caplog.text


def test_an_empty_history_and_bad_arguments(setup) -> None:
    from geohazard.catalog.core import EventSequence

    _, w, norm, _ = setup
    empty = EventSequence(np.empty(0), np.empty(0), 0.0, 5.0, 0.0, 2.0)
    cont, feats = simulate_np(w, norm, empty, 2.0, 100, 0)
    assert cont.n_samples == 100 and feats.values.shape == (cont.times.size, 0)
    assert np.all(cont.times > 5.0)
    with pytest.raises(ParameterError, match="duration_days"):
        simulate_np(w, norm, empty, 0.0, 10)
    with pytest.raises(ParameterError, match="magnitudes"):
        simulate_np(w, norm, empty, 1.0, 10, magnitudes="other")


def test_a_model_with_features_is_refused() -> None:
    from geohazard.forecast.recast.data import Normaliser
    from geohazard.forecast.recast.model import NetConfig, RecastNet

    norm = Normaliser.fit(small_sequence(80, seed=10, features=True), 0.01, ("depth",))
    net = RecastNet(NetConfig(n_inputs=norm.n_inputs, n_features=1, hidden=8, n_components=4))
    with pytest.raises(InputError, match="depth"):
        simulate_np(_weights(net), norm, small_sequence(20, seed=1, features=True), 1.0, 10)


def test_recast_samples_with_the_numpy_sampler_and_its_cache(setup) -> None:
    """``Recast.sample`` runs ``simulate_np`` on the network's weights, seed for seed."""
    net, w, norm, hist = setup
    model = Recast()
    model.net_, model.normaliser_ = net, norm
    got = model.sample(hist, DAYS, 200, rng=3)
    want, _ = simulate_np(w, norm, hist, DAYS, 200, 3)
    np.testing.assert_array_equal(got.times, want.times)
    np.testing.assert_array_equal(got.magnitudes, want.magnitudes)
    model.net_ = _net(1)[0]  # new weights: new sampler arrays, the cache forgotten
    other = model.sample(hist, DAYS, 200, rng=3)
    assert other.times.size != got.times.size or not np.array_equal(other.times, got.times)
