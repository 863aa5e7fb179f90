"""The one LightningModule that trains a :class:`RecastNet`.

Training loss: negative log-likelihood per scored event of a batch of windows (time term,
plus the learned magnitude and feature terms, whose decoders read a detached context so
the encoder sees only the paper's time objective). Validation: time-only NLL per day of
the validation split (windowed with a long warm-up during training; the final scores are
exact full-sequence passes). Optimiser: Adam with a reduce-on-plateau schedule.

The plateau schedule is stepped here, at the end of each training epoch before the epoch's
checkpoint is written, and its state travels in the checkpoint (``plateau``). Lightning would
step it after the checkpoint, so a resumed run would miss one step and drift from an
uninterrupted one.
"""

from __future__ import annotations

from typing import Any

import pytorch_lightning as pl
import torch

from geohazard.forecast.recast.data import Batch
from geohazard.forecast.recast.model import GapTerms, NetConfig, RecastNet, gap_terms


class RecastLightning(pl.LightningModule):
    """LightningModule around :class:`RecastNet`.

    Parameters
    ----------
    net_config
        Architecture (plain mapping of :class:`NetConfig`).
    normaliser
        Plain mapping of :class:`~geohazard.forecast.recast.data.Normaliser`.
    lr
        Adam learning rate.
    val_days
        Scored days of the validation batch (NLL per day divisor).
    lr_patience, lr_factor
        Reduce-on-plateau schedule on the validation NLL (``lr_patience <= 0``: constant).
    """

    def __init__(self, net_config: dict[str, Any], normaliser: dict[str, Any], lr: float = 1e-2,
                 val_days: float = 1.0, lr_patience: int = 5, lr_factor: float = 0.5) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.net = RecastNet(NetConfig(**net_config))
        self.time_scale = float(torch.tensor(normaliser["log_tau_mean"]).exp())
        self.b0 = float(normaliser["b"])
        self.mag_min = float(normaliser["mag_min"])
        self.plateau: torch.optim.lr_scheduler.ReduceLROnPlateau | None = None
        self._plateau_state: dict[str, Any] | None = None

    def _terms(self, batch: Batch) -> GapTerms:
        return gap_terms(self.net, batch, self.time_scale, self.b0, self.mag_min)

    def training_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        """NLL per scored event of the batch (time + learned magnitude + features)."""
        t = self._terms(batch)
        n = batch.mask.sum().clamp_min(1)
        loss = -(t.time.sum() + t.mag_learned.sum() + t.features.sum()) / n
        self.log("train_loss", loss.float(), on_step=False, on_epoch=True,
                 batch_size=batch.batch_size)
        return loss.float()

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        """Time-only validation NLL per day (the paper's early-stopping figure)."""
        t = self._terms(batch)
        val = -t.time.sum() / self.hparams.val_days
        self.log("val_nll", val.float(), on_step=False, on_epoch=True, reduce_fx="sum",
                 batch_size=1, prog_bar=True)

    def transfer_batch_to_device(self, batch: Any, device: torch.device,
                                 dataloader_idx: int) -> Any:
        """Move a :class:`Batch` (a plain dataclass) to ``device``."""
        if isinstance(batch, Batch):
            return batch.to(device)
        return super().transfer_batch_to_device(batch, device, dataloader_idx)

    def configure_optimizers(self) -> Any:
        """Adam; with ``lr_patience > 0`` a reduce-on-plateau schedule on ``val_nll``."""
        opt = torch.optim.Adam(self.parameters(), lr=self.hparams.lr)
        self.plateau = None
        if self.hparams.lr_patience > 0:
            self.plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(
                opt, mode="min", factor=self.hparams.lr_factor,
                patience=self.hparams.lr_patience, threshold=1e-4, threshold_mode="abs")
            if self._plateau_state is not None:
                self.plateau.load_state_dict(self._plateau_state)
        return opt

    def on_train_epoch_end(self) -> None:
        """Step the plateau schedule on this epoch's validation NLL (before checkpointing)."""
        val = self.trainer.callback_metrics.get("val_nll")
        if self.plateau is not None and val is not None:
            self.plateau.step(float(val))

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Keep the plateau schedule's state."""
        if self.plateau is not None:
            checkpoint["plateau"] = self.plateau.state_dict()

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Restore the plateau schedule's state (now, or when the optimiser is built)."""
        self._plateau_state = checkpoint.get("plateau")
        if self.plateau is not None and self._plateau_state is not None:
            self.plateau.load_state_dict(self._plateau_state)
