"""Temporal ETAS: exact O(N K) likelihood, maximum-likelihood fit, branching simulation.

Typical use (times in days since the catalog start, scored the RECAST paper's way)::

    from geohazard.catalog.io import read_catalog
    from geohazard.forecast.etas import ETAS

    cat = read_catalog("SCEDC.csv").above_completeness()
    model = ETAS(taper_days=1000.0).fit(cat.to_sequence("train"))   # or constrained=True
    model.params_, model.se_, model.branching_ratio_, model.fit_report_
    model.log_likelihood(cat.to_sequence("test")).nll_per_day
    sims = model.sample(cat.to_sequence("val"), 14.0, 10_000, rng=0)  # after the test start

Variants: unconstrained (``p`` free; ``p <= 1`` gives an infinite branching ratio and
simulation refuses it unless ``allow_explosive``), ``constrained=True`` (``p >= p_min`` and
branching ratio ``<= n_max``), ``taper_days=tau`` (fixed exponential taper, finite
branching ratio for any ``p``).
"""

from geohazard.forecast.etas.model import ETAS, FitReport
from geohazard.forecast.etas.params import ETASParams, MagnitudeLaw, b_value_mle
from geohazard.forecast.etas.simulate import (
    expected_count,
    simulate_catalog,
    simulate_continuations,
)

__all__ = [
    "ETAS",
    "ETASParams",
    "FitReport",
    "MagnitudeLaw",
    "b_value_mle",
    "expected_count",
    "simulate_catalog",
    "simulate_continuations",
]
