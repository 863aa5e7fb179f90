"""Training RECAST: fast windowed training and the paper's full-sequence loop.

Fast training (the default): every epoch re-cuts the training split into windows of
``window`` scored events, each preceded by ``warmup`` history events that rebuild the GRU
state, and takes several Adam steps on mini-batches of windows (the GRU then runs
``warmup + window`` steps in parallel over the batch instead of one step per event of the
whole catalog). The learning rate is halved on validation plateaus; early stopping on
the validation NLL per day restores the best checkpoint. The time decoder starts as a
mixture of exponentials at the gaps' quantiles.

The paper's loop (``paper_loop=True``): one gradient step per epoch on the whole
training sequence, validation on the whole validation sequence, Adam lr 5e-2, patience
200, min_delta 1e-3, at most 1500 epochs.

Checkpoints: Lightning's ``last.ckpt`` lets a killed run resume (``resume=True``); the
exported model file is a plain dict of tensors and numbers read with
``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import Callback, EarlyStopping, ModelCheckpoint, RichProgressBar

from geohazard.catalog.core import Catalog, EventSequence
from geohazard.exceptions import ParameterError
from geohazard.forecast.recast.data import (
    Batch,
    GapArrays,
    Normaliser,
    WindowDataset,
    full_batch,
    gap_arrays,
    make_batch,
    window_bounds,
)
from geohazard.forecast.recast.lightning import RecastLightning
from geohazard.forecast.recast.model import NetConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainConfig:
    """Training settings (defaults: the fast windowed scheme; see :meth:`paper`)."""

    hidden: int = 32
    n_components: int = 32
    dropout: float = 0.1
    lr: float = 1e-2
    window: int = 256
    warmup: int = 128
    batch_windows: int = 16
    val_window: int = 1024
    val_warmup: int = 1024
    max_epochs: int = 300
    patience: int = 20
    min_delta: float = 1e-3
    lr_patience: int = 4
    lr_factor: float = 0.5
    paper_loop: bool = False
    features: tuple[str, ...] = ()
    feature_components: int = 1
    joint_features: bool = False
    seed: int = 0
    accelerator: str = "cpu"
    devices: int | str = 1
    strategy: str = "auto"
    max_time_s: float | None = None

    @classmethod
    def paper(cls, **changes: Any) -> TrainConfig:
        """The paper's schedule: full sequence, one step per epoch, lr 5e-2, patience 200."""
        base = dict(lr=5e-2, paper_loop=True, max_epochs=1500, patience=200, min_delta=1e-3,
                    lr_patience=0)
        base.update(changes)
        return cls(**base)

    def to_dict(self) -> dict[str, Any]:
        """Plain mapping."""
        out = asdict(self)
        out["features"] = list(self.features)
        return out

    def check(self) -> None:
        """Raise :class:`ParameterError` for impossible settings."""
        for name in ("hidden", "n_components", "window", "batch_windows", "max_epochs",
                     "feature_components"):
            if getattr(self, name) < 1:
                raise ParameterError(f"{name} must be >= 1, got {getattr(self, name)}")
        if not 0.0 <= self.dropout < 1.0:
            raise ParameterError(f"dropout must be in [0, 1), got {self.dropout}")
        if not self.lr > 0:
            raise ParameterError(f"lr must be > 0, got {self.lr}")


class _ListLoader:
    """A re-iterable list of ready batches (validation, or the paper's single batch)."""

    def __init__(self, batches: list[Batch]) -> None:
        self.batches = batches

    def __iter__(self) -> Iterator[Batch]:
        return iter(self.batches)

    def __len__(self) -> int:
        return len(self.batches)


class _Reshuffle(Callback):
    """New window phase and order every epoch, a function of (seed, epoch) only.

    So a run resumed from a checkpoint sees the same windows as an uninterrupted one.
    """

    def __init__(self, dataset: WindowDataset, generator: torch.Generator, seed: int) -> None:
        self.dataset, self.generator, self.seed = dataset, generator, seed

    def on_train_epoch_start(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        epoch = int(trainer.current_epoch)
        self.dataset.reshuffle(np.random.default_rng([self.seed, epoch]))
        self.generator.manual_seed(self.seed * 1_000_003 + epoch)


class _EpochLog(Callback):
    """Log the validation NLL per day after every epoch (debug level)."""

    def on_validation_epoch_end(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        val = trainer.callback_metrics.get("val_nll")
        if val is not None:
            log.debug("epoch %d  val NLL/day %.4f", trainer.current_epoch, float(val))


@dataclass
class FitInfo:
    """What a training run did."""

    epochs: int
    wall_s: float
    best_val_nll_per_day: float
    best_checkpoint: str
    stopped_early: bool
    config: dict[str, Any]


def split_sequences(catalog: Catalog, features: tuple[str, ...] = ()
                    ) -> dict[str, EventSequence]:
    """Train, val and test sequences of a catalog with split dates (paper convention)."""
    return {s: catalog.to_sequence(s, features=features) for s in ("train", "val", "test")}


def _loaders(cfg: TrainConfig, train: GapArrays, val: GapArrays
             ) -> tuple[Any, _ListLoader, list[Callback]]:
    if cfg.paper_loop:  # exact: the whole validation sequence from the catalog start
        val_loader = _ListLoader([full_batch(val)])
    else:
        val_loader = _ListLoader([make_batch(val, window_bounds(val, cfg.val_window),
                                             cfg.val_warmup)])
    if cfg.paper_loop:
        return _ListLoader([full_batch(train)]), val_loader, []
    ds = WindowDataset(train, cfg.window, cfg.warmup)
    gen = torch.Generator().manual_seed(cfg.seed)
    loader = torch.utils.data.DataLoader(ds, batch_size=cfg.batch_windows, shuffle=True,
                                         collate_fn=ds.collate, generator=gen)
    return loader, val_loader, [_Reshuffle(ds, gen, cfg.seed)]


def build_module(cfg: TrainConfig, norm: Normaliser, train: GapArrays, val_days: float
                 ) -> RecastLightning:
    """A fresh LightningModule with the time decoder initialised from the training gaps."""
    net_cfg = NetConfig(n_inputs=norm.n_inputs, n_features=len(norm.feature_names),
                        hidden=cfg.hidden, n_components=cfg.n_components, dropout=cfg.dropout,
                        feature_components=cfg.feature_components,
                        joint_features=cfg.joint_features)
    module = RecastLightning(net_cfg.to_dict(), norm.to_dict(), lr=cfg.lr, val_days=val_days,
                             lr_patience=cfg.lr_patience, lr_factor=cfg.lr_factor)
    gaps = train.tau[train.is_event & train.scored] / norm.time_scale
    module.net.init_time_decoder(gaps)
    events = train.is_event & train.scored
    module.net.init_feature_decoder(train.feats[events], np.random.default_rng(cfg.seed))
    return module


def _trainer(cfg: TrainConfig, work_dir: Path, progress: bool, extra: list[Callback]
             ) -> tuple[pl.Trainer, ModelCheckpoint, EarlyStopping]:
    ckpt = ModelCheckpoint(dirpath=work_dir, filename="best", monitor="val_nll", mode="min",
                           save_top_k=1, enable_version_counter=False)
    # every epoch, so that a killed run loses at most one epoch on resume
    last = ModelCheckpoint(dirpath=work_dir, filename="last", monitor=None, save_top_k=1,
                           every_n_epochs=1, enable_version_counter=False)
    stop = EarlyStopping(monitor="val_nll", mode="min", patience=cfg.patience,
                         min_delta=cfg.min_delta, check_finite=True)
    callbacks: list[Callback] = [ckpt, last, stop, _EpochLog(), *extra]
    if progress:
        callbacks.append(RichProgressBar(leave=False))
    kwargs: dict[str, Any] = {}
    if cfg.max_time_s:
        kwargs["max_time"] = {"seconds": float(cfg.max_time_s)}
    trainer = pl.Trainer(
        accelerator=cfg.accelerator, devices=cfg.devices, strategy=cfg.strategy,
        max_epochs=cfg.max_epochs, callbacks=callbacks, logger=False,
        enable_progress_bar=progress, enable_model_summary=False, deterministic=False,
        num_sanity_val_steps=0, default_root_dir=str(work_dir), gradient_clip_val=5.0,
        **kwargs,
    )
    return trainer, ckpt, stop


def fit_module(cfg: TrainConfig, norm: Normaliser, train_seq: EventSequence,
               val_seq: EventSequence, work_dir: Path, *, resume: bool = True,
               progress: bool = False) -> tuple[RecastLightning, FitInfo]:
    """Train with early stopping; resume from ``work_dir/last.ckpt`` when present.

    Returns the module with the best validation checkpoint restored and a :class:`FitInfo`.
    """
    cfg.check()
    work_dir.mkdir(parents=True, exist_ok=True)
    pl.seed_everything(cfg.seed, workers=True, verbose=False)
    train, val = gap_arrays(train_seq, norm), gap_arrays(val_seq, norm)
    module = build_module(cfg, norm, train, val.days)
    train_loader, val_loader, extra_cb = _loaders(cfg, train, val)
    trainer, ckpt, stop = _trainer(cfg, work_dir, progress, extra_cb)

    last = work_dir / "last.ckpt"
    ckpt_path = str(last) if resume and last.exists() else None
    if ckpt_path:
        log.info("resuming from %s", ckpt_path)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", ".*does not have many workers.*")
        warnings.filterwarnings("ignore", ".*is smaller than the logging interval.*")
        trainer.fit(module, train_loader, val_loader, ckpt_path=ckpt_path)
    wall = time.perf_counter() - t0
    best = ckpt.best_model_path or str(last)
    state = torch.load(best, map_location="cpu", weights_only=True)["state_dict"]
    module.load_state_dict(state)
    module.eval()
    info = FitInfo(epochs=int(trainer.current_epoch), wall_s=wall,
                   best_val_nll_per_day=float(ckpt.best_model_score or np.nan),
                   best_checkpoint=best, stopped_early=bool(stop.stopped_epoch),
                   config=cfg.to_dict())
    return module, info
