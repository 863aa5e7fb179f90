"""Number formatting for reports: significant figures, units and simulation resolution.

Rendering only: these functions turn figures already computed into words and strings.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["fmt", "magnitude", "pit_verdict", "probability", "with_unit"]


def fmt(value: Any, digits: int = 4) -> str:
    """A number with ``digits`` significant figures (integers exact, None as an en dash)."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}".replace(",", " ") if abs(value) >= 10_000 else str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return "not finite" if not math.isnan(value) else "n/a"
        if value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-3):
            return f"{value:.{digits - 1}e}"
        return f"{value:.{digits}g}"
    return str(value)


def magnitude(m: float | None) -> str:
    """A magnitude with at least one decimal (``2.0``, ``2.05``), or "not set"."""
    if m is None:
        return "not set"
    return f"{m:.1f}" if round(m, 1) == m else f"{m:g}"


def with_unit(value: Any, unit: str, digits: int = 4) -> str:
    """``fmt(value)`` followed by its unit (nothing added for a dimensionless '')."""
    text = fmt(value, digits)
    return f"{text} {unit}" if unit else text


def probability(p: float, n_samples: int) -> str:
    """A probability estimated from ``n_samples`` simulations, with its resolution.

    0 of ``n`` becomes ``"< 1/n"`` and ``n`` of ``n`` becomes ``"> 1 - 1/n"``: a finite
    simulation cannot tell such a probability from its resolution ``1/n``.
    """
    if n_samples <= 0:
        return fmt(p)
    if p <= 0.0:
        return f"< 1/{n_samples}"
    if p >= 1.0:
        return f"> 1 − 1/{n_samples}"
    decimals = max(2, math.ceil(math.log10(n_samples)))  # the resolution 1/n in decimals
    return f"{p:.{decimals}f}"


#: Mean PIT ranges and the words for them (PIT = P(simulated count <= observed)).
PIT_WORDS: tuple[tuple[float, str], ...] = (
    (0.2, "strongly over-predicts"),
    (0.4, "over-predicts"),
    (0.6, "is calibrated on average"),
    (0.8, "under-predicts"),
    (1.01, "strongly under-predicts"),
)


def pit_verdict(mean_pit: float) -> str:
    """Words for a mean PIT: below 0.2 the observed counts sit in the forecasts' lower tail."""
    if not math.isfinite(mean_pit):
        return "cannot be judged (no PIT)"
    shown = round(mean_pit, 2)  # the words agree with the figure printed beside them
    for upper, words in PIT_WORDS:
        if shown < upper:
            return words
    return PIT_WORDS[-1][1]
