"""Reading checkpoints: never unpickled, every bad file a one-line InputError naming it."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import torch

from geohazard.exceptions import InputError
from geohazard.forecast.recast import Recast, TrainConfig
from geohazard.forecast.recast.data import Normaliser, gap_arrays
from geohazard.forecast.recast.runstate import RunFolderError, read_training_checkpoint
from geohazard.forecast.recast.spatial import SpatialRecast
from geohazard.forecast.recast.train import build_module, split_sequences

from ._synth import renewal_catalog


class _Touch:
    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple:
        return (Path.touch, (self.path,))


@pytest.fixture(scope="module")
def model_file(tmp_path_factory) -> Path:
    seqs = split_sequences(renewal_catalog(200, seed=0))
    norm = Normaliser.fit(seqs["train"], 0.01)
    cfg = TrainConfig(hidden=4, n_components=2)
    model = Recast(cfg)
    model.net_ = build_module(cfg, norm, gap_arrays(seqs["train"], norm), 1.0).net.eval()
    model.normaliser_ = norm
    return model.save(tmp_path_factory.mktemp("m") / "model.pt")


def _bad_files(tmp: Path, model_file: Path) -> dict[str, Path]:
    files = {"pickle": tmp / "evil.pt", "text": tmp / "t.pt", "empty": tmp / "e.pt",
             "truncated": tmp / "half.pt", "folder": tmp / "dir.pt"}
    files["pickle"].write_bytes(pickle.dumps(_Touch(tmp / "pwned")))
    files["text"].write_text("time,magnitude\n")
    files["empty"].write_bytes(b"")
    data = model_file.read_bytes()
    files["truncated"].write_bytes(data[: len(data) // 3])
    files["folder"].mkdir()
    return files


@pytest.mark.parametrize("kind", ["pickle", "text", "empty", "truncated", "folder"])
def test_a_bad_model_file_is_one_clean_error(kind, model_file, tmp_path) -> None:
    path = _bad_files(tmp_path, model_file)[kind]
    with pytest.raises(InputError) as info:
        Recast.load(path)
    message = str(info.value)
    assert str(path) in message and "\n" not in message
    assert "weights_only" not in message  # never advise loading it anyway
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize("kind", ["pickle", "text", "empty", "truncated"])
def test_a_bad_last_ckpt_is_a_run_folder_error(kind, model_file, tmp_path) -> None:
    path = _bad_files(tmp_path, model_file)[kind]
    with pytest.raises(RunFolderError, match="resume=False") as info:
        read_training_checkpoint(path)
    assert str(path) in info.value.reason and "weights_only" not in str(info.value)


def test_the_model_file_is_not_a_training_checkpoint(model_file) -> None:
    with pytest.raises(RunFolderError, match="not a Lightning training checkpoint"):
        read_training_checkpoint(model_file)


def test_a_damaged_but_readable_model_file_is_named(model_file, tmp_path) -> None:
    payload = torch.load(model_file, weights_only=True)
    del payload["net_config"]
    torch.save(payload, tmp_path / "m.pt")
    with pytest.raises(InputError, match="damaged RECAST checkpoint"):
        Recast.load(tmp_path / "m.pt")


@pytest.mark.parametrize("text", ["{not json", '{"lon0": 1.0}', "[]"])
def test_a_bad_spatial_projection_file_is_named(text, tmp_path) -> None:
    side = tmp_path / "s.pt.projection.json"
    side.write_text(text)
    with pytest.raises(InputError, match="projection file"):
        SpatialRecast.load(tmp_path / "s.pt")
