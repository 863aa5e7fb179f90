"""Bad-input suite for ``geohazard recast train|score|sample|export``.

Every case runs the real entry point in-process (:mod:`tests.badinput`) and asserts exit 1,
no traceback, one ``error:`` line naming the culprit (flag, file, run folder or split) and no
file written, changed or removed. Every case fails before any training or sampling: flags
are checked first, then the catalog, the checkpoint and the run folder. One tiny model,
trained once per module (about a second), supplies the valid checkpoints and the run folder
"of another catalog".
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from geohazard.catalog.io import read_catalog, write_catalog
from geohazard.forecast.recast import Recast, TrainConfig
from tests.badinput import Case, check_case
from tests.forecast.recast._synth import renewal_catalog

CAT = "{tmp}/cat.csv"
MODEL = "{tmp}/model.pt"
RUN = "{tmp}/run"


def _cat(tmp: Path, **sidecar: object) -> None:
    """A 300-event renewal catalog with paper-style splits; ``sidecar`` edits its JSON."""
    write_catalog(renewal_catalog(300, seed=1), tmp / "cat.csv")
    if sidecar:
        meta = json.loads((tmp / "cat.json").read_text())
        meta.update({k: v for k, v in sidecar.items() if v is not None})
        for key in [k for k, v in sidecar.items() if v is None]:
            meta.pop(key, None)
        (tmp / "cat.json").write_text(json.dumps(meta))


def _day(day: float) -> str:
    import pandas as pd

    return str(pd.Timestamp("2000-01-01", tz="UTC") + pd.to_timedelta(day, unit="D"))


def _few_val_events(tmp: Path) -> None:
    """The validation split holds 3 events."""
    cat = renewal_catalog(300, seed=1)
    days = cat.days()
    _cat(tmp, val_start=_day(days[200] - 1e-4), test_start=_day(days[202] + 1e-4))


def _with(name: str, content: bytes | str | Callable[[Path], None]) -> Callable[[Path], None]:
    """Catalog plus a file ``name`` (bytes, text, or written by a function of its path)."""
    def setup(tmp: Path) -> None:
        _cat(tmp)
        path = tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if callable(content):
            content(path)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return setup


class _Touch:
    """A pickle that, if it were ever loaded, would create ``pwned`` beside it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple:
        return (Path.touch, (self.path.parent / "pwned",))


def _evil(path: Path) -> None:
    path.write_bytes(pickle.dumps(_Touch(path)))


def _foreign_torch(path: Path) -> None:
    torch.save({"weights": torch.ones(3), "epoch": 4}, path)


def _old_lightning(path: Path) -> None:
    """A Lightning checkpoint as geohazard wrote it before run records (no fingerprint)."""
    torch.save({"state_dict": {}, "loops": {}, "callbacks": {}, "epoch": 3}, path)


def _evil_npz(path: Path) -> None:
    """An archive numpy would unpickle if asked (an object array)."""
    import numpy as np

    with open(path, "wb") as fh:
        np.savez(fh, meta=np.array([_Touch(path)], dtype=object))


def _truncated_model(path: Path) -> None:
    data = (path.parent / "model.pt").read_bytes()
    path.write_bytes(data[: len(data) // 2])


SCORE = ["recast", "score", CAT, "--checkpoint"]
SAMPLE = ["recast", "sample", CAT, "--checkpoint", MODEL]
TRAIN = ["recast", "train", CAT]
TRAIN_RUN = [*TRAIN, "--out", RUN]
NO_RESUME = ["last.ckpt", "--no-resume"]

CASES = [
    # ---- train: flags
    Case("train-missing-catalog", ["recast", "train", "{tmp}/nope.csv"], "nope.csv"),
    Case("train-max-epochs-0", [*TRAIN, "--max-epochs", "0"], "--max-epochs", _cat),
    Case("train-max-epochs-neg", [*TRAIN, "--max-epochs", "-3"], "--max-epochs", _cat),
    Case("train-seed-neg", [*TRAIN, "--seed", "-1"], "--seed", _cat),
    Case("train-seed-huge", [*TRAIN, "--seed", str(2**40)], "--seed", _cat),
    Case("train-lr-0", [*TRAIN, "--lr", "0"], "--lr", _cat),
    Case("train-lr-nan", [*TRAIN, "--lr", "nan"], "--lr", _cat),
    Case("train-lr-5", [*TRAIN, "--lr", "5"], "--lr", _cat),
    Case("train-hidden-0", [*TRAIN, "--hidden", "0"], "--hidden", _cat),
    Case("train-batch-size-0", [*TRAIN, "--batch-size", "0"], "--batch-size", _cat),
    Case("train-dropout-1", [*TRAIN, "--dropout", "1"], "--dropout", _cat),
    Case("train-patience-neg", [*TRAIN, "--patience", "-1"], "--patience", _cat),
    Case("train-threads-neg", [*TRAIN, "--threads", "-2"], "--threads", _cat),
    Case("train-devices-0", [*TRAIN, "--devices", "0"], "--devices", _cat),
    Case("train-devices-word", [*TRAIN, "--devices", "two"], "--devices", _cat),
    Case("train-accelerator", [*TRAIN, "--accelerator", "quantum"], "--accelerator", _cat),
    Case("train-strategy", [*TRAIN, "--strategy", "bogus"], "--strategy", _cat),
    Case("train-features-unknown", [*TRAIN, "--features", "depth"], ["--features", "depth"],
         _cat),
    Case("train-out-is-file", [*TRAIN, "--out", "{tmp}/cat.json"], "--out", _cat),
    Case("train-out-under-file", [*TRAIN, "--out", "{tmp}/cat.json/run"], "--out", _cat),
    Case("train-json-is-dir", [*TRAIN, "--json", "{tmp}"], "--json", _cat),
    # ---- train: catalog splits
    Case("train-no-splits", TRAIN, ["cat.csv", "split"],
         lambda t: _cat(t, train_start=None, val_start=None, test_start=None)),
    Case("train-split-beyond-data", TRAIN, ["cat.csv", "test_start"],
         lambda t: _cat(t, test_start="2001-06-01", end="2002-01-01")),
    Case("train-val-3-events", TRAIN, ["cat.csv", "val split", "holds 3 events"],
         _few_val_events),
    # ---- train: the run folder's last.ckpt
    Case("train-ckpt-garbage", TRAIN_RUN, NO_RESUME, _with("run/last.ckpt", "not a checkpoint")),
    Case("train-ckpt-empty", TRAIN_RUN, NO_RESUME, _with("run/last.ckpt", b"")),
    Case("train-ckpt-foreign", TRAIN_RUN, NO_RESUME, _with("run/last.ckpt", _foreign_torch)),
    Case("train-ckpt-pickle", TRAIN_RUN, NO_RESUME, _with("run/last.ckpt", _evil)),
    Case("train-ckpt-truncated", TRAIN_RUN, NO_RESUME,
         _with("run/last.ckpt", lambda p: p.write_bytes(b"PK\x03\x04" + b"\0" * 64))),
    Case("train-ckpt-old-version", TRAIN_RUN, [*NO_RESUME, "older geohazard"],
         _with("run/last.ckpt", _old_lightning)),
    Case("train-other-catalog-run", TRAIN_RUN, ["run", "other data", "--no-resume"],
         extra={"run": True}),
    Case("train-other-settings-run", [*TRAIN_RUN, "--hidden", "16"],
         ["--hidden 4 -> 16", "--no-resume"], extra={"run": "same"}),
    # ---- score
    Case("score-missing-ckpt", [*SCORE, "{tmp}/nope.pt"], "nope.pt", _cat),
    Case("score-ckpt-pickle", [*SCORE, "{tmp}/evil.pt"], "evil.pt", _with("evil.pt", _evil)),
    Case("score-ckpt-text", [*SCORE, "{tmp}/notes.pt"], "notes.pt", _with("notes.pt", "hi\n")),
    Case("score-ckpt-empty", [*SCORE, "{tmp}/e.pt"], ["e.pt", "empty"], _with("e.pt", b"")),
    Case("score-ckpt-foreign", [*SCORE, "{tmp}/f.pt"], ["f.pt", "not a recast"],
         _with("f.pt", _foreign_torch)),
    Case("score-ckpt-truncated", [*SCORE, "{tmp}/half.pt"], "half.pt",
         _with("half.pt", _truncated_model), extra={"model": True}),
    Case("score-ckpt-lightning", [*SCORE, "{tmp}/run/last.ckpt"], ["last.ckpt", "model.pt"],
         extra={"run": True}),
    Case("score-ckpt-dir", [*SCORE, "{tmp}"], "folder", _cat),
    Case("score-no-splits", [*SCORE, MODEL], ["cat.csv", "split"],
         lambda t: _cat(t, train_start=None, val_start=None, test_start=None),
         extra={"model": True}),
    Case("score-split-beyond-data", [*SCORE, MODEL], ["cat.csv", "test_start"],
         lambda t: _cat(t, test_start="2001-06-01", end="2002-01-01"), extra={"model": True}),
    Case("score-threads-neg", [*SCORE, MODEL, "--threads", "-1"], "--threads", _cat,
         extra={"model": True}),
    Case("score-json-dir", [*SCORE, MODEL, "--json", "{tmp}"], "--json", _cat,
         extra={"model": True}),
    # ---- sample
    Case("sample-days-0", [*SAMPLE, "--days", "0"], "--days", _cat, extra={"model": True}),
    Case("sample-days-nan", [*SAMPLE, "--days", "nan"], "--days", _cat, extra={"model": True}),
    Case("sample-days-neg", [*SAMPLE, "--days", "-5"], "--days", _cat, extra={"model": True}),
    Case("sample-n-0", [*SAMPLE, "--n", "0"], "--n", _cat, extra={"model": True}),
    Case("sample-seed-neg", [*SAMPLE, "--seed", "-1"], "--seed", _cat, extra={"model": True}),
    Case("sample-start-text", [*SAMPLE, "--start", "someday"], "--start", _cat,
         extra={"model": True}),
    Case("sample-start-after-data", [*SAMPLE, "--start", "2030-01-01"], "--start", _cat,
         extra={"model": True}),
    Case("sample-start-before-data", [*SAMPLE, "--start", "1990-01-01"], "--start", _cat,
         extra={"model": True}),
    Case("sample-ckpt-pickle", ["recast", "sample", CAT, "--checkpoint", "{tmp}/evil.pt"],
         "evil.pt", _with("evil.pt", _evil)),
    # ---- the weights sidecar beside a checkpoint (model.pt.npz)
    Case("sample-sidecar-stale", SAMPLE, ["model.pt.npz", "stale"], _cat,
         extra={"model": True, "sidecar": "same"}),
    Case("sample-sidecar-junk", SAMPLE, ["model.pt.npz", "sidecar"],
         _with("model.pt.npz", "junk\n"), extra={"model": True}),
    Case("sample-sidecar-pickle", SAMPLE, ["model.pt.npz", "sidecar"],
         _with("model.pt.npz", _evil_npz), extra={"model": True}),
    Case("score-sidecar-truncated", [*SCORE, MODEL], ["model.pt.npz", "sidecar"], _cat,
         extra={"model": True, "sidecar": "truncated"}),
    # ---- export
    Case("export-missing", ["recast", "export", "{tmp}/nope.pt"], "nope.pt"),
    Case("export-folder", ["recast", "export", "{tmp}"], "folder"),
    Case("export-pickle", ["recast", "export", "{tmp}/evil.pt"], "evil.pt",
         _with("evil.pt", _evil)),
    Case("export-foreign", ["recast", "export", "{tmp}/f.pt"], ["f.pt", "not a recast"],
         _with("f.pt", _foreign_torch)),
    Case("export-lightning", ["recast", "export", "{tmp}/run/last.ckpt"], "last.ckpt", _cat,
         extra={"run": "same"}),
]


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """Tiny models (1 epoch, hidden 4): ``other/`` on another catalog, ``same/`` on this one."""
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("trained")
    cfg = TrainConfig(hidden=4, max_epochs=1)  # the CLI's defaults apart from --hidden
    _cat(root)  # "same" trains on the catalog file the cases write
    for name, cat in (("other", renewal_catalog(300, seed=9)),
                      ("same", read_catalog(root / "cat.csv"))):
        model = Recast(cfg, work_dir=root / name).fit(cat)
        model.save(root / name / "model.pt")
    return root


def _copy_trained(trained: Path, tmp: Path, case: Case) -> None:
    if case.extra.get("model"):
        (tmp / "model.pt").write_bytes((trained / "other" / "model.pt").read_bytes())
    side = case.extra.get("sidecar")
    if side == "same":  # the sidecar of another checkpoint: stale
        (tmp / "model.pt.npz").write_bytes((trained / "same" / "model.pt.npz").read_bytes())
    elif side == "truncated":
        data = (trained / "other" / "model.pt.npz").read_bytes()
        (tmp / "model.pt.npz").write_bytes(data[: len(data) // 2])
    if case.extra.get("run"):
        src = trained / ("same" if case.extra["run"] == "same" else "other")
        (tmp / "run").mkdir()
        for name in ("last.ckpt", "run.json"):
            (tmp / "run" / name).write_bytes((src / name).read_bytes())
        _cat(tmp)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input_is_one_clean_error(case: Case, tmp_path: Path, shared_data: Path,
                                      trained: Path) -> None:
    _copy_trained(trained, tmp_path, case)
    result = check_case(case, tmp_path, shared_data)
    assert not (tmp_path / "pwned").exists()
    # the refusal of a pickle never advises loading it anyway
    assert "weights_only" not in result.output


def test_the_suite_covers_every_recast_command() -> None:
    commands = {c.args[1] for c in CASES}
    assert commands == {"train", "score", "sample", "export"}
    assert len(CASES) >= 12
