"""Inference (load a RECAST checkpoint and sample) never imports Lightning."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from geohazard.forecast.recast.data import Normaliser
from geohazard.forecast.recast.estimator import Recast
from geohazard.forecast.recast.model import NetConfig, RecastNet

from .recast._synth import small_sequence

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    norm = Normaliser.fit(small_sequence(80, seed=1), 0.01)
    torch.manual_seed(0)
    model = Recast()
    model.net_ = RecastNet(NetConfig(n_inputs=norm.n_inputs, hidden=8, n_components=4)).eval()
    model.normaliser_ = norm
    return model.save(tmp_path_factory.mktemp("ckpt") / "model.pt")


def _run(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                         text=True, timeout=300, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_loading_and_sampling_do_not_import_lightning(checkpoint) -> None:
    res = _run(f"""
        import json, sys
        import geohazard.forecast.recast
        from geohazard.forecast.recast import Recast
        from tests.forecast.recast._synth import small_sequence
        model = Recast.load({str(checkpoint)!r})
        cont = model.sample(small_sequence(40, seed=2), 3.0, 200, rng=0)
        print(json.dumps({{"n": int(cont.n_samples), "events": int(cont.times.size),
                          "pl": "pytorch_lightning" in sys.modules,
                          "lightning": "lightning" in sys.modules}}))
    """)
    assert res["n"] == 200 and res["events"] > 0
    assert res["pl"] is False and res["lightning"] is False


def test_a_recast_forecast_through_the_registry_does_not_import_lightning(checkpoint) -> None:
    res = _run(f"""
        import json, sys
        from geohazard.forecast.registry import fit_model
        from tests.forecast.recast._synth import renewal_catalog
        cat = renewal_catalog(300, seed=0)
        model, info = fit_model("recast", cat, cat.metadata.test_start,
                                checkpoint={str(checkpoint)!r})
        cont = model.sample(cat.to_sequence(t_end=cat.metadata.test_start), 5.0, 100, rng=1)
        print(json.dumps({{"n": int(cont.n_samples),
                          "pl": "pytorch_lightning" in sys.modules,
                          "lightning": "lightning" in sys.modules}}))
    """)
    assert res["n"] == 100
    assert res["pl"] is False and res["lightning"] is False


def test_training_settings_of_a_loaded_model_are_still_available(checkpoint) -> None:
    model = Recast.load(checkpoint)
    assert model.config.hidden == Recast().config.hidden  # built on first use
    assert model.config.features == ()
