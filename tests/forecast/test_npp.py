"""The EarthquakeNPP protocol against direct, brute-force per-event computations."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import integrate

from geohazard.exceptions import CatalogError, NotFittedError, ParameterError
from geohazard.forecast.npp import (
    PoissonNPP,
    bin_magnitudes,
    config_from_dict,
    load_npp_config,
    npp_data_from_frame,
    score_model,
)
from geohazard.forecast.npp_etas import MizrahiETAS, MizrahiParams
from geohazard.forecast.npp_run import parse_seeds, run_npp

RAW = {"name": "synth", "auxiliary_start": "2000-01-01", "train_start": "2000-01-11",
       "val_start": "2000-01-31", "test_start": "2000-02-10", "test_end": "2000-02-25",
       "mc": 1.0, "mc_rule": ">=", "delta_m": 0.1,
       "region": {"latitude": [33.0, 33.0, 33.5, 33.5],
                  "longitude": [-117.0, -116.5, -116.5, -117.0]}}
R = 6378.1


def _frame(seed: int = 1, n: int = 260) -> pd.DataFrame:
    """Clustered located events over 55 days, a few outside the region or below Mc."""
    rng = np.random.default_rng(seed)
    t = np.sort(rng.uniform(0, 55, n))
    k = rng.integers(0, 6, n)  # six clusters
    lat = 33.05 + 0.08 * k + rng.normal(0, 0.02, n)
    lon = -116.95 + 0.08 * k + rng.normal(0, 0.02, n)
    lat[:3] = 33.7  # outside the region
    m = np.round(0.9 + rng.exponential(0.45, n), 2)
    times = pd.Timestamp("2000-01-01", tz="UTC") + pd.to_timedelta(t, unit="D")
    return pd.DataFrame({"time": times.strftime("%Y-%m-%d %H:%M:%S.%f"), "longitude": lon,
                         "latitude": lat, "magnitude": m})


@pytest.fixture(scope="module")
def data():
    return npp_data_from_frame(_frame(), config_from_dict(RAW, "synth"))


PARAMS = MizrahiParams(mu=2e-3, k0=5e-3, a=1.6, c=0.01, omega=0.1, tau=50.0, d=0.5,
                       gamma=1.1, rho=0.7)


def _h(s, p):
    return math.exp(-s / p.tau) * (s + p.c) ** (-1 - p.omega)


def _r2(i, j, data):
    la1, lo1, la2, lo2 = map(math.radians, (data.lat[i], data.lon[i], data.lat[j], data.lon[j]))
    h = (math.sin((la2 - la1) / 2) ** 2
         + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2)
    return (2 * R * math.asin(math.sqrt(h))) ** 2


def _brute_etas(data, p, m_ref, quirk_first=False):
    """Direct per-event TLL and SLL: python loops and scipy quad for the compensator."""
    area = data.config.area_km2
    kap = [p.k0 * math.exp(p.a * (m - m_ref)) for m in data.m]
    D = [p.d * math.exp(p.gamma * (m - m_ref)) for m in data.m]
    S = [math.pi / (p.rho * x ** p.rho) for x in D]
    tll, sll = [], []
    prev = data.config.days("test_start")
    for i in range(data.index("test_start"), data.t.size):
        ti = data.t[i]
        lam_g = p.mu * area + sum(kap[j] * S[j] * _h(ti - data.t[j], p) for j in range(i))
        lam = p.mu + sum(kap[j] * _h(ti - data.t[j], p) * (_r2(i, j, data) + D[j])
                         ** (-1 - p.rho) for j in range(i))
        comp = p.mu * area * (ti - prev)
        if not (quirk_first and not tll):
            comp += sum(kap[j] * S[j] * integrate.quad(
                lambda s, tj=data.t[j]: _h(s - tj, p), max(prev, data.t[j]), ti,
                epsabs=0, epsrel=1e-12, limit=200)[0] for j in range(i))
        tll.append(math.log(lam_g) - comp)
        sll.append(math.log(lam) - math.log(lam_g))
        prev = ti
    return np.array(tll), np.array(sll)


def _fitted(p: MizrahiParams, data, quirks=False) -> MizrahiETAS:
    model = MizrahiETAS(reference_quirks=quirks)
    model.params_ = p
    model.m_ref_ = data.config.mc - data.config.delta_m / 2
    return model


def test_filters_follow_the_config(data):
    raw = _frame()
    m = bin_magnitudes(raw["magnitude"].to_numpy(), 0.1)
    assert bin_magnitudes(np.array([0.95, 1.049, 1.05]), 0.1) == pytest.approx([1.0, 1.0, 1.1])
    assert np.all(data.m >= 1.0 - 1e-9)
    lat, lon = raw["latitude"].to_numpy(), raw["longitude"].to_numpy()
    inside = (lat >= 33.0) & (lat <= 33.5) & (lon >= -117.0) & (lon <= -116.5)
    assert data.n_outside == int(np.sum(~inside & (m >= 1.0 - 1e-9))) >= 3
    assert data.t.size == int(np.sum(inside & (m >= 1.0 - 1e-9)))
    strict = npp_data_from_frame(raw, config_from_dict({**RAW, "mc_rule": ">"}))
    assert strict.t.size == int(np.sum(inside & (m > 1.0 + 1e-9)))
    assert sum(data.counts().values()) == data.t.size


def test_etas_scores_equal_brute_force_per_event_sums(data):
    for quirks in (False, True):
        model = _fitted(PARAMS, data, quirks)
        scores = score_model(model, data)
        m_ref = 1.0 if quirks else 0.95
        tll, sll = _brute_etas(data, PARAMS, m_ref, quirk_first=quirks)
        np.testing.assert_allclose(scores.tll, tll, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(scores.sll, sll, rtol=1e-9, atol=1e-9)
        assert scores.summary()["tll_events"] == pytest.approx(tll.mean())


def test_tail_closes_the_window(data):
    model = _fitted(PARAMS, data)
    scores = score_model(model, data)
    p, area = PARAMS, data.config.area_km2
    t_end, t_n = data.config.days("test_end"), data.t[-1]
    tail = p.mu * area * (t_end - t_n) + sum(
        p.k0 * math.exp(p.a * (m - 0.95)) * math.pi / (p.rho * (p.d * math.exp(
            p.gamma * (m - 0.95))) ** p.rho) * integrate.quad(
            lambda s, tj=tj: _h(s - tj, p), t_n, t_end, epsrel=1e-12)[0]
        for tj, m in zip(data.t, data.m, strict=True))
    assert scores.tail == pytest.approx(tail, rel=1e-9)


def test_poisson_matches_closed_form(data):
    model = PoissonNPP().fit(data)
    s = score_model(model, data)
    cfg = data.config
    n_fit = int(np.sum(data.t <= cfg.days("test_start")))
    rate = n_fit / cfg.days("test_start")
    n_test = s.n_events
    t_test = cfg.days("test_end") - cfg.days("test_start")
    assert s.summary()["tll"] == pytest.approx(math.log(rate) - rate * t_test / n_test)
    assert s.summary()["sll"] == pytest.approx(-math.log(cfg.area_km2))


@pytest.mark.parametrize("method", ["mle", "em"])
def test_fit_objective_is_the_loglikelihood(method):
    """The reported log-likelihood of the fit equals a direct computation."""
    data = npp_data_from_frame(_frame(seed=2, n=140), config_from_dict(RAW, "synth"))
    model = MizrahiETAS(pair_cutoff=None, max_iter=200 if method == "mle" else 60,
                        fit_method=method, max_em_iter=2
                        ).fit(data)
    p, cfg = model.params_, data.config
    i0, i1 = data.index("train_start"), data.index("test_start")
    t_s, t_e = cfg.days("train_start"), cfg.days("test_start")
    ll = -p.mu * cfg.area_km2 * (t_e - t_s)
    for i in range(i0, i1):
        ll += math.log(p.mu + sum(
            p.k0 * math.exp(p.a * (data.m[j] - 0.95)) * _h(data.t[i] - data.t[j], p)
            * (_r2(i, j, data) + p.d * math.exp(p.gamma * (data.m[j] - 0.95)))
            ** (-1 - p.rho) for j in range(i)))
    for j in range(i1):
        D = p.d * math.exp(p.gamma * (data.m[j] - 0.95))
        ll -= p.k0 * math.exp(p.a * (data.m[j] - 0.95)) * math.pi / (p.rho * D ** p.rho) * (
            integrate.quad(lambda s, tj=data.t[j]: _h(s - tj, p), max(t_s, data.t[j]), t_e,
                           epsrel=1e-12, limit=200)[0])
    assert model.info_["loglik"] == pytest.approx(ll, rel=1e-8)
    assert np.all(np.isfinite(p.vector()))
    if method == "mle":  # the EM stops at a point of lower likelihood (its M-step differs)
        em = MizrahiETAS(pair_cutoff=None, fit_method="em", max_iter=60, max_em_iter=2
                         ).fit(data)
        assert em.info_["loglik"] <= model.info_["loglik"] + 1e-6


def test_run_and_errors(data):
    res = run_npp(data, ["poisson"], seeds=[0, 1])
    assert res["models"]["poisson"]["sll"]["sd"] == 0.0
    assert parse_seeds("0-2,5") == [0, 1, 2, 5]
    with pytest.raises(ParameterError, match="--seeds"):
        parse_seeds("3-1")
    with pytest.raises(NotFittedError):
        MizrahiETAS().temporal_terms(data)
    with pytest.raises(CatalogError, match="magnitude"):
        npp_data_from_frame(_frame().drop(columns="magnitude"), data.config)
    with pytest.raises(ParameterError, match="test_start"):
        config_from_dict({**RAW, "test_start": "1999-01-01"})


def test_sanjac_config_ships():
    cfg = load_npp_config()
    assert cfg.name == "SanJac_10"
    assert cfg.area_km2 == pytest.approx(10306.06, abs=0.01)


@pytest.mark.slow
def test_recast_adapter_scores_every_test_event(data):
    """SpatialRecast under the protocol: finite per-event TLL and SLL (per km2)."""
    from geohazard.forecast.npp_recast import RecastNPP

    model = RecastNPP(seed=0, max_time_s=5.0).fit(data)
    scores = score_model(model, data, seed=0)
    assert scores.n_events == data.t[data.test_slice].size
    assert np.all(np.isfinite(scores.tll)) and np.all(np.isfinite(scores.sll))
    assert scores.tail >= 0


def test_kernel_recast_adapter_scores_every_test_event(data):
    """Temporal RECAST + the kernel head under the protocol: finite TLL, SLL per km2."""
    from geohazard.forecast.npp_recast import KernelRecastNPP
    from geohazard.forecast.recast.kernel_head import KernelHeadConfig

    model = KernelRecastNPP(seed=0, max_time_s=5.0,
                            head_config=KernelHeadConfig(steps=30, n_u=32, n_m=8)).fit(data)
    scores = score_model(model, data, seed=0)
    assert scores.n_events == data.t[data.test_slice].size
    assert np.all(np.isfinite(scores.tll)) and np.all(np.isfinite(scores.sll))
    test = np.arange(data.t.size)[data.test_slice]
    np.testing.assert_array_equal(
        scores.sll, model.head_.log_density(data.t, data.m, data.x, data.y, test))
    assert scores.tail >= 0
