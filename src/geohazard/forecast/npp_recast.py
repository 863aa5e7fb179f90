"""The project's :class:`SpatialRecast` under the EarthquakeNPP protocol.

RECAST is trained the project's way on train (2009-2014 for SanJac_10, the auxiliary year as
warm-up history) with early stopping on val (2014-2016), then scores every test event with
one exact pass over the full history since ``auxiliary_start``:

- ``TLL_i`` = RECAST's time term of the gap ending at event ``i`` (log density of the gap,
  per day; the first test gap is conditioned on exceeding its part before ``test_start``),
  and the survival of the last gap is the tail;
- ``SLL_i`` = the location decoder's log density of the epicentre (x, y km of the project's
  azimuthal equidistant projection) minus ``log(sd_x sd_y)`` of its normalisation: per km2.
  The decoder is a mixture of 128 diagonal normals on the plane, reading the history's
  context (not ``t_i``).
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np

from geohazard.exceptions import NotFittedError
from geohazard.forecast.npp import NPPData

log = logging.getLogger(__name__)


def npp_catalog(data: NPPData) -> Any:
    """The protocol's events as a project :class:`Catalog` with its split dates."""
    from geohazard.catalog.core import Catalog, CatalogMetadata

    cfg = data.config
    # the catalog keeps events strictly above mag_completeness; the protocol's ">=" rule
    mc = cfg.mc - 1e-6 if cfg.mc_rule == ">=" else cfg.mc
    md = CatalogMetadata(name=cfg.name, source=data.source, mag_completeness=mc,
                         mag_roundoff=cfg.delta_m, start=cfg.auxiliary_start,
                         end=cfg.test_end, train_start=cfg.train_start,
                         val_start=cfg.val_start, test_start=cfg.test_start)
    return Catalog.from_days(data.t, data.m, cfg.auxiliary_start, metadata=md,
                             latitude=data.lat, longitude=data.lon)


class RecastNPP:
    """Adapter: fit a :class:`SpatialRecast` and give per-event TLL and SLL terms.

    Parameters
    ----------
    seed
        Training seed.
    max_time_s
        Training time cap in seconds (the located benchmark's 6 minutes by default).
    """

    name = "recast"

    def __init__(self, seed: int = 0, max_time_s: float = 360.0) -> None:
        self.seed = seed
        self.max_time_s = max_time_s

    def fit(self, data: NPPData) -> RecastNPP:
        """Train on the protocol's train window, early stopping on val."""
        from geohazard.forecast.recast.spatial import SpatialRecast
        from geohazard.forecast.recast.train import TrainConfig

        cfg = TrainConfig(seed=self.seed, max_epochs=300, patience=20,
                          max_time_s=self.max_time_s, feature_components=128)
        self.catalog_ = npp_catalog(data)
        self.model_ = SpatialRecast(cfg, location_components=None).fit(self.catalog_)
        self.info_ = {"seed": self.seed, "max_time_s": self.max_time_s}
        return self

    def _terms(self, data: NPPData) -> tuple[np.ndarray, np.ndarray, float]:
        if not hasattr(self, "model_"):
            raise NotFittedError("RecastNPP is not fitted; call fit() first")
        if getattr(self, "_key", None) != id(data):
            seq = self.model_.to_km(_test_sequence(data, ("longitude", "latitude")))
            std = self.model_.recast_._check_fitted()[1].feature_std
            self._cache = recast_terms(self.model_.recast_, seq, math.log(float(np.prod(std[:2]))))
            self._key = id(data)
        return self._cache

    def temporal_terms(self, data: NPPData) -> tuple[np.ndarray, np.ndarray, float]:
        """RECAST's per-event time terms (compensator folded in) and the survival tail."""
        tll, _, tail = self._terms(data)
        return tll, np.zeros_like(tll), tail

    def log_spatial_density(self, data: NPPData) -> np.ndarray:
        """Location decoder's log density per km2."""
        return self._terms(data)[1]


def _test_sequence(data: NPPData, features: tuple[str, ...] = ()) -> Any:
    cfg = data.config
    return npp_catalog(data).to_sequence(t_end=cfg.test_end, t_nll_start=cfg.test_start,
                                         features=features)


def recast_terms(recast: Any, seq: Any, log_sd: float = 0.0
                 ) -> tuple[np.ndarray, np.ndarray, float]:
    """RECAST's per-test-event time terms, feature terms (minus ``log_sd``) and the tail."""
    import torch

    from geohazard.forecast.recast.data import full_batch, gap_arrays
    from geohazard.forecast.recast.model import gap_terms

    net, norm = recast._check_fitted()
    net.eval()
    batch = full_batch(gap_arrays(seq, norm))
    with torch.no_grad():
        terms = gap_terms(net, batch, norm.time_scale, norm.b, norm.mag_min)
    ev = (batch.mask & batch.is_event)[0].numpy()
    surv = (batch.mask & ~batch.is_event)[0].numpy()
    tll = terms.time[0].numpy()[ev]
    feats = terms.features[0].numpy()[ev] - log_sd if seq.features else np.zeros_like(tll)
    return tll, feats, -float(terms.time[0].numpy()[surv].sum())


class KernelRecastNPP:
    """Temporal RECAST plus the attention kernel-mixture location head (per seed).

    RECAST (time only) trains the project's way on train, early stopping on val; the head
    (:mod:`geohazard.forecast.recast.kernel_head`) is fitted on the train targets' epicentres
    (the protocol's projected ``x``, ``y`` km), early stopping on the val targets, both with
    the history since ``auxiliary_start``. ``SLL_i`` is the head's log density per km2 of
    event ``i``'s epicentre given its time and all earlier events.
    """

    name = "recast-kernel"

    def __init__(self, seed: int = 0, max_time_s: float = 240.0, head_config: Any = None
                 ) -> None:
        self.seed = seed
        self.max_time_s = max_time_s
        self.head_config = head_config

    def fit(self, data: NPPData) -> KernelRecastNPP:
        """Train RECAST and fit the head."""
        from geohazard.forecast.recast.estimator import Recast
        from geohazard.forecast.recast.kernel_head import KernelHeadConfig, fit_kernel_head
        from geohazard.forecast.recast.train import TrainConfig

        cfg = TrainConfig(seed=self.seed, max_epochs=300, patience=20,
                          max_time_s=self.max_time_s)
        self.recast_ = Recast(cfg).fit(npp_catalog(data))
        idx = np.arange(data.t.size)
        train = idx[data.index("train_start"):data.index("val_start")]
        val = idx[data.index("val_start"):data.index("test_start")]
        hc = self.head_config or KernelHeadConfig(seed=self.seed)
        self.head_ = fit_kernel_head(data.t, data.m, data.x, data.y, train[train > 0], val,
                                     data.config.mc, hc)
        self.info_ = {"seed": self.seed, "max_time_s": self.max_time_s,
                      "head": {k: v for k, v in self.head_.fit_info.items() if k != "history"},
                      "head_rho": self.head_.rho}
        return self

    def temporal_terms(self, data: NPPData) -> tuple[np.ndarray, np.ndarray, float]:
        """RECAST's per-event time terms (compensator folded in) and the survival tail."""
        if not hasattr(self, "head_"):
            raise NotFittedError("KernelRecastNPP is not fitted; call fit() first")
        tll, _, tail = recast_terms(self.recast_, _test_sequence(data))
        return tll, np.zeros_like(tll), tail

    def log_spatial_density(self, data: NPPData) -> np.ndarray:
        """The head's log density per km2 of each test epicentre."""
        if not hasattr(self, "head_"):
            raise NotFittedError("KernelRecastNPP is not fitted; call fit() first")
        test = np.arange(data.t.size)[data.test_slice]
        return self.head_.log_density(data.t, data.m, data.x, data.y, test)


def test_days(data: NPPData) -> float:
    """Length of the test window in days."""
    return data.config.days("test_end") - data.config.days("test_start")
