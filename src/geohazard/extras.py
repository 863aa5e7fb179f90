"""Optional extras: which modules each needs, and one line when one is missing.

``pip install geohazard`` (the core) reads, summarises and writes catalogs and fits ETAS;
the extras add the rest (``forecast``: RECAST, pyCSEP tests, the archive; ``das``;
``landslide``). Where an extra is missing, commands print one line naming it, e.g.
``this needs geohazard[forecast]: pip install 'geohazard[forecast]'``, never a traceback.
"""

from __future__ import annotations

import importlib

from geohazard.exceptions import GeohazardError

__all__ = ["EXTRAS", "MissingExtraError", "extra_for_module", "missing_extra_message",
           "missing_modules", "require"]

#: Extra name -> the top-level modules it installs that geohazard imports.
EXTRAS: dict[str, tuple[str, ...]] = {
    "forecast": ("torch", "pytorch_lightning", "csep", "sqlalchemy", "pyproj"),
    "das": ("dascore", "xarray", "dask", "h5py"),
    "landslide": ("rasterio", "rioxarray", "geopandas", "shapely", "sklearn", "pygmm",
                  "xarray", "dask"),
}
#: Modules of an extra that another extra also has: the first extra named is suggested.
_OTHER_MODULES = {"lightning": "forecast", "lightning_fabric": "forecast",
                  "distributed": "das", "mkdocs": "docs"}


class MissingExtraError(ImportError, GeohazardError):
    """An optional extra is not installed (the message says how to install it)."""


def extra_for_module(module: str) -> str | None:
    """The extra that installs ``module`` (a dotted name; its top level decides), or None."""
    top = module.split(".")[0]
    for extra, modules in EXTRAS.items():
        if top in modules:
            return extra
    return _OTHER_MODULES.get(top)


def _message(extra: str, module: str | None = None) -> str:
    what = f" (missing: {module})" if module else ""
    return f"this needs geohazard[{extra}]: pip install 'geohazard[{extra}]'{what}"


def missing_extra_message(exc: BaseException) -> str | None:
    """One line for an ImportError of an extra's module, or None when it is something else."""
    if isinstance(exc, MissingExtraError):
        return str(exc)
    if not isinstance(exc, ImportError) or not exc.name:
        return None
    extra = extra_for_module(exc.name)
    return None if extra is None else _message(extra, exc.name.split(".")[0])


def missing_modules(extra: str) -> list[str]:
    """The modules of ``extra`` that cannot be imported here (empty when it is installed)."""
    if extra not in EXTRAS:
        raise ValueError(f"unknown extra {extra!r}; one of {', '.join(EXTRAS)}")
    missing = []
    for module in EXTRAS[extra]:
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(module)
    return missing


def require(extra: str) -> None:
    """Raise :class:`MissingExtraError` (one line) unless ``extra`` is installed."""
    missing = missing_modules(extra)
    if missing:
        raise MissingExtraError(_message(extra, ", ".join(missing)))
