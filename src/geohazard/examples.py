"""Synthetic factories shared by docs, tests and the demo (no download needed).

The synthetic truths live here, once: :data:`ETAS_CATALOG_TRUTH` (the demo's default
catalog), :data:`ETAS_RECOVERY_TRUTH` (the demo's simulate-and-fit check), the Weibull
renewal process of the RECAST demo (:data:`RENEWAL_SHAPE`, :data:`RENEWAL_SCALE_DAYS`) and
the Gutenberg-Richter law they share (:data:`DEMO_LAW_B`, :data:`DEMO_LAW_MC`,
:data:`DEMO_LAW_M_MAX`). The DAS and landslide truths are the presets of
:mod:`geohazard.das.synthetic` and :mod:`geohazard.landslide.synthetic`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geohazard.catalog.core import Catalog, CatalogMetadata
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


def etas_catalog(
    days: float = 3650.0,
    rng: RNGLike = 0,
    start: str = "2000-01-01",
) -> Catalog:
    """A temporal ETAS simulation with RECAST-style split dates (the demo's default catalog).

    Parameters ``mu = 0.5 /day, k = 0.008, alpha = 0.8, c = 0.01 d, p = 1.15``, b = 1,
    Mc = 2.0, maximum magnitude 7.5 (branching ratio about 0.49); splits at 10%, 60% and 80%
    of the span. The true parameters are kept in ``metadata.extra["truth"]``.

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
    origin = pd.Timestamp(start, tz="UTC")
    times = origin + pd.to_timedelta(np.round(seq.times * 86_400_000).astype(np.int64), unit="ms")
    mags = np.maximum(np.round(seq.magnitudes, 2), law.mc + 0.01)

    def at(frac: float) -> pd.Timestamp:
        return origin + pd.Timedelta(days=frac * days)

    md = CatalogMetadata(
        name="etas-synthetic", source="geohazard.examples.etas_catalog", mag_completeness=law.mc,
        mag_roundoff=0.01, start=origin, end=at(1.0), train_start=at(0.1), val_start=at(0.6),
        test_start=at(0.8), extra={"truth": truth.to_dict(), "b": law.b, "m_max": law.m_max},
    )
    return Catalog(pd.DataFrame({"time": times, "magnitude": mags}), md)


def renewal_catalog(n_events: int = 4000, rng: RNGLike = 0) -> Catalog:
    """Weibull renewal process (shape 0.6, scale 0.5 d), GR magnitudes (b = 1, Mc = 2).

    Its exact log-likelihood is :func:`geohazard.testing.renewal_log_likelihood`. Split
    dates at 5 %, 60 % and 80 % of the span (train, val, test starts).

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
    origin = pd.Timestamp("2000-01-01", tz="UTC")
    end = float(t[-1]) + 1e-3

    def at(frac: float) -> pd.Timestamp:
        return origin + pd.to_timedelta(frac * end, unit="D")

    md = CatalogMetadata(name="synthetic-renewal", source="geohazard synthetic",
                         mag_completeness=2.0, mag_roundoff=0.01, start=origin, end=at(1.0),
                         train_start=at(0.05), val_start=at(0.6), test_start=at(0.8))
    times = origin + pd.to_timedelta(t, unit="D")
    return Catalog(pd.DataFrame({"time": times, "magnitude": mags}), md)
