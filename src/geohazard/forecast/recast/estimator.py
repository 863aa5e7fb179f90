"""The RECAST model behind the shared point-process interface.

:class:`Recast` follows the scikit-learn contract (settings in ``__init__``, ``fit``
returns ``self``, learned state in ``net_`` / ``normaliser_``) and implements
:class:`~geohazard.forecast.base.PointProcessModel`: ``log_likelihood`` (exact
full-sequence pass, scored the paper's way), ``sample`` and ``intensity``.

Sampling a model without extra features runs the numpy sampler
(:mod:`~geohazard.forecast.recast.sampling_np`) on the network's weights; a model loaded
from a checkpoint with a weights sidecar (:mod:`~geohazard.forecast.recast.weights`) holds
those weights without torch, and builds the torch network (``net_``) only when asked for it
(scoring, intensities, extra features). Torch is imported here only where it is used.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from geohazard.catalog.core import Catalog, EventSequence
from geohazard.exceptions import InputError, NotFittedError
from geohazard.forecast.base import Continuations, ScoreResult
from geohazard.forecast.protocols import Estimator
from geohazard.forecast.recast.fileio import check_model_file
from geohazard.forecast.recast.inputs import Normaliser, gap_arrays
from geohazard.forecast.recast.sampling_common import (
    FeatureMode,
    HistoryStateCache,
    MagnitudeMode,
    SimulatedFeatures,
)
from geohazard.forecast.recast.weights import NetWeights, Sidecar, read_sidecar, sidecar_path
from geohazard.io_utils import atomic_path
from geohazard.rng import RNGLike

if TYPE_CHECKING:  # torch and the training modules (Lightning) load where they are used
    from geohazard.forecast.recast.model import RecastNet
    from geohazard.forecast.recast.train import FitInfo, TrainConfig

F = TypeVar("F", bound=Callable[..., Any])


def _no_grad(fn: F) -> F:
    """``torch.no_grad()`` around ``fn``, importing torch on the first call only."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        import torch

        with torch.no_grad():
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]

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
    def net_(self) -> RecastNet | None:
        """The torch network (None before fitting).

        A model loaded from a weights sidecar builds it from the sidecar's arrays when first
        asked for it (this imports torch).
        """
        net = self.__dict__.get("_net")
        side = self.__dict__.get("_sidecar")
        if net is None and side is not None:
            net = self.__dict__["_net"] = _net_of(side.net_config, side.state, side.path)
        return net

    @net_.setter
    def net_(self, value: RecastNet | None) -> None:
        self.__dict__.update(_net=value, _sidecar=None, _weights=None)
        self._state_cache.clear()

    def _sampler_weights(self) -> tuple[NetWeights, Normaliser]:
        """The sampler's arrays (from the sidecar, else copied from ``net_``) and normaliser.

        A model loaded from a sidecar never imports torch here.
        """
        side = self.__dict__.get("_sidecar")
        source = side if side is not None else self.__dict__.get("_net")
        norm = getattr(self, "normaliser_", None)
        if source is None or norm is None:
            raise NotFittedError("this Recast model is not fitted; call fit() or load()")
        cached = self.__dict__.get("_weights")
        if cached is not None and cached[0] is source:
            return cached[1], norm
        if side is not None:
            state, K = side.state, int(side.net_config["n_components"])
        else:
            state = {k: v.detach().cpu().numpy().copy() for k, v in source.state_dict().items()}
            K = source.config.n_components
        weights = NetWeights.of(state, K)
        self.__dict__["_weights"] = (source, weights)
        return weights, norm

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
        """The torch network and the normaliser (imports torch)."""
        if getattr(self, "normaliser_", None) is None or self.net_ is None:
            raise NotFittedError("this Recast model is not fitted; call fit() or load()")
        return self.net_, self.normaliser_

    # ------------------------------------------------------------------ scoring
    @_no_grad
    def log_likelihood(self, sequence: EventSequence, *, include_magnitude: bool = False
                       ) -> ScoreResult:
        """Log-likelihood on ``(t_nll_start, t_end]`` given all history (exact pass).

        ``extra`` holds the time-only figure, both magnitude terms (fixed-b
        Gutenberg-Richter as in the paper, and the learned conditional law) and, with
        extra features, the feature term. ``include_magnitude`` adds the learned term.
        """
        from geohazard.forecast.recast.data import full_batch
        from geohazard.forecast.recast.model import gap_terms

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

    @_no_grad
    def feature_log_density(self, sequence: EventSequence) -> np.ndarray:
        """(n_scored,) log density of each scored event's features given its past.

        In the features' own units (per km2 for projected ``x``, ``y``): the decoder's
        density of the standardised features less ``sum(log feature_std)``.
        """
        net, norm = self._check_fitted()
        if not norm.feature_names:
            raise InputError("Recast.feature_log_density: the model was trained without "
                             "features")
        from geohazard.forecast.recast.data import full_batch
        from geohazard.forecast.recast.model import gap_terms

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

    @_no_grad
    def intensity(self, history: EventSequence, t: np.ndarray) -> np.ndarray:
        """Conditional intensity (events/day) at times ``t`` given history events before each.

        ``lambda(t) = h(t - t_prev)``, the hazard of the next-gap distribution whose
        context has seen the events before ``t``.
        """
        import torch

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
        """Continuations plus the extra features of their events (predicted or fixed).

        Without extra features: the numpy sampler (no torch); with them, the torch one.
        """
        norm = getattr(self, "normaliser_", None)
        if norm is not None and not norm.feature_names:
            from geohazard.forecast.recast.sampling_np import simulate_np

            weights, norm = self._sampler_weights()
            return simulate_np(weights, norm, history, duration_days, n_samples, rng,
                               magnitudes=magnitudes, max_events=max_events,
                               cache=self._state_cache)
        from geohazard.forecast.recast.sampling import simulate

        net, norm = self._check_fitted()
        return simulate(net, norm, history, duration_days, n_samples, rng,
                        magnitudes=magnitudes, features=features, max_events=max_events,
                        cache=self._state_cache)

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> Path:
        """Write a checkpoint and its weights sidecar ``path.npz`` (each atomic).

        The checkpoint is read with ``torch.load(weights_only=True)``; the sidecar
        (:mod:`~geohazard.forecast.recast.weights`) lets :meth:`load` and sampling run
        without torch. An older sidecar at ``path.npz`` is removed first, so no sidecar of
        another checkpoint is ever left beside this one.
        """
        import torch

        net, norm = self._check_fitted()
        info = getattr(self, "fit_info_", None)  # None: built by hand or loaded
        payload = {
            "format": FORMAT, "net_config": net.config.to_dict(),
            "normaliser": norm.to_dict(), "train_config": self._train_config_dict(),
            "fit_info": ({k: v for k, v in vars(info).items() if k != "config"}
                         if info else {}),
            "state_dict": net.state_dict(),
        }
        _remove(sidecar_path(path))
        with atomic_path(path) as tmp:
            torch.save(payload, tmp)
        self._write_sidecar(Path(path))
        return Path(path)

    def _train_config_dict(self) -> dict[str, Any]:
        cfg = self.__dict__.get("_config")
        return dict(cfg) if isinstance(cfg, dict) else self.config.to_dict()

    def _write_sidecar(self, path: Path) -> Path:
        """Write the weights sidecar of the checkpoint file ``path`` (as it is now)."""
        from geohazard.forecast.recast.weights import write_sidecar

        net, norm = self._check_fitted()
        state = {k: v.detach().cpu().numpy() for k, v in net.state_dict().items()}
        return write_sidecar(path, state, net.config.to_dict(), norm.to_dict(),
                             self._train_config_dict())

    @classmethod
    def load(cls, path: str | Path) -> Recast:
        """Read a checkpoint written by :meth:`save`; nothing is ever unpickled.

        With a sidecar ``path.npz`` that matches the checkpoint, the weights come from it
        (``numpy.load(allow_pickle=False)``, no torch); without one, from the checkpoint
        (``torch.load(weights_only=True)``). A stale or damaged sidecar is refused with an
        :class:`InputError` naming it.
        """
        p = Path(path)
        check_model_file(p, "RECAST checkpoint")
        side = read_sidecar(p)
        return cls._load_torch(p) if side is None else cls._from_sidecar(side)

    @classmethod
    def _from_sidecar(cls, side: Sidecar) -> Recast:
        try:
            model = cls(_checked_train_config(side.train_config))
            norm = Normaliser.from_dict(side.normaliser)
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"{side.path}: damaged RECAST weights sidecar ({type(exc).__name__}:"
                             " missing or inconsistent settings)") from None
        model.__dict__.update(_net=None, _sidecar=side, _weights=None)
        model.normaliser_ = norm
        return model

    @classmethod
    def _load_torch(cls, p: Path) -> Recast:
        from geohazard.forecast.recast.fileio import load_torch_file

        payload = load_torch_file(p, "RECAST checkpoint")
        if not isinstance(payload, dict) or payload.get("format") != FORMAT:
            raise InputError(f"{p}: not a RECAST checkpoint (format {FORMAT!r} expected; "
                             "use the model.pt that recast train writes)")
        try:
            model = cls(_checked_train_config(payload["train_config"]))
            net = _net_of(payload["net_config"], payload["state_dict"], p)
            norm = Normaliser.from_dict(payload["normaliser"])
        except (KeyError, TypeError, ValueError, RuntimeError, AttributeError) as exc:
            kind = type(exc).__name__
            raise InputError(f"{p}: damaged RECAST checkpoint ({kind}: missing or inconsistent "
                             "entries)") from None
        model.net_, model.normaliser_ = net, norm
        return model


def export_sidecar(path: str | Path) -> Path:
    """Write (or rewrite) the weights sidecar of the checkpoint ``path``, read with torch.

    Returns
    -------
    Path
        The sidecar, ``path.npz``.
    """
    p = Path(path)
    check_model_file(p, "RECAST checkpoint")
    return Recast._load_torch(p)._write_sidecar(p)


def _checked_train_config(tc: Any) -> dict[str, Any]:
    """A checkpoint's training settings as a plain mapping (a TrainConfig on first use)."""
    if not isinstance(tc, dict) or not isinstance(tc.get("features", ()), list | tuple):
        raise TypeError("train_config")
    return dict(tc)


def _net_of(net_config: Any, state: Any, path: Path) -> RecastNet:
    """The eval-mode torch network of ``net_config`` with the weights ``state`` (imports torch).

    ``state`` maps names to tensors or numpy arrays; a mismatch is one line naming ``path``.
    """
    import torch

    from geohazard.forecast.recast.model import NetConfig, RecastNet

    try:
        net = RecastNet(NetConfig(**net_config))
        net.load_state_dict({k: torch.as_tensor(v) for k, v in dict(state).items()})
    except (KeyError, TypeError, ValueError, RuntimeError, AttributeError) as exc:
        raise InputError(f"{path}: damaged RECAST weights ({type(exc).__name__}: missing or "
                         "inconsistent entries)") from None
    return net.eval()


def _remove(path: Path) -> None:
    """Delete ``path`` if it exists (one-line error if it cannot be)."""
    from geohazard.exceptions import OutputError

    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        raise OutputError(f"{path}: cannot remove the old weights sidecar "
                          f"({exc.strerror or exc})") from None


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
