"""Checks on a forecast's start, and the model registry's names (:mod:`.registry`)."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from geohazard.catalog.core import Catalog, to_utc
from geohazard.exceptions import InputError
from geohazard.forecast.registry import MODEL_NAMES, fit_model, parse_models

log = logging.getLogger(__name__)

__all__ = ["MODEL_NAMES", "check_forecast_start", "check_no_lookahead", "fit_model",
           "parse_models"]


def check_forecast_start(catalog: Catalog, start: Any, *, what: str = "start",
                         allow_extrapolation: bool = False,
                         allow_hint: str = "allow_extrapolation=True") -> pd.Timestamp:
    """The forecast start as UTC, refused (or loudly warned) when the data do not reach it.

    A forecast after :attr:`Catalog.coverage_end` would fit its models on a stretch with no
    observations (as if nothing had happened) and extrapolate from it.

    Parameters
    ----------
    catalog
        The catalog with the history.
    start
        Forecast start (UTC).
    what, allow_hint
        How messages name the start and the override (the CLI passes its flags).
    allow_extrapolation
        Issue anyway, with a warning.
    """
    ts = to_utc(start, what)
    origin, cover = catalog.origin, catalog.coverage_end
    if ts <= origin:
        raise InputError(f"{what} {ts} is not after the start of catalog "
                         f"'{catalog.metadata.name}' ({origin}): there is no history to fit")
    if ts > cover:
        gap = catalog.day_of(ts) - catalog.day_of(cover)
        text = (f"{what} {ts} is {gap:.4g} days after the end of the data (catalog "
                f"'{catalog.metadata.name}' covers to {cover}): the models would be fitted "
                "on a stretch without data and the forecast extrapolated")
        if not allow_extrapolation:
            raise InputError(f"{text}; pass {allow_hint} to issue it anyway")
        log.warning("EXTRAPOLATION: %s", text)
    return ts


def check_no_lookahead(catalog: Catalog, fit_end: Any) -> None:
    """RECAST trains on the train/val splits: they must end by the forecast start."""
    test_start, start = catalog.metadata.test_start, to_utc(fit_end)
    if test_start is not None and start < test_start:
        raise InputError(f"recast: training uses the train/val splits, which run to "
                         f"{test_start}, after the forecast start {start}: "
                         "that would use future events; pass --checkpoint of a model "
                         "trained on earlier data, or start at or after the test split")
