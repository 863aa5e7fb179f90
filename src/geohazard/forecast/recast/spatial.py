"""RECAST with epicentres: trains on projected x, y (km) and forecasts longitude/latitude.

:class:`SpatialRecast` wraps :class:`~geohazard.forecast.recast.estimator.Recast`. The
catalog's longitudes and latitudes are projected with the project's local azimuthal
equidistant projection (:mod:`geohazard.catalog.geo`, centred on the catalog; any ``x``,
``y`` columns in the file are ignored) and given to RECAST as extra features, so the
encoder sees where past events were and the feature decoder predicts where the next one
will be. Seismicity is clustered, so the decoder is by default a mixture of 128 diagonal
normals (``TrainConfig.feature_components``) started as a kernel density on training
epicentres; ``location_components=1`` keeps RECAST's single diagonal normal. Note that the
decoders read a detached context: the encoder is trained on the time likelihood only, so
locations inform the context only as far as they help predict times. Simulated
continuations come back with ``longitude`` / ``latitude`` features
(degrees) for pyCSEP's spatial tests, plus ``x`` / ``y`` in km.

The history given to :meth:`SpatialRecast.sample`, :meth:`log_likelihood` and
:meth:`intensity` carries ``longitude`` / ``latitude`` features, like every spatial model
(:meth:`Catalog.to_sequence(features=("longitude", "latitude"))`).
"""

from __future__ import annotations

import copy
import dataclasses
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from geohazard.catalog.core import Catalog, EventSequence
from geohazard.catalog.geo import LocalProjection, project_catalog
from geohazard.exceptions import InputError, NotFittedError, ParameterError
from geohazard.forecast.base import Continuations, ScoreResult
from geohazard.forecast.protocols import Estimator
from geohazard.forecast.recast.data import full_batch, gap_arrays
from geohazard.forecast.recast.estimator import Recast
from geohazard.forecast.recast.sampling import MagnitudeMode
from geohazard.io_utils import write_json_atomic
from geohazard.rng import RNGLike

if TYPE_CHECKING:  # the training modules import Lightning: only fitting loads them
    from geohazard.forecast.recast.train import TrainConfig

FEATURES = ("x", "y")
log = logging.getLogger(__name__)


class SpatialRecast(Estimator):
    """RECAST whose extra features are epicentres in local kilometres.

    Parameters
    ----------
    config
        Training settings; ``features`` is set to ``("x", "y")`` (plus any others given,
        e.g. ``depth``, which must then be catalog columns).
    work_dir
        Folder for Lightning checkpoints (a temporary one when None).
    projection
        Fixed projection; None centres one on the training catalog.
    location_components
        Components of the feature decoder (a mixture of diagonal normals started as a
        kernel density on training epicentres; seismicity is clustered, so one normal is
        too crude). 1 gives RECAST's diagonal normal; None keeps ``config``'s value.
    refit_steps
        After RECAST's training (whose early stopping watches the time likelihood only),
        refit the location decoder alone on the frozen contexts for at most this many
        full-batch Adam steps, stopping on the validation location NLL (0 skips it).
    """

    def __init__(self, config: TrainConfig | None = None, work_dir: Path | None = None,
                 projection: LocalProjection | None = None,
                 location_components: int | None = 128, refit_steps: int = 2000) -> None:
        if location_components is not None and location_components < 1:
            raise ParameterError(f"location_components must be >= 1, got {location_components}")
        self.config = config  # settings only: train_config resolves them
        self.work_dir = work_dir
        self.projection = projection
        self.location_components = location_components
        self.refit_steps = refit_steps

    @property
    def train_config(self) -> TrainConfig:
        """RECAST's training settings, resolved from ``config`` and ``location_components``.

        The ``x``, ``y`` features come first, and the location decoder has
        ``location_components`` components (None: ``config``'s).
        """
        from geohazard.forecast.recast.train import TrainConfig

        base = self.config if self.config is not None else TrainConfig()
        extra = tuple(f for f in base.features if f not in FEATURES)
        comps = (base.feature_components if self.location_components is None
                 else self.location_components)
        if comps < 1:
            raise ParameterError(f"location_components must be >= 1, got {comps}")
        return dataclasses.replace(base, features=FEATURES + extra,
                                   feature_components=int(comps))

    # ------------------------------------------------------------------ fitting
    def fit(self, catalog: Catalog, fit_end: Any = None, *, progress: bool = False
            ) -> SpatialRecast:
        """Train on the catalog's train split (early stopping on val) with projected x, y.

        ``fit_end`` is the forecast start the model serves, checked as by :meth:`Recast.fit`.
        """
        projected, proj = project_catalog(catalog, self.projection)
        cfg = self.train_config
        self.recast_ = Recast(cfg, self.work_dir).fit(projected, fit_end, progress=progress)
        self.projection_ = proj
        self.location_fit_: dict[str, Any] = {}
        if self.refit_steps > 0:
            from geohazard.forecast.recast.train import split_sequences

            seqs = split_sequences(projected, cfg.features)
            self.location_fit_ = refit_location_decoder(
                self.recast_, seqs["train"], seqs["val"], max_steps=int(self.refit_steps),
                seed=cfg.seed)
        return self

    @property
    def fit_report_(self) -> dict[str, Any]:
        """RECAST's training report and the location decoder's refit (``location_fit_``)."""
        model, _ = self._check()
        return {"recast": getattr(model, "fit_info_", None), "location": self.location_fit_}

    def _check(self) -> tuple[Recast, LocalProjection]:
        if getattr(self, "recast_", None) is None or getattr(self, "projection_", None) is None:
            raise NotFittedError("this SpatialRecast model is not fitted; call fit() or load()")
        return self.recast_, self.projection_

    def to_km(self, sequence: EventSequence) -> EventSequence:
        """``sequence`` with ``x``, ``y`` (km) features computed from longitude/latitude."""
        _, proj = self._check()
        missing = [f for f in ("longitude", "latitude") if f not in sequence.features]
        if missing:
            raise InputError(f"SpatialRecast: the history lacks features {missing}; build it "
                             "with catalog.to_sequence(features=('longitude', 'latitude'))")
        x, y = proj.to_km(sequence.features["longitude"], sequence.features["latitude"])
        return dataclasses.replace(sequence, features={**sequence.features, "x": x, "y": y})

    # ------------------------------------------------------------------ protocol
    def log_likelihood(self, sequence: EventSequence, *, include_magnitude: bool = False
                       ) -> ScoreResult:
        """RECAST's score of ``sequence`` (``extra`` holds the location term)."""
        model, _ = self._check()
        return model.log_likelihood(self.to_km(sequence), include_magnitude=include_magnitude)

    def intensity(self, history: EventSequence, t: np.ndarray) -> np.ndarray:
        """Temporal conditional intensity (events/day) at times ``t``."""
        model, _ = self._check()
        return model.intensity(self.to_km(history), t)

    def spatial_log_density(self, sequence: EventSequence) -> np.ndarray:
        """(n_scored,) log density (per km2) of each scored epicentre given its past.

        The location decoder's mixture density of projected ``x``, ``y`` (km), as for
        :meth:`SpatialETAS.spatial_log_density <geohazard.forecast.etas.spatial.SpatialETAS>`.
        """
        model, _ = self._check()
        return model.feature_log_density(self.to_km(sequence))

    def sample(self, history: EventSequence, duration_days: float, n_samples: int,
               rng: RNGLike = None, *, magnitudes: MagnitudeMode = "learned") -> Continuations:
        """Continuations whose events carry ``longitude``, ``latitude``, ``x``, ``y``."""
        model, proj = self._check()
        cont, feats = model.sample_with_features(self.to_km(history), duration_days,
                                                 n_samples, rng, magnitudes=magnitudes)
        cols = {name: feats.values[:, j] for j, name in enumerate(feats.names)}
        lon, lat = proj.to_lonlat(cols["x"], cols["y"])
        return cont.with_features({**cols, "longitude": lon, "latitude": lat})

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> Path:
        """RECAST checkpoint at ``path`` plus the projection in ``path.projection.json``."""
        model, proj = self._check()
        out = model.save(path)
        write_json_atomic(Path(str(path) + ".projection.json"), proj.to_dict())
        return out

    @classmethod
    def load(cls, path: str | Path) -> SpatialRecast:
        """Read a model written by :meth:`save`."""
        import json

        side = Path(str(path) + ".projection.json")
        if not side.exists():
            raise InputError(f"{side}: projection file of the SpatialRecast checkpoint not found")
        try:
            info: dict[str, Any] = json.loads(side.read_text(encoding="utf-8"))
            projection = LocalProjection(float(info["lon0"]), float(info["lat0"]))
        except (OSError, UnicodeDecodeError, ValueError, TypeError, KeyError) as exc:
            raise InputError(f"{side}: not a readable projection file ({type(exc).__name__}: "
                             "JSON with lon0 and lat0 expected)") from None
        model = Recast.load(path)
        if tuple(model.config.features[:2]) != FEATURES:
            raise InputError(f"{path}: not a SpatialRecast checkpoint (features "
                             f"{model.config.features})")
        out = cls(model.config, projection=projection, location_components=None)
        out.recast_, out.projection_, out.location_fit_ = model, out.projection, {}
        return out


@torch.no_grad()
def _context_pairs(model: Recast, seq: EventSequence) -> tuple[torch.Tensor, torch.Tensor]:
    """Eval-mode contexts (n, C) and normalised features (n, F) of ``seq``'s scored events."""
    net, norm = model._check_fitted()
    arrays = gap_arrays(seq, norm)
    batch = full_batch(arrays)
    ctx, _ = net.eval().encoder(batch.inputs)  # (1, G, C)
    use = torch.from_numpy(arrays.is_event & arrays.scored)
    return ctx[0, use], batch.feats[0, use]


def refit_location_decoder(model: Recast, train: EventSequence, val: EventSequence, *,
                           max_steps: int = 2000, lr: float = 5e-3, patience: int = 200,
                           seed: int = 0) -> dict[str, Any]:
    """Fit RECAST's feature decoder alone on frozen contexts; keep the best validation step.

    The decoders read a detached context, so this continues their own optimisation
    after the encoder is fixed: full-batch Adam on the feature NLL of the training
    events, validated on the validation events every 10 steps.

    Returns
    -------
    dict
        ``steps``, ``val_nll_before``, ``val_nll`` (per event, normalised units).
    """
    net = model.net_
    if net is None or net.feat_head is None:
        raise NotFittedError("refit_location_decoder: the RECAST model has no feature decoder")
    del seed  # the refit draws nothing: full-batch steps on contexts of the eval-mode net
    c_tr, z_tr = _context_pairs(model, train)
    c_va, z_va = _context_pairs(model, val)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny full-batch steps: extra threads only add overhead (10x)
    try:
        return _refit_loop(net, (c_tr, z_tr), (c_va, z_va), max_steps, lr, patience)
    finally:
        torch.set_num_threads(threads)


def _refit_loop(net: Any, train: tuple[torch.Tensor, torch.Tensor],
                val: tuple[torch.Tensor, torch.Tensor], max_steps: int, lr: float,
                patience: int) -> dict[str, Any]:
    (c_tr, z_tr), (c_va, z_va) = train, val

    def val_nll() -> float:
        with torch.no_grad():
            return float(-net.feature_dist(c_va).log_prob(z_va).mean())

    head = net.feat_head
    opt = torch.optim.Adam(head.parameters(), lr=lr)
    best, best_state, since = val_nll(), copy.deepcopy(head.state_dict()), 0
    start, step = best, 0
    for step in range(1, max_steps + 1):
        opt.zero_grad()
        loss = -net.feature_dist(c_tr).log_prob(z_tr).mean()
        loss.backward()
        opt.step()
        if step % 10:
            continue
        v = val_nll()
        if v < best - 1e-5:
            best, best_state, since = v, copy.deepcopy(head.state_dict()), 0
        else:
            since += 10
            if since >= patience:
                break
    head.load_state_dict(best_state)
    net.eval()
    log.info("location decoder refit: val NLL %.4f -> %.4f in %d steps", start, best, step)
    return {"steps": step, "val_nll_before": start, "val_nll": best}
