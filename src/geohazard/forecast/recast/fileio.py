"""Reading RECAST files with ``torch.load(weights_only=True)``, without Lightning.

Inference (loading a ``model.pt`` and sampling) imports this module, never the training
modules, so issuing a forecast does not pay for importing Lightning; torch itself is
imported only when a torch file is read (a checkpoint with a weights sidecar is not).
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

from geohazard.exceptions import InputError


def check_model_file(path: Path, what: str) -> None:
    """Refuse a folder, a missing or an empty file with one line naming ``path``."""
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a {what}")
    if not path.exists():
        raise InputError(f"{path}: {what} not found")
    try:
        empty = path.stat().st_size == 0
    except OSError as exc:
        raise InputError(f"{path}: cannot read the {what} ({exc.strerror or exc})") from None
    if empty:
        raise InputError(f"{path}: is empty, not a {what}")


def load_torch_file(path: Path, what: str) -> Any:
    """``torch.load(path, weights_only=True)`` with one-line errors naming ``path``.

    Nothing is ever unpickled: a file holding Python objects other than tensors and plain
    data is refused.
    """
    check_model_file(path, what)
    import torch

    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except OSError as exc:
        raise InputError(f"{path}: cannot read the {what} ({exc.strerror or exc})") from None
    except (RuntimeError, EOFError, pickle.UnpicklingError, ValueError, TypeError,
            AttributeError, ImportError, IndexError, KeyError) as exc:
        kind = type(exc).__name__
        raise InputError(f"{path}: not a readable {what} ({kind}: truncated or corrupt, not a "
                         "PyTorch file, or holding Python objects, which are never loaded)"
                         ) from None
