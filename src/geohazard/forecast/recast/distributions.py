"""Distributions of the RECAST model, written in log space for numerical stability.

- :class:`WeibullMixture`: the next inter-event time. Component ``i`` has survival
  ``S_i(x) = exp(-exp(log_rate_i) * x ** shape_i)``; the mixture has weights
  ``exp(log_weights)``. Every quantity (log-density, log-survival, log-hazard) is a
  ``logsumexp`` over components, so it stays finite for gaps from microseconds to years.
  Sampling may be conditioned on the time already elapsed (``x > elapsed``).
- :class:`GutenbergRichter`: exponential magnitudes above ``mag_min`` with rate
  ``beta = b ln 10`` (the paper's magnitude model, its b fitted by MLE). With a
  per-event ``b`` it is also the learned conditional magnitude distribution.
- :class:`DiagonalNormal`: extra event features (depth, x, y), predicted for sampling;
  :class:`NormalMixture` (K diagonal normals) for clustered features such as epicentres.

Shapes: parameters carry a batch shape ``(...,)`` plus a trailing component axis ``K``
for the mixture; values ``x`` have the batch shape.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

LN10 = math.log(10.0)
_TINY = 1e-30


class WeibullMixture:
    """Mixture of K Weibull distributions.

    Parameters
    ----------
    log_weights
        (..., K) log mixture weights (normalised, i.e. a ``log_softmax``).
    log_rates
        (..., K) log of the rate ``b`` in ``S(x) = exp(-b x^k)``.
    shapes
        (..., K) Weibull shapes ``k > 0``.
    """

    def __init__(self, log_weights: Tensor, log_rates: Tensor, shapes: Tensor) -> None:
        self.log_weights = log_weights
        self.log_rates = log_rates
        self.shapes = shapes

    def _cum_hazard_log(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """(..., K) ``log(b x^k)`` and ``log x`` for values ``x`` of the batch shape."""
        log_x = torch.log(x.clamp_min(_TINY)).unsqueeze(-1)  # (..., 1)
        return self.log_rates + self.shapes * log_x, log_x

    def log_prob(self, x: Tensor) -> Tensor:
        """Log-density at ``x > 0``; shape ``(...)``."""
        log_h, log_x = self._cum_hazard_log(x)
        comp = (self.log_rates + torch.log(self.shapes) + (self.shapes - 1.0) * log_x
                - torch.exp(log_h))
        return torch.logsumexp(self.log_weights + comp, dim=-1)

    def log_survival(self, x: Tensor) -> Tensor:
        """Log of ``P(X > x)``; exactly 0 where ``x <= 0``; shape ``(...)``."""
        log_h, _ = self._cum_hazard_log(x)
        out = torch.logsumexp(self.log_weights - torch.exp(log_h), dim=-1)
        return torch.where(x > 0, out, torch.zeros_like(out))

    def log_hazard(self, x: Tensor) -> Tensor:
        """Log of the hazard ``f(x) / S(x)``; shape ``(...)``."""
        return self.log_prob(x) - self.log_survival(x)

    def cdf(self, x: Tensor) -> Tensor:
        """``P(X <= x)``."""
        return -torch.expm1(self.log_survival(x))

    def mean(self) -> Tensor:
        """Mixture mean, ``sum_i w_i b_i^(-1/k_i) Gamma(1 + 1/k_i)``; shape ``(...)``."""
        k = self.shapes
        log_m = -self.log_rates / k + torch.lgamma(1.0 + 1.0 / k)
        return torch.logsumexp(self.log_weights + log_m, dim=-1).exp()

    def sample(
        self, elapsed: Tensor | None = None, generator: torch.Generator | None = None
    ) -> Tensor:
        """Draw ``X`` given ``X > elapsed`` (the whole gap, not the remainder).

        The component is drawn from the posterior ``w_i S_i(e) / S(e)``; within it
        ``X = (e^k + E / b)^(1/k)`` with ``E ~ Exp(1)``, which is the inverse of the
        conditional survival ``S_i(x) / S_i(e)``. Computed in float64.

        Parameters
        ----------
        elapsed
            (...) time already elapsed without an event; None or 0 for unconditional.
        generator
            Torch random generator.

        Returns
        -------
        Tensor
            (...) float64 samples.
        """
        log_w = self.log_weights.double()
        log_b = self.log_rates.double()
        k = self.shapes.double()
        batch = log_w.shape[:-1]
        if elapsed is None:
            elapsed = torch.zeros(batch, dtype=torch.float64, device=log_w.device)
        e = elapsed.double().expand(batch)
        log_e = torch.log(e.clamp_min(_TINY)).unsqueeze(-1)
        log_he = torch.where(e.unsqueeze(-1) > 0, log_b + k * log_e,
                             torch.full_like(log_b, -math.inf))  # log(b e^k)
        post = log_w - torch.exp(log_he)  # (..., K) unnormalised log posterior
        gumbel = -torch.log(-torch.log(
            torch.rand(post.shape, dtype=torch.float64, device=post.device, generator=generator)
            .clamp_min(_TINY)))
        comp = torch.argmax(post + gumbel, dim=-1, keepdim=True)  # (..., 1)
        log_b_c = log_b.gather(-1, comp).squeeze(-1)
        k_c = k.gather(-1, comp).squeeze(-1)
        log_he_c = log_he.gather(-1, comp).squeeze(-1)
        expo = torch.empty(batch, dtype=torch.float64, device=post.device).exponential_(
            generator=generator)
        # log(b x^k) = logaddexp(log(b e^k), log E)  ->  x = exp((that - log b) / k)
        log_hx = torch.logaddexp(log_he_c, torch.log(expo.clamp_min(_TINY)))
        return torch.exp((log_hx - log_b_c) / k_c)


class GutenbergRichter:
    """Exponential magnitudes above ``mag_min``: density ``beta exp(-beta (m - mag_min))``.

    Parameters
    ----------
    b
        Gutenberg-Richter b-value, a float or a tensor of per-event values (batch shape).
    mag_min
        Lower bound of the continuous distribution (for binned magnitudes cut at
        ``m > Mc``, the lower edge of the lowest bin).
    """

    def __init__(self, b: Tensor | float, mag_min: float) -> None:
        self.b = torch.as_tensor(b)
        self.mag_min = float(mag_min)

    @property
    def beta(self) -> Tensor:
        """Rate ``b ln 10``."""
        return self.b * LN10

    def log_prob(self, m: Tensor) -> Tensor:
        """Log-density of magnitudes ``m`` (values below ``mag_min`` are clamped to it)."""
        beta = self.beta
        return torch.log(beta) - beta * (m - self.mag_min).clamp_min(0.0)

    def sample(self, shape: torch.Size | tuple[int, ...] = (),
               generator: torch.Generator | None = None) -> Tensor:
        """Float64 samples of shape ``shape`` (broadcast with ``b``)."""
        full = torch.broadcast_shapes(tuple(shape), tuple(self.b.shape))
        expo = torch.empty(full, dtype=torch.float64).exponential_(generator=generator)
        return self.mag_min + expo / self.beta.double().expand(full)


class DiagonalNormal:
    """Independent normal features: ``loc`` and ``log_scale`` of shape (..., F)."""

    def __init__(self, loc: Tensor, log_scale: Tensor) -> None:
        self.loc = loc
        self.log_scale = log_scale

    def log_prob(self, x: Tensor) -> Tensor:
        """Summed log-density over the feature axis; shape ``(...)``."""
        z = (x - self.loc) * torch.exp(-self.log_scale)
        return (-0.5 * z * z - self.log_scale - 0.5 * math.log(2 * math.pi)).sum(-1)

    def sample(self, generator: torch.Generator | None = None) -> Tensor:
        """One draw of shape (..., F)."""
        noise = torch.randn(self.loc.shape, dtype=self.loc.dtype, generator=generator)
        return self.loc + noise * torch.exp(self.log_scale)


class NormalMixture:
    """Mixture of K diagonal normals for clustered features (epicentres).

    ``logits`` (..., K); ``loc`` and ``log_scale`` (..., K, F). The log-density is a
    ``logsumexp`` over components of the summed per-feature normal log-densities.
    """

    def __init__(self, logits: Tensor, loc: Tensor, log_scale: Tensor) -> None:
        self.log_weights = torch.log_softmax(logits, dim=-1)
        self.loc = loc
        self.log_scale = log_scale

    def log_prob(self, x: Tensor) -> Tensor:
        """Log-density of ``x`` (..., F); shape ``(...)``."""
        z = (x.unsqueeze(-2) - self.loc) * torch.exp(-self.log_scale)  # (..., K, F)
        comp = (-0.5 * z * z - self.log_scale - 0.5 * math.log(2 * math.pi)).sum(-1)
        return torch.logsumexp(self.log_weights + comp, dim=-1)

    def sample(self, generator: torch.Generator | None = None) -> Tensor:
        """One draw of shape (..., F)."""
        w = self.log_weights.exp().reshape(-1, self.log_weights.shape[-1])
        k = torch.multinomial(w.double(), 1, generator=generator).reshape(
            self.log_weights.shape[:-1])
        idx = k[..., None, None].expand(*k.shape, 1, self.loc.shape[-1])
        loc = torch.gather(self.loc, -2, idx).squeeze(-2)
        scale = torch.gather(self.log_scale, -2, idx).squeeze(-2).exp()
        noise = torch.randn(loc.shape, dtype=loc.dtype, generator=generator)
        return loc + noise * scale
