"""The weights sidecar ``model.pt.npz``: exact round trip, torch-free loading, refusals.

Saving writes the sidecar beside the checkpoint; loading prefers it when it matches the
checkpoint byte for byte, and the forecast it gives equals the torch-loaded model's seed for
seed. A stale or damaged sidecar is one :class:`InputError` line naming it, and nothing in
it is ever unpickled.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from geohazard.exceptions import InputError
from geohazard.forecast.recast.data import Normaliser
from geohazard.forecast.recast.estimator import Recast, export_sidecar
from geohazard.forecast.recast.weights import read_sidecar, sidecar_path
from tests.forecast.test_recast_sampler_law import _net

from ._synth import small_sequence


def _model(seed: int) -> Recast:
    model = Recast()
    model.net_, model.normaliser_ = _net(seed)
    return model


@pytest.fixture()
def saved(tmp_path) -> Path:
    return _model(0).save(tmp_path / "model.pt")


def test_save_writes_a_sidecar_that_round_trips_every_array(saved) -> None:
    side = sidecar_path(saved)
    assert side == saved.with_name("model.pt.npz") and side.exists()
    want = torch.load(saved, weights_only=True)
    got = read_sidecar(saved)
    assert set(got.state) == set(want["state_dict"])
    for name, tensor in want["state_dict"].items():
        assert got.state[name].dtype == np.float32
        np.testing.assert_array_equal(got.state[name], tensor.numpy())  # bit for bit
    assert got.net_config == want["net_config"]
    assert got.normaliser == want["normaliser"]
    assert Normaliser.from_dict(got.normaliser) == Normaliser.from_dict(want["normaliser"])
    assert got.train_config == json.loads(json.dumps(want["train_config"]))


def test_loading_from_the_sidecar_needs_no_torch_network(saved) -> None:
    model = Recast.load(saved)
    assert model.__dict__["_net"] is None and model.__dict__["_sidecar"] is not None
    model.sample(small_sequence(30, seed=2), 2.0, 50, rng=0)
    assert model.__dict__["_net"] is None  # sampling used the numpy arrays alone
    net = model.net_  # built on demand, with the checkpoint's weights
    want = torch.load(saved, weights_only=True)["state_dict"]
    for name, tensor in net.state_dict().items():
        assert torch.equal(tensor, want[name])
    assert model.config.hidden == Recast().config.hidden  # settings still available


def test_the_forecast_from_the_sidecar_equals_the_torch_loaded_one(saved) -> None:
    hist = small_sequence(60, seed=5)
    a = Recast.load(saved).sample(hist, 4.0, 500, rng=11)
    sidecar_path(saved).unlink()
    torch_loaded = Recast.load(saved)
    assert torch_loaded.__dict__["_sidecar"] is None
    b = torch_loaded.sample(hist, 4.0, 500, rng=11)
    np.testing.assert_array_equal(a.offsets, b.offsets)
    np.testing.assert_array_equal(a.times, b.times)
    np.testing.assert_array_equal(a.magnitudes, b.magnitudes)
    ll_a = Recast.load(saved).log_likelihood(hist).log_likelihood
    assert ll_a == pytest.approx(torch_loaded.log_likelihood(hist).log_likelihood, abs=1e-9)


def test_a_stale_sidecar_is_refused_naming_it(saved, tmp_path) -> None:
    other = _model(1).save(tmp_path / "other.pt")
    sidecar_path(saved).write_bytes(sidecar_path(other).read_bytes())
    with pytest.raises(InputError, match="stale") as err:
        Recast.load(saved)
    msg = str(err.value)
    assert "\n" not in msg and str(sidecar_path(saved)) in msg and "recast export" in msg
    export_sidecar(saved)  # rewritten from the checkpoint
    assert Recast.load(saved).__dict__["_sidecar"] is not None


def _npz(path: Path, **arrays: object) -> None:
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)


class _Touch:
    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple:
        return (Path.touch, (self.path,))


def _damage(kind: str, side: Path) -> None:
    good = dict(np.load(side, allow_pickle=False))
    meta = json.loads(str(good["meta"][()]))
    if kind == "text":
        side.write_text("not an archive\n")
    elif kind == "truncated":
        side.write_bytes(side.read_bytes()[:200])
    elif kind == "pickled-meta":  # savez pickles object arrays; loading must not
        _npz(side, **{**good, "meta": np.array([_Touch(side.parent / "pwned")], dtype=object)})
    elif kind == "pickled-array":
        _npz(side, **{**good, "state.mag_head.bias": np.array([_Touch(side.parent / "pwned")],
                                                                dtype=object)})
    elif kind == "missing-array":
        good.pop("state.time_head.bias")
        _npz(side, **good)
    elif kind == "wrong-shape":
        good["state.time_head.bias"] = np.zeros(3, np.float32)
        _npz(side, **good)
    elif kind == "float64":
        good["state.mag_head.bias"] = good["state.mag_head.bias"].astype(np.float64)
        _npz(side, **good)
    elif kind == "format":
        _npz(side, **{**good, "meta": np.array(json.dumps({**meta, "format": "x"}))})
    elif kind == "meta-json":
        _npz(side, **{**good, "meta": np.array("{not json")})


@pytest.mark.parametrize("kind", ["text", "truncated", "pickled-meta", "pickled-array",
                                  "missing-array",
                                  "wrong-shape", "float64", "format", "meta-json"])
def test_a_damaged_sidecar_is_one_line_naming_it(kind, saved) -> None:
    side = sidecar_path(saved)
    _damage(kind, side)
    with pytest.raises(InputError) as err:
        Recast.load(saved)
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith(f"{side}:") and "sidecar" in msg
    assert not (side.parent / "pwned").exists()


def test_saving_replaces_an_older_sidecar(saved, tmp_path) -> None:
    other = _model(1).save(tmp_path / "other.pt")
    _model(1).save(saved)  # another model over the same path
    assert read_sidecar(saved) is not None  # not stale: written for the new bytes
    np.testing.assert_array_equal(read_sidecar(saved).state["time_head.bias"],
                                  read_sidecar(other).state["time_head.bias"])


def test_export_refuses_a_file_that_is_not_a_checkpoint(tmp_path) -> None:
    bad = tmp_path / "evil.pt"
    bad.write_bytes(pickle.dumps(_Touch(tmp_path / "pwned")))
    with pytest.raises(InputError, match="evil.pt"):
        export_sidecar(bad)
    assert not sidecar_path(bad).exists() and not (tmp_path / "pwned").exists()
    with pytest.raises(InputError, match="not found"):
        export_sidecar(tmp_path / "none.pt")
