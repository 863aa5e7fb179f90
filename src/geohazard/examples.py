"""Synthetic factories shared by docs, tests and the demo (no download needed).

The synthetic truths live here, once: :data:`ETAS_CATALOG_TRUTH` (the demo's default
catalog), :data:`ETAS_RECOVERY_TRUTH` (the demo's simulate-and-fit check), the Weibull
renewal process of the RECAST demo (:data:`RENEWAL_SHAPE`, :data:`RENEWAL_SCALE_DAYS`) and
the Gutenberg-Richter law they share (:data:`DEMO_LAW_B`, :data:`DEMO_LAW_MC`,
:data:`DEMO_LAW_M_MAX`). The DAS and landslide truths are the presets of
:mod:`geohazard.das.synthetic` and :mod:`geohazard.landslide.synthetic`.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd

from geohazard.catalog.core import Catalog, CatalogMetadata, to_utc
from geohazard.rng import RNGLike, as_generator

#: ETAS parameters of :func:`etas_catalog` (branching ratio about 0.49 with the law below)
ETAS_CATALOG_TRUTH = {"mu": 0.5, "k": 0.008, "alpha": 0.8, "c": 0.01, "p": 1.15}
#: ETAS parameters the demo simulates 5000 days of and recovers by maximum likelihood
ETAS_RECOVERY_TRUTH = {"mu": 0.2, "k": 0.008, "alpha": 0.8, "c": 0.01, "p": 1.15}
ETAS_RECOVERY_DAYS = 5000.0
#: Gutenberg-Richter law of the synthetic catalogs: b, Mc and maximum magnitude
DEMO_LAW_B, DEMO_LAW_MC, DEMO_LAW_M_MAX = 1.0, 2.0, 7.5
#: Weibull renewal process of :func:`renewal_catalog` (shape, scale in days)
RENEWAL_SHAPE, RENEWAL_SCALE_DAYS = 0.6, 0.5
#: Split dates of every synthetic catalog: train, val and test starts as fractions of its
#: span (the RECAST paper's layout; the demo's catalog and its stored summary use them)
SPLIT_FRACTIONS = (0.1, 0.6, 0.8)


def split_dates(start: Any, span_days: float) -> dict[str, pd.Timestamp]:
    """``train_start``, ``val_start``, ``test_start`` at :data:`SPLIT_FRACTIONS` of a span.

    Parameters
    ----------
    start
        UTC start of the span.
    span_days
        Its length in days.
    """
    origin = to_utc(start, "start")
    return {key: origin + pd.Timedelta(days=frac * span_days) for key, frac in
            zip(("train_start", "val_start", "test_start"), SPLIT_FRACTIONS, strict=True)}


def days_catalog(days: np.ndarray, magnitudes: np.ndarray, origin: Any, span_days: float, *,
                 resolution: Literal["ns", "ms"] = "ms", **metadata: Any) -> Catalog:
    """The one days-to-Catalog construction of the synthetic catalogs, with split dates.

    Parameters
    ----------
    days, magnitudes
        (N,) event times in days since ``origin`` and magnitudes.
    origin
        UTC time of day 0 (the metadata ``start``).
    span_days
        Length of the catalog (``end`` is ``origin + span_days``); the split dates sit at
        :data:`SPLIT_FRACTIONS` of it.
    resolution
        Times rounded to the millisecond (as real catalogs keep them) or nanosecond.
    **metadata
        Further metadata (``name``, ``source``, ``mag_completeness``, ``extra`` ...).
    """
    start = to_utc(origin, "origin")
    md = CatalogMetadata(start=start, end=start + pd.Timedelta(days=span_days),
                         **split_dates(start, span_days), **{"mag_roundoff": 0.01, **metadata})
    return Catalog.from_days(days, magnitudes, start, metadata=md, resolution=resolution)


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
        UTC start date; split dates at :data:`SPLIT_FRACTIONS` (10%, 60%, 80%) of the span.
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
    return days_catalog(t, m, start, span, name="synthetic",
                        source="geohazard.examples.synthetic_catalog", mag_completeness=mc)


def etas_catalog(
    days: float = 3650.0,
    rng: RNGLike = 0,
    start: str = "2000-01-01",
) -> Catalog:
    """A temporal ETAS simulation with RECAST-style split dates (the demo's default catalog).

    Parameters ``mu = 0.5 /day, k = 0.008, alpha = 0.8, c = 0.01 d, p = 1.15``, b = 1,
    Mc = 2.0, maximum magnitude 7.5 (branching ratio about 0.49); split dates at
    :data:`SPLIT_FRACTIONS` of the span. The true parameters are kept in
    ``metadata.extra["truth"]``.

    Parameters
    ----------
    days
        Length of the catalog.
    rng
        Seed or generator.
    start
        UTC date of day 0.
    """
    from geohazard.forecast.etas.params import ETASParams, MagnitudeLaw
    from geohazard.forecast.etas.simulate import simulate_catalog

    truth = ETASParams(**ETAS_CATALOG_TRUTH)
    law = MagnitudeLaw(b=DEMO_LAW_B, mc=DEMO_LAW_MC, m_max=DEMO_LAW_M_MAX)
    seq = simulate_catalog(truth, law, days, as_generator(rng))
    mags = np.maximum(np.round(seq.magnitudes, 2), law.mc + 0.01)
    return days_catalog(seq.times, mags, start, days, name="etas-synthetic",
                        source="geohazard.examples.etas_catalog", mag_completeness=law.mc,
                        extra={"truth": truth.to_dict(), "b": law.b, "m_max": law.m_max})


def renewal_catalog(n_events: int = 4000, rng: RNGLike = 0) -> Catalog:
    """Weibull renewal process (shape 0.6, scale 0.5 d), GR magnitudes (b = 1, Mc = 2).

    Its exact log-likelihood is :func:`geohazard.testing.renewal_log_likelihood`. Split
    dates at :data:`SPLIT_FRACTIONS` of the span (train, val, test starts); times to the
    nanosecond (short Weibull gaps would tie at the millisecond).

    Parameters
    ----------
    n_events
        Number of events.
    rng
        Seed or generator.
    """
    gen = as_generator(rng)
    t = np.cumsum(RENEWAL_SCALE_DAYS * gen.weibull(RENEWAL_SHAPE, size=n_events))
    mags = np.round(2.005 + gen.exponential(1 / np.log(10), size=n_events), 2)
    return days_catalog(t, mags, "2000-01-01", float(t[-1]) + 1e-3, resolution="ns",
                        name="synthetic-renewal", source="geohazard synthetic",
                        mag_completeness=2.0)
