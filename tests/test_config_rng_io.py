import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode),
                     st.dictionaries(st.text(max_size=8), st.one_of(
                         st.none(), st.integers(), st.floats(), st.text(max_size=8)),
                         max_size=4).map(lambda d: json.dumps(d).encode())),
       suffix=st.sampled_from([".yaml", ".toml", ".json", ".yml"]))
def test_config_reader_fuzz_reads_or_says_why(tmp_path, raw, suffix):
    """Any bytes: a valid config, or an InputError naming the file; never another error."""
    p = tmp_path / f"fuzz{suffix}"
    p.write_bytes(raw)
    try:
        cfg = TrainConfig.load(p)
    except InputError as exc:
        assert str(p) in str(exc)
    else:
        assert isinstance(cfg, TrainConfig)


def test_config_refuses_folders_and_unknown_formats(tmp_path):
    with pytest.raises(InputError, match="is a folder"):
        TrainConfig.load(tmp_path)
    p = tmp_path / "run.ini"
    p.write_text("lr = 1\n")
    with pytest.raises(InputError, match="unknown config format"):
        TrainConfig.load(p)
    p = tmp_path / "run.yaml"
    p.write_text("1: 2\n")
    with pytest.raises(InputError, match="config key 1 is not a name"):
        TrainConfig.load(p)


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


@pytest.mark.parametrize("bad", [-1, 1.5, "7", True])
def test_seed_must_be_a_non_negative_integer(bad):
    from geohazard.exceptions import ParameterError

    with pytest.raises(ParameterError, match="--seed"):
        as_generator(bad)
