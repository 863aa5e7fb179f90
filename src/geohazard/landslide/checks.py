"""Physical ranges of the landslide parameters and sanity checks of input rasters.

One table (:data:`BOUNDS`) holds the range of every landslide parameter; the library checks
its arguments against it under their Python names and the CLI checks its flags against the
same table under the flag names (``--friction``, not ``friction_deg``), so both refuse the
same values with the same wording. Helpers here also refuse rasters without data, slopes
whose values do not fit their stated units, and clean up output folders a failed run made.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from geohazard.exceptions import ParameterError, RasterError
from geohazard.validation import Range, fmt_number

log = logging.getLogger(__name__)

__all__ = [
    "BOUNDS",
    "Bound",
    "check_param",
    "check_slope_values",
    "fmt_num",
    "read_failure",
    "raster_label",
    "remove_new_dirs",
    "require_data",
]


#: A landslide parameter's range (the shared :class:`geohazard.validation.Range`).
Bound = Range
fmt_num = fmt_number


#: Physical range of every landslide parameter, keyed by its library (Python) name.
BOUNDS: dict[str, Bound] = {
    # Newmark / infinite slope
    "friction_deg": Bound(0.0, 90.0, True, True, "degrees"),
    "cohesion_kpa": Bound(0.0, None, unit="kPa"),
    "thickness_m": Bound(0.0, None, lo_open=True, unit="m"),
    "unit_weight": Bound(0.0, None, lo_open=True, unit="kN/m^3"),
    "saturation": Bound(0.0, 1.0),
    # earthquakes: plausible moment magnitudes of landslide-triggering events, shaking
    "magnitude": Bound(3.0, 9.5, unit="(Mw)"),
    "pga_g": Bound(0.0, 5.0, unit="g"),  # larger values are %g or m/s^2, not g
    # rupture geometry
    "dip": Bound(0.0, 90.0, lo_open=True, unit="degrees"),
    "rake": Bound(-360.0, 360.0, unit="degrees"),
    "ztor": Bound(0.0, None, unit="km"),
    "width": Bound(0.0, None, lo_open=True, unit="km"),
    # windows, grids and searches
    "radius": Bound(1, None, unit="cells", integer=True),
    "tile": Bound(1, None, unit="cells", integer=True),
    "block_rows": Bound(1, None, unit="rows", integer=True),
    "search_radius_m": Bound(0.0, None, lo_open=True, unit="m"),
    "search_km": Bound(0.0, None, lo_open=True, unit="km"),
    # USGS model thresholds
    "pga_threshold_g": Bound(0.0, 10.0, unit="g"),
    "prob_threshold": Bound(0.0, 1.0),
    # susceptibility
    "balance": Bound(0.0, None, lo_open=True),  # stable cells per landslide cell
    "n_folds": Bound(2, None, integer=True),
    "n_estimators": Bound(1, None, integer=True),
    "block_size": Bound(0.0, None, lo_open=True, unit="(CRS units)"),
    "n_bins": Bound(1, None, integer=True),
    "seed": Bound(0, None, integer=True),
    # shaking amplification (issue 15): shear-wave velocity and frequency of the FSC proxy
    "vs_mps": Bound(50.0, 5000.0, unit="m/s"),
    "freq_hz": Bound(0.05, 50.0, unit="Hz"),
    "amplification": Bound(0.0, 20.0, lo_open=True),  # a factor on PGA/PGV, never <= 0
    # landslide modes and long-term evolution
    "recovery_fraction": Bound(0.0, 1.0, True, True),
    "n_boot": Bound(20, 100000, integer=True),
    "background": Bound(0.0, None),
}


def check_param(name: str, value: Any, label: str | None = None) -> Any:
    """Refuse a value outside the physical range of parameter ``name``.

    Parameters
    ----------
    name
        Key of :data:`BOUNDS` (the library's argument name).
    value
        A number, or an array (raster of the parameter: its finite cells are checked and
        it must have at least one).
    label
        Name shown in the message (a CLI flag such as ``"--friction"``); default ``name``.

    Returns
    -------
    object
        ``value`` unchanged.

    Raises
    ------
    ParameterError
        One line naming ``label``, the allowed range and the value given.
    """
    bound = BOUNDS[name]
    shown = label or name
    if np.ndim(value) == 0:
        try:
            v = float(value)
        except (TypeError, ValueError) as exc:
            raise ParameterError(f"{shown} must be {bound.text()}, got {value!r}") from exc
        if not bound.contains(v):
            raise ParameterError(f"{shown} must be {bound.text()}, got {fmt_num(v)}")
        return value
    arr = np.asarray(value, dtype=np.float64)
    finite = arr[np.isfinite(arr)]
    if finite.size == 0:
        raise ParameterError(f"{shown}: every cell is NaN; it must be {bound.text()}")
    for v in (float(finite.min()), float(finite.max())):
        if not bound.contains(v):
            raise ParameterError(f"{shown} must be {bound.text()}, got a cell of {fmt_num(v)}")
    return value


def read_failure(exc: BaseException) -> str:
    """Reason of a failed read of an opened raster, for a one-line message.

    GDAL reports a truncated or corrupt file as "Read failed. See previous exception ...";
    say what that means instead.
    """
    text = " ".join(str(exc).split())
    if not text or "See previous exception" in text or "failed" in text.lower():
        return f"the file is truncated or corrupt ({text or type(exc).__name__})"
    return text


def raster_label(da: Any) -> str:
    """``"name (file)"`` for messages about a raster read from a file, else its name."""
    src = getattr(da, "attrs", {}).get("source")
    name = getattr(da, "name", None)
    if src and name and Path(src).stem != str(name):
        return f"{name} ({src})"
    return str(src or name or "raster")


def require_data(da: Any, what: str | None = None) -> None:
    """Refuse a raster whose every cell is nodata.

    Parameters
    ----------
    da
        Raster (NumPy or Dask backed).
    what
        Name used in the message (default: :func:`raster_label`).

    Raises
    ------
    RasterError
    """
    values = da.data if hasattr(da, "data") else da
    has = np.isfinite(values).any()
    if hasattr(has, "compute"):
        has = has.compute()
    if not bool(has):
        label = what or raster_label(da)
        raise RasterError(f"{label}: every cell is nodata (no value to work with)")


#: Plausible value ranges of a slope layer in each unit: (hard min, hard max, soft p99 max).
#: Gradient (m/m) above 3 (72 degrees) over 1 % of a grid means the values are not gradients.
_SLOPE_RANGES = {
    "degrees": (0.0, 90.0, 90.0),
    "gradient": (0.0, 60.0, 3.0),
    "percent": (0.0, 6000.0, 300.0),
    "degrees*100": (0.0, 9000.0, 9000.0),
}


def check_slope_values(values: Any, units: str, where: str,
                       fix: str = "set slope_units to the file's units") -> None:
    """Refuse slope values that cannot be in the stated units.

    Parameters
    ----------
    values
        Slope values (NaN ignored).
    units
        ``"degrees"``, ``"gradient"``, ``"percent"`` or ``"degrees*100"``.
    where
        File or layer named in the message.
    fix
        What the user should do, ending the message (the CLI names its flag).

    Raises
    ------
    RasterError
        When every value is NaN, when values fall outside the unit's physical range (a
        negative slope, over 90 degrees) or when the 99th percentile is implausible for
        the unit (degrees read as gradient).
    """
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        raise RasterError(f"{where}: every slope cell is nodata (no value to work with)")
    lo, hi, soft = _SLOPE_RANGES.get(units, (-np.inf, np.inf, np.inf))
    vmin, vmax = float(v.min()), float(v.max())
    p99 = float(np.quantile(v, 0.99))
    tol = 1e-6 * max(1.0, hi if np.isfinite(hi) else 1.0)
    if vmin < lo - tol or vmax > hi + tol or p99 > soft:
        guess = _guess_units(p99, vmax)
        hint = f"; they look like {guess}" if guess and guess != units else ""
        raise RasterError(
            f"{where}: slope values {fmt_num(vmin)}..{fmt_num(vmax)} (99th percentile "
            f"{fmt_num(p99)}) are not plausible in {units} (expected {fmt_num(lo)}.."
            f"{fmt_num(soft)}){hint}; {fix}")


def _guess_units(p99: float, vmax: float) -> str | None:
    if vmax <= 3.0:
        return "gradient"
    if vmax <= 90.0:
        return "degrees"
    if vmax <= 9000.0:
        return "degrees*100 or percent"
    return None


@contextlib.contextmanager
def remove_new_dirs(*folders: Any) -> Iterator[None]:
    """Remove, on failure, the given folders (and parents) that did not exist before.

    Only empty folders are removed, deepest first, so a failed run leaves no empty output
    folder behind and never deletes anything it did not create.
    """
    new: list[Path] = []
    for f in folders:
        for p in [Path(f), *Path(f).parents]:
            if p.exists():
                break
            new.append(p)
    try:
        yield
    except BaseException:
        for p in sorted(set(new), key=lambda q: len(q.parts), reverse=True):
            with contextlib.suppress(OSError):
                p.rmdir()
        raise
