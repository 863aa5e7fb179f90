"""The fused RECAST sampler draws the same laws as the step-by-step reference sampler.

``simulate`` (fused float32 steps, a compiled tail kernel, a compiled history scan) against
``simulate_reference`` (the distribution objects, one torch GRU call per step): the means
and quantiles of the window count distribution, pooled over many seeds, agree within their
sampling error; magnitudes follow the same law. A model with other weights is told apart by
the same comparison, so the check can fail.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import stats

from geohazard.forecast.recast import _kernels, sampling_fast
from geohazard.forecast.recast.data import Normaliser, gap_arrays
from geohazard.forecast.recast.model import NetConfig, RecastNet
from geohazard.forecast.recast.sampling import _scan, simulate, simulate_reference

from .recast._synth import small_sequence

SEEDS = range(12)
N = 400  # continuations per seed
DAYS = 6.0


def _net(seed: int, jitter: float = 0.3) -> tuple[RecastNet, Normaliser]:
    gen = torch.Generator().manual_seed(seed)
    norm = Normaliser.fit(small_sequence(80, seed=10), 0.01)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        net = RecastNet(NetConfig(n_inputs=norm.n_inputs, hidden=8, n_components=4))
    with torch.no_grad():
        for p in net.parameters():
            p.add_(jitter * torch.randn(p.shape, generator=gen))
    return net.eval().requires_grad_(False), norm


def _pooled(sampler, net, norm, hist, magnitudes="learned") -> tuple[np.ndarray, np.ndarray]:  # noqa: ANN001
    counts, mags = [], []
    for seed in SEEDS:
        cont, _ = sampler(net, norm, hist, DAYS, N, seed, magnitudes=magnitudes)
        counts.append(cont.counts)
        mags.append(cont.magnitudes)
    return np.concatenate(counts), np.concatenate(mags)


def _same_law(a: np.ndarray, b: np.ndarray) -> bool:
    """Means within 5 standard errors, quantiles within 5 order-statistic errors."""
    se = np.sqrt(a.var() / a.size + b.var() / b.size)
    if abs(a.mean() - b.mean()) > 5 * se + 1e-12:
        return False
    for q in (0.1, 0.25, 0.5, 0.75, 0.9):
        # order-statistic band of the q-quantile (binomial, +-5 sd) in the pooled sample
        pool = np.sort(np.concatenate([a, b]))
        half = 5 * np.sqrt(q * (1 - q) / min(a.size, b.size)) + 1e-3
        lo = pool[int(max(0.0, q - half) * (pool.size - 1))]
        hi = pool[int(min(1.0, q + half) * (pool.size - 1))]
        qa, qb = np.quantile(a, q), np.quantile(b, q)
        if not (lo <= qa <= hi and lo <= qb <= hi):
            return False
    return True


@pytest.fixture(scope="module")
def setup():  # noqa: ANN201
    """A small model and history; torch on one thread (the reference steps are tiny)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    net, norm = _net(0)
    yield net, norm, small_sequence(50, seed=3)
    torch.set_num_threads(threads)


def test_count_distribution_matches_the_reference_sampler(setup) -> None:
    net, norm, hist = setup
    new, mags_new = _pooled(simulate, net, norm, hist)
    ref, mags_ref = _pooled(simulate_reference, net, norm, hist)
    assert new.mean() > 3 and new.std() > 1  # a window with work in it (and a tail)
    assert _same_law(new, ref), (new.mean(), ref.mean(),
                                 np.quantile(new, [.1, .5, .9]), np.quantile(ref, [.1, .5, .9]))
    assert stats.ks_2samp(mags_new, mags_ref).pvalue > 1e-4


def test_fixed_b_magnitudes_match_the_reference_sampler(setup) -> None:
    net, norm, hist = setup
    new, mags_new = _pooled(simulate, net, norm, hist, magnitudes="gr")
    ref, mags_ref = _pooled(simulate_reference, net, norm, hist, magnitudes="gr")
    assert _same_law(new, ref)
    assert stats.ks_2samp(mags_new, mags_ref).pvalue > 1e-4


@pytest.mark.parametrize("tail_below", [0, 10**9])
def test_batched_steps_and_the_tail_kernel_each_match(setup, tail_below, monkeypatch) -> None:
    """All-batched (no tail kernel) and all-kernel runs each draw the reference's law."""
    net, norm, hist = setup
    monkeypatch.setattr(sampling_fast, "TAIL_BELOW", tail_below)
    new, _ = _pooled(simulate, net, norm, hist)
    ref, _ = _pooled(simulate_reference, net, norm, hist)
    assert _same_law(new, ref)


def test_the_comparison_tells_another_model_apart(setup) -> None:
    net, norm, hist = setup
    other, _ = _net(1, jitter=0.6)
    new, _ = _pooled(simulate, other, norm, hist)
    ref, _ = _pooled(simulate_reference, net, norm, hist)
    assert not _same_law(new, ref)


def test_seeded_runs_repeat_and_seeds_differ(setup) -> None:
    net, norm, hist = setup
    a, _ = simulate(net, norm, hist, DAYS, 300, 5)
    b, _ = simulate(net, norm, hist, DAYS, 300, 5)
    c, _ = simulate(net, norm, hist, DAYS, 300, 6)
    np.testing.assert_array_equal(a.times, b.times)
    np.testing.assert_array_equal(a.magnitudes, b.magnitudes)
    assert a.times.size != c.times.size or not np.array_equal(a.times, c.times)


def test_max_events_stops_continuations_in_both_paths(setup, monkeypatch, caplog) -> None:
    net, norm, hist = setup
    for tail_below in (0, 10**9):
        monkeypatch.setattr(sampling_fast, "TAIL_BELOW", tail_below)
        cont, _ = simulate(net, norm, hist, 1e6, 50, 1, max_events=3)
        assert np.all(cont.counts == 3)
        assert np.all(np.diff(cont.times.reshape(50, 3), axis=1) >= 0)
    assert "max_events=3" in caplog.text


def test_history_scan_equals_torch_gru(setup) -> None:
    net, norm, _ = setup
    rows = gap_arrays(small_sequence(300, seed=8), norm).inputs[:-1]
    with torch.no_grad():
        _, want = net.encoder.rnn(torch.from_numpy(rows).unsqueeze(0))
        h0 = torch.randn(1, 1, 8, generator=torch.Generator().manual_seed(2))
        _, want_h0 = net.encoder.rnn(torch.from_numpy(rows).unsqueeze(0), h0)
    np.testing.assert_allclose(_scan(net, rows, None).numpy(), want.numpy(), atol=2e-5)
    np.testing.assert_allclose(_scan(net, rows, h0).numpy(), want_h0.numpy(), atol=2e-5)


def test_kernels_are_compiled_functions_and_warm_up_loads_them() -> None:
    assert hasattr(_kernels.tail, "py_func") and hasattr(_kernels.gru_scan, "py_func")
    _kernels.warm_up()
    assert _kernels.tail.signatures and _kernels.gru_scan.signatures
