"""The attention kernel-mixture location head: exact density, normalisation, sampler, fit."""

from __future__ import annotations

import math

import numpy as np
import pytest

from geohazard.exceptions import InputError, ParameterError
from geohazard.forecast.base import Continuations
from geohazard.forecast.recast.kernel_head import (
    KernelHead,
    KernelHeadConfig,
    _Head,
    _pairs,
    fit_kernel_head,
)
from geohazard.forecast.recast.kernel_model import locate

CFG = KernelHeadConfig(n_recent=6, n_big=3, big_above=1.0, max_age_days=30.0,
                       kde_scales=(0.5, 4.0), n_u=24, n_m=8)


def _head(seed: int = 0, rho: float = 0.8, cfg: KernelHeadConfig = CFG) -> KernelHead:
    """A head with random tables around ETAS's form and an anisotropic shape."""
    rng = np.random.default_rng(seed)
    u0, du, m0, dm = cfg.grid
    U = (u0 + du * np.arange(cfg.n_u))[:, None]
    M = (m0 + dm * np.arange(cfg.n_m))[None, :]
    score = 1.5 * M - 0.9 * U + 0.3 * rng.standard_normal((cfg.n_u, cfg.n_m))
    log_d = -0.5 + 0.8 * M + 0.2 * rng.standard_normal((cfg.n_u, cfg.n_m))
    ang, asp = 0.7, 0.5
    rot = np.array([[math.cos(ang), -math.sin(ang)], [math.sin(ang), math.cos(ang)]])
    shape = rot @ np.diag([math.exp(asp), math.exp(-asp)])
    return KernelHead(cfg, 1.0, score, log_d, rho, shape, np.array([0.5, -0.3, -1.0]),
                      np.array([-30.0, 30.0, -25.0, 25.0]))


def _catalog(n: int = 80, seed: int = 1) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    t = np.sort(rng.uniform(0, 60, n))
    m = 1.0 + rng.exponential(1 / math.log(10), n)
    return t, m, rng.normal(0, 5, n), rng.normal(0, 5, n)


def _bilinear(table: np.ndarray, u: float, mp: float, cfg: KernelHeadConfig) -> float:
    u0, du, m0, dm = cfg.grid
    fu = min(max((u - u0) / du, 0.0), cfg.n_u - 1.000001)
    fm = min(max((mp - m0) / dm, 0.0), cfg.n_m - 1.000001)
    iu, im = int(fu), int(fm)
    au, am = fu - iu, fm - im
    return float((1 - au) * (1 - am) * table[iu, im] + (1 - au) * am * table[iu, im + 1]
                 + au * (1 - am) * table[iu + 1, im] + au * am * table[iu + 1, im + 1])


def _brute(head: KernelHead, t: np.ndarray, m: np.ndarray, x: np.ndarray, y: np.ndarray,
           i: int) -> float:
    """The documented mixture written out with plain loops."""
    cfg = head.config
    srcs = list(range(max(0, i - cfg.n_recent), i))
    older = [j for j in range(max(0, i - cfg.n_recent)) if m[j] >= head.mc + cfg.big_above
             and t[i] - t[j] <= cfg.max_age_days]
    # the n_big most recent, stopping at the first one too old (they are in time order)
    srcs += older[::-1][:cfg.n_big]
    inv = np.linalg.inv(head.shape)
    num, den = 0.0, 0.0
    for j in srcs:
        u = math.log(t[i] - t[j])
        w = math.exp(_bilinear(head.score, u, m[j] - head.mc, cfg))
        d = math.exp(_bilinear(head.log_d, u, m[j] - head.mc, cfg))
        p = inv @ np.array([x[i] - x[j], y[i] - y[j]])
        num += w * head.rho / math.pi * d ** head.rho / (p @ p + d) ** (1 + head.rho)
        den += w
    for c, dc in enumerate(cfg.kde_scales):
        q = (x[i] - x[:i]) ** 2 + (y[i] - y[:i]) ** 2
        num += math.exp(head.beta[c]) * float(np.mean(dc / (math.pi * (q + dc) ** 2)))
        den += math.exp(head.beta[c])
    b = head.box
    if b[0] <= x[i] <= b[1] and b[2] <= y[i] <= b[3]:
        num += math.exp(head.beta[-1]) / ((b[1] - b[0]) * (b[3] - b[2]))
    den += math.exp(head.beta[-1])
    return math.log(num / den)


def test_log_density_equals_brute_force_sum() -> None:
    head = _head()
    t, m, x, y = _catalog()
    m[[3, 10, 20]] = [3.5, 2.9, 4.0]  # older big sources beyond the recent ones
    targets = np.arange(1, t.size)
    got = head.log_density(t, m, x, y, targets)
    want = [_brute(head, t, m, x, y, int(i)) for i in targets]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-10)


def test_density_map_agrees_with_scores_and_integrates_to_one() -> None:
    head = _head(rho=1.5)
    t, m, x, y = _catalog(40)
    i = t.size - 1
    hist = (t[:i], m[:i], x[:i], y[:i])
    at_event = head.density_at(hist, t[i], np.array([x[i]]), np.array([y[i]]))
    np.testing.assert_allclose(at_event, head.log_density(t, m, x, y, np.array([i])),
                               atol=1e-12)
    # polar grid around the centre, out to 2000 km (the heavy tails are small there)
    r = np.geomspace(1e-3, 2000.0, 1500)
    th = np.linspace(0, 2 * np.pi, 721)[:-1]
    R, TH = np.meshgrid(r, th, indexing="ij")
    f = np.exp(head.density_at(hist, t[i], R * np.cos(TH), R * np.sin(TH)))
    ring = np.trapezoid(f * R, r, axis=0).mean() * 2 * np.pi
    assert ring == pytest.approx(1.0, abs=2e-3)


def test_sampler_draws_from_the_density() -> None:
    head = _head(rho=1.2)
    t, m, x, y = _catalog(40)
    n = 200_000
    cont = Continuations(np.full(n, t[-1] + 0.05), np.full(n, 1.5), np.arange(n + 1),
                         t[-1], t[-1] + 1.0)
    xs, ys = locate(head, (t, m, x, y), cont, np.random.default_rng(3))
    edges = np.linspace(-20, 20, 21)
    hist, _, _ = np.histogram2d(xs, ys, bins=[edges, edges])
    fine = np.linspace(-20, 20, 401)
    mid = 0.5 * (fine[1:] + fine[:-1])
    X, Y = np.meshgrid(mid, mid, indexing="ij")
    dens = np.exp(head.density_at((t, m, x, y), t[-1] + 0.05, X, Y)) * 0.1 ** 2
    cells = dens.reshape(20, 20, 20, 20).sum(axis=(1, 3))
    assert np.abs(hist / n - cells).sum() < 0.02  # total variation over the 20 x 20 cells
    assert abs(hist.sum() / n - cells.sum()) < 0.01


def test_sampler_is_reproducible_and_feeds_draws_back() -> None:
    head = _head()
    t, m, x, y = _catalog(30)
    times = t[-1] + np.array([0.01, 0.02, 0.03, 0.5, 0.6])
    cont = Continuations(times, np.array([1.2, 4.5, 1.1, 1.3, 1.0]), np.array([0, 2, 5]),
                         t[-1], t[-1] + 1.0)
    a = locate(head, (t, m, x, y), cont, 7)
    b = locate(head, (t, m, x, y), cont, 7)
    np.testing.assert_array_equal(a[0], b[0])
    assert np.all(np.isfinite(a[0])) and np.all(np.isfinite(a[1]))
    with pytest.raises(InputError, match="past epicentre"):
        locate(head, (t[:0], m[:0], x[:0], y[:0]), cont, 0)


def test_training_loss_is_the_scored_density() -> None:
    t, m, x, y = _catalog(120)
    box = np.array([-30.0, 30.0, -25.0, 25.0])
    train = np.arange(5, 120)
    h = _Head(CFG, box)
    import torch

    with torch.no_grad():
        for p in h.params:
            p.add_(0.1 * torch.randn_like(p))
        torch_ld = h.log_f(_pairs(t, m, x, y, train, CFG, 1.0)).numpy()
    frozen = h.freeze(1.0, {})
    np.testing.assert_allclose(frozen.log_density(t, m, x, y, train), torch_ld, atol=1e-9)


def _simulated(head: KernelHead, n: int, seed: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    seed_t, seed_m = np.array([0.0]), np.array([2.0])
    times = np.sort(rng.uniform(0.01, 400.0, n))
    mags = 1.0 + rng.exponential(1 / math.log(10), n)
    cont = Continuations(times, mags, np.array([0, n]), 0.0, 400.0)
    xs, ys = locate(head, (seed_t, seed_m, np.zeros(1), np.zeros(1)), cont, rng)
    return (np.concatenate([seed_t, times]), np.concatenate([seed_m, mags]),
            np.concatenate([[0.0], xs]), np.concatenate([[0.0], ys]))


def test_fit_recovers_a_known_head_on_held_out_events() -> None:
    cfg = KernelHeadConfig(n_recent=16, n_big=4, big_above=1.0, max_age_days=100.0,
                           kde_scales=(0.5, 4.0), n_u=24, n_m=8, steps=400, lr=0.03,
                           patience=100, hidden=8)
    truth = _head(cfg=cfg, rho=1.0)
    t, m, x, y = _simulated(truth, 3000, 5)
    idx = np.arange(t.size)
    train, val, test = idx[1:1800], idx[1800:2400], idx[2400:]
    fitted = fit_kernel_head(t, m, x, y, train, val, 1.0, cfg, box=truth.box)
    want = truth.log_density(t, m, x, y, test).mean()
    got = fitted.log_density(t, m, x, y, test).mean()
    uniform = -math.log((truth.box[1] - truth.box[0]) * (truth.box[3] - truth.box[2]))
    assert got > want - 0.05  # within 0.05 nats per event of the true law
    assert got > uniform + 1.0
    assert fitted.rho == pytest.approx(1.0, abs=0.25)
    assert fitted.fit_info["val_mean_log_density"] > -math.inf


def test_bad_inputs_are_refused() -> None:
    head = _head()
    t, m, x, y = _catalog(20)
    with pytest.raises(InputError, match="earlier event"):
        head.log_density(t, m, x, y, np.array([0]))
    with pytest.raises(InputError, match="sorted"):
        head.log_density(t[::-1].copy(), m, x, y, np.array([3]))
    with pytest.raises(InputError, match="training and validation"):
        fit_kernel_head(t, m, x, y, np.arange(1, 10), np.arange(0), 1.0, CFG)
    bad = x.copy()
    bad[7] = np.nan
    with pytest.raises(InputError, match="x has 1 non-finite value.*index 7"):
        head.log_density(t, m, bad, y, np.array([3]))


def test_a_diverged_fit_is_refused(monkeypatch) -> None:  # noqa: ANN001
    import torch

    t, m, x, y = _catalog(60)
    monkeypatch.setattr(_Head, "log_f", lambda self, P: torch.full(
        (P["x"].shape[0],), math.nan, dtype=torch.float64) + 0 * self.beta.sum())
    with pytest.raises(ParameterError, match="diverged"):
        fit_kernel_head(t, m, x, y, np.arange(1, 40), np.arange(40, 60), 1.0,
                        KernelHeadConfig(n_recent=4, n_big=1, n_u=8, n_m=4, steps=20))


def test_ablations_keep_etas_form_isotropy_and_no_background_kde() -> None:
    t, m, x, y = _catalog(150)
    cfg = KernelHeadConfig(n_recent=8, n_big=2, kde_scales=(), n_u=16, n_m=6, steps=40,
                           patience=40, learn_departure=False, anisotropic=False)
    head = fit_kernel_head(t, m, x, y, np.arange(1, 100), np.arange(100, 150), 1.0, cfg)
    u0, du, m0, dm = cfg.grid
    U = (u0 + du * np.arange(cfg.n_u))[:, None]
    M = (m0 + dm * np.arange(cfg.n_m))[None, :]
    # ETAS's form exactly: the score is planar in (log dt, m - Mc), and so is log D
    plane = np.linalg.lstsq(np.c_[np.ones(U.size * M.size), np.broadcast_to(U, (16, 6)).ravel(),
                                  np.broadcast_to(M, (16, 6)).ravel()],
                            head.score.ravel(), rcond=None)[1]
    assert plane.size == 0 or plane[0] < 1e-18
    np.testing.assert_allclose(head.shape, np.eye(2), atol=1e-12)
    assert head.beta.shape == (1,)
    ld = head.log_density(t, m, x, y, np.arange(100, 150))
    assert np.isfinite(ld).all()
