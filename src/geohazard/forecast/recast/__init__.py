"""RECAST: the neural temporal point process of Dascher-Cousineau et al. (GRL 2023).

A GRU over log inter-event times and magnitudes, a mixture of Weibulls for the next
inter-event time, Gutenberg-Richter magnitudes (fixed MLE b, and a learned conditional b).
Main entry point: :class:`~geohazard.forecast.recast.estimator.Recast`.
"""

from geohazard.forecast.recast.estimator import Recast
from geohazard.forecast.recast.train import TrainConfig

__all__ = ["Recast", "TrainConfig"]
