"""RECAST weights without torch: the checkpoint's numpy sidecar and the sampler's arrays.

A checkpoint ``model.pt`` is a torch file (read with ``torch.load(weights_only=True)``, which
needs torch, a second's import). Beside it, ``model.pt.npz`` holds the same network: every
state-dict array (``state.<name>``, float32) and one JSON text (``meta``) with the network
and training settings, the normaliser and the SHA-256 and size of the ``model.pt`` it was
written from. It is written with :func:`numpy.savez` and read with
``numpy.load(allow_pickle=False)``: no Python object is ever unpickled.

:meth:`Recast.save <geohazard.forecast.recast.estimator.Recast.save>` writes both;
``geohazard recast export MODEL.pt`` writes the sidecar of an older checkpoint. Loading
prefers a sidecar that matches its checkpoint byte for byte; a sidecar that does not (the
checkpoint was replaced) or cannot be read is refused with a one-line error naming it, and
a checkpoint without one is read with torch.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from geohazard.exceptions import InputError
from geohazard.io_utils import atomic_path

SIDECAR_FORMAT = "geohazard-recast-weights-1"
GRU = "encoder.rnn."
SAMPLER_KEYS = (f"{GRU}weight_ih_l0", f"{GRU}weight_hh_l0", f"{GRU}bias_ih_l0",
                f"{GRU}bias_hh_l0", "time_head.weight", "time_head.bias", "mag_head.weight",
                "mag_head.bias")


def sidecar_path(checkpoint: str | Path) -> Path:
    """The sidecar of ``checkpoint``: the same path with ``.npz`` appended."""
    return Path(str(checkpoint) + ".npz")


@dataclass(frozen=True, eq=False)
class NetWeights:
    """The arrays sampling needs (float32), from a RECAST state dict.

    ``head_w`` ... ``b_hh`` are the network's own (the compiled kernels read them). The
    batched step works feature-major (states ``H`` are (C, n)) on two derived matrices:
    ``step_w`` (3K + 1 + 3C, C) stacks the time decoder's ``3K`` rows, the magnitude row and
    the GRU's hidden weights ``W_hh``, so that one product ``step_w @ H + step_b`` gives the
    decoders' outputs and ``W_hh h + b_hh`` together; ``in_w`` (3C, 3) is ``[W_ih | b_ih]``
    (inputs augmented with a row of ones). The rows of the reset and update gates are halved
    in both (exact in floating point), so that ``sigmoid(a) = (1 + tanh(a / 2)) / 2`` needs
    no further scaling.
    """

    head_w: np.ndarray  # (3K + 1, C): time decoder rows, then the magnitude row
    head_b: np.ndarray  # (3K + 1,)
    w_ih: np.ndarray  # (3C, n_inputs)
    w_hh: np.ndarray  # (3C, C)
    b_ih: np.ndarray  # (3C,)
    b_hh: np.ndarray  # (3C,)
    step_w: np.ndarray  # (3K + 1 + 3C, C), gate rows r, z halved
    step_b: np.ndarray  # (3K + 1 + 3C, 1)
    in_w: np.ndarray  # (3C, n_inputs + 1), gate rows r, z halved
    K: int

    @property
    def hidden(self) -> int:
        """GRU hidden size C."""
        return int(self.w_hh.shape[1])

    def step(self, h: np.ndarray) -> np.ndarray:
        """(3K + 1 + 3C, n) decoder outputs and halved-gate hidden projections of ``h`` (C, n).

        Rows ``[0, 3K)`` time decoder, ``3K`` magnitude, then ``W_hh h + b_hh`` with the
        reset and update rows halved.
        """
        out = self.step_w @ h
        out += self.step_b
        return out

    @classmethod
    def of(cls, state: Mapping[str, np.ndarray], n_components: int) -> NetWeights:
        """From a state dict of numpy arrays (shapes checked by :func:`check_state`)."""
        def f32(name: str) -> np.ndarray:
            return np.ascontiguousarray(state[name], dtype=np.float32)

        head_w = np.concatenate((f32("time_head.weight"), f32("mag_head.weight")))
        head_b = np.concatenate((f32("time_head.bias"), f32("mag_head.bias")))
        w_ih, b_ih = f32(f"{GRU}weight_ih_l0"), f32(f"{GRU}bias_ih_l0")
        w_hh, b_hh = f32(f"{GRU}weight_hh_l0"), f32(f"{GRU}bias_hh_l0")
        half = np.ones((w_hh.shape[0], 1), np.float32)
        half[:2 * w_hh.shape[1]] = 0.5  # reset and update gate rows
        step_w = np.concatenate((head_w, w_hh * half))
        step_b = np.concatenate((head_b, b_hh * half[:, 0]))[:, None]
        in_w = np.ascontiguousarray(np.column_stack((w_ih, b_ih)) * half)
        return cls(head_w, head_b, w_ih, w_hh, b_ih, b_hh, step_w, step_b, in_w,
                   int(n_components))


def expected_shapes(net_config: Mapping[str, Any]) -> dict[str, tuple[int, ...]]:
    """State-dict names and shapes of a :class:`RecastNet` with settings ``net_config``."""
    C, K = int(net_config["hidden"]), int(net_config["n_components"])
    n_in, F = int(net_config["n_inputs"]), int(net_config.get("n_features", 0))
    J = int(net_config.get("feature_components", 1))
    out = {f"{GRU}weight_ih_l0": (3 * C, n_in), f"{GRU}weight_hh_l0": (3 * C, C),
           f"{GRU}bias_ih_l0": (3 * C,), f"{GRU}bias_hh_l0": (3 * C,),
           "time_head.weight": (3 * K, C), "time_head.bias": (3 * K,),
           "mag_head.weight": (1, C), "mag_head.bias": (1,)}
    if F:
        rows = 2 * F if J <= 1 else J * (1 + 2 * F)
        out.update({"feat_head.weight": (rows, C), "feat_head.bias": (rows,)})
    return out


def check_state(state: Mapping[str, np.ndarray], net_config: Mapping[str, Any]) -> str | None:
    """What is wrong with ``state`` for ``net_config`` (None when it fits exactly)."""
    want = expected_shapes(net_config)
    if set(state) != set(want):
        return f"arrays {sorted(set(state) ^ set(want))} missing or unexpected"
    for name, shape in want.items():
        arr = state[name]
        if arr.dtype != np.float32 or tuple(arr.shape) != shape:
            return f"{name} is {arr.dtype} {tuple(arr.shape)}, float32 {shape} expected"
    return None


@dataclass(frozen=True, eq=False)
class Sidecar:
    """A checkpoint's network read from its sidecar (no torch)."""

    path: Path
    state: dict[str, np.ndarray]
    net_config: dict[str, Any]
    normaliser: dict[str, Any]
    train_config: dict[str, Any]


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of the file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_sidecar(checkpoint: str | Path, state: Mapping[str, np.ndarray],
                  net_config: Mapping[str, Any], normaliser: Mapping[str, Any],
                  train_config: Mapping[str, Any]) -> Path:
    """Write ``checkpoint``'s sidecar (atomic) for the checkpoint file as it is now."""
    ckpt = Path(checkpoint)
    problem = check_state(state, net_config)
    if problem is not None:
        raise InputError(f"{ckpt}: cannot write its weights sidecar ({problem})")
    meta = {"format": SIDECAR_FORMAT, "checkpoint": ckpt.name,
            "checkpoint_sha256": file_sha256(ckpt), "checkpoint_size": ckpt.stat().st_size,
            "net_config": dict(net_config), "normaliser": dict(normaliser),
            "train_config": dict(train_config)}
    arrays = {f"state.{k}": np.ascontiguousarray(v) for k, v in state.items()}
    out = sidecar_path(ckpt)
    with atomic_path(out) as tmp, open(tmp, "wb") as fh:  # a file object: no suffix added
        np.savez(fh, meta=np.array(json.dumps(meta, default=list)), **arrays)
    return out


def read_sidecar(checkpoint: str | Path) -> Sidecar | None:
    """The sidecar of ``checkpoint`` (None when there is none), checked against it.

    Raises
    ------
    InputError
        One line naming the sidecar when it cannot be read, is damaged, or was written for
        other bytes than the checkpoint's (stale).
    """
    ckpt = Path(checkpoint)
    side = sidecar_path(ckpt)
    if not side.exists():
        return None
    fix = f"delete it, or rewrite it with `geohazard recast export {ckpt}`"
    try:
        with np.load(side, allow_pickle=False) as npz:
            meta = json.loads(str(npz["meta"][()]))
            state = {k.removeprefix("state."): npz[k] for k in npz.files if k.startswith("state.")}
        problem = _check_meta(meta, state)
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile) as exc:
        raise InputError(f"{side}: not a readable RECAST weights sidecar ({type(exc).__name__}:"
                         f" truncated, corrupt or not written by geohazard); {fix}") from None
    if problem is not None:
        raise InputError(f"{side}: damaged RECAST weights sidecar ({problem}); {fix}")
    if meta["checkpoint_sha256"] != file_sha256(ckpt):
        raise InputError(f"{side}: stale weights sidecar, written for another {ckpt.name} "
                         f"(SHA-256 differs); {fix}")
    return Sidecar(side, state, dict(meta["net_config"]), dict(meta["normaliser"]),
                   dict(meta["train_config"]))


def _check_meta(meta: Any, state: Mapping[str, np.ndarray]) -> str | None:
    if not isinstance(meta, dict) or meta.get("format") != SIDECAR_FORMAT:
        return f"format {SIDECAR_FORMAT!r} expected"
    for key in ("net_config", "normaliser", "train_config"):
        if not isinstance(meta.get(key), dict):
            return f"no {key}"
    if not isinstance(meta.get("checkpoint_sha256"), str):
        return "no checkpoint_sha256"
    return check_state(state, meta["net_config"])
