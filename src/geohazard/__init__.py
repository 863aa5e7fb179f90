"""geohazard: earthquake forecasting, DAS storm noise and earthquake-induced landslides.

Subpackages
-----------
catalog
    Immutable earthquake catalogs, readers/writers, magnitude statistics.
forecast
    Temporal ETAS and the RECAST neural point process, forecasts and evaluation.
das
    Distributed acoustic sensing storm-noise analysis (Shen & Zhu 2023).
landslide
    Earthquake-induced landslide factors, susceptibility and hazard (Zhao et al. 2023).
"""

from geohazard.exceptions import GeohazardError

__all__ = ["GeohazardError", "__version__"]


def __getattr__(name: str) -> str:  # noqa: N807 - the module-level hook's name
    """``__version__``, read from the installed metadata on first use.

    Importing ``importlib.metadata`` costs tens of milliseconds, which every command paid
    at start-up (issue 17: a forecast's whole run is timed against its sampling).
    """
    if name != "__version__":
        raise AttributeError(f"module 'geohazard' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:  # the version lives in pyproject.toml only; this reads the installed metadata
        value = version("geohazard")
    except PackageNotFoundError:  # imported from a source tree that was never installed
        value = "0+unknown"
    globals()["__version__"] = value
    return value


def __dir__() -> list[str]:  # noqa: N807
    return sorted(set(globals()) | set(__all__))
