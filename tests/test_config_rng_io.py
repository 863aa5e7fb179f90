import json

import numpy as np
import pytest

from geohazard.config import RunConfig
from geohazard.exceptions import DataFileNotFoundError, InputError
from geohazard.io_utils import atomic_path, write_json_atomic
from geohazard.rng import as_generator, spawn


class TrainConfig(RunConfig):
    seed: int = 0
    lr: float = 0.05
    catalog: str = "SCEDC"


def test_config_file_and_overrides(tmp_path):
    p = tmp_path / "run.yaml"
    p.write_text("lr: 0.01\ncatalog: White\n")
    cfg = TrainConfig.load(p, seed=3, lr=None)
    assert (cfg.seed, cfg.lr, cfg.catalog) == (3, 0.01, "White")
    t = tmp_path / "run.toml"
    t.write_text('lr = 0.2\n')
    assert TrainConfig.load(t).lr == 0.2


def test_config_errors_name_file_and_key(tmp_path):
    p = tmp_path / "run.yaml"
    p.write_text("lr: fast\n")
    with pytest.raises(InputError, match=r"run.yaml: config key 'lr'"):
        TrainConfig.load(p)
    p.write_text("unknown: 1\n")
    with pytest.raises(InputError, match="unknown"):
        TrainConfig.load(p)
    with pytest.raises(DataFileNotFoundError):
        TrainConfig.load(tmp_path / "none.yaml")


def test_rng_reproducible_and_spawn_independent():
    assert as_generator(5).random() == as_generator(5).random()
    g = np.random.default_rng(1)
    assert as_generator(g) is g
    a, b = spawn(7, 2)
    assert a.random() != b.random()
    c, _ = spawn(7, 2)
    assert c.random() == spawn(7, 2)[0].random()


def test_atomic_json_and_failure_leaves_nothing(tmp_path):
    out = write_json_atomic(tmp_path / "x.json", {"a": np.float64(1.5), "b": np.arange(3)})
    assert json.loads(out.read_text()) == {"a": 1.5, "b": [0, 1, 2]}
    with pytest.raises(RuntimeError), atomic_path(tmp_path / "y.txt") as tmp:
        tmp.write_text("partial")
        raise RuntimeError("interrupted")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.json"]


def test_atomic_files_follow_umask(tmp_path):
    import os

    old = os.umask(0o022)
    try:
        out = write_json_atomic(tmp_path / "p.json", {})
    finally:
        os.umask(old)
    assert (out.stat().st_mode & 0o777) == 0o644
