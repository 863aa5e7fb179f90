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

__version__ = "0.1.0"

__all__ = ["GeohazardError", "__version__"]
