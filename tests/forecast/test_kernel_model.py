"""KernelRecast: temporal RECAST plus the kernel-mixture location head, end to end."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from geohazard.catalog import write_catalog
from geohazard.exceptions import InputError
from geohazard.forecast.recast.kernel_head import KernelHeadConfig
from geohazard.forecast.recast.kernel_model import KernelRecast
from geohazard.forecast.recast.train import TrainConfig
from geohazard.forecast.registry import fit_model
from geohazard.forecast.spatial_models import fit_spatial_model
from tests.badinput import run_main
from tests.forecast.test_spatial_eval import located_catalog

TINY = TrainConfig(hidden=8, n_components=4, window=64, warmup=16, batch_windows=4,
                   val_window=128, val_warmup=64, max_epochs=3, patience=2, seed=0)
HEAD = KernelHeadConfig(n_recent=32, n_big=8, n_u=32, n_m=8, hidden=8, steps=150,
                        patience=60)
CENTRES = np.array([[-116.8, 33.3], [-116.25, 33.7]])  # the two blobs of clustered_law


def _near(lon: np.ndarray, lat: np.ndarray) -> float:
    d = np.min(np.hypot(lon[:, None] - CENTRES[:, 0], lat[:, None] - CENTRES[:, 1]), axis=1)
    return float(np.mean(d < 0.15))


@pytest.fixture(autouse=True)
def _one_thread():  # noqa: ANN202 - tiny networks: a second torch thread only adds overhead
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_kernel_recast_fits_scores_samples_and_round_trips(tmp_path) -> None:  # noqa: ANN001
    cat = located_catalog(n=600, seed=3, days=300.0)
    model = KernelRecast(TINY, HEAD).fit(cat)
    assert model.recast_.config.features == ()
    hist = cat.to_sequence(t_end=cat.metadata.test_start, features=("longitude", "latitude"))
    sims = model.sample(hist, 5.0, 60, rng=1)
    assert sims.has_locations and sims.times.size > 50
    lon2, lat2 = model.projection_.to_lonlat(sims.features["x"], sims.features["y"])
    np.testing.assert_allclose(sims.features["longitude"], lon2)
    # 80% of the synthetic events lie in two blobs: the head keeps that clustering
    assert _near(sims.features["longitude"], sims.features["latitude"]) > 0.6
    again = model.sample(hist, 5.0, 60, rng=1)
    np.testing.assert_array_equal(again.features["x"], sims.features["x"])
    test = cat.to_sequence("test", features=("longitude", "latitude"))
    dens = model.spatial_log_density(test)
    assert dens.shape == (test.n_scored,) and np.isfinite(dens).all()
    box = model.head_.box
    assert dens.mean() > -math.log((box[1] - box[0]) * (box[3] - box[2])) + 1.0
    score = model.log_likelihood(test)
    assert score.extra["spatial_log_density"] == pytest.approx(dens.sum())
    path = model.save(tmp_path / "k.pt")
    loaded = KernelRecast.load(path)
    np.testing.assert_array_equal(loaded.spatial_log_density(test), dens)
    s2 = loaded.sample(hist, 5.0, 60, rng=1)
    np.testing.assert_array_equal(s2.features["x"], sims.features["x"])
    with pytest.raises(InputError, match="longitude"):
        model.sample(cat.to_sequence(t_end=cat.metadata.test_start), 5.0, 3)
    _registry_and_cli(cat, path, tmp_path)
    (tmp_path / "k.pt.head.npz").write_bytes(b"junk")
    with pytest.raises(InputError, match=r"k\.pt\.head\.npz"):
        KernelRecast.load(path)


def _registry_and_cli(cat, path, tmp_path) -> None:  # noqa: ANN001
    """``recast-kernel`` is a located model of the registry and of ``forecast issue``."""
    start = cat.metadata.test_start
    loaded, info = fit_spatial_model("recast-kernel", cat, start, checkpoint=path)
    assert isinstance(loaded, KernelRecast) and len(info["params_hash"]) == 16
    with pytest.raises(InputError, match="--spatial"):
        fit_model("recast-kernel", cat, start)
    csv = write_catalog(cat, tmp_path / "cat.csv")
    res = run_main(["forecast", "issue", "--catalog", csv, "--start", f"{start:%Y-%m-%d}",
                    "--model", "recast-kernel", "--spatial", "--checkpoint", path,
                    "--days", "5", "--samples", "50", "--seed", "2",
                    "--json", tmp_path / "f.json"])
    assert res.code == 0, res.output
    out = json.loads((tmp_path / "f.json").read_text())["recast-kernel"]
    assert out["n_samples"] == 50 and out["expected_count"] > 0
