"""KernelRecast: RECAST in time, an attention kernel-mixture head in space.

Times and magnitudes come from temporal :class:`~geohazard.forecast.recast.estimator.Recast`
(trained on the catalog's train split, early stopping on val). Epicentres come from a
:class:`~geohazard.forecast.recast.kernel_head.KernelHead`: the density of the next epicentre
given its time and the history, a mixture of kernels on past epicentres whose weights and
scales are learned functions of each source's age and magnitude, plus background kernel
densities of past seismicity. The head is fitted on the same train split (validation split
for early stopping), on epicentres projected with the project's local azimuthal equidistant
projection (:mod:`geohazard.catalog.geo`). Simulated continuations are located event by
event, each drawn epicentre joining the history of the later ones, and come back with
``longitude`` / ``latitude`` (degrees) and ``x`` / ``y`` (km) features for pyCSEP's tests.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from geohazard.catalog.core import Catalog, EventSequence
from geohazard.catalog.geo import LocalProjection, catalog_projection
from geohazard.exceptions import InputError, NotFittedError
from geohazard.forecast.base import Continuations, ScoreResult
from geohazard.forecast.protocols import Estimator
from geohazard.forecast.recast import _kernel_nb as nb
from geohazard.forecast.recast.kernel_head import KernelHead, KernelHeadConfig, fit_kernel_head
from geohazard.rng import RNGLike, as_generator

if TYPE_CHECKING:
    from geohazard.forecast.recast.estimator import Recast
    from geohazard.forecast.recast.train import TrainConfig


def locate(head: KernelHead, history: tuple[np.ndarray, ...], cont: Continuations,
           rng: RNGLike = None) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) km of every event of ``cont``, drawn from ``head`` after ``history``.

    ``history`` = (t days, m, x km, y km) of the observed events, sorted by time.
    """
    ht, hm, hx, hy = (np.ascontiguousarray(a, np.float64) for a in history)
    if ht.size == 0:
        raise InputError("KernelRecast: locating events needs at least one past epicentre")
    cfg = head.config
    seed = int(as_generator(rng).integers(0, 2**31 - 1))
    return nb.locate(ht, hm, hx, hy, np.ascontiguousarray(cont.times, np.float64),
                     np.ascontiguousarray(cont.magnitudes, np.float64),
                     np.ascontiguousarray(cont.offsets, np.int64), head.score, head.log_d,
                     cfg.grid, head.rho, np.ascontiguousarray(head.shape), head.beta,
                     head.box, np.asarray(cfg.kde_scales, float), head.mc, cfg.n_recent,
                     cfg.n_big, head.mc + cfg.big_above, cfg.max_age_days, seed)


class KernelRecast(Estimator):
    """Located forecasts: temporal RECAST plus a learned kernel-mixture location head.

    Parameters
    ----------
    config
        RECAST's training settings (``features`` must be empty: time and magnitude only).
    head_config
        The location head's settings (its ``seed`` follows ``config.seed`` when None).
    projection
        Fixed projection; None centres one on the training catalog.
    work_dir
        Folder for RECAST's Lightning checkpoints (a temporary one when None).
    """

    def __init__(self, config: TrainConfig | None = None,
                 head_config: KernelHeadConfig | None = None,
                 projection: LocalProjection | None = None, work_dir: Path | None = None
                 ) -> None:
        self.config = config
        self.head_config = head_config
        self.projection = projection
        self.work_dir = work_dir

    def fit(self, catalog: Catalog, fit_end: Any = None, *, progress: bool = False
            ) -> KernelRecast:
        """Train RECAST and the head on the train split, early stopping on val."""
        from geohazard.forecast.recast.estimator import Recast
        from geohazard.forecast.recast.train import TrainConfig

        cfg = dataclasses.replace(self.config or TrainConfig(), features=())
        self.recast_ = Recast(cfg, self.work_dir).fit(catalog, fit_end, progress=progress)
        proj = self.projection or catalog_projection(catalog)
        md = catalog.metadata
        days = catalog.days()
        x, y = proj.to_km(catalog["longitude"], catalog["latitude"])
        lo, mid, hi = (catalog.day_of(d) for d in (md.train_start, md.val_start,
                                                   md.test_start))
        idx = np.arange(days.size)
        train = idx[(days >= lo) & (days < mid) & (idx > 0)]
        val = idx[(days >= mid) & (days < hi)]
        hc = self.head_config or KernelHeadConfig(seed=cfg.seed)
        mc = md.mag_completeness if md.mag_completeness is not None else float(
            catalog.magnitudes.min())
        self.head_ = fit_kernel_head(days, catalog.magnitudes, x, y, train, val, float(mc), hc)
        self.projection_ = proj
        return self

    def _check(self) -> tuple[Recast, KernelHead, LocalProjection]:
        if getattr(self, "head_", None) is None:
            raise NotFittedError("this KernelRecast model is not fitted; call fit() first")
        return self.recast_, self.head_, self.projection_

    def _km(self, sequence: EventSequence) -> tuple[np.ndarray, np.ndarray]:
        _, _, proj = self._check()
        missing = [f for f in ("longitude", "latitude") if f not in sequence.features]
        if missing:
            raise InputError(f"KernelRecast: the history lacks features {missing}; build it "
                             "with catalog.to_sequence(features=('longitude', 'latitude'))")
        return proj.to_km(sequence.features["longitude"], sequence.features["latitude"])

    @staticmethod
    def _temporal(sequence: EventSequence) -> EventSequence:
        return dataclasses.replace(sequence, features={})

    def log_likelihood(self, sequence: EventSequence, *, include_magnitude: bool = False
                       ) -> ScoreResult:
        """RECAST's temporal score; ``extra["spatial_log_density"]`` sums the head's."""
        recast, _, _ = self._check()
        res = recast.log_likelihood(self._temporal(sequence),
                                    include_magnitude=include_magnitude)
        spatial = float(np.sum(self.spatial_log_density(sequence)))
        return dataclasses.replace(res, extra={**res.extra, "spatial_log_density": spatial})

    def intensity(self, history: EventSequence, t: np.ndarray) -> np.ndarray:
        """Temporal conditional intensity (events/day) at times ``t``."""
        recast, _, _ = self._check()
        return recast.intensity(self._temporal(history), t)

    def spatial_log_density(self, sequence: EventSequence) -> np.ndarray:
        """(n_scored,) log density (per km^2) of each scored epicentre given its past."""
        _, head, _ = self._check()
        x, y = self._km(sequence)
        targets = np.nonzero(sequence.times > sequence.t_nll_start)[0]
        if targets.size and targets[0] == 0:
            raise InputError("KernelRecast: the first event of the sequence is scored but has "
                             "no past epicentre to condition on; score from a later start")
        return head.log_density(sequence.times, sequence.magnitudes, x, y, targets)

    def sample(self, history: EventSequence, duration_days: float, n_samples: int,
               rng: RNGLike = None) -> Continuations:
        """Continuations whose events carry ``longitude``, ``latitude``, ``x``, ``y``."""
        recast, head, proj = self._check()
        gen = as_generator(rng)
        cont = recast.sample(self._temporal(history), duration_days, n_samples, gen)
        x, y = locate(head, (history.times, history.magnitudes, *self._km(history)), cont,
                      gen)
        lon, lat = proj.to_lonlat(x, y)
        return cont.with_features({"x": x, "y": y, "longitude": lon, "latitude": lat})

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> Path:
        """RECAST's checkpoint at ``path``; the head and projection in ``path.head.npz``."""
        from geohazard.io_utils import atomic_path

        recast, head, proj = self._check()
        out = recast.save(path)
        with atomic_path(_head_path(path), suffix=".npz") as tmp:
            with open(tmp, "wb") as fh:
                np.savez(fh, **head.to_arrays(), lon0=np.array(proj.lon0),
                         lat0=np.array(proj.lat0))
        return out

    @classmethod
    def load(cls, path: str | Path) -> KernelRecast:
        """Read a model written by :meth:`save` (nothing is unpickled)."""
        from geohazard.forecast.recast.estimator import Recast

        side = _head_path(path)
        if not side.exists():
            raise InputError(f"{side}: location head of the KernelRecast checkpoint not found")
        try:
            with np.load(side, allow_pickle=False) as arrays:
                head = KernelHead.from_arrays(arrays, str(side))
                proj = LocalProjection(float(arrays["lon0"]), float(arrays["lat0"]))
        except (OSError, ValueError, KeyError) as exc:
            raise InputError(f"{side}: not a readable kernel head file ({type(exc).__name__})"
                             ) from None
        recast = Recast.load(path)
        if recast.config.features:
            raise InputError(f"{path}: not a KernelRecast checkpoint (RECAST features "
                             f"{recast.config.features}; KernelRecast's RECAST has none)")
        out = cls(recast.config, head.config, projection=proj)
        out.recast_, out.head_, out.projection_ = recast, head, proj
        return out


def _head_path(path: str | Path) -> Path:
    return Path(str(path) + ".head.npz")
