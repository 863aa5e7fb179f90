"""Small synthetic sequences and catalogs for the RECAST tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geohazard.catalog.core import Catalog, CatalogMetadata, EventSequence

SHAPE, SCALE_DAYS = 0.6, 0.5  # Weibull renewal process: S(x) = exp(-(x / SCALE) ** SHAPE)


def renewal_times(n: int, rng: np.random.Generator) -> np.ndarray:
    """Event times (days) of a Weibull renewal process."""
    return np.cumsum(SCALE_DAYS * rng.weibull(SHAPE, size=n))


def gr_mags(n: int, rng: np.random.Generator, b: float = 1.0, mc: float = 2.0) -> np.ndarray:
    """Gutenberg-Richter magnitudes above ``mc``, rounded to 0.01 (strictly above Mc)."""
    m = mc + 0.005 + rng.exponential(1 / (b * np.log(10)), size=n)
    return np.round(m, 2)


def renewal_catalog(n: int, seed: int = 0, with_depth: bool = False) -> Catalog:
    """A catalog of a Weibull renewal process with paper-style split dates."""
    rng = np.random.default_rng(seed)
    t = renewal_times(n, rng)
    origin = pd.Timestamp("2000-01-01", tz="UTC")
    data = {"time": origin + pd.to_timedelta(t, unit="D"), "magnitude": gr_mags(n, rng)}
    if with_depth:
        data["depth"] = rng.normal(8.0, 3.0, n)
    end = t[-1] + 1e-3
    md = CatalogMetadata(
        name="renewal", mag_completeness=2.0, mag_roundoff=0.01, start=origin,
        end=origin + pd.to_timedelta(end, unit="D"),
        train_start=origin + pd.to_timedelta(0.05 * end, unit="D"),
        val_start=origin + pd.to_timedelta(0.6 * end, unit="D"),
        test_start=origin + pd.to_timedelta(0.8 * end, unit="D"),
    )
    return Catalog(pd.DataFrame(data), md)


def small_sequence(n: int = 60, seed: int = 0, features: bool = False) -> EventSequence:
    """A short sequence with a scored interval starting between two events."""
    rng = np.random.default_rng(seed)
    t = renewal_times(n, rng)
    feats = {"depth": rng.normal(8.0, 3.0, n)} if features else {}
    t_end = float(t[-1] + 0.3)
    return EventSequence(t, gr_mags(n, rng), 0.0, t_end, float(t[n // 3] + 1e-3),
                         mag_completeness=2.0, features=feats)
