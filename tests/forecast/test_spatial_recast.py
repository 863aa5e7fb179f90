"""SpatialRecast (RECAST on projected epicentres) and its mixture location decoder."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from geohazard.catalog.geo import project_catalog
from geohazard.exceptions import InputError, ParameterError
from geohazard.forecast.recast.distributions import NormalMixture
from geohazard.forecast.recast.model import NetConfig, RecastNet
from geohazard.forecast.recast.spatial import SpatialRecast
from geohazard.forecast.recast.train import TrainConfig
from geohazard.forecast.spatial_models import fit_spatial_model
from tests.forecast.test_spatial_eval import located_catalog

TINY = TrainConfig(hidden=8, n_components=4, window=64, warmup=16, batch_windows=4,
                   val_window=128, val_warmup=64, max_epochs=3, patience=2, seed=0)
CENTRES = np.array([[-116.8, 33.3], [-116.25, 33.7]])  # the two blobs of clustered_law


@pytest.fixture(autouse=True, scope="module")
def _one_thread():  # noqa: ANN202 - tiny networks: a second torch thread only adds overhead
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_normal_mixture_log_prob_matches_the_formula() -> None:
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(5, 3, generator=g, dtype=torch.float64)
    loc = torch.randn(5, 3, 2, generator=g, dtype=torch.float64)
    log_scale = 0.3 * torch.randn(5, 3, 2, generator=g, dtype=torch.float64)
    x = torch.randn(5, 2, generator=g, dtype=torch.float64)
    got = NormalMixture(logits, loc, log_scale).log_prob(x).numpy()
    w = np.exp(logits.numpy()) / np.exp(logits.numpy()).sum(-1, keepdims=True)
    mu, sd, xx = loc.numpy(), np.exp(log_scale.numpy()), x.numpy()[:, None, :]
    dens = np.prod(np.exp(-0.5 * ((xx - mu) / sd) ** 2) / (sd * np.sqrt(2 * np.pi)), axis=-1)
    np.testing.assert_allclose(got, np.log((w * dens).sum(-1)), rtol=1e-10)


def test_normal_mixture_samples_follow_weights_and_components() -> None:
    n = 20000
    logits = torch.log(torch.tensor([0.3, 0.7], dtype=torch.float64)).expand(n, 2)
    loc = torch.tensor([[-5.0, 0.0], [5.0, 1.0]], dtype=torch.float64).expand(n, 2, 2)
    log_scale = torch.log(torch.tensor([[0.5, 0.5], [1.0, 2.0]],
                                       dtype=torch.float64)).expand(n, 2, 2)
    x = NormalMixture(logits, loc, log_scale).sample(torch.Generator().manual_seed(1)).numpy()
    first = x[:, 0] < 0
    assert first.mean() == pytest.approx(0.3, abs=0.015)
    np.testing.assert_allclose(x[first].mean(0), [-5.0, 0.0], atol=0.05)
    np.testing.assert_allclose(x[~first].std(0), [1.0, 2.0], rtol=0.05)


def test_feature_decoder_starts_as_a_kernel_density_on_training_events() -> None:
    net = RecastNet(NetConfig(n_inputs=4, n_features=2, hidden=8, feature_components=5))
    feats = np.arange(20.0).reshape(10, 2)
    net.init_feature_decoder(feats, np.random.default_rng(0))
    dist = net.feature_dist(torch.zeros(1, 8))
    centres = dist.loc[0].detach().numpy()
    assert {tuple(c) for c in centres} <= {tuple(f) for f in feats}
    assert len({tuple(c) for c in centres}) == 5
    np.testing.assert_allclose(dist.log_weights.exp().detach().numpy(), 0.2)
    # one component keeps RECAST's diagonal normal
    plain = RecastNet(NetConfig(n_inputs=4, n_features=2, hidden=8))
    assert type(plain.feature_dist(torch.zeros(1, 8))).__name__ == "DiagonalNormal"


def test_spatial_recast_trains_on_projected_km_and_samples_degrees(tmp_path) -> None:  # noqa: ANN001
    cat = located_catalog(n=600, seed=3, days=300.0)
    model = SpatialRecast(TINY, location_components=16, refit_steps=400).fit(cat)
    cfg = model.train_config
    assert cfg.features == ("x", "y") and cfg.feature_components == 16
    fit = model.location_fit_  # the decoder refit on frozen contexts improves on validation
    assert fit["steps"] > 0 and fit["val_nll"] < fit["val_nll_before"]
    norm = model.recast_.normaliser_
    _, proj = project_catalog(cat)
    assert norm.feature_names == ("x", "y")
    # the normaliser's moments are those of OUR projection of the training events
    train = cat.to_sequence("train", features=("longitude", "latitude"))
    x, y = proj.to_km(train.features["longitude"], train.features["latitude"])
    assert norm.feature_mean == pytest.approx((x.mean(), y.mean()), rel=1e-6, abs=1e-6)
    hist = cat.to_sequence(t_end=cat.metadata.test_start, features=("longitude", "latitude"))
    sims = model.sample(hist, 5.0, 60, rng=1)
    assert sims.has_locations and sims.times.size > 50
    lon2, lat2 = proj.to_lonlat(sims.features["x"], sims.features["y"])
    np.testing.assert_allclose(sims.features["longitude"], lon2)
    np.testing.assert_allclose(sims.features["latitude"], lat2)
    # the mixture keeps the clustering: most simulated epicentres lie near the two blobs
    # (80% of the synthetic events do); a single normal would spread them over the box
    near = _near_blobs(sims.features["longitude"], sims.features["latitude"])
    plain = SpatialRecast(TINY, location_components=1, refit_steps=400).fit(cat).sample(
        hist, 5.0, 60, rng=1)
    near_plain = _near_blobs(plain.features["longitude"], plain.features["latitude"])
    assert near > 0.5 and near > near_plain + 0.15
    test = cat.to_sequence("test", features=("longitude", "latitude"))
    score = model.log_likelihood(test)
    dens = model.spatial_log_density(test)  # per km2: the normalised term less log(std_x std_y)
    assert dens.shape == (test.n_scored,) and np.isfinite(dens).all()
    assert dens.sum() == pytest.approx(score.extra["ll_features_normalised"] - test.n_scored
                                       * np.log(np.prod(norm.feature_std)), rel=1e-9)
    assert math.isfinite(score.log_likelihood) and "ll_features_normalised" in score.extra
    path = model.save(tmp_path / "m.pt")
    again = SpatialRecast.load(path)
    assert again.projection_ == model.projection_
    assert again.train_config.feature_components == 16
    s2 = again.sample(hist, 5.0, 60, rng=1)
    np.testing.assert_allclose(s2.features["longitude"], sims.features["longitude"])
    loaded, info = fit_spatial_model("recast", cat, cat.metadata.test_start, checkpoint=path)
    assert isinstance(loaded, SpatialRecast) and loaded.projection_ == model.projection_
    assert len(info["params_hash"]) == 16
    with pytest.raises(InputError, match="longitude"):
        model.sample(cat.to_sequence(t_end=cat.metadata.test_start), 5.0, 3)
    with pytest.raises(ParameterError, match="location_components"):
        SpatialRecast(TINY, location_components=0)


def _near_blobs(lon: np.ndarray, lat: np.ndarray) -> float:
    d = np.min(np.hypot(lon[:, None] - CENTRES[:, 0], lat[:, None] - CENTRES[:, 1]), axis=1)
    return float(np.mean(d < 0.15))
