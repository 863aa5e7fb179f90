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


HEAVY = ("torch", "lightning", "pytorch_lightning", "scipy.stats", "pydantic")


def _issue(checkpoint: Path, tmp: Path, name: str) -> dict:
    """``geohazard forecast issue --model recast --checkpoint`` in a fresh interpreter."""
    from geohazard.catalog.io import write_catalog
    from tests.forecast.recast._synth import renewal_catalog

    cat = renewal_catalog(300, seed=0)
    write_catalog(cat, tmp / "cat.csv")
    out = tmp / f"{name}.json"
    argv = ["geohazard", "forecast", "issue", "--catalog", str(tmp / "cat.csv"), "--start",
            str(cat.metadata.test_start), "--model", "recast", "--checkpoint", str(checkpoint),
            "--days", "5", "--samples", "300", "--seed", "4", "--json", str(out)]
    res = _run(f"""
        import json, sys
        from geohazard.cli.main import main
        sys.argv = {argv!r}
        main()
        print(json.dumps({{"imported": [m for m in {HEAVY!r} if m in sys.modules]}}))
    """)
    return {**res, "summary": json.loads(out.read_text())["recast"]}


def test_issuing_a_forecast_with_the_sidecar_never_imports_torch(checkpoint, tmp_path) -> None:
    """With the sidecar: no torch, Lightning, scipy.stats or pydantic (default settings are
    never built); the same forecast as without."""
    from geohazard.forecast.recast.weights import sidecar_path

    assert sidecar_path(checkpoint).exists()  # Recast.save wrote it
    fast = _issue(checkpoint, tmp_path, "fast")
    assert fast["imported"] == []
    bare = tmp_path / "bare" / "model.pt"  # the checkpoint alone: read with torch
    bare.parent.mkdir()
    bare.write_bytes(checkpoint.read_bytes())
    slow = _issue(bare, tmp_path, "slow")
    assert "torch" in slow["imported"]
    for key in ("expected_count", "count_quantiles", "prob_at_least_one", "params_hash"):
        assert fast["summary"][key] == slow["summary"][key]  # seed for seed
