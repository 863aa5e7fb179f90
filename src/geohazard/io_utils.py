"""Atomic file writes: nothing half-written is ever left at the target path."""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from geohazard.exceptions import OutputError


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    On any exception the temporary file is removed and ``path`` is left untouched.

    Parameters
    ----------
    path
        Final destination.
    suffix
        Suffix of the temporary file (defaults to that of ``path``, so writers that
        infer the format from the extension keep working).
    """
    target = Path(path)
    if target.is_dir():
        raise OutputError(f"{target}: is a folder, expected a file to write")
    ensure_dir(target.parent)
    try:
        fd, tmp = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=suffix if suffix is not None else target.suffix,
            dir=target.parent,
        )
    except OSError as exc:
        raise OutputError(f"{target}: cannot write here ({exc.strerror or exc})") from exc
    os.close(fd)
    tmp_path = Path(tmp)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp_path, 0o666 & ~umask)  # mkstemp makes 0600; finished files follow the umask
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


def ensure_dir(path: str | os.PathLike[str]) -> Path:
    """Create folder ``path`` (and parents); a one-line :class:`OutputError` if it cannot be.

    Names the path the user gave, in every way this fails: a file where a folder should be
    (the path itself or one of its parents), a read-only parent.
    """
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{folder}: is a file, expected a folder")
    for parent in folder.parents:
        if parent.exists() and not parent.is_dir():
            raise OutputError(f"{folder}: its parent {parent} is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{folder}: cannot create this folder ({exc.strerror or exc})") from exc
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"{folder}: folder is not writable")
    return folder


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``path`` atomically and return the path."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def _json_default(obj: Any) -> Any:
    import numpy as np

    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    raise TypeError(f"cannot serialise {type(obj).__name__} to JSON")


def strict_json(data: Any) -> Any:
    """``data`` with every non-finite float (NaN, +-Infinity) replaced by ``None``.

    Strict JSON has no NaN or Infinity; readers in other languages reject them. NumPy scalars
    and arrays become Python numbers and lists on the way.
    """
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {k: strict_json(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [strict_json(v) for v in data]
    if type(data).__module__ == "numpy":
        return strict_json(_json_default(data))
    return data


def dumps_json(data: Any, indent: int | None = 2) -> str:
    """Strict JSON text of ``data`` (non-finite numbers become ``null``)."""
    return json.dumps(strict_json(data), indent=indent, default=_json_default, allow_nan=False)


def write_json_atomic(path: str | os.PathLike[str], data: Any) -> Path:
    """Serialise ``data`` (NumPy scalars and arrays allowed) to strict JSON atomically.

    NaN and Infinity are written as ``null`` (strict JSON); nothing is left half-written.
    """
    return write_text_atomic(path, dumps_json(data) + "\n")
