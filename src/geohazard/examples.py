"""Synthetic factories shared by docs, tests and the demo (no download needed)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geohazard.catalog.core import Catalog, CatalogMetadata
from geohazard.rng import RNGLike, as_generator


def synthetic_catalog(
    years: float = 10.0,
    background_per_day: float = 0.5,
    mc: float = 2.0,
    b: float = 1.0,
    rng: RNGLike = 0,
    start: str = "2010-01-01",
) -> Catalog:
    """A clustered synthetic catalog with Gutenberg-Richter magnitudes and RECAST-style splits.

    Background events are Poisson; each event triggers a Poisson number of direct
    aftershocks (productivity ``0.02 * 10**(0.8 (m - mc))``) at Omori-Utsu delays
    (``c = 0.01`` d, ``p = 1.2``), one generation deep. Magnitudes are exponential above
    ``mc`` with the given ``b`` and rounded to 0.01.

    Parameters
    ----------
    years
        Length of the catalog.
    background_per_day
        Background rate.
    mc, b
        Completeness and Gutenberg-Richter b.
    rng
        Seed or generator.
    start
        UTC start date; splits are placed at 10%, 60% and 80% of the span.
    """
    gen = as_generator(rng)
    span = years * 365.25
    n_bg = gen.poisson(background_per_day * span)
    t_bg = np.sort(gen.uniform(0.0, span, n_bg))
    beta = b * np.log(10.0)
    m_bg = mc + gen.exponential(1.0 / beta, n_bg)
    n_aft = gen.poisson(0.02 * 10 ** (0.8 * (m_bg - mc)))
    parent = np.repeat(np.arange(n_bg), n_aft)
    c, p = 0.01, 1.2
    u = gen.uniform(size=parent.size)
    delay = c * ((1.0 - u) ** (-1.0 / (p - 1.0)) - 1.0)
    t_af = t_bg[parent] + delay
    m_af = mc + gen.exponential(1.0 / beta, parent.size)
    t = np.concatenate([t_bg, t_af])
    m = np.concatenate([m_bg, m_af])
    keep = t < span
    order = np.argsort(t[keep], kind="stable")
    t, m = t[keep][order], np.round(m[keep][order], 2)
    m = np.where(m <= mc, mc + 0.01, m)  # events are strictly above Mc after rounding
    origin = pd.Timestamp(start, tz="UTC")
    times = origin + pd.to_timedelta(np.round(t * 86_400_000).astype(np.int64), unit="ms")
    md = CatalogMetadata(
        name="synthetic", source="geohazard.examples.synthetic_catalog", mag_completeness=mc,
        mag_roundoff=0.01, start=origin, end=origin + pd.Timedelta(days=span),
        train_start=origin + pd.Timedelta(days=0.1 * span),
        val_start=origin + pd.Timedelta(days=0.6 * span),
        test_start=origin + pd.Timedelta(days=0.8 * span),
    )
    return Catalog(pd.DataFrame({"time": times, "magnitude": m}), md)
