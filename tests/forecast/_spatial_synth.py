"""Synthetic located forecasts and a stand-in spatial model shared by the spatial tests."""

from __future__ import annotations

import numpy as np

from geohazard.catalog.core import EventSequence
from geohazard.forecast.base import Continuations
from geohazard.forecast.forecasting import Forecast
from geohazard.rng import RNGLike, as_generator

BOX = (-117.0, -116.0, 33.0, 34.0)


def clustered_law(rng: np.random.Generator, n: int, west: float = 0.5
                  ) -> tuple[np.ndarray, np.ndarray]:
    """A clustered spatial law on the box: two Gaussian blobs plus a uniform background.

    ``west`` is the weight of the western blob (the eastern one gets ``0.8 - west``).
    """
    u = rng.uniform(size=n)
    lon = rng.uniform(BOX[0], BOX[1], n)
    lat = rng.uniform(BOX[2], BOX[3], n)
    w = u < west
    e = (u >= west) & (u < 0.8)
    lon[w], lat[w] = rng.normal(-116.8, 0.05, w.sum()), rng.normal(33.3, 0.05, w.sum())
    lon[e], lat[e] = rng.normal(-116.25, 0.05, e.sum()), rng.normal(33.7, 0.08, e.sum())
    return np.clip(lon, BOX[0], BOX[1] - 1e-6), np.clip(lat, BOX[2], BOX[3] - 1e-6)


def located_forecast(rng: np.random.Generator, n_samples: int, mean: float,
                     law=clustered_law, days: float = 14.0, **kw) -> Forecast:  # noqa: ANN001
    """Poisson-count continuations whose locations are drawn from ``law``."""
    counts = rng.poisson(mean, n_samples)
    total = int(counts.sum())
    lon, lat = law(rng, total, **kw)
    offsets = np.concatenate(([0], np.cumsum(counts)))
    times = np.concatenate([np.sort(rng.uniform(0, days, c)) for c in counts])
    mags = 1.0 + rng.exponential(1 / np.log(10), total)
    cont = Continuations(times, mags, offsets, 0.0, days,
                         {"longitude": lon, "latitude": lat})
    return Forecast("synthetic", cont)


def observation(rng: np.random.Generator, n: int, law=clustered_law, days: float = 14.0,
                **kw) -> tuple[np.ndarray, ...]:  # noqa: ANN001
    """Times, magnitudes, longitudes and latitudes of ``n`` observed events."""
    lon, lat = law(rng, n, **kw)
    return (np.sort(rng.uniform(0, days, n)), 1.0 + rng.exponential(1 / np.log(10), n),
            lon, lat)


class LocatedPoissonStandIn:
    """Stand-in spatial model: Poisson in time, GR magnitudes, locations resampled from
    the history's epicentres (a smoothed-seismicity forecast with zero bandwidth)."""

    def fit(self, history: EventSequence) -> LocatedPoissonStandIn:
        """Rate, b-value and the epicentres of the history."""
        self.rate_ = len(history) / (history.t_end - history.t_start)
        self.mc_ = history.mag_completeness or float(history.magnitudes.min())
        self.beta_ = 1.0 / max(float(history.magnitudes.mean()) - self.mc_, 1e-3)
        self.lon_ = np.asarray(history.features["longitude"])
        self.lat_ = np.asarray(history.features["latitude"])
        return self

    def sample(self, history: EventSequence, duration_days: float, n_samples: int,
               rng: RNGLike = None) -> Continuations:
        """Independent continuations with resampled epicentres."""
        gen = as_generator(rng)
        counts = gen.poisson(self.rate_ * duration_days, n_samples)
        total = int(counts.sum())
        t0 = history.t_end
        times = np.concatenate([np.sort(gen.uniform(t0, t0 + duration_days, c))
                                for c in counts]) if total else np.empty(0)
        pick = gen.integers(0, self.lon_.size, total)
        return Continuations(times, self.mc_ + gen.exponential(1 / self.beta_, total),
                             np.concatenate(([0], np.cumsum(counts))), t0, t0 + duration_days,
                             {"longitude": self.lon_[pick], "latitude": self.lat_[pick]})
