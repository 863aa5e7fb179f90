"""Run folders of ``recast train``: exact resume after SIGKILL / SIGINT, identity checks.

The kill tests run the real command in a subprocess (tiny catalog, small model, CPU, one
thread), kill it after its first checkpoint, rerun it, and compare the final model with an
uninterrupted run's, tensor for tensor.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from geohazard.catalog.core import Catalog
from geohazard.catalog.io import write_catalog
from geohazard.forecast.recast import Recast, TrainConfig
from geohazard.forecast.recast.data import EpochSampler, WindowDataset, gap_arrays
from geohazard.forecast.recast.runstate import (
    CKPT_KEY,
    data_fingerprint,
    read_training_checkpoint,
    restore_rng_states,
    rng_states,
)
from geohazard.forecast.recast.train import split_sequences
from tests.badinput import run_main, snapshot

from ._synth import renewal_catalog

EPOCHS = 30
SMALL = ["--hidden", "8", "--batch-size", "2", "--lr", "0.05", "--patience", "100",
         "--seed", "3", "--threads", "1"]
TINY = dict(hidden=8, n_components=4, window=64, warmup=32, batch_windows=4, val_window=256,
            val_warmup=256)


@pytest.fixture(scope="module")
def catalog_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cat") / "renewal.csv"
    write_catalog(renewal_catalog(1000, seed=1), path)
    return path


def _train_args(catalog: Path, out: Path, *extra: str) -> list[str]:
    return ["recast", "train", str(catalog), "--out", str(out), "--max-epochs", str(EPOCHS),
            "--json", str(out.parent / f"{out.name}.json"), *SMALL, *extra]


@pytest.fixture(scope="module")
def uninterrupted(catalog_file: Path, tmp_path_factory) -> Path:
    """Run folder of the uninterrupted reference run (in-process)."""
    out = tmp_path_factory.mktemp("ref") / "run"
    res = run_main(_train_args(catalog_file, out))
    assert res.code == 0, res.output
    return out


def _state(run: Path) -> dict[str, torch.Tensor]:
    return torch.load(run / "model.pt", weights_only=True)["state_dict"]


def _assert_same_model(a: Path, b: Path) -> None:
    sa, sb = _state(a), _state(b)
    assert sa.keys() == sb.keys()
    for key in sa:
        assert torch.equal(sa[key], sb[key]), key
    ja = json.loads(a.with_suffix(".json").read_text())
    jb = json.loads(b.with_suffix(".json").read_text())
    assert ja["epochs"] == jb["epochs"] == EPOCHS
    for split in ("train", "val", "test"):
        assert jb["splits"][split]["nll_per_day_time"] == pytest.approx(
            ja["splits"][split]["nll_per_day_time"], rel=0, abs=1e-12)


def _start_and_stop(catalog: Path, out: Path, sig: int) -> subprocess.CompletedProcess:
    """Start ``recast train`` in a subprocess; send ``sig`` after its first checkpoint."""
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    proc = subprocess.Popen([sys.executable, "-m", "geohazard.cli.main",
                             *_train_args(catalog, out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 120
    while not (out / "last.ckpt").exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no checkpoint after 120 s"
        time.sleep(0.01)
    time.sleep(0.2)  # a few epochs in, most likely mid-epoch
    assert proc.poll() is None, "training finished before it could be interrupted"
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=120)
    assert not (out / "model.pt").exists()
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


def _main_handles_interrupts() -> bool:
    from geohazard.cli import main

    return "interrupted; rerun to resume" in Path(main.__file__).read_text()


def test_resume_after_sigkill_equals_the_uninterrupted_run(catalog_file, uninterrupted,
                                                           tmp_path) -> None:
    out = tmp_path / "run"
    killed = _start_and_stop(catalog_file, out, signal.SIGKILL)
    assert killed.returncode == -signal.SIGKILL
    epoch = read_training_checkpoint(out / "last.ckpt")["epoch"]
    assert 0 <= epoch < EPOCHS - 1  # killed part-way
    res = run_main(_train_args(catalog_file, out))
    assert res.code == 0, res.output
    _assert_same_model(uninterrupted, out)


def test_resume_after_sigint_equals_the_uninterrupted_run(catalog_file, uninterrupted,
                                                          tmp_path) -> None:
    out = tmp_path / "run"
    stopped = _start_and_stop(catalog_file, out, signal.SIGINT)
    if _main_handles_interrupts():
        assert stopped.returncode == 130, stopped.stderr[-2000:]
        assert "interrupted; rerun to resume" in stopped.stderr
        assert "Traceback" not in stopped.stderr
    else:
        assert stopped.returncode != 0
    assert read_training_checkpoint(out / "last.ckpt")["epoch"] < EPOCHS - 1
    res = run_main(_train_args(catalog_file, out))
    assert res.code == 0, res.output
    _assert_same_model(uninterrupted, out)


def test_another_catalogs_run_folder_is_refused_then_replaced(catalog_file, uninterrupted,
                                                              tmp_path) -> None:
    # the same catalog refreshed: 40 more events, the sidecar's dates moved with them
    refreshed = tmp_path / "refreshed.csv"
    write_catalog(renewal_catalog(1040, seed=1), refreshed)
    out = tmp_path / "run"
    out.mkdir()
    for name in ("last.ckpt", "best.ckpt", "model.pt", "run.json"):
        (out / name).write_bytes((uninterrupted / name).read_bytes())
    (out / "notes.txt").write_text("mine")
    before = snapshot(out)
    res = run_main(_train_args(refreshed, out, "--max-epochs", "2"))
    assert res.code == 1 and "Traceback" not in res.output
    message = res.err.strip().splitlines()[-1]
    assert str(out) in message and "--no-resume" in message and "other data" in message
    assert snapshot(out) == before  # nothing touched
    res = run_main(_train_args(refreshed, out, "--max-epochs", "2", "--no-resume"))
    assert res.code == 0, res.output
    assert (out / "notes.txt").read_text() == "mine"
    assert not any(p.name.startswith(".replaced-") for p in out.iterdir())
    old = json.loads((uninterrupted / "run.json").read_text())
    new = json.loads((out / "run.json").read_text())
    assert new["data"] != old["data"]
    assert read_training_checkpoint(out / "last.ckpt")[CKPT_KEY]["identity"] == new
    assert json.loads((tmp_path / "run.json").read_text())["epochs"] == 2


def test_no_resume_replaces_a_corrupt_last_ckpt(catalog_file, tmp_path) -> None:
    out = tmp_path / "run"
    out.mkdir()
    (out / "last.ckpt").write_text("half-written by something else")
    (out / "model.pt").write_text("stale")
    args = [*_train_args(catalog_file, out), "--max-epochs", "1"]
    assert run_main(args).code == 1  # refused, and left as it was
    assert (out / "last.ckpt").read_text() == "half-written by something else"
    res = run_main([*args, "--no-resume"])
    assert res.code == 0, res.output
    assert read_training_checkpoint(out / "last.ckpt")["epoch"] == 0
    assert Recast.load(out / "model.pt").net_ is not None


def test_changed_settings_are_refused_with_their_flags(catalog_file, uninterrupted,
                                                       tmp_path) -> None:
    out = tmp_path / "run"
    out.mkdir()
    (out / "last.ckpt").write_bytes((uninterrupted / "last.ckpt").read_bytes())
    args = _train_args(catalog_file, out)
    args[args.index("--hidden") + 1] = "16"
    res = run_main(args)
    assert res.code == 1
    assert "--hidden 8 -> 16" in res.err and "--no-resume" in res.err
    # more epochs for the same run is a resume, not a different run
    res = run_main([*_train_args(catalog_file, out), "--max-epochs", str(EPOCHS + 1)])
    assert res.code == 0, res.output


def test_a_run_that_stopped_early_is_not_trained_further(tmp_path) -> None:
    torch.set_num_threads(1)
    cat = renewal_catalog(400, seed=2)
    cfg = TrainConfig(seed=1, max_epochs=200, patience=2, min_delta=10.0, **TINY)
    first = Recast(cfg, work_dir=tmp_path).fit(cat)
    assert first.fit_info_.stopped_early and first.fit_info_.epochs < 200
    again = Recast(cfg, work_dir=tmp_path).fit(cat)
    assert again.fit_info_.epochs == first.fit_info_.epochs and again.fit_info_.stopped_early
    for k, v in first.net_.state_dict().items():
        assert torch.equal(v, again.net_.state_dict()[k]), k


def test_the_fingerprint_follows_what_training_reads() -> None:
    from geohazard.forecast.recast.data import Normaliser

    def fingerprint(cat) -> str:
        seqs = split_sequences(cat)
        return data_fingerprint(seqs["train"], seqs["val"],
                                Normaliser.fit(seqs["train"], cat.metadata.mag_roundoff))

    cat = renewal_catalog(500, seed=4)
    base = fingerprint(cat)
    assert fingerprint(renewal_catalog(500, seed=4)) == base
    df = cat.to_pandas()
    df.loc[10, "magnitude"] += 0.01
    assert fingerprint(Catalog(df, cat.metadata)) != base  # one magnitude
    df = cat.to_pandas()
    md = cat.metadata
    assert fingerprint(cat.with_metadata(mag_completeness=1.9)) != base  # Mc
    moved = md.test_start - pd.Timedelta(hours=6)
    assert fingerprint(cat.with_metadata(test_start=moved)) != base  # a split date
    late = df.index[cat.days() > cat.day_of(md.test_start)]
    assert fingerprint(Catalog(df.drop(late[-5:]), md)) == base  # test events: not read


def test_rng_states_survive_a_weights_only_round_trip(tmp_path) -> None:
    import random

    states = rng_states()
    torch.save(states, tmp_path / "s.pt")
    expected = (torch.rand(3), np.random.random(3), random.random())  # noqa: NPY002
    restore_rng_states(torch.load(tmp_path / "s.pt", weights_only=True))
    got = (torch.rand(3), np.random.random(3), random.random())  # noqa: NPY002
    assert torch.equal(expected[0], got[0])
    assert np.array_equal(expected[1], got[1]) and expected[2] == got[2]


def test_window_order_is_a_function_of_seed_and_epoch_only() -> None:
    from geohazard.forecast.recast.data import Normaliser

    seq = split_sequences(renewal_catalog(600, seed=0))["train"]
    arrays = gap_arrays(seq, Normaliser.fit(seq, 0.01))

    def order(epochs: list[int]) -> tuple[list[int], list[tuple[int, int]]]:
        ds = WindowDataset(arrays, 32, 8)
        sampler = EpochSampler(ds, seed=7)
        for e in epochs:
            sampler.set_epoch(e)
        return list(sampler), list(ds.windows)

    direct = order([5])
    assert order([0, 1, 2, 3, 4, 5]) == direct
    assert order([0, 1, 2]) != direct
    ds = WindowDataset(arrays, 32, 8)
    resumed = EpochSampler(ds, seed=7)
    resumed.load_state_dict({"seed": 7, "epoch": 5})
    assert (list(resumed), list(ds.windows)) == direct
