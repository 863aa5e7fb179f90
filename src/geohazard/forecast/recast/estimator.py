"""The RECAST model behind the shared point-process interface.

:class:`Recast` follows the scikit-learn contract (settings in ``__init__``, ``fit``
returns ``self``, learned state in ``net_`` / ``normaliser_``) and implements
:class:`~geohazard.forecast.base.PointProcessModel`: ``log_likelihood`` (exact
full-sequence pass, scored the paper's way), ``sample`` and ``intensity``.
"""

from __future__ import annotations

import dataclasses
import math
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from geohazard.catalog.core import Catalog, EventSequence
from geohazard.exceptions import InputError, NotFittedError
from geohazard.forecast.base import Continuations, ScoreResult
from geohazard.forecast.protocols import Estimator
from geohazard.forecast.recast.data import Normaliser, full_batch, gap_arrays
from geohazard.forecast.recast.fileio import load_torch_file
from geohazard.forecast.recast.model import NetConfig, RecastNet, gap_terms
from geohazard.forecast.recast.sampling import (
    FeatureMode,
    HistoryStateCache,
    MagnitudeMode,
    SimulatedFeatures,
    simulate,
)
from geohazard.io_utils import atomic_path
from geohazard.rng import RNGLike

if TYPE_CHECKING:  # the training modules import Lightning: only fit() loads them
    from geohazard.forecast.recast.train import FitInfo, TrainConfig

FORMAT = "geohazard-recast-1"


class Recast(Estimator):
    """RECAST neural temporal point process (Dascher-Cousineau et al., GRL 2023).

    Parameters
    ----------
    config
        Training settings (:class:`TrainConfig`; the fast windowed scheme by default).
    work_dir
        Folder for Lightning checkpoints (a temporary one when None). A run killed
        mid-way resumes from ``work_dir/last.ckpt``.
    """

    def __init__(self, config: TrainConfig | None = None, work_dir: Path | None = None) -> None:
        # settings only (learned state is set by fit/load); None means the default settings
        self.config = config
        self.work_dir = work_dir

    @property
    def config(self) -> TrainConfig:
        """Training settings (:class:`TrainConfig`), built on first use.

        A loaded model keeps its checkpoint's settings as a plain mapping until they are
        asked for, so loading and sampling never import the training modules (Lightning).
        """
        cfg = self.__dict__.get("_config")
        if cfg is None or isinstance(cfg, dict):
            from geohazard.forecast.recast.train import TrainConfig

            cfg = TrainConfig() if cfg is None else _train_config(TrainConfig, cfg)
            self.__dict__["_config"] = cfg
        return cfg

    @config.setter
    def config(self, value: TrainConfig | dict[str, Any] | None) -> None:
        self.__dict__["_config"] = value

    def _resolved_defaults(self) -> dict[str, Any]:
        from geohazard.forecast.recast.train import TrainConfig

        return {"config": TrainConfig()}  # config=None is stored as the default settings

    @property
    def _state_cache(self) -> HistoryStateCache:
        """Encoder states of the last history sampled from (reused when it grows)."""
        cache = self.__dict__.get("_cache")
        if cache is None:
            cache = self.__dict__["_cache"] = HistoryStateCache()
        return cache

    @property
    def fit_report_(self) -> FitInfo:
        """The training report (epochs, wall time, best validation NLL): ``fit_info_``."""
        if getattr(self, "fit_info_", None) is None:
            raise NotFittedError("Recast has no fit report; call fit() first")
        return self.fit_info_

    # ------------------------------------------------------------------ fitting
    def fit(self, catalog: Catalog | EventSequence, fit_end: Any = None, *,
            progress: bool = False, resume: bool = True) -> Recast:
        """Train on the catalog's train split with early stopping on its val split.

        Parameters
        ----------
        catalog
            A catalog with train/val/test split dates (an :class:`EventSequence` is refused:
            use :meth:`fit_sequences` with a train and a validation sequence).
        fit_end
            The forecast start the model serves: refused when the splits used for training
            run past it (that would use future events).
        progress, resume
            Show a progress bar; resume from ``work_dir/last.ckpt``.
        """
        if isinstance(catalog, EventSequence):
            raise InputError("Recast.fit: RECAST trains on a catalog's train and validation "
                             "splits; give the Catalog, or call fit_sequences(train, val)")
        if fit_end is not None:
            from geohazard.forecast.models import check_no_lookahead

            check_no_lookahead(catalog, fit_end)
        from geohazard.forecast.recast.train import split_sequences

        seqs = split_sequences(catalog, self.config.features)
        return self.fit_sequences(seqs["train"], seqs["val"], catalog.metadata.mag_roundoff,
                                  progress=progress, resume=resume)

    def fit_sequences(self, train: EventSequence, val: EventSequence, mag_roundoff: float = 0.0,
                      *, progress: bool = False, resume: bool = True) -> Recast:
        """Train on explicit train / validation sequences."""
        from geohazard.forecast.recast.train import fit_module

        norm = Normaliser.fit(train, mag_roundoff, self.config.features)
        if self.work_dir is None:
            with tempfile.TemporaryDirectory(prefix="recast-") as tmp:
                module, info = fit_module(self.config, norm, train, val, Path(tmp),
                                          resume=False, progress=progress)
        else:
            module, info = fit_module(self.config, norm, train, val, Path(self.work_dir),
                                      resume=resume, progress=progress)
        self.net_, self.normaliser_, self.fit_info_ = module.net.eval(), norm, info
        self._state_cache.clear()
        return self

    def _check_fitted(self) -> tuple[RecastNet, Normaliser]:
        if getattr(self, "net_", None) is None or getattr(self, "normaliser_", None) is None:
            raise NotFittedError("this Recast model is not fitted; call fit() or load()")
        return self.net_, self.normaliser_

    # ------------------------------------------------------------------ scoring
    @torch.no_grad()
    def log_likelihood(self, sequence: EventSequence, *, include_magnitude: bool = False
                       ) -> ScoreResult:
        """Log-likelihood on ``(t_nll_start, t_end]`` given all history (exact pass).

        ``extra`` holds the time-only figure, both magnitude terms (fixed-b
        Gutenberg-Richter as in the paper, and the learned conditional law) and, with
        extra features, the feature term. ``include_magnitude`` adds the learned term.
        """
        net, norm = self._check_fitted()
        net.eval()
        terms = gap_terms(net, full_batch(gap_arrays(sequence, norm)), norm.time_scale,
                          norm.b, norm.mag_min)
        ll_time = float(terms.time.sum())
        ll_gr, ll_mag = float(terms.mag_gr.sum()), float(terms.mag_learned.sum())
        days = sequence.scored_days
        extra = {"ll_time": ll_time, "ll_magnitude_gr": ll_gr, "ll_magnitude_learned": ll_mag,
                 "nll_per_day_time": -ll_time / days if days > 0 else math.nan,
                 "nll_per_day_time_mag_gr": -(ll_time + ll_gr) / days if days > 0 else math.nan,
                 "nll_per_day_time_mag_learned": (-(ll_time + ll_mag) / days if days > 0
                                                  else math.nan)}
        if norm.feature_names:
            extra["ll_features_normalised"] = float(terms.features.sum())
        total = ll_time + (ll_mag if include_magnitude else 0.0)
        return ScoreResult(total, sequence.n_scored, days, include_magnitude, extra)

    @torch.no_grad()
    def feature_log_density(self, sequence: EventSequence) -> np.ndarray:
        """(n_scored,) log density of each scored event's features given its past.

        In the features' own units (per km2 for projected ``x``, ``y``): the decoder's
        density of the standardised features less ``sum(log feature_std)``.
        """
        net, norm = self._check_fitted()
        if not norm.feature_names:
            raise InputError("Recast.feature_log_density: the model was trained without "
                             "features")
        net.eval()
        batch = full_batch(gap_arrays(sequence, norm))
        terms = gap_terms(net, batch, norm.time_scale, norm.b, norm.mag_min)
        scored = (batch.mask & batch.is_event).cpu().numpy()
        values = terms.features.double().cpu().numpy()[scored]
        return values - float(np.sum(np.log(np.asarray(norm.feature_std))))

    def score_catalog(self, catalog: Catalog) -> dict[str, dict[str, Any]]:
        """Scores of the train, val and test splits (time-only and with magnitudes)."""
        from geohazard.forecast.recast.train import split_sequences

        out = {}
        for split, seq in split_sequences(catalog, self.config.features).items():
            res = self.log_likelihood(seq, include_magnitude=False)
            out[split] = res.to_dict()
        return out

    @torch.no_grad()
    def intensity(self, history: EventSequence, t: np.ndarray) -> np.ndarray:
        """Conditional intensity (events/day) at times ``t`` given history events before each.

        ``lambda(t) = h(t - t_prev)``, the hazard of the next-gap distribution whose
        context has seen the events before ``t``.
        """
        net, norm = self._check_fitted()
        net.eval()
        t = np.atleast_1d(np.asarray(t, dtype=np.float64))
        if np.any(t < history.t_start):
            raise InputError("intensity: times before the history's t_start")
        arrays = gap_arrays(history, norm)
        ctx, _ = net.encoder(torch.from_numpy(arrays.inputs).unsqueeze(0))  # (1, G, C)
        j = np.searchsorted(history.times, t, side="left")
        prev = np.concatenate(([history.t_start], history.times))[j]
        elapsed = torch.from_numpy((t - prev) / norm.time_scale).float()
        dist = net.time_dist(ctx[0, torch.from_numpy(j)])
        return (dist.log_hazard(elapsed).double().exp() / norm.time_scale).numpy()

    # ------------------------------------------------------------------ sampling
    def sample(self, history: EventSequence, duration_days: float, n_samples: int,
               rng: RNGLike = None, *, magnitudes: MagnitudeMode = "learned") -> Continuations:
        """``n_samples`` continuations of ``duration_days`` after ``history.t_end``."""
        return self.sample_with_features(history, duration_days, n_samples, rng,
                                         magnitudes=magnitudes)[0]

    def sample_with_features(self, history: EventSequence, duration_days: float,
                             n_samples: int, rng: RNGLike = None, *,
                             magnitudes: MagnitudeMode = "learned",
                             features: FeatureMode = "predict", max_events: int = 100_000,
                             ) -> tuple[Continuations, SimulatedFeatures]:
        """Continuations plus the extra features of their events (predicted or fixed)."""
        net, norm = self._check_fitted()
        return simulate(net, norm, history, duration_days, n_samples, rng,
                        magnitudes=magnitudes, features=features, max_events=max_events,
                        cache=self._state_cache)

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> Path:
        """Write a checkpoint readable with ``torch.load(weights_only=True)`` (atomic)."""
        net, norm = self._check_fitted()
        info = getattr(self, "fit_info_", None)  # None: built by hand or loaded
        payload = {
            "format": FORMAT, "net_config": net.config.to_dict(),
            "normaliser": norm.to_dict(), "train_config": self.config.to_dict(),
            "fit_info": ({k: v for k, v in vars(info).items() if k != "config"}
                         if info else {}),
            "state_dict": net.state_dict(),
        }
        with atomic_path(path) as tmp:
            torch.save(payload, tmp)
        return Path(path)

    @classmethod
    def load(cls, path: str | Path) -> Recast:
        """Read a checkpoint written by :meth:`save` (``weights_only=True``, never unpickled)."""
        p = Path(path)
        payload = load_torch_file(p, "RECAST checkpoint")
        if not isinstance(payload, dict) or payload.get("format") != FORMAT:
            raise InputError(f"{p}: not a RECAST checkpoint (format {FORMAT!r} expected; "
                             "use the model.pt that recast train writes)")
        try:
            tc = payload["train_config"]
            if not isinstance(tc, dict) or not isinstance(tc.get("features", ()), list | tuple):
                raise TypeError("train_config")
            model = cls(dict(tc))  # a TrainConfig when first asked for (imports training)
            net = RecastNet(NetConfig(**payload["net_config"]))
            net.load_state_dict(payload["state_dict"])
            norm = Normaliser.from_dict(payload["normaliser"])
        except (KeyError, TypeError, ValueError, RuntimeError, AttributeError) as exc:
            kind = type(exc).__name__
            raise InputError(f"{p}: damaged RECAST checkpoint ({kind}: missing or inconsistent "
                             "entries)") from None
        model.net_, model.normaliser_ = net.eval(), norm
        return model


def _train_config(cls: type, mapping: dict[str, Any]) -> Any:
    """``cls(**mapping)`` keeping only its fields (a checkpoint's saved settings)."""
    known = {f.name for f in dataclasses.fields(cls)}
    tc = {k: v for k, v in mapping.items() if k in known}
    tc["features"] = tuple(tc.get("features", ()))
    try:
        return cls(**tc)
    except (TypeError, ValueError) as exc:
        raise InputError(f"damaged RECAST checkpoint settings ({type(exc).__name__}: {exc})"
                         ) from None
