"""RECAST run folders: identity, exact resume and clear errors.

A run folder holds Lightning's ``last.ckpt`` and ``best.ckpt``, ``run.json`` (the run's
*identity*: a fingerprint of the training data and the settings that shape the model) and,
from the CLI, the exported ``model.pt``.

Resuming is refused (:class:`RunFolderError`) when the folder's identity differs from the
new run's (another catalog, or the same catalog after a refresh, or other settings), or when
``last.ckpt`` is empty, corrupt or not a RECAST training checkpoint. Starting afresh
(``resume=False``) replaces the old state: the old ``last.ckpt`` goes first (one rename), so
a kill part-way never leaves a state that could be resumed by mistake.

Exact resume: :class:`ResumeState` writes every random state (torch, NumPy and Python global
generators, CUDA when used) and the window sampler's epoch into each checkpoint and restores
them just before the first resumed training step, so a killed and rerun training ends with
the same weights as an uninterrupted one. Checkpoints are written at epoch ends only, so the
data-order position inside an epoch is always 0 there.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import tempfile
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import Callback

from geohazard.catalog.core import EventSequence
from geohazard.exceptions import InputError
from geohazard.forecast.recast.fileio import load_torch_file
from geohazard.io_utils import write_json_atomic

RUN_FORMAT = "geohazard-recast-run-1"
RUN_FILE = "run.json"
LAST, BEST = "last.ckpt", "best.ckpt"
CKPT_KEY = "geohazard_recast"
STATE_FILES = (LAST, BEST, "model.pt", RUN_FILE)
# settings that change neither the data nor the model's path through training
RUN_CONTROL = ("max_epochs", "max_time_s", "accelerator", "devices", "strategy")


class RunFolderError(InputError):
    """A run folder cannot be resumed: other data or settings, or an unreadable checkpoint.

    ``reason`` is the message without advice; ``str()`` adds the Python-side remedy
    (``resume=False``); the CLI words its own (``--no-resume``).
    """

    def __init__(self, reason: str, folder: Path | None = None,
                 changes: list[tuple[str, Any, Any]] | None = None) -> None:
        super().__init__(f"{reason}; pass resume=False to start afresh (this replaces it)")
        self.reason, self.folder, self.changes = reason, folder, changes or []


# ---------------------------------------------------------------------------- identity
def _hash_sequence(h: Any, seq: EventSequence, features: tuple[str, ...]) -> None:
    h.update(np.ascontiguousarray(seq.times, dtype="<f8").tobytes())
    h.update(np.ascontiguousarray(seq.magnitudes, dtype="<f8").tobytes())
    mc = seq.mag_completeness
    head = [seq.t_start, seq.t_end, seq.t_nll_start, np.nan if mc is None else mc, len(seq)]
    h.update(np.asarray(head, dtype="<f8").tobytes())
    for name in features:
        h.update(name.encode())
        h.update(np.ascontiguousarray(seq.features[name], dtype="<f8").tobytes())


def data_fingerprint(train: EventSequence, val: EventSequence, normaliser: Any,
                     features: tuple[str, ...] = ()) -> str:
    """SHA-256 of everything training reads from a catalog.

    Times and magnitudes of the train and validation sequences (which start at the catalog
    start, so they cover all history), their window and scoring bounds (the split dates), Mc,
    the extra feature columns and the normaliser fitted on them (magnitude rounding, b-value).
    Events after the validation split do not change a trained model and are not part of it.
    """
    h = hashlib.sha256(RUN_FORMAT.encode())
    for seq in (train, val):
        _hash_sequence(h, seq, features)
    h.update(json.dumps(normaliser.to_dict(), sort_keys=True).encode())
    return h.hexdigest()


def run_identity(config: Any, fingerprint: str) -> dict[str, Any]:
    """``{"format", "data", "config"}``: what must match for a run folder to be resumed."""
    cfg = {f.name: getattr(config, f.name) for f in fields(config)
           if f.name not in RUN_CONTROL}
    cfg["features"] = list(cfg.get("features", ()))
    return {"format": RUN_FORMAT, "data": fingerprint, "config": cfg}


def _differences(saved: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    old_cfg, new_cfg = saved.get("config") or {}, new["config"]
    return [(k, old_cfg.get(k), v) for k, v in new_cfg.items()
            if _norm(old_cfg.get(k)) != _norm(v)]


def _norm(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def compare_identity(work_dir: Path, saved: dict[str, Any], new: dict[str, Any],
                     source: str) -> None:
    """Raise :class:`RunFolderError` unless ``saved`` (read from ``source``) equals ``new``."""
    if saved.get("format") != RUN_FORMAT:
        raise RunFolderError(f"{work_dir}: {source} is not from a RECAST training run of "
                             "this version (no data fingerprint), so it cannot be resumed safely")
    if saved.get("data") != new["data"]:
        old = str(saved.get("data"))[:12]
        raise RunFolderError(
            f"{work_dir}: holds a run trained on other data (catalog fingerprint {old}, "
            f"this catalog {new['data'][:12]}: another catalog, a refreshed one, or other "
            "split dates, Mc or features)")
    diff = _differences(saved, new)
    if diff:
        text = ", ".join(f"{k} {old!r} -> {v!r}" for k, old, v in diff)
        raise RunFolderError(f"{work_dir}: holds a run with other settings ({text})",
                             work_dir, diff)


# ---------------------------------------------------------------------------- reading
def read_training_checkpoint(path: Path) -> dict[str, Any]:
    """A Lightning ``last.ckpt`` written by RECAST training, validated.

    Raises :class:`RunFolderError` for an empty, corrupt or foreign file.
    """
    try:
        ck = load_torch_file(path, "RECAST training checkpoint")
    except InputError as exc:
        raise RunFolderError(str(exc)) from None
    lightning = isinstance(ck, dict) and all(k in ck for k in ("state_dict", "loops",
                                                                "callbacks"))
    if not lightning:
        raise RunFolderError(f"{path}: not a RECAST training checkpoint (a PyTorch file "
                             "that is not a Lightning training checkpoint)")
    if not isinstance(ck.get(CKPT_KEY), dict):
        raise RunFolderError(f"{path}: a Lightning checkpoint without RECAST's run record "
                             "(data fingerprint, random states): from an older geohazard or "
                             "another program, so it cannot be resumed safely")
    return ck


def saved_identity(work_dir: Path) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """``(identity, checkpoint)`` found in ``work_dir`` (None where absent).

    The identity comes from ``last.ckpt`` when there is one (it travels with the state it
    describes), else from ``run.json``.
    """
    last = work_dir / LAST
    if last.exists():
        ck = read_training_checkpoint(last)
        return dict(ck[CKPT_KEY].get("identity") or {}), ck
    run_file = work_dir / RUN_FILE
    if run_file.exists():
        try:
            data = json.loads(run_file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise RunFolderError(f"{run_file}: unreadable run record ({exc})") from None
        return (data if isinstance(data, dict) else {}), None
    return None, None


# ---------------------------------------------------------------------------- writing
def reset_run_folder(work_dir: Path, identity: dict[str, Any]) -> None:
    """Replace any old run state in ``work_dir`` by the new run's ``run.json``.

    The old files are renamed into a private folder (``last.ckpt`` first, so no resumable
    state survives a kill part-way) and removed; other files are left alone.
    """
    work_dir.mkdir(parents=True, exist_ok=True)
    old = [work_dir / name for name in STATE_FILES if (work_dir / name).is_file()]
    if old:
        trash = Path(tempfile.mkdtemp(prefix=".replaced-", dir=work_dir))
        for path in old:
            os.replace(path, trash / path.name)
        shutil.rmtree(trash, ignore_errors=True)
    write_json_atomic(work_dir / RUN_FILE, identity)


# ---------------------------------------------------------------------------- RNG states
def rng_states() -> dict[str, Any]:
    """Every global random state, as tensors and plain data (``weights_only`` loadable)."""
    np_state = np.random.get_state(legacy=False)  # noqa: NPY002 (the global state itself)
    version, internal, gauss = random.getstate()
    out: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "numpy": {"bit_generator": np_state["bit_generator"],
                  "key": torch.from_numpy(np_state["state"]["key"].astype(np.int64)),
                  "pos": int(np_state["state"]["pos"]),
                  "has_gauss": int(np_state["has_gauss"]), "gauss": float(np_state["gauss"])},
        "python": {"version": version, "internal": list(internal), "gauss": gauss},
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        out["cuda"] = torch.cuda.get_rng_state_all()
    return out


def restore_rng_states(states: dict[str, Any]) -> None:
    """Inverse of :func:`rng_states`."""
    torch.set_rng_state(states["torch"])
    n = states["numpy"]
    np.random.set_state({"bit_generator": n["bit_generator"],  # noqa: NPY002
                         "state": {"key": n["key"].numpy().astype(np.uint32), "pos": n["pos"]},
                         "has_gauss": n["has_gauss"], "gauss": n["gauss"]})
    p = states["python"]
    random.setstate((p["version"], tuple(p["internal"]), p["gauss"]))
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])


class ResumeState(Callback):
    """Write the run's identity, random states and data order into every checkpoint.

    Parameters
    ----------
    identity
        :func:`run_identity` of this run.
    sampler
        The training window sampler (``state_dict`` / ``load_state_dict``), or None.
    """

    def __init__(self, identity: dict[str, Any], sampler: Any = None) -> None:
        self.identity, self.sampler = identity, sampler
        self._pending: dict[str, Any] | None = None
        self.interrupted = False

    def on_save_checkpoint(self, trainer: pl.Trainer, pl_module: pl.LightningModule,
                           checkpoint: dict[str, Any]) -> None:
        """Add identity, RNG states, sampler position and the stop flag."""
        best = getattr(trainer.checkpoint_callback, "best_model_score", None)
        checkpoint[CKPT_KEY] = {
            "identity": self.identity, "rng": rng_states(),
            "best_score": float(best) if best is not None else None,
            "sampler": self.sampler.state_dict() if self.sampler is not None else None,
            "should_stop": bool(trainer.should_stop),
            "epochs_done": int(trainer.fit_loop.epoch_progress.current.processed),
        }

    def on_load_checkpoint(self, trainer: pl.Trainer, pl_module: pl.LightningModule,
                           checkpoint: dict[str, Any]) -> None:
        """Restore the sampler now; the RNG states just before the next training epoch."""
        state = checkpoint[CKPT_KEY]
        if self.sampler is not None and state.get("sampler") is not None:
            self.sampler.load_state_dict(state["sampler"])
            self.sampler.set_epoch(int(state["epochs_done"]))
        self._pending = state["rng"]

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Apply pending RNG states (resume), then put the sampler at this epoch."""
        if self._pending is not None:
            restore_rng_states(self._pending)
            self._pending = None
        if self.sampler is not None:
            self.sampler.set_epoch(int(trainer.current_epoch))

    def on_exception(self, trainer: pl.Trainer, pl_module: pl.LightningModule,
                     exception: BaseException) -> None:
        """Remember a Ctrl-C: Lightning turns it into ``sys.exit(1)``; we re-raise it."""
        if isinstance(exception, KeyboardInterrupt):
            self.interrupted = True
