"""Physical ranges of the catalog, ETAS and forecast parameters, checked at every boundary.

One table (:data:`RANGES`) holds the allowed range of each parameter. The library checks
its arguments under their Python names (``duration_days``) and the CLI checks its flags
under the flag names (``--days``) against the same table, so both refuse the same values
with the same wording, and a message never shows a NumPy repr (``nan``, not
``np.float64(nan)``).
"""

from __future__ import annotations

from typing import Any

from geohazard.exceptions import ParameterError
from geohazard.validation import Range, fmt_number

__all__ = ["RANGES", "Range", "check", "check_output", "fmt_number"]


#: Parameter -> allowed range (keys are the Python names; the CLI passes its flag names).
RANGES: dict[str, Range] = {
    "days": Range(0.0, 36_525.0, lo_open=True, unit="days"),
    "samples": Range(1, 10_000_000, integer=True),
    "every": Range(0.0, 3_653.0, lo_open=True, unit="days"),
    "refit_every": Range(0.0, 36_525.0, lo_open=True, unit="days"),
    "starts": Range(1, 100, integer=True),
    "n_max": Range(0.0, 1.0, lo_open=True, hi_open=True),
    "p_min": Range(0.2, 5.0),
    "taper_days": Range(1e-3, 1e8, unit="days"),
    "fixed_alpha": Range(0.0, 5.0),
    "mc": Range(-5.0, 10.5, hi_open=True),
    "b": Range(0.1, 5.0),
    "m_max": Range(-5.0, 10.5),
    "dh": Range(0.0, 10.0, lo_open=True, unit="degrees"),
    "chunk_days": Range(0.0, 36_525.0, lo_open=True, unit="days"),
    "min_magnitude": Range(-5.0, 10.5),
    "seed": Range(0, None, integer=True),
    "param_draws": Range(0, 100_000, integer=True),
    "max_iter": Range(1, 1_000_000, integer=True),
}


def check(value: Any, key: str, name: str | None = None) -> float:
    """Return ``value`` as a float, or raise :class:`ParameterError` naming ``name``.

    Parameters
    ----------
    value
        The value to check.
    key
        The parameter's entry in :data:`RANGES`.
    name
        How the message names it (a flag such as ``--days``); defaults to ``key``.
    """
    rng = RANGES[key]
    label = name or key
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ParameterError(f"{label} must be {rng.text()}, got {value!r}") from None
    if not rng.contains(number):
        raise ParameterError(f"{label} must be {rng.text()}, got {fmt_number(value)}")
    return number


def check_output(path: Any, name: str) -> None:
    """Refuse an output path that cannot be written, before any work and without writing.

    A folder given as a file, a file given as a parent folder, or a read-only nearest
    existing folder raise :class:`~geohazard.exceptions.InputError` naming ``name`` (the flag)
    and the path. ``None`` and URLs (``sqlite://...``) pass.
    """
    import os
    from pathlib import Path

    from geohazard.exceptions import InputError

    if path is None or "://" in str(path):
        return
    target = Path(path)
    if target.is_dir():
        raise InputError(f"{name} {target}: is a folder, expected a file to write")
    parent = target.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise InputError(f"{name} {target}: its parent {parent} is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(f"{name} {target}: folder {parent} is not writable")
