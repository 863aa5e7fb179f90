"""RECAST: the neural temporal point process of Dascher-Cousineau et al. (GRL 2023).

A GRU over log inter-event times and magnitudes, a mixture of Weibulls for the next
inter-event time, Gutenberg-Richter magnitudes (fixed MLE b, and a learned conditional b).
Main entry point: :class:`~geohazard.forecast.recast.estimator.Recast`.

Names load on first use: loading a checkpoint and sampling never import the training
modules (Lightning); ``TrainConfig`` and fitting do. A checkpoint with its weights sidecar
(``model.pt.npz``, :mod:`~geohazard.forecast.recast.weights`) loads and samples without
torch.
"""

from geohazard._lazy import lazy_exports

_EXPORTS = {"Recast": "estimator", "TrainConfig": "train"}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
