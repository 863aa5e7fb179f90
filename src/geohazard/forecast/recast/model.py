"""The RECAST network as plain ``nn.Module``s: a GRU encoder and mixture decoders.

The encoder reads per-event inputs (normalised log inter-event time, magnitude and extra
features) and returns, for every gap ``j``, the context that has seen events ``< j``
(shifted by one event, zero state first). The time decoder maps a context to a mixture of
K Weibulls for the next inter-event time, measured in units of ``time_scale`` days (the
geometric mean gap, so that the initial mixture already spans the data). The magnitude
decoder is a learned Gutenberg-Richter law whose b-value depends on the context
(``b = b0 exp(g(context))``, starting at the MLE ``b0``); the feature decoder is a
diagonal normal, or a mixture of diagonal normals (``feature_components > 1``). Magnitude
and feature decoders read a detached context, so the encoder
is trained on the time likelihood only (the paper's objective).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn import functional as tnf

from geohazard.forecast.recast.data import Batch
from geohazard.forecast.recast.distributions import (
    DiagonalNormal,
    GutenbergRichter,
    NormalMixture,
    WeibullMixture,
)

_LOG_RATE_CLAMP = 30.0
MIN_TAU_DAYS = 1e-10  # coincident events: gaps are clamped here before the density (as the paper)


@dataclass(frozen=True)
class NetConfig:
    """Architecture settings (paper defaults: hidden 32, K = 32, dropout 0.1)."""

    n_inputs: int = 2
    n_features: int = 0
    hidden: int = 32
    n_components: int = 32
    dropout: float = 0.1
    feature_components: int = 1  # 1: diagonal normal; > 1: mixture of diagonal normals
    joint_features: bool = False  # True: the feature loss also trains the encoder

    def to_dict(self) -> dict[str, Any]:
        """Plain mapping."""
        return asdict(self)


class Encoder(nn.Module):
    """GRU over event inputs; contexts shifted by one event.

    Parameters
    ----------
    n_inputs
        Input size per event.
    hidden
        GRU hidden size C.
    dropout
        Dropout on the contexts.
    """

    def __init__(self, n_inputs: int, hidden: int, dropout: float) -> None:
        super().__init__()
        self.rnn = nn.GRU(n_inputs, hidden, batch_first=True)
        self.dropout = nn.Dropout(dropout)

    def forward(self, inputs: Tensor, h0: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Contexts and final state.

        Parameters
        ----------
        inputs
            (B, T, n_inputs) event inputs.
        h0
            (1, B, C) initial state (zeros when None).

        Returns
        -------
        tuple of Tensor
            Contexts (B, T, C), where position ``j`` has seen inputs ``< j``, and the
            state after all T inputs (1, B, C).
        """
        out, h_last = self.rnn(inputs, h0)  # (B, T, C), (1, B, C)
        first = (torch.zeros_like(out[:, :1]) if h0 is None else h0.transpose(0, 1))
        ctx = torch.cat((first, out[:, :-1]), dim=1)  # (B, T, C)
        return self.dropout(ctx), h_last


class RecastNet(nn.Module):
    """Encoder plus time, magnitude and feature decoders.

    Parameters
    ----------
    config
        Architecture settings.
    """

    def __init__(self, config: NetConfig) -> None:
        super().__init__()
        self.config = config
        K, C = config.n_components, config.hidden
        self.encoder = Encoder(config.n_inputs, C, config.dropout)
        self.time_head = nn.Linear(C, 3 * K)
        self.mag_head = nn.Linear(C, 1)
        nn.init.zeros_(self.mag_head.weight)
        nn.init.zeros_(self.mag_head.bias)
        F, J = config.n_features, config.feature_components
        self.feat_head = (nn.Linear(C, 2 * F if J <= 1 else J * (1 + 2 * F)) if F else None)

    def init_time_decoder(self, scaled_gaps: np.ndarray) -> None:
        """Start as a mixture of exponentials whose means are the gaps' quantiles.

        Parameters
        ----------
        scaled_gaps
            Training inter-event times in decoder units (days / time_scale).
        """
        K = self.config.n_components
        q = np.quantile(np.maximum(scaled_gaps, 1e-12), (np.arange(K) + 0.5) / K)
        with torch.no_grad():
            bias = self.time_head.bias
            bias[:K] = 0.0  # equal weights
            bias[K:2 * K] = torch.as_tensor(-np.log(q), dtype=bias.dtype)
            bias[2 * K:] = math.log(math.e - 1.0)  # softplus^-1(1): shape 1
            self.time_head.weight.mul_(0.1)

    def time_dist(self, ctx: Tensor) -> WeibullMixture:
        """Next inter-event time distribution (decoder units) from contexts (..., C)."""
        K = self.config.n_components
        logits, log_rates, raw_shape = torch.split(self.time_head(ctx), [K, K, K], dim=-1)
        return WeibullMixture(
            tnf.log_softmax(logits, dim=-1),
            log_rates.clamp(-_LOG_RATE_CLAMP, _LOG_RATE_CLAMP),
            tnf.softplus(raw_shape) + 1e-3,
        )

    def mag_dist(self, ctx: Tensor, b0: float, mag_min: float) -> GutenbergRichter:
        """Learned conditional Gutenberg-Richter law (detached context)."""
        g = self.mag_head(ctx.detach()).squeeze(-1).double().clamp(-3.0, 3.0)
        return GutenbergRichter(b0 * torch.exp(g), mag_min)

    def init_feature_decoder(self, feats: np.ndarray, rng: np.random.Generator,
                             log_scale: float = -2.0) -> None:
        """Start the feature mixture as a kernel density on training events.

        Component centres are ``J`` distinct training events' normalised features,
        weights are equal and scales ``exp(log_scale)``; the context weights start small.
        A diagonal normal (``feature_components == 1``) is left as it is.

        Parameters
        ----------
        feats
            (n, F) normalised features of training events.
        rng
            Chooses the centres.
        log_scale
            Initial log standard deviation (normalised units).
        """
        J, F = self.config.feature_components, self.config.n_features
        if self.feat_head is None or J <= 1 or len(feats) == 0:
            return
        pick = rng.choice(len(feats), size=J, replace=len(feats) < J)
        with torch.no_grad():
            bias = self.feat_head.bias
            bias[:J] = 0.0
            bias[J:J + J * F] = torch.as_tensor(np.asarray(feats)[pick].ravel(), dtype=bias.dtype)
            bias[J + J * F:] = log_scale
            self.feat_head.weight.mul_(0.1)

    def feature_dist(self, ctx: Tensor) -> DiagonalNormal | NormalMixture | None:
        """Law of the normalised extra features.

        The context is detached (the feature loss leaves the encoder to the time
        likelihood) unless ``config.joint_features``: then the encoder also learns to carry
        what predicts the next event's features (locations), at some cost to time alone.
        """
        if self.feat_head is None:
            return None
        out = self.feat_head(ctx if self.config.joint_features else ctx.detach())
        J, F = self.config.feature_components, self.config.n_features
        if J <= 1:
            loc, log_scale = torch.chunk(out, 2, dim=-1)
            return DiagonalNormal(loc, log_scale.clamp(-7.0, 5.0))
        logits, loc, log_scale = torch.split(out, [J, J * F, J * F], dim=-1)
        shape = (*out.shape[:-1], J, F)
        return NormalMixture(logits, loc.reshape(shape),
                             log_scale.reshape(shape).clamp(-7.0, 5.0))


@dataclass
class GapTerms:
    """Masked per-gap log-likelihood terms, each (B, T) float64 (0 where not scored)."""

    time: Tensor
    mag_gr: Tensor
    mag_learned: Tensor
    features: Tensor


def gap_terms(net: RecastNet, batch: Batch, time_scale: float, b0: float,
              mag_min: float) -> GapTerms:
    """Log-likelihood terms of every scored gap of ``batch``.

    Time: ``log f(tau)`` for gaps ending at an event (densities in days; gaps below
    ``MIN_TAU_DAYS`` are clamped to it), ``log S(tau)``
    for the survival gap, minus ``log S(trunc)`` for gaps straddling ``t_nll_start``.
    Magnitudes: fixed-b Gutenberg-Richter and the learned conditional law.
    """
    ctx, _ = net.encoder(batch.inputs)  # (B, T, C)
    dist = net.time_dist(ctx)
    tau = (batch.tau.clamp_min(MIN_TAU_DAYS) / time_scale).to(ctx.dtype)
    trunc = (batch.trunc / time_scale).to(ctx.dtype)
    log_f = dist.log_prob(tau).double() - math.log(time_scale)
    log_s = dist.log_survival(tau).double()
    term = torch.where(batch.is_event, log_f, log_s) - dist.log_survival(trunc).double()
    mask = batch.mask
    ev = mask & batch.is_event
    zero = torch.zeros_like(term)
    gr = GutenbergRichter(torch.tensor(b0, dtype=torch.float64), mag_min).log_prob(batch.mags)
    learned = net.mag_dist(ctx, b0, mag_min).log_prob(batch.mags)
    fd = net.feature_dist(ctx)
    feat = fd.log_prob(batch.feats).double() if fd is not None else zero
    return GapTerms(
        time=torch.where(mask, term, zero),
        mag_gr=torch.where(ev, gr, zero),
        mag_learned=torch.where(ev, learned, zero),
        features=torch.where(ev, feat, zero),
    )
