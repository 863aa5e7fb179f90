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

Checkpoints: Lightning's ``last.ckpt`` (written at every epoch end) lets a killed run resume
(``resume=True``) exactly: it carries every random state and the window sampler's epoch, and
the run's identity (data fingerprint and settings), which must match the new run's
(:mod:`~geohazard.forecast.recast.runstate`). The exported model file is a plain dict of
tensors and numbers read with ``torch.load(weights_only=True)``.

Several processes (``devices`` per node times ``num_nodes``, strategy ``"ddp"``): every
rank seeds the same way, so the replicas start equal; each epoch's windows are cut and
ordered as in one process, then dealt to the ranks in turn (padded to equal counts) so
every rank takes the same number of steps; gradients are averaged (DDP), so the replicas
stay equal. Validation runs on the whole validation batch on every rank. Global rank 0
alone writes the run folder (which must be on a filesystem every node sees to resume);
at the end it reads the best checkpoint and sends its weights to the other ranks.
"""

from __future__ import annotations

import hashlib
import logging
import math
import signal
import threading
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
from pytorch_lightning.utilities.exceptions import MisconfigurationException

from geohazard.catalog.core import Catalog, EventSequence
from geohazard.exceptions import InputError, ParameterError
from geohazard.forecast.recast.data import (
    Batch,
    EpochSampler,
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
from geohazard.forecast.recast.runstate import (
    BEST,
    CKPT_KEY,
    LAST,
    RUN_FILE,
    ResumeState,
    compare_identity,
    data_fingerprint,
    load_torch_file,
    reset_run_folder,
    run_identity,
    saved_identity,
)

log = logging.getLogger(__name__)
_MIN_SCORED = 10  # scored events a training or validation split needs


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
    num_nodes: int = 1
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
        """Raise :class:`ParameterError` for settings outside their ranges."""
        for name in ("hidden", "n_components", "window", "batch_windows", "max_epochs",
                     "feature_components", "val_window", "num_nodes"):
            if getattr(self, name) < 1:
                raise ParameterError(f"{name} must be >= 1, got {getattr(self, name)}")
        for name in ("warmup", "val_warmup", "patience", "seed"):
            if getattr(self, name) < 0:
                raise ParameterError(f"{name} must be >= 0, got {getattr(self, name)}")
        ranges = {"dropout": (0.0, 1.0, "[0, 1)"), "lr_factor": (0.0, 1.0, "(0, 1)")}
        for name, (lo, hi, text) in ranges.items():
            v = getattr(self, name)
            if not (lo <= v < hi and (name != "lr_factor" or v > 0)):
                raise ParameterError(f"{name} must be in {text}, got {v}")
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise ParameterError(f"lr must be finite and > 0, got {self.lr}")
        if not (math.isfinite(self.min_delta) and self.min_delta >= 0):
            raise ParameterError(f"min_delta must be finite and >= 0, got {self.min_delta}")
        if self.max_time_s is not None and not self.max_time_s > 0:
            raise ParameterError(f"max_time_s must be > 0 or None, got {self.max_time_s}")


class TrainerSetupError(ParameterError):
    """Lightning refused the accelerator / devices / strategy (``reason`` says why)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"accelerator, devices or strategy: {reason}")
        self.reason = reason


class _ListLoader:
    """A re-iterable list of ready batches (validation, or the paper's single batch)."""

    def __init__(self, batches: list[Batch]) -> None:
        self.batches = batches

    def __iter__(self) -> Iterator[Batch]:
        return iter(self.batches)

    def __len__(self) -> int:
        return len(self.batches)


class _EpochLog(Callback):
    """Log the validation NLL per day after every epoch (debug level)."""

    def on_validation_epoch_end(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        val = trainer.callback_metrics.get("val_nll")
        if val is not None:
            log.debug("epoch %d  val NLL/day %.4f", trainer.current_epoch, float(val))


@dataclass
class FitInfo:
    """What a training run did (on this process: ``global_rank`` of ``world_size``).

    ``last_weights_sha256`` is :func:`weights_sha256` of the weights after the last
    training step: the ranks of a multi-process run agree on it.
    """

    epochs: int
    wall_s: float
    best_val_nll_per_day: float
    best_checkpoint: str
    stopped_early: bool
    config: dict[str, Any]
    data_fingerprint: str = ""
    world_size: int = 1
    global_rank: int = 0
    last_weights_sha256: str = ""


def weights_sha256(state_dict: dict[str, torch.Tensor]) -> str:
    """SHA-256 of a state dict's names, dtypes, shapes and values (order-independent)."""
    h = hashlib.sha256()
    for name in sorted(state_dict):
        t = state_dict[name].detach().cpu().contiguous()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.numpy().tobytes() if t.dtype != torch.bfloat16 else t.float().numpy()
                 .tobytes())
    return h.hexdigest()


class _RankShards(torch.utils.data.Sampler):
    """The windows of an epoch dealt to the ranks in turn: rank r takes items r, r+W, ...

    The epoch's order is the wrapped sampler's (the same on every rank); it is padded from
    its start to a multiple of the world size W, so every rank takes the same number of
    steps. In one process (no process group) it is the wrapped order itself. The rank and
    W are read from :mod:`torch.distributed` when iterated (after the strategy set it up).
    """

    def __init__(self, sampler: EpochSampler) -> None:
        self.sampler = sampler

    @staticmethod
    def _rank_world() -> tuple[int, int]:
        if _group_live():
            return torch.distributed.get_rank(), torch.distributed.get_world_size()
        return 0, 1

    def __iter__(self) -> Iterator[int]:
        rank, world = self._rank_world()
        order = list(self.sampler)
        if world > 1:
            pad = -len(order) % world
            order = (order + order[:pad])[rank::world]
        return iter(order)

    def __len__(self) -> int:
        world = self._rank_world()[1]
        return -(-len(self.sampler) // world)


class _Finish(Callback):
    """At the end of training: the last weights' digest; in DDP, rank 0's best weights.

    Rank 0 reads the best checkpoint it wrote and broadcasts its weights, so the other
    ranks need no access to the run folder.
    """

    def __init__(self, ckpt: ModelCheckpoint, work_dir: Path) -> None:
        self.ckpt, self.work_dir = ckpt, work_dir
        self.last_sha256 = ""
        self.best_state: dict[str, torch.Tensor] | None = None

    def on_train_end(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        self.last_sha256 = weights_sha256(module.state_dict())
        if trainer.world_size > 1:
            state = None
            if trainer.is_global_zero:
                best = _best_path(self.ckpt, self.work_dir)
                state = load_torch_file(best, "RECAST training checkpoint")["state_dict"]
            self.best_state = trainer.strategy.broadcast(state, src=0)


def split_sequences(catalog: Catalog, features: tuple[str, ...] = ()
                    ) -> dict[str, EventSequence]:
    """Train, val and test sequences of a catalog with split dates (paper convention)."""
    return {s: catalog.to_sequence(s, features=features) for s in ("train", "val", "test")}


def _loaders(cfg: TrainConfig, train: GapArrays, val: GapArrays
             ) -> tuple[Any, _ListLoader, EpochSampler | None]:
    if cfg.paper_loop:  # exact: the whole validation sequence from the catalog start
        val_loader = _ListLoader([full_batch(val)])
    else:
        val_loader = _ListLoader([make_batch(val, window_bounds(val, cfg.val_window),
                                             cfg.val_warmup)])
    if cfg.paper_loop:
        return _ListLoader([full_batch(train)]), val_loader, None
    ds = WindowDataset(train, cfg.window, cfg.warmup)
    sampler = EpochSampler(ds, cfg.seed)
    # a private generator: the loader's own draw never touches the global torch RNG
    loader = torch.utils.data.DataLoader(ds, batch_size=cfg.batch_windows,
                                         sampler=_RankShards(sampler),
                                         collate_fn=ds.collate,
                                         generator=torch.Generator().manual_seed(cfg.seed))
    return loader, val_loader, sampler


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
    callbacks: list[Callback] = [ckpt, last, stop, _EpochLog(), _Finish(ckpt, work_dir),
                                 *extra]
    if progress:
        callbacks.append(RichProgressBar(leave=False))
    kwargs: dict[str, Any] = {}
    if cfg.max_time_s:
        kwargs["max_time"] = {"seconds": float(cfg.max_time_s)}
    trainer = pl.Trainer(
        accelerator=cfg.accelerator, devices=cfg.devices, num_nodes=cfg.num_nodes,
        strategy=cfg.strategy, use_distributed_sampler=False,  # _RankShards deals windows
        max_epochs=cfg.max_epochs, callbacks=callbacks, logger=False,
        enable_progress_bar=progress, enable_model_summary=False, deterministic=False,
        num_sanity_val_steps=0, default_root_dir=str(work_dir), gradient_clip_val=5.0,
        **kwargs,
    )
    return trainer, ckpt, stop


def _when(seq: EventSequence, day: float) -> str:
    if seq.origin is None:
        return f"day {day:.6g}"
    return str(seq.utc_of(day).floor("s"))


def _check_scored(arrays: GapArrays, seq: EventSequence, split: str) -> None:
    n = int((arrays.is_event & arrays.scored).sum())
    if n < _MIN_SCORED:
        raise InputError(
            f"RECAST needs at least {_MIN_SCORED} scored events in the {split} split to "
            f"{'train' if split == 'train' else 'validate'}, got {n} (events from "
            f"{_when(seq, seq.t_nll_start)} to {_when(seq, seq.t_end)}): move the split dates "
            "or use a longer catalog")


def _best_path(ckpt: ModelCheckpoint, work_dir: Path) -> Path:
    """The best checkpoint in the run folder (also when the folder was moved or copied)."""
    best = Path(ckpt.best_model_path) if ckpt.best_model_path else None
    if best is not None and best.is_file() and best.parent.resolve() == work_dir.resolve():
        return best
    return work_dir / BEST if (work_dir / BEST).is_file() else work_dir / LAST


def _fit(trainer: pl.Trainer, module: RecastLightning, loaders: tuple[Any, Any],
         ckpt_path: str | None, state: ResumeState) -> None:
    """``trainer.fit`` that lets Ctrl-C through as KeyboardInterrupt (not Lightning's exit 1)."""
    main = threading.current_thread() is threading.main_thread()
    handler = signal.getsignal(signal.SIGINT) if main else None
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", ".*does not have many workers.*")
            warnings.filterwarnings("ignore", ".*is smaller than the logging interval.*")
            warnings.filterwarnings("ignore", ".*Checkpoint directory .* exists and is not empty.*")
            # every rank validates the whole batch with the same weights: nothing to sync
            warnings.filterwarnings("ignore", ".*sync_dist=True.*")
            trainer.fit(module, *loaders, ckpt_path=ckpt_path, weights_only=True)
    except SystemExit:
        if state.interrupted:
            raise KeyboardInterrupt from None
        raise
    finally:
        if main and handler is not None:
            signal.signal(signal.SIGINT, handler)  # Lightning leaves Ctrl-C ignored


def _trainer_or_error(cfg: TrainConfig, work_dir: Path, progress: bool, extra: list[Callback]
                      ) -> tuple[pl.Trainer, ModelCheckpoint, EarlyStopping]:
    try:
        return _trainer(cfg, work_dir, progress, extra)
    except (MisconfigurationException, ValueError, RuntimeError, ImportError) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise TrainerSetupError(f"{cfg.accelerator!r} / {cfg.devices!r} / {cfg.strategy!r} "
                                f"/ {cfg.num_nodes} node(s) not usable here ({msg})"
                                ) from None


def fit_module(cfg: TrainConfig, norm: Normaliser, train_seq: EventSequence,
               val_seq: EventSequence, work_dir: Path, *, resume: bool = True,
               progress: bool = False) -> tuple[RecastLightning, FitInfo]:
    """Train with early stopping; resume from ``work_dir/last.ckpt`` when present.

    Weight initialisation and dropout draw from torch's generator, seeded with
    ``cfg.seed`` inside a forked RNG state: the caller's torch RNG is the same afterwards
    (no global seeding leaks out of the library). See :func:`_fit_module`.
    """
    with torch.random.fork_rng():
        torch.manual_seed(cfg.seed)
        return _fit_module(cfg, norm, train_seq, val_seq, work_dir, resume=resume,
                           progress=progress)


def _fit_module(cfg: TrainConfig, norm: Normaliser, train_seq: EventSequence,
                val_seq: EventSequence, work_dir: Path, *, resume: bool = True,
                progress: bool = False) -> tuple[RecastLightning, FitInfo]:
    """Train with early stopping (torch's RNG already seeded); resume when possible.

    Everything is checked before the first write: the settings, the splits, and with
    ``resume`` the run folder (its data fingerprint and settings must match, see
    :mod:`~geohazard.forecast.recast.runstate`). Without ``resume`` the folder's old run
    state is replaced. Returns the module with the best validation checkpoint restored and a
    :class:`FitInfo`.
    """
    cfg.check()
    train, val = gap_arrays(train_seq, norm), gap_arrays(val_seq, norm)
    _check_scored(train, train_seq, "train")
    _check_scored(val, val_seq, "val")
    identity = run_identity(cfg, data_fingerprint(train_seq, val_seq, norm, cfg.features))
    identity["config"].pop("num_nodes", None)  # run control, as devices (runstate.RUN_CONTROL)
    saved, ck = saved_identity(work_dir) if resume else (None, None)
    if saved is not None:
        compare_identity(work_dir, saved, identity, LAST if ck is not None else RUN_FILE)
    module = build_module(cfg, norm, train, val.days)
    train_loader, val_loader, sampler = _loaders(cfg, train, val)
    state = ResumeState(identity, sampler)
    trainer, ckpt, stop = _trainer_or_error(cfg, work_dir, progress, [state])
    if ck is None:
        if trainer.global_rank == 0:  # the other ranks never write the run folder
            reset_run_folder(work_dir, identity)
    else:
        log.info("resuming from %s", work_dir / LAST)
    run = ck[CKPT_KEY] if ck is not None else {}
    caller_group = _group_live()  # a process group the caller set up is left to the caller
    t0 = time.perf_counter()
    if not run.get("should_stop"):  # a finished run (stopped early) is not trained further
        _fit(trainer, module, (train_loader, val_loader),
             str(work_dir / LAST) if ck is not None else None, state)
    wall = time.perf_counter() - t0
    best = _restore_best(module, trainer, ckpt, work_dir)
    if run.get("should_stop"):
        epochs, score, early = int(run["epochs_done"]), run.get("best_score"), True
    else:
        epochs, score = int(trainer.current_epoch), ckpt.best_model_score
        early = bool(stop.stopped_epoch)
    finish = next(c for c in trainer.callbacks if isinstance(c, _Finish))
    info = FitInfo(epochs=epochs, wall_s=wall,
                   best_val_nll_per_day=float(score) if score is not None else math.nan,
                   best_checkpoint=str(best), stopped_early=early, config=cfg.to_dict(),
                   data_fingerprint=identity["data"], world_size=int(trainer.world_size),
                   global_rank=int(trainer.global_rank),
                   last_weights_sha256=finish.last_sha256)
    if not caller_group:
        _end_process_group()
    return module, info


def _group_live() -> bool:
    """Whether a :mod:`torch.distributed` process group is set up in this process."""
    return torch.distributed.is_available() and torch.distributed.is_initialized()


def _end_process_group() -> None:
    """After a distributed run Lightning set up: wait for every rank, then destroy the group.

    Lightning destroys it at exit for NCCL only; a gloo group left alive at interpreter
    exit can abort the process (``terminate called without an active exception``, SIGABRT)
    when its worker threads outlive the peer that exited first. The barrier makes every
    rank leave together, with nothing in flight; the files rank 0 writes afterwards need no
    collective.
    """
    if _group_live():
        torch.distributed.barrier()
        torch.distributed.destroy_process_group()


def _restore_best(module: RecastLightning, trainer: pl.Trainer, ckpt: ModelCheckpoint,
                  work_dir: Path) -> str:
    """Load the best weights into ``module`` (in DDP: those rank 0 sent); their path."""
    finish = next(c for c in trainer.callbacks if isinstance(c, _Finish))
    if finish.best_state is not None:
        module.load_state_dict(finish.best_state)
        best = ckpt.best_model_path or str(work_dir / LAST)
    else:
        best = _best_path(ckpt, work_dir)
        module.load_state_dict(load_torch_file(best, "RECAST training checkpoint")
                               ["state_dict"])
    module.eval()
    return str(best)
