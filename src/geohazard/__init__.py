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

from importlib.metadata import PackageNotFoundError, version

from geohazard.exceptions import GeohazardError

try:  # the version lives in pyproject.toml only; this reads the installed metadata
    __version__ = version("geohazard")
except PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = ["GeohazardError", "__version__"]
