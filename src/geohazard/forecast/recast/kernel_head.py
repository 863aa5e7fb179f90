"""An attention kernel-mixture location head: where the next event falls, given when.

The density of the next epicentre (km, projected), given its time ``t`` and the history,
is a mixture of kernels centred on past epicentres whose weights a small network reads
from each source's age and magnitude (attention over the history), plus kernel densities
of all past seismicity at fixed scales and a uniform floor (see :mod:`._kernel_nb` for the
formula). It is the structure spatial ETAS gets right (triggered events near recent and
large events, background where seismicity has been) with the triggering law learned:

- ``s(log dt, m - Mc)`` (the source's weight) and ``log D(log dt, m - Mc)`` (its kernel
  scale, km^2) are the outputs of an MLP over that plane, read at each source by bilinear
  interpolation of the MLP evaluated on a fixed grid, so training, scoring and sampling use
  the same numbers and cost little; they start from ETAS's form (``a (m - Mc) - log dt``,
  ``log D0 + g (m - Mc)``) and the MLP learns the departure;
- one power-law exponent ``rho`` and one unit-determinant anisotropy (fault-parallel
  clustering) shared by the triggering kernels;
- weights of the background kernel densities (scales ``kde_scales`` km^2) and the
  uniform floor on the fit box.

:func:`fit_kernel_head` maximises the mean log density of the training targets (full batch,
Adam), stopping on the validation targets' mean log density; the selected state is the
best on validation. :class:`KernelHead` scores and samples with the numba kernels.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from geohazard.exceptions import InputError, ParameterError
from geohazard.forecast.recast import _kernel_nb as nb

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class KernelHeadConfig:
    """Settings of the head and of its training."""

    n_recent: int = 128
    n_big: int = 32
    big_above: float = 1.5  # older sources: magnitude >= Mc + big_above
    max_age_days: float = 3650.0
    kde_scales: tuple[float, ...] = (0.05, 0.3, 1.5, 6.0, 25.0, 100.0)
    n_u: int = 128
    n_m: int = 32
    u_range: tuple[float, float] = (math.log(1e-6), math.log(1e4))
    m_range: tuple[float, float] = (0.0, 6.0)
    hidden: int = 32
    steps: int = 800
    lr: float = 0.02
    check_every: int = 10
    patience: int = 150
    seed: int = 0
    device: str = "cpu"  # torch device of the head's training ("cuda" where there is one)
    learn_departure: bool = True  # False: ETAS's form only (no MLP), for ablations
    anisotropic: bool = True  # False: isotropic triggering kernels, for ablations

    def __post_init__(self) -> None:
        if self.n_recent < 1 or self.n_big < 0:
            raise ParameterError("kernel head: n_recent must be >= 1 and n_big >= 0")
        if self.kde_scales and min(self.kde_scales) <= 0:
            raise ParameterError("kernel head: kde_scales must be positive km^2")

    @property
    def grid(self) -> np.ndarray:
        """(u0, du, m0, dm) of the tables."""
        (u0, u1), (m0, m1) = self.u_range, self.m_range
        return np.array([u0, (u1 - u0) / (self.n_u - 1), m0, (m1 - m0) / (self.n_m - 1)])


@dataclass(frozen=True)
class KernelHead:
    """A fitted head: tables, kernel shape, background weights and the uniform box."""

    config: KernelHeadConfig
    mc: float
    score: np.ndarray  # (n_u, n_m)
    log_d: np.ndarray  # (n_u, n_m), log km^2
    rho: float
    shape: np.ndarray  # (2, 2) unit-determinant map from the unit frame to km
    beta: np.ndarray  # (C + 1,) KDE weights then the uniform's
    box: np.ndarray  # (x0, x1, y0, y1) km
    fit_info: dict[str, Any] = dataclasses.field(default_factory=dict, compare=False)

    @property
    def inv_shape(self) -> np.ndarray:
        """Map from km offsets to the unit-determinant frame."""
        return np.linalg.inv(self.shape)

    def sources(self, t: np.ndarray, m: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """Source indices of each target (see :func:`._kernel_nb.source_lists`)."""
        cfg = self.config
        return nb.source_lists(t, m, targets, cfg.n_recent, cfg.n_big,
                               self.mc + cfg.big_above, cfg.max_age_days)

    def log_density(self, t: np.ndarray, m: np.ndarray, x: np.ndarray, y: np.ndarray,
                    targets: np.ndarray) -> np.ndarray:
        """(n_targets,) log density per km^2 of the epicentres ``targets`` given their past.

        ``t`` (days), ``m``, ``x``, ``y`` (km) hold the whole sequence, sorted by time;
        ``targets`` index the events scored (each needs at least one earlier event).
        """
        t, m, x, y, targets = _arrays(t, m, x, y, targets)
        log_kde = nb.kde_log_density(x, y, targets, np.asarray(self.config.kde_scales, float))
        return nb.log_density(t, m, x, y, targets, self.sources(t, m, targets), log_kde,
                              self.score, self.log_d, self.config.grid, self.rho,
                              self.inv_shape, self.beta, self.box, self.mc)

    def density_at(self, history: tuple[np.ndarray, ...], t_next: float, x: np.ndarray,
                   y: np.ndarray) -> np.ndarray:
        """Log density (per km^2) of the next epicentre at points ``(x, y)`` km.

        ``history`` = (t days, m, x km, y km) of the events so far, sorted; the next event
        happens at ``t_next`` (after the last one). A map of where it is expected.
        """
        ht, hm, hx, hy = (np.ascontiguousarray(a, np.float64) for a in history)
        if ht.size == 0 or t_next < ht[-1]:
            raise InputError("kernel head: the next event needs a history ending before it")
        t_ext, m_ext = np.append(ht, t_next), np.append(hm, -np.inf)
        src = self.sources(t_ext, m_ext, np.array([ht.size]))[0]
        px, py = (np.ascontiguousarray(a, np.float64).ravel() for a in (x, y))
        out = nb.density_at(ht, hm, hx, hy, float(t_next), src, px, py, self.score,
                            self.log_d, self.config.grid, self.rho, self.inv_shape,
                            self.beta, self.box, np.asarray(self.config.kde_scales, float),
                            self.mc)
        return out.reshape(np.shape(x))

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Plain arrays for ``np.savez`` (no pickled objects; the config as JSON text)."""
        import json

        cfg = dataclasses.asdict(self.config)
        return {"score": self.score, "log_d": self.log_d, "rho": np.array(self.rho),
                "shape": self.shape, "beta": self.beta, "box": self.box,
                "mc": np.array(self.mc), "config": np.array(json.dumps(cfg))}

    @classmethod
    def from_arrays(cls, arrays: Any, where: str) -> KernelHead:
        """The head saved by :meth:`to_arrays` (``where`` names the file in errors)."""
        import json

        try:
            raw = json.loads(str(arrays["config"]))
            cfg = KernelHeadConfig(**{k: tuple(v) if isinstance(v, list) else v
                                      for k, v in raw.items()})
            head = cls(cfg, float(arrays["mc"]), np.asarray(arrays["score"], float),
                       np.asarray(arrays["log_d"], float), float(arrays["rho"]),
                       np.asarray(arrays["shape"], float), np.asarray(arrays["beta"], float),
                       np.asarray(arrays["box"], float))
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"{where}: not a kernel head file ({type(exc).__name__}: {exc})"
                             ) from None
        ok = (head.score.shape == head.log_d.shape == (cfg.n_u, cfg.n_m)
              and head.shape.shape == (2, 2) and head.beta.shape == (len(cfg.kde_scales) + 1,)
              and head.box.shape == (4,) and head.rho > 0)
        if not ok or not all(np.isfinite(a).all() for a in (head.score, head.log_d, head.beta)):
            raise InputError(f"{where}: kernel head arrays have the wrong shapes or values")
        return head


def _arrays(t: Any, m: Any, x: Any, y: Any, targets: Any) -> tuple[np.ndarray, ...]:
    t, m, x, y = (np.ascontiguousarray(a, np.float64) for a in (t, m, x, y))
    targets = np.ascontiguousarray(targets, np.int64)
    if not (t.shape == m.shape == x.shape == y.shape) or t.ndim != 1:
        raise InputError("kernel head: t, m, x, y must be 1-d arrays of one length")
    if targets.size and (targets.min() < 1 or targets.max() >= t.size):
        raise InputError("kernel head: each target needs an earlier event in the sequence")
    if np.any(np.diff(t) < 0):
        raise InputError("kernel head: events must be sorted by time")
    for name, a in (("t", t), ("m", m), ("x", x), ("y", y)):
        if not np.isfinite(a).all():
            raise InputError(f"kernel head: {name} has {int(np.sum(~np.isfinite(a)))} "
                             "non-finite value(s), first at index "
                             f"{int(np.argmax(~np.isfinite(a)))}")
    return t, m, x, y, targets


# ------------------------------------------------------------------------------ training
def _pairs(t: np.ndarray, m: np.ndarray, x: np.ndarray, y: np.ndarray, targets: np.ndarray,
           cfg: KernelHeadConfig, mc: float) -> dict[str, Any]:
    """Fixed training tensors for ``targets``: per-pair grid coordinates and offsets."""
    import torch

    src = nb.source_lists(t, m, targets, cfg.n_recent, cfg.n_big, mc + cfg.big_above,
                          cfg.max_age_days)
    mask = src >= 0
    j = np.where(mask, src, 0)
    u = np.log(np.maximum(t[targets][:, None] - t[j], 1e-12))
    u0, du, m0, dm = cfg.grid
    fu = np.clip((u - u0) / du, 0.0, cfg.n_u - 1.000001)
    fm = np.clip((m[j] - mc - m0) / dm, 0.0, cfg.n_m - 1.000001)
    log_kde = nb.kde_log_density(x, y, targets, np.asarray(cfg.kde_scales, float))
    arrays = {"fu": fu, "fm": fm, "dx": x[targets][:, None] - x[j],
              "dy": y[targets][:, None] - y[j], "mask": mask, "log_kde": log_kde,
              "x": x[targets], "y": y[targets]}
    return {k: torch.as_tensor(v, dtype=None if k == "mask" else torch.float64,
                               device=cfg.device) for k, v in arrays.items()}


def _bilinear(table: Any, fu: Any, fm: Any) -> Any:
    iu, im = fu.long(), fm.long()
    au, am = fu - iu, fm - im
    n_m = table.shape[1]
    flat = table.reshape(-1)

    def at(a: Any, b: Any) -> Any:
        return flat[a * n_m + b]

    return ((1 - au) * ((1 - am) * at(iu, im) + am * at(iu, im + 1))
            + au * ((1 - am) * at(iu + 1, im) + am * at(iu + 1, im + 1)))


class _Head:
    """The trainable parameters (torch, float64) and the loss."""

    def __init__(self, cfg: KernelHeadConfig, box: np.ndarray) -> None:
        import torch

        torch.manual_seed(cfg.seed)
        f64, dev = torch.float64, torch.device(cfg.device)
        self.cfg, self.box = cfg, box
        u0, du, m0, dm = cfg.grid
        uu = torch.as_tensor(u0 + du * np.arange(cfg.n_u), dtype=f64, device=dev)
        mm = torch.as_tensor(m0 + dm * np.arange(cfg.n_m), dtype=f64, device=dev)
        self.U, self.M = torch.meshgrid(uu, mm, indexing="ij")
        inp = torch.stack([(self.U - 0.0) / 5.0, (self.M - 2.0) / 2.0], -1)
        self.inp = inp.reshape(-1, 2)
        self.mlp = torch.nn.Sequential(
            torch.nn.Linear(2, cfg.hidden), torch.nn.Tanh(),
            torch.nn.Linear(cfg.hidden, cfg.hidden), torch.nn.Tanh(),
            torch.nn.Linear(cfg.hidden, 2)).to(dtype=f64, device=dev)
        torch.nn.init.zeros_(self.mlp[-1].weight)
        torch.nn.init.zeros_(self.mlp[-1].bias)
        n_bg = len(cfg.kde_scales) + 1
        # a, p, log D0, g, log rho, angle, aspect: ETAS's form to start from
        self.etas = torch.tensor([2.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0], dtype=f64,
                                 device=dev, requires_grad=True)
        self.beta = torch.full((n_bg,), -2.0, dtype=f64, device=dev, requires_grad=True)
        mlp = list(self.mlp.parameters()) if cfg.learn_departure else []
        self.params = [*mlp, self.etas, self.beta]

    def tables(self) -> tuple[Any, Any]:
        a, p, ld0, g = self.etas[0], self.etas[1], self.etas[2], self.etas[3]
        res = self.mlp(self.inp).reshape(self.cfg.n_u, self.cfg.n_m, 2)
        score = a * self.M - p * self.U + res[..., 0]
        log_d = ld0 + g * self.M + res[..., 1]
        return score, log_d

    def rho(self) -> Any:
        return self.etas[4].exp()

    def inv_shape(self) -> Any:
        import torch

        on = 1.0 if self.cfg.anisotropic else 0.0
        ang, asp = on * self.etas[5], on * self.etas[6]
        c, s = torch.cos(ang), torch.sin(ang)
        # shape = R(ang) diag(e^asp, e^-asp); its inverse = diag(e^-asp, e^asp) R(-ang)
        return torch.stack([torch.stack([c * (-asp).exp(), s * (-asp).exp()]),
                            torch.stack([-s * asp.exp(), c * asp.exp()])])

    def log_f(self, P: dict[str, Any]) -> Any:
        import torch

        score, log_d = self.tables()
        s = _bilinear(score, P["fu"], P["fm"])
        ld = _bilinear(log_d, P["fu"], P["fm"])
        inv = self.inv_shape()
        px = inv[0, 0] * P["dx"] + inv[0, 1] * P["dy"]
        py = inv[1, 0] * P["dx"] + inv[1, 1] * P["dy"]
        rho = self.rho()
        logk = (torch.log(rho / math.pi) + rho * ld
                - (1 + rho) * torch.log(px * px + py * py + ld.exp()))
        neg = torch.tensor(-math.inf, dtype=s.dtype, device=s.device)
        num_src = torch.where(P["mask"], s + logk, neg)
        den_src = torch.where(P["mask"], s, neg)
        C = P["log_kde"].shape[1]
        b = self.box
        inside = ((P["x"] >= b[0]) & (P["x"] <= b[1]) & (P["y"] >= b[2]) & (P["y"] <= b[3]))
        log_u = torch.where(inside, torch.zeros_like(P["x"]) - math.log(
            (b[1] - b[0]) * (b[3] - b[2])), neg.expand_as(P["x"]))
        num = torch.cat([num_src, self.beta[:C] + P["log_kde"],
                         (self.beta[C] + log_u)[:, None]], 1)
        den = torch.cat([den_src, self.beta.expand(s.shape[0], -1)], 1)
        return torch.logsumexp(num, 1) - torch.logsumexp(den, 1)

    def freeze(self, mc: float, info: dict[str, Any]) -> KernelHead:
        import torch

        with torch.no_grad():
            score, log_d = self.tables()
            inv = self.inv_shape().cpu().numpy()
            return KernelHead(self.cfg, float(mc), score.cpu().numpy().copy(),
                              log_d.cpu().numpy().copy(), float(self.rho()),
                              np.linalg.inv(inv), self.beta.cpu().numpy().copy(),
                              np.asarray(self.box, float), info)


def fit_box(x: np.ndarray, y: np.ndarray, pad_km: float = 1.0) -> np.ndarray:
    """The uniform floor's box: the epicentres' extent plus ``pad_km``."""
    return np.array([x.min() - pad_km, x.max() + pad_km, y.min() - pad_km, y.max() + pad_km])


def fit_kernel_head(t: np.ndarray, m: np.ndarray, x: np.ndarray, y: np.ndarray,
                    train: np.ndarray, val: np.ndarray, mc: float,
                    config: KernelHeadConfig | None = None, box: np.ndarray | None = None,
                    progress: Any = None) -> KernelHead:
    """Fit the head on the targets ``train`` (indices), early stopping on ``val``.

    ``t``, ``m``, ``x``, ``y`` are the whole sorted sequence (history before the first
    target conditions, it is never scored). ``box``: the uniform floor's (x0, x1, y0, y1);
    None: :func:`fit_box` of the events up to the last validation target.
    """
    import torch

    cfg = config or KernelHeadConfig()
    t, m, x, y, train = _arrays(t, m, x, y, train)
    val = np.ascontiguousarray(val, np.int64)
    if train.size == 0 or val.size == 0:
        raise InputError("kernel head: training and validation targets are both needed")
    last = int(max(train.max(), val.max())) + 1
    box = fit_box(x[:last], y[:last]) if box is None else np.asarray(box, float)
    head = _Head(cfg, box)
    P_tr, P_va = _pairs(t, m, x, y, train, cfg, mc), _pairs(t, m, x, y, val, cfg, mc)
    opt = torch.optim.Adam(head.params, lr=cfg.lr)
    best, best_state, since, history = -math.inf, None, 0, []
    for step in range(cfg.steps):
        opt.zero_grad()
        loss = -head.log_f(P_tr).mean()
        loss.backward()
        opt.step()
        fit = -loss.item()
        if step % cfg.check_every and step != cfg.steps - 1:
            continue
        with torch.no_grad():
            v = float(head.log_f(P_va).mean())
        history.append((step, fit, v))
        if progress is not None:
            progress(step, fit, v)
        if v > best + 1e-5:
            best, since = v, 0
            best_state = [p.detach().clone() for p in head.params]
        else:
            since += cfg.check_every
            if since >= cfg.patience:
                break
    if best_state is None:
        raise ParameterError(f"kernel head: training diverged (validation mean log density "
                             f"{history[-1][2]}); lower KernelHeadConfig.lr")
    with torch.no_grad():
        for p, b in zip(head.params, best_state, strict=True):
            p.copy_(b)
    info = {"val_mean_log_density": best, "steps": history[-1][0] + 1,
            "n_train": int(train.size), "n_val": int(val.size), "history": history[-20:]}
    return head.freeze(mc, info)
